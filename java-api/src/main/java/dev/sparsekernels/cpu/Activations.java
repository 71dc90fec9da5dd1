package dev.sparsekernels.cpu;

/**
 * Element-wise activations on float arrays for CPU model code (a transformer's GELU is the largest non-GEMM cost of
 * its feed-forward block): vectorized when the Vector API is usable, split over threads of the shared pool.
 */
public final class Activations {
    /** Floats per task: large enough that scheduling is negligible, small enough to balance 2 to 16 threads. */
    static final int CHUNK = 16 * 1024;

    private static final ElementwiseKernels KERNELS;

    static {
        ElementwiseKernels k = ScalarElementwise.INSTANCE;
        if (CpuVectorization.isActive()) {
            try {
                k = (ElementwiseKernels) Class.forName("dev.sparsekernels.cpu.VectorElementwise")
                        .getDeclaredConstructor().newInstance();
            } catch (ReflectiveOperationException | LinkageError | RuntimeException e) {
                k = ScalarElementwise.INSTANCE;
            }
        }
        KERNELS = k;
    }

    private Activations() {
    }

    /** Which kernels run. */
    public static String describe() {
        return KERNELS.describe();
    }

    /** GELU (erf form) in place on every element of x, on up to threads threads. */
    public static void gelu(float[] x, int threads) {
        gelu(KERNELS, x, threads);
    }

    static void gelu(ElementwiseKernels kernels, float[] x, int threads) {
        Checks.notNull("x", x);
        Checks.positive("threads", threads);
        int tasks = (x.length + CHUNK - 1) / CHUNK;
        CpuThreads.parallelFor(threads, tasks, t -> kernels.gelu(x, t * CHUNK, Math.min(x.length, (t + 1) * CHUNK)));
    }

    /**
     * LayerNorm of the row {@code x[off, off + n)} in place, after adding {@code residual}'s same range when it is not
     * null: {@code (x - mean) / sqrt(var + eps) · gamma + beta}, biased variance, gamma and beta of length n. The
     * sums run in a fixed order, so the row's result does not depend on the thread that computes it.
     */
    public static void layerNormRow(float[] x, float[] residual, int off, int n, float[] gamma, float[] beta,
            float eps) {
        KERNELS.layerNormRow(x, residual, off, n, gamma, beta, eps);
    }

    /**
     * Runs {@code body.accept(i)} for i in [0, tasks) on up to threads threads of the pool the kernels share (the
     * caller works too), for row-wise model helpers such as LayerNorm.
     */
    public static void parallelFor(int threads, int tasks, java.util.function.IntConsumer body) {
        Checks.positive("threads", threads);
        Checks.notNull("body", body);
        if (tasks < 0) {
            throw new IllegalArgumentException("tasks: expected >= 0 but got " + tasks);
        }
        CpuThreads.parallelFor(threads, tasks, body);
    }
}
