package dev.sparsekernels.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Block-sparse (BSR) kernels (Vector API and plain-Java fallback) against {@link ScalarReference#bsrLinear}; tolerance
 * in {@link Oracle} (float32 dot-product bound over the dense W with zeros outside the stored blocks).
 */
class BsrGemmTest {
    static final int[] TOKENS = {1, 2, 7, 17, 96, 130};
    static final int[][] BLOCKS = {{16, 16}, {32, 32}, {64, 64}, {16, 64}, {64, 32}};

    /** BSR arrays of a random pattern: {rowPointers, columnIndices, values}. */
    static final class Bsr {
        final int out, in, br, bc;
        final int[] rp, cols;
        final float[] values;

        Bsr(int out, int in, int br, int bc, int[] rp, int[] cols, float[] values) {
            this.out = out;
            this.in = in;
            this.br = br;
            this.bc = bc;
            this.rp = rp;
            this.cols = cols;
            this.values = values;
        }

        /** Each block stored with probability density; block row {@code longRow} (if >= 0) stores every block. */
        static Bsr random(Random r, int out, int in, int br, int bc, double density, int longRow) {
            int nbr = out / br, nbc = in / bc;
            int[] rp = new int[nbr + 1];
            List<Integer> cols = new ArrayList<>();
            for (int R = 0; R < nbr; R++) {
                for (int C = 0; C < nbc; C++) {
                    if (R == longRow || r.nextDouble() < density) {
                        cols.add(C);
                    }
                }
                rp[R + 1] = cols.size();
            }
            float[] v = Oracle.random(r, cols.size() * br * bc);
            return new Bsr(out, in, br, bc, rp, cols.stream().mapToInt(Integer::intValue).toArray(), v);
        }

        float[] dense() {
            float[] w = new float[out * in];
            for (int R = 0; R < out / br; R++) {
                for (int n = rp[R]; n < rp[R + 1]; n++) {
                    for (int i = 0; i < br; i++) {
                        System.arraycopy(values, (n * br + i) * bc, w, (R * br + i) * in + cols[n] * bc, bc);
                    }
                }
            }
            return w;
        }
    }

    static void check(CpuKernels k, Random r, int tokens, Bsr w, boolean withBias, int threads) {
        float[] x = Oracle.random(r, tokens * w.in);
        float[] bias = withBias ? Oracle.random(r, w.out) : null;
        float[] y = new float[tokens * w.out];
        Arrays.fill(y, Float.NaN); // every element must be written
        float[] ref = new float[tokens * w.out];
        BsrGemm.linear(k, x, tokens, w.in, w.out, w.br, w.bc, w.rp, w.cols, w.values, bias, y, threads);
        ScalarReference.bsrLinear(x, tokens, w.in, w.out, w.br, w.bc, w.rp, w.cols, w.values, bias, ref);
        Oracle.assertClose(k.describe() + " bsr " + w.br + "x" + w.bc + " tokens=" + tokens + " in=" + w.in + " out="
                + w.out + " blocks=" + w.cols.length + " bias=" + withBias + " threads=" + threads, y, ref, x, tokens,
                w.in, w.dense(), w.out, bias);
    }

    static CpuKernels[] kernels() {
        return KernelSets.all();
    }

    @ParameterizedTest
    @ValueSource(strings = {"256", "512", "scalar"})
    void tokensBlockShapesAndDensities(String kernelSet) {
        CpuKernels k = KernelSets.named(kernelSet);
        Assumptions.assumeTrue(k != null, kernelSet + " kernels cannot run on this JVM");
        Random r = new Random(21);
        double[] densities = {0.0, 0.1, 0.4, 1.0};
        int n = 0;
        for (int[] b : BLOCKS) {
            for (double d : densities) {
                Bsr w = Bsr.random(r, 2 * 64, 3 * 64, b[0], b[1], d, -1);
                for (int tokens : TOKENS) {
                    n++;
                    check(k, r, tokens, w, n % 2 == 0, 1 + n % 2);
                }
            }
        }
    }

    @Test
    void oneVeryLongBlockRowAmongEmptyOnes() {
        // block row 2 of 6 holds every block, the others none or few: the split over token groups must balance it
        Random r = new Random(22);
        for (CpuKernels k : kernels()) {
            for (int threads = 1; threads <= 2; threads++) {
                Bsr w = Bsr.random(r, 6 * 32, 16 * 32, 32, 32, 0.05, 2);
                for (int tokens : new int[] {1, 2, 7, 130}) {
                    check(k, r, tokens, w, true, threads);
                }
                Bsr wide = Bsr.random(r, 64, 40 * 16, 16, 16, 0.0, 1);
                check(k, r, 96, wide, false, threads);
            }
        }
    }

    @Test
    void manyBlocksPerRowUseSeveralChunks() {
        // 64x64 blocks, 12 per block row: 3 chunks of BsrGemm.KC = 256 inputs accumulate into one C^T tile
        Random r = new Random(23);
        for (CpuKernels k : kernels()) {
            Bsr w = Bsr.random(r, 128, 12 * 64, 64, 64, 1.0, -1);
            check(k, r, 17, w, true, 2);
            check(k, r, 2, w, false, 1);
            Bsr w16 = Bsr.random(r, 16, 140 * 16, 16, 16, 1.0, -1); // 140 blocks of 16x16: 9 chunks of 16
            check(k, r, 13, w16, true, 2);
        }
    }

    @Test
    void emptyMatrixGivesBiasAndZeroBlocksGiveBias() {
        Random r = new Random(24);
        int out = 64, in = 96;
        for (CpuKernels k : kernels()) {
            for (int tokens : new int[] {1, 2, 7, 96}) {
                float[] x = Oracle.random(r, tokens * in);
                x[0] = Float.NaN; // absent blocks are never read: NaN in X stays out of rows without blocks
                float[] b = Oracle.random(r, out);
                float[] y = new float[tokens * out];
                Arrays.fill(y, Float.NaN);
                BsrGemm.linear(k, x, tokens, in, out, 32, 32, new int[] {0, 0, 0}, new int[0], new float[0], b, y, 2);
                for (int t = 0; t < tokens; t++) {
                    for (int o = 0; o < out; o++) {
                        assertEquals(b[o], y[t * out + o], 0f);
                    }
                }
                BsrGemm.linear(k, x, tokens, in, out, 32, 32, new int[] {0, 0, 0}, new int[0], new float[0], null, y, 1);
                for (float v : y) {
                    assertEquals(0f, v, 0f);
                }
                // stored blocks that hold zeros, in block column 1 (X column 0 is not in it)
                int[] rp = {0, 1, 2};
                int[] cols = {1, 2};
                BsrGemm.linear(k, x, tokens, in, out, 32, 32, rp, cols, new float[2 * 32 * 32], b, y, 2);
                for (int t = 0; t < tokens; t++) {
                    for (int o = 0; o < out; o++) {
                        assertEquals(b[o], y[t * out + o], 0f, "t=" + t + " o=" + o);
                    }
                }
            }
        }
    }

    @Test
    void singleNonZeroLandsExactly() {
        Random r = new Random(25);
        int out = 64, in = 128, br = 16, bc = 64;
        for (CpuKernels k : kernels()) {
            for (int tokens : new int[] {1, 5, 40}) {
                int[] rp = {0, 0, 0, 1, 1}; // block row 2, block column 1
                int[] cols = {1};
                float[] v = new float[br * bc];
                v[3 * bc + 5] = 2.5f; // W[2*16 + 3][64 + 5]
                float[] x = Oracle.random(r, tokens * in);
                float[] y = new float[tokens * out];
                BsrGemm.linear(k, x, tokens, in, out, br, bc, rp, cols, v, null, y, 2);
                for (int t = 0; t < tokens; t++) {
                    for (int o = 0; o < out; o++) {
                        float expected = o == 35 ? 2.5f * x[t * in + 69] : 0f;
                        assertEquals(expected, y[t * out + o], 0f, "t=" + t + " o=" + o);
                    }
                }
            }
        }
    }

    @Test
    void threadCountsGiveTheSameResult() {
        // each output is computed by one thread in one fixed order, so the result does not depend on the split
        Random r = new Random(26);
        Bsr w = Bsr.random(r, 8 * 32, 8 * 32, 32, 32, 0.3, 5);
        float[] x = Oracle.random(r, 130 * w.in);
        float[] y1 = new float[130 * w.out];
        float[] y2 = new float[130 * w.out];
        BsrGemm.linear(x, 130, w.in, w.out, 32, 32, w.rp, w.cols, w.values, null, y1, 1);
        BsrGemm.linear(x, 130, w.in, w.out, 32, 32, w.rp, w.cols, w.values, null, y2, 2);
        assertTrue(Arrays.equals(y1, y2));
    }

    @Property(tries = 40)
    void randomShapes(@ForAll @IntRange(min = 1, max = 70) int tokens, @ForAll @IntRange(min = 1, max = 4) int nbr,
                      @ForAll @IntRange(min = 1, max = 5) int nbc, @ForAll @IntRange(min = 0, max = 4) int shape,
                      @ForAll @IntRange(min = 0, max = 10) int tenths, @ForAll @IntRange(min = 1, max = 3) int threads,
                      @ForAll boolean bias) {
        Random r = new Random(tokens * 31L + nbr * 7L + nbc * 3L + shape + tenths * 101L);
        int[] b = BLOCKS[shape];
        Bsr w = Bsr.random(r, nbr * b[0], nbc * b[1], b[0], b[1], tenths / 10.0, -1);
        for (CpuKernels k : KernelSets.all()) {
            check(k, r, tokens, w, bias, threads);
        }
    }

    @Test
    void planBalancesStoredBlocks() {
        // 1 heavy block row (100 blocks) and 99 light ones (1 block): the heavy one is split over token groups
        int nbr = 100;
        int[] rp = new int[nbr + 1];
        for (int R = 0; R < nbr; R++) {
            rp[R + 1] = rp[R] + (R == 40 ? 100 : 1);
        }
        BsrGemm.Plan p = BsrGemm.Plan.of(rp, nbr, 86, 2);
        int heavyPieces = 0;
        boolean[] covered = new boolean[nbr * 86];
        for (int t = 0; t < p.count; t++) {
            for (int R = p.r0[t]; R < p.r1[t]; R++) {
                for (int g = p.p0[t]; g < p.p1[t]; g++) {
                    assertTrue(!covered[R * 86 + g], "covered twice: row " + R + " group " + g);
                    covered[R * 86 + g] = true;
                }
            }
            if (p.r0[t] == 40) {
                heavyPieces++;
            }
        }
        for (boolean c : covered) {
            assertTrue(c);
        }
        assertTrue(heavyPieces >= 4, "heavy block row split into " + heavyPieces + " pieces");
        BsrGemm.Plan one = BsrGemm.Plan.of(rp, nbr, 86, 1);
        assertEquals(1, one.count);
    }

    @Test
    void validation() {
        float[] x = new float[2 * 32];
        float[] y = new float[2 * 32];
        int[] rp = {0, 1};
        int[] cols = {0};
        float[] v = new float[32 * 32];
        assertMessage("tokens: expected >= 1, got 0", () -> BsrGemm.linear(x, 0, 32, 32, 32, 32, rp, cols, v, null, y, 1));
        assertMessage("threads: expected >= 1, got 0", () -> BsrGemm.linear(x, 2, 32, 32, 32, 32, rp, cols, v, null, y, 0));
        assertMessage("blockRows: expected 16, 32 or 64, got 24",
                () -> BsrGemm.linear(x, 2, 32, 48, 24, 32, rp, cols, v, null, y, 1));
        assertMessage("blockCols: expected 16, 32 or 64, got 8",
                () -> BsrGemm.linear(x, 2, 32, 32, 32, 8, rp, cols, v, null, y, 1));
        assertMessage("out: expected a multiple of blockRows = 32, got 48",
                () -> BsrGemm.linear(x, 2, 32, 48, 32, 32, rp, cols, v, null, y, 1));
        assertMessage("in: expected a multiple of blockCols = 64, got 32",
                () -> BsrGemm.linear(x, 2, 32, 32, 32, 64, rp, cols, v, null, y, 1));
        assertMessage("rowPointers.length: expected 2 (out/blockRows + 1), got 3",
                () -> BsrGemm.linear(x, 2, 32, 32, 32, 32, new int[] {0, 1, 1}, cols, v, null, y, 1));
        assertMessage("rowPointers[0]: expected 0, got 1",
                () -> BsrGemm.linear(x, 2, 32, 32, 32, 32, new int[] {1, 1}, cols, v, null, y, 1));
        assertMessage("rowPointers[1]: expected 1 (columnIndices.length), got 0",
                () -> BsrGemm.linear(x, 2, 32, 32, 32, 32, new int[] {0, 0}, cols, v, null, y, 1));
        assertMessage("rowPointers[2]: expected >= rowPointers[1] = 2, got 1",
                () -> BsrGemm.linear(new float[64], 1, 64, 64, 32, 32, new int[] {0, 2, 1}, new int[] {0, 1},
                        new float[2048], null, new float[64], 1));
        assertMessage("columnIndices[0]: expected 0..0 (in/blockCols - 1), got 1",
                () -> BsrGemm.linear(x, 2, 32, 32, 32, 32, rp, new int[] {1}, v, null, y, 1));
        assertMessage("columnIndices[1]: expected > 1 (strictly ascending in block row 0), got 0",
                () -> BsrGemm.linear(new float[64], 1, 64, 32, 32, 32, new int[] {0, 2}, new int[] {1, 0},
                        new float[2048], null, new float[32], 1));
        assertMessage("values.length: expected 1024 (blocks*blockRows*blockCols = 1*32*32), got 1000",
                () -> BsrGemm.linear(x, 2, 32, 32, 32, 32, rp, cols, new float[1000], null, y, 1));
        assertMessage("x.length: expected 96 (tokens*in = 3*32), got 64",
                () -> BsrGemm.linear(x, 3, 32, 32, 32, 32, rp, cols, v, null, new float[96], 1));
        assertMessage("y.length: expected 64 (tokens*out = 2*32), got 32",
                () -> BsrGemm.linear(x, 2, 32, 32, 32, 32, rp, cols, v, null, new float[32], 1));
        assertMessage("bias.length: expected 32 (out), got 31",
                () -> BsrGemm.linear(x, 2, 32, 32, 32, 32, rp, cols, v, new float[31], y, 1));
        assertMessage("x: expected non-null, got null",
                () -> BsrGemm.linear(null, 2, 32, 32, 32, 32, rp, cols, v, null, y, 1));
        assertMessage("columnIndices: expected non-null, got null",
                () -> BsrGemm.linear(x, 2, 32, 32, 32, 32, rp, null, v, null, y, 1));
        assertMessage("values.length: expected 1024 (blocks*blockRows*blockCols = 1*32*32), got 1000",
                () -> ScalarReference.bsrLinear(x, 2, 32, 32, 32, 32, rp, cols, new float[1000], null, y));
    }

    static void assertMessage(String expected, org.junit.jupiter.api.function.Executable call) {
        Sparse24GemmTest.assertMessage(expected, call);
    }
}
