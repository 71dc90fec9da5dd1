package dev.sparsekernels.model;

/**
 * A batch of sequences of different lengths with the padding removed: token t of sequence b is row
 * {@code offset(b) + t} of a [tokenCount, width] array. Linear layers, LayerNorm and GELU run on the packed rows
 * only (padding costs nothing there); attention needs [batch, heads, maxLength, headDim], so the rows are scattered
 * into that layout (padding zero, and masked out by key lengths) and gathered back.
 */
final class PackedSequences {
    private final int[] lengths;
    private final int[] offsets;
    private final int maxLength;
    private final int tokenCount;

    PackedSequences(int[] lengths) {
        if (lengths.length == 0) {
            throw new IllegalArgumentException("lengths: expected at least one sequence");
        }
        this.lengths = lengths.clone();
        this.offsets = new int[lengths.length];
        int max = 0;
        int total = 0;
        for (int b = 0; b < lengths.length; b++) {
            if (lengths[b] < 1) {
                throw new IllegalArgumentException("lengths[" + b + "]: expected >= 1 but got " + lengths[b]);
            }
            offsets[b] = total;
            total = Math.addExact(total, lengths[b]);
            max = Math.max(max, lengths[b]);
        }
        this.maxLength = max;
        this.tokenCount = total;
    }

    int batch() {
        return lengths.length;
    }

    int maxLength() {
        return maxLength;
    }

    int tokenCount() {
        return tokenCount;
    }

    int length(int b) {
        return lengths[b];
    }

    int offset(int b) {
        return offsets[b];
    }

    int[] lengths() {
        return lengths.clone();
    }

    /** Packed [tokenCount, heads·headDim] to padded [batch, heads, maxLength, headDim], zeros in the padding. */
    float[] toHeads(float[] packed, int heads, int headDim) {
        return toHeads(packed, heads * headDim, 0, heads, headDim);
    }

    /**
     * As {@link #toHeads(float[], int, int)} for heads·headDim columns starting at {@code column} of packed rows
     * {@code rowWidth} wide (one part of a stacked [Q | K | V] projection).
     */
    float[] toHeads(float[] packed, int rowWidth, int column, int heads, int headDim) {
        float[] out = new float[Math.multiplyExact(Math.multiplyExact(lengths.length, heads),
                Math.multiplyExact(maxLength, headDim))];
        for (int b = 0; b < lengths.length; b++) {
            for (int t = 0; t < lengths[b]; t++) {
                int src = (offsets[b] + t) * rowWidth + column;
                for (int h = 0; h < heads; h++) {
                    System.arraycopy(packed, src + h * headDim, out,
                            ((b * heads + h) * maxLength + t) * headDim, headDim);
                }
            }
        }
        return out;
    }

    /** Padded [batch, heads, maxLength, headDim] back to packed [tokenCount, heads·headDim]; padding dropped. */
    float[] fromHeads(float[] padded, int heads, int headDim) {
        int width = heads * headDim;
        float[] out = new float[tokenCount * width];
        for (int b = 0; b < lengths.length; b++) {
            for (int t = 0; t < lengths[b]; t++) {
                int dst = (offsets[b] + t) * width;
                for (int h = 0; h < heads; h++) {
                    System.arraycopy(padded, ((b * heads + h) * maxLength + t) * headDim, out,
                            dst + h * headDim, headDim);
                }
            }
        }
        return out;
    }
}
