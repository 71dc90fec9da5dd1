package dev.sparsekernels.backend;

import dev.sparsekernels.Tensor;

/** Checks for gatherRows/gatherColumns, shared by every backend: a matrix, and strictly ascending indices. */
final class GatherArgs {
    final int rows;
    final int cols;

    private GatherArgs(int rows, int cols) {
        this.rows = rows;
        this.cols = cols;
    }

    static GatherArgs check(Tensor src, int[] idx, boolean alongRows) {
        if (src == null) {
            throw new IllegalArgumentException("src: expected a [rows, cols] tensor but got null");
        }
        int[] rc = src.matrixShape("src");
        int limit = alongRows ? rc[0] : rc[1];
        if (idx == null || idx.length == 0) {
            throw new IllegalArgumentException("idx: expected at least one index but got "
                    + (idx == null ? "null" : "none"));
        }
        for (int i = 0; i < idx.length; i++) {
            if (idx[i] < 0 || idx[i] >= limit) {
                throw new IllegalArgumentException("idx[" + i + "]: expected 0.." + (limit - 1) + " but got " + idx[i]);
            }
            if (i > 0 && idx[i] <= idx[i - 1]) {
                throw new IllegalArgumentException("idx: expected strictly ascending indices but idx[" + i + "] = "
                        + idx[i] + " follows " + idx[i - 1]);
            }
        }
        return new GatherArgs(rc[0], rc[1]);
    }
}
