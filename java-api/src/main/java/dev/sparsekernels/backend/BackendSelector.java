package dev.sparsekernels.backend;

import dev.sparsekernels.Kernels;
import dev.sparsekernels.bindings.NativeCalls;
import dev.sparsekernels.bindings.NativeLibrary;
import java.util.Locale;

/** Implements Kernels.auto(): the first usable of CUDA device 0 and the CPU, with the reason recorded. */
public final class BackendSelector {
    private BackendSelector() {
    }

    public static Kernels select() {
        String forced = System.getProperty("sparsekernels.backend", "").trim().toLowerCase(Locale.ROOT);
        switch (forced) {
            case "cpu":
                return new CpuBackend(CpuBackend.defaultThreads(), "forced by -Dsparsekernels.backend=cpu");
            case "cuda":
                return CudaBackend.open(0, "forced by -Dsparsekernels.backend=cuda");
            case "":
            case "auto":
                break;
            default:
                throw new IllegalArgumentException("sparsekernels.backend: expected cpu, cuda or auto but got '"
                        + forced + "'");
        }
        String whyNotCuda = cudaUnavailableReason();
        if (whyNotCuda == null) {
            return CudaBackend.open(0, "auto: CUDA device 0 is usable");
        }
        return new CpuBackend(CpuBackend.defaultThreads(), "auto: " + whyNotCuda);
    }

    /** Null when CUDA device 0 can be used, else a sentence saying why not. */
    public static String cudaUnavailableReason() {
        if (!NativeLibrary.isAvailable()) {
            Throwable cause = NativeLibrary.unavailabilityCause();
            return "native library not loaded (" + (cause == null ? "unknown cause" : cause.getMessage()) + ")";
        }
        NativeCalls calls = new NativeCalls(NativeLibrary.kernels());
        if (!calls.cudaCompiled()) {
            return "native library was built without CUDA kernels";
        }
        int devices = calls.deviceCount();
        if (devices == 0) {
            String detail = NativeLibrary.kernels().lastError();
            return "no CUDA device" + (detail == null || detail.isEmpty() ? "" : " (" + detail + ")");
        }
        return null;
    }
}
