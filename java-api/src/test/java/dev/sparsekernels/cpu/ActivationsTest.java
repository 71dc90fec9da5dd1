package dev.sparsekernels.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * GELU for the model's CPU path against an independent reference: the textbook x·Φ(x) with erfc from its series
 * and continued fraction in double, so neither the A&S approximation nor the float vector code is checked against
 * itself.
 */
class ActivationsTest {
    /** erfc(z) for z >= 0: 1 - Maclaurin series of erf up to 2.5 (cancellation stays below 1e-14), then the
     * continued fraction e^{-z²}/√π · 1/(z + (1/2)/(z + 1/(z + (3/2)/(z + ...)))), which converges fast there. */
    static double erfc(double z) {
        if (z <= 2.5) {
            double sum = 0;
            double term = z; // (-1)^n z^(2n+1) / n!
            for (int n = 0; n < 100; n++) {
                sum += term / (2 * n + 1);
                term *= -z * z / (n + 1);
            }
            return 1 - 2 / Math.sqrt(Math.PI) * sum;
        }
        double f = z;
        for (int k = 200; k >= 1; k--) {
            f = z + (k / 2.0) / f;
        }
        return Math.exp(-z * z) / Math.sqrt(Math.PI) / f;
    }

    /** x·Φ(x) = x·(1 − ½ erfc(x/√2)) for x >= 0 and x·½ erfc(|x|/√2) below, without cancellation. */
    static double gelu(double x) {
        double half = 0.5 * erfc(Math.abs(x) / Math.sqrt(2));
        return x >= 0 ? x * (1 - half) : x * half;
    }

    private static float[] inputs() {
        Random r = new Random(5);
        float[] x = new float[40_011]; // not a multiple of the chunk or vector length: tails run too
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) (r.nextGaussian() * 3);
        }
        x[0] = 0f;
        x[1] = -0f;
        x[2] = 1e-30f;
        x[3] = -6.9f;
        x[4] = 6.9f;
        return x;
    }

    @Test
    void bothKernelsMatchTheSeriesReference() {
        for (ElementwiseKernels k : kernels()) {
            float[] x = inputs();
            float[] y = x.clone();
            Activations.gelu(k, y, 2);
            double worst = 0;
            for (int i = 0; i < x.length; i++) {
                double expected = gelu(x[i]);
                // A&S 7.1.26 is within 1.5e-7 of erf, so GELU within 0.75e-7·|x|; float rounding adds ~1e-7 relative
                double err = Math.abs(y[i] - expected) / (Math.abs(x[i]) + 1e-30);
                worst = Math.max(worst, err);
            }
            assertTrue(worst < 4e-7, k.describe() + ": worst error relative to |x| " + worst);
        }
    }

    /**
     * Every float in [4.5, 6] and its negative, where Φ is within 4e-6 of 1 or 0 and the vector kernels' fit comes
     * within an ulp of ½: GELU(x) stays in [0, x] (in [x, 0] for negative x), so Φ never leaves [0, 1] and GELU
     * never changes sign; past the clamp it is exactly x and −0.
     */
    @Test
    void nearTheClampGeluStaysBetweenZeroAndX() {
        int lo = Float.floatToRawIntBits(4.5f);
        int hi = Float.floatToRawIntBits(6f);
        float[] x = new float[2 * (hi - lo + 1)];
        for (int b = lo, i = 0; b <= hi; b++, i += 2) {
            x[i] = Float.intBitsToFloat(b);
            x[i + 1] = -x[i];
        }
        for (ElementwiseKernels k : kernels()) {
            float[] y = x.clone();
            k.gelu(y, 0, y.length);
            for (int i = 0; i < x.length; i++) {
                float v = x[i];
                boolean inside = v > 0 ? y[i] >= 0 && y[i] <= v : y[i] <= 0 && y[i] >= v;
                assertTrue(inside, k.describe() + ": GELU(" + v + ") = " + y[i]);
                if (k instanceof VectorElementwise && Math.abs(v) >= VectorElementwise.GELU_CLAMP
                        && i < x.length - 16) { // the last few go through the scalar tail
                    assertEquals(v > 0 ? v : -0f, y[i], 0f, k.describe() + ": past the clamp, at " + v);
                }
            }
        }
    }

    @Test
    void specialValuesBehaveAsTheFormulaSays() {
        for (ElementwiseKernels k : kernels()) {
            float[] x = {Float.POSITIVE_INFINITY, Float.NaN, 0f, -40f, 40f, Float.NEGATIVE_INFINITY, -13f, 13f, 0f};
            Activations.gelu(k, x, 1);
            assertEquals(Float.POSITIVE_INFINITY, x[0], k.describe());
            assertTrue(Float.isNaN(x[1]), k.describe());
            assertEquals(0f, x[2], k.describe());
            assertEquals(0f, x[3], 1e-30, k.describe()); // far negative: GELU underflows to (minus) zero
            assertEquals(40f, x[4], k.describe());
            assertTrue(Float.isNaN(x[5]), k.describe() + ": -inf · Φ(-inf) = -inf · 0"); // as x·Φ(x) in IEEE
            assertEquals(0f, x[6], 1e-30, k.describe()); // past the vector kernel's clamp of z at 9
            assertEquals(13f, x[7], k.describe());
        }
    }

    @Test
    void resultDoesNotDependOnTheThreadCount() {
        float[] one = inputs();
        float[] three = one.clone();
        Activations.gelu(one, 1);
        Activations.gelu(three, 3);
        assertArrayEquals(one, three);
    }

    @Test
    void badArgumentsAreNamed() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Activations.gelu(null, 2));
        assertTrue(e.getMessage().contains("x"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Activations.gelu(new float[3], 0));
        assertTrue(e.getMessage().contains("threads"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Activations.parallelFor(2, -1, i -> { }));
        assertTrue(e.getMessage().contains("tasks"), e.getMessage());
    }

    @Test
    void layerNormRowsMatchADoubleReferenceInEveryKernel() {
        Random r = new Random(6);
        for (ElementwiseKernels k : kernels()) {
            for (int n : new int[] {1, 7, 8, 16, 37, 384, 1000}) {
                for (boolean withResidual : new boolean[] {false, true}) {
                    float[] gamma = new float[n];
                    float[] beta = new float[n];
                    for (int i = 0; i < n; i++) {
                        gamma[i] = 1f + 0.2f * (float) r.nextGaussian();
                        beta[i] = 0.1f * (float) r.nextGaussian();
                    }
                    int off = 3; // rows start anywhere in the array
                    float[] x = new float[off + n + 2];
                    float[] res = withResidual ? new float[x.length] : null;
                    for (int i = 0; i < x.length; i++) {
                        // offset means, as real activations have; at 1000 a float mean alone is off by 1e-4
                        x[i] = (n % 2 == 0 ? 1000f : 5f) + 2f * (float) r.nextGaussian();
                        if (res != null) {
                            res[i] = (float) r.nextGaussian();
                        }
                    }
                    double[] sum = new double[n];
                    double mean = 0;
                    for (int i = 0; i < n; i++) {
                        sum[i] = res == null ? x[off + i] : (double) (x[off + i] + res[off + i]);
                        mean += sum[i];
                    }
                    mean /= n;
                    double var = 0;
                    for (int i = 0; i < n; i++) {
                        var += (sum[i] - mean) * (sum[i] - mean);
                    }
                    double inv = 1 / Math.sqrt(var / n + 1e-5);
                    float[] y = x.clone();
                    k.layerNormRow(y, res, off, n, gamma, beta, 1e-5f);
                    String what = k.describe() + " n=" + n + " residual=" + withResidual;
                    assertEquals(x[off - 1], y[off - 1], what + ": before the row");
                    assertEquals(x[off + n], y[off + n], what + ": after the row");
                    for (int i = 0; i < n; i++) {
                        double expected = (sum[i] - mean) * inv * gamma[i] + beta[i];
                        assertEquals(expected, y[off + i], 2e-5 * Math.max(1, Math.abs(expected)), what + " at " + i);
                    }
                }
            }
        }
    }

    /** The plain kernels and every Vector API width this JVM can build (256, and 512 where its species is). */
    private static ElementwiseKernels[] kernels() {
        java.util.List<ElementwiseKernels> list = new java.util.ArrayList<>();
        list.add(ScalarElementwise.INSTANCE);
        float[] probe = {1f};
        Activations.gelu(probe, 1); // loads the class; the vector kernels when the module is present
        if (Activations.describe().startsWith("Vector")) {
            list.add(new VectorElementwise(false));
            try {
                list.add(new VectorElementwise(true));
            } catch (UnsupportedOperationException e) {
                // no 512-bit species on this machine
            }
        }
        return list.toArray(new ElementwiseKernels[0]);
    }
}
