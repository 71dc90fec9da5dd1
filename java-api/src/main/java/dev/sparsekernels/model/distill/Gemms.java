package dev.sparsekernels.model.distill;

import dev.sparsekernels.cpu.Activations;
import dev.sparsekernels.cpu.DenseGemm;
import dev.sparsekernels.cpu.DenseWeights;

/**
 * The three products a linear layer's training needs, all on the dense CPU GEMM ({@code y = x · wᵀ}). The input
 * gradient and the weight gradient each need one operand transposed; {@link DenseWeights#ofTransposed} prepares a
 * transposed right-hand side by copying 64-byte runs, so only dY is ever transposed element by element (in
 * 8-column strips, on the kernels' threads): element transposes of large arrays cost several ns per value here, and
 * had taken a third of a training step when every operand was transposed.
 */
final class Gemms {
    private static final int ROWS_PER_TASK = 64;

    private Gemms() {
    }

    /** y [rows, out] = x [rows, in] · w [out, in]ᵀ + bias (bias may be null). */
    static float[] forward(float[] x, int rows, int in, float[] w, int out, float[] bias, int threads) {
        float[] y = new float[Math.multiplyExact(rows, out)];
        DenseGemm.linear(x, rows, in, w, out, bias, y, threads);
        return y;
    }

    /** dx [rows, in] = dy [rows, out] · w [out, in]. */
    static float[] inputGradient(float[] dy, int rows, int out, float[] w, int in, int threads) {
        float[] dx = new float[Math.multiplyExact(rows, in)];
        DenseGemm.linear(dy, rows, DenseWeights.ofTransposed(w, out, in), null, dx, threads);
        return dx;
    }

    /** dw [out, in] = dy [rows, out]ᵀ · x [rows, in], written into dw; db [out] = column sums of dy (db may be null). */
    static void weightGradient(float[] dy, float[] x, int rows, int out, int in, float[] dw, float[] db, int threads) {
        DenseGemm.linear(transpose(dy, rows, out, threads), out, DenseWeights.ofTransposed(x, rows, in), null, dw,
                threads);
        if (db != null) {
            columnSums(dy, rows, out, db);
        }
    }

    /**
     * a [rows, cols] to aᵀ [cols, rows], 8 columns at a time: each row contributes one run of 8 reads, and the 8
     * output rows being filled stay in cache across consecutive rows of a.
     */
    static float[] transpose(float[] a, int rows, int cols, int threads) {
        float[] t = new float[Math.multiplyExact(rows, cols)];
        int strips = (cols + 7) / 8;
        Activations.parallelFor(threads, strips, s -> {
            int c0 = s * 8;
            int c1 = Math.min(cols, c0 + 8);
            for (int r = 0; r < rows; r++) {
                int ro = r * cols;
                for (int c = c0; c < c1; c++) {
                    t[c * rows + r] = a[ro + c];
                }
            }
        });
        return t;
    }

    /** sums[c] = Σ_r a[r, c], accumulated in double in row order (deterministic). */
    static void columnSums(float[] a, int rows, int cols, float[] sums) {
        double[] acc = new double[cols];
        for (int r = 0; r < rows; r++) {
            int off = r * cols;
            for (int c = 0; c < cols; c++) {
                acc[c] += a[off + c];
            }
        }
        for (int c = 0; c < cols; c++) {
            sums[c] = (float) acc[c];
        }
    }

    /** Runs body over [0, rows) in chunks on the kernels' threads. */
    static void forRows(int rows, int threads, RowRange body) {
        int tasks = (rows + ROWS_PER_TASK - 1) / ROWS_PER_TASK;
        Activations.parallelFor(threads, tasks, t -> body.run(t * ROWS_PER_TASK,
                Math.min(rows, (t + 1) * ROWS_PER_TASK)));
    }

    @FunctionalInterface
    interface RowRange {
        void run(int from, int to);
    }
}
