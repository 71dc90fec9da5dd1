package dev.sparsekernels.djl;

import dev.sparsekernels.BlockSparseMatrix;
import dev.sparsekernels.Kernels;
import dev.sparsekernels.Sparse24Matrix;
import dev.sparsekernels.Tensor;
import dev.sparsekernels.channels.ChannelStatistics;
import dev.sparsekernels.prune.BlockPruner;

/** One Linear to one SparseLinear for the 2:4 and block patterns, by magnitude or (with statistics) Wanda. */
final class LayerPruner {
    private final Kernels kernels;
    private final SparsePattern pattern;

    LayerPruner(Kernels kernels, SparsePattern pattern) {
        this.kernels = kernels;
        this.pattern = pattern;
    }

    /** @param inputs statistics of the Linear's inputs for Wanda, null for magnitude */
    SparseLinear prune(BlockTree.Site s, ChannelStatistics inputs) {
        try (TensorBridge.Borrowed w = TensorBridge.borrow(LinearParameters.weight(s.linear(), s.path))) {
            Tensor bias = LinearParameters.biasCopy(s.linear(), s.path);
            SparseLinear b;
            if (pattern.kind() == SparsePattern.Kind.TWO_FOUR) {
                b = SparseLinear.of(kernels, inputs == null ? Sparse24Matrix.prune(w.tensor())
                        : Sparse24Matrix.prune(w.tensor(), toFloats(inputs.rms())), bias);
            } else {
                b = SparseLinear.of(kernels, inputs == null
                        ? BlockSparseMatrix.prune(w.tensor(), pattern.blockRows(), pattern.blockCols(),
                                pattern.density(), pattern.balance())
                        : wandaBlocks(w.tensor(), inputs.rms()), bias);
            }
            b.adoptInputShapes(s.linear().isInitialized() ? s.linear().getInputShapes() : null);
            return b;
        }
    }

    /**
     * Blocks ranked by the L2 norm of W · diag(rms of the inputs), the Wanda score summed over a tile; the kept
     * blocks hold the original weights.
     */
    private BlockSparseMatrix wandaBlocks(Tensor w, double[] rms) {
        int out = (int) w.dim(0);
        int in = (int) w.dim(1);
        int br = pattern.blockRows();
        int bc = pattern.blockCols();
        float[] dense = w.toFloatArray();
        float[] scaled = new float[dense.length];
        for (int r = 0; r < out; r++) {
            for (int c = 0; c < in; c++) {
                scaled[r * in + c] = (float) (dense[r * in + c] * rms[c]);
            }
        }
        boolean[] keep = BlockPruner.select(BlockPruner.blockNorms(scaled, out, in, br, bc), out / br, in / bc,
                pattern.density(), pattern.balance());
        int nbc = in / bc;
        for (int r = 0; r < out; r++) {
            for (int c = 0; c < in; c++) {
                if (!keep[(r / br) * nbc + c / bc]) {
                    dense[r * in + c] = 0f;
                }
            }
        }
        try (Tensor masked = Tensor.of(w.dtype(), dense, out, in)) {
            return BlockSparseMatrix.fromDense(masked, br, bc);
        }
    }

    private static float[] toFloats(double[] v) {
        float[] f = new float[v.length];
        for (int i = 0; i < v.length; i++) {
            f[i] = (float) v[i];
        }
        return f;
    }
}
