package dev.sparsekernels.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * Vector API attention microkernels, 256-bit vectors (8 floats). Scores and P·V are register-blocked GEMM tiles (6 or 4
 * rows x 16) in the dense GEMM microkernel's form when K^T and V come in panels (constant stride 16: see
 * {@link #scores6x16p}), strided forms otherwise; exponentials with our own polynomial ({@link #expRows}: a third
 * of the cost of the vector EXP operation). Loaded reflectively by {@link FlashAttention} only when
 * {@link CpuVectorization#isActive()}.
 */
final class VectorAttentionKernels implements AttentionKernels {
    static final VectorSpecies<Float> S = VectorWidth.SPECIES;
    private static final int L = 8;

    /** 512-bit vectors for the panel kernels' pairs of 16-wide panels (see {@link #wide}). */
    static final VectorSpecies<Float> Z = FloatVector.SPECIES_512;

    /**
     * Whether the six- and four-row panel kernels take two 16-wide panels (of K^T keys, of V columns) per call at 512
     * bits, as {@link VectorKernels512} does for the GEMMs: on cores that run 512-bit FMAs at full width, the same
     * instruction count then does twice the work. Follows the GEMM kernels' choice ({@link CpuVectorization}).
     */
    private final boolean wide;

    VectorAttentionKernels() {
        this(CpuVectorization.wide());
    }

    VectorAttentionKernels(boolean wide) {
        VectorWidth.require();
        if (wide) {
            VectorWidth.require512();
        }
        this.wide = wide;
    }

    @Override
    public String describe() {
        return wide ? VectorWidth.describe() + ", panel kernels 512-bit" : VectorWidth.describe();
    }

    static final float LOG2E = 1.44269504f;
    /** 1.5 * 2^23: adding it rounds a float of magnitude below 2^22 to an integer held in the low mantissa bits. */
    static final float ROUND = 12582912f;
    static final int ROUND_BITS = Float.floatToRawIntBits(ROUND);
    /** Below this, exp underflows f32's normal range; softmax scores that far below the row maximum weigh 0. */
    private static final float LOW = -87f;
    // ln 2 split so that n * LN2_HI is exact for the n that occur (Cody-Waite): the reduced argument keeps full
    // precision even where x log2(e) is large (a plain f32 product lost 4e-6 relative accuracy near -87)
    static final float LN2_HI = 0.693359375f, LN2_LO = -2.12194440e-4f;
    // e^g on |g| <= ln2/2: Taylor terms 1/k! up to k = 6 (truncation error below 2e-7 relative)
    static final float C2 = 0.5f, C3 = 1f / 6, C4 = 1f / 24, C5 = 1f / 120, C6 = 1f / 720;

    /** Added to the bits of x log2(e) + ROUND, then shifted into the exponent field: the bits of 2^n. */
    private static final int POW2_BIAS = 127 - ROUND_BITS;


    @Override
    public boolean allFinite(float[] a, int o, int n) {
        // x·0 is 0 for a finite x and NaN for NaN or ±inf, and a NaN survives the sum: one compare at the end
        FloatVector acc = FloatVector.zero(S);
        int i = 0;
        for (; i + L <= n; i += L) {
            acc = acc.add(FloatVector.fromArray(S, a, o + i).mul(0f));
        }
        float tail = 0f;
        for (; i < n; i++) {
            tail += a[o + i] * 0f;
        }
        return !Float.isNaN(acc.reduceLanes(VectorOperators.ADD) + tail);
    }

    @Override
    public boolean scaleInto(float[] acc, int ao, int d, float f, float[] out, int oo) {
        // x·0 is NaN exactly for a non-finite x, and a NaN survives the sum. One lane test at the end: a float ADD
        // reduction here cost 6% of an attention call (once per output row).
        FloatVector nan = FloatVector.zero(S);
        int i = 0;
        for (; i + L <= d; i += L) {
            FloatVector x = FloatVector.fromArray(S, acc, ao + i).mul(f);
            x.intoArray(out, oo + i);
            nan = nan.add(x.mul(0f));
        }
        float[] lanes = LaneSums.lanes();
        nan.intoArray(lanes, 0); // nothing else on the accumulator after its loop: see LaneSums
        boolean finite = !Float.isNaN(LaneSums.sum8(lanes)); // a NaN lane survives the sum
        for (; i < d; i++) {
            float x = acc[ao + i] * f;
            out[oo + i] = x;
            finite &= Float.isFinite(x);
        }
        return finite;
    }

    @Override
    public void rowMax(float[] s, int lds, int r0, int r1, int n, float[] tileMax) {
        for (int r = r0; r <= r1; r++) {
            int o = r * lds;
            float m = Float.NEGATIVE_INFINITY;
            int c = 0;
            if (n >= L) {
                FloatVector mv = FloatVector.broadcast(S, Float.NEGATIVE_INFINITY);
                for (; c + L <= n; c += L) {
                    mv = mv.max(FloatVector.fromArray(S, s, o + c));
                }
                m = mv.reduceLanes(VectorOperators.MAX);
            }
            for (; c < n; c++) {
                m = Math.max(m, s[o + c]);
            }
            tileMax[r] = m;
        }
    }

    /**
     * Exponentials of a tile's scores: e^x for x <= 88 (softmax arguments: score minus a running row maximum, at
     * most a few units above 0 with lazy rescaling): n = round(x log2(e)), g = x - n ln2 (in two fused steps), e^g by
     * a degree-6 polynomial, times 2^n built from n's bits. About 16 vector operations per 8 lanes; the library EXP
     * operation measured slower here, and exp is most of the non-GEMM time of attention. x below -87 (and -infinity,
     * a masked score) gives exactly 0; NaN stays NaN because 2^n multiplies (NaN times anything is NaN) rather than
     * being added into the exponent bits. One compare serves the clamp and the zeros: the earlier form (Math.max semantics for the clamp, a
     * separate NaN test and blend) spent about 11 of its 30 operations on them.
     *
     * <p>Written out in one loop per vector width ({@link #expRunWide}, {@link #expRun}), not as a method on vectors:
     * such a method was at times compiled on its own ("already compiled into a big method") and then called with
     * boxed vectors, and one method shared by both widths was not intrinsified at all (session 14: the demo's dense
     * model at half speed).
     */
    @Override
    public void expRows(float[] s, int lds, int r0, int r1, int n, float[] m, boolean[] live, float[] sums) {
        float[] lanes = LaneSums.lanes(); // once per tile, for both widths' sums
        for (int r = r0; r <= r1; r++) {
            if (!live[r]) {
                continue;
            }
            int o = r * lds;
            float mr = m[r];
            float sum = 0f;
            int c0 = 0;
            if (wide) { // half the exponential's instructions per key: it is most of attention's non-GEMM work
                c0 = n & -16;
                sum = expRunWide(s, o, c0, mr, lanes);
            }
            // a loop C2 recognises as counted (no safepoint poll, unrolled): with `c + L <= n` it kept a poll, a range
            // check and a dozen register moves per 8 exponentials
            int nv = c0 + ((n - c0) & -L);
            if (nv > c0) {
                sum += expRun(s, o + c0, nv - c0, mr, lanes); // fixed order: the same bits in every JIT tier
            }
            for (int c = nv; c < n; c++) {
                float e = (float) Math.exp(s[o + c] - mr);
                s[o + c] = e;
                sum += e;
            }
            sums[r] += sum;
        }
    }

    /**
     * {@code s[o + c] = e^(s[o + c] - m)} for c in [0, n), n a multiple of 16; returns their sum (in the order of
     * {@link LaneSums#sum16}).
     * Each vector loop is a method of its own that takes and returns no vector: in the demo, after hundreds of
     * batches of every length, C2 recompiled the one method that held both loops and its branches with the
     * accumulators boxed, and the exponentials took eight times their share of the forward pass (session 15).
     */
    private static float expRunWide(float[] s, int o, int n, float m, float[] lanes) {
        FloatVector mz = FloatVector.broadcast(Z, m);
        FloatVector acc = FloatVector.zero(Z);
        for (int c = 0; c < n; c += 16) {
            FloatVector x = FloatVector.fromArray(Z, s, o + c).sub(mz);
            VectorMask<Float> tiny = x.lt(LOW); // NaN compares false and stays NaN below
            FloatVector xc = x.blend(LOW, tiny);
            FloatVector rr = xc.fma(LOG2E, ROUND);
            FloatVector nn = rr.sub(ROUND);
            // x - n LN2_HI is exact (LN2_HI has 9 bits); the second step rounds once
            FloatVector g = nn.fma(FloatVector.broadcast(Z, -LN2_LO), nn.fma(FloatVector.broadcast(Z, -LN2_HI), xc));
            FloatVector p = g.fma(C6, C5).fma(g, FloatVector.broadcast(Z, C4))
                    .fma(g, FloatVector.broadcast(Z, C3))
                    .fma(g, FloatVector.broadcast(Z, C2)).fma(g, FloatVector.broadcast(Z, 1f))
                    .fma(g, FloatVector.broadcast(Z, 1f));
            FloatVector pow2 = rr.viewAsIntegralLanes().add(POW2_BIAS).lanewise(VectorOperators.LSHL, 23)
                    .viewAsFloatingLanes();
            FloatVector e = p.mul(pow2).blend(0f, tiny);
            e.intoArray(s, o + c);
            acc = acc.add(e);
        }
        acc.intoArray(lanes, 0); // nothing else on the accumulator after its loop: see LaneSums
        return LaneSums.sum16(lanes);
    }

    /** As {@link #expRunWide} on 8 lanes, n a multiple of 8; the sum by {@link LaneSums#sum8}. */
    private static float expRun(float[] s, int o, int n, float m, float[] lanes) {
        FloatVector mv = FloatVector.broadcast(S, m);
        FloatVector acc = FloatVector.zero(S);
        for (int c = 0; c < n; c += L) {
            FloatVector x = FloatVector.fromArray(S, s, o + c).sub(mv);
            VectorMask<Float> tiny = x.lt(LOW); // NaN compares false and stays NaN below
            FloatVector xc = x.blend(LOW, tiny);
            FloatVector rr = xc.fma(LOG2E, ROUND);
            FloatVector nn = rr.sub(ROUND);
            FloatVector g = nn.fma(FloatVector.broadcast(S, -LN2_LO), nn.fma(FloatVector.broadcast(S, -LN2_HI), xc));
            FloatVector p = g.fma(C6, C5).fma(g, FloatVector.broadcast(S, C4))
                    .fma(g, FloatVector.broadcast(S, C3))
                    .fma(g, FloatVector.broadcast(S, C2)).fma(g, FloatVector.broadcast(S, 1f))
                    .fma(g, FloatVector.broadcast(S, 1f));
            FloatVector pow2 = rr.viewAsIntegralLanes().add(POW2_BIAS).lanewise(VectorOperators.LSHL, 23)
                    .viewAsFloatingLanes();
            FloatVector e = p.mul(pow2).blend(0f, tiny);
            e.intoArray(s, o + c);
            acc = acc.add(e);
        }
        acc.intoArray(lanes, 0); // nothing else on the accumulator after its loop: see LaneSums
        return LaneSums.sum8(lanes);
    }


    @Override
    public void scale(float[] a, int o, int n, float f) {
        int i = 0;
        for (; i + L <= n; i += L) {
            FloatVector.fromArray(S, a, o + i).mul(f).intoArray(a, o + i);
        }
        for (; i < n; i++) {
            a[o + i] *= f;
        }
    }

    @Override
    public void pv(float[] p, int po, int n, float[] v, int vo, int ldv, int d, float[] acc, int ao) {
        int i = 0;
        for (; i + 4 * L <= d; i += 4 * L) {
            pv32(p, po, n, v, vo + i, ldv, acc, ao + i);
        }
        for (; i + L <= d; i += L) {
            pv8(p, po, n, v, vo + i, ldv, acc, ao + i);
        }
        for (; i < d; i++) {
            float a = acc[ao + i];
            for (int c = 0; c < n; c++) {
                a += p[po + c] * v[vo + c * ldv + i];
            }
            acc[ao + i] = a;
        }
    }

    /** 32 columns of the head dimension, four accumulators held across all n keys. */
    static void pv32(float[] p, int po, int n, float[] v, int v0, int ldv, float[] acc, int a0) {
        FloatVector c0 = FloatVector.fromArray(S, acc, a0), c1 = FloatVector.fromArray(S, acc, a0 + 8),
                c2 = FloatVector.fromArray(S, acc, a0 + 16), c3 = FloatVector.fromArray(S, acc, a0 + 24);
        for (int c = 0; c < n; c++) {
            float w = p[po + c];
            int vc = v0 + c * ldv;
            FloatVector b = FloatVector.broadcast(S, w);
            c0 = FloatVector.fromArray(S, v, vc).fma(b, c0);
            c1 = FloatVector.fromArray(S, v, vc + 8).fma(b, c1);
            c2 = FloatVector.fromArray(S, v, vc + 16).fma(b, c2);
            c3 = FloatVector.fromArray(S, v, vc + 24).fma(b, c3);
        }
        c0.intoArray(acc, a0);
        c1.intoArray(acc, a0 + 8);
        c2.intoArray(acc, a0 + 16);
        c3.intoArray(acc, a0 + 24);
    }

    static void pv8(float[] p, int po, int n, float[] v, int v0, int ldv, float[] acc, int a0) {
        FloatVector c0 = FloatVector.fromArray(S, acc, a0);
        for (int c = 0; c < n; c++) {
            c0 = FloatVector.fromArray(S, v, v0 + c * ldv).fma(FloatVector.broadcast(S, p[po + c]), c0);
        }
        c0.intoArray(acc, a0);
    }

    @Override
    public void scoresT2(float[] q, int qo0, int qo1, float[] kt, int ldk, int kc0, int chunk, int n, int d,
                         float scale, float[] s, int so0, int so1) {
        int c = 0;
        for (; c + 4 * L <= n; c += 4 * L) {
            scores2x32(q, qo0, qo1, kt, ldk, kc0 + (c >> 4) * chunk, chunk, d, scale, s, so0 + c, so1 + c);
        }
        for (; c < n; c += L) {
            scores2x8(q, qo0, qo1, kt, ldk, kc0 + (c >> 4) * chunk + (c & 15), d, scale, s, so0 + c, so1 + c);
        }
    }

    /** 2 rows x 32 keys (two chunks, chunk apart): 8 accumulators, per component 2 broadcasts of q, 4 loads of K^T. */
    static void scores2x32(float[] q, int qo0, int qo1, float[] kt, int ldk, int c0, int chunk, int d, float scale,
                           float[] s, int s0, int s1) {
        FloatVector a0 = FloatVector.zero(S), a1 = FloatVector.zero(S), a2 = FloatVector.zero(S),
                a3 = FloatVector.zero(S);
        FloatVector b0 = FloatVector.zero(S), b1 = FloatVector.zero(S), b2 = FloatVector.zero(S),
                b3 = FloatVector.zero(S);
        for (int i = 0; i < d; i++) {
            int ko = i * ldk + c0;
            FloatVector k0 = FloatVector.fromArray(S, kt, ko);
            FloatVector k1 = FloatVector.fromArray(S, kt, ko + 8);
            FloatVector k2 = FloatVector.fromArray(S, kt, ko + chunk);
            FloatVector k3 = FloatVector.fromArray(S, kt, ko + chunk + 8);
            FloatVector x = FloatVector.broadcast(S, q[qo0 + i]);
            a0 = k0.fma(x, a0);
            a1 = k1.fma(x, a1);
            a2 = k2.fma(x, a2);
            a3 = k3.fma(x, a3);
            FloatVector y = FloatVector.broadcast(S, q[qo1 + i]);
            b0 = k0.fma(y, b0);
            b1 = k1.fma(y, b1);
            b2 = k2.fma(y, b2);
            b3 = k3.fma(y, b3);
        }
        a0.mul(scale).intoArray(s, s0);
        a1.mul(scale).intoArray(s, s0 + 8);
        a2.mul(scale).intoArray(s, s0 + 16);
        a3.mul(scale).intoArray(s, s0 + 24);
        b0.mul(scale).intoArray(s, s1);
        b1.mul(scale).intoArray(s, s1 + 8);
        b2.mul(scale).intoArray(s, s1 + 16);
        b3.mul(scale).intoArray(s, s1 + 24);
    }

    static void scores2x8(float[] q, int qo0, int qo1, float[] kt, int ldk, int c0, int d, float scale, float[] s,
                          int s0, int s1) {
        FloatVector a0 = FloatVector.zero(S), b0 = FloatVector.zero(S);
        for (int i = 0; i < d; i++) {
            FloatVector k0 = FloatVector.fromArray(S, kt, i * ldk + c0);
            a0 = k0.fma(FloatVector.broadcast(S, q[qo0 + i]), a0);
            b0 = k0.fma(FloatVector.broadcast(S, q[qo1 + i]), b0);
        }
        a0.mul(scale).intoArray(s, s0);
        b0.mul(scale).intoArray(s, s1);
    }

    @Override
    public void pv2(float[] p, int po0, int po1, int n, float[] v, int vo, int ldv, int d, float[] acc, int ao0,
                    int ao1) {
        int i = 0;
        for (; i + 4 * L <= d; i += 4 * L) {
            pv2x32(p, po0, po1, n, v, vo + i, ldv, acc, ao0 + i, ao1 + i);
        }
        if (i < d) {
            pvColumns(p, po0, n, v, vo + i, ldv, acc, ao0 + i, d - i);
            pvColumns(p, po1, n, v, vo + i, ldv, acc, ao1 + i, d - i);
        }
    }

    /** pv over columns [0, w) of V rows ldv apart. */
    private void pvColumns(float[] p, int po, int n, float[] v, int vo, int ldv, float[] acc, int ao, int w) {
        int i = 0;
        for (; i + L <= w; i += L) {
            pv8(p, po, n, v, vo + i, ldv, acc, ao + i);
        }
        for (; i < w; i++) {
            float a = acc[ao + i];
            for (int c = 0; c < n; c++) {
                a += p[po + c] * v[vo + c * ldv + i];
            }
            acc[ao + i] = a;
        }
    }

    /** 2 rows x 32 columns: 8 accumulators, per key 4 loads of V and 2 broadcasts of P. */
    static void pv2x32(float[] p, int po0, int po1, int n, float[] v, int v0, int ldv, float[] acc, int a0,
                       int a1) {
        FloatVector c0 = FloatVector.fromArray(S, acc, a0), c1 = FloatVector.fromArray(S, acc, a0 + 8),
                c2 = FloatVector.fromArray(S, acc, a0 + 16), c3 = FloatVector.fromArray(S, acc, a0 + 24);
        FloatVector e0 = FloatVector.fromArray(S, acc, a1), e1 = FloatVector.fromArray(S, acc, a1 + 8),
                e2 = FloatVector.fromArray(S, acc, a1 + 16), e3 = FloatVector.fromArray(S, acc, a1 + 24);
        for (int c = 0; c < n; c++) {
            int vc = v0 + c * ldv;
            FloatVector x0 = FloatVector.fromArray(S, v, vc);
            FloatVector x1 = FloatVector.fromArray(S, v, vc + 8);
            FloatVector x2 = FloatVector.fromArray(S, v, vc + 16);
            FloatVector x3 = FloatVector.fromArray(S, v, vc + 24);
            FloatVector w = FloatVector.broadcast(S, p[po0 + c]);
            c0 = x0.fma(w, c0);
            c1 = x1.fma(w, c1);
            c2 = x2.fma(w, c2);
            c3 = x3.fma(w, c3);
            FloatVector u = FloatVector.broadcast(S, p[po1 + c]);
            e0 = x0.fma(u, e0);
            e1 = x1.fma(u, e1);
            e2 = x2.fma(u, e2);
            e3 = x3.fma(u, e3);
        }
        c0.intoArray(acc, a0);
        c1.intoArray(acc, a0 + 8);
        c2.intoArray(acc, a0 + 16);
        c3.intoArray(acc, a0 + 24);
        e0.intoArray(acc, a1);
        e1.intoArray(acc, a1 + 8);
        e2.intoArray(acc, a1 + 16);
        e3.intoArray(acc, a1 + 24);
    }

    @Override
    public void scoresT6(float[] q, int qo, int ldq, float[] kt, int ldk, int kc0, int chunk, int n, int d,
                         float scale, float[] s, int so, int lds) {
        int c = 0;
        if (ldk == CHUNK_KEYS) { // K^T in panels
            if (wide) {
                for (; c + 4 * L <= n; c += 4 * L) {
                    scores6x32p(kt, kc0 + (c >> 4) * chunk, kc0 + ((c >> 4) + 1) * chunk, q, qo, ldq, d, s, so + c,
                            lds, scale);
                }
            }
            for (; c + 2 * L <= n; c += 2 * L) {
                scores6x16p(kt, kc0 + (c >> 4) * chunk, q, qo, ldq, d, s, so + c, lds, scale);
            }
        } else {
            for (; c + 2 * L <= n; c += 2 * L) {
                scores6x16(q, qo, ldq, kt, ldk, kc0 + (c >> 4) * chunk, d, scale, s, so + c, lds);
            }
        }
        if (c < n) {
            for (int r = 0; r < ROWS; r += 2) {
                for (int cc = c; cc < n; cc += L) {
                    scores2x8(q, qo + r * ldq, qo + (r + 1) * ldq, kt, ldk, kc0 + (cc >> 4) * chunk + (cc & 15), d,
                            scale, s, so + r * lds + cc, so + (r + 1) * lds + cc);
                }
            }
        }
    }

    /**
     * 6 rows x 16 keys: 12 accumulators, per component 2 loads of K^T and 6 broadcasts of q (the shape of the dense
     * GEMM microkernel, which compiles without spills).
     */
    static void scores6x16(float[] q, int q0, int ldq, float[] kt, int ldk, int c0, int d, float scale, float[] s,
                           int s0, int ls) {
        int q1 = q0 + ldq, q2 = q1 + ldq, q3 = q2 + ldq, q4 = q3 + ldq, q5 = q4 + ldq;
        FloatVector a00 = FloatVector.zero(S), a01 = FloatVector.zero(S);
        FloatVector a10 = FloatVector.zero(S), a11 = FloatVector.zero(S);
        FloatVector a20 = FloatVector.zero(S), a21 = FloatVector.zero(S);
        FloatVector a30 = FloatVector.zero(S), a31 = FloatVector.zero(S);
        FloatVector a40 = FloatVector.zero(S), a41 = FloatVector.zero(S);
        FloatVector a50 = FloatVector.zero(S), a51 = FloatVector.zero(S);
        for (int i = 0; i < d; i++) {
            int ko = i * ldk + c0;
            FloatVector k0 = FloatVector.fromArray(S, kt, ko);
            FloatVector k1 = FloatVector.fromArray(S, kt, ko + 8);
            FloatVector b = FloatVector.broadcast(S, q[q0 + i]);
            a00 = k0.fma(b, a00);
            a01 = k1.fma(b, a01);
            b = FloatVector.broadcast(S, q[q1 + i]);
            a10 = k0.fma(b, a10);
            a11 = k1.fma(b, a11);
            b = FloatVector.broadcast(S, q[q2 + i]);
            a20 = k0.fma(b, a20);
            a21 = k1.fma(b, a21);
            b = FloatVector.broadcast(S, q[q3 + i]);
            a30 = k0.fma(b, a30);
            a31 = k1.fma(b, a31);
            b = FloatVector.broadcast(S, q[q4 + i]);
            a40 = k0.fma(b, a40);
            a41 = k1.fma(b, a41);
            b = FloatVector.broadcast(S, q[q5 + i]);
            a50 = k0.fma(b, a50);
            a51 = k1.fma(b, a51);
        }
        int s1 = s0 + ls, s2 = s1 + ls, s3 = s2 + ls, s4 = s3 + ls, s5 = s4 + ls;
        a00.mul(scale).intoArray(s, s0);
        a01.mul(scale).intoArray(s, s0 + 8);
        a10.mul(scale).intoArray(s, s1);
        a11.mul(scale).intoArray(s, s1 + 8);
        a20.mul(scale).intoArray(s, s2);
        a21.mul(scale).intoArray(s, s2 + 8);
        a30.mul(scale).intoArray(s, s3);
        a31.mul(scale).intoArray(s, s3 + 8);
        a40.mul(scale).intoArray(s, s4);
        a41.mul(scale).intoArray(s, s4 + 8);
        a50.mul(scale).intoArray(s, s5);
        a51.mul(scale).intoArray(s, s5 + 8);
    }

    /** Zeros that the panel kernels load their accumulators from (see {@link #scores6x16p}). */
    private static final float[] ZEROS = new float[2 * L];
    private static final float[] ZEROS_WIDE = new float[4 * L];

    /**
     * {@link #scores6x16} on one panel of K^T ({@code ldk = 16}), in the form of the dense GEMM microkernel: 82-90
     * GFLOPS on one core against 31-39 for the strided form on a plain K^T [d][Lk] (L1 conflicts between rows 4 KiB
     * apart, a range check and a multiply per load, no unrolling). Two details of the form matter to C2: the constant
     * stride, and accumulators loaded from memory. Started from {@code zero()} (or from the first component's
     * products) C2 scheduled all six broadcasts first and spilled five accumulators (33-39 GFLOPS).
     */
    static void scores6x16p(float[] kt, int c0, float[] q, int q0, int ldq, int d, float[] s, int s0, int ls,
                            float scale) {
        int q1 = q0 + ldq, q2 = q1 + ldq, q3 = q2 + ldq, q4 = q3 + ldq, q5 = q4 + ldq;
        int s1 = s0 + ls, s2 = s1 + ls, s3 = s2 + ls, s4 = s3 + ls, s5 = s4 + ls;
        FloatVector a00 = FloatVector.fromArray(S, ZEROS, 0), a01 = FloatVector.fromArray(S, ZEROS, L);
        FloatVector a10 = FloatVector.fromArray(S, ZEROS, 0), a11 = FloatVector.fromArray(S, ZEROS, L);
        FloatVector a20 = FloatVector.fromArray(S, ZEROS, 0), a21 = FloatVector.fromArray(S, ZEROS, L);
        FloatVector a30 = FloatVector.fromArray(S, ZEROS, 0), a31 = FloatVector.fromArray(S, ZEROS, L);
        FloatVector a40 = FloatVector.fromArray(S, ZEROS, 0), a41 = FloatVector.fromArray(S, ZEROS, L);
        FloatVector a50 = FloatVector.fromArray(S, ZEROS, 0), a51 = FloatVector.fromArray(S, ZEROS, L);
        // K scaled as loaded, not the sums after the loop: see docs/reliability.md on JIT boxing
        FloatVector sc = FloatVector.broadcast(S, scale);
        for (int i = 0; i < d; i++) {
            int ko = c0 + i * CHUNK_KEYS;
            FloatVector k0 = FloatVector.fromArray(S, kt, ko).mul(sc);
            FloatVector k1 = FloatVector.fromArray(S, kt, ko + 8).mul(sc);
            FloatVector b = FloatVector.broadcast(S, q[q0 + i]);
            a00 = k0.fma(b, a00);
            a01 = k1.fma(b, a01);
            b = FloatVector.broadcast(S, q[q1 + i]);
            a10 = k0.fma(b, a10);
            a11 = k1.fma(b, a11);
            b = FloatVector.broadcast(S, q[q2 + i]);
            a20 = k0.fma(b, a20);
            a21 = k1.fma(b, a21);
            b = FloatVector.broadcast(S, q[q3 + i]);
            a30 = k0.fma(b, a30);
            a31 = k1.fma(b, a31);
            b = FloatVector.broadcast(S, q[q4 + i]);
            a40 = k0.fma(b, a40);
            a41 = k1.fma(b, a41);
            b = FloatVector.broadcast(S, q[q5 + i]);
            a50 = k0.fma(b, a50);
            a51 = k1.fma(b, a51);
        }
        a00.intoArray(s, s0);
        a01.intoArray(s, s0 + 8);
        a10.intoArray(s, s1);
        a11.intoArray(s, s1 + 8);
        a20.intoArray(s, s2);
        a21.intoArray(s, s2 + 8);
        a30.intoArray(s, s3);
        a31.intoArray(s, s3 + 8);
        a40.intoArray(s, s4);
        a41.intoArray(s, s4 + 8);
        a50.intoArray(s, s5);
        a51.intoArray(s, s5 + 8);
    }

    @Override
    public void pv6(float[] p, int po, int ldp, int n, float[] v, int vo, int ldv, int chunk, int d, float[] acc,
                    int ao) {
        int i = 0;
        if (ldv == CHUNK_KEYS) {
            // V in column panels: the dense GEMM microkernel's form (constant stride 16), which C2 unrolls without
            // range checks; pv6x16 on plain rows keeps a multiply and two range checks per key (72 vs 83+ GFLOPS)
            if (wide) {
                for (; i + 4 * L <= d; i += 4 * L) {
                    VectorKernels512.dense6x2(v, vo + (i >> 4) * chunk, vo + ((i >> 4) + 1) * chunk, p, po, ldp, n,
                            acc, ao + i, d);
                }
            }
            for (; i + 2 * L <= d; i += 2 * L) {
                VectorKernels.dense6x2(v, vo + (i >> 4) * chunk, p, po, ldp, n, acc, ao + i, d);
            }
        } else {
            for (; i + 2 * L <= d; i += 2 * L) {
                pv6x16(p, po, ldp, n, v, vo + (i >> 4) * chunk, ldv, d, acc, ao + i);
            }
        }
        if (i < d) {
            for (int r = 0; r < ROWS; r++) {
                pvColumns(p, po + r * ldp, n, v, vo + (i >> 4) * chunk + (i & 15), ldv, acc, ao + r * d + i, d - i);
            }
        }
    }

    /** 6 rows x 16 columns: 12 accumulators, per key 2 loads of V and 6 broadcasts of P. */
    /** Accumulator rows are d apart, V rows ldv apart. */
    static void pv6x16(float[] p, int p0, int ldp, int n, float[] v, int v0, int ldv, int d, float[] acc, int a0) {
        int p1 = p0 + ldp, p2 = p1 + ldp, p3 = p2 + ldp, p4 = p3 + ldp, p5 = p4 + ldp;
        int a1 = a0 + d, a2 = a1 + d, a3 = a2 + d, a4 = a3 + d, a5 = a4 + d;
        FloatVector c00 = FloatVector.fromArray(S, acc, a0), c01 = FloatVector.fromArray(S, acc, a0 + 8);
        FloatVector c10 = FloatVector.fromArray(S, acc, a1), c11 = FloatVector.fromArray(S, acc, a1 + 8);
        FloatVector c20 = FloatVector.fromArray(S, acc, a2), c21 = FloatVector.fromArray(S, acc, a2 + 8);
        FloatVector c30 = FloatVector.fromArray(S, acc, a3), c31 = FloatVector.fromArray(S, acc, a3 + 8);
        FloatVector c40 = FloatVector.fromArray(S, acc, a4), c41 = FloatVector.fromArray(S, acc, a4 + 8);
        FloatVector c50 = FloatVector.fromArray(S, acc, a5), c51 = FloatVector.fromArray(S, acc, a5 + 8);
        for (int c = 0; c < n; c++) {
            int vc = v0 + c * ldv;
            FloatVector x0 = FloatVector.fromArray(S, v, vc);
            FloatVector x1 = FloatVector.fromArray(S, v, vc + 8);
            FloatVector b = FloatVector.broadcast(S, p[p0 + c]);
            c00 = x0.fma(b, c00);
            c01 = x1.fma(b, c01);
            b = FloatVector.broadcast(S, p[p1 + c]);
            c10 = x0.fma(b, c10);
            c11 = x1.fma(b, c11);
            b = FloatVector.broadcast(S, p[p2 + c]);
            c20 = x0.fma(b, c20);
            c21 = x1.fma(b, c21);
            b = FloatVector.broadcast(S, p[p3 + c]);
            c30 = x0.fma(b, c30);
            c31 = x1.fma(b, c31);
            b = FloatVector.broadcast(S, p[p4 + c]);
            c40 = x0.fma(b, c40);
            c41 = x1.fma(b, c41);
            b = FloatVector.broadcast(S, p[p5 + c]);
            c50 = x0.fma(b, c50);
            c51 = x1.fma(b, c51);
        }
        c00.intoArray(acc, a0);
        c01.intoArray(acc, a0 + 8);
        c10.intoArray(acc, a1);
        c11.intoArray(acc, a1 + 8);
        c20.intoArray(acc, a2);
        c21.intoArray(acc, a2 + 8);
        c30.intoArray(acc, a3);
        c31.intoArray(acc, a3 + 8);
        c40.intoArray(acc, a4);
        c41.intoArray(acc, a4 + 8);
        c50.intoArray(acc, a5);
        c51.intoArray(acc, a5 + 8);
    }

    @Override
    public void scoresT4(float[] q, int qo, int ldq, float[] kt, int ldk, int kc0, int chunk, int n, int d,
                         float scale, float[] s, int so, int lds) {
        if (ldk != CHUNK_KEYS) {
            scoresT2(q, qo, qo + ldq, kt, ldk, kc0, chunk, n, d, scale, s, so, so + lds);
            scoresT2(q, qo + 2 * ldq, qo + 3 * ldq, kt, ldk, kc0, chunk, n, d, scale, s, so + 2 * lds, so + 3 * lds);
            return;
        }
        int c = 0;
        if (wide) {
            for (; c + 4 * L <= n; c += 4 * L) {
                scores4x32p(kt, kc0 + (c >> 4) * chunk, kc0 + ((c >> 4) + 1) * chunk, q, qo, ldq, d, s, so + c, lds,
                        scale);
            }
        }
        for (; c + 2 * L <= n; c += 2 * L) {
            scores4x16p(kt, kc0 + (c >> 4) * chunk, q, qo, ldq, d, s, so + c, lds, scale);
        }
        for (int r = 0; c < n && r < 4; r += 2) {
            for (int cc = c; cc < n; cc += L) {
                scores2x8(q, qo + r * ldq, qo + (r + 1) * ldq, kt, ldk, kc0 + (cc >> 4) * chunk + (cc & 15), d,
                        scale, s, so + r * lds + cc, so + (r + 1) * lds + cc);
            }
        }
    }

    /** 4 rows x 16 keys on one panel of K^T: 8 accumulators, as {@link #scores6x16p}. */
    static void scores4x16p(float[] kt, int c0, float[] q, int q0, int ldq, int d, float[] s, int s0, int ls,
                            float scale) {
        int q1 = q0 + ldq, q2 = q1 + ldq, q3 = q2 + ldq;
        int s1 = s0 + ls, s2 = s1 + ls, s3 = s2 + ls;
        FloatVector a00 = FloatVector.fromArray(S, ZEROS, 0), a01 = FloatVector.fromArray(S, ZEROS, L);
        FloatVector a10 = FloatVector.fromArray(S, ZEROS, 0), a11 = FloatVector.fromArray(S, ZEROS, L);
        FloatVector a20 = FloatVector.fromArray(S, ZEROS, 0), a21 = FloatVector.fromArray(S, ZEROS, L);
        FloatVector a30 = FloatVector.fromArray(S, ZEROS, 0), a31 = FloatVector.fromArray(S, ZEROS, L);
        // K scaled as loaded, not the sums after the loop: see docs/reliability.md on JIT boxing
        FloatVector sc = FloatVector.broadcast(S, scale);
        for (int i = 0; i < d; i++) {
            int ko = c0 + i * CHUNK_KEYS;
            FloatVector k0 = FloatVector.fromArray(S, kt, ko).mul(sc);
            FloatVector k1 = FloatVector.fromArray(S, kt, ko + 8).mul(sc);
            FloatVector b = FloatVector.broadcast(S, q[q0 + i]);
            a00 = k0.fma(b, a00);
            a01 = k1.fma(b, a01);
            b = FloatVector.broadcast(S, q[q1 + i]);
            a10 = k0.fma(b, a10);
            a11 = k1.fma(b, a11);
            b = FloatVector.broadcast(S, q[q2 + i]);
            a20 = k0.fma(b, a20);
            a21 = k1.fma(b, a21);
            b = FloatVector.broadcast(S, q[q3 + i]);
            a30 = k0.fma(b, a30);
            a31 = k1.fma(b, a31);
        }
        a00.intoArray(s, s0);
        a01.intoArray(s, s0 + 8);
        a10.intoArray(s, s1);
        a11.intoArray(s, s1 + 8);
        a20.intoArray(s, s2);
        a21.intoArray(s, s2 + 8);
        a30.intoArray(s, s3);
        a31.intoArray(s, s3 + 8);
    }

    @Override
    public void pv4(float[] p, int po, int ldp, int n, float[] v, int vo, int ldv, int chunk, int d, float[] acc,
                    int ao) {
        if (ldv != CHUNK_KEYS) { // plain rows: chunk is 16, so column i is at vo + i
            pv2(p, po, po + ldp, n, v, vo, ldv, d, acc, ao, ao + d);
            pv2(p, po + 2 * ldp, po + 3 * ldp, n, v, vo, ldv, d, acc, ao + 2 * d, ao + 3 * d);
            return;
        }
        // column panels, or plain rows that happen to lie 16 apart (then chunk is 16 too and d at most 16)
        int i = 0;
        if (wide) {
            for (; i + 4 * L <= d; i += 4 * L) {
                VectorKernels512.dense4x2(v, vo + (i >> 4) * chunk, vo + ((i >> 4) + 1) * chunk, p, po, ldp, n, acc,
                        ao + i, d);
            }
        }
        for (; i + 2 * L <= d; i += 2 * L) {
            pv4x16p(v, vo + (i >> 4) * chunk, p, po, ldp, n, acc, ao + i, d);
        }
        for (int r = 0; i < d && r < 4; r++) {
            pvColumns(p, po + r * ldp, n, v, vo + (i >> 4) * chunk + (i & 15), ldv, acc, ao + r * d + i, d - i);
        }
    }

    /** 4 rows x 16 columns of V in column panels: 8 accumulators, the form of {@link VectorKernels#dense6x2}. */
    static void pv4x16p(float[] vp, int v0, float[] p, int p0, int ldp, int n, float[] acc, int a0, int lda) {
        int p1 = p0 + ldp, p2 = p1 + ldp, p3 = p2 + ldp;
        int a1 = a0 + lda, a2 = a1 + lda, a3 = a2 + lda;
        FloatVector c00 = FloatVector.fromArray(S, acc, a0), c01 = FloatVector.fromArray(S, acc, a0 + 8);
        FloatVector c10 = FloatVector.fromArray(S, acc, a1), c11 = FloatVector.fromArray(S, acc, a1 + 8);
        FloatVector c20 = FloatVector.fromArray(S, acc, a2), c21 = FloatVector.fromArray(S, acc, a2 + 8);
        FloatVector c30 = FloatVector.fromArray(S, acc, a3), c31 = FloatVector.fromArray(S, acc, a3 + 8);
        for (int c = 0; c < n; c++) {
            int vc = v0 + c * CHUNK_KEYS;
            FloatVector x0 = FloatVector.fromArray(S, vp, vc);
            FloatVector x1 = FloatVector.fromArray(S, vp, vc + 8);
            FloatVector b = FloatVector.broadcast(S, p[p0 + c]);
            c00 = x0.fma(b, c00);
            c01 = x1.fma(b, c01);
            b = FloatVector.broadcast(S, p[p1 + c]);
            c10 = x0.fma(b, c10);
            c11 = x1.fma(b, c11);
            b = FloatVector.broadcast(S, p[p2 + c]);
            c20 = x0.fma(b, c20);
            c21 = x1.fma(b, c21);
            b = FloatVector.broadcast(S, p[p3 + c]);
            c30 = x0.fma(b, c30);
            c31 = x1.fma(b, c31);
        }
        c00.intoArray(acc, a0);
        c01.intoArray(acc, a0 + 8);
        c10.intoArray(acc, a1);
        c11.intoArray(acc, a1 + 8);
        c20.intoArray(acc, a2);
        c21.intoArray(acc, a2 + 8);
        c30.intoArray(acc, a3);
        c31.intoArray(acc, a3 + 8);
    }

    /**
     * At 512 bits, K^T's panels of 16 keys by a gather per key dimension: one 16-lane load of the chunk's 16 rows at
     * component i, one store. The scalar copy took 16% of MiniLM's attention (one thread, async-profiler, session 22).
     * Plain K^T layouts and a last chunk under 16 keys take the scalar copy.
     * <p>
     * Before each chunk's gathers, the next chunk's rows are read one float per cache line. Why: the gathers walk
     * 16 rows side by side, a pattern the hardware prefetchers do not follow, so where K was not in cache every
     * line arrived on demand, 16 misses at a time: issue 5's L = 1024 call transposed its 12 heads (3 MB) in
     * 0.81-0.82 ms on one core, against 0.12-0.16 for a plain copy of them. The plain loads of the next chunk are
     * independent of the gathers and stream ahead of them: 0.25-0.26 ms (ColdTransposeProbe's method, cache flushed
     * before each call; two chunks ahead was no better). Without {@code readAhead} (the by-head path has just read
     * the sequence's rows) the extra loads only cost: MiniLM's attention was 2-3% slower with them.
     */
    @Override
    public void transposeKeys(float[] k, int ko, int ldk, int rows, int d, float[] kt, int kto, int ld, int chunk,
            boolean readAhead) {
        int full = wide && ld == CHUNK_KEYS ? rows & -CHUNK_KEYS : 0;
        if (full > 0) {
            int[] rowOffsets = GATHER_ROWS.get();
            for (int c = 0; c < CHUNK_KEYS; c++) {
                rowOffsets[c] = c * ldk;
            }
            if (readAhead) {
                int bits = touchRows(k, ko, ldk, 0, Math.min(rows, CHUNK_KEYS), d);
                for (int c0 = 0; c0 < full; c0 += CHUNK_KEYS) {
                    bits ^= touchRows(k, ko, ldk, c0 + CHUNK_KEYS, Math.min(rows, c0 + 2 * CHUNK_KEYS), d);
                    gatherPanel(k, ko + c0 * ldk, rowOffsets, d, kt, kto + c0 / CHUNK_KEYS * chunk);
                }
                CacheTouch.sink = bits;
            } else {
                for (int c0 = 0; c0 < full; c0 += CHUNK_KEYS) {
                    gatherPanel(k, ko + c0 * ldk, rowOffsets, d, kt, kto + c0 / CHUNK_KEYS * chunk);
                }
            }
        }
        if (full < rows) {
            AttentionKernels.super.transposeKeys(k, ko + full * ldk, ldk, rows - full, d, kt,
                    kto + full / CHUNK_KEYS * chunk, ld, chunk, false);
        }
    }

    /** One float of every cache line of rows [from, to) (d floats each, ldk apart from ko), XOR-folded. */
    private static int touchRows(float[] k, int ko, int ldk, int from, int to, int d) {
        int bits = 0;
        for (int c = from, o = ko + from * ldk; c < to; c++, o += ldk) {
            bits ^= CacheTouch.row(k, o, d);
        }
        return bits;
    }

    private static void gatherPanel(float[] k, int base, int[] rowOffsets, int d, float[] kt, int dst) {
        for (int i = 0; i < d; i++) {
            FloatVector.fromArray(Z, k, base + i, rowOffsets, 0).intoArray(kt, dst + i * CHUNK_KEYS);
        }
    }

    /** This thread's row offsets for {@link #gatherPanel}: 16 ints, refilled per call (ldk changes). */
    private static final ThreadLocal<int[]> GATHER_ROWS = ThreadLocal.withInitial(() -> new int[CHUNK_KEYS]);

    /** Two vector moves per 16 floats: a System.arraycopy call per chunk cost 13% of MiniLM's attention. */
    @Override
    public void panelRows(float[] v, int vo, int ldv, int rows, int d, float[] vp, int po, int chunk) {
        for (int j = 0; j < d; j += CHUNK_KEYS) {
            int dst = po + (j >> 4) * chunk;
            for (int c = 0, src = vo + j; c < rows; c++, src += ldv, dst += CHUNK_KEYS) {
                FloatVector.fromArray(S, v, src).intoArray(vp, dst);
                FloatVector.fromArray(S, v, src + L).intoArray(vp, dst + L);
            }
        }
    }

    /** A dense mask's row 8 scores at a time: a scalar branch per score made a dense mask cost a third of the call. */
    @Override
    public void maskRow(float[] s, int so, int n, boolean[] allowed, int mo) {
        int nv = n & -L;
        for (int c = 0; c < nv; c += L) {
            VectorMask<Float> ok = VectorMask.fromArray(S, allowed, mo + c);
            FloatVector.fromArray(S, s, so + c).blend(Float.NEGATIVE_INFINITY, ok.not()).intoArray(s, so + c);
        }
        ScalarAttentionKernels.INSTANCE.maskRow(s, so + nv, n - nv, allowed, mo + nv);
    }

    @Override
    public void biasRow(float[] s, int so, int n, float[] bias, int bo) {
        int nv = n & -L;
        for (int c = 0; c < nv; c += L) {
            FloatVector b = FloatVector.fromArray(S, bias, bo + c);
            FloatVector sum = FloatVector.fromArray(S, s, so + c).add(b);
            sum.blend(Float.NEGATIVE_INFINITY, b.eq(Float.NEGATIVE_INFINITY)).intoArray(s, so + c);
        }
        ScalarAttentionKernels.INSTANCE.biasRow(s, so + nv, n - nv, bias, bo + nv); // the tail, by the same rule
    }

    // ---------------------------------------------------------------- 512 bits: two panels per call

    /**
     * 6 rows x 32 keys on two panels of K^T at 512 bits: {@link #scores6x16p}'s form at twice the width, 2 loads
     * and 6 broadcasts per 12 FMAs.
     */
    static void scores6x32p(float[] kt, int c0, int c1, float[] q, int q0, int ldq, int d, float[] s, int s0, int ls,
                            float scale) {
        int q1 = q0 + ldq, q2 = q1 + ldq, q3 = q2 + ldq, q4 = q3 + ldq, q5 = q4 + ldq;
        int s1 = s0 + ls, s2 = s1 + ls, s3 = s2 + ls, s4 = s3 + ls, s5 = s4 + ls;
        FloatVector a00 = FloatVector.fromArray(Z, ZEROS_WIDE, 0), a01 = FloatVector.fromArray(Z, ZEROS_WIDE, 16);
        FloatVector a10 = FloatVector.fromArray(Z, ZEROS_WIDE, 0), a11 = FloatVector.fromArray(Z, ZEROS_WIDE, 16);
        FloatVector a20 = FloatVector.fromArray(Z, ZEROS_WIDE, 0), a21 = FloatVector.fromArray(Z, ZEROS_WIDE, 16);
        FloatVector a30 = FloatVector.fromArray(Z, ZEROS_WIDE, 0), a31 = FloatVector.fromArray(Z, ZEROS_WIDE, 16);
        FloatVector a40 = FloatVector.fromArray(Z, ZEROS_WIDE, 0), a41 = FloatVector.fromArray(Z, ZEROS_WIDE, 16);
        FloatVector a50 = FloatVector.fromArray(Z, ZEROS_WIDE, 0), a51 = FloatVector.fromArray(Z, ZEROS_WIDE, 16);
        // K scaled as loaded, not the sums after the loop: see docs/reliability.md on JIT boxing
        FloatVector sc = FloatVector.broadcast(Z, scale);
        for (int i = 0; i < d; i++) {
            FloatVector k0 = FloatVector.fromArray(Z, kt, c0 + i * CHUNK_KEYS).mul(sc);
            FloatVector k1 = FloatVector.fromArray(Z, kt, c1 + i * CHUNK_KEYS).mul(sc);
            FloatVector b = FloatVector.broadcast(Z, q[q0 + i]);
            a00 = k0.fma(b, a00);
            a01 = k1.fma(b, a01);
            b = FloatVector.broadcast(Z, q[q1 + i]);
            a10 = k0.fma(b, a10);
            a11 = k1.fma(b, a11);
            b = FloatVector.broadcast(Z, q[q2 + i]);
            a20 = k0.fma(b, a20);
            a21 = k1.fma(b, a21);
            b = FloatVector.broadcast(Z, q[q3 + i]);
            a30 = k0.fma(b, a30);
            a31 = k1.fma(b, a31);
            b = FloatVector.broadcast(Z, q[q4 + i]);
            a40 = k0.fma(b, a40);
            a41 = k1.fma(b, a41);
            b = FloatVector.broadcast(Z, q[q5 + i]);
            a50 = k0.fma(b, a50);
            a51 = k1.fma(b, a51);
        }
        a00.intoArray(s, s0);
        a01.intoArray(s, s0 + 16);
        a10.intoArray(s, s1);
        a11.intoArray(s, s1 + 16);
        a20.intoArray(s, s2);
        a21.intoArray(s, s2 + 16);
        a30.intoArray(s, s3);
        a31.intoArray(s, s3 + 16);
        a40.intoArray(s, s4);
        a41.intoArray(s, s4 + 16);
        a50.intoArray(s, s5);
        a51.intoArray(s, s5 + 16);
    }

    /**
     * 4 rows x 32 keys on two panels of K^T at 512 bits: {@link #scores4x16p}'s form at twice the width, 2 loads
     * and 4 broadcasts per 8 FMAs.
     */
    static void scores4x32p(float[] kt, int c0, int c1, float[] q, int q0, int ldq, int d, float[] s, int s0, int ls,
                            float scale) {
        int q1 = q0 + ldq, q2 = q1 + ldq, q3 = q2 + ldq;
        int s1 = s0 + ls, s2 = s1 + ls, s3 = s2 + ls;
        FloatVector a00 = FloatVector.fromArray(Z, ZEROS_WIDE, 0), a01 = FloatVector.fromArray(Z, ZEROS_WIDE, 16);
        FloatVector a10 = FloatVector.fromArray(Z, ZEROS_WIDE, 0), a11 = FloatVector.fromArray(Z, ZEROS_WIDE, 16);
        FloatVector a20 = FloatVector.fromArray(Z, ZEROS_WIDE, 0), a21 = FloatVector.fromArray(Z, ZEROS_WIDE, 16);
        FloatVector a30 = FloatVector.fromArray(Z, ZEROS_WIDE, 0), a31 = FloatVector.fromArray(Z, ZEROS_WIDE, 16);
        // K scaled as loaded, not the sums after the loop: see docs/reliability.md on JIT boxing
        FloatVector sc = FloatVector.broadcast(Z, scale);
        for (int i = 0; i < d; i++) {
            FloatVector k0 = FloatVector.fromArray(Z, kt, c0 + i * CHUNK_KEYS).mul(sc);
            FloatVector k1 = FloatVector.fromArray(Z, kt, c1 + i * CHUNK_KEYS).mul(sc);
            FloatVector b = FloatVector.broadcast(Z, q[q0 + i]);
            a00 = k0.fma(b, a00);
            a01 = k1.fma(b, a01);
            b = FloatVector.broadcast(Z, q[q1 + i]);
            a10 = k0.fma(b, a10);
            a11 = k1.fma(b, a11);
            b = FloatVector.broadcast(Z, q[q2 + i]);
            a20 = k0.fma(b, a20);
            a21 = k1.fma(b, a21);
            b = FloatVector.broadcast(Z, q[q3 + i]);
            a30 = k0.fma(b, a30);
            a31 = k1.fma(b, a31);
        }
        a00.intoArray(s, s0);
        a01.intoArray(s, s0 + 16);
        a10.intoArray(s, s1);
        a11.intoArray(s, s1 + 16);
        a20.intoArray(s, s2);
        a21.intoArray(s, s2 + 16);
        a30.intoArray(s, s3);
        a31.intoArray(s, s3 + 16);
    }

}
