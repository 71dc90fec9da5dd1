package dev.sparsekernels.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Fast 2:4 kernels (Vector API and plain-Java fallback) against {@link ScalarReference}; tolerance in {@link Oracle}. */
class Sparse24GemmTest {
    static final int[] TOKENS = {1, 2, 3, 7, 17, 24, 25, 64, 129};
    static final int[] INS = {4, 8, 12, 36, 260};
    static final int[] OUTS = {1, 3, 17, 33, 130};
    static final int[] NIBBLES = {0x4, 0x8, 0xC, 0x9, 0xD, 0xE};

    /** Random 2:4 weights in the input format: random nibble per group, random values (some exactly 0). */
    static Object[] randomFormat(Random r, int out, int in) {
        float[] values = Oracle.random(r, out * in / 2);
        for (int i = 0; i < values.length; i += 7) {
            values[i] = 0f;
        }
        byte[] indices = new byte[out * ((in + 7) / 8)];
        for (int o = 0; o < out; o++) {
            for (int g = 0; g < in / 4; g++) {
                int nib = NIBBLES[r.nextInt(NIBBLES.length)];
                indices[o * ((in + 7) / 8) + g / 2] |= (byte) ((g & 1) == 0 ? nib : nib << 4);
            }
        }
        return new Object[] {values, indices};
    }

    static void check(CpuKernels kernels, Random r, int tokens, int in, int out, boolean withBias, int threads) {
        Object[] f = randomFormat(r, out, in);
        check(kernels, r, tokens, in, out, (float[]) f[0], (byte[]) f[1], withBias, threads);
    }

    static void check(CpuKernels kernels, Random r, int tokens, int in, int out, float[] values, byte[] indices,
                      boolean withBias, int threads) {
        Sparse24Weights w = Sparse24Weights.of(values, indices, out, in);
        float[] x = Oracle.random(r, tokens * in);
        float[] bias = withBias ? Oracle.random(r, out) : null;
        float[] y = new float[tokens * out];
        java.util.Arrays.fill(y, Float.NaN);
        float[] ref = new float[tokens * out];
        Sparse24Gemm.linear(kernels, x, tokens, in, w, bias, y, threads);
        ScalarReference.sparse24Linear(x, tokens, in, values, indices, out, bias, ref);
        Oracle.assertClose(kernels.describe() + " 2:4 tokens=" + tokens + " in=" + in + " out=" + out + " bias="
                + withBias + " threads=" + threads, y, ref, x, tokens, in, w.toDense(), out, bias);
    }

    @ParameterizedTest
    @ValueSource(strings = {"256", "512", "scalar"})
    void shapesAgainstReference(String kernelSet) {
        CpuKernels kernels = KernelSets.named(kernelSet);
        Assumptions.assumeTrue(kernels != null, kernelSet + " kernels cannot run on this JVM");
        Random r = new Random(12);
        int n = 0;
        for (int tokens : TOKENS) {
            for (int in : INS) {
                for (int out : OUTS) {
                    n++;
                    check(kernels, r, tokens, in, out, n % 2 == 0, 1 + n % 2);
                }
            }
        }
    }

    @Test
    void severalKBlocksAndThreads() {
        Random r = new Random(6);
        for (CpuKernels k : KernelSets.all()) {
            for (int threads = 1; threads <= 3; threads++) {
                check(k, r, 100, 516, 70, true, threads); // 516 = 4 full K blocks of 128 + a block of 4
                check(k, r, 1, 516, 70, false, threads);
                check(k, r, 9, 516, 70, true, threads);
            }
        }
    }

    @Test
    void manyTokensChunksAndPanelSplits() {
        // 700 tokens = 8 panels of 96 (last one 28 wide) -> 2 chunks of 4 panels; few rows -> tasks split panels;
        // in = 132 = 2 K blocks of 64 + a block of 4
        Random r = new Random(11);
        for (CpuKernels k : KernelSets.all()) {
            check(k, r, 700, 132, 5, true, 2);
            check(k, r, 577, 68, 9, false, 3);
            check(k, r, 96 * 3, 64, 40, true, 2);
        }
    }

    @Property(tries = 60)
    void randomShapes(@ForAll @IntRange(min = 1, max = 110) int tokens, @ForAll @IntRange(min = 1, max = 40) int groups,
                      @ForAll @IntRange(min = 1, max = 40) int out, @ForAll @IntRange(min = 1, max = 3) int threads,
                      @ForAll boolean bias) {
        for (CpuKernels k : KernelSets.all()) {
            check(k, new Random(tokens * 31L + groups * 7L + out), tokens, 4 * groups, out, bias, threads);
        }
    }

    @Test
    void allZeroGroupsAndSingleNonZero() {
        Random r = new Random(8);
        int out = 5, in = 36;
        for (CpuKernels k : KernelSets.all()) {
            for (int tokens : new int[] {1, 3, 30, 50}) {
                // all-zero weights: y = bias exactly
                float[] values = new float[out * in / 2];
                byte[] indices = new byte[out * ((in + 7) / 8)];
                java.util.Arrays.fill(indices, (byte) 0x44);
                Sparse24Weights w = Sparse24Weights.of(values, indices, out, in);
                float[] x = Oracle.random(r, tokens * in);
                float[] b = Oracle.random(r, out);
                float[] y = new float[tokens * out];
                Sparse24Gemm.linear(k, x, tokens, in, w, b, y, 2);
                for (int t = 0; t < tokens; t++) {
                    for (int o = 0; o < out; o++) {
                        assertEquals(b[o], y[t * out + o], 0f);
                    }
                }
                // one non-zero: row 3, group 5, second position 3 (nibble 0xE in the high half of byte 2)
                values[3 * (in / 2) + 2 * 5 + 1] = 2.5f;
                indices[3 * ((in + 7) / 8) + 2] = (byte) 0xE4;
                w = Sparse24Weights.of(values, indices, out, in);
                Sparse24Gemm.linear(k, x, tokens, in, w, null, y, 1);
                for (int t = 0; t < tokens; t++) {
                    for (int o = 0; o < out; o++) {
                        float expected = o == 3 ? 2.5f * x[t * in + 4 * 5 + 3] : 0f;
                        assertEquals(expected, y[t * out + o], 0f, "t=" + t + " o=" + o);
                    }
                }
            }
        }
    }

    @Test
    void everyNibblePattern() {
        Random r = new Random(9);
        int in = 24, out = 6; // 6 groups per row, row o uses pattern (o + g) % 6 in group g
        float[] values = Oracle.random(r, out * in / 2);
        byte[] indices = new byte[out * 3];
        for (int o = 0; o < out; o++) {
            for (int g = 0; g < 6; g++) {
                int nib = NIBBLES[(o + g) % 6];
                indices[o * 3 + g / 2] |= (byte) ((g & 1) == 0 ? nib : nib << 4);
            }
        }
        for (int tokens : new int[] {1, 4, 49}) {
            for (CpuKernels k : KernelSets.all()) {
                check(k, r, tokens, in, out, values, indices, k != ScalarKernels.INSTANCE, 2);
            }
        }
    }

    @Test
    void weightsRoundTripAndPruning() {
        Random r = new Random(10);
        int out = 7, in = 140;
        Object[] f = randomFormat(r, out, in);
        Sparse24Weights w = Sparse24Weights.of((float[]) f[0], (byte[]) f[1], out, in);
        assertArrayEquals((float[]) f[0], w.values());
        assertArrayEquals((byte[]) f[1], w.indices());
        assertEquals(out, w.out());
        assertEquals(in, w.in());
        float[] dense = w.toDense();
        Sparse24Weights again = Sparse24Weights.pruneMagnitude(dense, out, in);
        assertArrayEquals(dense, again.toDense());
        float[] wd = {0.1f, -5f, 3f, 0.2f, 0f, 0f, 0f, 1f};
        Sparse24Weights p = Sparse24Weights.pruneMagnitude(wd, 1, 8);
        assertArrayEquals(new float[] {-5f, 3f, 0f, 1f}, p.values());
        assertArrayEquals(new byte[] {(byte) (0x9 | 0xC << 4)}, p.indices());
    }

    @Test
    void validation() {
        float[] v = new float[4];
        byte[] idx = {0x44, 0x44};
        assertMessage("in: expected a multiple of 4 (2:4 groups run along in), got 6",
                () -> Sparse24Weights.of(v, idx, 1, 6));
        assertMessage("values.length: expected 8 (out*(in/2) = 2*4), got 4",
                () -> Sparse24Weights.of(v, idx, 2, 8));
        assertMessage("indices.length: expected 1 (out*((in+7)/8) = 1*1), got 2",
                () -> Sparse24Weights.of(v, idx, 1, 8));
        assertMessage("indices: expected nibble with first position < second position (one of 0x4, 0x8, 0xC, 0x9,"
                + " 0xD, 0xE) at row 0, group 1, got 0x5", () -> Sparse24Weights.of(v, new byte[] {0x54}, 1, 8));
        assertMessage("values: expected non-null, got null", () -> Sparse24Weights.of(null, idx, 1, 8));
        Sparse24Weights w = Sparse24Weights.of(v, new byte[] {0x44}, 1, 8);
        float[] x = new float[16];
        assertMessage("in: expected 8 (w.in()), got 4", () -> Sparse24Gemm.linear(x, 4, 4, w, null, new float[4], 1));
        assertMessage("x.length: expected 24 (tokens*in = 3*8), got 16",
                () -> Sparse24Gemm.linear(x, 3, 8, w, null, new float[3], 1));
        assertMessage("y.length: expected 2 (tokens*out = 2*1), got 3",
                () -> Sparse24Gemm.linear(x, 2, 8, w, null, new float[3], 1));
        assertMessage("bias.length: expected 1 (out), got 2",
                () -> Sparse24Gemm.linear(x, 2, 8, w, new float[2], new float[2], 1));
        assertMessage("threads: expected >= 1, got 0", () -> Sparse24Gemm.linear(x, 2, 8, w, null, new float[2], 0));
        assertMessage("w: expected non-null, got null", () -> Sparse24Gemm.linear(x, 2, 8, null, null, new float[2], 1));
    }

    static void assertMessage(String expected, org.junit.jupiter.api.function.Executable call) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
        assertEquals(expected, e.getMessage());
    }
}
