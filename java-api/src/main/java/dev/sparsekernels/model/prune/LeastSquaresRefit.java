package dev.sparsekernels.model.prune;

import dev.sparsekernels.cpu.Activations;

/**
 * After some inputs of a linear layer y = W·x + b are removed, refits the weights on the kept inputs so the layer's
 * output over the calibration data changes as little as possible (least squares, with intercept):
 * <pre>
 *   minimise  Σ_t ‖ W x_t + b − (W' x_t,K + b') ‖²   over W' [out, k], b' [out]
 *   W' = W · C[:, K] · (C[K, K] + λI)⁻¹      b' = b + W μ − W' μ_K
 * </pre>
 * with C the covariance and μ the mean of the inputs ({@link InputGram}), K the kept inputs and λ a damping of
 * {@code damping · mean(diag C[K, K])} that keeps the system well posed when inputs are nearly collinear (as
 * SparseGPT dampens its Hessian). When the removed inputs are uncorrelated with the kept ones this is exactly FLAP's
 * bias compensation (W' = W[:, K], b' = b + W[:, removed] · μ_removed); when they are correlated the kept weights
 * also take over what the removed inputs carried.
 */
public final class LeastSquaresRefit {
    /** Default damping: 1% of the mean input variance. */
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
        double[] c = gram.covariance();
        double[] mean = gram.mean();
        double[] ckk = new double[k * k];
        double diag = 0;
        for (int a = 0; a < k; a++) {
            for (int b = 0; b < k; b++) {
                ckk[a * k + b] = c[kept[a] * n + kept[b]];
            }
            diag += ckk[a * k + a];
        }
        double lambda = damping * diag / k;
        if (!(lambda > 0)) {
            lambda = 1e-12; // constant inputs: any tiny ridge makes the system solvable
        }
        for (int a = 0; a < k; a++) {
            ckk[a * k + a] += lambda;
        }
        // right-hand sides R = C[K, :] · Wᵀ  [k, out], so that (C[K,K] + λI) · W'ᵀ = R
        double[] r = new double[k * out];
        Activations.parallelFor(threads, k, a -> {
            int row = kept[a] * n;
            for (int o = 0; o < out; o++) {
                double s = 0;
                for (int j = 0, wo = o * n; j < n; j++) {
                    s += c[row + j] * w[wo + j];
                }
                r[a * out + o] = s;
            }
        });
        double[] wt = Cholesky.solve(ckk, k, r, out, threads);
        float[] w2 = new float[out * k];
        float[] b2 = new float[out];
        for (int o = 0; o < out; o++) {
            double b = bias == null ? 0 : bias[o];
            for (int j = 0; j < n; j++) {
                b += (double) w[o * n + j] * mean[j];
            }
            for (int a = 0; a < k; a++) {
                double v = wt[a * out + o];
                w2[o * k + a] = (float) v;
                b -= v * mean[kept[a]];
            }
            b2[o] = (float) b;
        }
        return new Result(w2, b2);
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
