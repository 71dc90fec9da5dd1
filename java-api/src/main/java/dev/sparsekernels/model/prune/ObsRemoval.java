package dev.sparsekernels.model.prune;

import dev.sparsekernels.cpu.Activations;

/**
 * Structured Optimal Brain Surgeon (Hassibi and Stork 1993; per group of inputs as in ZipLM, Kurtic et al. 2023):
 * chooses which groups of a linear layer's inputs to remove (single FFN channels, or whole heads of headDim
 * channels) by the least output error they leave after the best update of the remaining weights, one group at a
 * time, updating the weights after each. With H the damped input covariance (see {@link LeastSquaresRefit}) and
 * M = (H⁻¹[G, G])⁻¹ for a group G, removing G costs {@code Σ_o W[o, G] · M · W[o, G]ᵀ} and updates
 * {@code W −= W[:, G] · M · H⁻¹[G, :]} and {@code H⁻¹ −= H⁻¹[:, G] · M · H⁻¹[G, :]}. Unlike scores of one channel at
 * a time (magnitude, FLAP), this sees correlations: of two channels carrying the same signal, one goes for almost
 * nothing. The bias is refitted as in {@link LeastSquaresRefit}, to which the final weights are equal.
 */
final class ObsRemoval {
    /** Rows per parallel task of the updates. */
    private static final int ROWS = 32;

    private ObsRemoval() {
    }

    /** Kept input indices (ascending) and the layer on them: W' [out, kept], b' [out]. */
    record Result(int[] kept, float[] weight, float[] bias) {
    }

    /**
     * @param w            W [out, n] row-major, n = gram.width()
     * @param bias         b [out] or null
     * @param groupSize    inputs per group (1 for channels, headDim for heads); divides n
     * @param removeGroups how many groups to remove, in [0, n / groupSize)
     * @param damping      λ relative to the mean input variance, > 0 (the inverse needs it)
     */
    static Result remove(float[] w, int out, float[] bias, InputGram gram, int groupSize, int removeGroups,
            double damping, int threads) {
        int n = gram.width();
        if (groupSize < 1 || n % groupSize != 0) {
            throw new IllegalArgumentException("groupSize: expected a divisor of " + n + " but got " + groupSize);
        }
        int groups = n / groupSize;
        if (removeGroups < 0 || removeGroups >= groups) {
            throw new IllegalArgumentException("removeGroups: expected 0.." + (groups - 1) + " but got "
                    + removeGroups);
        }
        if (out < 1 || w == null || w.length != (long) out * n) {
            throw new IllegalArgumentException("w: expected [" + out + ", " + n + "] but got "
                    + (w == null ? "null" : w.length + " values"));
        }
        if (!(damping > 0) || Double.isInfinite(damping)) {
            throw new IllegalArgumentException("damping: expected a number > 0 but got " + damping);
        }
        double[] hinv = gram.covariance();
        double lambda = Math.max(damping * LeastSquaresRefit.meanDiagonal(hinv, n), 1e-12);
        for (int j = 0; j < n; j++) {
            hinv[j * n + j] += lambda;
        }
        SymmetricInverse.invertInPlace(hinv, n, threads);
        double[] wt = new double[n * out]; // Wᵀ: the row of input j holds its weights to every output
        for (int o = 0; o < out; o++) {
            for (int j = 0; j < n; j++) {
                wt[j * out + o] = w[o * n + j];
            }
        }
        boolean[] gone = new boolean[groups];
        for (int step = 0; step < removeGroups; step++) {
            int best = -1;
            double bestCost = Double.POSITIVE_INFINITY;
            for (int g = 0; g < groups; g++) {
                if (!gone[g]) {
                    double cost = cost(wt, out, hinv, n, g * groupSize, groupSize);
                    if (cost < bestCost || best < 0) {
                        bestCost = cost;
                        best = g;
                    }
                }
            }
            removeGroup(wt, out, hinv, n, best * groupSize, groupSize, gone, threads);
            gone[best] = true;
        }
        int[] kept = new int[(groups - removeGroups) * groupSize];
        int k = 0;
        for (int g = 0; g < groups; g++) {
            for (int d = 0; !gone[g] && d < groupSize; d++) {
                kept[k++] = g * groupSize + d;
            }
        }
        float[] w2 = new float[out * kept.length];
        for (int a = 0; a < kept.length; a++) {
            for (int o = 0; o < out; o++) {
                w2[o * kept.length + a] = (float) wt[kept[a] * out + o];
            }
        }
        double[] mean = gram.mean();
        float[] b2 = new float[out];
        for (int o = 0; o < out; o++) {
            double b = bias == null ? 0 : bias[o];
            for (int j = 0; j < n; j++) {
                b += (double) w[o * n + j] * mean[j];
            }
            for (int a = 0; a < kept.length; a++) {
                b -= (double) w2[o * kept.length + a] * mean[kept[a]];
            }
            b2[o] = (float) b;
        }
        return new Result(kept, w2, b2);
    }

    /** Σ_o W[o, G] · M · W[o, G]ᵀ for the group of size d at g0. */
    static double cost(double[] wt, int out, double[] hinv, int n, int g0, int d) {
        if (d == 1) {
            double s = 0;
            for (int o = 0, r = g0 * out; o < out; o++) {
                s += wt[r + o] * wt[r + o];
            }
            return s / hinv[g0 * n + g0];
        }
        double[] m = blockInverse(hinv, n, g0, d);
        double s = 0;
        double[] v = new double[d];
        for (int o = 0; o < out; o++) {
            for (int a = 0; a < d; a++) {
                v[a] = wt[(g0 + a) * out + o];
            }
            for (int a = 0; a < d; a++) {
                double row = 0;
                for (int b = 0; b < d; b++) {
                    row += m[a * d + b] * v[b];
                }
                s += v[a] * row;
            }
        }
        return s;
    }

    /** Removes the group at g0 from Wᵀ and H⁻¹: every row r still present gets r −= (H⁻¹[r, G] · M) · row G. */
    private static void removeGroup(double[] wt, int out, double[] hinv, int n, int g0, int d, boolean[] gone,
            int threads) {
        double[] m = blockInverse(hinv, n, g0, d);
        double[] gw = new double[d * out]; // rows of the group, copied: they are updated too below
        double[] gh = new double[d * n];
        for (int a = 0; a < d; a++) {
            System.arraycopy(wt, (g0 + a) * out, gw, a * out, out);
            System.arraycopy(hinv, (g0 + a) * n, gh, a * n, n);
        }
        int groupSize = d;
        Activations.parallelFor(threads, (n + ROWS - 1) / ROWS, t -> {
            double[] c = new double[groupSize];
            for (int r = t * ROWS, end = Math.min(n, r + ROWS); r < end; r++) {
                if (gone[r / groupSize] || (r >= g0 && r < g0 + groupSize)) {
                    continue;
                }
                for (int a = 0; a < groupSize; a++) {
                    double s = 0;
                    for (int b = 0; b < groupSize; b++) {
                        s += hinv[r * n + g0 + b] * m[b * groupSize + a];
                    }
                    c[a] = s;
                }
                for (int a = 0; a < groupSize; a++) {
                    double f = c[a];
                    for (int o = 0, wr = r * out, ga = a * out; o < out; o++) {
                        wt[wr + o] -= f * gw[ga + o];
                    }
                    for (int j = 0, hr = r * n, ha = a * n; j < n; j++) {
                        hinv[hr + j] -= f * gh[ha + j];
                    }
                }
            }
        });
    }

    /** (H⁻¹[G, G])⁻¹ for the group of size d at g0. */
    private static double[] blockInverse(double[] hinv, int n, int g0, int d) {
        double[] m = new double[d * d];
        for (int a = 0; a < d; a++) {
            System.arraycopy(hinv, (g0 + a) * n + g0, m, a * d, d);
        }
        SymmetricInverse.invertInPlace(m, d, 1);
        return m;
    }
}
