package dev.sparsekernels.cpu;

import static org.junit.jupiter.api.Assertions.fail;

import java.util.Random;

/** Shared helpers: random data and the tolerance check against {@link ScalarReference}. */
final class Oracle {
    private Oracle() {}

    static final double U = Math.ulp(1.0f) / 2; // float32 unit roundoff, 2^-24

    static float[] random(Random r, int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = r.nextFloat() * 2 - 1;
        }
        return a;
    }

    /**
     * Tolerance: a float32 dot product of length n (any summation order) is within about n*u*sum|x||w| of the
     * exact value (Higham's gamma_n bound); we allow 2*(n+2)*u*(sum_k |x_k||w_k| + |b|) plus 1e-30, compared to the
     * double-accumulated reference. {@code wDense} is W [out, in] (zeros where pruned).
     */
    static void assertClose(String what, float[] y, float[] ref, float[] x, int tokens, int in, float[] wDense, int out,
                            float[] bias) {
        for (int t = 0; t < tokens; t++) {
            for (int o = 0; o < out; o++) {
                double scale = bias == null ? 0 : Math.abs(bias[o]);
                for (int k = 0; k < in; k++) {
                    scale += Math.abs((double) x[t * in + k] * wDense[o * in + k]);
                }
                double tol = 2.0 * (in + 2) * U * scale + 1e-30;
                int i = t * out + o;
                if (!(Math.abs(y[i] - ref[i]) <= tol)) {
                    fail(what + ": y[" + t + "][" + o + "] = " + y[i] + ", reference " + ref[i] + ", |diff| "
                            + Math.abs(y[i] - ref[i]) + " > tolerance " + tol);
                }
            }
        }
    }
}
