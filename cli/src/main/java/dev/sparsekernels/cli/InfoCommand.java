package dev.sparsekernels.cli;

import dev.sparsekernels.Kernels;
import dev.sparsekernels.bindings.NativeCalls;
import dev.sparsekernels.bindings.NativeLibrary;
import dev.sparsekernels.cpu.CpuVectorization;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

@Command(name = "info", mixinStandardHelpOptions = true,
        description = "Version, backend chosen and why, binding, native library, CUDA devices, "
        + "Vector API.")
final class InfoCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        out.println("sparsekernels " + new VersionProvider().getVersion()[0].substring("sparsekernels ".length()));
        out.println("java:          " + System.getProperty("java.version") + " (" + System.getProperty("java.home")
                + ")");
        if (NativeLibrary.isAvailable()) {
            NativeCalls calls = new NativeCalls(NativeLibrary.kernels());
            out.println("native:        " + NativeLibrary.libraryPath() + " (version " + calls.version()
                    + (calls.cudaCompiled() ? ", CUDA kernels compiled in" : ", host code only") + ")");
            out.println("binding:       " + NativeLibrary.kernels().bindingName());
            int n = calls.deviceCount();
            if (n == 0) {
                String why = NativeLibrary.kernels().lastError();
                out.println("cuda devices:  0" + (why == null || why.isEmpty() ? "" : " (" + why + ")"));
            }
            for (int i = 0; i < n; i++) {
                out.println("cuda device " + i + ": " + calls.deviceName(i) + ", sm_" + calls.deviceCapability(i));
            }
        } else {
            Throwable cause = NativeLibrary.unavailabilityCause();
            out.println("native:        unavailable (" + (cause == null ? "unknown" : cause.getMessage()) + ")");
            out.println("binding:       none");
            out.println("cuda devices:  0 (no native library)");
        }
        out.println("vector api:    " + (CpuVectorization.isActive() ? "active, " : "inactive, ")
                + CpuVectorization.describe());
        out.println("cpu buffers:   " + CpuVectorization.bufferPlacement());
        try (Kernels k = Kernels.auto()) {
            out.println("backend:       " + k.describe());
        }
        return 0;
    }
}
