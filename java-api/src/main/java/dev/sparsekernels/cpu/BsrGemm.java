package dev.sparsekernels.cpu;

import java.util.Arrays;

/**
 * Block-sparse (BSR) {@code Y[tokens, out] = X[tokens, in] · W[out, in]ᵀ + b} on the CPU: Vector API microkernels
 * when available (see {@link CpuVectorization}), else plain Java. W is given as its BSR arrays (docs/formats.md,
 * {@code dev.sparsekernels.BlockSparseMatrix}); absent blocks cost nothing, so the work is proportional to the stored
 * blocks.
 *
 * <p>Many tokens: X is packed once per chunk of tokens into X^T panels of 16 tokens ({@code [panel][in][16]}, all of
 * {@code in}, zero-padded), as for the dense kernel. A task is a range of block rows (or a range of panels of one
 * heavy block row); per block row it keeps a C^T tile {@code [blockRows][tokens of its panels]} in a per-thread
 * scratch, walks the row's stored blocks in chunks of {@link #KC} inputs (so a chunk's X^T rows of one panel,
 * 16 KiB, stay in L1 while all rows of the block row pass over them, and the chunk's W stays in L2 across panels),
 * first reads the chunk's scattered X^T runs of a panel one float per cache line ({@link #touchBlocks}),
 * and calls the 6 x 16 (then 4 x 16) register-blocked microkernel, whose accumulators stay in registers across all
 * blocks of the chunk. Tasks are balanced by stored-block counts: contiguous block rows are grouped to about equal
 * cost, a block row heavier than one task's share is split over token panels, and tasks run largest first from a
 * shared counter.
 *
 * <p>Few tokens ({@code <=} {@link #DOT_MAX_TOKENS}; one token is a block-sparse GEMV): no packing, dot products of
 * W rows with X vectorized along blockCols, 4 rows per microkernel call.
 */
public final class BsrGemm {
    private BsrGemm() {}

    /** At most this many tokens use the dot-product path (a 16-token panel would be mostly padding). */
    static final int DOT_MAX_TOKENS = 8;
    /** Inputs per chunk of a block row's stored blocks: the chunk's X^T rows of one panel are KC*16*4 = 16 KiB. */
    static final int KC = 256;
    /** Tasks per thread to aim for (dynamic scheduling evens out the rest). */
    static final int TASKS_PER_THREAD = 8;

    /**
     * Computes {@code y = x · wᵀ + bias} with W [out, in] in BSR form.
     *
     * @param x             [tokens, in] row-major
     * @param tokens        >= 1 (1 is a block-sparse GEMV)
     * @param in            >= 1, a multiple of blockCols
     * @param out           >= 1, a multiple of blockRows
     * @param blockRows     16, 32 or 64
     * @param blockCols     16, 32 or 64
     * @param rowPointers   [out/blockRows + 1]: block row R holds entries rowPointers[R] .. rowPointers[R+1]-1
     * @param columnIndices [blocks]: block column of each stored block, strictly ascending within a block row
     * @param values        [blocks][blockRows][blockCols], each block row-major
     * @param bias          [out] or null
     * @param y             [tokens, out] row-major, overwritten (rows of empty block rows get the bias, or 0)
     * @param threads       >= 1; threads come from one shared pool
     * @throws IllegalArgumentException naming the argument, the expected and the actual value
     */
    public static void linear(float[] x, int tokens, int in, int out, int blockRows, int blockCols, int[] rowPointers,
                              int[] columnIndices, float[] values, float[] bias, float[] y, int threads) {
        linear(CpuVectorization.kernels(), x, tokens, in, out, blockRows, blockCols, rowPointers, columnIndices,
                values, bias, y, threads);
    }

    static void linear(CpuKernels k, float[] x, int tokens, int in, int out, int blockRows, int blockCols,
                       int[] rowPointers, int[] columnIndices, float[] values, float[] bias, float[] y, int threads) {
        Checks.positive("tokens", tokens);
        Checks.positive("threads", threads);
        Checks.bsrShapes(out, in, blockRows, blockCols, rowPointers, columnIndices, values);
        Checks.notNull("x", x);
        Checks.notNull("y", y);
        Checks.length("x", x.length, tokens, in, "tokens*in");
        Checks.length("y", y.length, tokens, out, "tokens*out");
        if (bias != null) {
            Checks.length("bias", bias.length, out, "out");
        }
        run(k, x, tokens, in, out, blockRows, blockCols, rowPointers, columnIndices, values, bias, y, threads);
    }

    /**
     * Computes {@code y = x · wᵀ + bias} with W prepared once ({@link BsrWeights}): the path for weights used more
     * than once (a model's layers, {@code BlockSparseMatrix} on the CPU backend). Same results as the one-off call on
     * the same arrays, bit for bit: every output sums its products in the same order.
     *
     * @param x       [tokens, w.inFeatures()] row-major
     * @param tokens  >= 1
     * @param w       prepared weights
     * @param bias    [w.outFeatures()] or null
     * @param y       [tokens, w.outFeatures()] row-major, overwritten
     * @param threads >= 1
     * @throws IllegalArgumentException naming the argument, the expected and the actual value
     */
    public static void linear(float[] x, int tokens, BsrWeights w, float[] bias, float[] y, int threads) {
        linear(CpuVectorization.kernels(), x, tokens, w, bias, y, threads);
    }

    static void linear(CpuKernels k, float[] x, int tokens, BsrWeights w, float[] bias, float[] y, int threads) {
        Checks.positive("tokens", tokens);
        Checks.positive("threads", threads);
        Checks.notNull("w", w);
        Checks.notNull("x", x);
        Checks.notNull("y", y);
        Checks.length("x", x.length, tokens, w.inFeatures(), "tokens*in");
        Checks.length("y", y.length, tokens, w.outFeatures(), "tokens*out");
        if (bias != null) {
            Checks.length("bias", bias.length, w.outFeatures(), "out");
        }
        BsrPreparedDriver.run(k, x, tokens, w, bias, y, threads);
    }

    static void run(CpuKernels k, float[] x, int tokens, int in, int out, int br, int bc, int[] rp, int[] cols,
                    float[] w, float[] bias, float[] y, int threads) {
        final int nbr = out / br;
        if (tokens <= DOT_MAX_TOKENS) {
            Plan plan = Plan.of(rp, nbr, 1, threads);
            CpuThreads.parallelFor(threads, plan.count, task -> {
                for (int r = plan.r0[task]; r < plan.r1[task]; r++) {
                    dotRow(k, x, tokens, in, out, br, bc, rp, cols, w, bias, y, r);
                }
            });
            return;
        }
        final int nb = CpuKernels.DENSE_NB;
        int chunk = GemmDriver.chunkTokens(tokens, in, nb);
        float[] xt = GemmDriver.packBuffer((long) GemmDriver.ceilDiv(chunk, nb) * nb * in);
        for (int t0 = 0; t0 < tokens; t0 += chunk) {
            int tc = Math.min(chunk, tokens - t0);
            int panels = GemmDriver.ceilDiv(tc, nb);
            GemmDriver.pack(x, tokens, in, t0, panels, nb, xt, CacheAligned.OFFSET, threads);
            Plan plan = Plan.of(rp, nbr, panels, threads);
            final int tBase = t0;
            CpuThreads.parallelFor(threads, plan.count, task -> {
                for (int r = plan.r0[task]; r < plan.r1[task]; r++) {
                    panelRow(k, xt, tokens, in, out, br, bc, rp, cols, w, bias, y, r, tBase, plan.p0[task],
                            plan.p1[task]);
                }
            });
        }
    }

    /**
     * Block row r over X^T panels [p0, p1) of the chunk starting at token tBase: C^T tile in a per-thread scratch,
     * the row's blocks in chunks of {@link #KC} inputs (chunk outer, so its W stays in L2 across the panels; panel,
     * then 6- and 4-row slices inner, so the chunk's X^T rows of a panel stay in L1 across the slices).
     */
    static void panelRow(CpuKernels k, float[] xt, int tokens, int in, int out, int br, int bc, int[] rp, int[] cols,
                         float[] w, float[] bias, float[] y, int r, int tBase, int p0, int p1) {
        final int nb = CpuKernels.DENSE_NB;
        int n0 = rp[r], n1 = rp[r + 1];
        int o0 = r * br;
        int tStart = tBase + p0 * nb;
        int nt = Math.min((p1 - p0) * nb, tokens - tStart);
        if (n0 == n1) {
            fill(y, tStart, nt, out, o0, br, bias);
            return;
        }
        int np = p1 - p0;
        int cs = np * nb;
        final int a0 = CacheAligned.OFFSET; // X^T panel rows (64 bytes) and C^T rows on cache-line starts
        float[] c = GemmDriver.scratch(br * cs);
        Arrays.fill(c, a0, a0 + br * cs, 0f);
        int bs = br * bc;
        int six = sixes(br);
        int perChunk = Math.max(1, KC / bc);
        for (int m0 = n0; m0 < n1; m0 += perChunk) {
            int m1 = Math.min(n1, m0 + perChunk);
            for (int p = 0; p < np; p++) {
                int xo = a0 + (p0 + p) * in * nb;
                int ca = a0 + p * nb;
                if (k.pairsPanels() && p + 1 < np) { // two panels per call: C^T's 32 columns
                    int xo2 = xo + in * nb;
                    touchBlocks(xt, xo, cols, m0, m1, bc * nb);
                    touchBlocks(xt, xo2, cols, m0, m1, bc * nb);
                    int i = 0;
                    for (int g = 0; g < six; g++, i += 6) {
                        k.bsr6Pair(xt, xo, xo2, cols, m0, m1, w, i * bc, bs, bc, c, i * cs + ca, cs);
                    }
                    for (; i < br; i += 4) {
                        k.bsr4Pair(xt, xo, xo2, cols, m0, m1, w, i * bc, bs, bc, c, i * cs + ca, cs);
                    }
                    p++;
                    continue;
                }
                touchBlocks(xt, xo, cols, m0, m1, bc * nb); // measured 8-20% faster at density 0.1
                int i = 0;
                for (int g = 0; g < six; g++, i += 6) {
                    k.bsr6(xt, xo, cols, m0, m1, w, i * bc, bs, bc, c, i * cs + ca, cs);
                }
                for (; i < br; i += 4) {
                    k.bsr4(xt, xo, cols, m0, m1, w, i * bc, bs, bc, c, i * cs + ca, cs);
                }
            }
        }
        GemmDriver.writeBack(c, a0, cs, br, tStart, nt, o0, out, bias, y);
    }

    /**
     * Reads one float per cache line of the X^T rows of blocks [m0, m1) of a panel (len floats each), in order: the
     * independent loads bring the chunk's scattered 2-8 KiB runs into cache in parallel, before the microkernels
     * walk them with their long FMA chains.
     */
    static void touchBlocks(float[] xt, int xo, int[] cols, int m0, int m1, int len) {
        float s = 0;
        for (int n = m0; n < m1; n++) {
            int from = xo + cols[n] * len;
            for (int i = from; i < from + len; i += 16) {
                s += xt[i];
            }
        }
        if (s == 1.2345f) {
            GemmDriver.sink = s;
        }
    }

    /** Number of 6-row microkernel calls per block row: the rest (a multiple of 4) goes to the 4-row kernel. */
    static int sixes(int br) {
        int g = br / 6;
        while ((br - 6 * g) % 4 != 0) {
            g--;
        }
        return g;
    }

    /** Block row r for all (few) tokens: dot products, 4 rows at a time. */
    static void dotRow(CpuKernels k, float[] x, int tokens, int in, int out, int br, int bc, int[] rp, int[] cols,
                       float[] w, float[] bias, float[] y, int r) {
        int n0 = rp[r], n1 = rp[r + 1];
        int o0 = r * br;
        if (n0 == n1) {
            fill(y, 0, tokens, out, o0, br, bias);
            return;
        }
        int bs = br * bc;
        for (int t = 0; t < tokens; t++) {
            int yo = t * out + o0;
            for (int i = 0; i < br; i += 4) {
                k.bsrDot4(x, t * in, cols, n0, n1, w, i * bc, bs, bc, y, yo + i);
            }
            if (bias != null) {
                for (int i = 0; i < br; i++) {
                    y[yo + i] += bias[o0 + i];
                }
            }
        }
    }

    /** Rows [o0, o0+rows) of tokens [t0, t0+nt): the bias (or 0), for a block row without stored blocks. */
    static void fill(float[] y, int t0, int nt, int out, int o0, int rows, float[] bias) {
        for (int t = t0; t < t0 + nt; t++) {
            int yo = t * out + o0;
            if (bias == null) {
                Arrays.fill(y, yo, yo + rows, 0f);
            } else {
                System.arraycopy(bias, o0, y, yo, rows);
            }
        }
    }

    /**
     * Work split: tasks of contiguous block rows [r0, r1) x panels [p0, p1), about equal in stored blocks, sorted
     * heaviest first (they are pulled from a shared counter, so the small ones fill the gaps at the end).
     */
    static final class Plan {
        final int count;
        final int[] r0, r1, p0, p1;

        private Plan(int count, int[] r0, int[] r1, int[] p0, int[] p1) {
            this.count = count;
            this.r0 = r0;
            this.r1 = r1;
            this.p0 = p0;
            this.p1 = p1;
        }

        /** Cost of a block row in work units: its stored blocks, plus a little for the write-back. */
        static long cost(int[] rp, int r) {
            return 8L * (rp[r + 1] - rp[r]) + 1;
        }

        static Plan of(int[] rp, int nbr, int panels, int threads) {
            if (threads == 1) {
                return new Plan(1, new int[] {0}, new int[] {nbr}, new int[] {0}, new int[] {panels});
            }
            long total = 0;
            for (int r = 0; r < nbr; r++) {
                total += cost(rp, r);
            }
            long target = Math.max(1, (total + (long) threads * TASKS_PER_THREAD - 1) / ((long) threads
                    * TASKS_PER_THREAD));
            int cap = 2 * nbr + threads * TASKS_PER_THREAD + 2; // flushes + pieces of heavy rows
            int[] r0 = new int[cap], r1 = new int[cap], p0 = new int[cap], p1 = new int[cap];
            long[] costs = new long[cap];
            int n = 0;
            int start = 0;
            long acc = 0;
            for (int r = 0; r < nbr; r++) {
                long c = cost(rp, r);
                if (c >= target && panels > 1) {
                    if (r > start) { // flush the lighter rows before it
                        r0[n] = start; r1[n] = r; p0[n] = 0; p1[n] = panels; costs[n++] = acc;
                    }
                    int pieces = (int) Math.min(panels, (c + target - 1) / target);
                    int per = GemmDriver.ceilDiv(panels, pieces);
                    for (int p = 0; p < panels; p += per) {
                        int q = Math.min(panels, p + per);
                        r0[n] = r; r1[n] = r + 1; p0[n] = p; p1[n] = q; costs[n++] = c * (q - p) / panels;
                    }
                    start = r + 1;
                    acc = 0;
                    continue;
                }
                acc += c;
                if (acc >= target) {
                    r0[n] = start; r1[n] = r + 1; p0[n] = 0; p1[n] = panels; costs[n++] = acc;
                    start = r + 1;
                    acc = 0;
                }
            }
            if (start < nbr) {
                r0[n] = start; r1[n] = nbr; p0[n] = 0; p1[n] = panels; costs[n++] = acc;
            }
            // heaviest first
            Integer[] order = new Integer[n];
            for (int i = 0; i < n; i++) {
                order[i] = i;
            }
            Arrays.sort(order, (a, b) -> Long.compare(costs[b], costs[a]));
            int[] sr0 = new int[n], sr1 = new int[n], sp0 = new int[n], sp1 = new int[n];
            for (int i = 0; i < n; i++) {
                int j = order[i];
                sr0[i] = r0[j];
                sr1[i] = r1[j];
                sp0[i] = p0[j];
                sp1[i] = p1[j];
            }
            return new Plan(n, sr0, sr1, sp0, sp1);
        }
    }
}
