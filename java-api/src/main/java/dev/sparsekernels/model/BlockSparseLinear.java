package dev.sparsekernels.model;

import dev.sparsekernels.BlockSparseMatrix;
import dev.sparsekernels.DType;
import dev.sparsekernels.Kernels;
import dev.sparsekernels.Tensor;
import dev.sparsekernels.cpu.BsrGemm;
import java.util.Locale;

/** A linear layer whose weight is block-sparse (BSR): only stored blocks are computed; owns weight and bias. */
public final class BlockSparseLinear implements LinearLayer {
    private final BlockSparseMatrix weight;
    private final LayerBias bias;

    /** Takes ownership of weight and bias [out] (null for none). */
    public BlockSparseLinear(BlockSparseMatrix weight, Tensor bias) {
        if (weight == null) {
            throw new IllegalArgumentException("weight: expected a block-sparse matrix but got null");
        }
        this.bias = new LayerBias(bias, weight.rows());
        this.weight = weight;
    }

    /**
     * Keeps the given fraction of blockRows x blockCols blocks with the largest L2 norm; the dense layer is left as it
     * was and the bias is copied.
     */
    public static BlockSparseLinear pruneByBlockNorm(DenseLinear dense, int blockRows, int blockCols, double density) {
        return new BlockSparseLinear(BlockSparseMatrix.prune(dense.weight(), blockRows, blockCols, density),
                Biases.copy(dense.bias()));
    }

    public BlockSparseMatrix weight() {
        return weight;
    }

    public Tensor bias() {
        return bias.tensor();
    }

    @Override
    public int inFeatures() {
        return weight.cols();
    }

    @Override
    public int outFeatures() {
        return weight.rows();
    }

    @Override
    public Tensor forward(Kernels kernels, Tensor x) {
        return kernels.linear(x, weight, bias.tensor());
    }

    @Override
    public float[] forward(Kernels kernels, DType activations, float[] x, int rows) {
        return CpuPath.forward(this, kernels, activations, x, rows, weight.isClosed(), "BlockSparseLinear",
                (y, threads) -> BsrGemm.linear(x, rows, weight.cpuWeights(), bias.array(), y, threads));
    }

    @Override
    public long parameterCount() {
        return (long) weight.blockCount() * weight.blockRows() * weight.blockCols() + bias.parameters(outFeatures());
    }

    @Override
    public String format() {
        return String.format(Locale.ROOT, "bsr %dx%d density %.3f", weight.blockRows(), weight.blockCols(),
                weight.density());
    }

    @Override
    public void close() {
        weight.close();
        bias.close();
    }

    @Override
    public String toString() {
        return "BlockSparseLinear[" + outFeatures() + ", " + inFeatures() + "] " + format();
    }
}
