package dev.sparsekernels.cpu;

/**
 * Chooses the CPU microkernels once, at class initialization, the way Lucene's {@code VectorizationProvider} does:
 * the Vector API implementation is loaded reflectively only when the {@code jdk.incubator.vector} module is in the
 * boot layer (run with {@code --add-modules jdk.incubator.vector}) and its preferred width is at least 256 bits;
 * otherwise a plain-Java blocked implementation runs. The choice and its reason are always inspectable through
 * {@link #describe()}.
 *
 * <p>{@code -Dsparsekernels.cpu.vectorization=false} forces the plain-Java kernels.
 */
public final class CpuVectorization {
    private CpuVectorization() {}

    static final String VECTOR_MODULE = "jdk.incubator.vector";
    private static final String VECTOR_IMPL = "dev.sparsekernels.cpu.VectorKernels";

    private static final CpuKernels KERNELS;
    private static final boolean ACTIVE;
    private static final String DESCRIPTION;

    static {
        CpuKernels chosen = ScalarKernels.INSTANCE;
        boolean active = false;
        String description;
        if (!Boolean.parseBoolean(System.getProperty("sparsekernels.cpu.vectorization", "true"))) {
            description = "scalar: disabled by -Dsparsekernels.cpu.vectorization=false";
        } else if (ModuleLayer.boot().findModule(VECTOR_MODULE).isEmpty()) {
            description = "scalar: " + VECTOR_MODULE + " not present (run with --add-modules " + VECTOR_MODULE + ")";
        } else {
            String why;
            try {
                chosen = (CpuKernels) Class.forName(VECTOR_IMPL).getDeclaredConstructor().newInstance();
                active = true;
                why = null;
            } catch (java.lang.reflect.InvocationTargetException e) {
                why = String.valueOf(e.getCause().getMessage());
            } catch (ReflectiveOperationException | LinkageError | RuntimeException e) {
                why = e.toString();
            }
            description = active ? chosen.describe() : "scalar: Vector API unusable (" + why + ")";
            if (!active) {
                chosen = ScalarKernels.INSTANCE;
            }
        }
        KERNELS = chosen;
        ACTIVE = active;
        DESCRIPTION = description;
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
