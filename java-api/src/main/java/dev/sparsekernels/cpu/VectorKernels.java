package dev.sparsekernels.cpu;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Vector API microkernels, 256-bit vectors (8 floats). Loaded reflectively by {@link CpuVectorization} only when
 * {@code jdk.incubator.vector} is in the boot layer and the preferred species is at least 256 bits wide.
 *
 * <p>Each kernel is a small static method with its accumulators in locals, so C2 keeps them in registers
 * (12 accumulators + operands fit the 16 ymm registers of AVX2).
 */
final class VectorKernels implements CpuKernels {
    /**
     * The starting values of a tile's first K block and the bias of a layer without one, for the kernels that start
     * from zeros or add a bias (48 floats: a 6 x 48 tile's row). They read these instead of branching: with the
     * accumulators merged at such branches, C2 at times compiled the 6 x 48 kernel with its 18 accumulators boxed (an
     * allocation per step, 15-20x slower) once a call had taken the other branch (session 15, under
     * -XX:+PrintInlining in 9 of 11 processes; in about one in six without). The 12-accumulator kernels were never
     * seen doing it; they read them too (the attention's P·V and the GEMMs share one with different branches).
     */
    static final float[] ZEROS = new float[48];

    static final VectorSpecies<Float> S = VectorWidth.SPECIES;
    private static final int L = 8;

    VectorKernels() {
        VectorWidth.require();
    }

    @Override
    public String describe() {
        return VectorWidth.describe();
    }

    // ---------------------------------------------------------------- dense, vectorized over 24 tokens

    /**
     * Whether this JVM's C2 spills {@link #dense6x2}. JDK 17 (17.0.15 measured) hoists its six broadcasts above the
     * FMAs, needs 20 ymm registers for 16 and keeps five accumulators on the stack, a load and a store per FMA: the
     * one-off 512 x 4096 x 4096 GEMM ran 2.3x slower than on JDK 25, which compiles it without spills. There the six
     * rows go through {@link #dense4x2} (14 registers, no spill, not unrolled) and {@link #dense2x2}: 1.19-1.29x
     * faster on 17 (a three-row kernel called twice was slower still: C2 unrolled it and hoisted again). Versions
     * between 17 and 25 were not measured; 21 and later keep the six-row kernel.
     */
    static final boolean SPLIT_SIX_ROWS = Runtime.version().feature() < 21;

    @Override
    public void dense6(float[] xt, int xtOff, float[] w, int wOff, int in, int kLen, float[] c, int cOff, int cStride) {
        if (SPLIT_SIX_ROWS) {
            dense4x2(xt, xtOff, w, wOff, in, kLen, c, cOff, cStride);
            dense2x2(xt, xtOff, w, wOff + 4 * in, in, kLen, c, cOff + 4 * cStride, cStride);
        } else {
            dense6x2(xt, xtOff, w, wOff, in, kLen, c, cOff, cStride);
        }
    }

    @Override
    public void dense6Y(float[] xt, int xtOff, float[] w, int wOff, int in, int kLen, float[] c, int cOff,
                       int cStride, boolean zero, float[] bias, int bo) {
        if (SPLIT_SIX_ROWS) {
            CpuKernels.super.dense6Y(xt, xtOff, w, wOff, in, kLen, c, cOff, cStride, zero, bias, bo);
        } else {
            dense6x2(xt, xtOff, w, wOff, in, kLen, c, cOff, cStride, zero, bias, bo);
        }
    }

    /** 4 rows x 16 tokens: {@link #dense6x2}'s form for the first four of its rows (see {@link #SPLIT_SIX_ROWS}). */
    static void dense4x2(float[] xt, int xo, float[] w, int w0, int in, int kLen, float[] c, int c0, int cs) {
        int w1 = w0 + in; int w2 = w1 + in; int w3 = w2 + in;
        int c1 = c0 + cs; int c2 = c1 + cs; int c3 = c2 + cs;
        FloatVector a00 = FloatVector.fromArray(S, c, c0), a01 = FloatVector.fromArray(S, c, c0 + 8);
        FloatVector a10 = FloatVector.fromArray(S, c, c1), a11 = FloatVector.fromArray(S, c, c1 + 8);
        FloatVector a20 = FloatVector.fromArray(S, c, c2), a21 = FloatVector.fromArray(S, c, c2 + 8);
        FloatVector a30 = FloatVector.fromArray(S, c, c3), a31 = FloatVector.fromArray(S, c, c3 + 8);
        for (int k = 0; k < kLen; k++) {
            int x = xo + k * 16;
            FloatVector x0 = FloatVector.fromArray(S, xt, x);
            FloatVector x1 = FloatVector.fromArray(S, xt, x + 8);
            FloatVector b = FloatVector.broadcast(S, w[w0 + k]);
            a00 = x0.fma(b, a00);
            a01 = x1.fma(b, a01);
            b = FloatVector.broadcast(S, w[w1 + k]);
            a10 = x0.fma(b, a10);
            a11 = x1.fma(b, a11);
            b = FloatVector.broadcast(S, w[w2 + k]);
            a20 = x0.fma(b, a20);
            a21 = x1.fma(b, a21);
            b = FloatVector.broadcast(S, w[w3 + k]);
            a30 = x0.fma(b, a30);
            a31 = x1.fma(b, a31);
        }
        a00.intoArray(c, c0);
        a01.intoArray(c, c0 + 8);
        a10.intoArray(c, c1);
        a11.intoArray(c, c1 + 8);
        a20.intoArray(c, c2);
        a21.intoArray(c, c2 + 8);
        a30.intoArray(c, c3);
        a31.intoArray(c, c3 + 8);
    }

    /** 2 rows x 16 tokens: the last two rows of a split six (see {@link #SPLIT_SIX_ROWS}). */
    static void dense2x2(float[] xt, int xo, float[] w, int w0, int in, int kLen, float[] c, int c0, int cs) {
        int w1 = w0 + in;
        int c1 = c0 + cs;
        FloatVector a00 = FloatVector.fromArray(S, c, c0), a01 = FloatVector.fromArray(S, c, c0 + 8);
        FloatVector a10 = FloatVector.fromArray(S, c, c1), a11 = FloatVector.fromArray(S, c, c1 + 8);
        for (int k = 0; k < kLen; k++) {
            int x = xo + k * 16;
            FloatVector x0 = FloatVector.fromArray(S, xt, x);
            FloatVector x1 = FloatVector.fromArray(S, xt, x + 8);
            FloatVector b = FloatVector.broadcast(S, w[w0 + k]);
            a00 = x0.fma(b, a00);
            a01 = x1.fma(b, a01);
            b = FloatVector.broadcast(S, w[w1 + k]);
            a10 = x0.fma(b, a10);
            a11 = x1.fma(b, a11);
        }
        a00.intoArray(c, c0);
        a01.intoArray(c, c0 + 8);
        a10.intoArray(c, c1);
        a11.intoArray(c, c1 + 8);
    }


    /**
     * 6 rows x 16 tokens: 12 accumulators, 2 X^T loads and 6 broadcasts of W per k. (Tried: 4x3 spills an
     * accumulator; packing W into [k][6] slivers lets C2 hoist all broadcasts and spill; this form compiles clean.)
     */
    static void dense6x2(float[] xt, int xo, float[] w, int w0, int in, int kLen, float[] c, int c0, int cs) {
        dense6x2(xt, xo, w, w0, in, kLen, c, c0, cs, false, null, 0);
    }

    /** {@link #dense6x2} starting from zeros when zero, adding bias[bo ..+16) to every row at the end when not null. */
    static void dense6x2(float[] xt, int xo, float[] w, int w0, int in, int kLen, float[] c, int c0, int cs,
                         boolean zero, float[] bias, int bo) {
        int w1 = w0 + in, w2 = w1 + in, w3 = w2 + in, w4 = w3 + in, w5 = w4 + in;
        int c1 = c0 + cs, c2 = c1 + cs, c3 = c2 + cs, c4 = c3 + cs, c5 = c4 + cs;
        float[] s = zero ? ZEROS : c; // no branch merges the accumulators: see ZEROS
        int ss = zero ? 0 : cs;
        int s0 = zero ? 0 : c0, s1 = s0 + ss, s2 = s1 + ss, s3 = s2 + ss, s4 = s3 + ss, s5 = s4 + ss;
        float[] bv = bias == null ? ZEROS : bias;
        int bs = bias == null ? 0 : bo;
        FloatVector a00 = FloatVector.fromArray(S, s, s0), a01 = FloatVector.fromArray(S, s, s0 + 8);
        FloatVector a10 = FloatVector.fromArray(S, s, s1), a11 = FloatVector.fromArray(S, s, s1 + 8);
        FloatVector a20 = FloatVector.fromArray(S, s, s2), a21 = FloatVector.fromArray(S, s, s2 + 8);
        FloatVector a30 = FloatVector.fromArray(S, s, s3), a31 = FloatVector.fromArray(S, s, s3 + 8);
        FloatVector a40 = FloatVector.fromArray(S, s, s4), a41 = FloatVector.fromArray(S, s, s4 + 8);
        FloatVector a50 = FloatVector.fromArray(S, s, s5), a51 = FloatVector.fromArray(S, s, s5 + 8);
        for (int k = 0; k < kLen; k++) {
            int x = xo + k * 16;
            FloatVector x0 = FloatVector.fromArray(S, xt, x);
            FloatVector x1 = FloatVector.fromArray(S, xt, x + 8);
            FloatVector b = FloatVector.broadcast(S, w[w0 + k]);
            a00 = x0.fma(b, a00);
            a01 = x1.fma(b, a01);
            b = FloatVector.broadcast(S, w[w1 + k]);
            a10 = x0.fma(b, a10);
            a11 = x1.fma(b, a11);
            b = FloatVector.broadcast(S, w[w2 + k]);
            a20 = x0.fma(b, a20);
            a21 = x1.fma(b, a21);
            b = FloatVector.broadcast(S, w[w3 + k]);
            a30 = x0.fma(b, a30);
            a31 = x1.fma(b, a31);
            b = FloatVector.broadcast(S, w[w4 + k]);
            a40 = x0.fma(b, a40);
            a41 = x1.fma(b, a41);
            b = FloatVector.broadcast(S, w[w5 + k]);
            a50 = x0.fma(b, a50);
            a51 = x1.fma(b, a51);
        }
        FloatVector b0 = FloatVector.fromArray(S, bv, bs), b1 = FloatVector.fromArray(S, bv, bs + 8);
        a00.add(b0).intoArray(c, c0);
        a01.add(b1).intoArray(c, c0 + 8);
        a10.add(b0).intoArray(c, c1);
        a11.add(b1).intoArray(c, c1 + 8);
        a20.add(b0).intoArray(c, c2);
        a21.add(b1).intoArray(c, c2 + 8);
        a30.add(b0).intoArray(c, c3);
        a31.add(b1).intoArray(c, c3 + 8);
        a40.add(b0).intoArray(c, c4);
        a41.add(b1).intoArray(c, c4 + 8);
        a50.add(b0).intoArray(c, c5);
        a51.add(b1).intoArray(c, c5 + 8);
    }

    @Override
    public void dense1(float[] xt, int xo, float[] w, int w0, int kLen, float[] c, int c0) {
        FloatVector a0 = FloatVector.fromArray(S, c, c0);
        FloatVector a1 = FloatVector.fromArray(S, c, c0 + 8);
        FloatVector z = FloatVector.zero(S);
        FloatVector b0 = z, b1 = z;
        int k = 0;
        for (; k + 2 <= kLen; k += 2) {
            int x = xo + k * 16;
            FloatVector u = FloatVector.broadcast(S, w[w0 + k]);
            FloatVector v = FloatVector.broadcast(S, w[w0 + k + 1]);
            a0 = FloatVector.fromArray(S, xt, x).fma(u, a0);
            a1 = FloatVector.fromArray(S, xt, x + 8).fma(u, a1);
            b0 = FloatVector.fromArray(S, xt, x + 16).fma(v, b0);
            b1 = FloatVector.fromArray(S, xt, x + 24).fma(v, b1);
        }
        for (; k < kLen; k++) {
            int x = xo + k * 16;
            FloatVector u = FloatVector.broadcast(S, w[w0 + k]);
            a0 = FloatVector.fromArray(S, xt, x).fma(u, a0);
            a1 = FloatVector.fromArray(S, xt, x + 8).fma(u, a1);
        }
        a0.add(b0).intoArray(c, c0);
        a1.add(b1).intoArray(c, c0 + 8);
    }

    // ---------------------------------------------------------------- dense, few tokens: dot products over in

    @Override
    public void denseDot(float[] x, int tokens, int in, float[] w, int out, int o0, int o1, float[] bias, float[] y) {
        int t = 0;
        for (; t + 4 <= tokens; t += 4) {
            int o = o0;
            for (; o + 2 <= o1; o += 2) {
                dot2x4(x, t, in, w, o, out, bias, y);
            }
            for (; o < o1; o++) {
                for (int u = t; u < t + 4; u++) {
                    y[u * out + o] = dot1(x, u * in, w, o * in, in) + (bias == null ? 0f : bias[o]);
                }
            }
        }
        for (; t < tokens; t++) {
            int o = o0;
            for (; o + 4 <= o1; o += 4) {
                dot4x1(x, t, in, w, o, out, bias, y);
            }
            for (; o < o1; o++) {
                y[t * out + o] = dot1(x, t * in, w, o * in, in) + (bias == null ? 0f : bias[o]);
            }
        }
    }

    static float dot1(float[] x, int xo, float[] w, int wo, int in) {
        FloatVector a0 = FloatVector.zero(S);
        FloatVector a1 = FloatVector.zero(S);
        int k = 0;
        for (; k + 16 <= in; k += 16) {
            a0 = FloatVector.fromArray(S, w, wo + k).fma(FloatVector.fromArray(S, x, xo + k), a0);
            a1 = FloatVector.fromArray(S, w, wo + k + 8).fma(FloatVector.fromArray(S, x, xo + k + 8), a1);
        }
        for (; k + 8 <= in; k += 8) {
            a0 = FloatVector.fromArray(S, w, wo + k).fma(FloatVector.fromArray(S, x, xo + k), a0);
        }
        // the accumulators stored, their lanes added in scalar code: no vector arithmetic after a loop (JIT rules,
        // docs/reliability.md)
        float[] l = LaneSums.lanes();
        a0.intoArray(l, 0);
        a1.intoArray(l, 8);
        float s = LaneSums.sumPairs8(l, 0);
        for (; k < in; k++) {
            s += w[wo + k] * x[xo + k];
        }
        return s;
    }

    /** 4 rows x 1 token, vectorized over in, 2-way unrolled (8 accumulators). */
    static void dot4x1(float[] x, int t, int in, float[] w, int o, int out, float[] bias, float[] y) {
        int xo = t * in;
        int w0 = o * in, w1 = w0 + in, w2 = w1 + in, w3 = w2 + in;
        FloatVector a0 = FloatVector.zero(S), a1 = a0, a2 = a0, a3 = a0, b0 = a0, b1 = a0, b2 = a0, b3 = a0;
        int k = 0;
        for (; k + 16 <= in; k += 16) {
            FloatVector xv = FloatVector.fromArray(S, x, xo + k);
            FloatVector xu = FloatVector.fromArray(S, x, xo + k + 8);
            a0 = FloatVector.fromArray(S, w, w0 + k).fma(xv, a0);
            a1 = FloatVector.fromArray(S, w, w1 + k).fma(xv, a1);
            a2 = FloatVector.fromArray(S, w, w2 + k).fma(xv, a2);
            a3 = FloatVector.fromArray(S, w, w3 + k).fma(xv, a3);
            b0 = FloatVector.fromArray(S, w, w0 + k + 8).fma(xu, b0);
            b1 = FloatVector.fromArray(S, w, w1 + k + 8).fma(xu, b1);
            b2 = FloatVector.fromArray(S, w, w2 + k + 8).fma(xu, b2);
            b3 = FloatVector.fromArray(S, w, w3 + k + 8).fma(xu, b3);
        }
        for (; k + 8 <= in; k += 8) {
            FloatVector xv = FloatVector.fromArray(S, x, xo + k);
            a0 = FloatVector.fromArray(S, w, w0 + k).fma(xv, a0);
            a1 = FloatVector.fromArray(S, w, w1 + k).fma(xv, a1);
            a2 = FloatVector.fromArray(S, w, w2 + k).fma(xv, a2);
            a3 = FloatVector.fromArray(S, w, w3 + k).fma(xv, a3);
        }
        float[] l = LaneSums.lanes();
        a0.intoArray(l, 0);
        b0.intoArray(l, 8);
        a1.intoArray(l, 16);
        b1.intoArray(l, 24);
        a2.intoArray(l, 32);
        b2.intoArray(l, 40);
        a3.intoArray(l, 48);
        b3.intoArray(l, 56);
        float s0 = LaneSums.sumPairs8(l, 0);
        float s1 = LaneSums.sumPairs8(l, 16);
        float s2 = LaneSums.sumPairs8(l, 32);
        float s3 = LaneSums.sumPairs8(l, 48);
        for (; k < in; k++) {
            float xv = x[xo + k];
            s0 += w[w0 + k] * xv;
            s1 += w[w1 + k] * xv;
            s2 += w[w2 + k] * xv;
            s3 += w[w3 + k] * xv;
        }
        int yo = t * out + o;
        if (bias != null) {
            s0 += bias[o];
            s1 += bias[o + 1];
            s2 += bias[o + 2];
            s3 += bias[o + 3];
        }
        y[yo] = s0;
        y[yo + 1] = s1;
        y[yo + 2] = s2;
        y[yo + 3] = s3;
    }

    /** 2 rows x 4 tokens, vectorized over in (8 accumulators). */
    static void dot2x4(float[] x, int t, int in, float[] w, int o, int out, float[] bias, float[] y) {
        int x0 = t * in, x1 = x0 + in, x2 = x1 + in, x3 = x2 + in;
        int w0 = o * in, w1 = w0 + in;
        FloatVector a0 = FloatVector.zero(S), a1 = a0, a2 = a0, a3 = a0, b0 = a0, b1 = a0, b2 = a0, b3 = a0;
        int k = 0;
        for (; k + 8 <= in; k += 8) {
            FloatVector u = FloatVector.fromArray(S, w, w0 + k);
            FloatVector v = FloatVector.fromArray(S, w, w1 + k);
            FloatVector xv = FloatVector.fromArray(S, x, x0 + k);
            a0 = u.fma(xv, a0);
            b0 = v.fma(xv, b0);
            xv = FloatVector.fromArray(S, x, x1 + k);
            a1 = u.fma(xv, a1);
            b1 = v.fma(xv, b1);
            xv = FloatVector.fromArray(S, x, x2 + k);
            a2 = u.fma(xv, a2);
            b2 = v.fma(xv, b2);
            xv = FloatVector.fromArray(S, x, x3 + k);
            a3 = u.fma(xv, a3);
            b3 = v.fma(xv, b3);
        }
        float[] l = LaneSums.lanes();
        a0.intoArray(l, 0);
        a1.intoArray(l, 8);
        a2.intoArray(l, 16);
        a3.intoArray(l, 24);
        b0.intoArray(l, 32);
        b1.intoArray(l, 40);
        b2.intoArray(l, 48);
        b3.intoArray(l, 56);
        float s0 = LaneSums.sum8(l, 0), s1 = LaneSums.sum8(l, 8);
        float s2 = LaneSums.sum8(l, 16), s3 = LaneSums.sum8(l, 24);
        float r0 = LaneSums.sum8(l, 32), r1 = LaneSums.sum8(l, 40);
        float r2 = LaneSums.sum8(l, 48), r3 = LaneSums.sum8(l, 56);
        for (; k < in; k++) {
            float u = w[w0 + k], v = w[w1 + k];
            s0 += u * x[x0 + k];
            s1 += u * x[x1 + k];
            s2 += u * x[x2 + k];
            s3 += u * x[x3 + k];
            r0 += v * x[x0 + k];
            r1 += v * x[x1 + k];
            r2 += v * x[x2 + k];
            r3 += v * x[x3 + k];
        }
        float ba = bias == null ? 0f : bias[o], bb = bias == null ? 0f : bias[o + 1];
        y[t * out + o] = s0 + ba;
        y[(t + 1) * out + o] = s1 + ba;
        y[(t + 2) * out + o] = s2 + ba;
        y[(t + 3) * out + o] = s3 + ba;
        y[t * out + o + 1] = r0 + bb;
        y[(t + 1) * out + o + 1] = r1 + bb;
        y[(t + 2) * out + o + 1] = r2 + bb;
        y[(t + 3) * out + o + 1] = r3 + bb;
    }

    // ---------------------------------------------------------------- 2:4, vectorized over 96 tokens

    @Override
    public void sparse12(float[] xt, int xb, float[] vals, int[] kidx, int ea, int n, float[] c, int ca) {
        sparse1x12(xt, xb, vals, kidx, ea, n, c, ca);
    }

    @Override
    public void sparseNarrow(float[] xt, int xb, float[] vals, int[] kidx, int ea, int n, float[] c, int ca, int vecs) {
        int v = 0;
        if (vecs - v >= 8) {
            sparse1x8(xt, xb, vals, kidx, ea, n, c, ca);
            v += 8;
        }
        if (vecs - v >= 4) {
            sparse1x4(xt, xb + 8 * v, vals, kidx, ea, n, c, ca + 8 * v);
            v += 4;
        }
        if (vecs - v >= 2) {
            sparse1x2(xt, xb + 8 * v, vals, kidx, ea, n, c, ca + 8 * v);
            v += 2;
        }
        if (vecs - v >= 1) {
            sparse1x1(xt, xb + 8 * v, vals, kidx, ea, n, c, ca + 8 * v);
        }
    }

    /**
     * 1 row x 96 tokens: per kept element one int offset load, one broadcast and 12 FMAs (14 loads per 12 FMAs; 1 x 6
     * needs 8 per 6); 13 ymm registers, no spills. Two kept elements per iteration (n is even: two per group of 4):
     * measured +8-10% on hot, line-aligned data (Zen 3, one core, same process A/B: 110 -> 120 dense-equivalent
     * GFLOPS); the loop overhead and the offset arithmetic are shared.
     */
    static void sparse1x12(float[] xt, int xb, float[] vals, int[] kidx, int ea, int n, float[] c, int ca) {
        if ((n & 1) != 0) { // a K block keeps 2 of every 4 inputs: always even
            throw new IllegalArgumentException("n: expected an even count of kept elements, got " + n);
        }
        FloatVector a0 = FloatVector.fromArray(S, c, ca + 0);
        FloatVector a1 = FloatVector.fromArray(S, c, ca + 8);
        FloatVector a2 = FloatVector.fromArray(S, c, ca + 16);
        FloatVector a3 = FloatVector.fromArray(S, c, ca + 24);
        FloatVector a4 = FloatVector.fromArray(S, c, ca + 32);
        FloatVector a5 = FloatVector.fromArray(S, c, ca + 40);
        FloatVector a6 = FloatVector.fromArray(S, c, ca + 48);
        FloatVector a7 = FloatVector.fromArray(S, c, ca + 56);
        FloatVector a8 = FloatVector.fromArray(S, c, ca + 64);
        FloatVector a9 = FloatVector.fromArray(S, c, ca + 72);
        FloatVector a10 = FloatVector.fromArray(S, c, ca + 80);
        FloatVector a11 = FloatVector.fromArray(S, c, ca + 88);
        int end = ea + n;
        for (int e = ea; e < end; e += 2) {
            int x = xb + kidx[e];
            int z = xb + kidx[e + 1];
            FloatVector v = FloatVector.broadcast(S, vals[e]);
            FloatVector u = FloatVector.broadcast(S, vals[e + 1]);
            a0 = FloatVector.fromArray(S, xt, x + 0).fma(v, a0);
            a1 = FloatVector.fromArray(S, xt, x + 8).fma(v, a1);
            a2 = FloatVector.fromArray(S, xt, x + 16).fma(v, a2);
            a3 = FloatVector.fromArray(S, xt, x + 24).fma(v, a3);
            a4 = FloatVector.fromArray(S, xt, x + 32).fma(v, a4);
            a5 = FloatVector.fromArray(S, xt, x + 40).fma(v, a5);
            a6 = FloatVector.fromArray(S, xt, x + 48).fma(v, a6);
            a7 = FloatVector.fromArray(S, xt, x + 56).fma(v, a7);
            a8 = FloatVector.fromArray(S, xt, x + 64).fma(v, a8);
            a9 = FloatVector.fromArray(S, xt, x + 72).fma(v, a9);
            a10 = FloatVector.fromArray(S, xt, x + 80).fma(v, a10);
            a11 = FloatVector.fromArray(S, xt, x + 88).fma(v, a11);
            a0 = FloatVector.fromArray(S, xt, z + 0).fma(u, a0);
            a1 = FloatVector.fromArray(S, xt, z + 8).fma(u, a1);
            a2 = FloatVector.fromArray(S, xt, z + 16).fma(u, a2);
            a3 = FloatVector.fromArray(S, xt, z + 24).fma(u, a3);
            a4 = FloatVector.fromArray(S, xt, z + 32).fma(u, a4);
            a5 = FloatVector.fromArray(S, xt, z + 40).fma(u, a5);
            a6 = FloatVector.fromArray(S, xt, z + 48).fma(u, a6);
            a7 = FloatVector.fromArray(S, xt, z + 56).fma(u, a7);
            a8 = FloatVector.fromArray(S, xt, z + 64).fma(u, a8);
            a9 = FloatVector.fromArray(S, xt, z + 72).fma(u, a9);
            a10 = FloatVector.fromArray(S, xt, z + 80).fma(u, a10);
            a11 = FloatVector.fromArray(S, xt, z + 88).fma(u, a11);
        }
        a0.intoArray(c, ca + 0);
        a1.intoArray(c, ca + 8);
        a2.intoArray(c, ca + 16);
        a3.intoArray(c, ca + 24);
        a4.intoArray(c, ca + 32);
        a5.intoArray(c, ca + 40);
        a6.intoArray(c, ca + 48);
        a7.intoArray(c, ca + 56);
        a8.intoArray(c, ca + 64);
        a9.intoArray(c, ca + 72);
        a10.intoArray(c, ca + 80);
        a11.intoArray(c, ca + 88);
    }

    /** 1 row x 64 tokens (remainder panels). */
    static void sparse1x8(float[] xt, int xb, float[] vals, int[] kidx, int ea, int n, float[] c, int ca) {
        FloatVector a0 = FloatVector.fromArray(S, c, ca + 0);
        FloatVector a1 = FloatVector.fromArray(S, c, ca + 8);
        FloatVector a2 = FloatVector.fromArray(S, c, ca + 16);
        FloatVector a3 = FloatVector.fromArray(S, c, ca + 24);
        FloatVector a4 = FloatVector.fromArray(S, c, ca + 32);
        FloatVector a5 = FloatVector.fromArray(S, c, ca + 40);
        FloatVector a6 = FloatVector.fromArray(S, c, ca + 48);
        FloatVector a7 = FloatVector.fromArray(S, c, ca + 56);
        int end = ea + n;
        for (int e = ea; e < end; e++) {
            int x = xb + kidx[e];
            FloatVector v = FloatVector.broadcast(S, vals[e]);
            a0 = FloatVector.fromArray(S, xt, x + 0).fma(v, a0);
            a1 = FloatVector.fromArray(S, xt, x + 8).fma(v, a1);
            a2 = FloatVector.fromArray(S, xt, x + 16).fma(v, a2);
            a3 = FloatVector.fromArray(S, xt, x + 24).fma(v, a3);
            a4 = FloatVector.fromArray(S, xt, x + 32).fma(v, a4);
            a5 = FloatVector.fromArray(S, xt, x + 40).fma(v, a5);
            a6 = FloatVector.fromArray(S, xt, x + 48).fma(v, a6);
            a7 = FloatVector.fromArray(S, xt, x + 56).fma(v, a7);
        }
        a0.intoArray(c, ca + 0);
        a1.intoArray(c, ca + 8);
        a2.intoArray(c, ca + 16);
        a3.intoArray(c, ca + 24);
        a4.intoArray(c, ca + 32);
        a5.intoArray(c, ca + 40);
        a6.intoArray(c, ca + 48);
        a7.intoArray(c, ca + 56);
    }

    /** 1 row x 32 tokens (remainder panels). */
    static void sparse1x4(float[] xt, int xb, float[] vals, int[] kidx, int ea, int n, float[] c, int ca) {
        FloatVector a0 = FloatVector.fromArray(S, c, ca + 0);
        FloatVector a1 = FloatVector.fromArray(S, c, ca + 8);
        FloatVector a2 = FloatVector.fromArray(S, c, ca + 16);
        FloatVector a3 = FloatVector.fromArray(S, c, ca + 24);
        int end = ea + n;
        for (int e = ea; e < end; e++) {
            int x = xb + kidx[e];
            FloatVector v = FloatVector.broadcast(S, vals[e]);
            a0 = FloatVector.fromArray(S, xt, x + 0).fma(v, a0);
            a1 = FloatVector.fromArray(S, xt, x + 8).fma(v, a1);
            a2 = FloatVector.fromArray(S, xt, x + 16).fma(v, a2);
            a3 = FloatVector.fromArray(S, xt, x + 24).fma(v, a3);
        }
        a0.intoArray(c, ca + 0);
        a1.intoArray(c, ca + 8);
        a2.intoArray(c, ca + 16);
        a3.intoArray(c, ca + 24);
    }

    /** 1 row x 16 tokens (remainder panels). */
    static void sparse1x2(float[] xt, int xb, float[] vals, int[] kidx, int ea, int n, float[] c, int ca) {
        FloatVector a0 = FloatVector.fromArray(S, c, ca + 0);
        FloatVector a1 = FloatVector.fromArray(S, c, ca + 8);
        int end = ea + n;
        for (int e = ea; e < end; e++) {
            int x = xb + kidx[e];
            FloatVector v = FloatVector.broadcast(S, vals[e]);
            a0 = FloatVector.fromArray(S, xt, x + 0).fma(v, a0);
            a1 = FloatVector.fromArray(S, xt, x + 8).fma(v, a1);
        }
        a0.intoArray(c, ca + 0);
        a1.intoArray(c, ca + 8);
    }

    /**
     * 1 row x 8 tokens (remainder panels, and whole calls of up to 8 tokens). Four accumulator chains over the kept
     * elements: with one, every FMA waited for the previous one (a call of 8 tokens, 1024 x 4096, took 4.3 ms against
     * 0.9 for 12 tokens on the two-chain 512-bit kernel, session 18).
     */
    static void sparse1x1(float[] xt, int xb, float[] vals, int[] kidx, int ea, int n, float[] c, int ca) {
        FloatVector a0 = FloatVector.fromArray(S, c, ca + 0);
        FloatVector a1 = FloatVector.zero(S), a2 = a1, a3 = a1;
        int end = ea + n;
        int e = ea;
        for (; e + 4 <= end; e += 4) {
            a0 = FloatVector.fromArray(S, xt, xb + kidx[e]).fma(FloatVector.broadcast(S, vals[e]), a0);
            a1 = FloatVector.fromArray(S, xt, xb + kidx[e + 1]).fma(FloatVector.broadcast(S, vals[e + 1]), a1);
            a2 = FloatVector.fromArray(S, xt, xb + kidx[e + 2]).fma(FloatVector.broadcast(S, vals[e + 2]), a2);
            a3 = FloatVector.fromArray(S, xt, xb + kidx[e + 3]).fma(FloatVector.broadcast(S, vals[e + 3]), a3);
        }
        for (; e < end; e++) {
            a0 = FloatVector.fromArray(S, xt, xb + kidx[e]).fma(FloatVector.broadcast(S, vals[e]), a0);
        }
        a0.add(a1).add(a2.add(a3)).intoArray(c, ca + 0);
    }

    // ---------------------------------------------------------------- 2:4, one token: vectorized nibble decode

    static final jdk.incubator.vector.VectorSpecies<Integer> IS = IntVector.SPECIES_256;
    private static final VarHandle LONG_LE = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
    /** Lane 2g+s of a value vector (groups g = 0..3, slot s) finds its position at nibble-word bits 4g+2s. */
    private static final IntVector SHIFTS = IntVector.fromArray(IS, new int[] {0, 2, 4, 6, 8, 10, 12, 14}, 0);
    /** Groups 1 and 3 of a 16-input window start 4 inputs into their 8-input half. */
    private static final IntVector OFFS = IntVector.fromArray(IS, new int[] {0, 0, 4, 4, 0, 0, 4, 4}, 0);
    private static final VectorMask<Integer> HIGH_I = VectorMask.fromLong(IS, 0xF0);

    /**
     * Per row, per 8 kept values (4 groups = 16 inputs): the lane indices come from 16 bits of the nibbles
     * (broadcast, per-lane shift, mask, add), two permutes pick x from the window's halves, a blend joins them and
     * one FMA accumulates: ~10 vector ops per 8 kept values instead of 8 scalar decode + FMA chains.
     */
    @Override
    public void sparseGemvBlock(float[] x, int k0, float[] vals, int eBlock, int n, byte[] idx, int rowBytes, int o0,
                                int o1, float[] acc) {
        if (n != Sparse24Weights.K_BLOCK / 2) {
            for (int o = o0; o < o1; o++) {
                acc[(o - o0) * 8] += GemmDriver.sparseDotBlock(x, k0, vals, eBlock + o * n, idx,
                        o * rowBytes + k0 / 8, n / 2);
            }
            return;
        }
        for (int o = o0; o < o1; o++) {
            long nib = (long) LONG_LE.get(idx, o * rowBytes + k0 / 8);
            int e = eBlock + o * n;
            int a = (o - o0) * 8;
            FloatVector s = FloatVector.fromArray(S, acc, a);
            for (int j = 0; j < 4; j++) {
                IntVector lane = IntVector.broadcast(IS, (int) (nib >>> (16 * j)))
                        .lanewise(VectorOperators.LSHR, SHIFTS).and(3).add(OFFS);
                IntVector lo = FloatVector.fromArray(S, x, k0 + 16 * j).viewAsIntegralLanes();
                IntVector hi = FloatVector.fromArray(S, x, k0 + 16 * j + 8).viewAsIntegralLanes();
                FloatVector xs = lane.selectFrom(lo).blend(lane.selectFrom(hi), HIGH_I).viewAsFloatingLanes();
                s = FloatVector.fromArray(S, vals, e + 8 * j).fma(xs, s);
            }
            s.intoArray(acc, a);
        }
    }

    // ---------------------------------------------------------------- BSR: 16-token panels, all blocks of a row

    @Override
    public void bsr6(float[] xt, int xo, int[] cols, int n0, int n1, float[] w, int wRow, int bs, int bc, float[] c,
                     int c0, int cs) {
        bsr6x2(xt, xo, cols, n0, n1, w, wRow, bs, bc, c, c0, cs);
    }

    @Override
    public void bsr4(float[] xt, int xo, int[] cols, int n0, int n1, float[] w, int wRow, int bs, int bc, float[] c,
                     int c0, int cs) {
        bsr4x2(xt, xo, cols, n0, n1, w, wRow, bs, bc, c, c0, cs);
    }

    /**
     * 6 rows x 16 tokens: per stored block, the dense 6 x 16 microkernel with the block's rows bc floats apart. The
     * accumulators go through C^T between blocks (24 vector loads/stores per 12 x bc FMAs): a form that kept them in
     * registers across blocks (a block loop around the k loop) compiled to half the speed under C2 (measured on one
     * core, hot data: 28-30 vs 65 GFLOPS at 32 x 32 blocks).
     */
    static void bsr6x2(float[] xt, int xo, int[] cols, int n0, int n1, float[] w, int wRow, int bs, int bc, float[] c,
                       int c0, int cs) {
        int xs = bc * 16;
        for (int n = n0; n < n1; n++) {
            dense6x2(xt, xo + cols[n] * xs, w, n * bs + wRow, bc, bc, c, c0, cs);
        }
    }

    /** 4 rows x 16 tokens (the rows of a block past the last multiple of 6), one block at a time as {@link #bsr6x2}. */
    static void bsr4x2(float[] xt, int xo, int[] cols, int n0, int n1, float[] w, int wRow, int bs, int bc, float[] c,
                       int c0, int cs) {
        int xs = bc * 16;
        for (int n = n0; n < n1; n++) {
            block4x2(xt, xo + cols[n] * xs, w, n * bs + wRow, bc, c, c0, cs);
        }
    }

    /** 4 rows x 16 tokens of one block: 8 accumulators, 2 X^T loads and 4 broadcasts of W per k. */
    static void block4x2(float[] xt, int x0, float[] w, int w0, int bc, float[] c, int c0, int cs) {
        int w1 = w0 + bc, w2 = w1 + bc, w3 = w2 + bc;
        int c1 = c0 + cs, c2 = c1 + cs, c3 = c2 + cs;
        FloatVector a00 = FloatVector.fromArray(S, c, c0), a01 = FloatVector.fromArray(S, c, c0 + 8);
        FloatVector a10 = FloatVector.fromArray(S, c, c1), a11 = FloatVector.fromArray(S, c, c1 + 8);
        FloatVector a20 = FloatVector.fromArray(S, c, c2), a21 = FloatVector.fromArray(S, c, c2 + 8);
        FloatVector a30 = FloatVector.fromArray(S, c, c3), a31 = FloatVector.fromArray(S, c, c3 + 8);
        for (int k = 0; k < bc; k++) {
            int x = x0 + k * 16;
            FloatVector xa = FloatVector.fromArray(S, xt, x);
            FloatVector xb = FloatVector.fromArray(S, xt, x + 8);
            FloatVector b = FloatVector.broadcast(S, w[w0 + k]);
            a00 = xa.fma(b, a00);
            a01 = xb.fma(b, a01);
            b = FloatVector.broadcast(S, w[w1 + k]);
            a10 = xa.fma(b, a10);
            a11 = xb.fma(b, a11);
            b = FloatVector.broadcast(S, w[w2 + k]);
            a20 = xa.fma(b, a20);
            a21 = xb.fma(b, a21);
            b = FloatVector.broadcast(S, w[w3 + k]);
            a30 = xa.fma(b, a30);
            a31 = xb.fma(b, a31);
        }
        a00.intoArray(c, c0);
        a01.intoArray(c, c0 + 8);
        a10.intoArray(c, c1);
        a11.intoArray(c, c1 + 8);
        a20.intoArray(c, c2);
        a21.intoArray(c, c2 + 8);
        a30.intoArray(c, c3);
        a31.intoArray(c, c3 + 8);
    }

    // ---------------------------------------------------------------- BSR, W prepared: Y in place

    /**
     * 6 tokens x 16 outputs: per step one table load, 2 vector loads of the panel stream, 6 broadcasts of X, 12 FMAs;
     * the accumulators stay in registers over all the steps (all stored blocks of the row), with no reload between
     * blocks. The flat step loop is what lets C2 keep them there: a loop over blocks around a loop over k compiled to
     * half the speed (measured in session 2 on the one-off kernel).
     */
    @Override
    public void bsrPrepared6(float[] w, int wo, int[] cols, int g0, int g1, float[] x, int x0, int in, float[] c,
                             int c0, int cs, float[] bias, int bo) {
        int c1 = c0 + cs, c2 = c1 + cs, c3 = c2 + cs, c4 = c3 + cs, c5 = c4 + cs;
        int x1 = x0 + in, x2 = x1 + in, x3 = x2 + in, x4 = x3 + in, x5 = x4 + in;
        FloatVector a00 = FloatVector.zero(S), a01 = a00, a10 = a00, a11 = a00, a20 = a00, a21 = a00, a30 = a00,
                a31 = a00, a40 = a00, a41 = a00, a50 = a00, a51 = a00;
        for (int g = g0, wg = wo; g < g1; g++, wg += 16) {
            int k = cols[g];
            FloatVector w0 = FloatVector.fromArray(S, w, wg);
            FloatVector w1 = FloatVector.fromArray(S, w, wg + 8);
            FloatVector b = FloatVector.broadcast(S, x[x0 + k]);
            a00 = w0.fma(b, a00);
            a01 = w1.fma(b, a01);
            b = FloatVector.broadcast(S, x[x1 + k]);
            a10 = w0.fma(b, a10);
            a11 = w1.fma(b, a11);
            b = FloatVector.broadcast(S, x[x2 + k]);
            a20 = w0.fma(b, a20);
            a21 = w1.fma(b, a21);
            b = FloatVector.broadcast(S, x[x3 + k]);
            a30 = w0.fma(b, a30);
            a31 = w1.fma(b, a31);
            b = FloatVector.broadcast(S, x[x4 + k]);
            a40 = w0.fma(b, a40);
            a41 = w1.fma(b, a41);
            b = FloatVector.broadcast(S, x[x5 + k]);
            a50 = w0.fma(b, a50);
            a51 = w1.fma(b, a51);
        }
        float[] bv = bias == null ? ZEROS : bias; // no branch merges the accumulators: see ZEROS
        int bs = bias == null ? 0 : bo;
        FloatVector b0 = FloatVector.fromArray(S, bv, bs), b1 = FloatVector.fromArray(S, bv, bs + 8);
        a00 = a00.add(b0);
        a01 = a01.add(b1);
        a10 = a10.add(b0);
        a11 = a11.add(b1);
        a20 = a20.add(b0);
        a21 = a21.add(b1);
        a30 = a30.add(b0);
        a31 = a31.add(b1);
        a40 = a40.add(b0);
        a41 = a41.add(b1);
        a50 = a50.add(b0);
        a51 = a51.add(b1);
        a00.intoArray(c, c0);
        a01.intoArray(c, c0 + 8);
        a10.intoArray(c, c1);
        a11.intoArray(c, c1 + 8);
        a20.intoArray(c, c2);
        a21.intoArray(c, c2 + 8);
        a30.intoArray(c, c3);
        a31.intoArray(c, c3 + 8);
        a40.intoArray(c, c4);
        a41.intoArray(c, c4 + 8);
        a50.intoArray(c, c5);
        a51.intoArray(c, c5 + 8);
    }

    @Override
    public void bsrPrepared1(float[] w, int wo, int[] cols, int g0, int g1, float[] x, int x0, float[] c, int c0,
                             float[] bias, int bo) {
        FloatVector a0 = FloatVector.zero(S), a1 = a0;
        for (int g = g0, wg = wo; g < g1; g++, wg += 16) {
            FloatVector b = FloatVector.broadcast(S, x[x0 + cols[g]]);
            a0 = FloatVector.fromArray(S, w, wg).fma(b, a0);
            a1 = FloatVector.fromArray(S, w, wg + 8).fma(b, a1);
        }
        if (bias != null) {
            a0 = a0.add(FloatVector.fromArray(S, bias, bo));
            a1 = a1.add(FloatVector.fromArray(S, bias, bo + 8));
        }
        a0.intoArray(c, c0);
        a1.intoArray(c, c0 + 8);
    }

    // ---------------------------------------------------------------- BSR, one token: vectorized along blockCols

    /** 4 rows x 1 token, 2 vectors of bc per step (bc is a multiple of 16): 8 accumulators. */
    @Override
    public void bsrDot4(float[] x, int xo, int[] cols, int n0, int n1, float[] w, int wRow, int bs, int bc, float[] y,
                        int yo) {
        FloatVector a0 = FloatVector.zero(S), a1 = a0, a2 = a0, a3 = a0, b0 = a0, b1 = a0, b2 = a0, b3 = a0;
        for (int n = n0; n < n1; n++) {
            int xb = xo + cols[n] * bc;
            int w0 = n * bs + wRow, w1 = w0 + bc, w2 = w1 + bc, w3 = w2 + bc;
            for (int k = 0; k < bc; k += 16) {
                FloatVector xv = FloatVector.fromArray(S, x, xb + k);
                FloatVector xu = FloatVector.fromArray(S, x, xb + k + 8);
                a0 = FloatVector.fromArray(S, w, w0 + k).fma(xv, a0);
                a1 = FloatVector.fromArray(S, w, w1 + k).fma(xv, a1);
                a2 = FloatVector.fromArray(S, w, w2 + k).fma(xv, a2);
                a3 = FloatVector.fromArray(S, w, w3 + k).fma(xv, a3);
                b0 = FloatVector.fromArray(S, w, w0 + k + 8).fma(xu, b0);
                b1 = FloatVector.fromArray(S, w, w1 + k + 8).fma(xu, b1);
                b2 = FloatVector.fromArray(S, w, w2 + k + 8).fma(xu, b2);
                b3 = FloatVector.fromArray(S, w, w3 + k + 8).fma(xu, b3);
            }
        }
        float[] l = LaneSums.lanes();
        a0.intoArray(l, 0);
        b0.intoArray(l, 8);
        a1.intoArray(l, 16);
        b1.intoArray(l, 24);
        a2.intoArray(l, 32);
        b2.intoArray(l, 40);
        a3.intoArray(l, 48);
        b3.intoArray(l, 56);
        y[yo] = LaneSums.sumPairs8(l, 0);
        y[yo + 1] = LaneSums.sumPairs8(l, 16);
        y[yo + 2] = LaneSums.sumPairs8(l, 32);
        y[yo + 3] = LaneSums.sumPairs8(l, 48);
    }
}
