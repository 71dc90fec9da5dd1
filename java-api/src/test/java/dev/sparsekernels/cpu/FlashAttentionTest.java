package dev.sparsekernels.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.sparsekernels.AttentionMask;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.Function;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The tiled online-softmax twin (Vector API and plain-Java microkernels) against {@link AttentionReference} (whole-row
 * softmax in double). Tolerance: |got - ref| <= 2e-5 + 2e-4 |ref| per element, for float32 inputs of unit scale
 * (fp32 dot products over D <= 128 and a float32 running sum; no fp16/bf16 rounding is involved on the CPU).
 */
class FlashAttentionTest {
    static final class Case {
        final int b, hq, hkv, lq, lk, d;
        final float[] q, k, v;

        Case(Random r, int b, int hq, int hkv, int lq, int lk, int d) {
            this.b = b;
            this.hq = hq;
            this.hkv = hkv;
            this.lq = lq;
            this.lk = lk;
            this.d = d;
            q = gaussian(r, b * hq * lq * d);
            k = gaussian(r, b * hkv * lk * d);
            v = gaussian(r, b * hkv * lk * d);
        }
    }

    static float[] gaussian(Random r, int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = (float) r.nextGaussian();
        }
        return a;
    }

    static List<AttentionKernels> kernels() {
        List<AttentionKernels> ks = new ArrayList<>();
        ks.add(ScalarAttentionKernels.INSTANCE);
        if (FlashAttention.kernels() != ScalarAttentionKernels.INSTANCE) {
            // both panel widths wherever this JVM can build them (the one in use is one of them)
            for (boolean wide : new boolean[] {false, true}) {
                try {
                    ks.add(new VectorAttentionKernels(wide));
                } catch (UnsupportedOperationException e) {
                    // 512-bit vectors not native here: only the 256-bit kernels run on this machine
                }
            }
        }
        return ks;
    }

    static float[] check(Case c, AttentionMask mask, int threads) {
        double scale = 1.0 / Math.sqrt(c.d);
        float[] ref = AttentionReference.attention(c.q, c.k, c.v, c.b, c.hq, c.hkv, c.lq, c.lk, c.d, mask, scale);
        for (AttentionKernels kern : kernels()) {
            float[] got = FlashAttention.attention(kern, c.q, c.k, c.v, c.b, c.hq, c.hkv, c.lq, c.lk, c.d, mask,
                    (float) scale, threads);
            assertClose(ref, got, kern.describe() + " " + mask + " B=" + c.b + " Hq=" + c.hq + " Hkv=" + c.hkv
                    + " Lq=" + c.lq + " Lk=" + c.lk + " D=" + c.d);
        }
        return ref;
    }

    static void assertClose(float[] ref, float[] got, String what) {
        assertEquals(ref.length, got.length, what);
        for (int i = 0; i < ref.length; i++) {
            if (Float.isNaN(got[i]) || Math.abs(got[i] - ref[i]) > 2e-5 + 2e-4 * Math.abs(ref[i])) {
                fail(what + ": element " + i + " expected " + ref[i] + " but got " + got[i]);
            }
        }
    }

    static AttentionMask.BlockSparse randomBlocks(Random r, int bq, int bk, int batches, int heads, int lq, int lk,
            double density) {
        int nq = (lq + bq - 1) / bq;
        int nk = (lk + bk - 1) / bk;
        byte[] kinds = new byte[batches * heads * nq * nk];
        for (int i = 0; i < kinds.length; i++) {
            double x = r.nextDouble();
            kinds[i] = x >= density ? AttentionMask.BlockSparse.SKIP
                    : (x < density / 2 ? AttentionMask.BlockSparse.FULL : AttentionMask.BlockSparse.PARTIAL);
        }
        return AttentionMask.BlockSparse.fromGrid(bq, bk, batches, heads, nq, nk, kinds);
    }

    static boolean[] randomBools(Random r, int n, double p) {
        boolean[] a = new boolean[n];
        for (int i = 0; i < n; i++) {
            a[i] = r.nextDouble() < p;
        }
        return a;
    }

    /** Every mask kind alone and combined, on a GQA case with Lq != Lk and odd lengths. */
    static List<Function<Case, AttentionMask>> masks(Random r) {
        List<Function<Case, AttentionMask>> m = new ArrayList<>();
        m.add(c -> AttentionMask.none());
        m.add(c -> null);
        m.add(c -> AttentionMask.causal());
        m.add(c -> AttentionMask.builder().window(7).build());
        m.add(c -> AttentionMask.builder().causal().window(19).build());
        m.add(c -> AttentionMask.builder().keyLengths(keyLengths(r, c)).build());
        m.add(c -> AttentionMask.builder().dense(randomBools(r, c.b * c.hq * c.lq * c.lk, 0.6), c.b, c.hq, c.lq,
                c.lk).build());
        m.add(c -> AttentionMask.builder().dense(randomBools(r, c.lq * c.lk, 0.3), c.lq, c.lk).build());
        m.add(c -> AttentionMask.builder().dense(randomBools(r, c.hq * c.lk, 0.5), c.hq, 1, c.lk).build());
        m.add(c -> AttentionMask.builder().bias(gaussian(r, c.b * c.hq * c.lq * c.lk), c.b, c.hq, c.lq, c.lk)
                .build());
        m.add(c -> AttentionMask.builder().bias(gaussian(r, c.lk), c.lk).build());
        // broadcast along the keys: one value per query row (rows of the mask are not contiguous)
        m.add(c -> AttentionMask.builder().dense(randomBools(r, c.lq, 0.8), c.lq, 1)
                .bias(gaussian(r, c.hq * c.lq), c.hq, c.lq, 1).build());
        m.add(c -> AttentionMask.builder().blockSparse(randomBlocks(r, 16, 16, c.b, c.hq, c.lq, c.lk, 0.5))
                .build());
        m.add(c -> AttentionMask.builder().blockSparse(randomBlocks(r, 32, 16, 1, 1, c.lq, c.lk, 0.5))
                .dense(randomBools(r, c.lq * c.lk, 0.5), c.lq, c.lk).build());
        m.add(c -> AttentionMask.builder().headMask(heads(r, c.hq)).build());
        // key blocks that are not a multiple of 16 keys (24: of 8; 10: of neither) keep K^T in one plain [d][Lk]
        // array instead of 16-key panels, so tiles start anywhere inside a vector
        m.add(c -> AttentionMask.builder().blockSparse(randomBlocks(r, 8, 24, c.b, c.hq, c.lq, c.lk, 0.7)).build());
        m.add(c -> AttentionMask.builder().causal().blockSparse(randomBlocks(r, 16, 10, c.b, 1, c.lq, c.lk, 0.8))
                .build());
        m.add(c -> AttentionMask.builder().causal().window(40).keyLengths(keyLengths(r, c))
                .dense(randomBools(r, c.b * c.lq * c.lk, 0.7), c.b, 1, c.lq, c.lk)
                .bias(gaussian(r, c.hq * c.lq * c.lk), c.hq, c.lq, c.lk)
                .blockSparse(randomBlocks(r, 16, 32, c.b, 1, c.lq, c.lk, 0.7)).headMask(heads(r, c.hq)).build());
        return m;
    }

    static int[] keyLengths(Random r, Case c) {
        int[] len = new int[c.b];
        for (int i = 0; i < c.b; i++) {
            len[i] = r.nextInt(c.lk + 1);
        }
        len[0] = c.lk;
        return len;
    }

    static boolean[] heads(Random r, int hq) {
        boolean[] h = randomBools(r, hq, 0.5);
        h[0] = true;
        return h;
    }

    @ParameterizedTest
    @ValueSource(ints = {32, 64, 80, 128})
    void everyMaskKindMatchesTheReference(int d) {
        Random r = new Random(d);
        for (int[] s : new int[][] {{2, 4, 2, 37, 53}, {1, 3, 3, 70, 70}, {2, 4, 1, 90, 33}}) {
            Case c = new Case(r, s[0], s[1], s[2], s[3], s[4], d);
            for (Function<Case, AttentionMask> m : masks(r)) {
                check(c, m.apply(c), 3);
            }
        }
    }

    @Property(tries = 60)
    void randomShapesAndMasksMatchTheReference(@ForAll @IntRange(min = 1, max = 2) int b,
            @ForAll @IntRange(min = 1, max = 3) int hkv, @ForAll @IntRange(min = 1, max = 3) int group,
            @ForAll @IntRange(min = 1, max = 150) int lq, @ForAll @IntRange(min = 1, max = 150) int lk,
            @ForAll @IntRange(min = 1, max = 70) int d, @ForAll @IntRange(min = 0, max = 17) int maskKind,
            @ForAll @IntRange(min = 1, max = 4) int threads, @ForAll long seed) {
        Random r = new Random(seed);
        Case c = new Case(r, b, hkv * group, hkv, lq, lk, d);
        check(c, masks(r).get(maskKind).apply(c), threads);
    }

    /**
     * Calls with at least {@link FlashAttention#HEADS_PER_THREAD} K/V heads per thread run one task per (sequence,
     * K/V head) with that head's copies in the thread's own buffers; every mask kind, GQA and odd lengths there too.
     */
    @ParameterizedTest
    @ValueSource(ints = {32, 64})
    void callsRunByHeadMatchTheReference(int d) {
        Random r = new Random(100 + d);
        for (int[] s : new int[][] {{3, 8, 4, 37, 53}, {9, 3, 3, 19, 19}, {4, 4, 2, 65, 40}, {8, 1, 1, 16, 130}}) {
            Case c = new Case(r, s[0], s[1], s[2], s[3], s[4], d);
            for (int threads : new int[] {1, 2}) {
                if (c.b * c.hkv < FlashAttention.HEADS_PER_THREAD * threads) {
                    continue; // the other path, tested above
                }
                for (Function<Case, AttentionMask> m : masks(r)) {
                    check(c, m.apply(c), threads);
                }
            }
        }
    }

    @Property(tries = 40)
    void randomShapesRunByHeadMatchTheReference(@ForAll @IntRange(min = 4, max = 9) int b,
            @ForAll @IntRange(min = 2, max = 3) int hkv, @ForAll @IntRange(min = 1, max = 3) int group,
            @ForAll @IntRange(min = 1, max = 90) int lq, @ForAll @IntRange(min = 1, max = 90) int lk,
            @ForAll @IntRange(min = 1, max = 70) int d, @ForAll @IntRange(min = 0, max = 17) int maskKind,
            @ForAll long seed) {
        Random r = new Random(seed);
        Case c = new Case(r, b, hkv * group, hkv, lq, lk, d);
        assertTrue(b * hkv >= FlashAttention.HEADS_PER_THREAD, "a by-head call");
        check(c, masks(r).get(maskKind).apply(c), 1);
    }

    @Test
    void rowsThatSeeNoKeyAreZeros() {
        Random r = new Random(5);
        Case c = new Case(r, 2, 2, 2, 20, 12, 32);
        // causal with Lq > Lk: the first Lq - Lk rows see nothing
        float[] out = check(c, AttentionMask.causal(), 2);
        for (int i = 0; i < (c.lq - c.lk) * c.d; i++) {
            assertEquals(0f, out[i]);
        }
        // key length 0 for batch 1, a dense mask that is all false on row 3, a -inf bias on row 5
        boolean[] dense = new boolean[c.lq * c.lk];
        java.util.Arrays.fill(dense, true);
        for (int j = 0; j < c.lk; j++) {
            dense[3 * c.lk + j] = false;
        }
        float[] bias = new float[c.lq * c.lk];
        for (int j = 0; j < c.lk; j++) {
            bias[5 * c.lk + j] = Float.NEGATIVE_INFINITY;
        }
        AttentionMask m = AttentionMask.builder().keyLengths(c.lk, 0).dense(dense, c.lq, c.lk).bias(bias, c.lq, c.lk)
                .build();
        out = check(c, m, 2);
        for (int h = 0; h < c.hq; h++) {
            for (int row : new int[] {3, 5}) {
                for (int j = 0; j < c.d; j++) {
                    assertEquals(0f, out[((0 * c.hq + h) * c.lq + row) * c.d + j]);
                }
            }
        }
        for (int i = c.hq * c.lq * c.d; i < out.length; i++) {
            assertEquals(0f, out[i], "batch 1 has key length 0");
        }
    }

    @Test
    void prunedHeadsAreZeros() {
        Random r = new Random(9);
        Case c = new Case(r, 1, 4, 2, 16, 16, 64);
        float[] out = check(c, AttentionMask.builder().headMask(true, false, true, false).build(), 2);
        for (int h : new int[] {1, 3}) {
            for (int i = 0; i < c.lq * c.d; i++) {
                assertEquals(0f, out[h * c.lq * c.d + i]);
            }
        }
    }

    @Test
    void mqaReadsTheSingleKvHead() {
        Random r = new Random(11);
        Case c = new Case(r, 2, 8, 1, 33, 65, 80);
        check(c, AttentionMask.causal(), 4);
        check(c, AttentionMask.none(), 1);
    }

    @Test
    void fullBlocksIgnoreTheDenseMaskPartialBlocksApplyIt() {
        Random r = new Random(13);
        Case c = new Case(r, 1, 1, 1, 16, 32, 32);
        boolean[] none = new boolean[c.lq * c.lk]; // dense mask removes everything
        byte[] grid = {AttentionMask.BlockSparse.FULL, AttentionMask.BlockSparse.PARTIAL};
        AttentionMask m = AttentionMask.builder().dense(none, c.lq, c.lk)
                .blockSparse(AttentionMask.BlockSparse.fromGrid(16, 16, 1, 1, 1, 2, grid)).build();
        float[] got = check(c, m, 1);
        // equals attention over the first 16 keys alone
        boolean[] first = new boolean[c.lk];
        for (int j = 0; j < 16; j++) {
            first[j] = true;
        }
        float[] want = AttentionReference.attention(c.q, c.k, c.v, 1, 1, 1, c.lq, c.lk, c.d,
                AttentionMask.builder().dense(first, c.lk).build(), 1.0 / Math.sqrt(c.d));
        assertClose(want, got, "full block");
    }

    @Test
    void fromIndicesMatchesTheGrid() {
        int[] num = {1, 2};
        int[] idx = {1, 0, 0, 1};
        int[] fullNum = {1, 0};
        int[] fullIdx = {0, 0, 0, 0};
        AttentionMask.BlockSparse b = AttentionMask.BlockSparse.fromIndices(16, 16, 1, 1, 2, 2, num, idx, fullNum,
                fullIdx);
        assertEquals(AttentionMask.BlockSparse.FULL, b.kind(0, 0, 0, 0));
        assertEquals(AttentionMask.BlockSparse.PARTIAL, b.kind(0, 0, 0, 1));
        assertEquals(AttentionMask.BlockSparse.PARTIAL, b.kind(0, 0, 1, 0));
        assertEquals(AttentionMask.BlockSparse.PARTIAL, b.kind(0, 0, 1, 1));
        assertEquals("[2, 2]", java.util.Arrays.toString(b.kvCounts()));
        assertEquals("[0, 1, 0, 1]", java.util.Arrays.toString(b.kvIndices()));
        assertEquals("[1, 0, 0, 0]", java.util.Arrays.toString(b.kvFull()));
        AttentionMask.BlockSparse again = AttentionMask.BlockSparse.fromIndices(16, 16, 1, 1, 2, 2, b.kvCounts(),
                b.kvIndices(), null, null);
        assertEquals(java.util.Arrays.toString(b.grid()).replace('2', '1'),
                java.util.Arrays.toString(again.grid()));
        AttentionMask.BlockSparse g = AttentionMask.BlockSparse.fromGrid(16, 16, 1, 1, 1, 3, new byte[] {2, 0, 1});
        assertEquals("[2]", java.util.Arrays.toString(g.kvCounts()));
        assertEquals("[0, 2, 0]", java.util.Arrays.toString(g.kvIndices()));
        assertEquals("[1, 0, 0]", java.util.Arrays.toString(g.kvFull()));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> AttentionMask.BlockSparse.fromIndices(16, 16, 1, 1, 2, 2, num, idx, new int[] {1, 0},
                        new int[] {1, 0, 0, 0}));
        assertTrue(e.getMessage().contains("listed twice"), e.getMessage());
    }

    @Test
    void largeTileCountStaysCorrect() {
        Random r = new Random(17);
        Case c = new Case(r, 1, 2, 2, 300, 333, 64);
        check(c, AttentionMask.builder().causal().window(100).build(), 4);
        check(c, AttentionMask.builder().blockSparse(randomBlocks(r, 64, 64, 1, 2, 300, 333, 0.25)).build(), 4);
    }

    @Test
    void valuesAnEarlierCallLeftInTheReusedCopiesOfKAndVAreNeverUsed() {
        Random r = new Random(19);
        // poison the calling thread's K^T and V panel buffers: a bigger call whose K and V are all NaN
        Case big = new Case(r, 2, 2, 2, 40, 96, 64);
        java.util.Arrays.fill(big.k, Float.NaN);
        java.util.Arrays.fill(big.v, Float.NaN);
        for (AttentionKernels kern : kernels()) {
            FlashAttention.attention(kern, big.q, big.k, big.v, big.b, big.hq, big.hkv, big.lq, big.lk, big.d,
                    AttentionMask.none(), 0.125f, 1);
            // then calls whose heads and key counts (not multiples of 16) leave poisoned slots past their keys
            for (int lk : new int[] {37, 5, 50}) {
                Case c = new Case(r, 1, 2, 1, 23, lk, 64);
                double scale = 1.0 / Math.sqrt(c.d);
                for (AttentionMask m : new AttentionMask[] {AttentionMask.none(), AttentionMask.causal()}) {
                    float[] ref = AttentionReference.attention(c.q, c.k, c.v, c.b, c.hq, c.hkv, c.lq, c.lk, c.d, m,
                            scale);
                    float[] got = FlashAttention.attention(kern, c.q, c.k, c.v, c.b, c.hq, c.hkv, c.lq, c.lk, c.d, m,
                            (float) scale, 1);
                    assertClose(ref, got, kern.describe() + " after a NaN call, Lk=" + lk + " " + m);
                }
            }
        }
    }

    @Test
    void vectorKernelsRunWhenTheVectorApiIsActive() {
        assertEquals(CpuVectorization.isActive(), FlashAttention.kernels() != ScalarAttentionKernels.INSTANCE,
                FlashAttention.describe());
    }

    @Test
    void allFiniteFindsEveryNaNAndInfinityAtEveryPosition() {
        for (AttentionKernels kern : kernels()) {
            for (int n = 0; n <= 21; n++) {
                float[] a = gaussian(new Random(n), n + 3);
                assertTrue(kern.allFinite(a, 1, n), kern.describe() + " n=" + n);
                for (int at = 0; at < n; at++) {
                    for (float bad : new float[] {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY}) {
                        float[] b = a.clone();
                        b[1 + at] = bad;
                        assertTrue(!kern.allFinite(b, 1, n), kern.describe() + " n=" + n + " " + bad + " at " + at);
                    }
                }
                float[] outside = a.clone();
                outside[0] = Float.NaN;
                outside[n + 1] = Float.POSITIVE_INFINITY;
                assertTrue(kern.allFinite(outside, 1, n), kern.describe() + " looked outside its range, n=" + n);
            }
        }
    }

    /**
     * Row maxima at every length to 70 and at every position of the largest score: exact for finite rows, -inf for
     * a fully masked row, and NaN for a row whose only unmasked scores are NaN (the vector kernels' blends drop NaN,
     * so a row left at -inf must be looked at again, or it would count as seeing no key and give zeros).
     */
    @Test
    void rowMaximaAreExactAndARowOfOnlyNaNAndMaskedScoresStaysNaN() {
        for (AttentionKernels kern : kernels()) {
            for (int n = 1; n <= 70; n++) {
                int lds = n + 3;
                Random r = new Random(n);
                float[] s = gaussian(r, 4 * lds);
                for (int c = 0; c < n; c++) {
                    s[lds + c] = Float.NEGATIVE_INFINITY; // row 1: fully masked
                    s[2 * lds + c] = Float.NEGATIVE_INFINITY; // row 2: masked but for one NaN
                }
                int at = r.nextInt(n);
                s[2 * lds + at] = Float.NaN;
                s[3 * lds + at] = 100f; // row 3: the largest anywhere along the row
                float[] max = new float[4];
                kern.rowMax(s, lds, 0, 3, n, max);
                float want0 = Float.NEGATIVE_INFINITY;
                for (int c = 0; c < n; c++) {
                    want0 = Math.max(want0, s[c]);
                }
                String at2 = kern.describe() + " n=" + n + " at " + at;
                assertEquals(want0, max[0], at2);
                assertEquals(Float.NEGATIVE_INFINITY, max[1], at2);
                assertTrue(Float.isNaN(max[2]), at2 + ": " + max[2]);
                assertEquals(100f, max[3], at2);
            }
        }
    }

    @Test
    void maskAndBiasRowsMatchTheScalarRuleAtEveryLengthAndOffset() {
        for (AttentionKernels kern : kernels()) {
            for (int n = 0; n <= 21; n++) {
                Random r = new Random(n);
                float[] s = gaussian(r, n + 5);
                s[2] = Float.NaN; // a NaN score: a false mask entry or a -inf bias must still hide it
                boolean[] allowed = randomBools(r, n + 7, 0.5);
                float[] bias = gaussian(r, n + 7);
                for (int i = 0; i < bias.length; i += 3) {
                    bias[i] = Float.NEGATIVE_INFINITY;
                }
                float[] masked = s.clone();
                kern.maskRow(masked, 1, n, allowed, 3);
                float[] biased = s.clone();
                kern.biasRow(biased, 1, n, bias, 2);
                for (int i = 0; i < s.length; i++) {
                    int c = i - 1;
                    boolean inside = c >= 0 && c < n;
                    float wantMasked = inside && !allowed[3 + c] ? Float.NEGATIVE_INFINITY : s[i];
                    float wantBiased = !inside ? s[i]
                            : bias[2 + c] == Float.NEGATIVE_INFINITY ? Float.NEGATIVE_INFINITY : s[i] + bias[2 + c];
                    assertEquals(wantMasked, masked[i], kern.describe() + " mask n=" + n + " i=" + i);
                    assertEquals(wantBiased, biased[i], kern.describe() + " bias n=" + n + " i=" + i);
                }
            }
        }
    }

    @Test
    void scaleIntoWritesTheScaledRowAndSaysWhetherItIsFinite() {
        for (AttentionKernels kern : kernels()) {
            for (int n = 0; n <= 21; n++) {
                float[] acc = gaussian(new Random(n), n + 2);
                float[] out = new float[n + 4];
                assertTrue(kern.scaleInto(acc, 1, n, 0.5f, out, 2), kern.describe() + " n=" + n);
                for (int i = 0; i < n; i++) {
                    assertEquals(acc[1 + i] * 0.5f, out[2 + i], kern.describe() + " n=" + n + " i=" + i);
                }
                assertEquals(0f, out[0]);
                assertEquals(0f, out[n + 2 + 1 < out.length ? n + 3 : 1]);
                for (int at = 0; at < n; at++) {
                    for (float bad : new float[] {Float.NaN, Float.NEGATIVE_INFINITY, Float.MAX_VALUE}) {
                        float[] a = acc.clone();
                        a[1 + at] = bad; // MAX_VALUE * 4 overflows to infinity
                        assertTrue(!kern.scaleInto(a, 1, n, 4f, out, 2), kern.describe() + " " + bad + " at " + at);
                    }
                }
            }
        }
    }
}
