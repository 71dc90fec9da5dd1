package dev.sparsekernels.channels;

/**
 * Compaction on the CPU: gathers kept rows or columns of a row-major matrix into a new, smaller dense matrix.
 * Indices must be valid (checked by {@link ChannelPlan}); consecutive indices form runs copied with
 * {@link System#arraycopy}, so removing whole heads costs one copy per head and row.
 */
public final class Gather {
    /** Runs shorter than this are copied element by element (arraycopy has a fixed cost). */
    private static final int MIN_COPY = 8;

    private Gather() {
    }

    /** src [rows, cols] → [idx.length, cols]: row r of the result is row idx[r] of src. */
    public static float[] rows(float[] src, int rows, int cols, int[] idx) {
        check(src, rows, cols, idx);
        float[] dst = new float[Math.multiplyExact(idx.length, cols)];
        rows(src, rows, cols, idx, dst);
        return dst;
    }

    /**
     * As {@link #rows(float[], int, int, int[])}, into dst ([idx.length, cols], every element written): for callers
     * that reuse one array across calls.
     */
    public static void rows(float[] src, int rows, int cols, int[] idx, float[] dst) {
        check(src, rows, cols, idx);
        checkDst(dst, (long) idx.length * cols);
        int[] runs = runs(idx, rows);
        for (int r = 0; r < runs.length; r += 3) {
            System.arraycopy(src, runs[r] * cols, dst, runs[r + 2] * cols, runs[r + 1] * cols);
        }
    }

    /** src [rows, cols] → [rows, idx.length]: column c of the result is column idx[c] of src. */
    public static float[] columns(float[] src, int rows, int cols, int[] idx) {
        check(src, rows, cols, idx);
        float[] dst = new float[Math.multiplyExact(rows, idx.length)];
        columns(src, rows, cols, idx, dst);
        return dst;
    }

    /**
     * As {@link #columns(float[], int, int, int[])}, into dst ([rows, idx.length], every element written): for
     * callers that reuse one array across calls.
     */
    public static void columns(float[] src, int rows, int cols, int[] idx, float[] dst) {
        check(src, rows, cols, idx);
        int kept = idx.length;
        checkDst(dst, (long) rows * kept);
        int[] runs = runs(idx, cols);
        for (int i = 0; i < rows; i++) {
            int s = i * cols;
            int d = i * kept;
            for (int r = 0; r < runs.length; r += 3) {
                int from = s + runs[r];
                int len = runs[r + 1];
                int to = d + runs[r + 2];
                if (len >= MIN_COPY) {
                    System.arraycopy(src, from, dst, to, len);
                } else {
                    for (int k = 0; k < len; k++) {
                        dst[to + k] = src[from + k];
                    }
                }
            }
        }
    }

    /** Runs of consecutive indices as {sourceStart, length, destinationStart} triples. */
    static int[] runs(int[] idx, int bound) {
        int[] tmp = new int[3 * idx.length];
        int n = 0;
        for (int i = 0; i < idx.length; ) {
            int start = idx[i];
            if (start < 0 || start >= bound) {
                throw new IllegalArgumentException("index " + start + " at position " + i + ": expected 0.."
                        + (bound - 1));
            }
            int j = i + 1;
            while (j < idx.length && idx[j] == idx[j - 1] + 1 && idx[j] < bound) {
                j++;
            }
            tmp[n++] = start;
            tmp[n++] = j - i;
            tmp[n++] = i;
            i = j;
        }
        return java.util.Arrays.copyOf(tmp, n);
    }

    private static void checkDst(float[] dst, long n) {
        if (dst == null || dst.length != n) {
            throw new IllegalArgumentException("dst: expected " + n + " floats but got "
                    + (dst == null ? "null" : dst.length));
        }
    }

    private static void check(float[] src, int rows, int cols, int[] idx) {
        if (idx == null) {
            throw new IllegalArgumentException("idx: expected indices to gather but got null");
        }
        if (rows < 1 || cols < 1 || src == null || src.length != (long) rows * cols) {
            throw new IllegalArgumentException("src: expected " + ((long) rows * cols) + " floats for [" + rows
                    + ", " + cols + "] but got " + (src == null ? "null" : src.length));
        }
    }
}
