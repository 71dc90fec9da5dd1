package dev.sparsekernels.cpu;

/** Argument validation shared by the CPU kernels; every message names the argument, the expected and the actual value. */
final class Checks {
    private Checks() {}

    static void positive(String name, int value) {
        if (value < 1) {
            throw new IllegalArgumentException(name + ": expected >= 1, got " + value);
        }
    }

    static void notNull(String name, Object value) {
        if (value == null) {
            throw new IllegalArgumentException(name + ": expected non-null, got null");
        }
    }

    /** Checks {@code actual == a * b} without int overflow; {@code expr} describes the product, e.g. "tokens*in". */
    static void length(String name, int actual, long a, long b, String expr) {
        long expected = a * b;
        if (actual != expected) {
            throw new IllegalArgumentException(name + ".length: expected " + expected + " (" + expr + " = " + a + "*" + b
                    + "), got " + actual);
        }
    }

    static void length(String name, int actual, long expected, String expr) {
        if (actual != expected) {
            throw new IllegalArgumentException(name + ".length: expected " + expected + " (" + expr + "), got " + actual);
        }
    }

    static void multipleOf4(String name, int value) {
        if (value % 4 != 0) {
            throw new IllegalArgumentException(name + ": expected a multiple of 4 (2:4 groups run along in), got " + value);
        }
    }

    /**
     * Checks a 2:4 index nibble; returns it. Valid nibbles hold two different positions, first < second:
     * 0x4, 0x8, 0xC, 0x9, 0xD, 0xE.
     */
    static int nibble(byte[] indices, int row, int group, int nibble) {
        int p0 = nibble & 3;
        int p1 = nibble >>> 2;
        if (p0 >= p1) {
            throw new IllegalArgumentException("indices: expected nibble with first position < second position"
                    + " (one of 0x4, 0x8, 0xC, 0x9, 0xD, 0xE) at row " + row + ", group " + group + ", got 0x"
                    + Integer.toHexString(nibble));
        }
        return nibble;
    }

    static void sparse24Shapes(float[] values, byte[] indices, int out, int in) {
        positive("out", out);
        positive("in", in);
        multipleOf4("in", in);
        notNull("values", values);
        notNull("indices", indices);
        length("values", values.length, out, in / 2, "out*(in/2)");
        length("indices", indices.length, out, (in + 7) / 8, "out*((in+7)/8)");
    }

    static void blockSize(String name, int value) {
        if (value != 16 && value != 32 && value != 64) {
            throw new IllegalArgumentException(name + ": expected 16, 32 or 64, got " + value);
        }
    }

    static void divisible(String name, int value, String byName, int by) {
        if (value % by != 0) {
            throw new IllegalArgumentException(name + ": expected a multiple of " + byName + " = " + by + ", got "
                    + value);
        }
    }

    /**
     * Checks the BSR arrays of W [out, in] (docs/formats.md): sizes, rowPointers starting at 0 and non-decreasing up
     * to columnIndices.length, block columns in range and strictly ascending within each block row. O(blocks).
     */
    static void bsrShapes(int out, int in, int blockRows, int blockCols, int[] rowPointers, int[] columnIndices,
                          float[] values) {
        positive("out", out);
        positive("in", in);
        blockSize("blockRows", blockRows);
        blockSize("blockCols", blockCols);
        divisible("out", out, "blockRows", blockRows);
        divisible("in", in, "blockCols", blockCols);
        notNull("rowPointers", rowPointers);
        notNull("columnIndices", columnIndices);
        notNull("values", values);
        int nbr = out / blockRows;
        int nbc = in / blockCols;
        length("rowPointers", rowPointers.length, nbr + 1L, "out/blockRows + 1");
        if (rowPointers[0] != 0) {
            throw new IllegalArgumentException("rowPointers[0]: expected 0, got " + rowPointers[0]);
        }
        for (int r = 0; r < nbr; r++) {
            if (rowPointers[r + 1] < rowPointers[r]) {
                throw new IllegalArgumentException("rowPointers[" + (r + 1) + "]: expected >= rowPointers[" + r
                        + "] = " + rowPointers[r] + ", got " + rowPointers[r + 1]);
            }
        }
        if (rowPointers[nbr] != columnIndices.length) {
            throw new IllegalArgumentException("rowPointers[" + nbr + "]: expected " + columnIndices.length
                    + " (columnIndices.length), got " + rowPointers[nbr]);
        }
        length("values", values.length, (long) columnIndices.length * blockRows * blockCols,
                "blocks*blockRows*blockCols = " + columnIndices.length + "*" + blockRows + "*" + blockCols);
        for (int r = 0; r < nbr; r++) {
            for (int n = rowPointers[r]; n < rowPointers[r + 1]; n++) {
                int c = columnIndices[n];
                if (c < 0 || c >= nbc) {
                    throw new IllegalArgumentException("columnIndices[" + n + "]: expected 0.." + (nbc - 1)
                            + " (in/blockCols - 1), got " + c);
                }
                if (n > rowPointers[r] && c <= columnIndices[n - 1]) {
                    throw new IllegalArgumentException("columnIndices[" + n + "]: expected > " + columnIndices[n - 1]
                            + " (strictly ascending in block row " + r + "), got " + c);
                }
            }
        }
    }
}
