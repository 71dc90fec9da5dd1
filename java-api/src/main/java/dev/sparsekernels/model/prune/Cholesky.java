package dev.sparsekernels.model.prune;

import dev.sparsekernels.cpu.Activations;

/**
 * Solves A·X = B for a symmetric positive definite A [n, n] by Cholesky factorisation A = L·Lᵀ in double, for the
 * normal equations of a least-squares refit. Row-major throughout; the right-hand sides are solved in parallel.
 */
final class Cholesky {
    private Cholesky() {
    }

    /**
     * @param a [n, n] symmetric positive definite (only the lower triangle is read; not changed)
     * @param b [n, m] right-hand sides (not changed)
     * @return X [n, m]
     * @throws IllegalArgumentException when a is not positive definite (naming the pivot), or sizes do not fit
     */
    static double[] solve(double[] a, int n, double[] b, int m, int threads) {
        if (n < 1 || m < 1 || a == null || a.length != (long) n * n || b == null || b.length != (long) n * m) {
            throw new IllegalArgumentException("a, b: expected [" + n + ", " + n + "] and [" + n + ", " + m
                    + "] but got " + (a == null ? "null" : a.length) + " and " + (b == null ? "null" : b.length)
                    + " values");
        }
        double[] l = factor(a, n);
        double[] u = new double[l.length]; // Lᵀ, so the back substitution also reads rows
        for (int i = 0; i < n; i++) {
            for (int j = 0; j <= i; j++) {
                u[j * n + i] = l[i * n + j];
            }
        }
        double[] x = new double[n * m];
        Activations.parallelFor(threads, m, col -> {
            double[] y = new double[n];
            for (int i = 0; i < n; i++) { // L y = b
                double s = b[i * m + col];
                for (int k = 0, li = i * n; k < i; k++) {
                    s -= l[li + k] * y[k];
                }
                y[i] = s / l[i * n + i];
            }
            for (int i = n - 1; i >= 0; i--) { // Lᵀ x = y
                double s = y[i];
                for (int k = i + 1, ui = i * n; k < n; k++) {
                    s -= u[ui + k] * y[k];
                }
                y[i] = s / u[i * n + i];
            }
            for (int i = 0; i < n; i++) {
                x[i * m + col] = y[i];
            }
        });
        return x;
    }

    /** The lower-triangular L with A = L·Lᵀ (upper part zero). */
    static double[] factor(double[] a, int n) {
        double[] l = new double[n * n];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j <= i; j++) {
                double s = a[i * n + j];
                for (int k = 0, li = i * n, lj = j * n; k < j; k++) {
                    s -= l[li + k] * l[lj + k];
                }
                if (i == j) {
                    if (!(s > 0)) {
                        throw new IllegalArgumentException("a: not positive definite (pivot " + i + " is " + s
                                + "); add damping");
                    }
                    l[i * n + i] = Math.sqrt(s);
                } else {
                    l[i * n + j] = s / l[j * n + j];
                }
            }
        }
        return l;
    }
}
