package dev.sparsekernels.model;

import dev.sparsekernels.Tensor;
import java.util.Arrays;

/** Bias checks and copies shared by the linear layer formats. */
final class Biases {
    private Biases() {
    }

    static void check(Tensor bias, int out) {
        if (bias == null) {
            return;
        }
        if (bias.isClosed()) {
            throw new IllegalStateException("bias: tensor is closed");
        }
        if (bias.rank() != 1 || bias.dim(0) != out) {
            throw new IllegalArgumentException("bias: expected shape [" + out + "] but got "
                    + Arrays.toString(bias.shape()));
        }
    }

    /** A copy the new layer owns (null stays null). */
    static Tensor copy(Tensor bias) {
        return bias == null ? null : bias.reshape(bias.shape());
    }
}
