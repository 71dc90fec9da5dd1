package dev.sparsekernels.cli;

import dev.sparsekernels.BlockSparseMatrix;

/** Parses --pattern / --format values: "2:4", "dense", "block:RxC" / "bsr:RxC" ("block:32" means 32x32). */
final class Patterns {
    private Patterns() {
    }

    /** The {blockRows, blockCols} of "prefix:RxC", or null when text does not start with the prefix. */
    static int[] blockShape(String option, String text, String prefix) {
        if (text == null || !text.startsWith(prefix + ":")) {
            return null;
        }
        try {
            return BlockSparseMatrix.parseBlockShape(text.substring(prefix.length() + 1));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(option + " '" + text + "': " + e.getMessage(), e);
        }
    }

    /** A density in (0, 1]. */
    static double density(Double value) {
        if (value == null) {
            throw new IllegalArgumentException("--density is required for block pruning");
        }
        if (!(value > 0 && value <= 1)) {
            throw new IllegalArgumentException("--density: expected a value in (0, 1] but got " + value);
        }
        return value;
    }
}
