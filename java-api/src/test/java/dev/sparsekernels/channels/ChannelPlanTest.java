package dev.sparsekernels.channels;

import static dev.sparsekernels.channels.ChannelStatisticsTest.assertMessage;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sparsekernels.DType;
import dev.sparsekernels.Tensor;
import dev.sparsekernels.cpu.DenseGemm;
import dev.sparsekernels.cpu.ScalarReference;
import dev.sparsekernels.prune.ChannelCriteria;
import dev.sparsekernels.prune.ChannelCriterion;
import dev.sparsekernels.prune.ChannelSelection;
import dev.sparsekernels.prune.KeepAmount;
import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

/**
 * Coupled removal against the dense network. Y = W2·gelu(W1·x + b1) + b2; the compacted pair runs on
 * {@link DenseGemm} (float32), the reference on {@link ScalarReference} (double sums, float results).
 * Tolerance per output: 1e-5 · (|b2| + Σ_j |W2[i,j]·h_j|) + 1e-6, float32 accumulation over the hidden dimension
 * plus one rounding of the compensated bias.
 */
class ChannelPlanTest {

    static float gelu(float v) {
        double x = v;
        return (float) (0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x * x * x))));
    }

    static float[] random(Random r, int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = (float) r.nextGaussian();
        }
        return a;
    }

    /** gelu(x·W1ᵀ + b1) [tokens, hidden], by the scalar reference. */
    static float[] hiddenActs(float[] x, int tokens, int in, float[] w1, int hidden, float[] b1) {
        float[] h = new float[tokens * hidden];
        ScalarReference.denseLinear(x, tokens, in, w1, hidden, b1, h);
        for (int i = 0; i < h.length; i++) {
            h[i] = gelu(h[i]);
        }
        return h;
    }

    static void assertCloseMlp(float[] expected, float[] actual, float[] h, float[] w2, float[] b2, int tokens,
            int hidden, int out) {
        for (int t = 0; t < tokens; t++) {
            for (int i = 0; i < out; i++) {
                double scale = b2 == null ? 0 : Math.abs(b2[i]);
                for (int j = 0; j < hidden; j++) {
                    scale += Math.abs((double) w2[i * hidden + j] * h[t * hidden + j]);
                }
                double tol = 1e-5 * scale + 1e-6;
                int k = t * out + i;
                assertTrue(Math.abs(expected[k] - actual[k]) <= tol, "token " + t + ", output " + i + ": expected "
                        + expected[k] + " but got " + actual[k] + " (tol " + tol + ")");
            }
        }
    }

    @Property(tries = 60)
    void removingChannelsEqualsZeroingThemAndCompensationEqualsTheirMean(
            @ForAll @IntRange(min = 1, max = 9) int tokens, @ForAll @IntRange(min = 1, max = 37) int in,
            @ForAll @IntRange(min = 1, max = 70) int hidden, @ForAll @IntRange(min = 1, max = 23) int out,
            @ForAll @IntRange(min = 0, max = 1000) int seed, @ForAll boolean withBiases) {
        Random r = new Random(seed);
        float[] x = random(r, tokens * in);
        float[] w1 = random(r, hidden * in);
        float[] b1 = withBiases ? random(r, hidden) : null;
        float[] w2 = random(r, out * hidden);
        float[] b2 = withBiases ? random(r, out) : null;
        int[] kept = ChannelSelection.topK(randomScores(r, hidden),
                1 + r.nextInt(hidden));
        ChannelPlan plan = ChannelPlan.keep(hidden, kept);
        // calibration activations for the mean (some other inputs through the same layer)
        int samples = 5 + r.nextInt(20);
        float[] calib = hiddenActs(random(r, samples * in), samples, in, w1, hidden, b1);
        double[] mean = ChannelStatistics.of(calib, samples, hidden).mean();

        // dense references: removed channels zeroed (W1 rows and b1), or their activations replaced by the mean
        float[] w1z = w1.clone();
        float[] b1z = b1 == null ? null : b1.clone();
        for (int j : plan.removed()) {
            java.util.Arrays.fill(w1z, j * in, (j + 1) * in, 0f);
            if (b1z != null) {
                b1z[j] = 0;
            }
        }
        float[] hz = hiddenActs(x, tokens, in, w1z, hidden, b1z);
        float[] yZero = new float[tokens * out];
        ScalarReference.denseLinear(hz, tokens, hidden, w2, out, b2, yZero);
        float[] hm = hiddenActs(x, tokens, in, w1, hidden, b1);
        for (int t = 0; t < tokens; t++) {
            for (int j : plan.removed()) {
                hm[t * hidden + j] = (float) mean[j];
            }
        }
        float[] yMean = new float[tokens * out];
        ScalarReference.denseLinear(hm, tokens, hidden, w2, out, b2, yMean);

        try (Tensor tw1 = Tensor.of(w1, hidden, in); Tensor tb1 = b1 == null ? null : Tensor.of(b1, hidden);
                Tensor tw2 = Tensor.of(w2, out, hidden); Tensor tb2 = b2 == null ? null : Tensor.of(b2, out);
                CompactedLayers plain = plan.apply(tw1, tb1, tw2, tb2, null);
                CompactedLayers comp = plan.apply(tw1, tb1, tw2, tb2, mean)) {
            int k = plan.keptCount();
            assertArrayEquals(new long[] {k, in}, plain.w1().shape());
            assertArrayEquals(new long[] {out, k}, plain.w2().shape());
            assertEquals(b1 == null, plain.b1() == null);
            assertEquals(b2 == null, plain.b2() == null);
            float[] y = compactedForward(x, tokens, in, plain, k, out);
            assertCloseMlp(yZero, y, hz, w2, b2, tokens, hidden, out);
            float[] yc = compactedForward(x, tokens, in, comp, k, out);
            assertCloseMlp(yMean, yc, hm, w2, b2, tokens, hidden, out);
        }
    }

    static double[] randomScores(Random r, int n) {
        double[] s = new double[n];
        for (int i = 0; i < n; i++) {
            s[i] = r.nextInt(5); // many ties
        }
        return s;
    }

    /** The compacted MLP on the fast dense kernel. */
    static float[] compactedForward(float[] x, int tokens, int in, CompactedLayers c, int kept, int out) {
        float[] h = new float[tokens * kept];
        DenseGemm.linear(x, tokens, in, c.w1().toFloatArray(), kept, c.b1() == null ? null : c.b1().toFloatArray(),
                h, 2);
        for (int i = 0; i < h.length; i++) {
            h[i] = gelu(h[i]);
        }
        float[] y = new float[tokens * out];
        DenseGemm.linear(h, tokens, kept, c.w2().toFloatArray(), out, c.b2() == null ? null : c.b2().toFloatArray(),
                y, 2);
        return y;
    }

    @Property(tries = 50)
    void gathersEqualNaiveIndexing(@ForAll @IntRange(min = 1, max = 40) int rows,
            @ForAll @IntRange(min = 1, max = 300) int cols, @ForAll @IntRange(min = 0, max = 500) int seed) {
        Random r = new Random(seed);
        float[] m = random(r, rows * cols);
        int[] keptCols = ChannelSelection.topK(randomScores(r, cols), 1 + r.nextInt(cols));
        int[] keptRows = ChannelSelection.topK(randomScores(r, rows), 1 + r.nextInt(rows));
        float[] c = Gather.columns(m, rows, cols, keptCols);
        for (int i = 0; i < rows; i++) {
            for (int k = 0; k < keptCols.length; k++) {
                assertEquals(m[i * cols + keptCols[k]], c[i * keptCols.length + k]);
            }
        }
        float[] g = Gather.rows(m, rows, cols, keptRows);
        for (int k = 0; k < keptRows.length; k++) {
            for (int j = 0; j < cols; j++) {
                assertEquals(m[keptRows[k] * cols + j], g[k * cols + j]);
            }
        }
    }

    @Test
    void halfPrecisionWeightsKeepTheirDtypeAndValues() {
        Random r = new Random(1);
        float[] w = random(r, 6 * 4);
        try (Tensor w1 = Tensor.of(DType.BF16, w, 6, 4); Tensor w2 = Tensor.of(DType.F16, random(r, 3 * 6), 3, 6)) {
            ChannelPlan p = ChannelPlan.keep(6, 0, 2, 5);
            try (CompactedLayers c = p.apply(w1, null, w2, null, null)) {
                assertEquals(DType.BF16, c.w1().dtype());
                assertEquals(DType.F16, c.w2().dtype());
                float[] src = w1.toFloatArray();
                float[] got = c.w1().toFloatArray();
                assertEquals(src[2 * 4 + 3], got[4 + 3]);
                assertNull(c.b1());
                assertNull(c.b2());
            }
        }
    }

    @Test
    void headsExpandToWholeChannelRuns() {
        ChannelPlan p = ChannelPlan.keepHeads(4, 3, 1, 3);
        assertEquals(12, p.hidden());
        assertArrayEquals(new int[] {3, 4, 5, 9, 10, 11}, p.kept());
        assertArrayEquals(new int[] {0, 1, 2, 6, 7, 8}, p.removed());
    }

    @Test
    void badArgumentsAreNamed() {
        assertMessage(assertThrows(IllegalArgumentException.class, () -> ChannelPlan.keep(0, 0)), "hidden",
                "got 0");
        assertMessage(assertThrows(IllegalArgumentException.class, () -> ChannelPlan.keep(4)), "kept", "none");
        assertMessage(assertThrows(IllegalArgumentException.class, () -> ChannelPlan.keep(4, 1, 4)), "kept[1]",
                "0..3", "got 4");
        assertMessage(assertThrows(IllegalArgumentException.class, () -> ChannelPlan.keep(4, 2, 1)), "kept[1]",
                "ascending");
        ChannelPlan p = ChannelPlan.keep(4, 0, 1);
        try (Tensor w1 = Tensor.of(new float[10], 5, 2); Tensor w2 = Tensor.of(new float[8], 2, 4);
                Tensor w1ok = Tensor.of(new float[8], 4, 2); Tensor b1 = Tensor.of(new float[3], 3)) {
            assertMessage(assertThrows(IllegalArgumentException.class, () -> p.apply(w1, null, w2, null, null)),
                    "w1", "[4, in]", "[5, 2]");
            assertMessage(assertThrows(IllegalArgumentException.class, () -> p.apply(w1ok, b1, w2, null, null)),
                    "b1", "[4]", "[3]");
            assertMessage(assertThrows(IllegalArgumentException.class,
                    () -> p.apply(w1ok, null, w2, null, new double[3])), "mean", "4 values", "got 3");
            assertMessage(assertThrows(IllegalArgumentException.class, () -> p.apply(w1ok, null, w1ok, null, null)),
                    "w2", "[out, 4]", "[4, 2]");
        }
    }

    // ---- attention heads and GQA ----

    /**
     * Multi-head / grouped-query attention without positions or masks, all in double: X [T, model],
     * out = concat_h(softmax(Q_h K_g(h)ᵀ / sqrt(D)) V_g(h)) · Woᵀ + bo, g(h) = h / (qHeads / kvHeads). Query heads in
     * headMask false contribute zeros to the concat (the dense "zeroed head").
     */
    static double[] attention(float[] x, int t, int model, float[] wq, float[] wk, float[] wv, float[] wo, float[] bo,
            int qHeads, int kvHeads, int d, int outDim, boolean[] headMask) {
        double[] q = matmul(x, t, model, wq, qHeads * d);
        double[] k = matmul(x, t, model, wk, kvHeads * d);
        double[] v = matmul(x, t, model, wv, kvHeads * d);
        int r = qHeads / kvHeads;
        double[] cat = new double[t * qHeads * d];
        for (int h = 0; h < qHeads; h++) {
            if (headMask != null && !headMask[h]) {
                continue;
            }
            int g = h / r;
            for (int i = 0; i < t; i++) {
                double[] s = new double[t];
                double max = Double.NEGATIVE_INFINITY;
                for (int j = 0; j < t; j++) {
                    double dot = 0;
                    for (int e = 0; e < d; e++) {
                        dot += q[i * qHeads * d + h * d + e] * k[j * kvHeads * d + g * d + e];
                    }
                    s[j] = dot / Math.sqrt(d);
                    max = Math.max(max, s[j]);
                }
                double z = 0;
                for (int j = 0; j < t; j++) {
                    s[j] = Math.exp(s[j] - max);
                    z += s[j];
                }
                for (int e = 0; e < d; e++) {
                    double acc = 0;
                    for (int j = 0; j < t; j++) {
                        acc += s[j] / z * v[j * kvHeads * d + g * d + e];
                    }
                    cat[i * qHeads * d + h * d + e] = acc;
                }
            }
        }
        double[] y = new double[t * outDim];
        for (int i = 0; i < t; i++) {
            for (int o = 0; o < outDim; o++) {
                double acc = bo == null ? 0 : bo[o];
                for (int c = 0; c < qHeads * d; c++) {
                    acc += cat[i * qHeads * d + c] * wo[o * qHeads * d + c];
                }
                y[i * outDim + o] = acc;
            }
        }
        return y;
    }

    static double[] matmul(float[] x, int t, int in, float[] w, int out) {
        double[] y = new double[t * out];
        for (int i = 0; i < t; i++) {
            for (int o = 0; o < out; o++) {
                double acc = 0;
                for (int c = 0; c < in; c++) {
                    acc += (double) x[i * in + c] * w[o * in + c];
                }
                y[i * out + o] = acc;
            }
        }
        return y;
    }

    @Property(tries = 25)
    void removingKvGroupsEqualsZeroingTheirQueryHeads(@ForAll @IntRange(min = 1, max = 4) int kvHeads,
            @ForAll @IntRange(min = 1, max = 3) int headsPerGroup, @ForAll @IntRange(min = 1, max = 5) int d,
            @ForAll @IntRange(min = 1, max = 6) int t, @ForAll @IntRange(min = 0, max = 300) int seed) {
        Random r = new Random(seed);
        int qHeads = kvHeads * headsPerGroup;
        int model = 7;
        int outDim = 5;
        float[] x = random(r, t * model);
        float[] wq = random(r, qHeads * d * model);
        float[] wk = random(r, kvHeads * d * model);
        float[] wv = random(r, kvHeads * d * model);
        float[] wo = random(r, outDim * qHeads * d);
        float[] bo = random(r, outDim);
        // scores: per O-input channel -> per query head -> per KV group
        double[] channel = ChannelCriteria.l1(transpose(wo, outDim, qHeads * d), qHeads * d, outDim);
        double[] groups = ChannelCriteria.groupScores(ChannelCriteria.headScores(channel, d), kvHeads);
        int[] keptGroups = ChannelSelection.perLayer(groups, KeepAmount.count(1 + r.nextInt(kvHeads)), 1);
        AttentionHeadPlan plan = AttentionHeadPlan.keepGroups(qHeads, kvHeads, d, keptGroups);
        boolean[] mask = new boolean[qHeads];
        for (int h : plan.keptQueryHeads()) {
            mask[h] = true;
            assertTrue(java.util.Arrays.binarySearch(keptGroups, h / headsPerGroup) >= 0);
        }
        double[] expected = attention(x, t, model, wq, wk, wv, wo, bo, qHeads, kvHeads, d, outDim, mask);
        try (Tensor tq = Tensor.of(wq, qHeads * d, model); Tensor tk = Tensor.of(wk, kvHeads * d, model);
                Tensor tv = Tensor.of(wv, kvHeads * d, model); Tensor to = Tensor.of(wo, outDim, qHeads * d);
                Tensor tbo = Tensor.of(bo, outDim);
                CompactedAttention c = plan.apply(tq, null, tk, null, tv, null, to, tbo, null)) {
            int kq = plan.keptQueryHeads().length;
            int kg = keptGroups.length;
            assertArrayEquals(new long[] {kq * d, model}, c.wq().shape());
            assertArrayEquals(new long[] {kg * d, model}, c.wk().shape());
            assertArrayEquals(new long[] {kg * d, model}, c.wv().shape());
            assertArrayEquals(new long[] {outDim, kq * d}, c.wo().shape());
            double[] actual = attention(x, t, model, c.wq().toFloatArray(), c.wk().toFloatArray(),
                    c.wv().toFloatArray(), c.wo().toFloatArray(), c.bo().toFloatArray(), kq, kg, d, outDim, null);
            for (int i = 0; i < expected.length; i++) {
                assertEquals(expected[i], actual[i], 1e-9 * (1 + Math.abs(expected[i])), "at " + i);
            }
        }
    }

    static float[] transpose(float[] m, int rows, int cols) {
        float[] t = new float[m.length];
        for (int i = 0; i < rows; i++) {
            for (int j = 0; j < cols; j++) {
                t[j * rows + i] = m[i * cols + j];
            }
        }
        return t;
    }

    @Test
    void gqaGroupsOwnConsecutiveQueryHeads() {
        AttentionHeadPlan p = AttentionHeadPlan.keepGroups(8, 2, 4, 1);
        assertArrayEquals(new int[] {4, 5, 6, 7}, p.keptQueryHeads());
        assertEquals(16, p.queryChannels().keptCount());
        assertArrayEquals(new int[] {4, 5, 6, 7}, p.kvChannels().kept());
        assertMessage(assertThrows(IllegalArgumentException.class, () -> AttentionHeadPlan.keepGroups(8, 3, 4, 0)),
                "kvHeads", "divisor of queryHeads = 8", "got 3");
        assertMessage(assertThrows(IllegalArgumentException.class, () -> AttentionHeadPlan.keepHeads(4, 2, 4)),
                "kept[0]", "0..3", "got 4");
    }

    @Test
    void endToEndWithCriterionOnAFlapScore() {
        // smoke: the FLAP path from statistics to a compensated, compacted pair
        Random r = new Random(9);
        int in = 16, hidden = 64, out = 8, samples = 200;
        float[] w1 = random(r, hidden * in);
        float[] w2 = random(r, out * hidden);
        float[] acts = hiddenActs(random(r, samples * in), samples, in, w1, hidden, null);
        ChannelStatistics st = ChannelStatistics.of(acts, samples, hidden);
        try (Tensor t1 = Tensor.of(w1, hidden, in); Tensor t2 = Tensor.of(w2, out, hidden)) {
            double[] s = ChannelCriteria.score(ChannelCriterion.FLAP, t1, t2, st);
            ChannelPlan p = ChannelPlan.keep(hidden, ChannelSelection.perLayer(s, KeepAmount.ratio(0.5), 16));
            assertEquals(32, p.keptCount());
            try (CompactedLayers c = p.apply(t1, null, t2, null, st.mean())) {
                assertArrayEquals(new long[] {out}, c.b2().shape());
            }
        }
    }
}
