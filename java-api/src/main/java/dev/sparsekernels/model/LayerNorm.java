package dev.sparsekernels.model;

import dev.sparsekernels.cpu.Activations;

/**
 * LayerNorm over the last dimension, in place: {@code y = (x - mean) / sqrt(var + eps) · gamma + beta} with the
 * biased variance, as torch.nn.LayerNorm. Rows run on {@link Activations#layerNormRow}: two passes for mean and
 * variance, summed in one fixed order (float vectors where the Vector API runs, else double), so a row's result does
 * not depend on the thread count.
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
            Activations.layerNormRow(x, null, off, n, gamma, beta, eps);
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
                Activations.layerNormRow(x, residual, off, n, gamma, beta, eps);
            }
        });
    }
}
