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
}
