package dev.sparsekernels.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The 2:4 microkernels on 512-bit vectors (16 floats), for cores that execute them at full width: on this project's
 * AMD EPYC (Zen 5) a 512-bit FMA costs what a 256-bit one does (measured: 200 against 100 GFLOPS per core on a
 * register-resident FMA loop), and the 2:4 kernel, one X^T load per FMA with the weight broadcast shared by a whole
 * row of the panel, does twice the work per load. Same operand layouts as {@link VectorKernels}, so the packing and
 * threading in {@link GemmDriver} are unchanged: a 96-token sub-panel row is six vectors.
 *
 * <p>The dense and BSR kernels stay on 256 bits here: their 16-token panel row is one 512-bit vector, so each FMA
 * would need its own weight broadcast (7 loads per 6 FMAs), and measured slower (512 x 4096 x 4096 dense 107 against
 * 94 ms; prepared BSR 32x32 at density 0.1 13 against 10.5 ms). Operations along {@code in} (few tokens) stay there too.
 *
 * <p>Each 2:4 kernel keeps two accumulator sets, one per kept element of a pair, added once at the end: with six
 * vectors per row, one set would leave fewer independent FMA chains than the two FMA pipes times their latency need.
 */
final class VectorKernels512 implements CpuKernels {
    static final VectorSpecies<Float> Z = FloatVector.SPECIES_512;
    private final VectorKernels narrow = new VectorKernels();

    VectorKernels512() {
        VectorWidth.require512();
    }

    @Override
    public String describe() {
        return "Vector API, 512-bit (16 floats)";
    }

    @Override
    public void dense6(float[] xt, int xtOff, float[] w, int wOff, int in, int kLen, float[] c, int cOff, int cStride) {
        narrow.dense6(xt, xtOff, w, wOff, in, kLen, c, cOff, cStride);
    }

    @Override
    public void dense1(float[] xt, int xtOff, float[] w, int wOff, int kLen, float[] c, int cOff) {
        narrow.dense1(xt, xtOff, w, wOff, kLen, c, cOff);
    }

    @Override
    public void denseDot(float[] x, int tokens, int in, float[] w, int out, int o0, int o1, float[] bias, float[] y) {
        narrow.denseDot(x, tokens, in, w, out, o0, o1, bias, y);
    }

    @Override
    public void sparse12(float[] xt, int xb, float[] vals, int[] kidx, int ea, int n, float[] c, int ca) {
        sparse1x6(xt, xb, vals, kidx, ea, n, c, ca);
    }

    @Override
    public void sparseNarrow(float[] xt, int xb, float[] vals, int[] kidx, int ea, int n, float[] c, int ca, int vecs) {
        int v = 0; // in 8-float units, as the layout counts them
        if (vecs - v >= 8) {
            sparse1x4(xt, xb, vals, kidx, ea, n, c, ca);
            v += 8;
        }
        if (vecs - v >= 4) {
            sparse1x2(xt, xb + 8 * v, vals, kidx, ea, n, c, ca + 8 * v);
            v += 4;
        }
        if (vecs - v >= 2) {
            sparse1x1(xt, xb + 8 * v, vals, kidx, ea, n, c, ca + 8 * v);
            v += 2;
        }
        if (vecs - v >= 1) {
            VectorKernels.sparse1x1(xt, xb + 8 * v, vals, kidx, ea, n, c, ca + 8 * v);
        }
    }

    @Override
    public void sparseGemvBlock(float[] x, int k0, float[] vals, int eBlock, int n, byte[] idx, int rowBytes, int o0,
                                int o1, float[] acc) {
        narrow.sparseGemvBlock(x, k0, vals, eBlock, n, idx, rowBytes, o0, o1, acc);
    }

    @Override
    public void bsr6(float[] xt, int xo, int[] cols, int n0, int n1, float[] w, int wRow, int bs, int bc, float[] c,
                     int c0, int cs) {
        narrow.bsr6(xt, xo, cols, n0, n1, w, wRow, bs, bc, c, c0, cs);
    }

    @Override
    public void bsr4(float[] xt, int xo, int[] cols, int n0, int n1, float[] w, int wRow, int bs, int bc, float[] c,
                     int c0, int cs) {
        narrow.bsr4(xt, xo, cols, n0, n1, w, wRow, bs, bc, c, c0, cs);
    }

    @Override
    public void bsrPrepared6(float[] w, int wo, int[] cols, int g0, int g1, float[] x, int x0, int in, float[] c,
                             int c0, int cs) {
        narrow.bsrPrepared6(w, wo, cols, g0, g1, x, x0, in, c, c0, cs);
    }

    @Override
    public void bsrPrepared1(float[] w, int wo, int[] cols, int g0, int g1, float[] x, int x0, float[] c, int c0) {
        narrow.bsrPrepared1(w, wo, cols, g0, g1, x, x0, c, c0);
    }

    @Override
    public void bsrDot4(float[] x, int xo, int[] cols, int n0, int n1, float[] w, int wRow, int bs, int bc, float[] y,
                        int yo) {
        narrow.bsrDot4(x, xo, cols, n0, n1, w, wRow, bs, bc, y, yo);
    }

    // ---------------------------------------------------------------- 2:4, 1 row x up to 96 tokens

    /** 1 row x 96 tokens: per pair of kept elements 12 X^T loads, 2 broadcasts and 12 FMAs into 12 accumulators. */
    static void sparse1x6(float[] xt, int xb, float[] vals, int[] kidx, int ea, int n, float[] c, int ca) {
        FloatVector a0 = FloatVector.fromArray(Z, c, ca + 0), b0 = FloatVector.zero(Z);
        FloatVector a1 = FloatVector.fromArray(Z, c, ca + 16), b1 = FloatVector.zero(Z);
        FloatVector a2 = FloatVector.fromArray(Z, c, ca + 32), b2 = FloatVector.zero(Z);
        FloatVector a3 = FloatVector.fromArray(Z, c, ca + 48), b3 = FloatVector.zero(Z);
        FloatVector a4 = FloatVector.fromArray(Z, c, ca + 64), b4 = FloatVector.zero(Z);
        FloatVector a5 = FloatVector.fromArray(Z, c, ca + 80), b5 = FloatVector.zero(Z);
        int end = ea + (n & ~1);
        for (int e = ea; e < end; e += 2) {
            int x = xb + kidx[e];
            int z = xb + kidx[e + 1];
            FloatVector v = FloatVector.broadcast(Z, vals[e]);
            FloatVector u = FloatVector.broadcast(Z, vals[e + 1]);
            a0 = FloatVector.fromArray(Z, xt, x + 0).fma(v, a0);
            a1 = FloatVector.fromArray(Z, xt, x + 16).fma(v, a1);
            a2 = FloatVector.fromArray(Z, xt, x + 32).fma(v, a2);
            a3 = FloatVector.fromArray(Z, xt, x + 48).fma(v, a3);
            a4 = FloatVector.fromArray(Z, xt, x + 64).fma(v, a4);
            a5 = FloatVector.fromArray(Z, xt, x + 80).fma(v, a5);
            b0 = FloatVector.fromArray(Z, xt, z + 0).fma(u, b0);
            b1 = FloatVector.fromArray(Z, xt, z + 16).fma(u, b1);
            b2 = FloatVector.fromArray(Z, xt, z + 32).fma(u, b2);
            b3 = FloatVector.fromArray(Z, xt, z + 48).fma(u, b3);
            b4 = FloatVector.fromArray(Z, xt, z + 64).fma(u, b4);
            b5 = FloatVector.fromArray(Z, xt, z + 80).fma(u, b5);
        }
        if ((n & 1) != 0) {
            int x = xb + kidx[end];
            FloatVector v = FloatVector.broadcast(Z, vals[end]);
            a0 = FloatVector.fromArray(Z, xt, x + 0).fma(v, a0);
            a1 = FloatVector.fromArray(Z, xt, x + 16).fma(v, a1);
            a2 = FloatVector.fromArray(Z, xt, x + 32).fma(v, a2);
            a3 = FloatVector.fromArray(Z, xt, x + 48).fma(v, a3);
            a4 = FloatVector.fromArray(Z, xt, x + 64).fma(v, a4);
            a5 = FloatVector.fromArray(Z, xt, x + 80).fma(v, a5);
        }
        a0.add(b0).intoArray(c, ca + 0);
        a1.add(b1).intoArray(c, ca + 16);
        a2.add(b2).intoArray(c, ca + 32);
        a3.add(b3).intoArray(c, ca + 48);
        a4.add(b4).intoArray(c, ca + 64);
        a5.add(b5).intoArray(c, ca + 80);
    }

    /** 1 row x 64 tokens (remainder panels). */
    static void sparse1x4(float[] xt, int xb, float[] vals, int[] kidx, int ea, int n, float[] c, int ca) {
        FloatVector a0 = FloatVector.fromArray(Z, c, ca + 0), b0 = FloatVector.zero(Z);
        FloatVector a1 = FloatVector.fromArray(Z, c, ca + 16), b1 = FloatVector.zero(Z);
        FloatVector a2 = FloatVector.fromArray(Z, c, ca + 32), b2 = FloatVector.zero(Z);
        FloatVector a3 = FloatVector.fromArray(Z, c, ca + 48), b3 = FloatVector.zero(Z);
        int end = ea + (n & ~1);
        for (int e = ea; e < end; e += 2) {
            int x = xb + kidx[e];
            int z = xb + kidx[e + 1];
            FloatVector v = FloatVector.broadcast(Z, vals[e]);
            FloatVector u = FloatVector.broadcast(Z, vals[e + 1]);
            a0 = FloatVector.fromArray(Z, xt, x + 0).fma(v, a0);
            a1 = FloatVector.fromArray(Z, xt, x + 16).fma(v, a1);
            a2 = FloatVector.fromArray(Z, xt, x + 32).fma(v, a2);
            a3 = FloatVector.fromArray(Z, xt, x + 48).fma(v, a3);
            b0 = FloatVector.fromArray(Z, xt, z + 0).fma(u, b0);
            b1 = FloatVector.fromArray(Z, xt, z + 16).fma(u, b1);
            b2 = FloatVector.fromArray(Z, xt, z + 32).fma(u, b2);
            b3 = FloatVector.fromArray(Z, xt, z + 48).fma(u, b3);
        }
        if ((n & 1) != 0) {
            int x = xb + kidx[end];
            FloatVector v = FloatVector.broadcast(Z, vals[end]);
            a0 = FloatVector.fromArray(Z, xt, x + 0).fma(v, a0);
            a1 = FloatVector.fromArray(Z, xt, x + 16).fma(v, a1);
            a2 = FloatVector.fromArray(Z, xt, x + 32).fma(v, a2);
            a3 = FloatVector.fromArray(Z, xt, x + 48).fma(v, a3);
        }
        a0.add(b0).intoArray(c, ca + 0);
        a1.add(b1).intoArray(c, ca + 16);
        a2.add(b2).intoArray(c, ca + 32);
        a3.add(b3).intoArray(c, ca + 48);
    }

    /** 1 row x 32 tokens (remainder panels). */
    static void sparse1x2(float[] xt, int xb, float[] vals, int[] kidx, int ea, int n, float[] c, int ca) {
        FloatVector a0 = FloatVector.fromArray(Z, c, ca + 0), b0 = FloatVector.zero(Z);
        FloatVector a1 = FloatVector.fromArray(Z, c, ca + 16), b1 = FloatVector.zero(Z);
        int end = ea + (n & ~1);
        for (int e = ea; e < end; e += 2) {
            int x = xb + kidx[e];
            int z = xb + kidx[e + 1];
            FloatVector v = FloatVector.broadcast(Z, vals[e]);
            FloatVector u = FloatVector.broadcast(Z, vals[e + 1]);
            a0 = FloatVector.fromArray(Z, xt, x + 0).fma(v, a0);
            a1 = FloatVector.fromArray(Z, xt, x + 16).fma(v, a1);
            b0 = FloatVector.fromArray(Z, xt, z + 0).fma(u, b0);
            b1 = FloatVector.fromArray(Z, xt, z + 16).fma(u, b1);
        }
        if ((n & 1) != 0) {
            int x = xb + kidx[end];
            FloatVector v = FloatVector.broadcast(Z, vals[end]);
            a0 = FloatVector.fromArray(Z, xt, x + 0).fma(v, a0);
            a1 = FloatVector.fromArray(Z, xt, x + 16).fma(v, a1);
        }
        a0.add(b0).intoArray(c, ca + 0);
        a1.add(b1).intoArray(c, ca + 16);
    }

    /** 1 row x 16 tokens (remainder panels). */
    static void sparse1x1(float[] xt, int xb, float[] vals, int[] kidx, int ea, int n, float[] c, int ca) {
        FloatVector a0 = FloatVector.fromArray(Z, c, ca + 0), b0 = FloatVector.zero(Z);
        int end = ea + (n & ~1);
        for (int e = ea; e < end; e += 2) {
            int x = xb + kidx[e];
            int z = xb + kidx[e + 1];
            FloatVector v = FloatVector.broadcast(Z, vals[e]);
            FloatVector u = FloatVector.broadcast(Z, vals[e + 1]);
            a0 = FloatVector.fromArray(Z, xt, x + 0).fma(v, a0);
            b0 = FloatVector.fromArray(Z, xt, z + 0).fma(u, b0);
        }
        if ((n & 1) != 0) {
            int x = xb + kidx[end];
            FloatVector v = FloatVector.broadcast(Z, vals[end]);
            a0 = FloatVector.fromArray(Z, xt, x + 0).fma(v, a0);
        }
        a0.add(b0).intoArray(c, ca + 0);
    }
}
