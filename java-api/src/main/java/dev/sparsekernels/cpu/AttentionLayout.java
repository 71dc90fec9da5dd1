package dev.sparsekernels.cpu;

import java.util.Arrays;

/**
 * Where {@link FlashAttention} finds (or writes) row t of head h of sequence b in a float array: at
 * {@code base(b) + h·headStride + t·rowStride}, for t below {@code rows(b)}; rows from there to the call's length do
 * not exist (query rows are neither read nor written, keys count as masked).
 *
 * <p>Two forms, so that no layout can make two output rows overlap: {@link #heads} is the usual [B, H, L, D] array,
 * and {@link #packed} reads a head's columns straight out of packed rows of variable-length sequences (a transformer's
 * [tokens, 3·hidden] Q|K|V projection, or its [tokens, hidden] context), which spares copying them into [B, H, L, D]
 * and back. Immutable.
 */
public final class AttentionLayout {
    private final int[] base;
    private final int[] rows;
    private final int headStride;
    private final int rowStride;
    private final int width;
    private final boolean contiguous;

    private AttentionLayout(int[] base, int[] rows, int headStride, int rowStride, int width, boolean contiguous) {
        this.base = base;
        this.rows = rows;
        this.headStride = headStride;
        this.rowStride = rowStride;
        this.width = width;
        this.contiguous = contiguous;
    }

    /** [batch, heads, length, d] row-major, every row present. */
    public static AttentionLayout heads(int batch, int heads, int length, int d) {
        Checks.positive("batch", batch);
        Checks.positive("heads", heads);
        Checks.positive("length", length);
        Checks.positive("d", d);
        long perBatch = (long) heads * length * d;
        if (perBatch * batch > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("batch*heads*length*d: expected at most " + Integer.MAX_VALUE
                    + " elements but got " + perBatch * batch);
        }
        int[] base = new int[batch];
        for (int b = 0; b < batch; b++) {
            base[b] = (int) (b * perBatch);
        }
        int[] rows = new int[batch];
        Arrays.fill(rows, length);
        return new AttentionLayout(base, rows, length * d, d, heads * d, true);
    }

    /**
     * Sequences of {@code lengths[b]} rows stored one after another in rows {@code rowWidth} floats wide; head h of a
     * row is the d floats from {@code column + h·d}. The heads must fit the row: {@code column + heads·d <= rowWidth}
     * (checked per call, where heads and d are known).
     */
    public static AttentionLayout packed(int[] lengths, int rowWidth, int column, int d) {
        Checks.notNull("lengths", lengths);
        Checks.positive("rowWidth", rowWidth);
        Checks.positive("d", d);
        if (lengths.length == 0) {
            throw new IllegalArgumentException("lengths: expected at least one sequence");
        }
        if (column < 0 || column >= rowWidth) {
            throw new IllegalArgumentException("column: expected 0.." + (rowWidth - 1) + " but got " + column);
        }
        int[] base = new int[lengths.length];
        long row = 0;
        for (int b = 0; b < lengths.length; b++) {
            if (lengths[b] < 0) {
                throw new IllegalArgumentException("lengths[" + b + "]: expected >= 0 but got " + lengths[b]);
            }
            long at = row * rowWidth + column;
            if (at > Integer.MAX_VALUE) {
                throw new IllegalArgumentException("lengths: rows*rowWidth exceed one Java array");
            }
            base[b] = (int) at;
            row += lengths[b];
        }
        return new AttentionLayout(base, lengths.clone(), d, rowWidth, rowWidth - column, false);
    }

    int rows(int b) {
        return rows[b];
    }

    int rowStride() {
        return rowStride;
    }

    /** Offset of row t of head h of sequence b. */
    int offset(int b, int h, int t) {
        return base[b] + h * headStride + t * rowStride;
    }

    /**
     * Checks that this layout describes {@code heads} heads of {@code d} values for {@code batch} sequences of at most
     * {@code length} rows inside an array of {@code arrayLength} floats.
     */
    void check(String name, int arrayLength, int batch, int heads, int length, int d) {
        if (base.length != batch) {
            throw new IllegalArgumentException(name + " layout: expected " + batch + " sequences but got "
                    + base.length);
        }
        if (!contiguous && headStride != d) {
            throw new IllegalArgumentException(name + " layout: expected heads of D = " + d + " but it was made for "
                    + headStride);
        }
        if (contiguous && (headStride != length * d || rowStride != d)) {
            throw new IllegalArgumentException(name + " layout: made for [B, H, " + headStride / rowStride + ", "
                    + rowStride + "] but the call has [B, H, " + length + ", " + d + "]");
        }
        if (!contiguous && (long) heads * d > width) {
            throw new IllegalArgumentException(name + " layout: " + heads + " heads of " + d
                    + " values do not fit the " + width + " columns from its first one");
        }
        long end = 0;
        for (int b = 0; b < batch; b++) {
            if (rows[b] > length) {
                throw new IllegalArgumentException(name + " layout: sequence " + b + " has " + rows[b]
                        + " rows, more than the length " + length);
            }
            if (rows[b] > 0) {
                end = Math.max(end, (long) base[b] + (long) (heads - 1) * headStride
                        + (long) (rows[b] - 1) * rowStride + d);
            }
        }
        if (end > arrayLength) {
            throw new IllegalArgumentException(name + ": expected at least " + end + " values for its layout but got "
                    + arrayLength);
        }
    }
}
