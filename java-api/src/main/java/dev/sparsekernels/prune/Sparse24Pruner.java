package dev.sparsekernels.prune;

/**
 * 2:4 pruning criteria: in every group of 4 consecutive inputs of a row of W [out, in], keep the 2 elements with the
 * largest score. Pure functions of the weights (and, for Wanda, of input statistics).
 *
 * <p>Ties go to the lower position, so the choice is deterministic; NaN scores rank above every number, so a NaN
 * weight is kept and propagates instead of vanishing silently.
 */
public final class Sparse24Pruner {
    private Sparse24Pruner() {
    }

    /** Magnitude pruning: score = |w|. Returns the kept-position nibbles, one per group (see Sparse24Matrix). */
    public static byte[] magnitude(float[] w, int rows, int cols) {
        return select(w, rows, cols, null);
    }

    /**
     * Wanda-style pruning (Sun et al. 2023): score = |w[i][j]| * inputNorm[j], where inputNorm[j] is the L2 norm of
     * input channel j over calibration activations. Groups run along the input dimension, as Wanda compares
     * weights within an output row.
     */
    public static byte[] wanda(float[] w, int rows, int cols, float[] inputNorm) {
        if (inputNorm == null || inputNorm.length != cols) {
            throw new IllegalArgumentException("inputNorm: expected " + cols + " values (one per input) but got "
                    + (inputNorm == null ? "null" : inputNorm.length));
        }
        for (int j = 0; j < cols; j++) {
            // a norm is >= 0; a negative one would invert its column's ranking, a NaN one make it arbitrary
            if (!(inputNorm[j] >= 0f) || inputNorm[j] == Float.POSITIVE_INFINITY) {
                throw new IllegalArgumentException("inputNorm[" + j + "]: expected a finite norm >= 0 but got "
                        + inputNorm[j]);
            }
        }
        return select(w, rows, cols, inputNorm);
    }

    private static byte[] select(float[] w, int rows, int cols, float[] scale) {
        checkShape(w, rows, cols);
        int groups = cols / 4;
        byte[] nibbles = new byte[rows * groups];
        for (int r = 0; r < rows; r++) {
            int base = r * cols;
            for (int g = 0; g < groups; g++) {
                int c = 4 * g;
                float s0 = score(w[base + c], scale, c);
                float s1 = score(w[base + c + 1], scale, c + 1);
                float s2 = score(w[base + c + 2], scale, c + 2);
                float s3 = score(w[base + c + 3], scale, c + 3);
                nibbles[r * groups + g] = (byte) topTwo(s0, s1, s2, s3);
            }
        }
        return nibbles;
    }

    /** Nibble (idx1 << 2 | idx0) of the two largest scores, ties to the lower position. */
    static int topTwo(float s0, float s1, float s2, float s3) {
        float[] s = {s0, s1, s2, s3};
        int best = 0;
        for (int i = 1; i < 4; i++) {
            if (Float.compare(s[i], s[best]) > 0) {
                best = i;
            }
        }
        int second = best == 0 ? 1 : 0;
        for (int i = 0; i < 4; i++) {
            if (i != best && Float.compare(s[i], s[second]) > 0) {
                second = i;
            }
        }
        int lo = Math.min(best, second);
        int hi = Math.max(best, second);
        return (hi << 2) | lo;
    }

    private static float score(float w, float[] scale, int col) {
        float a = Math.abs(w);
        return scale == null ? a : a * scale[col];
    }

    static void checkShape(float[] w, int rows, int cols) {
        if (rows < 1 || cols < 1) {
            throw new IllegalArgumentException("W shape: expected positive [out, in] but got [" + rows + ", " + cols
                    + "]");
        }
        if (cols % 4 != 0) {
            throw new IllegalArgumentException("W in (columns): expected a multiple of 4 for 2:4 sparsity but got "
                    + cols);
        }
        if (w == null || w.length != (long) rows * cols) {
            throw new IllegalArgumentException("W: expected " + ((long) rows * cols) + " elements for [" + rows
                    + ", " + cols + "] but got " + (w == null ? "null" : w.length));
        }
    }
}
