package dev.sparsekernels.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sparsekernels.cpu.BsrGemmTest.Bsr;
import java.util.Arrays;
import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

/**
 * BSR with W prepared ({@link BsrWeights}) in every loop order of {@link BsrPreparedDriver}, with the Vector API and
 * the plain-Java kernels: against {@link ScalarReference#bsrLinear} within {@link Oracle}'s bound, and bit for bit
 * against the one-off path where that one runs its panel kernels (more than {@link BsrGemm#DOT_MAX_TOKENS} tokens).
 */
class BsrWeightsTest {
    static final int[] TOKENS = {1, 2, 5, 6, 7, 13, 48, 49, 130};

    /** The loop orders under test; GROUPED with groups of at most 1,000 Wᵀ floats, so small matrices get several. */
    static final BsrPreparedDriver.Order[] ORDERS = BsrPreparedDriver.Order.values();

    static float[] prepared(CpuKernels k, float[] x, int tokens, Bsr w, float[] bias, int threads,
                            BsrPreparedDriver.Order order) {
        BsrWeights p = BsrWeights.of(w.out, w.in, w.br, w.bc, w.rp, w.cols, w.values);
        float[] y = new float[tokens * w.out];
        Arrays.fill(y, Float.NaN); // every element must be written
        BsrPreparedDriver.run(k, x, tokens, p, bias, y, threads, order,
                order == BsrPreparedDriver.Order.GROUPED ? 1000 : Long.MAX_VALUE);
        return y;
    }

    static void check(CpuKernels k, Random r, int tokens, Bsr w, boolean withBias, int threads) {
        float[] x = Oracle.random(r, tokens * w.in);
        float[] bias = withBias ? Oracle.random(r, w.out) : null;
        float[] ref = new float[tokens * w.out];
        ScalarReference.bsrLinear(x, tokens, w.in, w.out, w.br, w.bc, w.rp, w.cols, w.values, bias, ref);
        float[] oneOff = new float[tokens * w.out];
        BsrGemm.linear(k, x, tokens, w.in, w.out, w.br, w.bc, w.rp, w.cols, w.values, bias, oneOff, threads);
        for (BsrPreparedDriver.Order order : ORDERS) {
            String what = k.describe() + " prepared bsr " + w.br + "x" + w.bc + " tokens=" + tokens + " in=" + w.in
                    + " out=" + w.out + " blocks=" + w.cols.length + " bias=" + withBias + " threads=" + threads
                    + " " + order;
            float[] y = prepared(k, x, tokens, w, bias, threads, order);
            Oracle.assertClose(what, y, ref, x, tokens, w.in, w.dense(), w.out, bias);
            if (tokens > BsrGemm.DOT_MAX_TOKENS) {
                assertArrayEquals(oneOff, y, what + ": differs from the one-off path");
            }
        }
    }

    @Test
    void blockShapesDensitiesAndTokenTails() {
        Random r = new Random(31);
        double[] densities = {0.0, 0.1, 0.4, 1.0};
        int n = 0;
        for (CpuKernels k : BsrGemmTest.kernels()) {
            for (int[] b : BsrGemmTest.BLOCKS) {
                for (double d : densities) {
                    Bsr w = Bsr.random(r, 2 * 64, 3 * 64, b[0], b[1], d, -1);
                    for (int tokens : TOKENS) {
                        n++;
                        check(k, r, tokens, w, n % 2 == 0, 1 + n % 3);
                    }
                }
            }
        }
    }

    @Test
    void oneHeavyBlockRowAmongEmptyOnes() {
        Random r = new Random(32);
        for (CpuKernels k : BsrGemmTest.kernels()) {
            Bsr w = Bsr.random(r, 6 * 32, 16 * 32, 32, 32, 0.0, 2);
            for (int tokens : new int[] {1, 7, 130}) {
                check(k, r, tokens, w, true, 2);
            }
        }
    }

    @Test
    void absentBlocksAreNeverRead() {
        // X column 0 is NaN and no stored block covers it: every output is exactly the bias (stored blocks hold zeros)
        Random r = new Random(33);
        int out = 64, in = 96;
        Bsr w = new Bsr(out, in, 32, 32, new int[] {0, 1, 2}, new int[] {1, 2}, new float[2 * 32 * 32]);
        Bsr empty = new Bsr(out, in, 32, 32, new int[] {0, 0, 0}, new int[0], new float[0]);
        for (CpuKernels k : BsrGemmTest.kernels()) {
            for (int tokens : new int[] {1, 7, 96}) {
                float[] x = Oracle.random(r, tokens * in);
                x[0] = Float.NaN;
                float[] b = Oracle.random(r, out);
                for (Bsr m : new Bsr[] {w, empty}) {
                    for (BsrPreparedDriver.Order order : ORDERS) {
                        float[] y = prepared(k, x, tokens, m, b, 2, order);
                        for (int t = 0; t < tokens; t++) {
                            for (int o = 0; o < out; o++) {
                                assertEquals(b[o], y[t * out + o], 0f, "t=" + t + " o=" + o);
                            }
                        }
                        y = prepared(k, x, tokens, m, null, 1, order);
                        for (float v : y) {
                            assertEquals(0f, v, 0f);
                        }
                    }
                }
            }
        }
    }

    @Test
    void threadCountsAndOrdersGiveTheSameResult() {
        Random r = new Random(34);
        Bsr w = Bsr.random(r, 8 * 32, 8 * 32, 32, 32, 0.3, 5);
        float[] x = Oracle.random(r, 130 * w.in);
        CpuKernels k = CpuVectorization.kernels();
        float[] y1 = prepared(k, x, 130, w, null, 1, BsrPreparedDriver.Order.PANELS_OUTER);
        for (int threads = 1; threads <= 3; threads++) {
            for (BsrPreparedDriver.Order order : ORDERS) {
                assertArrayEquals(y1, prepared(k, x, 130, w, null, threads, order), threads + " threads " + order);
            }
        }
        float[] y = new float[130 * w.out];
        BsrGemm.linear(x, 130, BsrWeights.of(w.out, w.in, 32, 32, w.rp, w.cols, w.values), null, y, 2);
        assertArrayEquals(y1, y);
    }

    @Property(tries = 40)
    void randomShapes(@ForAll @IntRange(min = 1, max = 70) int tokens, @ForAll @IntRange(min = 1, max = 4) int nbr,
                      @ForAll @IntRange(min = 1, max = 5) int nbc, @ForAll @IntRange(min = 0, max = 4) int shape,
                      @ForAll @IntRange(min = 0, max = 10) int tenths, @ForAll @IntRange(min = 1, max = 3) int threads,
                      @ForAll boolean bias) {
        Random r = new Random(tokens * 37L + nbr * 11L + nbc * 5L + shape + tenths * 103L);
        int[] b = BsrGemmTest.BLOCKS[shape];
        Bsr w = Bsr.random(r, nbr * b[0], nbc * b[1], b[0], b[1], tenths / 10.0, -1);
        for (CpuKernels k : KernelSets.all()) {
            check(k, r, tokens, w, bias, threads);
        }
    }

    @Test
    void panelGroupsCoverEveryPanelOnceAndBalanceSteps() {
        BsrWeights w = oneHeavyRow();
        for (int groups = 1; groups <= 40; groups++) {
            int[] b = BsrPreparedDriver.panelGroups(w, 32, Math.min(32, groups));
            assertEquals(0, b[0]);
            assertEquals(32, b[b.length - 1]);
            for (int i = 0; i + 1 < b.length; i++) {
                assertTrue(b[i] < b[i + 1], "empty group " + i + " of " + Arrays.toString(b));
            }
            assertTrue(b.length - 1 <= Math.min(32, groups));
        }
        int[] two = BsrPreparedDriver.panelGroups(w, 32, 2);
        // costs (steps + 1): 33 per light panel, 1281 for each of the heavy row's panels 6 and 7; half of 3552 is
        // first reached after panel 7
        assertArrayEquals(new int[] {0, 8, 32}, two);
    }

    @Test
    void groupsHoldAtMostTheBudgetAndAtLeastOnePanel() {
        BsrWeights w = oneHeavyRow();
        // a light panel holds 32 steps x 16 = 512 floats, a panel of the heavy row 40 x 512 = 20,480
        assertEquals(2, BsrPreparedDriver.groupEnd(w, 0, 32, 1024));
        assertEquals(1, BsrPreparedDriver.groupEnd(w, 0, 32, 100)); // over budget alone: still one panel
        assertEquals(7, BsrPreparedDriver.groupEnd(w, 6, 32, 30_000)); // the heavy row's panels one per group
        assertEquals(32, BsrPreparedDriver.groupEnd(w, 8, 32, Long.MAX_VALUE));
        assertEquals(6, BsrPreparedDriver.groupEnd(w, 0, 6, Long.MAX_VALUE));
    }

    /** 16 block rows of 32x32 blocks, row 3 with 40 blocks and the others with 1: 32 panels, 2 per block row. */
    static BsrWeights oneHeavyRow() {
        int[] rp = new int[17];
        for (int R = 0; R < 16; R++) {
            rp[R + 1] = rp[R] + (R == 3 ? 40 : 1);
        }
        return BsrWeights.of(16 * 32, 40 * 32, 32, 32, rp, columns(rp, 40), new float[rp[16] * 32 * 32]);
    }

    /** Column indices 0, 1, ... for each block row of rp (at most nbc per row). */
    static int[] columns(int[] rp, int nbc) {
        int[] c = new int[rp[rp.length - 1]];
        for (int R = 0; R + 1 < rp.length; R++) {
            for (int n = rp[R]; n < rp[R + 1]; n++) {
                c[n] = (n - rp[R]) % nbc;
            }
        }
        return c;
    }

    @Test
    void describesItselfAndValidates() {
        BsrWeights w = BsrWeights.of(64, 96, 32, 32, new int[] {0, 1, 3}, new int[] {2, 0, 1}, new float[3 * 1024]);
        assertEquals(64, w.outFeatures());
        assertEquals(96, w.inFeatures());
        assertEquals(3, w.blockCount());
        assertEquals(4L * (3 * 1024 + 3 * 32 + 3), w.memoryBytes());
        assertTrue(w.toString().contains("3 stored"), w.toString());
        BsrGemmTest.assertMessage("columnIndices[2]: expected > 1 (strictly ascending in block row 1), got 1",
                () -> BsrWeights.of(64, 96, 32, 32, new int[] {0, 1, 3}, new int[] {2, 1, 1}, new float[3 * 1024]));
        BsrGemmTest.assertMessage("blockRows: expected 16, 32 or 64, got 8",
                () -> BsrWeights.of(64, 96, 8, 32, new int[] {0, 1, 3}, new int[] {2, 0, 1}, new float[3 * 1024]));
        float[] x = new float[2 * 96];
        float[] y = new float[2 * 64];
        BsrGemmTest.assertMessage("x.length: expected 288 (tokens*in = 3*96), got 192",
                () -> BsrGemm.linear(x, 3, w, null, new float[3 * 64], 1));
        BsrGemmTest.assertMessage("y.length: expected 128 (tokens*out = 2*64), got 64",
                () -> BsrGemm.linear(x, 2, w, null, new float[64], 1));
        BsrGemmTest.assertMessage("bias.length: expected 64 (out), got 63",
                () -> BsrGemm.linear(x, 2, w, new float[63], y, 1));
        BsrGemmTest.assertMessage("w: expected non-null, got null", () -> BsrGemm.linear(x, 2, null, null, y, 1));
        BsrGemmTest.assertMessage("tokens: expected >= 1, got 0", () -> BsrGemm.linear(x, 0, w, null, y, 1));
        BsrGemmTest.assertMessage("threads: expected >= 1, got 0", () -> BsrGemm.linear(x, 2, w, null, y, 0));
    }
}
