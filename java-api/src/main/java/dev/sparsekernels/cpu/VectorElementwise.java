package dev.sparsekernels.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Vector API element-wise kernels, 256-bit vectors (8 floats). GELU follows {@link ScalarElementwise} in float, with
 * the exponential of {@link VectorAttentionKernels#expInRange} (argument −min(z, 9)² in [-81, 0], as it needs): a few float roundings on
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
            // e^(-z²) with z at most 9 (e^-81, far below what phi can show): the argument stays in [-81, 0], so the
            // exponential needs no clamp or NaN blend (17% faster GELU); a NaN z makes t, and so halfQ, NaN whatever
            // the exponential returns. (Two vectors per iteration through a helper ran 20% slower.)
            FloatVector zc = z.blend(9f, z.compare(VectorOperators.GT, 9f));
            FloatVector halfQ = poly.mul(VectorAttentionKernels.expInRange(zc.mul(zc).neg())).mul(0.5f);
            FloatVector phi = one.sub(halfQ).blend(halfQ, v.lt(0f));
            v.mul(phi).intoArray(x, i);
        }
        ScalarElementwise.INSTANCE.gelu(x, i, to);
    }
}
