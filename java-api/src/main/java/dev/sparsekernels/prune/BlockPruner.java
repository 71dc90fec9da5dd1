package dev.sparsekernels.prune;

import java.util.Arrays;

/**
 * Block pruning by L2 norm: which blocks of W [out, in], cut into blockRows x blockCols tiles, to keep.
 * Pure functions of the weights. Ties keep the block that comes first in row-major block order, so the result is
 * deterministic.
 */
public final class BlockPruner {
    /** How the kept-block budget is spread. */
    public enum Balance {
        /** The largest-norm blocks of the whole matrix: round(density * blocks) of them. */
        GLOBAL,
        /** round(density * blocks per block row) in every block row, for an even load across rows. */
        PER_BLOCK_ROW
    }

    private BlockPruner() {
    }

    /** L2 norm of every block, [blockRowCount * blockColCount], row-major over blocks. */
    public static double[] blockNorms(float[] w, int rows, int cols, int blockRows, int blockCols) {
        int nbr = rows / blockRows;
        int nbc = cols / blockCols;
        double[] norms = new double[nbr * nbc];
        for (int r = 0; r < rows; r++) {
            int base = r * cols;
            int rowBlock = (r / blockRows) * nbc;
            for (int bc = 0; bc < nbc; bc++) {
                double s = 0;
                for (int c = bc * blockCols, end = c + blockCols; c < end; c++) {
                    double v = w[base + c];
                    s += v * v;
                }
                norms[rowBlock + bc] += s;
            }
        }
        for (int i = 0; i < norms.length; i++) {
            norms[i] = Math.sqrt(norms[i]);
        }
        return norms;
    }

    /**
     * The kept-block mask, row-major over blocks.
     *
     * @param density fraction of blocks to keep, in (0, 1]
     */
    public static boolean[] select(double[] norms, int blockRowCount, int blockColCount, double density,
            Balance balance) {
        if (!(density > 0 && density <= 1)) {
            throw new IllegalArgumentException("density: expected a value in (0, 1] but got " + density);
        }
        boolean[] keep = new boolean[norms.length];
        if (balance == Balance.GLOBAL) {
            int count = (int) Math.round(density * norms.length);
            keepLargest(norms, 0, norms.length, count, keep);
        } else {
            int count = (int) Math.round(density * blockColCount);
            for (int r = 0; r < blockRowCount; r++) {
                keepLargest(norms, r * blockColCount, blockColCount, count, keep);
            }
        }
        return keep;
    }

    /** Marks the count largest norms in [from, from+length); NaN ranks largest, ties to the lower index. */
    private static void keepLargest(double[] norms, int from, int length, int count, boolean[] keep) {
        Integer[] order = new Integer[length];
        for (int i = 0; i < length; i++) {
            order[i] = from + i;
        }
        Arrays.sort(order, (a, b) -> {
            int c = Double.compare(norms[b], norms[a]);
            return c != 0 ? c : Integer.compare(a, b);
        });
        for (int i = 0; i < Math.min(count, length); i++) {
            keep[order[i]] = true;
        }
    }
}
