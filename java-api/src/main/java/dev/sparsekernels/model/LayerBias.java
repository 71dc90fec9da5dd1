package dev.sparsekernels.model;

import dev.sparsekernels.Tensor;

/**
 * The bias a linear layer owns: the tensor (or none), checked against the layer's width once, and its values as a
 * float array read out on first use by the CPU path (the layers are shared across threads, hence volatile; two
 * threads racing read the same values).
 */
final class LayerBias {
    private final Tensor tensor;
    private volatile float[] array;

    LayerBias(Tensor bias, int out) {
        Biases.check(bias, out);
        this.tensor = bias;
    }

    /** The tensor [out], or null. */
    Tensor tensor() {
        return tensor;
    }

    /** The values, or null without a bias. */
    float[] array() {
        float[] a = array;
        if (a == null && tensor != null) {
            a = tensor.toFloatArray();
            array = a;
        }
        return a;
    }

    /** Parameters the bias adds to a layer of width out. */
    long parameters(int out) {
        return tensor == null ? 0 : out;
    }

    void close() {
        if (tensor != null) {
            tensor.close();
        }
    }
}
