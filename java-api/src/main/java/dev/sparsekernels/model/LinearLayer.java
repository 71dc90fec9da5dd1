package dev.sparsekernels.model;

import dev.sparsekernels.DType;
import dev.sparsekernels.Kernels;
import dev.sparsekernels.Tensor;

/**
 * One linear layer {@code Y = X · Wᵀ + b} of a model, in whatever format its weight is stored: the seam where pruning
 * swaps formats without touching the model code. {@link DenseLinear} is the trained weight; {@link Sparse24Linear}
 * and {@link BlockSparseLinear} run a pruned one on the sparse kernels; channel removal gives a smaller
 * {@link DenseLinear} (fewer rows in a producer, fewer columns in its consumer), and the model adapts to the new
 * sizes (see {@link BertLayer#replaceFeedForward} and {@link BertLayer#replaceAttention}).
 *
 * <p>A layer owns its tensors: closing it closes them. Layers are immutable apart from closing.
 */
public interface LinearLayer extends AutoCloseable {

    /** Width of the input, the last dimension of X. */
    int inFeatures();

    /** Width of the output. */
    int outFeatures();

    /**
     * Y = X · Wᵀ + b for X [..., in] (any dtype the backend takes); returns a new F32 tensor [..., out] owned by the
     * caller.
     */
    Tensor forward(Kernels kernels, Tensor x);

    /**
     * Y = X · Wᵀ + b for rows of X held in an array x [rows, in] (what the model keeps between layers), handed to
     * the kernels in the given dtype; returns a new array [rows, out]. This default goes through tensors and
     * {@link #forward(Kernels, Tensor)}; the formats here override it to run the CPU kernels on the arrays directly
     * when the kernels are the CPU backend and activations F32 (same kernels, same result, no copies).
     */
    default float[] forward(Kernels kernels, DType activations, float[] x, int rows) {
        return CpuPath.viaTensors(this, kernels, activations, x, rows);
    }

    /**
     * Parameters the layer stores and computes with: the kept weights (all of a dense W, half of a 2:4 W, the stored
     * blocks of a BSR W; index metadata not counted) plus the bias.
     */
    long parameterCount();

    /** A short description of the format for reports, e.g. "dense", "2:4", "bsr 32x32 density 0.25". */
    String format();

    @Override
    void close();
}
