package dev.sparsekernels.cpu;

/**
 * Element-wise kernels behind {@link Activations}: one implementation on the Vector API ({@code VectorElementwise},
 * loaded only when {@link CpuVectorization#isActive()}) and one in plain Java ({@link ScalarElementwise}). They work
 * in place on {@code x[from, to)}; callers guarantee the range is inside the array.
 */
interface ElementwiseKernels {
    String describe();

    /** GELU in BERT's exact (erf) form, {@code x · ½ · (1 + erf(x / √2))}, in place on {@code x[from, to)}. */
    void gelu(float[] x, int from, int to);

    /**
     * LayerNorm of one row in place: {@code x[off, off + n)} first gets {@code residual}'s same range added (a float
     * add per element, when residual is not null), then {@code (x - mean) / sqrt(var + eps) · gamma + beta} with the
     * biased variance (two passes). The sums are taken in one fixed order, so a row's result does not depend on the
     * thread that computes it or the JIT tier.
     */
    void layerNormRow(float[] x, float[] residual, int off, int n, float[] gamma, float[] beta, float eps);
}
