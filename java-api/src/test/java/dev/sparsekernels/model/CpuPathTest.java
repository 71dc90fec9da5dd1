package dev.sparsekernels.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.sparsekernels.BlockSparseMatrix;
import dev.sparsekernels.DType;
import dev.sparsekernels.Kernels;
import dev.sparsekernels.Sparse24Matrix;
import dev.sparsekernels.Tensor;
import dev.sparsekernels.model.text.TokenBatch;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The model's direct CPU path (arrays straight into the CPU kernels, cached weight arrays, stacked Q/K/V, GELU and
 * LayerNorm on threads) must compute what the path through tensors computes.
 */
class CpuPathTest {
    private static final Random RND = new Random(8);

    private static float[] random(int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = (float) RND.nextGaussian();
        }
        return a;
    }

    private static DenseLinear dense(int out, int in, boolean bias) {
        return new DenseLinear(Tensor.of(random(out * in), out, in), bias ? Tensor.of(random(out), out) : null);
    }

    /** The tensor path, whatever the layer's array override does. */
    private static float[] throughTensors(Kernels k, LinearLayer l, float[] x, int rows) {
        try (Tensor t = Tensor.of(x, rows, l.inFeatures()); Tensor y = l.forward(k, t)) {
            return y.toFloatArray();
        }
    }

    /**
     * Equal up to rounding (1e-6 relative): the two sides come from separate calls, which may run at different JIT
     * tiers whose vector reductions add lanes in different orders, so bit equality would be flaky.
     */
    private static void assertClose(float[] expected, float[] actual, String what) {
        assertClose(expected, actual, what, 1e-6f);
    }

    private static void assertClose(float[] expected, float[] actual, String what, float tolerance) {
        assertEquals(expected.length, actual.length, what + ": length");
        for (int i = 0; i < expected.length; i++) {
            assertEquals(expected[i], actual[i], tolerance * Math.max(1f, Math.abs(expected[i])),
                    what + ": element " + i);
        }
    }

    /**
     * Dense layers keep their weight prepared (cpu.DenseWeights) and run the 6 x 16 kernel over 6 tokens instead of 6
     * outputs, so remainder rows and columns go through the 1-row kernel on different elements than the tensor path:
     * the same products, summed in another order. With 96 inputs of unit scale that moves an output by up to a few
     * float32 ulps of the sum's magnitude (~10), measured up to 7.5e-6 relative on outputs near 0.3. 2:4 layers run
     * their 16-row panel kernels where those pay (Sparse24Gemm.panelsPay), which sum each output's two kept elements
     * per group in separate accumulators: the same bound applies (measured 1.8e-6 relative).
     */
    private static final float DENSE_TOLERANCE = 3e-5f;

    @Test
    void everyFormatGivesTheTensorPathsResultsOnArrays() {
        int rows = 37;
        try (Kernels k = Kernels.cpu(2);
                DenseLinear d = dense(64, 96, true);
                Sparse24Linear s = Sparse24Linear.pruneByMagnitude(d);
                BlockSparseLinear b = BlockSparseLinear.pruneByBlockNorm(d, 16, 16, 0.5)) {
            float[] x = random(rows * 96);
            for (LinearLayer l : List.of(d, s, b)) {
                float[] expected = throughTensors(k, l, x, rows);
                float tolerance = l == b ? 1e-6f : DENSE_TOLERANCE;
                assertClose(expected, l.forward(k, DType.F32, x, rows), l.format(), tolerance);
                assertClose(expected, l.forward(k, DType.F32, x, rows), l.format() + ", cached weights", tolerance);
            }
        }
    }

    @Test
    void otherActivationTypesStillGoThroughTheKernelsInterface() {
        int rows = 5;
        try (Kernels k = Kernels.cpu(1); DenseLinear d = dense(8, 16, false)) {
            float[] x = random(rows * 16);
            float[] expected;
            try (Tensor t = Tensor.of(DType.F16, x, rows, 16); Tensor y = d.forward(k, t)) {
                expected = y.toFloatArray(); // rounded to half on the way in
            }
            assertClose(expected, d.forward(k, DType.F16, x, rows), "f16");
        }
    }

    @Test
    void arrayInputOfTheWrongSizeIsNamed() {
        try (Kernels k = Kernels.cpu(1); DenseLinear d = dense(8, 16, false)) {
            assertThrows(IllegalArgumentException.class, () -> d.forward(k, DType.F32, new float[15], 1));
            assertThrows(IllegalArgumentException.class, () -> d.forward(k, DType.F16, new float[15], 1));
        }
    }

    @Test
    void closedLayersRefuseTheArrayPath() {
        try (Kernels k = Kernels.cpu(1)) {
            DenseLinear d = dense(16, 16, true);
            Sparse24Linear s = Sparse24Linear.pruneByMagnitude(d);
            BlockSparseLinear b = BlockSparseLinear.pruneByBlockNorm(d, 16, 16, 1.0);
            float[] x = random(16);
            d.forward(k, DType.F32, x, 1); // caches the weight arrays
            s.forward(k, DType.F32, x, 1);
            for (LinearLayer l : List.of(d, s, b)) {
                l.close();
                assertThrows(IllegalStateException.class, () -> l.forward(k, DType.F32, x, 1), l.format());
            }
        }
    }

    @Test
    void stackedQkvComputesTheThreeProjections() {
        int rows = 29;
        try (Kernels k = Kernels.cpu(2);
                DenseLinear q = dense(32, 48, true);
                DenseLinear kk = dense(32, 48, true);
                DenseLinear v = dense(32, 48, true);
                Sparse24Linear sq = Sparse24Linear.pruneByMagnitude(q);
                Sparse24Linear sk = Sparse24Linear.pruneByMagnitude(kk);
                Sparse24Linear sv = Sparse24Linear.pruneByMagnitude(v)) {
            float[] x = random(rows * 48);
            for (List<LinearLayer> qkv : List.of(List.<LinearLayer>of(q, kk, v), List.<LinearLayer>of(sq, sk, sv))) {
                try (LinearLayer fused = QkvFusion.fuse(qkv.get(0), qkv.get(1), qkv.get(2))) {
                    assertNotNull(fused, qkv.get(0).format());
                    assertEquals(96, fused.outFeatures());
                    float[] y = fused.forward(k, DType.F32, x, rows);
                    for (int p = 0; p < 3; p++) {
                        float[] part = qkv.get(p).forward(k, DType.F32, x, rows);
                        for (int r = 0; r < rows; r++) {
                            for (int c = 0; c < 32; c++) {
                                assertEquals(part[r * 32 + c], y[r * 96 + p * 32 + c], 1e-5,
                                        qkv.get(0).format() + " part " + p + " row " + r);
                            }
                        }
                    }
                }
            }
        }
    }

    @Test
    void mixedFormatsOrBiasesAreNotStacked() {
        try (DenseLinear q = dense(32, 48, true);
                DenseLinear noBias = dense(32, 48, false);
                DenseLinear narrow = dense(16, 48, true);
                Sparse24Linear s = Sparse24Linear.pruneByMagnitude(q)) {
            assertNull(QkvFusion.fuse(q, s, q));
            assertNull(QkvFusion.fuse(q, noBias, q));
            assertNull(QkvFusion.fuse(q, narrow, q));
        }
    }

    @Test
    void parallelLayerNormEqualsTheSerialOne() {
        LayerNorm norm = new LayerNorm(random(48), random(48), 1e-12f);
        float[] x = random(48 * 301);
        float[] serial = x.clone();
        float[] parallel = x.clone();
        norm.apply(serial);
        norm.apply(parallel, 3);
        assertClose(serial, parallel, "parallel layer norm");
    }

    @Test
    void layerNormOfAResidualSumEqualsAddingFirst() {
        LayerNorm norm = new LayerNorm(random(45), random(45), 1e-5f); // 45: a tail after the 4-lane sums
        float[] x = random(45 * 130);
        float[] r = random(45 * 130);
        float[] expected = x.clone();
        for (int i = 0; i < expected.length; i++) {
            expected[i] += r[i];
        }
        norm.apply(expected);
        float[] actual = x.clone();
        norm.apply(actual, r, 2);
        org.junit.jupiter.api.Assertions.assertArrayEquals(expected, actual);
        IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> norm.apply(x.clone(), new float[45], 2));
        org.junit.jupiter.api.Assertions.assertTrue(e.getMessage().startsWith("residual: expected 5850 values"),
                e.getMessage());
    }

    @Test
    void layerNormMatchesItsFormula() {
        int n = 45;
        float[] gamma = random(n);
        float[] beta = random(n);
        LayerNorm norm = new LayerNorm(gamma, beta, 1e-5f);
        float[] x = random(n * 7);
        for (int i = 0; i < n; i++) {
            x[n + i] += 1000f; // a row far from zero mean: the two-pass variance must not cancel
        }
        float[] y = x.clone();
        norm.apply(y, 2);
        for (int row = 0; row < 7; row++) {
            double mean = 0;
            for (int i = 0; i < n; i++) {
                mean += x[row * n + i];
            }
            mean /= n;
            double var = 0;
            for (int i = 0; i < n; i++) {
                var += (x[row * n + i] - mean) * (x[row * n + i] - mean);
            }
            var /= n;
            for (int i = 0; i < n; i++) {
                double want = (x[row * n + i] - mean) / Math.sqrt(var + 1e-5f) * gamma[i] + beta[i];
                org.junit.jupiter.api.Assertions.assertEquals(want, y[row * n + i], 1e-5 * Math.max(1, Math.abs(want)),
                        "row " + row + " col " + i);
            }
        }
    }

    @Test
    void replacingQueryAfterARunIsSeenByTheStackedProjection() {
        BertConfig c = TinyBert.CONFIG;
        Map<String, float[]> params = TinyBert.parameters(c, 4);
        TokenBatch batch = TokenBatch.pad(new int[][] {{1, 2, 3, 4}, {5, 6}}, 0);
        try (Kernels k = Kernels.cpu(2)) {
            float[] before;
            float[] expected;
            float[] actual;
            try (BertEncoder fresh = BertEncoder.create(k, TinyBert.weights(c, params))) {
                replaceQuery(fresh);
                expected = embed(fresh, batch);
            }
            try (BertEncoder used = BertEncoder.create(k, TinyBert.weights(c, params))) {
                before = embed(used, batch); // builds the stacked Q/K/V of the dense weights
                replaceQuery(used);
                actual = embed(used, batch);
            }
            assertClose(expected, actual, "after replacing the query");
            assertThrows(AssertionError.class, () -> assertClose(before, actual, "before")); // the change mattered
        }
    }

    private static void replaceQuery(BertEncoder enc) {
        for (BertLayer layer : enc.layers()) {
            DenseLinear q = (DenseLinear) layer.linear(LinearSlot.QUERY);
            layer.replaceLinear(LinearSlot.QUERY, Sparse24Linear.pruneByMagnitude(q)).close();
        }
    }

    private static float[] embed(BertEncoder enc, TokenBatch batch) {
        try (Tensor e = enc.embed(batch)) {
            return e.toFloatArray();
        }
    }

    @Test
    void parameterCountsFollowTheFormat() {
        try (DenseLinear d = dense(64, 96, true);
                Sparse24Linear s = Sparse24Linear.pruneByMagnitude(d);
                BlockSparseLinear b = BlockSparseLinear.pruneByBlockNorm(d, 32, 32, 0.5);
                DenseLinear noBias = dense(8, 4, false)) {
            assertEquals(64L * 96 + 64, d.parameterCount());
            assertEquals(64L * 96 / 2 + 64, s.parameterCount());
            assertEquals(3L * 32 * 32 + 64, b.parameterCount()); // 6 blocks, half kept
            assertEquals(32, noBias.parameterCount());
        }
        BertConfig c = TinyBert.CONFIG;
        try (BertEncoder enc = BertEncoder.create(Kernels.cpu(1), TinyBert.weights(c, TinyBert.parameters(c, 1)))) {
            long expected = 0;
            for (long[] shape : BertWeights.expectedShapes(c).values()) {
                long n = 1;
                for (long dim : shape) {
                    n *= dim;
                }
                expected += n;
            }
            assertEquals(expected, enc.parameterCount());
        }
    }
}
