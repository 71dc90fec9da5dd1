package dev.sparsekernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sparsekernels.cpu.DenseGemm;
import dev.sparsekernels.cpu.ScalarReference;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** A prepared dense W on the CPU backend gives the tensor overload's results, and is a copy that cannot change. */
class DenseMatrixTest {

    private static float[] random(Random r, int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = (float) r.nextGaussian();
        }
        return a;
    }

    /** Relative to the sum of |x·w| terms of each output, so the bound scales with what the sum cancels. */
    private static void assertClose(String what, float[] x, float[] w, float[] b, int tokens, int in, int out,
                                    float[] actual) {
        float[] ref = new float[tokens * out];
        ScalarReference.denseLinear(x, tokens, in, w, out, b, ref);
        for (int t = 0; t < tokens; t++) {
            for (int o = 0; o < out; o++) {
                double mag = b == null ? 0 : Math.abs(b[o]);
                for (int k = 0; k < in; k++) {
                    mag += Math.abs((double) x[t * in + k] * w[o * in + k]);
                }
                double err = Math.abs(ref[t * out + o] - actual[t * out + o]);
                assertTrue(err <= 1e-6 * in * (mag + 1e-30), what + ": token " + t + ", output " + o + ": expected "
                        + ref[t * out + o] + " got " + actual[t * out + o]);
            }
        }
    }

    @ParameterizedTest(name = "tokens={0} in={1} out={2}")
    @CsvSource({"1,3,1", "1,384,130", "2,37,17", "4,64,40", "5,37,17", "8,384,130", "9,64,40", "16,3,5",
            "17,384,130", "100,37,17", "700,64,40", "20,2052,9"})
    void matchesTheTensorOverloadAndTheReference(int tokens, int in, int out) {
        Random r = new Random(tokens * 131L + in * 7L + out);
        float[] x = random(r, tokens * in);
        float[] w = random(r, out * in);
        float[] b = random(r, out);
        try (Kernels k = Kernels.cpu(2);
                Tensor xt = Tensor.of(x, tokens, in);
                Tensor wt = Tensor.of(w, out, in);
                Tensor bt = Tensor.of(b, out);
                DenseMatrix m = DenseMatrix.of(wt);
                Tensor ym = k.linear(xt, m, bt);
                Tensor ymNoBias = k.linear(xt, m, null);
                Tensor yt = k.linear(xt, wt, bt)) {
            assertArrayEquals(new long[] {tokens, out}, ym.shape());
            assertEquals(DType.F32, ym.dtype());
            assertClose("with bias", x, w, b, tokens, in, out, ym.toFloatArray());
            assertClose("without bias", x, w, null, tokens, in, out, ymNoBias.toFloatArray());
            if (!DenseGemm.preparedPays(tokens, in, out)) {
                // the same row-major path on the same W: the same bits, not just close
                assertArrayEquals(yt.toFloatArray(), ym.toFloatArray());
            }
        }
    }

    @Test
    void fewTokensOnALargeWeightTakeThePreparedPanels() {
        // more than 2M floats of W: 5-8 tokens pack instead of running dot products (GemmDriver.denseDot)
        int in = 1024, out = 2056, tokens = 6;
        assertTrue(DenseGemm.preparedPays(tokens, in, out), "the case must exercise the prepared path");
        assertTrue(!DenseGemm.preparedPays(tokens, 2052, 1024), "past 2048 inputs the row-major path runs");
        Random r = new Random(3);
        float[] x = random(r, tokens * in);
        float[] w = random(r, out * in);
        try (Kernels k = Kernels.cpu(2);
                Tensor xt = Tensor.of(x, tokens, in);
                DenseMatrix m = DenseMatrix.of(w, out, in);
                Tensor y = k.linear(xt, m, null)) {
            assertClose("prepared", x, w, null, tokens, in, out, y.toFloatArray());
            assertSame(m.cpuWeights(), m.cpuWeights(), "prepared once and cached");
        }
    }

    @Test
    void leadingDimensionsAreKept() {
        Random r = new Random(4);
        float[] x = random(r, 2 * 3 * 8);
        float[] w = random(r, 5 * 8);
        try (Kernels k = Kernels.cpu(1);
                Tensor xt = Tensor.of(x, 2, 3, 8);
                DenseMatrix m = DenseMatrix.of(w, 5, 8);
                Tensor y = k.linear(xt, m, null);
                Tensor x1 = Tensor.of(new float[8], 8);
                Tensor y1 = k.linear(x1, m, null)) {
            assertArrayEquals(new long[] {2, 3, 5}, y.shape());
            assertClose("rank 3", x, w, null, 6, 8, 5, y.toFloatArray());
            assertArrayEquals(new long[] {5}, y1.shape());
        }
    }

    @Test
    void isACopyOfItsSourceAndHandsOutCopies() {
        float[] w = {1, 2, 3, 4, 5, 6};
        try (Tensor wt = Tensor.of(w.clone(), 2, 3); DenseMatrix fromTensor = DenseMatrix.of(wt);
                DenseMatrix fromArray = DenseMatrix.of(w, 2, 3)) {
            wt.buffer().putFloat(0, 100f); // the tensor changes after the copy
            w[1] = 200f;
            assertArrayEquals(new float[] {1, 2, 3, 4, 5, 6}, fromTensor.toDenseArray());
            assertArrayEquals(new float[] {1, 2, 3, 4, 5, 6}, fromArray.toDenseArray());
            fromArray.toDenseArray()[0] = -1f;
            assertArrayEquals(new float[] {1, 2, 3, 4, 5, 6}, fromArray.toDenseArray());
            assertEquals(2, fromArray.rows());
            assertEquals(3, fromArray.cols());
            assertEquals(2, fromArray.outFeatures());
            assertEquals(3, fromArray.inFeatures());
            try (Tensor d = fromArray.toDense()) {
                assertArrayEquals(new long[] {2, 3}, d.shape());
                assertArrayEquals(new float[] {1, 2, 3, 4, 5, 6}, d.toFloatArray());
            }
        }
    }

    @Test
    void keepsTheDtypeOfItsTensor() {
        float[] w = {0.5f, -1.25f, 3f, 7f};
        try (Tensor h = Tensor.of(DType.F16, w, 2, 2); DenseMatrix m = DenseMatrix.of(h);
                DenseMatrix f = DenseMatrix.of(w, 2, 2)) {
            assertEquals(DType.F16, m.dtype());
            assertEquals(DType.F32, f.dtype());
            assertArrayEquals(w, m.toDenseArray());
            assertTrue(m.toString().contains("[2, 2] f16"), m.toString());
        }
    }

    @Test
    void badArgumentsAreNamed() {
        assertMessage("W: expected a [out, in] tensor but got null", () -> DenseMatrix.of(null));
        assertMessage("w: expected 6 elements (2 x 3) but got 5", () -> DenseMatrix.of(new float[5], 2, 3));
        assertMessage("w: expected 6 elements (2 x 3) but got null", () -> DenseMatrix.of(null, 2, 3));
        assertMessage("W shape: expected positive [out, in] but got [0, 3]", () -> DenseMatrix.of(new float[0], 0, 3));
        try (Tensor v = Tensor.of(new float[4], 4)) {
            assertMessage("W: expected rank 2 [out, in] but got shape [4]", () -> DenseMatrix.of(v));
        }
        try (Kernels k = Kernels.cpu(1); Tensor x = Tensor.of(new float[6], 2, 3);
                DenseMatrix m = DenseMatrix.of(new float[8], 2, 4)) {
            assertMessage("W: expected a dense matrix but got null", () -> k.linear(x, (DenseMatrix) null, null));
            RuntimeException e = assertThrows(IllegalArgumentException.class, () -> k.linear(x, m, null));
            assertTrue(e.getMessage().contains("W's in = 4"), e.getMessage());
        }
    }

    @Test
    void aClosedMatrixIsRefused() {
        Tensor w = Tensor.of(new float[6], 2, 3);
        w.close();
        assertEquals("W: tensor is closed",
                assertThrows(IllegalStateException.class, () -> DenseMatrix.of(w)).getMessage());
        DenseMatrix m = DenseMatrix.of(new float[6], 2, 3);
        m.close();
        m.close(); // twice is harmless
        assertTrue(m.isClosed());
        try (Kernels k = Kernels.cpu(1); Tensor x = Tensor.of(new float[3], 1, 3)) {
            assertEquals("W: dense matrix is closed",
                    assertThrows(IllegalStateException.class, () -> k.linear(x, m, null)).getMessage());
        }
        assertThrows(IllegalStateException.class, m::toDenseArray);
        assertThrows(IllegalStateException.class, m::cpuWeights);
        assertTrue(m.toString().endsWith("(closed)"), m.toString());
    }

    private static void assertMessage(String expected, org.junit.jupiter.api.function.Executable call) {
        assertEquals(expected, assertThrows(IllegalArgumentException.class, call).getMessage());
    }
}
