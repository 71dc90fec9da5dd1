package dev.sparsekernels.model.prune;

import dev.sparsekernels.cpu.Activations;

/**
 * The inverse of a symmetric positive definite matrix by Gauss-Jordan elimination without pivoting (stable for such
 * matrices, whose pivots stay positive), in double and in place. Each pivot updates every other row with one scaled
 * row (an axpy, which the JIT vectorises), rows split over threads.
 */
final class SymmetricInverse {
    /** Rows per parallel task. */
    private static final int ROWS = 64;

    private SymmetricInverse() {
    }

    /**
     * @param a [n, n] symmetric positive definite; overwritten with its inverse
     * @throws IllegalArgumentException when a pivot is not positive (a not positive definite; add damping)
     */
    static void invertInPlace(double[] a, int n, int threads) {
        if (n < 1 || a == null || a.length != (long) n * n) {
            throw new IllegalArgumentException("a: expected [" + n + ", " + n + "] but got "
                    + (a == null ? "null" : a.length + " values"));
        }
        double[] pivotRow = new double[n];
        for (int k = 0; k < n; k++) {
            double p = a[k * n + k];
            if (!(p > 0)) {
                throw new IllegalArgumentException("a: not positive definite (pivot " + k + " is " + p
                        + "); add damping");
            }
            double inv = 1 / p;
            for (int j = 0; j < n; j++) {
                pivotRow[j] = a[k * n + j] * inv;
            }
            pivotRow[k] = inv;
            final int kk = k;
            Activations.parallelFor(threads, (n + ROWS - 1) / ROWS, t -> {
                for (int i = t * ROWS, end = Math.min(n, i + ROWS); i < end; i++) {
                    if (i == kk) {
                        continue;
                    }
                    int row = i * n;
                    double f = a[row + kk];
                    a[row + kk] = 0; // becomes -f/p below, through pivotRow[k] = 1/p
                    for (int j = 0; j < n; j++) {
                        a[row + j] -= f * pivotRow[j];
                    }
                }
            });
            System.arraycopy(pivotRow, 0, a, k * n, n);
        }
    }
}
