package dev.sparsekernels.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Vector API element-wise kernels, 512-bit vectors where {@link CpuVectorization#wide()} says they run at full width,
 * else 256-bit (8 floats). GELU is a rational fit in float ({@link #gelu}), not {@link ScalarElementwise}'s formula,
 * which the last few floats of a range still take; both stay within 4e-7·|x| of an exact reference (ActivationsTest),
 * far below what the GEMMs around them change. Loaded reflectively by {@link Activations} only when
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
     * GELU as x·Φ(x) with Φ(x) − ½ = c·P(c²)/Q(c²), c = x clamped to ±{@link #GELU_CLAMP}: a rational fit of
     * degrees 6 and 4 in c² (coefficients below), written out in one loop per vector width. About 18 operations
     * per vector against the 35 of the erfc-times-exponential form it replaced: MiniLM's GELU pass 2x faster (0.15
     * against 0.31 ns a float on one Zen 5 core, 2,048 x 1,536 floats). The clamps are compares and blends, not
     * {@code min}/{@code max}: those carry Java's NaN and signed-zero rules, several instructions each, and with
     * them the same loop ran at 0.37 ns a float. A NaN x fails both compares and stays NaN; ±infinity clamps to Φ =
     * 1 or 0 (−infinity·0 is NaN, as x·Φ(x) in IEEE).
     *
     * <p>Helper methods that take and return vectors were compiled on their own at times ("already compiled into a
     * big method") and then called with boxed vectors, or, shared by both widths, not intrinsified at all: so each
     * width has its loop written out.
     */
    @Override
    public void gelu(float[] x, int from, int to) {
        int i = from;
        if (wide) { // 512-bit FMAs at full width (CpuVectorization.wide()): half the instructions per element
            for (; i + 16 <= to; i += 16) {
                FloatVector v = FloatVector.fromArray(Z, x, i);
                FloatVector c = v.blend(GELU_CLAMP, v.compare(VectorOperators.GT, GELU_CLAMP))
                        .blend(-GELU_CLAMP, v.compare(VectorOperators.LT, -GELU_CLAMP));
                FloatVector u = c.mul(c);
                FloatVector p = u.fma(GP6, GP5).fma(u, FloatVector.broadcast(Z, GP4))
                        .fma(u, FloatVector.broadcast(Z, GP3)).fma(u, FloatVector.broadcast(Z, GP2))
                        .fma(u, FloatVector.broadcast(Z, GP1)).fma(u, FloatVector.broadcast(Z, GP0));
                FloatVector q = u.fma(GQ4, GQ3).fma(u, FloatVector.broadcast(Z, GQ2))
                        .fma(u, FloatVector.broadcast(Z, GQ1)).fma(u, FloatVector.broadcast(Z, 1f));
                v.mul(c.mul(p).div(q).add(0.5f)).intoArray(x, i);
            }
        }
        for (; i + L <= to; i += L) {
            FloatVector v = FloatVector.fromArray(S, x, i);
            FloatVector c = v.blend(GELU_CLAMP, v.compare(VectorOperators.GT, GELU_CLAMP))
                    .blend(-GELU_CLAMP, v.compare(VectorOperators.LT, -GELU_CLAMP));
            FloatVector u = c.mul(c);
            FloatVector p = u.fma(GP6, GP5).fma(u, FloatVector.broadcast(S, GP4))
                    .fma(u, FloatVector.broadcast(S, GP3)).fma(u, FloatVector.broadcast(S, GP2))
                    .fma(u, FloatVector.broadcast(S, GP1)).fma(u, FloatVector.broadcast(S, GP0));
            FloatVector q = u.fma(GQ4, GQ3).fma(u, FloatVector.broadcast(S, GQ2))
                    .fma(u, FloatVector.broadcast(S, GQ1)).fma(u, FloatVector.broadcast(S, 1f));
            v.mul(c.mul(p).div(q).add(0.5f)).intoArray(x, i);
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

    /**
     * Φ(x) − ½ ≈ x·P(x²)/Q(x²) on |x| <= 5.6: a minimax fit (iterated weighted least squares, then Lawson's
     * reweighting) of ½·erf(x/√2), within 2.5e-8 in real arithmetic; in float the GELU stays within 2.5e-7·|x| of
     * the exact one (docs/gelu-rational-fit.py fits and checks it, ActivationsTest holds it).
     */
    private static final float GP0 = 3.989421129e-01f, GP1 = 3.711526096e-02f, GP2 = 4.587735515e-03f,
            GP3 = 1.824969659e-04f, GP4 = 3.361947165e-06f, GP5 = -2.199772098e-08f, GP6 = 1.080222647e-10f;
    private static final float GQ1 = 2.596982718e-01f, GQ2 = 2.978759632e-02f, GQ3 = 1.901641604e-03f,
            GQ4 = 6.625802780e-05f;
    /**
     * Where x is clamped: the first float at which the fit in float gives exactly ½, so that Φ is exactly 1 and 0
     * past it (GELU(x) = x, and −0 for negative x); below it the fit never exceeds ½, so Φ stays within [0, 1] (it
     * does just above, from 5.1571 on). Checked over every float in [4.5, 5.6] by the fit script and in
     * ActivationsTest; Φ(−5.12) = 1.5e-7, so the cut costs at most that much of |x|.
     */
    static final float GELU_CLAMP = 5.1215334f;
}
