package dev.sparsekernels.model.distill;

import dev.sparsekernels.BlockSparseMatrix;
import dev.sparsekernels.Sparse24Matrix;
import dev.sparsekernels.Tensor;
import dev.sparsekernels.model.BlockSparseLinear;
import dev.sparsekernels.model.DenseLinear;
import dev.sparsekernels.model.LinearLayer;
import dev.sparsekernels.model.Sparse24Linear;

/**
 * How one linear's weight is stored, so training can read it as a dense array, keep its sparsity pattern (a 0/1
 * mask: pruned weights stay exactly zero) and write the trained weight back in the same format.
 *
 * <p>The mask comes from the dense values: for 2:4 the non-zeros, for BSR every block holding a non-zero, whole. So
 * a kept weight (or a stored block) that was exactly zero stays zero, and a stored all-zero block is dropped when
 * the weight is written back: the pattern can only become sparser, which both formats allow.
 */
final class WeightFormat {
    private enum Kind { DENSE, SPARSE24, BSR }

    private final Kind kind;
    private final int blockRows;
    private final int blockCols;

    private WeightFormat(Kind kind, int blockRows, int blockCols) {
        this.kind = kind;
        this.blockRows = blockRows;
        this.blockCols = blockCols;
    }

    static final WeightFormat DENSE = new WeightFormat(Kind.DENSE, 0, 0);

    /** The format of a layer, or null when training cannot handle it. */
    static WeightFormat of(LinearLayer l) {
        if (l instanceof DenseLinear) {
            return DENSE;
        }
        if (l instanceof Sparse24Linear) {
            return new WeightFormat(Kind.SPARSE24, 0, 0);
        }
        if (l instanceof BlockSparseLinear b) {
            return new WeightFormat(Kind.BSR, b.weight().blockRows(), b.weight().blockCols());
        }
        return null;
    }

    /** The weight [out, in] as a dense array (pruned entries zero). */
    static float[] denseWeight(LinearLayer l) {
        if (l instanceof DenseLinear d) {
            return d.weight().toFloatArray();
        }
        if (l instanceof Sparse24Linear s) {
            return s.weight().toDenseArray();
        }
        return ((BlockSparseLinear) l).weight().toDenseArray();
    }

    /** The bias [out] (zeros when the layer has none). */
    static float[] bias(LinearLayer l) {
        Tensor b = l instanceof DenseLinear d ? d.bias()
                : l instanceof Sparse24Linear s ? s.bias() : ((BlockSparseLinear) l).bias();
        return b == null ? new float[l.outFeatures()] : b.toFloatArray();
    }

    /** 1 where training may change the weight, 0 where it must stay zero; null for a dense weight. */
    float[] mask(float[] w, int out, int in) {
        if (kind == Kind.DENSE) {
            return null;
        }
        float[] m = new float[w.length];
        if (kind == Kind.SPARSE24) {
            for (int i = 0; i < w.length; i++) {
                m[i] = w[i] != 0f ? 1f : 0f;
            }
            return m;
        }
        int nbc = in / blockCols;
        boolean[] stored = new boolean[(out / blockRows) * nbc];
        for (int r = 0; r < out; r++) {
            for (int c = 0; c < in; c++) {
                if (w[r * in + c] != 0f) {
                    stored[(r / blockRows) * nbc + c / blockCols] = true;
                }
            }
        }
        for (int r = 0; r < out; r++) {
            for (int c = 0; c < in; c++) {
                m[r * in + c] = stored[(r / blockRows) * nbc + c / blockCols] ? 1f : 0f;
            }
        }
        return m;
    }

    /** A new layer of this format holding w [out, in] (zeros where the mask was 0) and b [out]; both copied. */
    LinearLayer build(float[] w, float[] b, int out, int in) {
        Tensor bias = Tensor.of(b, out);
        switch (kind) {
            case DENSE:
                return new DenseLinear(Tensor.of(w, out, in), bias);
            case SPARSE24:
                try (Tensor t = Tensor.of(w, out, in)) {
                    return new Sparse24Linear(Sparse24Matrix.fromPruned(t), bias);
                }
            default:
                try (Tensor t = Tensor.of(w, out, in)) {
                    return new BlockSparseLinear(BlockSparseMatrix.fromDense(t, blockRows, blockCols), bias);
                }
        }
    }
}
