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
}
