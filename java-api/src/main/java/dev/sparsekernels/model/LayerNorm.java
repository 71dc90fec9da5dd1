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

    /** A copy of the gain. */
    public float[] gamma() {
        return gamma.clone();
    }

    /** A copy of the shift. */
    public float[] beta() {
        return beta.clone();
    }

    public float eps() {
        return eps;
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
        apply(x, null, threads);
    }

    /**
     * {@code x = LayerNorm(x + residual)} row by row (the float sum first, exactly as adding the arrays beforehand
     * would), in one pass over memory instead of two: a transformer's post-LN residual. {@code residual} null: plain
     * {@link #apply(float[], int)}.
     */
    public void apply(float[] x, float[] residual, int threads) {
        int n = gamma.length;
        if (x.length % n != 0) {
            throw new IllegalArgumentException("x: expected a multiple of the width " + n + " but got " + x.length
                    + " values");
        }
        if (residual != null && residual.length != x.length) {
            throw new IllegalArgumentException("residual: expected " + x.length + " values (as x) but got "
                    + residual.length);
        }
        int rows = x.length / n;
        int tasks = (rows + ROWS_PER_TASK - 1) / ROWS_PER_TASK;
        Activations.parallelFor(threads, tasks, t -> {
            int end = Math.min(rows, (t + 1) * ROWS_PER_TASK) * n;
            for (int off = t * ROWS_PER_TASK * n; off < end; off += n) {
                if (residual != null) {
                    for (int i = off; i < off + n; i++) {
                        x[i] += residual[i];
                    }
                }
                row(x, off, n);
            }
        });
    }

    /**
     * Four partial sums per pass, each over a fixed quarter of the lanes: a single double accumulator made each pass a
     * chain of dependent adds (about 5% of MiniLM's time in the two LayerNorms); the order is still fixed, so the
     * result still does not depend on threads or tiers.
     */
    private void row(float[] x, int off, int n) {
        double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
        int i = 0;
        for (; i + 4 <= n; i += 4) {
            s0 += x[off + i];
            s1 += x[off + i + 1];
            s2 += x[off + i + 2];
            s3 += x[off + i + 3];
        }
        for (; i < n; i++) {
            s0 += x[off + i];
        }
        double mean = ((s0 + s1) + (s2 + s3)) / n;
        double q0 = 0, q1 = 0, q2 = 0, q3 = 0;
        i = 0;
        for (; i + 4 <= n; i += 4) {
            double d0 = x[off + i] - mean, d1 = x[off + i + 1] - mean;
            double d2 = x[off + i + 2] - mean, d3 = x[off + i + 3] - mean;
            q0 += d0 * d0;
            q1 += d1 * d1;
            q2 += d2 * d2;
            q3 += d3 * d3;
        }
        for (; i < n; i++) {
            double d = x[off + i] - mean;
            q0 += d * d;
        }
        double inv = 1.0 / Math.sqrt(((q0 + q1) + (q2 + q3)) / n + eps);
        for (i = 0; i < n; i++) {
            x[off + i] = (float) ((x[off + i] - mean) * inv * gamma[i] + beta[i]);
        }
    }
}
