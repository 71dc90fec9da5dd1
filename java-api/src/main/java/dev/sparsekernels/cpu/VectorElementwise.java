package dev.sparsekernels.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Vector API element-wise kernels, 256-bit vectors (8 floats). GELU follows {@link ScalarElementwise} in float, with
 * the exponential of {@link VectorAttentionKernels#exp} (argument −z² ≤ 0, as it needs): a few float roundings on
 * top of the approximation (ActivationsTest holds both kernels within 4e-7·|x| of an exact reference), far below
 * what the GEMMs around it change. Loaded reflectively by {@link Activations} only when
 * {@link CpuVectorization#isActive()}.
 */
final class VectorElementwise implements ElementwiseKernels {
    private static final VectorSpecies<Float> S = VectorWidth.SPECIES;
    private static final int L = 8;

    VectorElementwise() {
        VectorWidth.require();
    }

    @Override
    public String describe() {
        return VectorWidth.describe();
    }

    @Override
    public void gelu(float[] x, int from, int to) {
        final float invSqrt2 = (float) ScalarElementwise.INV_SQRT2;
        final FloatVector one = FloatVector.broadcast(S, 1f);
        final FloatVector a3 = FloatVector.broadcast(S, (float) ScalarElementwise.A3);
        final FloatVector a2 = FloatVector.broadcast(S, (float) ScalarElementwise.A2);
        final FloatVector a1 = FloatVector.broadcast(S, (float) ScalarElementwise.A1);
        int i = from;
        for (; i + L <= to; i += L) {
            FloatVector v = FloatVector.fromArray(S, x, i);
            FloatVector z = v.abs().mul(invSqrt2);
            FloatVector t = one.div(z.fma((float) ScalarElementwise.P, 1f));
            FloatVector poly = t.fma((float) ScalarElementwise.A5, (float) ScalarElementwise.A4).fma(t, a3).fma(t, a2).fma(t, a1).mul(t);
            FloatVector halfQ = poly.mul(VectorAttentionKernels.exp(z.mul(z).neg())).mul(0.5f);
            FloatVector phi = one.sub(halfQ).blend(halfQ, v.lt(0f));
            v.mul(phi).intoArray(x, i);
        }
        ScalarElementwise.INSTANCE.gelu(x, i, to);
    }
}
