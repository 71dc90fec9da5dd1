package dev.sparsekernels.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The GEMM microkernels on 512-bit vectors (16 floats), for cores that execute them at full width: on this project's
 * AMD EPYC (Zen 5) a 512-bit FMA costs what a 256-bit one does (measured: 200 against 100 GFLOPS per core on a
 * register-resident FMA loop), so each instruction does twice the work. Same operand layouts as {@link VectorKernels},
 * so the packing and threading in {@link GemmDriver} are unchanged:
 * <ul>
 *   <li>2:4: a 96-token sub-panel row is six vectors; one X^T load per FMA, the weight broadcast shared by the row.
 *   <li>Dense and BSR: a 16-token (or 16-output) panel row is one vector, so a single panel would give each FMA its
 *       own broadcast (7 loads per 6 FMAs; measured slower than 256 bits: one-off dense 107 against 94 ms, prepared
 *       BSR 13 against 10.5 ms). The kernels here take two adjacent panels per call instead ({@link #pairsPanels}),
 *       the 256-bit 6 x 16 form at twice the width: 2 loads and 6 broadcasts per 12 FMAs. A lone last panel goes
 *       through the 256-bit kernels.
 * </ul>
 * Operations along {@code in} (few tokens) stay on the 256-bit kernels. The 2:4 panel kernels ({@link #panel6}, for
 * {@link Sparse24Panels}) exist at this width only: they need a 16-lane permute.
 *
 * <p>Each 2:4 kernel keeps two accumulator sets, one per kept element of a pair, added once at the end: one set of six
 * would give 6 independent FMA chains where two pipes of 4-cycle FMAs need 8 (arithmetic, not measured against it).
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
    public boolean pairsPanels() {
        return true;
    }

    @Override
    public void dense6Pair(float[] xt, int xtOff, int xtOff2, float[] w, int wOff, int in, int kLen, float[] c,
                           int cOff, int cStride) {
        dense6x2(xt, xtOff, xtOff2, w, wOff, in, kLen, c, cOff, cStride);
    }

    @Override
    public void dense6TripleY(float[] xt, int xo, int xo2, int xo3, float[] w, int wOff, int in, int kLen, float[] c,
                              int cOff, int cStride, boolean zero, float[] bias, int bo) {
        if (bias != null && !zero) { // the kernel takes the bias only as its start (see dense6x3)
            CpuKernels.super.dense6TripleY(xt, xo, xo2, xo3, w, wOff, in, kLen, c, cOff, cStride, zero, bias, bo);
            return;
        }
        dense6x3(xt, xo, xo2, xo3, w, wOff, in, kLen, c, cOff, cStride, zero, bias, bo);
    }

    /**
     * {@code -Dsparsekernels.cpu.eightRowTriples=false} sends the prepared path back to 6-row triples: for comparing
     * the two tiles in alternating processes (CoreSpeedProbe, the demo).
     */
    private static final boolean EIGHT_ROW_TRIPLES =
            Boolean.parseBoolean(System.getProperty("sparsekernels.cpu.eightRowTriples", "true"));

    @Override
    public boolean eightRowTriples() {
        return EIGHT_ROW_TRIPLES;
    }

    @Override
    public void dense8TripleY(float[] xt, int xo, int xo2, int xo3, float[] w, int wOff, int in, int kLen, float[] c,
                              int cOff, int cStride, boolean zero, float[] bias, int bo) {
        if (bias != null && !zero) { // the kernel takes the bias only as its start (see dense6x3)
            CpuKernels.super.dense8TripleY(xt, xo, xo2, xo3, w, wOff, in, kLen, c, cOff, cStride, zero, bias, bo);
            return;
        }
        dense8x3(xt, xo, xo2, xo3, w, wOff, in, kLen, c, cOff, cStride, zero, bias, bo);
    }

    @Override
    public void dense6PairY(float[] xt, int xtOff, int xtOff2, float[] w, int wOff, int in, int kLen, float[] c,
                            int cOff, int cStride, boolean zero, float[] bias, int bo) {
        if (bias != null && !zero) { // the kernel takes the bias only as its start (see dense6x2)
            CpuKernels.super.dense6PairY(xt, xtOff, xtOff2, w, wOff, in, kLen, c, cOff, cStride, zero, bias, bo);
            return;
        }
        dense6x2(xt, xtOff, xtOff2, w, wOff, in, kLen, c, cOff, cStride, zero, bias, bo);
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
    public boolean sparsePanels() {
        return true;
    }

    @Override
    public void sparsePanel6(float[] vals, int[] pos, int wo, int g0, int g1, float[] x, int x0, int in, float[] c,
                             int c0, int cs) {
        panel6(vals, pos, wo, g0, g1, x, x0, in, c, c0, cs);
    }

    @Override
    public void sparsePanel1(float[] vals, int[] pos, int wo, int g0, int g1, float[] x, int x0, float[] c, int c0) {
        panel1(vals, pos, wo, g0, g1, x, x0, c, c0);
    }

    @Override
    public void sparsePanel6Y(float[] vals, int[] pos, int wo, int g0, int g1, float[] x, int x0, int in, float[] c,
                              int c0, int cs, boolean zero, float[] bias, int bo) {
        panel6(vals, pos, wo, g0, g1, x, x0, in, c, c0, cs, zero, bias, bo);
    }

    @Override
    public void sparsePanel1Y(float[] vals, int[] pos, int wo, int g0, int g1, float[] x, int x0, float[] c, int c0,
                              boolean zero, float[] bias, int bo) {
        panel1(vals, pos, wo, g0, g1, x, x0, c, c0, zero, bias, bo);
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
    public void bsr6Pair(float[] xt, int xo, int xo2, int[] cols, int n0, int n1, float[] w, int wRow, int bs, int bc,
                         float[] c, int c0, int cs) {
        int xs = bc * 16;
        for (int n = n0; n < n1; n++) {
            dense6x2(xt, xo + cols[n] * xs, xo2 + cols[n] * xs, w, n * bs + wRow, bc, bc, c, c0, cs);
        }
    }

    @Override
    public void bsr4Pair(float[] xt, int xo, int xo2, int[] cols, int n0, int n1, float[] w, int wRow, int bs, int bc,
                         float[] c, int c0, int cs) {
        int xs = bc * 16;
        for (int n = n0; n < n1; n++) {
            dense4x2(xt, xo + cols[n] * xs, xo2 + cols[n] * xs, w, n * bs + wRow, bc, bc, c, c0, cs);
        }
    }

    @Override
    public void bsrPrepared6Pair(float[] w, int wo, int wo2, int[] cols, int g0, int g1, float[] x, int x0, int in,
                                 float[] c, int c0, int cs, float[] bias, int bo) {
        prepared6x2(w, wo, wo2, cols, g0, g1, x, x0, in, c, c0, cs, bias, bo);
    }

    @Override
    public void bsrPrepared6(float[] w, int wo, int[] cols, int g0, int g1, float[] x, int x0, int in, float[] c,
                             int c0, int cs, float[] bias, int bo) {
        narrow.bsrPrepared6(w, wo, cols, g0, g1, x, x0, in, c, c0, cs, bias, bo);
    }

    @Override
    public void bsrPrepared1(float[] w, int wo, int[] cols, int g0, int g1, float[] x, int x0, float[] c, int c0,
                             float[] bias, int bo) {
        narrow.bsrPrepared1(w, wo, cols, g0, g1, x, x0, c, c0, bias, bo);
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

    // ---------------------------------------------------------------- dense, 6 rows x two 16-token panels

    /**
     * 6 rows x 32 tokens (two panels, one vector each): {@link VectorKernels#dense6x2}'s form at twice the width, 2
     * X^T loads and 6 broadcasts per 12 FMAs into 12 accumulators.
     */
    static void dense6x2(float[] xt, int xo, int xo2, float[] w, int w0, int in, int kLen, float[] c, int c0, int cs) {
        dense6x2(xt, xo, xo2, w, w0, in, kLen, c, c0, cs, false, null, 0);
    }

    /**
     * {@link #dense6x2} starting from C's tile, or when zero from bias[bo ..+32) in every row (zeros when null); bias
     * only with zero. As in {@link #dense6x3}, nothing is computed on the sums after the loop.
     */
    static void dense6x2(float[] xt, int xo, int xo2, float[] w, int w0, int in, int kLen, float[] c, int c0, int cs,
                         boolean zero, float[] bias, int bo) {
        int w1 = w0 + in, w2 = w1 + in, w3 = w2 + in, w4 = w3 + in, w5 = w4 + in;
        int c1 = c0 + cs, c2 = c1 + cs, c3 = c2 + cs, c4 = c3 + cs, c5 = c4 + cs;
        // no branch merges the accumulators: see ZEROS
        float[] s = zero ? (bias == null ? VectorKernels.ZEROS : bias) : c;
        int ss = zero ? 0 : cs;
        int s0 = zero ? (bias == null ? 0 : bo) : c0, s1 = s0 + ss, s2 = s1 + ss, s3 = s2 + ss, s4 = s3 + ss,
                s5 = s4 + ss;
        FloatVector a00 = FloatVector.fromArray(Z, s, s0), a01 = FloatVector.fromArray(Z, s, s0 + 16);
        FloatVector a10 = FloatVector.fromArray(Z, s, s1), a11 = FloatVector.fromArray(Z, s, s1 + 16);
        FloatVector a20 = FloatVector.fromArray(Z, s, s2), a21 = FloatVector.fromArray(Z, s, s2 + 16);
        FloatVector a30 = FloatVector.fromArray(Z, s, s3), a31 = FloatVector.fromArray(Z, s, s3 + 16);
        FloatVector a40 = FloatVector.fromArray(Z, s, s4), a41 = FloatVector.fromArray(Z, s, s4 + 16);
        FloatVector a50 = FloatVector.fromArray(Z, s, s5), a51 = FloatVector.fromArray(Z, s, s5 + 16);
        for (int k = 0; k < kLen; k++) {
            FloatVector x0 = FloatVector.fromArray(Z, xt, xo + k * 16);
            FloatVector x1 = FloatVector.fromArray(Z, xt, xo2 + k * 16);
            FloatVector b = FloatVector.broadcast(Z, w[w0 + k]);
            a00 = x0.fma(b, a00);
            a01 = x1.fma(b, a01);
            b = FloatVector.broadcast(Z, w[w1 + k]);
            a10 = x0.fma(b, a10);
            a11 = x1.fma(b, a11);
            b = FloatVector.broadcast(Z, w[w2 + k]);
            a20 = x0.fma(b, a20);
            a21 = x1.fma(b, a21);
            b = FloatVector.broadcast(Z, w[w3 + k]);
            a30 = x0.fma(b, a30);
            a31 = x1.fma(b, a31);
            b = FloatVector.broadcast(Z, w[w4 + k]);
            a40 = x0.fma(b, a40);
            a41 = x1.fma(b, a41);
            b = FloatVector.broadcast(Z, w[w5 + k]);
            a50 = x0.fma(b, a50);
            a51 = x1.fma(b, a51);
        }
        a00.intoArray(c, c0);
        a01.intoArray(c, c0 + 16);
        a10.intoArray(c, c1);
        a11.intoArray(c, c1 + 16);
        a20.intoArray(c, c2);
        a21.intoArray(c, c2 + 16);
        a30.intoArray(c, c3);
        a31.intoArray(c, c3 + 16);
        a40.intoArray(c, c4);
        a41.intoArray(c, c4 + 16);
        a50.intoArray(c, c5);
        a51.intoArray(c, c5 + 16);
    }

    /**
     * 6 rows x 48 columns, three 16-wide panels, 18 accumulators (with 3 panel vectors and a broadcast, 22 of the 32
     * registers): per step 18 FMAs for 3 panel loads and 6 broadcasts, against 12 for 2 and 6 in {@link #dense6x2}.
     * Starts from C's tile, or when zero from bias[bo ..+48) in every row (zeros when null); bias only with zero.
     *
     * <p>No branch decides what the accumulators start from: zeros and a missing bias are read from
     * {@link VectorKernels#ZEROS}. The bias goes in at the start, not onto the sums at the end: an epilogue of 18 adds
     * after the loop was where C2, in some compilations and not others, left a few vectors boxed per call (about
     * 100 MB of garbage per MiniLM batch, and a slow mode of the whole forward pass wherever fresh memory faults).
     */
    static void dense6x3(float[] xt, int xo, int xo2, int xo3, float[] w, int w0, int in, int kLen, float[] c, int c0,
                         int cs, boolean zero, float[] bias, int bo) {
        int w1 = w0 + in, w2 = w1 + in, w3 = w2 + in, w4 = w3 + in, w5 = w4 + in;
        int c1 = c0 + cs, c2 = c1 + cs, c3 = c2 + cs, c4 = c3 + cs, c5 = c4 + cs;
        float[] s = zero ? (bias == null ? VectorKernels.ZEROS : bias) : c;
        int ss = zero ? 0 : cs;
        int s0 = zero ? (bias == null ? 0 : bo) : c0, s1 = s0 + ss, s2 = s1 + ss, s3 = s2 + ss, s4 = s3 + ss,
                s5 = s4 + ss;
        FloatVector a00 = FloatVector.fromArray(Z, s, s0);
        FloatVector a01 = FloatVector.fromArray(Z, s, s0 + 16);
        FloatVector a02 = FloatVector.fromArray(Z, s, s0 + 32);
        FloatVector a10 = FloatVector.fromArray(Z, s, s1);
        FloatVector a11 = FloatVector.fromArray(Z, s, s1 + 16);
        FloatVector a12 = FloatVector.fromArray(Z, s, s1 + 32);
        FloatVector a20 = FloatVector.fromArray(Z, s, s2);
        FloatVector a21 = FloatVector.fromArray(Z, s, s2 + 16);
        FloatVector a22 = FloatVector.fromArray(Z, s, s2 + 32);
        FloatVector a30 = FloatVector.fromArray(Z, s, s3);
        FloatVector a31 = FloatVector.fromArray(Z, s, s3 + 16);
        FloatVector a32 = FloatVector.fromArray(Z, s, s3 + 32);
        FloatVector a40 = FloatVector.fromArray(Z, s, s4);
        FloatVector a41 = FloatVector.fromArray(Z, s, s4 + 16);
        FloatVector a42 = FloatVector.fromArray(Z, s, s4 + 32);
        FloatVector a50 = FloatVector.fromArray(Z, s, s5);
        FloatVector a51 = FloatVector.fromArray(Z, s, s5 + 16);
        FloatVector a52 = FloatVector.fromArray(Z, s, s5 + 32);
        for (int k = 0; k < kLen; k++) {
            FloatVector x0 = FloatVector.fromArray(Z, xt, xo + k * 16);
            FloatVector x1 = FloatVector.fromArray(Z, xt, xo2 + k * 16);
            FloatVector x2 = FloatVector.fromArray(Z, xt, xo3 + k * 16);
            FloatVector b = FloatVector.broadcast(Z, w[w0 + k]);
            a00 = x0.fma(b, a00);
            a01 = x1.fma(b, a01);
            a02 = x2.fma(b, a02);
            b = FloatVector.broadcast(Z, w[w1 + k]);
            a10 = x0.fma(b, a10);
            a11 = x1.fma(b, a11);
            a12 = x2.fma(b, a12);
            b = FloatVector.broadcast(Z, w[w2 + k]);
            a20 = x0.fma(b, a20);
            a21 = x1.fma(b, a21);
            a22 = x2.fma(b, a22);
            b = FloatVector.broadcast(Z, w[w3 + k]);
            a30 = x0.fma(b, a30);
            a31 = x1.fma(b, a31);
            a32 = x2.fma(b, a32);
            b = FloatVector.broadcast(Z, w[w4 + k]);
            a40 = x0.fma(b, a40);
            a41 = x1.fma(b, a41);
            a42 = x2.fma(b, a42);
            b = FloatVector.broadcast(Z, w[w5 + k]);
            a50 = x0.fma(b, a50);
            a51 = x1.fma(b, a51);
            a52 = x2.fma(b, a52);
        }
        a00.intoArray(c, c0);
        a01.intoArray(c, c0 + 16);
        a02.intoArray(c, c0 + 32);
        a10.intoArray(c, c1);
        a11.intoArray(c, c1 + 16);
        a12.intoArray(c, c1 + 32);
        a20.intoArray(c, c2);
        a21.intoArray(c, c2 + 16);
        a22.intoArray(c, c2 + 32);
        a30.intoArray(c, c3);
        a31.intoArray(c, c3 + 16);
        a32.intoArray(c, c3 + 32);
        a40.intoArray(c, c4);
        a41.intoArray(c, c4 + 16);
        a42.intoArray(c, c4 + 32);
        a50.intoArray(c, c5);
        a51.intoArray(c, c5 + 16);
        a52.intoArray(c, c5 + 32);
    }

    /**
     * 8 rows x 48 columns: {@link #dense6x3} with two more rows, 24 accumulators (28 of the 32 registers with the 3
     * panel vectors and a broadcast): per step 24 FMAs for 3 panel loads and 8 broadcasts, a third fewer panel loads
     * per FMA. 3.5-6.5% more GFLOPS on one Zen 5 core at MiniLM's shapes (2,016 tokens: 384 x 1536 240-247 against
     * 228-236, 384 x 384 249-252 against 244-245, 1536 x 384 249-256 against 239-241; a throwaway harness of both
     * kernels in one process). Same start rule as {@link #dense6x3}.
     */
    static void dense8x3(float[] xt, int xo, int xo2, int xo3, float[] w, int w0, int in, int kLen, float[] c, int c0,
                         int cs, boolean zero, float[] bias, int bo) {
        int w1 = w0 + in, w2 = w1 + in, w3 = w2 + in, w4 = w3 + in, w5 = w4 + in, w6 = w5 + in, w7 = w6 + in;
        int c1 = c0 + cs, c2 = c1 + cs, c3 = c2 + cs, c4 = c3 + cs, c5 = c4 + cs, c6 = c5 + cs, c7 = c6 + cs;
        float[] s = zero ? (bias == null ? VectorKernels.ZEROS : bias) : c;
        int ss = zero ? 0 : cs;
        int s0 = zero ? (bias == null ? 0 : bo) : c0, s1 = s0 + ss, s2 = s1 + ss, s3 = s2 + ss, s4 = s3 + ss,
                s5 = s4 + ss, s6 = s5 + ss, s7 = s6 + ss;
        FloatVector a00 = FloatVector.fromArray(Z, s, s0);
        FloatVector a01 = FloatVector.fromArray(Z, s, s0 + 16);
        FloatVector a02 = FloatVector.fromArray(Z, s, s0 + 32);
        FloatVector a10 = FloatVector.fromArray(Z, s, s1);
        FloatVector a11 = FloatVector.fromArray(Z, s, s1 + 16);
        FloatVector a12 = FloatVector.fromArray(Z, s, s1 + 32);
        FloatVector a20 = FloatVector.fromArray(Z, s, s2);
        FloatVector a21 = FloatVector.fromArray(Z, s, s2 + 16);
        FloatVector a22 = FloatVector.fromArray(Z, s, s2 + 32);
        FloatVector a30 = FloatVector.fromArray(Z, s, s3);
        FloatVector a31 = FloatVector.fromArray(Z, s, s3 + 16);
        FloatVector a32 = FloatVector.fromArray(Z, s, s3 + 32);
        FloatVector a40 = FloatVector.fromArray(Z, s, s4);
        FloatVector a41 = FloatVector.fromArray(Z, s, s4 + 16);
        FloatVector a42 = FloatVector.fromArray(Z, s, s4 + 32);
        FloatVector a50 = FloatVector.fromArray(Z, s, s5);
        FloatVector a51 = FloatVector.fromArray(Z, s, s5 + 16);
        FloatVector a52 = FloatVector.fromArray(Z, s, s5 + 32);
        FloatVector a60 = FloatVector.fromArray(Z, s, s6);
        FloatVector a61 = FloatVector.fromArray(Z, s, s6 + 16);
        FloatVector a62 = FloatVector.fromArray(Z, s, s6 + 32);
        FloatVector a70 = FloatVector.fromArray(Z, s, s7);
        FloatVector a71 = FloatVector.fromArray(Z, s, s7 + 16);
        FloatVector a72 = FloatVector.fromArray(Z, s, s7 + 32);
        for (int k = 0; k < kLen; k++) {
            FloatVector x0 = FloatVector.fromArray(Z, xt, xo + k * 16);
            FloatVector x1 = FloatVector.fromArray(Z, xt, xo2 + k * 16);
            FloatVector x2 = FloatVector.fromArray(Z, xt, xo3 + k * 16);
            FloatVector b = FloatVector.broadcast(Z, w[w0 + k]);
            a00 = x0.fma(b, a00);
            a01 = x1.fma(b, a01);
            a02 = x2.fma(b, a02);
            b = FloatVector.broadcast(Z, w[w1 + k]);
            a10 = x0.fma(b, a10);
            a11 = x1.fma(b, a11);
            a12 = x2.fma(b, a12);
            b = FloatVector.broadcast(Z, w[w2 + k]);
            a20 = x0.fma(b, a20);
            a21 = x1.fma(b, a21);
            a22 = x2.fma(b, a22);
            b = FloatVector.broadcast(Z, w[w3 + k]);
            a30 = x0.fma(b, a30);
            a31 = x1.fma(b, a31);
            a32 = x2.fma(b, a32);
            b = FloatVector.broadcast(Z, w[w4 + k]);
            a40 = x0.fma(b, a40);
            a41 = x1.fma(b, a41);
            a42 = x2.fma(b, a42);
            b = FloatVector.broadcast(Z, w[w5 + k]);
            a50 = x0.fma(b, a50);
            a51 = x1.fma(b, a51);
            a52 = x2.fma(b, a52);
            b = FloatVector.broadcast(Z, w[w6 + k]);
            a60 = x0.fma(b, a60);
            a61 = x1.fma(b, a61);
            a62 = x2.fma(b, a62);
            b = FloatVector.broadcast(Z, w[w7 + k]);
            a70 = x0.fma(b, a70);
            a71 = x1.fma(b, a71);
            a72 = x2.fma(b, a72);
        }
        a00.intoArray(c, c0);
        a01.intoArray(c, c0 + 16);
        a02.intoArray(c, c0 + 32);
        a10.intoArray(c, c1);
        a11.intoArray(c, c1 + 16);
        a12.intoArray(c, c1 + 32);
        a20.intoArray(c, c2);
        a21.intoArray(c, c2 + 16);
        a22.intoArray(c, c2 + 32);
        a30.intoArray(c, c3);
        a31.intoArray(c, c3 + 16);
        a32.intoArray(c, c3 + 32);
        a40.intoArray(c, c4);
        a41.intoArray(c, c4 + 16);
        a42.intoArray(c, c4 + 32);
        a50.intoArray(c, c5);
        a51.intoArray(c, c5 + 16);
        a52.intoArray(c, c5 + 32);
        a60.intoArray(c, c6);
        a61.intoArray(c, c6 + 16);
        a62.intoArray(c, c6 + 32);
        a70.intoArray(c, c7);
        a71.intoArray(c, c7 + 16);
        a72.intoArray(c, c7 + 32);
    }

    /** 4 rows x 32 tokens: {@link #dense6x2} for the rows of a BSR block past its last multiple of 6. */
    static void dense4x2(float[] xt, int xo, int xo2, float[] w, int w0, int in, int kLen, float[] c, int c0, int cs) {
        int w1 = w0 + in, w2 = w1 + in, w3 = w2 + in;
        int c1 = c0 + cs, c2 = c1 + cs, c3 = c2 + cs;
        FloatVector a00 = FloatVector.fromArray(Z, c, c0), a01 = FloatVector.fromArray(Z, c, c0 + 16);
        FloatVector a10 = FloatVector.fromArray(Z, c, c1), a11 = FloatVector.fromArray(Z, c, c1 + 16);
        FloatVector a20 = FloatVector.fromArray(Z, c, c2), a21 = FloatVector.fromArray(Z, c, c2 + 16);
        FloatVector a30 = FloatVector.fromArray(Z, c, c3), a31 = FloatVector.fromArray(Z, c, c3 + 16);
        for (int k = 0; k < kLen; k++) {
            FloatVector x0 = FloatVector.fromArray(Z, xt, xo + k * 16);
            FloatVector x1 = FloatVector.fromArray(Z, xt, xo2 + k * 16);
            FloatVector b = FloatVector.broadcast(Z, w[w0 + k]);
            a00 = x0.fma(b, a00);
            a01 = x1.fma(b, a01);
            b = FloatVector.broadcast(Z, w[w1 + k]);
            a10 = x0.fma(b, a10);
            a11 = x1.fma(b, a11);
            b = FloatVector.broadcast(Z, w[w2 + k]);
            a20 = x0.fma(b, a20);
            a21 = x1.fma(b, a21);
            b = FloatVector.broadcast(Z, w[w3 + k]);
            a30 = x0.fma(b, a30);
            a31 = x1.fma(b, a31);
        }
        a00.intoArray(c, c0);
        a01.intoArray(c, c0 + 16);
        a10.intoArray(c, c1);
        a11.intoArray(c, c1 + 16);
        a20.intoArray(c, c2);
        a21.intoArray(c, c2 + 16);
        a30.intoArray(c, c3);
        a31.intoArray(c, c3 + 16);
    }

    // ---------------------------------------------------------------- BSR, W prepared: 6 tokens x two panels

    /**
     * 6 tokens x 32 outputs (two panels of one block row, so the same steps): per step one table load, 2 vector
     * loads of the two streams, 6 broadcasts of X, 12 FMAs, the accumulators in registers over all the row's steps.
     */
    static void prepared6x2(float[] w, int wo, int wo2, int[] cols, int g0, int g1, float[] x, int x0, int in,
                            float[] c, int c0, int cs, float[] bias, int bo) {
        int c1 = c0 + cs, c2 = c1 + cs, c3 = c2 + cs, c4 = c3 + cs, c5 = c4 + cs;
        int x1 = x0 + in, x2 = x1 + in, x3 = x2 + in, x4 = x3 + in, x5 = x4 + in;
        FloatVector a00 = FloatVector.zero(Z), a01 = a00, a10 = a00, a11 = a00, a20 = a00, a21 = a00, a30 = a00,
                a31 = a00, a40 = a00, a41 = a00, a50 = a00, a51 = a00;
        for (int g = g0, wg = wo, wh = wo2; g < g1; g++, wg += 16, wh += 16) {
            int k = cols[g];
            FloatVector v = FloatVector.fromArray(Z, w, wg);
            FloatVector u = FloatVector.fromArray(Z, w, wh);
            FloatVector b = FloatVector.broadcast(Z, x[x0 + k]);
            a00 = v.fma(b, a00);
            a01 = u.fma(b, a01);
            b = FloatVector.broadcast(Z, x[x1 + k]);
            a10 = v.fma(b, a10);
            a11 = u.fma(b, a11);
            b = FloatVector.broadcast(Z, x[x2 + k]);
            a20 = v.fma(b, a20);
            a21 = u.fma(b, a21);
            b = FloatVector.broadcast(Z, x[x3 + k]);
            a30 = v.fma(b, a30);
            a31 = u.fma(b, a31);
            b = FloatVector.broadcast(Z, x[x4 + k]);
            a40 = v.fma(b, a40);
            a41 = u.fma(b, a41);
            b = FloatVector.broadcast(Z, x[x5 + k]);
            a50 = v.fma(b, a50);
            a51 = u.fma(b, a51);
        }
        float[] bv = bias == null ? VectorKernels.ZEROS : bias; // no branch merges the accumulators: see ZEROS
        int bs = bias == null ? 0 : bo;
        FloatVector b0 = FloatVector.fromArray(Z, bv, bs), b1 = FloatVector.fromArray(Z, bv, bs + 16);
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
        a01.intoArray(c, c0 + 16);
        a10.intoArray(c, c1);
        a11.intoArray(c, c1 + 16);
        a20.intoArray(c, c2);
        a21.intoArray(c, c2 + 16);
        a30.intoArray(c, c3);
        a31.intoArray(c, c3 + 16);
        a40.intoArray(c, c4);
        a41.intoArray(c, c4 + 16);
        a50.intoArray(c, c5);
        a51.intoArray(c, c5 + 16);
    }

    // ---------------------------------------------------------------- 2:4, W in 16-row panels: lane permutes

    static final VectorSpecies<Integer> ZI = IntVector.SPECIES_512;
    /** A group's 4 inputs of one token, in the low lanes of a 512-bit vector (the rest zero, never selected). */
    static final VectorSpecies<Float> X4 = FloatVector.SPECIES_128;

    /**
     * 6 tokens x 16 outputs of a {@link Sparse24Panels} panel: per group 2 value and 2 position vectors (shared by the
     * six tokens), then per token a 4-float load, 2 lane permutes (each row's kept input) and 2 FMAs into two
     * accumulator sets. The permutes bound it: about 120 GFLOPS of kept weights per core on hot data (measured in a
     * throwaway loop; the same with one accumulator set), 240 dense-equivalent.
     */
    static void panel6(float[] vals, int[] pos, int wo, int g0, int g1, float[] x, int x0, int in, float[] c, int c0,
                       int cs) {
        panel6(vals, pos, wo, g0, g1, x, x0, in, c, c0, cs, false, null, 0);
    }

    /** {@link #panel6} starting from zeros when zero, adding bias[bo ..+16) to every row at the end when not null. */
    static void panel6(float[] vals, int[] pos, int wo, int g0, int g1, float[] x, int x0, int in, float[] c, int c0,
                       int cs, boolean zero, float[] bias, int bo) {
        int x1 = x0 + in, x2 = x1 + in, x3 = x2 + in, x4 = x3 + in, x5 = x4 + in;
        int c1 = c0 + cs, c2 = c1 + cs, c3 = c2 + cs, c4 = c3 + cs, c5 = c4 + cs;
        float[] s = zero ? VectorKernels.ZEROS : c; // no branch merges the accumulators: see ZEROS
        int ss = zero ? 0 : cs;
        int s0 = zero ? 0 : c0, s1 = s0 + ss, s2 = s1 + ss, s3 = s2 + ss, s4 = s3 + ss, s5 = s4 + ss;
        FloatVector z = FloatVector.zero(Z);
        FloatVector a0 = FloatVector.fromArray(Z, s, s0), b0 = z;
        FloatVector a1 = FloatVector.fromArray(Z, s, s1), b1 = z;
        FloatVector a2 = FloatVector.fromArray(Z, s, s2), b2 = z;
        FloatVector a3 = FloatVector.fromArray(Z, s, s3), b3 = z;
        FloatVector a4 = FloatVector.fromArray(Z, s, s4), b4 = z;
        FloatVector a5 = FloatVector.fromArray(Z, s, s5), b5 = z;
        for (int g = g0, w = wo; g < g1; g++, w += 32) {
            FloatVector v = FloatVector.fromArray(Z, vals, w);
            FloatVector u = FloatVector.fromArray(Z, vals, w + 16);
            IntVector p = IntVector.fromArray(ZI, pos, w);
            IntVector q = IntVector.fromArray(ZI, pos, w + 16);
            int k = 4 * g;
            IntVector x0v = ((FloatVector) FloatVector.fromArray(X4, x, x0 + k).reinterpretShape(Z, 0)).viewAsIntegralLanes();
            a0 = p.selectFrom(x0v).viewAsFloatingLanes().fma(v, a0);
            b0 = q.selectFrom(x0v).viewAsFloatingLanes().fma(u, b0);
            IntVector x1v = ((FloatVector) FloatVector.fromArray(X4, x, x1 + k).reinterpretShape(Z, 0)).viewAsIntegralLanes();
            a1 = p.selectFrom(x1v).viewAsFloatingLanes().fma(v, a1);
            b1 = q.selectFrom(x1v).viewAsFloatingLanes().fma(u, b1);
            IntVector x2v = ((FloatVector) FloatVector.fromArray(X4, x, x2 + k).reinterpretShape(Z, 0)).viewAsIntegralLanes();
            a2 = p.selectFrom(x2v).viewAsFloatingLanes().fma(v, a2);
            b2 = q.selectFrom(x2v).viewAsFloatingLanes().fma(u, b2);
            IntVector x3v = ((FloatVector) FloatVector.fromArray(X4, x, x3 + k).reinterpretShape(Z, 0)).viewAsIntegralLanes();
            a3 = p.selectFrom(x3v).viewAsFloatingLanes().fma(v, a3);
            b3 = q.selectFrom(x3v).viewAsFloatingLanes().fma(u, b3);
            IntVector x4v = ((FloatVector) FloatVector.fromArray(X4, x, x4 + k).reinterpretShape(Z, 0)).viewAsIntegralLanes();
            a4 = p.selectFrom(x4v).viewAsFloatingLanes().fma(v, a4);
            b4 = q.selectFrom(x4v).viewAsFloatingLanes().fma(u, b4);
            IntVector x5v = ((FloatVector) FloatVector.fromArray(X4, x, x5 + k).reinterpretShape(Z, 0)).viewAsIntegralLanes();
            a5 = p.selectFrom(x5v).viewAsFloatingLanes().fma(v, a5);
            b5 = q.selectFrom(x5v).viewAsFloatingLanes().fma(u, b5);
        }
        a0 = a0.add(b0);
        a1 = a1.add(b1);
        a2 = a2.add(b2);
        a3 = a3.add(b3);
        a4 = a4.add(b4);
        a5 = a5.add(b5);
        FloatVector bv = FloatVector.fromArray(Z, bias == null ? VectorKernels.ZEROS : bias, bias == null ? 0 : bo);
        a0 = a0.add(bv);
        a1 = a1.add(bv);
        a2 = a2.add(bv);
        a3 = a3.add(bv);
        a4 = a4.add(bv);
        a5 = a5.add(bv);
        a0.intoArray(c, c0);
        a1.intoArray(c, c1);
        a2.intoArray(c, c2);
        a3.intoArray(c, c3);
        a4.intoArray(c, c4);
        a5.intoArray(c, c5);
    }

    /** As {@link #panel6} for one token. */
    static void panel1(float[] vals, int[] pos, int wo, int g0, int g1, float[] x, int x0, float[] c, int c0) {
        panel1(vals, pos, wo, g0, g1, x, x0, c, c0, false, null, 0);
    }

    /** As {@link #panel6} for one token, with its zero and bias. */
    static void panel1(float[] vals, int[] pos, int wo, int g0, int g1, float[] x, int x0, float[] c, int c0,
                       boolean zero, float[] bias, int bo) {
        FloatVector a = zero ? FloatVector.zero(Z) : FloatVector.fromArray(Z, c, c0), b = FloatVector.zero(Z);
        for (int g = g0, w = wo; g < g1; g++, w += 32) {
            IntVector xv = ((FloatVector) FloatVector.fromArray(X4, x, x0 + 4 * g).reinterpretShape(Z, 0))
                    .viewAsIntegralLanes();
            a = IntVector.fromArray(ZI, pos, w).selectFrom(xv).viewAsFloatingLanes()
                    .fma(FloatVector.fromArray(Z, vals, w), a);
            b = IntVector.fromArray(ZI, pos, w + 16).selectFrom(xv).viewAsFloatingLanes()
                    .fma(FloatVector.fromArray(Z, vals, w + 16), b);
        }
        a = a.add(b);
        if (bias != null) {
            a = a.add(FloatVector.fromArray(Z, bias, bo));
        }
        a.intoArray(c, c0);
    }
}
