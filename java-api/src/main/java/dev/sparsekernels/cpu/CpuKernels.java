package dev.sparsekernels.cpu;

/**
 * Microkernels behind {@link DenseGemm}, {@link Sparse24Gemm} and {@link BsrGemm}: one implementation on the Vector API
 * ({@code VectorKernels}, loaded only when {@code jdk.incubator.vector} is present) and one in plain Java
 * ({@link ScalarKernels}). The blocking, packing and threading around them live in {@link GemmDriver}.
 *
 * <p>Layouts shared by both implementations:
 * <ul>
 *   <li>X^T panel of width {@code NB} tokens: {@code xt[base + k*NB + j] = X[t0 + j][k]} (zero past the last token).
 *   <li>C^T tile: {@code c[cOff + r*cStride + j]} accumulates output row {@code r} for panel token {@code j}
 *       (kernels add into it).
 * </ul>
 * Kernels are small static-style methods with simple loops; callers guarantee every index is in range.
 */
interface CpuKernels {
    /** Dense panel width (tokens per X^T panel) and rows per microkernel call. */
    int DENSE_NB = 16;
    int DENSE_ROWS = 6;
    /** 2:4 panel width for many tokens (one row per microkernel call). */
    int SPARSE_NB = 96;
    /** 2:4 panel width for few tokens, rows per microkernel call. */

    String describe();

    /** 6 rows of W ({@code w[wOff + r*in + k]}, k < kLen) times a dense X^T panel (NB = 16) at xtOff. */
    void dense6(float[] xt, int xtOff, float[] w, int wOff, int in, int kLen, float[] c, int cOff, int cStride);

    /**
     * Whether {@link #dense6Pair} beats two {@link #dense6} calls: true where one vector holds a whole 16-float panel
     * row, so a single panel gives each FMA its own weight broadcast; the drivers then walk panels in pairs.
     */
    default boolean pairsPanels() {
        return false;
    }

    /**
     * {@link #dense6} over two panels at once, the first at {@code xtOff}, the second at {@code xtOff2}; their C^T
     * columns are adjacent: {@code c[cOff + r*cStride + j]} for j < 32, the second panel's from j = 16.
     */
    default void dense6Pair(float[] xt, int xtOff, int xtOff2, float[] w, int wOff, int in, int kLen, float[] c,
                            int cOff, int cStride) {
        dense6(xt, xtOff, w, wOff, in, kLen, c, cOff, cStride);
        dense6(xt, xtOff2, w, wOff, in, kLen, c, cOff + DENSE_NB, cStride);
    }

    /** 1 row of W times a dense X^T panel (NB = 16). */
    void dense1(float[] xt, int xtOff, float[] w, int wOff, int kLen, float[] c, int cOff);

    // The prepared paths' tile calls (W prepared in panels, Y written in place, rows of c cStride apart): as the
    // kernels they name, except that when zero they start from zeros instead of c's values, and when bias is not
    // null they add bias[bo + j] to column j after the products (as the one-off paths add it, so the bits agree).
    // Fused into the kernel, the zeros cost no loads and the bias two loads per tile; as passes over a task's block
    // of Y they were 12-17% of a prepared GEMM at in = 384. The defaults do the same around the plain kernels.

    /** {@link #dense6} onto a tile of Y, 16 columns. */
    default void dense6Y(float[] xt, int xtOff, float[] w, int wOff, int in, int kLen, float[] c, int cOff,
                         int cStride, boolean zero, float[] bias, int bo) {
        GemmDriver.openTile(zero, c, cOff, 6, cStride, DENSE_NB);
        dense6(xt, xtOff, w, wOff, in, kLen, c, cOff, cStride);
        GemmDriver.closeTile(bias != null, c, cOff, 6, cStride, bias, bo, DENSE_NB);
    }

    /** {@link #dense6Pair} onto a tile of Y, 32 columns. */
    default void dense6PairY(float[] xt, int xtOff, int xtOff2, float[] w, int wOff, int in, int kLen, float[] c,
                             int cOff, int cStride, boolean zero, float[] bias, int bo) {
        GemmDriver.openTile(zero, c, cOff, 6, cStride, 2 * DENSE_NB);
        dense6Pair(xt, xtOff, xtOff2, w, wOff, in, kLen, c, cOff, cStride);
        GemmDriver.closeTile(bias != null, c, cOff, 6, cStride, bias, bo, 2 * DENSE_NB);
    }

    /**
     * {@link #dense6PairY} and {@link #dense6Y} over three adjacent panels onto a tile of Y, 48 columns. Like every
     * {@code ...Y} call, it adds the bias once, in the K block that passes it; the prepared path passes it with the
     * first block (zero true) to this and {@link #dense6PairY}, whose 512-bit kernels start their sums from it.
     */
    default void dense6TripleY(float[] xt, int xo, int xo2, int xo3, float[] w, int wOff, int in, int kLen, float[] c,
                               int cOff, int cStride, boolean zero, float[] bias, int bo) {
        dense6PairY(xt, xo, xo2, w, wOff, in, kLen, c, cOff, cStride, zero, bias, bo);
        dense6Y(xt, xo3, w, wOff, in, kLen, c, cOff + 2 * DENSE_NB, cStride, zero, bias, bo + 2 * DENSE_NB);
    }

    /**
     * Whether the prepared path should take token rows eight at a time through {@link #dense8TripleY}: true where a
     * kernel holds 8 x 48 accumulators in registers (the 512-bit one).
     */
    default boolean eightRowTriples() {
        return false;
    }

    /** {@link #dense6TripleY} for 8 rows: the first six through it, the last two row by row. */
    default void dense8TripleY(float[] xt, int xo, int xo2, int xo3, float[] w, int wOff, int in, int kLen, float[] c,
                               int cOff, int cStride, boolean zero, float[] bias, int bo) {
        dense6TripleY(xt, xo, xo2, xo3, w, wOff, in, kLen, c, cOff, cStride, zero, bias, bo);
        for (int r = 6; r < 8; r++) {
            for (int j = 0; j < 3; j++) {
                int panel = j == 0 ? xo : j == 1 ? xo2 : xo3;
                dense1Y(xt, panel, w, wOff + r * in, kLen, c, cOff + r * cStride + j * DENSE_NB, zero, bias,
                        bo + j * DENSE_NB);
            }
        }
    }

    /** {@link #dense1} onto a row of Y, 16 columns. */
    default void dense1Y(float[] xt, int xtOff, float[] w, int wOff, int kLen, float[] c, int cOff, boolean zero,
                         float[] bias, int bo) {
        GemmDriver.openTile(zero, c, cOff, 1, 0, DENSE_NB);
        dense1(xt, xtOff, w, wOff, kLen, c, cOff);
        GemmDriver.closeTile(bias != null, c, cOff, 1, 0, bias, bo, DENSE_NB);
    }

    /**
     * Small-token dense path: {@code y[t*out + o] = dot(x[t*in ..], w[o*in ..]) + bias[o]} for o in [o0, o1), all
     * tokens (no packing; vectorized over in).
     */
    void denseDot(float[] x, int tokens, int in, float[] w, int out, int o0, int o1, float[] bias, float[] y);

    /**
     * 2:4, 1 row x 96 tokens: for e in [0, n) adds {@code vals[ea+e] * xt[xtBase + kidx[ea+e] ..+96]} into
     * {@code c[ca..ca+96]} ({@code kidx} holds the input column relative to the K block * 96, xtBase is the K
     * block's X^T sub-panel, rows 96 floats apart).
     */
    void sparse12(float[] xt, int xtBase, float[] vals, int[] kidx, int ea, int n, float[] c, int ca);

    /**
     * As {@link #sparse12} but for the first {@code 8*vecs} tokens only (1 <= vecs < 12; same sub-panel layout, rows
     * still 96 floats apart): the last, partial panel.
     */
    void sparseNarrow(float[] xt, int xtBase, float[] vals, int[] kidx, int ea, int n, float[] c, int ca, int vecs);

    /**
     * 2:4, one token, one K block of {@link Sparse24Weights#K_BLOCK} inputs starting at k0 for rows [o0, o1):
     * {@code acc[(o-o0)*8 + l]} (8 partial sums per row, summed by the caller) accumulates the row's dot product
     * over the block; the positions come from the index nibbles ({@code idx}, rowBytes per row), the row's
     * {@code n} kept values of the block start at {@code eBlock + o*n}.
     */
    void sparseGemvBlock(float[] x, int k0, float[] vals, int eBlock, int n, byte[] idx, int rowBytes, int o0, int o1,
                         float[] acc);

    /**
     * Whether the 2:4 panel kernels ({@link #sparsePanel6}, {@link Sparse24Panels}) beat the one-off 2:4 path for
     * prepared weights: true where 512-bit lane permutes make them fast. The defaults below are plain loops, the
     * kernels' reference semantics.
     */
    default boolean sparsePanels() {
        return false;
    }

    /**
     * 2:4 with W in 16-row panels ({@link Sparse24Panels}), 6 tokens x 16 outputs over groups g in [g0, g1) of the
     * panel whose group g0 starts at {@code wo}: adds {@code vals[w + j] * x[x0 + t*in + 4g + pos[w + j]] +
     * vals[w + 16 + j] * x[x0 + t*in + 4g + pos[w + 16 + j]]} (w = wo + 32*(g - g0)) to {@code c[c0 + t*cs + j]},
     * t < 6, j < 16, groups in order.
     */
    default void sparsePanel6(float[] vals, int[] pos, int wo, int g0, int g1, float[] x, int x0, int in, float[] c,
                              int c0, int cs) {
        for (int t = 0; t < 6; t++) {
            sparsePanel1(vals, pos, wo, g0, g1, x, x0 + t * in, c, c0 + t * cs);
        }
    }

    /** {@link #sparsePanel6} onto a tile of Y. */
    default void sparsePanel6Y(float[] vals, int[] pos, int wo, int g0, int g1, float[] x, int x0, int in, float[] c,
                               int c0, int cs, boolean zero, float[] bias, int bo) {
        GemmDriver.openTile(zero, c, c0, 6, cs, Sparse24Panels.ROWS);
        sparsePanel6(vals, pos, wo, g0, g1, x, x0, in, c, c0, cs);
        GemmDriver.closeTile(bias != null, c, c0, 6, cs, bias, bo, Sparse24Panels.ROWS);
    }

    /** {@link #sparsePanel1} onto a row of Y. */
    default void sparsePanel1Y(float[] vals, int[] pos, int wo, int g0, int g1, float[] x, int x0, float[] c, int c0,
                               boolean zero, float[] bias, int bo) {
        GemmDriver.openTile(zero, c, c0, 1, 0, Sparse24Panels.ROWS);
        sparsePanel1(vals, pos, wo, g0, g1, x, x0, c, c0);
        GemmDriver.closeTile(bias != null, c, c0, 1, 0, bias, bo, Sparse24Panels.ROWS);
    }

    /** As {@link #sparsePanel6} for one token. */
    default void sparsePanel1(float[] vals, int[] pos, int wo, int g0, int g1, float[] x, int x0, float[] c, int c0) {
        for (int j = 0; j < Sparse24Panels.ROWS; j++) {
            float s = c[c0 + j];
            for (int g = g0, w = wo; g < g1; g++, w += 2 * Sparse24Panels.ROWS) {
                s += vals[w + j] * x[x0 + 4 * g + pos[w + j]];
                s += vals[w + Sparse24Panels.ROWS + j] * x[x0 + 4 * g + pos[w + Sparse24Panels.ROWS + j]];
            }
            c[c0 + j] = s;
        }
    }

    /** BSR: rows per microkernel call (6, then 4 for the rest of a block of 16, 32 or 64 rows). */
    int BSR_ROWS = 6;

    /**
     * BSR, 6 rows x 16 tokens over all stored blocks {@code n} in [n0, n1) of one block row: row r of the call is
     * row {@code wRow/bc + r} of each block, read at {@code w[n*bs + wRow + r*bc + k]} (k < bc, bs = blockRows*bc);
     * block n's X^T rows start at {@code xt[xo + cols[n]*bc*16]} (a dense X^T panel, NB = 16, holding all of in).
     * Adds into C^T rows {@code c[c0 + r*cs ..+16]}.
     */
    void bsr6(float[] xt, int xo, int[] cols, int n0, int n1, float[] w, int wRow, int bs, int bc, float[] c, int c0,
              int cs);

    /** As {@link #bsr6} for 4 rows. */
    void bsr4(float[] xt, int xo, int[] cols, int n0, int n1, float[] w, int wRow, int bs, int bc, float[] c, int c0,
              int cs);

    /**
     * {@link #bsr6} over two X^T panels at once (the second at {@code xo2}, same layout); C^T columns as in
     * {@link #dense6Pair}. Used where {@link #pairsPanels} is true.
     */
    default void bsr6Pair(float[] xt, int xo, int xo2, int[] cols, int n0, int n1, float[] w, int wRow, int bs, int bc,
                          float[] c, int c0, int cs) {
        bsr6(xt, xo, cols, n0, n1, w, wRow, bs, bc, c, c0, cs);
        bsr6(xt, xo2, cols, n0, n1, w, wRow, bs, bc, c, c0 + DENSE_NB, cs);
    }

    /** As {@link #bsr6Pair} for 4 rows. */
    default void bsr4Pair(float[] xt, int xo, int xo2, int[] cols, int n0, int n1, float[] w, int wRow, int bs, int bc,
                          float[] c, int c0, int cs) {
        bsr4(xt, xo, cols, n0, n1, w, wRow, bs, bc, c, c0, cs);
        bsr4(xt, xo2, cols, n0, n1, w, wRow, bs, bc, c, c0 + DENSE_NB, cs);
    }

    /**
     * BSR with W prepared ({@link BsrWeights}), 6 tokens x 16 outputs over steps {@code g} in [g0, g1) of one output
     * panel (its whole block row): writes {@code c[c0 + t*cs + j] = Σ_g x[x0 + t*in + cols[g]] * w[wo + (g - g0)*16
     * + j]}, summed from zero in step order, plus {@code bias[bo + j]} after the sum when bias is not null; t < 6,
     * j < 16 (Y in place: c is Y, cs = out). Writing rather than adding spares the driver a zeroing pass and a bias
     * pass over Y, which at density 0.1 cost about as much as the products.
     */
    void bsrPrepared6(float[] w, int wo, int[] cols, int g0, int g1, float[] x, int x0, int in, float[] c, int c0,
                      int cs, float[] bias, int bo);

    /**
     * {@link #bsrPrepared6} over two output panels of the same block row (same steps), streams at {@code wo} and
     * {@code wo2}; Y's 32 columns from {@code c0}, bias from {@code bo}. Used where {@link #pairsPanels} is true.
     */
    default void bsrPrepared6Pair(float[] w, int wo, int wo2, int[] cols, int g0, int g1, float[] x, int x0, int in,
                                  float[] c, int c0, int cs, float[] bias, int bo) {
        bsrPrepared6(w, wo, cols, g0, g1, x, x0, in, c, c0, cs, bias, bo);
        bsrPrepared6(w, wo2, cols, g0, g1, x, x0, in, c, c0 + DENSE_NB, cs, bias, bo + DENSE_NB);
    }

    /** As {@link #bsrPrepared6} for one token. */
    void bsrPrepared1(float[] w, int wo, int[] cols, int g0, int g1, float[] x, int x0, float[] c, int c0,
                      float[] bias, int bo);

    /**
     * BSR, one token, 4 rows: {@code y[yo + r] = sum over n in [n0, n1), k < bc of w[n*bs + wRow + r*bc + k] *
     * x[xo + cols[n]*bc + k]} (vectorized along bc; overwrites, no bias).
     */
    void bsrDot4(float[] x, int xo, int[] cols, int n0, int n1, float[] w, int wRow, int bs, int bc, float[] y, int yo);
}
