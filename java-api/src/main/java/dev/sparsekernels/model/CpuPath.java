package dev.sparsekernels.model;

import dev.sparsekernels.DType;
import dev.sparsekernels.Kernels;
import dev.sparsekernels.Tensor;
import dev.sparsekernels.backend.CpuBackend;

/**
 * When the model may call the CPU kernels on its float arrays directly: the CPU backend with F32 activations. The
 * backend would run the very same kernels, but only after copying every activation into an off-heap tensor and back
 * out, and every weight out of its tensor, on every call; at MiniLM's widths those copies cost as much as a GEMM.
 */
final class CpuPath {
    private CpuPath() {
    }

    /** The backend's thread count when the direct path applies, else 0 (go through {@link Kernels}). */
    static int threads(Kernels kernels, DType activations) {
        return activations == DType.F32 && kernels instanceof CpuBackend ? ((CpuBackend) kernels).threads() : 0;
    }

    /** A format's CPU kernel writing Y [rows, out] for the arrays it was given. */
    interface ArrayKernel {
        void run(float[] y, int threads);
    }

    /**
     * {@link LinearLayer#forward(Kernels, DType, float[], int)} for every format: its CPU kernel on the arrays when
     * the direct path applies, else through tensors.
     *
     * @param name what a closed weight is reported as ("... : closed")
     */
    static float[] forward(LinearLayer layer, Kernels kernels, DType activations, float[] x, int rows,
            boolean weightClosed, String name, ArrayKernel kernel) {
        int threads = threads(kernels, activations);
        if (threads == 0) {
            return viaTensors(layer, kernels, activations, x, rows);
        }
        if (weightClosed) {
            throw new IllegalStateException(name + ": closed");
        }
        float[] y = ScratchArrays.take(Math.multiplyExact(rows, layer.outFeatures())); // every kernel overwrites Y
        kernel.run(y, threads);
        return y;
    }

    /** The array forward through tensors and {@link LinearLayer#forward(Kernels, Tensor)}. */
    static float[] viaTensors(LinearLayer layer, Kernels kernels, DType activations, float[] x, int rows) {
        int in = layer.inFeatures();
        if (x == null || rows < 1 || x.length != (long) rows * in) {
            throw new IllegalArgumentException("x: expected " + rows + " rows of " + in + " values but got "
                    + (x == null ? "null" : x.length + " values"));
        }
        try (Tensor t = BertLayer.tensor(activations, x, rows, in);
                Tensor y = layer.forward(kernels, t)) {
            return y.toFloatArray();
        }
    }
}
