package dev.sparsekernels.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Vector API element-wise kernels, 512-bit vectors where {@link CpuVectorization#wide()} says they run at full width,
 * else 256-bit (8 floats). GELU follows {@link ScalarElementwise} in float, with
 * the exponential of {@link VectorAttentionKernels#expInRange} (argument −min(z, 9)² in [-81, 0], as it needs): a few float roundings on
 * top of the approximation (ActivationsTest holds both kernels within 4e-7·|x| of an exact reference), far below
 * what the GEMMs around it change. Loaded reflectively by {@link Activations} only when
 * {@link CpuVectorization#isActive()}.
 */
final class VectorElementwise implements ElementwiseKernels {
    private static final VectorSpecies<Float> S = VectorWidth.SPECIES;
    private static final int L = 8;

    /** Whether GELU runs on 512-bit vectors (the tail under 16 floats still on 256-bit ones). */
    private final boolean wide;

    VectorElementwise() {
        this(CpuVectorization.wide());
    }

    /** Tests build both widths where the JVM can. */
    VectorElementwise(boolean wide) {
        VectorWidth.require();
        if (wide) {
            VectorWidth.require512();
        }
        this.wide = wide;
    }

    @Override
    public String describe() {
        return wide ? "Vector API, 512-bit (16 floats)" : VectorWidth.describe();
    }

    @Override
    public void gelu(float[] x, int from, int to) {
        int i = from;
        if (wide) { // 512-bit FMAs at full width (CpuVectorization.wide()): half the instructions per element
            for (; i + 16 <= to; i += 16) {
                gelu(FloatVector.fromArray(FloatVector.SPECIES_512, x, i)).intoArray(x, i);
            }
        }
        for (; i + L <= to; i += L) {
            gelu(FloatVector.fromArray(S, x, i)).intoArray(x, i);
        }
        ScalarElementwise.INSTANCE.gelu(x, i, to);
    }

    /** GELU of v's lanes, any species (constants are broadcast in v's own). */
    private static FloatVector gelu(FloatVector v) {
        FloatVector z = v.abs().mul((float) ScalarElementwise.INV_SQRT2);
        FloatVector one = v.broadcast(1f);
        FloatVector t = one.div(z.fma((float) ScalarElementwise.P, 1f));
        FloatVector poly = t.fma((float) ScalarElementwise.A5, (float) ScalarElementwise.A4)
                .fma(t, v.broadcast((float) ScalarElementwise.A3)).fma(t, v.broadcast((float) ScalarElementwise.A2))
                .fma(t, v.broadcast((float) ScalarElementwise.A1)).mul(t);
        // e^(-z²) with z at most 9 (e^-81, far below what phi can show): the argument stays in [-81, 0], so the
        // exponential needs no clamp or NaN blend (17% faster GELU); a NaN z makes t, and so halfQ, NaN whatever
        // the exponential returns.
        FloatVector zc = z.blend(9f, z.compare(VectorOperators.GT, 9f));
        FloatVector halfQ = poly.mul(VectorAttentionKernels.expInRange(zc.mul(zc).neg())).mul(0.5f);
        FloatVector phi = one.sub(halfQ).blend(halfQ, v.lt(0f));
        return v.mul(phi);
    }
}
