package dev.sparsekernels.model.prune;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

/** The refit and its solver on data where the best answer is known. */
class LeastSquaresRefitTest {
    private static final Random R = new Random(4);

    @Test
    void choleskySolvesASymmetricPositiveDefiniteSystem() {
        int n = 9;
        int m = 4;
        double[] q = new double[n * n];
        for (int i = 0; i < q.length; i++) {
            q[i] = R.nextGaussian();
        }
        double[] a = new double[n * n]; // QᵀQ + I
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) {
                double s = i == j ? 1 : 0;
                for (int k = 0; k < n; k++) {
                    s += q[k * n + i] * q[k * n + j];
                }
                a[i * n + j] = s;
            }
        }
        double[] b = new double[n * m];
        for (int i = 0; i < b.length; i++) {
            b[i] = R.nextGaussian();
        }
        double[] x = Cholesky.solve(a, n, b, m, 2);
        for (int i = 0; i < n; i++) {
            for (int c = 0; c < m; c++) {
                double s = 0;
                for (int k = 0; k < n; k++) {
                    s += a[i * n + k] * x[k * m + c];
                }
                assertEquals(b[i * m + c], s, 1e-10);
            }
        }
    }

    @Test
    void choleskyRefusesAMatrixThatIsNotPositiveDefinite() {
        double[] a = {1, 2, 2, 1}; // eigenvalues 3 and -1
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Cholesky.solve(a, 2, new double[2], 1, 1));
        assertTrue(e.getMessage().contains("not positive definite"), e.getMessage());
    }

    /** Inputs [t, n]: kept ones random, removed ones exact linear combinations of kept ones plus a constant. */
    @Test
    void removedInputsThatTheKeptOnesDetermineAreReconstructedExactly() {
        int t = 300;
        int n = 6;
        int out = 3;
        int[] kept = {0, 2, 3, 5};
        float[] x = new float[t * n];
        for (int s = 0; s < t; s++) {
            for (int j : kept) {
                x[s * n + j] = (float) R.nextGaussian();
            }
            x[s * n + 1] = 2 * x[s * n] - x[s * n + 3] + 0.5f;
            x[s * n + 4] = x[s * n + 5] - 1f;
        }
        float[] w = randomFloats(out * n);
        float[] b = randomFloats(out);
        InputGram g = new InputGram(n, 1);
        g.accept(x, t);
        LeastSquaresRefit.Result r = LeastSquaresRefit.refit(w, out, b, kept, g, 0.0, 2);
        for (int s = 0; s < t; s++) {
            for (int o = 0; o < out; o++) {
                double full = b[o];
                for (int j = 0; j < n; j++) {
                    full += w[o * n + j] * x[s * n + j];
                }
                double refit = r.bias()[o];
                for (int a = 0; a < kept.length; a++) {
                    refit += r.weight()[o * kept.length + a] * x[s * n + kept[a]];
                }
                assertEquals(full, refit, 1e-3, "sample " + s + " output " + o);
            }
        }
    }

    /** A removed input uncorrelated with the kept ones: the refit is FLAP's bias compensation, nothing more. */
    @Test
    void anUncorrelatedRemovedInputFoldsItsMeanIntoTheBias() {
        // x0 and x1 take all four sign combinations equally often: sample covariance exactly 0
        float[] x = {1, 4, -1, 4, 1, 2, -1, 2};
        float[] w = {0.5f, 3f};
        float[] b = {0.25f};
        InputGram g = new InputGram(2, 1);
        g.accept(x, 4);
        LeastSquaresRefit.Result r = LeastSquaresRefit.refit(w, 1, b, new int[] {0}, g, 0.0, 1);
        assertEquals(0.5f, r.weight()[0], 1e-6);
        assertEquals(0.25 + 3 * 3, r.bias()[0], 1e-6); // mean of x1 is 3
    }

    @Test
    void dampingPullsTheCompensationTowardsTheKeptWeights() {
        int t = 200;
        float[] x = new float[t * 2];
        for (int s = 0; s < t; s++) {
            x[2 * s] = (float) R.nextGaussian();
            x[2 * s + 1] = 0.8f * x[2 * s] + 0.6f * (float) R.nextGaussian(); // correlated with x0
        }
        InputGram g = new InputGram(2, 1);
        g.accept(x, t);
        float[] w = {1f, 1f};
        assertEquals(1f, LeastSquaresRefit.refit(w, 1, null, new int[] {0, 1}, g, 5.0, 1).weight()[1], 0f,
                "nothing removed: the layer as it was, whatever the damping");
        double c01 = g.covariance()[1];
        double c00 = g.covariance()[0];
        float plain = LeastSquaresRefit.refit(w, 1, null, new int[] {0}, g, 0.0, 1).weight()[0];
        float damped = LeastSquaresRefit.refit(w, 1, null, new int[] {0}, g, 1.0, 1).weight()[0];
        assertEquals(1 + c01 / c00, plain, 1e-5); // x0 takes over x1's regression on it
        double c11 = g.covariance()[3];
        double lambda = (c00 + c11) / 2; // damping 1: λ = mean input variance
        assertEquals(1 + c01 / (c00 + lambda), damped, 1e-5);
    }

    @Test
    void badInputIsNamed() {
        InputGram g = new InputGram(3, 1);
        g.accept(new float[] {1, 2, 3, 4, 5, 6}, 2);
        float[] w = new float[6];
        assertMessage("kept[1]", () -> LeastSquaresRefit.refit(w, 2, null, new int[] {1, 1}, g, 0.01, 1));
        assertMessage("kept[0]", () -> LeastSquaresRefit.refit(w, 2, null, new int[] {3}, g, 0.01, 1));
        assertMessage("kept:", () -> LeastSquaresRefit.refit(w, 2, null, new int[0], g, 0.01, 1));
        assertMessage("w:", () -> LeastSquaresRefit.refit(new float[5], 2, null, new int[] {0}, g, 0.01, 1));
        assertMessage("bias:", () -> LeastSquaresRefit.refit(w, 2, new float[3], new int[] {0}, g, 0.01, 1));
        assertMessage("damping:", () -> LeastSquaresRefit.refit(w, 2, null, new int[] {0}, g, -1, 1));
        assertMessage("gram:", () -> LeastSquaresRefit.refit(w, 2, null, new int[] {0}, null, 0.01, 1));
    }

    private static void assertMessage(String start, org.junit.jupiter.api.function.Executable call) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
        assertTrue(e.getMessage().startsWith(start), e.getMessage());
    }

    private static float[] randomFloats(int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = (float) R.nextGaussian();
        }
        return a;
    }
}
