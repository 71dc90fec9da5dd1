package dev.sparsekernels;

/** Thrown when a matrix that should already be 2:4 has a group of 4 with more than 2 non-zeros. */
public final class NotSparse24Exception extends IllegalArgumentException {
    private final int row;
    private final int group;

    public NotSparse24Exception(int row, int group, int nonZeros) {
        super("W is not 2:4: row " + row + ", group " + group + " (columns " + (4 * group) + ".." + (4 * group + 3)
                + ") has " + nonZeros + " non-zeros; prune it first (--prune or Sparse24Matrix.prune)");
        this.row = row;
        this.group = group;
    }

    public int row() {
        return row;
    }

    public int group() {
        return group;
    }
}
