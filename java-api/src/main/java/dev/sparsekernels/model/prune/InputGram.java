package dev.sparsekernels.model.prune;

import dev.sparsekernels.cpu.DenseGemm;

/**
 * The second moments of the activations entering a linear layer: {@code Σ_t x_t x_tᵀ} over every calibration row
 * x_t [width], with the row count and the sum of rows, so that the mean and the covariance matrix follow. This is
 * what a least-squares refit of the layer after removing some of its inputs needs ({@link LeastSquaresRefit}).
 *
 * <p>Each batch's {@code XᵀX} is computed by our dense GEMM in float (the batch's rows are a few thousand at most, so
 * float sums keep about 6 significant digits) and added into a double accumulator, so the batches' order does not
 * matter beyond float rounding. Not thread-safe; a batch is split over {@code threads} threads.
 */
public final class InputGram {
    private final int width;
    private final int threads;
    private final double[] gram;
    private final double[] sum;
    private long count;

    public InputGram(int width, int threads) {
        if (width < 1) {
            throw new IllegalArgumentException("width: expected >= 1 but got " + width);
        }
        if (threads < 1) {
            throw new IllegalArgumentException("threads: expected >= 1 but got " + threads);
        }
        this.width = width;
        this.threads = threads;
        this.gram = new double[Math.multiplyExact(width, width)];
        this.sum = new double[width];
    }

    /** Adds rows x [rows, width] (row-major). */
    public void accept(float[] x, int rows) {
        if (rows < 1 || x == null || x.length != (long) rows * width) {
            throw new IllegalArgumentException("x: expected " + rows + " rows of " + width + " values but got "
                    + (x == null ? "null" : x.length + " values"));
        }
        float[] xt = new float[x.length]; // Xᵀ [width, rows]: then XᵀX = Xᵀ · (Xᵀ)ᵀ is one GEMM
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < width; c++) {
                xt[c * rows + r] = x[r * width + c];
                sum[c] += x[r * width + c];
            }
        }
        float[] g = new float[gram.length];
        DenseGemm.linear(xt, width, rows, xt, width, null, g, threads);
        // the GEMM sums (i, j) and (j, i) in different orders; averaging keeps the accumulator exactly symmetric
        for (int i = 0; i < width; i++) {
            for (int j = 0; j <= i; j++) {
                double v = 0.5 * ((double) g[i * width + j] + g[j * width + i]);
                gram[i * width + j] += v;
                if (i != j) {
                    gram[j * width + i] += v;
                }
            }
        }
        count += rows;
    }

    public int width() {
        return width;
    }

    /** Rows accepted so far. */
    public long count() {
        return count;
    }

    /** Mean of each input. */
    public double[] mean() {
        requireRows();
        double[] m = new double[width];
        for (int j = 0; j < width; j++) {
            m[j] = sum[j] / count;
        }
        return m;
    }

    /** Population covariance [width, width] row-major: Σ x xᵀ / n − mean meanᵀ (symmetric). */
    public double[] covariance() {
        double[] m = mean();
        double[] c = new double[gram.length];
        for (int i = 0; i < width; i++) {
            for (int j = 0; j < width; j++) {
                c[i * width + j] = gram[i * width + j] / count - m[i] * m[j];
            }
        }
        return c;
    }

    private void requireRows() {
        if (count == 0) {
            throw new IllegalStateException("input Gram matrix of width " + width + ": no rows accepted yet");
        }
    }
}
