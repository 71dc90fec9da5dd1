package dev.sparsekernels.cpu;

/**
 * A block-sparse (BSR) weight matrix W [out, in] prepared once for repeated {@link BsrGemm#linear(float[], int,
 * BsrWeights, float[], float[], int)} calls (a pruned model's linear layers); immutable (inputs are copied).
 *
 * <p>Prepared form, in the dense prepared path's roles ({@link DenseWeights}): the stored blocks' Wᵀ, in panels of
 * 16 outputs. A block row R of {@code blockRows} outputs has {@code blockRows/16} panels; each holds, for every input
 * column the row's stored blocks cover (in block order, then column order: its "steps"), the 16 weights of its outputs,
 * {@code [steps of R][16]}, one sequential stream. Beside it, one table gives each step's input column ({@code
 * columnIndices[n]*blockCols + k}), shared by the row's panels. The 6 x 16 microkernel walks a panel's stream,
 * broadcasting six X rows at each step's column, and accumulates a [6 tokens][16 outputs] tile of Y in registers over
 * all the row's blocks: nothing is reloaded between blocks, X is neither packed nor transposed, and no C^T tile is
 * written back. The original block values are not kept. Memory: the values ({@code blocks*blockRows*blockCols}
 * floats) plus {@code blocks*blockCols} ints for the table.
 */
public final class BsrWeights {
    private final int out;
    private final int in;
    private final int blockRows;
    private final int blockCols;
    private final int[] rowPointers;
    private final float[] panels;
    private final int[] stepColumns;

    private BsrWeights(int out, int in, int blockRows, int blockCols, int[] rowPointers, float[] panels,
                       int[] stepColumns) {
        this.out = out;
        this.in = in;
        this.blockRows = blockRows;
        this.blockCols = blockCols;
        this.rowPointers = rowPointers;
        this.panels = panels;
        this.stepColumns = stepColumns;
    }

    /**
     * Validates and prepares W given as BSR arrays (the layout of {@code docs/formats.md}: blocks row-major, block
     * columns strictly ascending within a block row).
     *
     * @throws IllegalArgumentException naming the argument, the expected and the actual value
     */
    public static BsrWeights of(int out, int in, int blockRows, int blockCols, int[] rowPointers,
                                int[] columnIndices, float[] values) {
        Checks.bsrShapes(out, in, blockRows, blockCols, rowPointers, columnIndices, values);
        int nbr = out / blockRows;
        int blocks = columnIndices.length;
        int bs = blockRows * blockCols;
        float[] p = new float[values.length];
        int[] steps = new int[blocks * blockCols]; // blocks*blockCols <= values.length: no overflow
        for (int n = 0; n < blocks; n++) {
            for (int k = 0; k < blockCols; k++) {
                steps[n * blockCols + k] = columnIndices[n] * blockCols + k;
            }
        }
        for (int r = 0; r < nbr; r++) {
            int n0 = rowPointers[r];
            int rowSteps = (rowPointers[r + 1] - n0) * blockCols;
            for (int j = 0; j < blockRows; j += CpuKernels.DENSE_NB) {
                int base = panelStart(rowPointers, blockRows, blockCols, r, j);
                for (int n = n0; n < rowPointers[r + 1]; n++) {
                    // block n's 16 x blockCols rows j..j+15, transposed: reads run along a row (the strided writes
                    // stay inside the 2-4 KiB destination, in L1)
                    int d0 = base + (n - n0) * blockCols * CpuKernels.DENSE_NB;
                    for (int o = 0; o < CpuKernels.DENSE_NB; o++) {
                        int s = n * bs + (j + o) * blockCols;
                        for (int k = 0, d = d0 + o; k < blockCols; k++, d += CpuKernels.DENSE_NB) {
                            p[d] = values[s + k];
                        }
                    }
                }
                assert base + rowSteps * CpuKernels.DENSE_NB <= p.length;
            }
        }
        return new BsrWeights(out, in, blockRows, blockCols, rowPointers.clone(), p, steps);
    }

    /** Start of the panel of block row r holding its outputs j..j+15 (j a multiple of 16). */
    private static int panelStart(int[] rp, int br, int bc, int r, int j) {
        int rowSteps = (rp[r + 1] - rp[r]) * bc;
        return rp[r] * bc * br + j * rowSteps;
    }

    /** Start of output panel p's stream (p = output / 16). */
    int panelStart(int p) {
        int o = p * CpuKernels.DENSE_NB;
        return panelStart(rowPointers, blockRows, blockCols, o / blockRows, o % blockRows);
    }

    /** Whether output panels p and q lie in one block row, so they share its steps. */
    boolean sameBlockRow(int p, int q) {
        return p * CpuKernels.DENSE_NB / blockRows == q * CpuKernels.DENSE_NB / blockRows;
    }

    /** First step (index into {@link #stepColumns()}) of the block row holding output panel p. */
    int firstStep(int p) {
        return rowPointers[p * CpuKernels.DENSE_NB / blockRows] * blockCols;
    }

    /** One past the last step of the block row holding output panel p. */
    int endStep(int p) {
        return rowPointers[p * CpuKernels.DENSE_NB / blockRows + 1] * blockCols;
    }

    public int outFeatures() {
        return out;
    }

    public int inFeatures() {
        return in;
    }

    public int blockRows() {
        return blockRows;
    }

    public int blockCols() {
        return blockCols;
    }

    /** Stored blocks. */
    public int blockCount() {
        return rowPointers[rowPointers.length - 1];
    }

    /** Bytes held by this prepared form. */
    public long memoryBytes() {
        return 4L * panels.length + 4L * stepColumns.length + 4L * rowPointers.length;
    }

    float[] panels() {
        return panels;
    }

    int[] stepColumns() {
        return stepColumns;
    }

    @Override
    public String toString() {
        return "BsrWeights[" + out + ", " + in + "] " + blockRows + "x" + blockCols + " blocks, " + blockCount()
                + " stored, " + memoryBytes() + " bytes";
    }
}
