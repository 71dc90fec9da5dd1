package dev.sparsekernels.model.text;

import java.util.Arrays;

/**
 * Token ids of several texts, right-padded to the longest: ids [size, sequenceLength] row-major, the real length of
 * each row, and the attention mask (1 for real tokens, 0 for padding) that BERT models take. Immutable.
 */
public final class TokenBatch {
    private final int size;
    private final int sequenceLength;
    private final int[] ids;
    private final int[] lengths;

    private TokenBatch(int size, int sequenceLength, int[] ids, int[] lengths) {
        this.size = size;
        this.sequenceLength = sequenceLength;
        this.ids = ids;
        this.lengths = lengths;
    }

    /** Pads rows of ids (each non-empty) with padId to the longest row. */
    public static TokenBatch pad(int[][] rows, int padId) {
        if (rows == null || rows.length == 0) {
            throw new IllegalArgumentException("rows: expected at least one row of ids but got "
                    + (rows == null ? "null" : "none"));
        }
        int seq = 0;
        for (int i = 0; i < rows.length; i++) {
            if (rows[i] == null || rows[i].length == 0) {
                throw new IllegalArgumentException("rows[" + i + "]: expected at least one id but got "
                        + (rows[i] == null ? "null" : "none"));
            }
            seq = Math.max(seq, rows[i].length);
        }
        if ((long) rows.length * seq > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("rows: " + rows.length + " rows padded to " + seq + " ids need "
                    + (long) rows.length * seq + " ids, more than an array holds; pad smaller batches");
        }
        int[] ids = new int[rows.length * seq];
        Arrays.fill(ids, padId);
        int[] lengths = new int[rows.length];
        for (int i = 0; i < rows.length; i++) {
            System.arraycopy(rows[i], 0, ids, i * seq, rows[i].length);
            lengths[i] = rows[i].length;
        }
        return new TokenBatch(rows.length, seq, ids, lengths);
    }

    /** Number of texts. */
    public int size() {
        return size;
    }

    /** Length of the longest row, the padded length of every row. */
    public int sequenceLength() {
        return sequenceLength;
    }

    /** Real (unpadded) length of row i. */
    public int length(int i) {
        return lengths[i];
    }

    public int[] lengths() {
        return lengths.clone();
    }

    /** Sum of the real lengths: the tokens an encoder that skips padding computes. */
    public int tokenCount() {
        int n = 0;
        for (int l : lengths) {
            n += l;
        }
        return n;
    }

    /** The unpadded ids of row i. */
    public int[] ids(int i) {
        return Arrays.copyOfRange(ids, i * sequenceLength, i * sequenceLength + lengths[i]);
    }

    /** All ids, padded, [size, sequenceLength] row-major. */
    public int[] paddedIds() {
        return ids.clone();
    }

    /** 1 for real tokens, 0 for padding, [size, sequenceLength] row-major. */
    public int[] attentionMask() {
        int[] m = new int[ids.length];
        for (int i = 0; i < size; i++) {
            Arrays.fill(m, i * sequenceLength, i * sequenceLength + lengths[i], 1);
        }
        return m;
    }

    @Override
    public String toString() {
        return "TokenBatch[" + size + " x " + sequenceLength + ", lengths " + Arrays.toString(lengths) + "]";
    }
}
