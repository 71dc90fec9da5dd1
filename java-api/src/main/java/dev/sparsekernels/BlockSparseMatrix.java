package dev.sparsekernels;

import dev.sparsekernels.cpu.BsrWeights;

import dev.sparsekernels.prune.BlockPruner;
import java.util.Arrays;

/**
 * A block-sparse weight W [out, in] in BSR form (docs/formats.md): W is cut into blockRows x blockCols tiles
 * (16, 32 or 64 each, square or rectangular); only stored blocks carry values.
 * <ul>
 *   <li>rowPointers [out/blockRows + 1]: blocks of block row R are entries rowPointers[R] .. rowPointers[R+1]-1;</li>
 *   <li>columnIndices [blocks]: block column of each stored block, strictly ascending within a block row;</li>
 *   <li>values [blocks, blockRows, blockCols]: each block row-major.</li>
 * </ul>
 * {@link #dtype()} is the precision of the values (held as floats, exactly representable in that dtype). Empty block
 * rows, a matrix with no blocks and a fully dense matrix are all valid.
 */
public final class BlockSparseMatrix extends WeightMatrix {
    /** Block edge lengths the kernels are built for. */
    public static final int[] BLOCK_SIZES = {16, 32, 64};

    private final int blockRows;
    private final int blockCols;
    private final int[] rowPointers;
    private final int[] columnIndices;
    private final float[] values;

    private BlockSparseMatrix(int rows, int cols, int blockRows, int blockCols, DType dtype, int[] rowPointers,
            int[] columnIndices, float[] values) {
        super("block-sparse matrix [" + rows + ", " + cols + "] (" + blockRows + "x" + blockCols + " blocks)", rows,
                cols, dtype);
        this.blockRows = blockRows;
        this.blockCols = blockCols;
        this.rowPointers = rowPointers;
        this.columnIndices = columnIndices;
        this.values = values;
    }

    /** Stores exactly the blocks of w that hold a non-zero (by value: -0.0 is zero). */
    public static BlockSparseMatrix fromDense(Tensor w, int blockRows, int blockCols) {
        int[] rc = shape(w, blockRows, blockCols);
        float[] dense = w.toFloatArray();
        int nbr = rc[0] / blockRows;
        int nbc = rc[1] / blockCols;
        boolean[] keep = new boolean[nbr * nbc];
        for (int r = 0; r < rc[0]; r++) {
            for (int c = 0; c < rc[1]; c++) {
                if (dense[r * rc[1] + c] != 0.0f) {
                    keep[(r / blockRows) * nbc + c / blockCols] = true;
                }
            }
        }
        return build(dense, rc[0], rc[1], blockRows, blockCols, keep, w.dtype());
    }

    /** Block L2-norm pruning to a density, globally over the matrix. */
    public static BlockSparseMatrix prune(Tensor w, int blockRows, int blockCols, double density) {
        return prune(w, blockRows, blockCols, density, BlockPruner.Balance.GLOBAL);
    }

    /**
     * Block L2-norm pruning: keeps the largest-norm blocks, round(density * blocks) of them (GLOBAL) or
     * round(density * blocks per row) in every block row (PER_BLOCK_ROW); ties keep the earlier block.
     */
    public static BlockSparseMatrix prune(Tensor w, int blockRows, int blockCols, double density,
            BlockPruner.Balance balance) {
        int[] rc = shape(w, blockRows, blockCols);
        if (balance == null) {
            throw new IllegalArgumentException("balance: expected GLOBAL or PER_BLOCK_ROW but got null");
        }
        float[] dense = w.toFloatArray();
        double[] norms = BlockPruner.blockNorms(dense, rc[0], rc[1], blockRows, blockCols);
        boolean[] keep = BlockPruner.select(norms, rc[0] / blockRows, rc[1] / blockCols, density, balance);
        return build(dense, rc[0], rc[1], blockRows, blockCols, keep, w.dtype());
    }

    /** Builds from BSR arrays (copied), validating pointers, ascending indices and sizes. */
    public static BlockSparseMatrix fromArrays(DType dtype, int rows, int cols, int blockRows, int blockCols,
            int[] rowPointers, int[] columnIndices, float[] values) {
        checkDims(rows, cols, blockRows, blockCols);
        int nbr = rows / blockRows;
        int nbc = cols / blockCols;
        if (rowPointers == null || rowPointers.length != nbr + 1) {
            throw new IllegalArgumentException("rowPointers: expected " + (nbr + 1) + " entries but got "
                    + (rowPointers == null ? "null" : rowPointers.length));
        }
        if (rowPointers[0] != 0) {
            throw new IllegalArgumentException("rowPointers[0]: expected 0 but got " + rowPointers[0]);
        }
        for (int r = 0; r < nbr; r++) {
            if (rowPointers[r + 1] < rowPointers[r]) {
                throw new IllegalArgumentException("rowPointers: decreasing at block row " + r);
            }
        }
        int blocks = rowPointers[nbr];
        if (columnIndices == null || columnIndices.length != blocks) {
            throw new IllegalArgumentException("columnIndices: expected " + blocks + " entries but got "
                    + (columnIndices == null ? "null" : columnIndices.length));
        }
        for (int r = 0; r < nbr; r++) {
            for (int i = rowPointers[r]; i < rowPointers[r + 1]; i++) {
                int c = columnIndices[i];
                if (c < 0 || c >= nbc) {
                    throw new IllegalArgumentException("columnIndices[" + i + "]: expected 0.." + (nbc - 1)
                            + " but got " + c);
                }
                if (i > rowPointers[r] && c <= columnIndices[i - 1]) {
                    throw new IllegalArgumentException("columnIndices: block row " + r
                            + " is not strictly ascending at entry " + i);
                }
            }
        }
        long expected = (long) blocks * blockRows * blockCols;
        if (values == null || values.length != expected) {
            throw new IllegalArgumentException("values: expected " + expected + " elements but got "
                    + (values == null ? "null" : values.length));
        }
        ValuesInDType.check("values", dtype, values);
        return new BlockSparseMatrix(rows, cols, blockRows, blockCols, dtype, rowPointers.clone(),
                columnIndices.clone(), values.clone());
    }

    private static BlockSparseMatrix build(float[] dense, int rows, int cols, int br, int bc, boolean[] keep,
            DType dtype) {
        int nbr = rows / br;
        int nbc = cols / bc;
        int blocks = 0;
        for (boolean k : keep) {
            blocks += k ? 1 : 0;
        }
        if ((long) blocks * br * bc > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("W: " + blocks + " blocks of " + br + "x" + bc
                    + " exceed 2^31-1 values");
        }
        int[] ptr = new int[nbr + 1];
        int[] idx = new int[blocks];
        float[] vals = new float[blocks * br * bc];
        int n = 0;
        for (int r = 0; r < nbr; r++) {
            for (int c = 0; c < nbc; c++) {
                if (!keep[r * nbc + c]) {
                    continue;
                }
                idx[n] = c;
                int dst = n * br * bc;
                for (int i = 0; i < br; i++) {
                    System.arraycopy(dense, (r * br + i) * cols + c * bc, vals, dst + i * bc, bc);
                }
                n++;
            }
            ptr[r + 1] = n;
        }
        return new BlockSparseMatrix(rows, cols, br, bc, dtype, ptr, idx, vals);
    }

    public int blockRows() {
        return blockRows;
    }

    public int blockCols() {
        return blockCols;
    }

    /** Number of stored blocks. */
    public int blockCount() {
        return columnIndices.length;
    }

    /** Stored blocks over all blocks. */
    public double density() {
        return (double) blockCount() / ((long) (rows / blockRows) * (cols / blockCols));
    }

    public int[] rowPointers() {
        live();
        return rowPointers.clone();
    }

    public int[] columnIndices() {
        live();
        return columnIndices.clone();
    }

    public float[] values() {
        live();
        return values.clone();
    }

    /** The arrays without copying, for kernels in this library: callers must not modify them. */
    public int[] rowPointersView() {
        live();
        return rowPointers;
    }

    public int[] columnIndicesView() {
        live();
        return columnIndices;
    }

    public float[] valuesView() {
        live();
        return values;
    }

    /** The dense W with zeros outside the stored blocks. */
    public float[] toDenseArray() {
        live();
        float[] dense = new float[rows * cols];
        int nbr = rows / blockRows;
        for (int r = 0; r < nbr; r++) {
            for (int n = rowPointers[r]; n < rowPointers[r + 1]; n++) {
                int c = columnIndices[n];
                for (int i = 0; i < blockRows; i++) {
                    System.arraycopy(values, n * blockRows * blockCols + i * blockCols, dense,
                            (r * blockRows + i) * cols + c * blockCols, blockCols);
                }
            }
        }
        return dense;
    }

    public Tensor toDense() {
        return Tensor.of(toDenseArray(), rows, cols);
    }

    /**
     * The prepared form the CPU kernel runs on ({@link BsrWeights}: Wᵀ panels of the stored blocks); built on first use
     * and cached until {@link #close()}.
     */
    public BsrWeights cpuWeights() {
        return cpuForm(() -> BsrWeights.of(rows, cols, blockRows, blockCols, rowPointers, columnIndices, values));
    }

    @Override
    public String toString() {
        return "BlockSparseMatrix[" + rows + ", " + cols + "] " + blockRows + "x" + blockCols + " blocks, "
                + blockCount() + " stored (" + String.format("%.3f", density()) + "), " + dtype
                + (isClosed() ? " (closed)" : "");
    }

    private void live() {
        checkOpen();
    }

    /** Parses "RxC" or "N" (square) into {blockRows, blockCols}, checking supported sizes. */
    public static int[] parseBlockShape(String text) {
        String t = text == null ? "" : text.trim();
        String[] parts = t.split("x", -1);
        try {
            int r = Integer.parseInt(parts[0]);
            int c = parts.length == 1 ? r : Integer.parseInt(parts[1]);
            if (parts.length > 2) {
                throw new NumberFormatException(t);
            }
            checkBlock("block rows", r);
            checkBlock("block cols", c);
            return new int[] {r, c};
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("block shape: expected RxC or N with sizes 16, 32 or 64 but got '"
                    + text + "'");
        }
    }

    private static int[] shape(Tensor w, int blockRows, int blockCols) {
        if (w == null) {
            throw new IllegalArgumentException("W: expected a [out, in] tensor but got null");
        }
        int[] rc = w.matrixShape("W");
        checkDims(rc[0], rc[1], blockRows, blockCols);
        return rc;
    }

    private static void checkDims(int rows, int cols, int blockRows, int blockCols) {
        checkBlock("block rows", blockRows);
        checkBlock("block cols", blockCols);
        if (rows < 1 || cols < 1 || (long) rows * cols > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("W shape: expected positive [out, in] with < 2^31 elements but got ["
                    + rows + ", " + cols + "]");
        }
        if (rows % blockRows != 0) {
            throw new IllegalArgumentException("W out (rows) = " + rows + " is not divisible by the block rows "
                    + blockRows);
        }
        if (cols % blockCols != 0) {
            throw new IllegalArgumentException("W in (columns) = " + cols + " is not divisible by the block cols "
                    + blockCols);
        }
    }

    private static void checkBlock(String what, int size) {
        if (size != 16 && size != 32 && size != 64) {
            throw new IllegalArgumentException(what + ": expected 16, 32 or 64 but got " + size);
        }
    }
}
