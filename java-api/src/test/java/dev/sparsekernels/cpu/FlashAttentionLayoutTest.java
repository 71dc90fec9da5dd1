package dev.sparsekernels.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sparsekernels.AttentionMask;
import java.util.Arrays;
import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

/**
 * {@link FlashAttention} through {@link AttentionLayout}s: heads read out of packed Q|K|V rows of variable-length
 * sequences and written into packed context rows give, row for row, what the padded [B, H, L, D] call with key
 * lengths gives; every output row the layout holds is written and nothing else is.
 */
class FlashAttentionLayoutTest {
    /** Variable-length sequences stored packed as [tokens, (hq + 2·hkv)·d], plus the same data padded. */
    static final class Packed {
        final int[] lengths;
        final int batch, hq, hkv, len, d, tokens, width;
        final float[] qkv;
        final float[] q, k, v; // padded [B, H, len, d], zeros past each length

        Packed(Random r, int[] lengths, int hq, int hkv, int d) {
            this.lengths = lengths;
            this.batch = lengths.length;
            this.hq = hq;
            this.hkv = hkv;
            this.d = d;
            this.len = Arrays.stream(lengths).max().getAsInt();
            this.tokens = Arrays.stream(lengths).sum();
            this.width = (hq + 2 * hkv) * d;
            qkv = FlashAttentionTest.gaussian(r, tokens * width);
            q = new float[batch * hq * len * d];
            k = new float[batch * hkv * len * d];
            v = new float[batch * hkv * len * d];
            for (int b = 0, row = 0; b < batch; b++) {
                for (int t = 0; t < lengths[b]; t++, row++) {
                    for (int h = 0; h < hq; h++) {
                        System.arraycopy(qkv, row * width + h * d, q, ((b * hq + h) * len + t) * d, d);
                    }
                    for (int h = 0; h < hkv; h++) {
                        System.arraycopy(qkv, row * width + (hq + h) * d, k, ((b * hkv + h) * len + t) * d, d);
                        System.arraycopy(qkv, row * width + (hq + hkv + h) * d, v, ((b * hkv + h) * len + t) * d,
                                d);
                    }
                }
            }
        }

        AttentionLayout layout(int column) {
            return AttentionLayout.packed(lengths, width, column, d);
        }

        /** Runs the packed call into a context array of rows {@code hq·d + 3} wide, prefilled with NaN. */
        float[] run(AttentionKernels kern, AttentionMask mask, int threads) {
            int ow = hq * d + 3; // three spare columns per row that must stay untouched
            float[] out = new float[tokens * ow];
            Arrays.fill(out, Float.NaN);
            FlashAttention.attention(kern, qkv, layout(0), qkv, layout(hq * d), qkv, layout((hq + hkv) * d), out,
                    AttentionLayout.packed(lengths, ow, 0, d), batch, hq, hkv, len, len, d, mask,
                    (float) (1 / Math.sqrt(d)), threads);
            return out;
        }

        /** The padded result's rows that exist, packed as the context would be (rows hq·d + 3 wide). */
        float[] expected(float[] padded) {
            int ow = hq * d + 3;
            float[] e = new float[tokens * ow];
            Arrays.fill(e, Float.NaN);
            for (int b = 0, row = 0; b < batch; b++) {
                for (int t = 0; t < lengths[b]; t++, row++) {
                    for (int h = 0; h < hq; h++) {
                        System.arraycopy(padded, ((b * hq + h) * len + t) * d, e, row * ow + h * d, d);
                    }
                }
            }
            return e;
        }
    }

    static void assertSameRows(float[] expected, float[] got, String what) {
        assertEquals(expected.length, got.length, what);
        for (int i = 0; i < expected.length; i++) {
            if (Float.isNaN(expected[i])) {
                assertTrue(Float.isNaN(got[i]), what + ": element " + i + " outside the layout was written: " + got[i]);
            } else if (Math.abs(got[i] - expected[i]) > 2e-5 + 2e-4 * Math.abs(expected[i])) {
                throw new AssertionError(what + ": element " + i + " expected " + expected[i] + " but got " + got[i]);
            }
        }
    }

    @Property(tries = 40)
    void packedSequencesMatchThePaddedCall(@ForAll @IntRange(min = 1, max = 4) int batch,
            @ForAll @IntRange(min = 1, max = 3) int hkv, @ForAll @IntRange(min = 1, max = 2) int group,
            @ForAll @IntRange(min = 1, max = 40) int d, @ForAll @IntRange(min = 1, max = 3) int threads,
            @ForAll long seed) {
        Random r = new Random(seed);
        int[] lengths = new int[batch];
        for (int b = 0; b < batch; b++) {
            lengths[b] = 1 + r.nextInt(r.nextBoolean() ? 9 : 80); // short ones and ones over a 64-key tile
        }
        Packed p = new Packed(r, lengths, hkv * group, hkv, d);
        AttentionMask keyLengths = AttentionMask.builder().keyLengths(lengths).build();
        double scale = 1 / Math.sqrt(d);
        float[] padded = AttentionReference.attention(p.q, p.k, p.v, batch, p.hq, hkv, p.len, p.len, d, keyLengths,
                scale);
        float[] want = p.expected(padded);
        for (AttentionKernels kern : FlashAttentionTest.kernels()) {
            String what = kern.describe() + " lengths=" + Arrays.toString(lengths) + " Hq=" + p.hq + " Hkv=" + hkv
                    + " D=" + d;
            // keys past a sequence's rows count as masked, with or without the key-length mask
            assertSameRows(want, p.run(kern, keyLengths, threads), what + " with key lengths");
            assertSameRows(want, p.run(kern, null, threads), what + " without a mask");
        }
    }

    @Test
    void causalAndWindowMasksReadThePackedRowsAsTheyReadPaddedOnes() {
        Random r = new Random(3);
        int[] lengths = {70, 70, 70};
        Packed p = new Packed(r, lengths, 4, 2, 32);
        for (AttentionMask mask : new AttentionMask[] {AttentionMask.causal(),
                AttentionMask.builder().window(9).build(), AttentionMask.builder().causal().window(5).build()}) {
            float[] padded = AttentionReference.attention(p.q, p.k, p.v, 3, 4, 2, 70, 70, 32, mask,
                    1 / Math.sqrt(32));
            for (AttentionKernels kern : FlashAttentionTest.kernels()) {
                assertSameRows(p.expected(padded), p.run(kern, mask, 2), kern.describe() + " " + mask);
            }
        }
    }

    @Test
    void prunedHeadsOverwriteWhateverTheOutputHeld() {
        Random r = new Random(5);
        Packed p = new Packed(r, new int[] {5, 17}, 3, 3, 16);
        AttentionMask mask = AttentionMask.builder().headMask(true, false, true).build();
        for (AttentionKernels kern : FlashAttentionTest.kernels()) {
            float[] out = p.run(kern, mask, 2);
            for (int row = 0; row < p.tokens; row++) {
                for (int c = 0; c < 16; c++) {
                    assertEquals(0f, out[row * (3 * 16 + 3) + 16 + c], "row " + row + " of the pruned head");
                }
            }
            float[] padded = AttentionReference.attention(p.q, p.k, p.v, 2, 3, 3, 17, 17, 16,
                    mask.toBuilder().keyLengths(5, 17).build(), 1 / Math.sqrt(16));
            assertSameRows(p.expected(padded), out, kern.describe());
        }
    }

    @Test
    void aSequenceOfNoRowsIsSkipped() {
        Random r = new Random(7);
        Packed p = new Packed(r, new int[] {4, 1, 6}, 2, 1, 8);
        int[] withEmpty = {4, 0, 6};
        float[] qkv = new float[(4 + 6) * p.width];
        System.arraycopy(p.qkv, 0, qkv, 0, 4 * p.width);
        System.arraycopy(p.qkv, 5 * p.width, qkv, 4 * p.width, 6 * p.width);
        float[] out = new float[10 * 16];
        FlashAttention.attention(qkv, AttentionLayout.packed(withEmpty, p.width, 0, 8), qkv,
                AttentionLayout.packed(withEmpty, p.width, 16, 8), qkv, AttentionLayout.packed(withEmpty, p.width, 24, 8),
                out, AttentionLayout.packed(withEmpty, 16, 0, 8), 3, 2, 1, 6, 6, 8, null, 1f / (float) Math.sqrt(8), 1);
        float[] full = p.run(FlashAttention.kernels(), null, 1);
        for (int row = 0; row < 10; row++) {
            int from = row < 4 ? row : row + 1;
            for (int c = 0; c < 16; c++) {
                assertEquals(full[from * 19 + c], out[row * 16 + c], 1e-6f, "row " + row);
            }
        }
    }

    @Test
    void layoutsThatDoNotFitTheirArraysAreRejectedByName() {
        Random r = new Random(11);
        Packed p = new Packed(r, new int[] {3, 5}, 2, 2, 8);
        AttentionLayout q = p.layout(0);
        AttentionLayout k = p.layout(16);
        AttentionLayout v = p.layout(32);
        AttentionLayout o = AttentionLayout.packed(p.lengths, 16, 0, 8);
        float[] out = new float[8 * 16];
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> FlashAttention.attention(
                p.qkv, q, p.qkv, k, Arrays.copyOf(p.qkv, p.qkv.length - 1), v, out, o, 2, 2, 2, 5, 5, 8, null, 1f,
                1)); // V's last row ends the array
        assertTrue(e.getMessage().startsWith("v: expected at least 384 values"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> FlashAttention.attention(p.qkv, q, p.qkv, k, p.qkv,
                v, new float[8 * 16 - 1], o, 2, 2, 2, 5, 5, 8, null, 1f, 1));
        assertTrue(e.getMessage().startsWith("out: expected at least"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> FlashAttention.attention(p.qkv, q, p.qkv, k, p.qkv,
                v, out, AttentionLayout.packed(new int[] {3, 4}, 16, 0, 8), 2, 2, 2, 5, 5, 8, null, 1f, 1));
        assertTrue(e.getMessage().startsWith("out layout: expected 5 rows for sequence 1"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> FlashAttention.attention(p.qkv, q, p.qkv, k, p.qkv,
                v, out, o, 2, 2, 2, 4, 4, 8, null, 1f, 1));
        assertTrue(e.getMessage().contains("has 5 rows, more than the length 4"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> FlashAttention.attention(p.qkv, q, p.qkv,
                AttentionLayout.packed(p.lengths, p.width, 40, 8), p.qkv, v, out, o, 2, 2, 2, 5, 5, 8, null, 1f, 1));
        assertTrue(e.getMessage().startsWith("k layout: 2 heads of 8 values do not fit"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> FlashAttention.attention(p.qkv, q, p.qkv, k, p.qkv,
                v, p.qkv, q, 2, 2, 2, 5, 5, 8, null, 1f, 1));
        assertTrue(e.getMessage().startsWith("out: expected an array apart"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> FlashAttention.attention(p.qkv,
                AttentionLayout.heads(2, 2, 5, 8), p.qkv, k, p.qkv, v, out, o, 2, 2, 2, 5, 5, 4, null, 1f, 1));
        assertTrue(e.getMessage().startsWith("q layout: made for [B, H, 5, 8]"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> AttentionLayout.packed(new int[] {2, -1}, 16, 0, 8));
        assertThrows(IllegalArgumentException.class, () -> AttentionLayout.packed(new int[] {2}, 16, 16, 8));
    }

    @Test
    void aNaNInOneSequencesValuesReachesOnlyTheRowsThatSeeIt() {
        Random r = new Random(13);
        Packed p = new Packed(r, new int[] {9, 12}, 2, 1, 16);
        int poisoned = 4; // key 4 of sequence 0: its V is columns [48, 64) of packed row 4 (Q 2 heads, K 1)
        p.qkv[poisoned * p.width + 48 + 5] = Float.NaN;
        AttentionMask causal = AttentionMask.causal();
        for (AttentionKernels kern : FlashAttentionTest.kernels()) {
            float[] out = p.run(kern, causal, 2);
            int ow = 2 * 16 + 3;
            for (int row = 0; row < p.tokens; row++) {
                boolean seesIt = row >= poisoned && row < 9; // causal rows of sequence 0 from key 4 on
                for (int c = 0; c < 32; c++) {
                    float x = out[row * ow + c];
                    assertEquals(seesIt && c % 16 == 5, Float.isNaN(x), kern.describe() + " row " + row + " col " + c);
                }
            }
        }
    }
}
