package dev.sparsekernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sparsekernels.cpu.ScalarReference;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

/** Kernels.cpu().linear through the public API against the scalar reference, for dense and 2:4 weights. */
class CpuKernelsLinearTest {

    private static float[] random(Random r, int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = (float) r.nextGaussian();
        }
        return a;
    }

    private static void assertClose(float[] expected, float[] actual, double tol) {
        assertEquals(expected.length, actual.length);
        for (int i = 0; i < expected.length; i++) {
            assertTrue(Math.abs(expected[i] - actual[i]) <= tol * (1 + Math.abs(expected[i])),
                    "element " + i + ": expected " + expected[i] + " got " + actual[i]);
        }
    }

    @ParameterizedTest
    @CsvSource({"1,8,3", "7,36,17", "33,64,40", "129,260,33"})
    void denseAndSparseMatchTheScalarReference(int tokens, int in, int out) {
        Random r = new Random(tokens * 31L + in);
        float[] x = random(r, tokens * in);
        float[] w = random(r, out * in);
        float[] b = random(r, out);
        try (Kernels k = Kernels.cpu(2);
                Tensor xt = Tensor.of(x, tokens, in);
                Tensor wt = Tensor.of(w, out, in);
                Tensor bt = Tensor.of(b, out);
                Sparse24Matrix s = Sparse24Matrix.prune(wt);
                Tensor yd = k.linear(xt, wt, bt);
                Tensor ys = k.linear(xt, s, bt)) {
            float[] ref = new float[tokens * out];
            ScalarReference.denseLinear(x, tokens, in, w, out, b, ref);
            // F32 accumulation of `in` products against a double reference: relative 1e-5 * in is generous enough
            // for reordering and tight enough to catch a wrong element.
            assertClose(ref, yd.toFloatArray(), 1e-5 * in);
            float[] refSparse = new float[tokens * out];
            ScalarReference.denseLinear(x, tokens, in, s.toDenseArray(), out, b, refSparse);
            assertClose(refSparse, ys.toFloatArray(), 1e-5 * in);
            assertArrayEquals(new long[] {tokens, out}, ys.shape());
        }
    }

    @Test
    void halfPrecisionInputsAreWidenedExactly() {
        Random r = new Random(5);
        int tokens = 3;
        int in = 16;
        int out = 5;
        try (Kernels k = Kernels.cpu(1);
                Tensor x = Tensor.of(DType.F16, random(r, tokens * in), tokens, in);
                Tensor w = Tensor.of(DType.BF16, random(r, out * in), out, in);
                Tensor y = k.linear(x, w, null)) {
            float[] ref = new float[tokens * out];
            ScalarReference.denseLinear(x.toFloatArray(), tokens, in, w.toFloatArray(), out, null, ref);
            assertClose(ref, y.toFloatArray(), 1e-5 * in);
        }
    }

    @Test
    void leadingDimensionsAreTokens() {
        try (Kernels k = Kernels.cpu(1);
                Tensor x = Tensor.of(new float[2 * 3 * 8], 2, 3, 8);
                Tensor w = Tensor.of(new float[4 * 8], 4, 8);
                Tensor y = k.linear(x, w, null)) {
            assertArrayEquals(new long[] {2, 3, 4}, y.shape());
        }
    }

    @Test
    void shapeMismatchesNameTheArgument() {
        try (Kernels k = Kernels.cpu(1);
                Tensor x = Tensor.of(new float[12], 3, 4);
                Tensor w = Tensor.of(new float[40], 5, 8);
                Tensor w2 = Tensor.of(new float[20], 5, 4);
                Tensor bias = Tensor.of(new float[3], 3)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> k.linear(x, w, null));
            assertTrue(e.getMessage().startsWith("x:"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> k.linear(x, w2, bias));
            assertTrue(e.getMessage().startsWith("bias:"), e.getMessage());
            x.close();
            assertThrows(IllegalStateException.class, () -> k.linear(x, w2, null));
        }
    }

    @Test
    void autoFallsBackToCpuAndSaysWhy() {
        // This machine (and CI) has no GPU: auto must pick the CPU and give the reason.
        try (Kernels k = Kernels.auto()) {
            if (!k.device().isCuda()) {
                assertTrue(k.describe().startsWith("cpu (auto: "), k.describe());
            }
        }
    }
}
