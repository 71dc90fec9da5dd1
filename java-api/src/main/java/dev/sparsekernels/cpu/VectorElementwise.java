package dev.sparsekernels.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Vector API element-wise kernels, 512-bit vectors where {@link CpuVectorization#wide()} says they run at full width,
 * else 256-bit (8 floats). GELU follows {@link ScalarElementwise} in float, with the softmax exponential's
 * polynomial ({@link VectorAttentionKernels#expRows}) on an argument −min(z, 9)² in [-81, 0]: a few float roundings
 * on top of the approximation (ActivationsTest holds both kernels within 4e-7·|x| of an exact reference), far below
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

    /**
     * GELU by the erf approximation of {@link ScalarElementwise} with e^(-z²) by the polynomial of
     * {@link VectorAttentionKernels#expRows} (without its clamp), all written out in the loops, once per vector width.
     * Helper methods that take and return vectors were compiled on their own at times ("already compiled into a big
     * method") and then called with boxed vectors, or, shared by both widths, not intrinsified at all: the GELU ran
     * partly in the Vector API's plain-Java fallbacks (session 15 profile: {@code AbstractVector.convert0}).
     */
    @Override
    public void gelu(float[] x, int from, int to) {
        int i = from;
        if (wide) { // 512-bit FMAs at full width (CpuVectorization.wide()): half the instructions per element
            for (; i + 16 <= to; i += 16) {
                FloatVector v = FloatVector.fromArray(Z, x, i);
                FloatVector z = v.abs().mul(INV_SQRT2);
                FloatVector one = FloatVector.broadcast(Z, 1f);
                FloatVector t = one.div(z.fma(P, 1f));
                FloatVector poly = t.fma(A5, A4).fma(t, FloatVector.broadcast(Z, A3))
                        .fma(t, FloatVector.broadcast(Z, A2)).fma(t, FloatVector.broadcast(Z, A1)).mul(t);
                // e^(-z²) with z at most 9 (e^-81, far below what phi can show): the argument a stays in [-81, 0],
                // so the exponential needs no clamp or NaN blend; a NaN z makes t, and so halfQ, NaN whatever it gives
                FloatVector zc = z.blend(9f, z.compare(VectorOperators.GT, 9f));
                FloatVector a = zc.mul(zc).neg();
                FloatVector r = a.mul(LOG2E).add(ROUND); // n = round(a log2 e) in r's low mantissa bits
                FloatVector n = r.sub(ROUND);
                FloatVector g = a.sub(n.mul(LN2_HI)).sub(n.mul(LN2_LO));
                FloatVector e = g.fma(C6, C5).fma(g, FloatVector.broadcast(Z, C4)).fma(g, FloatVector.broadcast(Z, C3))
                        .fma(g, FloatVector.broadcast(Z, C2)).fma(g, FloatVector.broadcast(Z, 1f))
                        .fma(g, FloatVector.broadcast(Z, 1f));
                IntVector pow2 = r.viewAsIntegralLanes().sub(ROUND_BITS).lanewise(VectorOperators.LSHL, 23);
                FloatVector halfQ = poly.mul(e.viewAsIntegralLanes().add(pow2).viewAsFloatingLanes()).mul(0.5f);
                v.mul(one.sub(halfQ).blend(halfQ, v.lt(0f))).intoArray(x, i);
            }
        }
        for (; i + L <= to; i += L) {
            FloatVector v = FloatVector.fromArray(S, x, i);
            FloatVector z = v.abs().mul(INV_SQRT2);
            FloatVector one = FloatVector.broadcast(S, 1f);
            FloatVector t = one.div(z.fma(P, 1f));
            FloatVector poly = t.fma(A5, A4).fma(t, FloatVector.broadcast(S, A3))
                    .fma(t, FloatVector.broadcast(S, A2)).fma(t, FloatVector.broadcast(S, A1)).mul(t);
            // e^(-z²) with z at most 9 (e^-81, far below what phi can show): the argument a stays in [-81, 0],
            // so the exponential needs no clamp or NaN blend; a NaN z makes t, and so halfQ, NaN whatever it gives
            FloatVector zc = z.blend(9f, z.compare(VectorOperators.GT, 9f));
            FloatVector a = zc.mul(zc).neg();
            FloatVector r = a.mul(LOG2E).add(ROUND); // n = round(a log2 e) in r's low mantissa bits
            FloatVector n = r.sub(ROUND);
            FloatVector g = a.sub(n.mul(LN2_HI)).sub(n.mul(LN2_LO));
            FloatVector e = g.fma(C6, C5).fma(g, FloatVector.broadcast(S, C4)).fma(g, FloatVector.broadcast(S, C3))
                    .fma(g, FloatVector.broadcast(S, C2)).fma(g, FloatVector.broadcast(S, 1f))
                    .fma(g, FloatVector.broadcast(S, 1f));
            IntVector pow2 = r.viewAsIntegralLanes().sub(ROUND_BITS).lanewise(VectorOperators.LSHL, 23);
            FloatVector halfQ = poly.mul(e.viewAsIntegralLanes().add(pow2).viewAsFloatingLanes()).mul(0.5f);
            v.mul(one.sub(halfQ).blend(halfQ, v.lt(0f))).intoArray(x, i);
        }
        ScalarElementwise.INSTANCE.gelu(x, i, to);
    }

    /**
     * Three passes over the row as in {@link ScalarElementwise}, in float: 16 lanes where {@link #wide}, 8 for what
     * is left, scalars for the last few; each pass's vector sums are added in a fixed lane order
     * ({@link LaneSums}). Float sums over a row of hidden width move
     * the result by about 1e-7 relative, far below what the GEMMs around it change; the double scalar passes took
     * about 4% of MiniLM's forward pass.
     */
    @Override
    public void layerNormRow(float[] x, float[] residual, int off, int n, float[] gamma, float[] beta, float eps) {
        // 512-bit work only where wide, and the 512-bit helpers only when nz > 0: on a machine without the species
        // even their zero vector would run in plain Java
        int nz = wide ? n & -16 : 0;
        int ns = nz + ((n - nz) & -L);
        float tail = 0f;
        for (int i = off + ns; i < off + n; i++) {
            if (residual != null) {
                x[i] += residual[i];
            }
            tail += x[i];
        }
        float[] lanes = LaneSums.lanes();
        float sumZ = nz == 0 ? 0f
                : residual == null ? sumWide(x, off, off + nz, lanes) : addSumWide(x, residual, off, off + nz, lanes);
        // the 8-lane passes only where 8 lanes are left: a call on nothing still made a vector to reduce
        float sum8 = ns == nz ? 0f
                : residual == null ? sum8(x, off + nz, off + ns, lanes)
                : addSum8(x, residual, off + nz, off + ns, lanes);
        float sum = sumZ + sum8;
        float mean = (sum + tail) / n;
        // Second pass around the float mean m, also summing d = x - m: the mean's own rounding error is then
        // delta = mean(d), found accurately from small numbers and taken out of both the variance and the output
        // (the corrected two-pass algorithm). A row at mean 1000 and spread 1 was off by 6e-5 relative without it.
        tail = 0f;
        float tailD = 0f;
        for (int i = off + ns; i < off + n; i++) {
            float d = x[i] - mean;
            tail += d * d;
            tailD += d;
        }
        float dZ = nz == 0 ? 0f : devWide(x, off, off + nz, mean, lanes);
        float sqZ = nz == 0 ? 0f : sqDevWide(x, off, off + nz, mean, lanes);
        float d8 = ns == nz ? 0f : dev8(x, off + nz, off + ns, mean, lanes);
        float sq8 = ns == nz ? 0f : sqDev8(x, off + nz, off + ns, mean, lanes);
        float delta = (dZ + d8 + tailD) / n;
        float var = Math.max(0f, (sqZ + sq8 + tail) / n - delta * delta);
        float inv = (float) (1.0 / Math.sqrt(var + (double) eps));
        normalizeWide(x, off, nz, gamma, beta, mean, delta, inv);
        normalize8(x, off, nz, ns, gamma, beta, mean, delta, inv);
        for (int i = ns; i < n; i++) {
            x[off + i] = (x[off + i] - mean - delta) * inv * gamma[i] + beta[i];
        }
    }

    // The LayerNorm passes: one method per vector loop, arrays and floats in, a float out. A method holding several
    // such loops behind branches was recompiled by C2 at times with its accumulators boxed (the softmax's expRows did
    // so in the demo, session 15), and this row kernel showed three times its share in a profile of the same build.

    static float sumWide(float[] x, int from, int to, float[] lanes) { // package-private: LaneSumOrderTest
        FloatVector acc = FloatVector.zero(Z);
        for (int i = from; i < to; i += 16) {
            acc = acc.add(FloatVector.fromArray(Z, x, i));
        }
        acc.intoArray(lanes, 0); // nothing else on the accumulator after its loop: see LaneSums
        return LaneSums.sum16(lanes);
    }

    private static float addSumWide(float[] x, float[] residual, int from, int to, float[] lanes) {
        FloatVector acc = FloatVector.zero(Z);
        for (int i = from; i < to; i += 16) {
            FloatVector v = FloatVector.fromArray(Z, x, i).add(FloatVector.fromArray(Z, residual, i));
            v.intoArray(x, i);
            acc = acc.add(v);
        }
        acc.intoArray(lanes, 0); // nothing else on the accumulator after its loop: see LaneSums
        return LaneSums.sum16(lanes);
    }

    static float sum8(float[] x, int from, int to, float[] lanes) { // package-private: LaneSumOrderTest
        FloatVector acc = FloatVector.zero(S);
        for (int i = from; i < to; i += L) {
            acc = acc.add(FloatVector.fromArray(S, x, i));
        }
        acc.intoArray(lanes, 0); // nothing else on the accumulator after its loop: see LaneSums
        return LaneSums.sum8(lanes);
    }

    private static float addSum8(float[] x, float[] residual, int from, int to, float[] lanes) {
        FloatVector acc = FloatVector.zero(S);
        for (int i = from; i < to; i += L) {
            FloatVector v = FloatVector.fromArray(S, x, i).add(FloatVector.fromArray(S, residual, i));
            v.intoArray(x, i);
            acc = acc.add(v);
        }
        acc.intoArray(lanes, 0); // nothing else on the accumulator after its loop: see LaneSums
        return LaneSums.sum8(lanes);
    }

    private static float devWide(float[] x, int from, int to, float mean, float[] lanes) {
        FloatVector acc = FloatVector.zero(Z);
        for (int i = from; i < to; i += 16) {
            acc = acc.add(FloatVector.fromArray(Z, x, i).sub(mean));
        }
        acc.intoArray(lanes, 0); // nothing else on the accumulator after its loop: see LaneSums
        return LaneSums.sum16(lanes);
    }

    private static float sqDevWide(float[] x, int from, int to, float mean, float[] lanes) {
        FloatVector acc = FloatVector.zero(Z);
        for (int i = from; i < to; i += 16) {
            FloatVector d = FloatVector.fromArray(Z, x, i).sub(mean);
            acc = d.fma(d, acc);
        }
        acc.intoArray(lanes, 0); // nothing else on the accumulator after its loop: see LaneSums
        return LaneSums.sum16(lanes);
    }

    private static float dev8(float[] x, int from, int to, float mean, float[] lanes) {
        FloatVector acc = FloatVector.zero(S);
        for (int i = from; i < to; i += L) {
            acc = acc.add(FloatVector.fromArray(S, x, i).sub(mean));
        }
        acc.intoArray(lanes, 0); // nothing else on the accumulator after its loop: see LaneSums
        return LaneSums.sum8(lanes);
    }

    private static float sqDev8(float[] x, int from, int to, float mean, float[] lanes) {
        FloatVector acc = FloatVector.zero(S);
        for (int i = from; i < to; i += L) {
            FloatVector d = FloatVector.fromArray(S, x, i).sub(mean);
            acc = d.fma(d, acc);
        }
        acc.intoArray(lanes, 0); // nothing else on the accumulator after its loop: see LaneSums
        return LaneSums.sum8(lanes);
    }

    /**
     * x[off + i] = ((x[off + i] - mean) - delta) * inv * gamma[i] + beta[i] for i in [0, n), n a multiple of 16 (two
     * subtractions: mean + delta in float would round delta away at large means).
     */
    private static void normalizeWide(float[] x, int off, int n, float[] gamma, float[] beta, float mean, float delta,
            float inv) {
        for (int i = 0; i < n; i += 16) {
            FloatVector t = FloatVector.fromArray(Z, x, off + i).sub(mean).sub(delta).mul(inv);
            t.fma(FloatVector.fromArray(Z, gamma, i), FloatVector.fromArray(Z, beta, i)).intoArray(x, off + i);
        }
    }

    /** As {@link #normalizeWide} for i in [from, to) on 8 lanes. */
    private static void normalize8(float[] x, int off, int from, int to, float[] gamma, float[] beta, float mean,
            float delta, float inv) {
        for (int i = from; i < to; i += L) {
            FloatVector t = FloatVector.fromArray(S, x, off + i).sub(mean).sub(delta).mul(inv);
            t.fma(FloatVector.fromArray(S, gamma, i), FloatVector.fromArray(S, beta, i)).intoArray(x, off + i);
        }
    }

    private static final VectorSpecies<Float> Z = FloatVector.SPECIES_512;

    private static final float INV_SQRT2 = (float) ScalarElementwise.INV_SQRT2;
    private static final float P = (float) ScalarElementwise.P;
    private static final float A1 = (float) ScalarElementwise.A1, A2 = (float) ScalarElementwise.A2,
            A3 = (float) ScalarElementwise.A3, A4 = (float) ScalarElementwise.A4, A5 = (float) ScalarElementwise.A5;
    private static final float LOG2E = VectorAttentionKernels.LOG2E, ROUND = VectorAttentionKernels.ROUND;
    private static final int ROUND_BITS = VectorAttentionKernels.ROUND_BITS;
    private static final float LN2_HI = VectorAttentionKernels.LN2_HI, LN2_LO = VectorAttentionKernels.LN2_LO;
    private static final float C2 = VectorAttentionKernels.C2, C3 = VectorAttentionKernels.C3,
            C4 = VectorAttentionKernels.C4, C5 = VectorAttentionKernels.C5, C6 = VectorAttentionKernels.C6;
}
