package dev.sparsekernels.model.prune;

import dev.sparsekernels.cpu.Activations;

/**
 * After some inputs of a linear layer y = W·x + b are removed, refits the weights on the kept inputs so the layer's
 * output over the calibration data changes as little as possible (least squares, with intercept):
 * <pre>
 *   minimise  Σ_t ‖ W x_t + b − (W' x_t,K + b') ‖² / n  +  λ ‖ W' − W[:, K] ‖²     over W' [out, k], b' [out]
 *   W' = W[:, K] + W[:, R] · C[R, K] · (C[K, K] + λI)⁻¹      b' = b + W μ − W' μ_K
 * </pre>
 * with C the covariance and μ the mean of the inputs ({@link InputGram}), K the kept and R the removed inputs, and a
 * damping λ = {@code damping · mean(diag C)} that keeps the system well posed when inputs are nearly collinear
 * (as SparseGPT dampens its Hessian). The damping pulls towards the kept weights as they were, not towards zero, so
 * nothing removed means nothing changed. When the removed inputs are uncorrelated with the kept ones this is FLAP's
 * bias compensation (W' = W[:, K], b' = b + W[:, R] · μ_R); when they are correlated the kept weights also take over
 * what the removed inputs carried. This is also the weight update of Optimal Brain Surgeon for the same kept set.
 */
public final class LeastSquaresRefit {
    /** Default damping: 1% of the mean input variance (SparseGPT's default, relative to the Hessian's diagonal). */
    public static final double DEFAULT_DAMPING = 0.01;

    private LeastSquaresRefit() {
    }

    /** The refitted weight W' [out, k] and bias b' [out]. */
    public record Result(float[] weight, float[] bias) {
    }

    /**
     * @param w       W [out, n] row-major
     * @param bias    b [out], or null for none
     * @param kept    kept input indices, strictly ascending in [0, n)
     * @param gram    statistics of the n inputs over calibration data
     * @param damping λ relative to the mean kept variance, >= 0
     */
    public static Result refit(float[] w, int out, float[] bias, int[] kept, InputGram gram, double damping,
            int threads) {
        if (gram == null) {
            throw new IllegalArgumentException("gram: expected statistics of the layer's inputs but got null");
        }
        int n = gram.width();
        if (out < 1 || w == null || w.length != (long) out * n) {
            throw new IllegalArgumentException("w: expected [" + out + ", " + n + "] (" + (long) out * n
                    + " values) but got " + (w == null ? "null" : w.length));
        }
        if (bias != null && bias.length != out) {
            throw new IllegalArgumentException("bias: expected " + out + " values but got " + bias.length);
        }
        checkKept(kept, n);
        if (!(damping >= 0) || Double.isInfinite(damping)) {
            throw new IllegalArgumentException("damping: expected a number >= 0 but got " + damping);
        }
        int k = kept.length;
        int[] removed = complement(kept, n);
        int rc = removed.length;
        double[] c = gram.covariance();
        double[] mean = gram.mean();
        double[] ckk = new double[k * k];
        for (int a = 0; a < k; a++) {
            for (int b = 0; b < k; b++) {
                ckk[a * k + b] = c[kept[a] * n + kept[b]];
            }
        }
        double lambda = damping * meanDiagonal(c, n);
        if (!(lambda > 0)) {
            lambda = 1e-12; // no damping asked (or constant inputs): a tiny ridge keeps the system solvable
        }
        for (int a = 0; a < k; a++) {
            ckk[a * k + a] += lambda;
        }
        float[] w2 = new float[out * k];
        if (rc > 0) {
            // (C[K,K] + λI) · Z = C[K,R] · W[:,R]ᵀ  [k, out];  W' = W[:,K] + Zᵀ
            double[] r = new double[k * out];
            Activations.parallelFor(threads, k, a -> {
                int row = kept[a] * n;
                for (int o = 0; o < out; o++) {
                    double s = 0;
                    for (int j = 0, wo = o * n; j < rc; j++) {
                        s += c[row + removed[j]] * w[wo + removed[j]];
                    }
                    r[a * out + o] = s;
                }
            });
            double[] z = Cholesky.solve(ckk, k, r, out, threads);
            for (int o = 0; o < out; o++) {
                for (int a = 0; a < k; a++) {
                    w2[o * k + a] = (float) (w[o * n + kept[a]] + z[a * out + o]);
                }
            }
        } else {
            for (int o = 0; o < out; o++) {
                for (int a = 0; a < k; a++) {
                    w2[o * k + a] = w[o * n + kept[a]];
                }
            }
        }
        float[] b2 = new float[out];
        for (int o = 0; o < out; o++) {
            double b = bias == null ? 0 : bias[o];
            for (int j = 0; j < n; j++) {
                b += (double) w[o * n + j] * mean[j];
            }
            for (int a = 0; a < k; a++) {
                b -= (double) w2[o * k + a] * mean[kept[a]];
            }
            b2[o] = (float) b;
        }
        return new Result(w2, b2);
    }

    /** mean(diag C) of an [n, n] matrix: the scale the damping is relative to. */
    static double meanDiagonal(double[] c, int n) {
        double d = 0;
        for (int j = 0; j < n; j++) {
            d += c[j * n + j];
        }
        return d / n;
    }

    /** The indices of [0, n) not in kept (ascending). */
    static int[] complement(int[] kept, int n) {
        int[] removed = new int[n - kept.length];
        for (int j = 0, a = 0, r = 0; j < n; j++) {
            if (a < kept.length && kept[a] == j) {
                a++;
            } else {
                removed[r++] = j;
            }
        }
        return removed;
    }

    private static void checkKept(int[] kept, int n) {
        if (kept == null || kept.length == 0) {
            throw new IllegalArgumentException("kept: expected 1.." + n + " input indices but got "
                    + (kept == null ? "null" : "none"));
        }
        for (int i = 0; i < kept.length; i++) {
            if (kept[i] < 0 || kept[i] >= n || (i > 0 && kept[i] <= kept[i - 1])) {
                throw new IllegalArgumentException("kept[" + i + "]: expected strictly ascending indices in 0.."
                        + (n - 1) + " but got " + kept[i]);
            }
        }
    }
}
