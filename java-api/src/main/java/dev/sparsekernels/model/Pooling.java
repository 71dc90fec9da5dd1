package dev.sparsekernels.model;

/**
 * Sentence embeddings from token states, as sentence-transformers does for all-MiniLM-L6-v2: the mean over the real
 * (unpadded) tokens, then division by the L2 norm (at least 1e-12, as torch.nn.functional.normalize).
 */
public final class Pooling {
    private Pooling() {
    }

    /**
     * Mean of each sequence's rows of packed token states [sum(lengths), width]; returns [lengths.length, width].
     */
    public static float[] meanPool(float[] packed, int[] lengths, int width) {
        int total = 0;
        for (int i = 0; i < lengths.length; i++) {
            if (lengths[i] < 1) {
                throw new IllegalArgumentException("lengths[" + i + "]: expected >= 1 but got " + lengths[i]);
            }
            total += lengths[i];
        }
        if (packed.length != (long) total * width) {
            throw new IllegalArgumentException("packed: expected " + (long) total * width + " values for "
                    + total + " tokens of width " + width + " but got " + packed.length);
        }
        float[] out = new float[lengths.length * width];
        double[] acc = new double[width];
        int row = 0;
        for (int b = 0; b < lengths.length; b++) {
            java.util.Arrays.fill(acc, 0);
            for (int t = 0; t < lengths[b]; t++, row++) {
                for (int c = 0; c < width; c++) {
                    acc[c] += packed[row * width + c];
                }
            }
            for (int c = 0; c < width; c++) {
                out[b * width + c] = (float) (acc[c] / lengths[b]);
            }
        }
        return out;
    }

    /** Scales each row of x [rows, width] to unit L2 norm, in place. */
    public static void normalizeRows(float[] x, int width) {
        for (int off = 0; off < x.length; off += width) {
            double sq = 0;
            for (int c = 0; c < width; c++) {
                sq += (double) x[off + c] * x[off + c];
            }
            double inv = 1.0 / Math.max(Math.sqrt(sq), 1e-12);
            for (int c = 0; c < width; c++) {
                x[off + c] = (float) (x[off + c] * inv);
            }
        }
    }
}
