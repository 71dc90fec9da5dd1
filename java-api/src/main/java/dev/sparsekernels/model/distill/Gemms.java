package dev.sparsekernels.model.distill;

import dev.sparsekernels.cpu.Activations;
import dev.sparsekernels.cpu.DenseGemm;

/**
 * The three products a linear layer's training needs, all run on the dense CPU GEMM ({@code y = x · wᵀ}) with the
 * operands transposed first: a transpose reads and writes each value once, while the GEMM does rows·out·in FMAs, so
 * reusing the one fast kernel costs little.
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
        DenseGemm.linear(dy, rows, out, transpose(w, out, in), in, null, dx, threads);
        return dx;
    }

    /** dw [out, in] = dy [rows, out]ᵀ · x [rows, in], written into dw; db [out] = column sums of dy (db may be null). */
    static void weightGradient(float[] dy, float[] x, int rows, int out, int in, float[] dw, float[] db, int threads) {
        DenseGemm.linear(transpose(dy, rows, out), out, rows, transpose(x, rows, in), in, null, dw, threads);
        if (db != null) {
            columnSums(dy, rows, out, db);
        }
    }

    /** a [rows, cols] to aᵀ [cols, rows], in 16 x 16 tiles so neither side walks memory a row apart per value. */
    static float[] transpose(float[] a, int rows, int cols) {
        float[] t = new float[Math.multiplyExact(rows, cols)];
        for (int r0 = 0; r0 < rows; r0 += 16) {
            int r1 = Math.min(rows, r0 + 16);
            for (int c0 = 0; c0 < cols; c0 += 16) {
                int c1 = Math.min(cols, c0 + 16);
                for (int r = r0; r < r1; r++) {
                    for (int c = c0; c < c1; c++) {
                        t[c * rows + r] = a[r * cols + c];
                    }
                }
            }
        }
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
