package dev.sparsekernels.model;

import dev.sparsekernels.DType;
import dev.sparsekernels.Kernels;
import dev.sparsekernels.Tensor;
import dev.sparsekernels.cpu.DenseGemm;
import dev.sparsekernels.cpu.DenseWeights;

/**
 * A linear layer with a dense weight W [out, in] and an optional bias [out]; owns both. On the CPU path (see
 * {@link LinearLayer#forward(Kernels, DType, float[], int)}) the weight is read out of its tensor once, on first use,
 * and kept prepared ({@link DenseWeights}: Wᵀ panels, so calls neither pack X nor transpose their result), the bias
 * as an array: weights are not changed after construction.
 */
public final class DenseLinear implements LinearLayer {
    private final Tensor weight;
    private final LayerBias bias;
    private final int out;
    private final int in;
    private volatile DenseWeights prepared;

    /** Takes ownership of weight [out, in] and bias [out] (null for none). */
    public DenseLinear(Tensor weight, Tensor bias) {
        int[] oi = weight == null ? null : weight.matrixShape("weight");
        if (oi == null) {
            throw new IllegalArgumentException("weight: expected a [out, in] tensor but got null");
        }
        this.bias = new LayerBias(bias, oi[0]);
        this.weight = weight;
        this.out = oi[0];
        this.in = oi[1];
    }

    /** The weight [out, in] (still owned by this layer): what pruning reads. */
    public Tensor weight() {
        return weight;
    }

    /** The bias [out], or null (still owned by this layer). */
    public Tensor bias() {
        return bias.tensor();
    }

    @Override
    public int inFeatures() {
        return in;
    }

    @Override
    public int outFeatures() {
        return out;
    }

    @Override
    public Tensor forward(Kernels kernels, Tensor x) {
        return kernels.linear(x, weight, bias.tensor());
    }

    @Override
    public float[] forward(Kernels kernels, DType activations, float[] x, int rows) {
        return CpuPath.forward(this, kernels, activations, x, rows, weight.isClosed(), "DenseLinear[" + out + ", " + in
                + "]", (y, threads) -> DenseGemm.linear(x, rows, prepared(), bias.array(), y, threads));
    }

    /** The weight read out of its tensor and prepared once, on the first direct CPU call. */
    private DenseWeights prepared() {
        DenseWeights w = prepared;
        if (w == null) {
            w = DenseWeights.of(weight.toFloatArray(), out, in);
            prepared = w;
        }
        return w;
    }

    @Override
    public long parameterCount() {
        return (long) out * in + bias.parameters(out);
    }

    @Override
    public String format() {
        return "dense";
    }

    @Override
    public void close() {
        weight.close();
        bias.close();
    }

    @Override
    public String toString() {
        return "DenseLinear[" + out + ", " + in + "]";
    }
}
