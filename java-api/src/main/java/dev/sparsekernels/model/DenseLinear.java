package dev.sparsekernels.model;

import dev.sparsekernels.Kernels;
import dev.sparsekernels.Tensor;

/** A linear layer with a dense weight W [out, in] and an optional bias [out]; owns both. */
public final class DenseLinear implements LinearLayer {
    private final Tensor weight;
    private final Tensor bias;
    private final int out;
    private final int in;

    /** Takes ownership of weight [out, in] and bias [out] (null for none). */
    public DenseLinear(Tensor weight, Tensor bias) {
        int[] oi = weight == null ? null : weight.matrixShape("weight");
        if (oi == null) {
            throw new IllegalArgumentException("weight: expected a [out, in] tensor but got null");
        }
        Biases.check(bias, oi[0]);
        this.weight = weight;
        this.bias = bias;
        this.out = oi[0];
        this.in = oi[1];
    }

    /** The weight [out, in] (still owned by this layer): what pruning reads. */
    public Tensor weight() {
        return weight;
    }

    /** The bias [out], or null (still owned by this layer). */
    public Tensor bias() {
        return bias;
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
        return kernels.linear(x, weight, bias);
    }

    @Override
    public String format() {
        return "dense";
    }

    @Override
    public void close() {
        weight.close();
        if (bias != null) {
            bias.close();
        }
    }

    @Override
    public String toString() {
        return "DenseLinear[" + out + ", " + in + "]";
    }
}
