package dev.sparsekernels.cpu;

/**
 * Chooses the CPU microkernels once, at class initialization, the way Lucene's {@code VectorizationProvider} does:
 * the Vector API implementation is loaded reflectively only when the {@code jdk.incubator.vector} module is in the
 * boot layer (run with {@code --add-modules jdk.incubator.vector}) and its preferred width is at least 256 bits;
 * otherwise a plain-Java blocked implementation runs. The choice and its reason are always inspectable through
 * {@link #describe()}.
 *
 * <p>{@code -Dsparsekernels.cpu.vectorization=false} forces the plain-Java kernels.
 *
 * <p>The GEMM kernels come in two widths. {@code -Dsparsekernels.cpu.vectorBits=auto} (the default) takes the 512-bit
 * ones when the preferred species is 512 bits wide (the JVM saw AVX-512 and kept it on) and the JDK is 21 or later
 * (JDK 17's C2 was measured spilling the 256-bit six-row kernel; its 512-bit code was never checked); {@code 256} or
 * {@code 512} force one. A forced 512 that cannot run falls back to 256 and says why.
 */
public final class CpuVectorization {
    private CpuVectorization() {}

    static final String VECTOR_MODULE = "jdk.incubator.vector";
    private static final String VECTOR_IMPL = "dev.sparsekernels.cpu.VectorKernels";
    private static final String VECTOR_IMPL_512 = "dev.sparsekernels.cpu.VectorKernels512";

    private static final CpuKernels KERNELS;
    private static final boolean ACTIVE;
    private static final boolean WIDE;
    private static final String DESCRIPTION;

    static {
        CpuKernels chosen = ScalarKernels.INSTANCE;
        boolean active = false;
        boolean wide = false;
        String description;
        if (!Boolean.parseBoolean(System.getProperty("sparsekernels.cpu.vectorization", "true"))) {
            description = "scalar: disabled by -Dsparsekernels.cpu.vectorization=false";
        } else if (ModuleLayer.boot().findModule(VECTOR_MODULE).isEmpty()) {
            description = "scalar: " + VECTOR_MODULE + " not present (run with --add-modules " + VECTOR_MODULE + ")";
        } else {
            String why = null;
            String widthNote = "";
            String bits = System.getProperty("sparsekernels.cpu.vectorBits", "auto");
            if (bits.equals("512") || bits.equals("auto") && Runtime.version().feature() >= 21) {
                try {
                    chosen = load(VECTOR_IMPL_512);
                    active = true;
                    wide = true;
                } catch (ReflectiveOperationException | LinkageError | RuntimeException e) {
                    widthNote = bits.equals("512") ? " (512-bit kernels unusable: " + reason(e) + ")" : "";
                }
            }
            if (!active) {
                try {
                    chosen = load(VECTOR_IMPL);
                    active = true;
                } catch (ReflectiveOperationException | LinkageError | RuntimeException e) {
                    why = reason(e);
                }
            }
            description = active ? chosen.describe() + widthNote : "scalar: Vector API unusable (" + why + ")";
            if (!active) {
                chosen = ScalarKernels.INSTANCE;
            }
        }
        KERNELS = chosen;
        ACTIVE = active;
        WIDE = wide;
        DESCRIPTION = description;
    }

    private static CpuKernels load(String impl) throws ReflectiveOperationException {
        return (CpuKernels) Class.forName(impl).getDeclaredConstructor().newInstance();
    }

    private static String reason(Throwable e) {
        return e instanceof java.lang.reflect.InvocationTargetException ite
                ? String.valueOf(ite.getCause().getMessage()) : e.toString();
    }

    /** True when the 512-bit kernels were chosen; the attention kernels then take their 512-bit paths too. */
    static boolean wide() {
        return WIDE;
    }

    /** True when the Vector API kernels run; false when the plain-Java fallback does. */
    public static boolean isActive() {
        return ACTIVE;
    }

    /**
     * What runs and why, e.g. {@code "Vector API, 256-bit (8 floats)"} or
     * {@code "scalar: jdk.incubator.vector not present (run with --add-modules jdk.incubator.vector)"}.
     */
    /**
     * Whether the kernels' packed operands are known to start cache lines in this JVM (they are under G1, the default
     * collector on machines with 2 or more CPUs; see {@code cpu.CacheAligned}).
     */
    public static String bufferPlacement() {
        return CacheAligned.describe();
    }

    public static String describe() {
        return DESCRIPTION;
    }

    static CpuKernels kernels() {
        return KERNELS;
    }
}
