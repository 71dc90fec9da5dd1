package dev.sparsekernels;

import dev.sparsekernels.cpu.DenseWeights;

/**
 * A dense weight W [out, in] (PyTorch nn.Linear layout) kept ready for repeated {@link Kernels#linear(Tensor,
 * DenseMatrix, Tensor)} calls: the layer a channel or head removal leaves, or any dense layer run many times.
 *
 * <p>{@link Kernels#linear(Tensor, Tensor, Tensor)} takes W as a tensor, which may change between calls, so it reads
 * W out of its buffer on every call (on the CPU a copy of W per call: 7 of 10 ms at 4096 x 4096 and 4 tokens, session
 * 18's cliff scan) and uploads it on every CUDA call. A DenseMatrix copies W once, at construction, and is immutable:
 * the CPU backend reads the row-major copy directly or, for many tokens and in up to 2048, panels prepared on first
 * such call and cached ({@code DenseGemm.preparedPays}), and the CUDA backend keeps one device copy per compute
 * dtype, freed on {@link #close()}. Results equal those of the tensor overload with the same W, up to float rounding
 * order on the CPU.
 *
 * <p>{@link #dtype()} is the precision of the values: a matrix built from an F16 tensor holds values exactly
 * representable in F16.
 */
public final class DenseMatrix extends WeightMatrix {
    private final float[] values;

    private DenseMatrix(int rows, int cols, DType dtype, float[] values) {
        super("dense matrix [" + rows + ", " + cols + "]", rows, cols, dtype);
        this.values = values;
    }

    /** A copy of W [out, in] in W's dtype; the tensor may change or close afterwards. */
    public static DenseMatrix of(Tensor w) {
        if (w == null) {
            throw new IllegalArgumentException("W: expected a [out, in] tensor but got null");
        }
        int[] rc = w.matrixShape("W");
        return new DenseMatrix(rc[0], rc[1], w.dtype(), w.toFloatArray());
    }

    /** A copy of W [out, in] given row-major as floats (F32). */
    public static DenseMatrix of(float[] w, int rows, int cols) {
        if (rows < 1 || cols < 1) {
            throw new IllegalArgumentException("W shape: expected positive [out, in] but got [" + rows + ", " + cols
                    + "]");
        }
        if (w == null || w.length != (long) rows * cols) {
            throw new IllegalArgumentException("w: expected " + ((long) rows * cols) + " elements (" + rows + " x "
                    + cols + ") but got " + (w == null ? "null" : w.length));
        }
        return new DenseMatrix(rows, cols, DType.F32, w.clone());
    }

    /** A copy of W [out, in], row-major. */
    public float[] toDenseArray() {
        return live().values.clone();
    }

    /** W as an F32 tensor (a copy). */
    public Tensor toDense() {
        return Tensor.of(toDenseArray(), rows, cols);
    }

    /**
     * W row-major, not copied, for backends: callers must not write to it ({@link #toDenseArray()} gives a copy).
     */
    public float[] valuesView() {
        return live().values;
    }

    /** The prepared form the CPU kernel runs many tokens on where it pays; built once and cached. */
    public DenseWeights cpuWeights() {
        return cpuForm(() -> DenseWeights.of(values, rows, cols));
    }

    @Override
    public String toString() {
        return "DenseMatrix[" + rows + ", " + cols + "] " + dtype + (isClosed() ? " (closed)" : "");
    }

    private DenseMatrix live() {
        checkOpen();
        return this;
    }
}
