package dev.sparsekernels.cpu;

import java.util.ArrayList;
import java.util.List;

/**
 * The microkernel implementations a test runs: the one in use, the other Vector API width where this JVM can build it
 * (the 512-bit kernels need a 512-bit preferred species), and the plain-Java fallback. Without it, a machine that
 * picks the 512-bit 2:4 kernels would leave the 256-bit ones, which others run, untested.
 */
final class KernelSets {
    private KernelSets() {}

    static CpuKernels[] all() {
        List<CpuKernels> list = new ArrayList<>(vector());
        list.add(ScalarKernels.INSTANCE);
        return list.toArray(new CpuKernels[0]);
    }

    /** Every Vector API implementation constructible here, the one in use first; empty without the module. */
    static List<CpuKernels> vector() {
        List<CpuKernels> list = new ArrayList<>();
        if (!CpuVectorization.isActive()) {
            return list;
        }
        list.add(CpuVectorization.kernels());
        for (CpuKernels k : new CpuKernels[] {tryNew256(), tryNew512()}) {
            if (k != null && k.getClass() != CpuVectorization.kernels().getClass()) {
                list.add(k);
            }
        }
        return list;
    }

    /** The named implementation ("256", "512", "scalar"), or null when it cannot run here. */
    static CpuKernels named(String name) {
        return switch (name) {
            case "256" -> CpuVectorization.isActive() ? tryNew256() : null;
            case "512" -> CpuVectorization.isActive() ? tryNew512() : null;
            case "scalar" -> ScalarKernels.INSTANCE;
            default -> throw new IllegalArgumentException(name);
        };
    }

    private static CpuKernels tryNew256() {
        try {
            return new VectorKernels();
        } catch (UnsupportedOperationException e) {
            return null;
        }
    }

    private static CpuKernels tryNew512() {
        try {
            return new VectorKernels512();
        } catch (UnsupportedOperationException e) {
            return null;
        }
    }
}
