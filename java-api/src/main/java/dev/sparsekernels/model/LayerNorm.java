package dev.sparsekernels.model;

import dev.sparsekernels.cpu.Activations;

/**
 * LayerNorm over the last dimension, in place: {@code y = (x - mean) / sqrt(var + eps) · gamma + beta} with the
 * biased variance, as torch.nn.LayerNorm. Mean and variance are accumulated in double (two passes) so the result
 * does not depend on the summation order the way a float sum would.
 */
public final class LayerNorm {
    /** Rows per parallel task: enough work (tens of microseconds) to make scheduling negligible. */
    private static final int ROWS_PER_TASK = 64;

    private final float[] gamma;
    private final float[] beta;
    private final float eps;

    public LayerNorm(float[] gamma, float[] beta, float eps) {
        if (gamma == null || beta == null || gamma.length == 0 || gamma.length != beta.length) {
            throw new IllegalArgumentException("gamma, beta: expected two non-empty arrays of one length but got "
                    + (gamma == null ? "null" : gamma.length) + " and " + (beta == null ? "null" : beta.length));
        }
        if (!(eps > 0)) {
            throw new IllegalArgumentException("eps: expected > 0 but got " + eps);
        }
        this.gamma = gamma.clone();
        this.beta = beta.clone();
        this.eps = eps;
    }

    public int width() {
        return gamma.length;
    }

    /** Normalises each of the x.length / width rows of x. */
    public void apply(float[] x) {
        int n = gamma.length;
        if (x.length % n != 0) {
            throw new IllegalArgumentException("x: expected a multiple of the width " + n + " but got " + x.length
                    + " values");
        }
        for (int off = 0; off < x.length; off += n) {
            row(x, off, n);
        }
    }

    /**
     * As {@link #apply(float[])} with the rows split over up to threads threads of the CPU kernels' pool; every row
     * is computed exactly as there, so the result does not depend on the thread count.
     */
    public void apply(float[] x, int threads) {
        int n = gamma.length;
        if (x.length % n != 0) {
            throw new IllegalArgumentException("x: expected a multiple of the width " + n + " but got " + x.length
                    + " values");
        }
        int rows = x.length / n;
        int tasks = (rows + ROWS_PER_TASK - 1) / ROWS_PER_TASK;
        Activations.parallelFor(threads, tasks, t -> {
            int end = Math.min(rows, (t + 1) * ROWS_PER_TASK) * n;
            for (int off = t * ROWS_PER_TASK * n; off < end; off += n) {
                row(x, off, n);
            }
        });
    }

    private void row(float[] x, int off, int n) {
        double sum = 0;
        for (int i = 0; i < n; i++) {
            sum += x[off + i];
        }
        double mean = sum / n;
        double sq = 0;
        for (int i = 0; i < n; i++) {
            double d = x[off + i] - mean;
            sq += d * d;
        }
        double inv = 1.0 / Math.sqrt(sq / n + eps);
        for (int i = 0; i < n; i++) {
            x[off + i] = (float) ((x[off + i] - mean) * inv * gamma[i] + beta[i]);
        }
    }
}
