package dev.sparsekernels.djl;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.Parameter;
import ai.djl.nn.core.Linear;
import dev.sparsekernels.Tensor;

/** Reading a DJL Linear's weight [out, in] and bias [out]; uninitialized parameters are a usage error. */
final class LinearParameters {
    private LinearParameters() {
    }

    /** The weight's {out, in}. */
    static long[] weightShape(Linear linear, String path) {
        NDArray w = array(linear, path, "weight");
        long[] d = w.getShape().getShape();
        if (d.length != 2) {
            throw new IllegalStateException(name(path) + ": expected a weight [out, in] but got shape "
                    + w.getShape());
        }
        return d;
    }

    /** The weight array itself (borrow it through {@link TensorBridge} to read it without a copy). */
    static NDArray weight(Linear linear, String path) {
        return array(linear, path, "weight");
    }

    /** A copy of the bias (a SparseLinear owns its own), or null when the Linear has none. */
    static Tensor biasCopy(Linear linear, String path) {
        if (linear.getDirectParameters().get("bias") == null) {
            return null;
        }
        try (TensorBridge.Borrowed b = TensorBridge.borrow(array(linear, path, "bias"))) {
            return b.tensor().to(b.tensor().dtype());
        }
    }

    static String name(String path) {
        return path.isEmpty() ? "root Linear" : path;
    }

    private static NDArray array(Linear linear, String path, String parameter) {
        Parameter p = linear.getDirectParameters().get(parameter);
        if (p == null || !p.isInitialized()) {
            throw new IllegalStateException(name(path) + ": parameter '" + parameter
                    + "' is not initialized; initialize or load the model before sparsifying");
        }
        return p.getArray();
    }
}
