package dev.sparsekernels.cpu;

/**
 * Dense {@code Y[tokens, out] = X[tokens, in] · W[out, in]ᵀ + b} (PyTorch {@code nn.Linear}), all row-major float
 * arrays, on the CPU: Vector API microkernels when available (see {@link CpuVectorization}), else plain Java.
 */
public final class DenseGemm {
    private DenseGemm() {}

    /**
     * Computes {@code y = x · wᵀ + bias}.
     *
     * @param x       [tokens, in] row-major
     * @param tokens  >= 1 (1 is a GEMV)
     * @param in      >= 1
     * @param w       [out, in] row-major
     * @param out     >= 1
     * @param bias    [out] or null
     * @param y       [tokens, out] row-major, overwritten
     * @param threads >= 1; threads come from one shared pool
     * @throws IllegalArgumentException naming the argument, the expected and the actual value
     */
    public static void linear(float[] x, int tokens, int in, float[] w, int out, float[] bias, float[] y, int threads) {
        linear(CpuVectorization.kernels(), x, tokens, in, w, out, bias, y, threads);
    }

    static void linear(CpuKernels kernels, float[] x, int tokens, int in, float[] w, int out, float[] bias, float[] y,
                       int threads) {
        Checks.positive("tokens", tokens);
        Checks.positive("in", in);
        Checks.positive("out", out);
        Checks.positive("threads", threads);
        Checks.notNull("x", x);
        Checks.notNull("w", w);
        Checks.notNull("y", y);
        Checks.length("x", x.length, tokens, in, "tokens*in");
        Checks.length("w", w.length, out, in, "out*in");
        Checks.length("y", y.length, tokens, out, "tokens*out");
        if (bias != null) {
            Checks.length("bias", bias.length, out, "out");
        }
        GemmDriver.dense(kernels, x, tokens, in, w, out, bias, y, threads);
    }

    /** Widest in for which {@link #preparedPays} holds. */
    static final int PREPARED_MAX_IN = 2048;

    /**
     * Whether W prepared as {@link DenseWeights} beats the row-major path for this shape. Not for few tokens, where
     * the row-major path runs dot products on W as it is, and not past {@link #PREPARED_MAX_IN} inputs: session 19's
     * probes (CliffProbe densemat against dense, alternating processes) had the prepared path 1.1-1.2x ahead at
     * in = 384 and 4,096 tokens, level from 768 to 2048, and behind at 4096 (512 tokens 69-78 against 53-60 ms,
     * 64 tokens 10.5-14.6 against 7.2-7.9 ms, at 4096 x 4096).
     */
    public static boolean preparedPays(int tokens, int in, int out) {
        return !GemmDriver.denseDot(tokens, in, out) && in <= PREPARED_MAX_IN;
    }

    /**
     * Computes {@code y = x · wᵀ + bias} with W prepared once ({@link DenseWeights}); same results as
     * {@link #linear(float[], int, int, float[], int, float[], float[], int)} up to float rounding order.
     *
     * @param x       [tokens, w.inFeatures()] row-major
     * @param tokens  >= 1
     * @param w       the prepared weight
     * @param bias    [out] or null
     * @param y       [tokens, out] row-major, overwritten
     * @param threads >= 1
     * @throws IllegalArgumentException naming the argument, the expected and the actual value
     */
    public static void linear(float[] x, int tokens, DenseWeights w, float[] bias, float[] y, int threads) {
        linear(CpuVectorization.kernels(), x, tokens, w, bias, y, threads);
    }

    static void linear(CpuKernels kernels, float[] x, int tokens, DenseWeights w, float[] bias, float[] y,
                       int threads) {
        Checks.notNull("w", w);
        Checks.positive("tokens", tokens);
        Checks.positive("threads", threads);
        Checks.notNull("x", x);
        Checks.notNull("y", y);
        int in = w.inFeatures();
        int out = w.outFeatures();
        Checks.length("x", x.length, tokens, in, "tokens*in");
        Checks.length("y", y.length, tokens, out, "tokens*out");
        if (bias != null) {
            Checks.length("bias", bias.length, out, "out");
        }
        GemmDriver.densePrepared(kernels, x, tokens, in, w.panels(), out, bias, y, threads);
    }
}
