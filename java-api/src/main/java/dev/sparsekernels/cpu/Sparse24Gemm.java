package dev.sparsekernels.cpu;

/**
 * 2:4-sparse {@code Y[tokens, out] = X[tokens, in] · Wᵀ + b} with W prepared as {@link Sparse24Weights}, on the
 * CPU: Vector API microkernels when available (see {@link CpuVectorization}), else plain Java. Does half the
 * multiply-adds of the dense product.
 */
public final class Sparse24Gemm {
    private Sparse24Gemm() {}

    /**
     * Computes {@code y = x · wᵀ + bias}.
     *
     * @param x       [tokens, in] row-major
     * @param tokens  >= 1 (1 is a GEMV)
     * @param in      must equal {@code w.in()} (a multiple of 4)
     * @param w       prepared 2:4 weights [out, in]
     * @param bias    [w.out()] or null
     * @param y       [tokens, w.out()] row-major, overwritten
     * @param threads >= 1; threads come from one shared pool
     * @throws IllegalArgumentException naming the argument, the expected and the actual value
     */
    public static void linear(float[] x, int tokens, int in, Sparse24Weights w, float[] bias, float[] y, int threads) {
        linear(CpuVectorization.kernels(), x, tokens, in, w, bias, y, threads);
    }

    static void linear(CpuKernels kernels, float[] x, int tokens, int in, Sparse24Weights w, float[] bias, float[] y,
                       int threads) {
        Checks.positive("tokens", tokens);
        Checks.positive("threads", threads);
        Checks.notNull("w", w);
        if (in != w.in()) {
            throw new IllegalArgumentException("in: expected " + w.in() + " (w.in()), got " + in);
        }
        Checks.notNull("x", x);
        Checks.notNull("y", y);
        int out = w.out();
        Checks.length("x", x.length, tokens, in, "tokens*in");
        Checks.length("y", y.length, tokens, out, "tokens*out");
        if (bias != null) {
            Checks.length("bias", bias.length, out, "out");
        }
        GemmDriver.sparse24(kernels, x, tokens, in, w, bias, y, threads);
    }

    /**
     * Whether {@link #linear(float[], int, Sparse24Panels, float[], float[], int)} is the faster path here for many
     * tokens: true where the chosen kernels have fast 2:4 panel kernels (512-bit lane permutes); elsewhere the
     * panels still compute the right result, through plain loops.
     */
    public static boolean panelsPay() {
        return CpuVectorization.kernels().sparsePanels();
    }

    /**
     * Computes {@code y = x · wᵀ + bias} with W prepared in 16-row panels ({@link Sparse24Panels}): same results as
     * {@link #linear(float[], int, int, Sparse24Weights, float[], float[], int)} up to float rounding order.
     *
     * @param x       [tokens, w.in()] row-major
     * @param tokens  >= 1
     * @param w       the prepared weight
     * @param bias    [w.out()] or null
     * @param y       [tokens, w.out()] row-major, overwritten
     * @param threads >= 1
     * @throws IllegalArgumentException naming the argument, the expected and the actual value
     */
    public static void linear(float[] x, int tokens, Sparse24Panels w, float[] bias, float[] y, int threads) {
        linear(CpuVectorization.kernels(), x, tokens, w, bias, y, threads);
    }

    static void linear(CpuKernels kernels, float[] x, int tokens, Sparse24Panels w, float[] bias, float[] y,
                       int threads) {
        Checks.positive("tokens", tokens);
        Checks.positive("threads", threads);
        Checks.notNull("w", w);
        Checks.notNull("x", x);
        Checks.notNull("y", y);
        Checks.length("x", x.length, tokens, w.in(), "tokens*in");
        Checks.length("y", y.length, tokens, w.out(), "tokens*out");
        if (bias != null) {
            Checks.length("bias", bias.length, w.out(), "out");
        }
        GemmDriver.sparse24Panels(kernels, x, tokens, w, bias, y, threads);
    }
}
