package dev.sparsekernels.model;

import dev.sparsekernels.DType;
import dev.sparsekernels.Kernels;
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
}
