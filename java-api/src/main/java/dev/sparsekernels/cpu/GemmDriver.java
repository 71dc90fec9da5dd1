package dev.sparsekernels.cpu;

/**
 * Blocking, packing and threading around the {@link CpuKernels} microkernels (both implementations share it).
 *
 * <p>Many tokens: tokens are cut into chunks (dense: about {@link #DENSE_CHUNK_FLOATS} of X^T each, split
 * evenly); each chunk's X is packed once (in parallel) into X^T panels of NB tokens ({@code [panel][in][NB]},
 * zero-padded). Tasks are (block of up to {@code MC} output rows) x (range of panels); each task keeps a C^T
 * tile {@code [rows][tokens of its panels]} in a per-thread scratch buffer, loops over K blocks (so the X^T
 * sub-panel {@code [KC][NB]} of about 24 KiB stays in L1 while all rows of the block stream past it, and the W
 * block of the rows stays in L2), calls the register-blocked microkernels, then writes {@code Y = C + bias} back
 * in the row-major [tokens, out] layout.
 *
 * <p>2:4 with many tokens differs: X is packed per chunk of up to 6 panels of 96 tokens into X^T sub-panels
 * {@code [K block of 64][panel][64][96]} (24 KiB each). A task owns up to 1024 output rows (threads split over rows,
 * so each reads its own slice of W, once per chunk) and loops K block, then panel, then row: the sub-panel is
 * streamed into L1 once and serves all rows of the task, the W block of the rows (rows x 32 kept x 8 bytes) stays in
 * L2 across the panels, and the 1 x 96 microkernel keeps a C^T row segment in 12 registers over the block. Its
 * sub-panel rows and C^T rows start on cache lines ({@link CacheAligned}): its 12 vector loads per kept weight made
 * line splits cost about a third of the time.
 *
 * <p>Few tokens: dense uses dot products vectorized over {@code in} (no packing; tokens = 1 is a memory-bound GEMV);
 * 2:4 with one token decodes the index nibbles directly (vectorized: {@link CpuKernels#sparseGemvBlock}); from two
 * tokens on 2:4 takes the many-token path (its last panel narrower than 96): measured faster at every count than the
 * 8-token-panel path it replaced, 2-24 tokens 7.3-15.6 ms against 11.7-26.4 ms at 4096 x 4096 (2 threads).
 */
final class GemmDriver {
    private GemmDriver() {}

    /** Dense: at most this many tokens use the dot-product path ... */
    static final int DENSE_DOT_MAX_TOKENS = 8;
    /**
     * ... and past 4 tokens only while W has at most this many floats. The dot path passes over W once per 4 tokens
     * and once per token left over: from cache for a small W, from memory for a large one, where 5-8 tokens took
     * 1.2-1.5x the packed path's time for 9-16 (session 18's cliff scan: 7 tokens 4.8-5.4 ms against 3.5 for 16 at
     * 4096 x 4096, 1.0-1.2 against 0.8-0.9 ms for 9 at 1024 x 4096; at 1024 x 1024 the dot path stays ahead).
     */
    static final long DENSE_DOT_MAX_W_FLOATS = 2L << 20;

    /** Whether a dense call of this many tokens takes the dot-product path (with in x out floats of W). */
    static boolean denseDot(int tokens, int in, int out) {
        return tokens <= 4 || (tokens <= DENSE_DOT_MAX_TOKENS && (long) in * out <= DENSE_DOT_MAX_W_FLOATS);
    }
    /** Rows per task (at most). */
    static final int MC = 60;
    /**
     * K block (inputs) for dense and 2:4 panels: X^T sub-panel KC*NB*4 bytes = 24 KiB. Where the kernels walk panels
     * in pairs ({@link CpuKernels#pairsPanels}) two sub-panels are 48 KiB, the L1 of the Zen 5 cores measured; a
     * separate K block of half this (both in 24 KiB) was 0-7% slower there, so pairs use it too. The prepared dense
     * path walks three panels at a time there (72 KiB of sub-panels): K blocks of 256 and 192 were no faster.
     */
    static final int DENSE_KC = 384;
    static final int SPARSE_KC = Sparse24Weights.K_BLOCK;
    /**
     * 2:4 many tokens: rows per task (at most). Each (K block, panel) X^T sub-panel is pulled into L1 once per task
     * and then serves all its rows, so big tasks win even though their C^T tile (rows x chunk tokens) leaves L2:
     * measured on one core, 480 tokens, 4096x4096: 64 rows 76-93, 256 rows 97-99, 1024 rows 101-103 GFLOPS.
     */
    static final int SPARSE_MC = 1024;
    /** 2:4 many tokens: panels (of 96 tokens) per chunk; X is packed per chunk and W streams once per chunk. */
    static final int SPARSE_CHUNK_PANELS = 6;

    /** Target size of one chunk's packed X^T, in floats (32 MiB). */
    static final int CHUNK_FLOATS = 8 << 20;
    /**
     * Dense: target size of one chunk's packed X^T, in floats (4 MiB: 256 tokens at in = 4096), so the chunk stays in
     * L3 while every row task streams it and a task's C^T tile (MC x chunk tokens, 60 KiB) stays in L2. Measured on
     * 2 cores, 4096 x 4096: 2048 tokens in one chunk (32 MiB X^T, 480 KiB C^T tiles) 750-820 ms, in 256-token
     * chunks 400-410 ms; 512 tokens 141-185 ms in one chunk, 100 ms in two (512-token chunks: 115 ms).
     */
    static final int DENSE_CHUNK_FLOATS = 1 << 20;

    private static final ThreadLocal<java.lang.ref.SoftReference<float[]>> SCRATCH = new ThreadLocal<>();

    /**
     * The calling thread's scratch with room for n floats from {@link CacheAligned#OFFSET} on (callers that care
     * about cache-line placement start there, others at 0). Held softly, as the packing buffer: every thread that
     * runs kernel tasks keeps at least half a G1 region (2 MiB by default), which an application with many calling
     * threads must be able to get back under memory pressure.
     */
    static float[] scratch(int n) {
        java.lang.ref.SoftReference<float[]> ref = SCRATCH.get();
        float[] s = ref == null ? null : ref.get();
        if (s == null || s.length < (long) n + CacheAligned.OFFSET) {
            s = CacheAligned.allocate(n);
            SCRATCH.set(new java.lang.ref.SoftReference<>(s));
        }
        return s;
    }

    // ------------------------------------------------------------------------------------------------ dense

    static void dense(CpuKernels k, float[] x, int tokens, int in, float[] w, int out, float[] bias, float[] y,
                      int threads) {
        final int nb = CpuKernels.DENSE_NB;
        boolean dot = denseDot(tokens, in, out);
        if (dot || (long) nb * in > CHUNK_FLOATS * 8L) {
            int rowsPer = rowsPerTask(out, threads, 4, dot ? 16 : 4);
            int tasks = ceilDiv(out, rowsPer);
            CpuThreads.parallelFor(threads, tasks, b -> {
                int o0 = b * rowsPer;
                k.denseDot(x, tokens, in, w, out, o0, Math.min(out, o0 + rowsPer), bias, y);
            });
            return;
        }
        int chunk = denseChunkTokens(tokens, in, nb);
        float[] xt = packBuffer((long) ceilDiv(chunk, nb) * nb * in);
        for (int t0 = 0; t0 < tokens; t0 += chunk) {
            int tc = Math.min(chunk, tokens - t0);
            int panels = ceilDiv(tc, nb);
            pack(x, tokens, in, t0, panels, nb, xt, threads);
            Tasks tk = new Tasks(out, panels, threads, CpuKernels.DENSE_ROWS, MC);
            final int tBase = t0;
            CpuThreads.parallelFor(threads, tk.count(), task -> {
                int o0 = tk.row0(task), rows = tk.rows(task), p0 = tk.panel0(task), np = tk.panels(task);
                int cs = np * nb;
                float[] c = scratch(rows * cs);
                java.util.Arrays.fill(c, 0, rows * cs, 0f);
                final boolean pairs = k.pairsPanels();
                for (int k0 = 0; k0 < in; k0 += DENSE_KC) {
                    int kLen = Math.min(DENSE_KC, in - k0);
                    for (int p = 0; p < np; p++) {
                        int xo = (p0 + p) * in * nb + k0 * nb;
                        if (pairs && p + 1 < np) { // two token panels: C^T's 32 columns
                            int r = 0;
                            for (; r + 6 <= rows; r += 6) {
                                k.dense6Pair(xt, xo, xo + in * nb, w, (o0 + r) * in + k0, in, kLen, c,
                                        r * cs + p * nb, cs);
                            }
                            for (; r < rows; r++) {
                                k.dense1(xt, xo, w, (o0 + r) * in + k0, kLen, c, r * cs + p * nb);
                                k.dense1(xt, xo + in * nb, w, (o0 + r) * in + k0, kLen, c, r * cs + p * nb + nb);
                            }
                            p++;
                            continue;
                        }
                        int r = 0;
                        for (; r + 6 <= rows; r += 6) {
                            k.dense6(xt, xo, w, (o0 + r) * in + k0, in, kLen, c, r * cs + p * nb, cs);
                        }
                        for (; r < rows; r++) {
                            k.dense1(xt, xo, w, (o0 + r) * in + k0, kLen, c, r * cs + p * nb);
                        }
                    }
                }
                writeBack(c, cs, rows, tBase + p0 * nb, Math.min(np * nb, tokens - tBase - p0 * nb), o0, out, bias, y);
            });
        }
    }


    /** Dense with W prepared ({@link DenseWeights}): tokens per task (measured: 48 beat 96 and 192 on MiniLM). */
    static final int PREPARED_MC = 48;

    /**
     * Dense, W prepared as Wᵀ panels {@code [panel][in][16]}: the roles of the one-off path swapped. Tasks are
     * (block of up to {@link #PREPARED_MC} tokens) x (range of output panels); Y's tile is first zeroed, then
     * per K block and panel the 6 x 16 microkernel broadcasts six X rows (read in place) against the panel's
     * [KC][16] sub-panel and accumulates [6 tokens][16 outputs] of Y directly. The X rows of a task (48 x KC floats,
     * 72 KiB) stay in L2 across the panels; a panel's sub-panel (24 KiB) in L1 across the token rows. A last panel
     * narrower than 16 outputs goes through a small scratch tile, so nothing is written past a row of Y. The bias is
     * added last. Results differ from the one-off path's only in summation order: remainder tokens here (remainder
     * outputs there) go through the 1-row kernel, which splits its sum over two accumulators.
     */
    static void densePrepared(CpuKernels k, float[] x, int tokens, int in, float[] wp, int out, float[] bias,
                              float[] y, int threads) {
        final int nb = CpuKernels.DENSE_NB;
        final int fullPanels = out / nb;
        final boolean pairs = k.pairsPanels();
        final boolean eight = k.eightRowTriples();
        preparedTiles(tokens, out, nb, threads, y, bias, (t0, rows, p0, p1, c) -> {
            int full1 = Math.min(p1, fullPanels);  // panels [p0, full1) write Y in place
            for (int k0 = 0; k0 < in; k0 += DENSE_KC) {
                int kLen = Math.min(DENSE_KC, in - k0);
                boolean first = k0 == 0;
                boolean last = k0 + kLen == in;
                for (int p = p0; p < p1; p++) {
                    int wo = p * in * nb + k0 * nb;
                    // Three full panels where pairs pay (512 bits): 18 FMAs per 9 loads against 12 per 8, about 9%
                    // faster on MiniLM's shapes (DensePreparedProbe, session 14); the last one or two go as below.
                    if (pairs && p + 2 < full1) {
                        int r = 0;
                        for (; eight && r + 8 <= rows; r += 8) {
                            int d0 = (t0 + r) * out + p * nb;
                            k.dense8TripleY(wp, wo, wo + in * nb, wo + 2 * in * nb, x, (t0 + r) * in + k0, in, kLen,
                                    y, d0, out, first, first ? bias : null, p * nb);
                        }
                        for (; r + 6 <= rows; r += 6) {
                            int d0 = (t0 + r) * out + p * nb;
                            k.dense6TripleY(wp, wo, wo + in * nb, wo + 2 * in * nb, x, (t0 + r) * in + k0, in, kLen,
                                    y, d0, out, first, first ? bias : null, p * nb); // bias first: see dense6x3
                        }
                        for (; r < rows; r++) {
                            int d0 = (t0 + r) * out + p * nb;
                            for (int j = 0; j < 3; j++) {
                                k.dense1Y(wp, wo + j * in * nb, x, (t0 + r) * in + k0, kLen, y, d0 + j * nb, first,
                                        last ? bias : null, p * nb + j * nb);
                            }
                        }
                        p += 2;
                        continue;
                    }
                    if (pairs && p + 1 < full1) { // two full panels: Y's 32 columns in place
                        int r = 0;
                        for (; r + 6 <= rows; r += 6) {
                            int d0 = (t0 + r) * out + p * nb;
                            k.dense6PairY(wp, wo, wo + in * nb, x, (t0 + r) * in + k0, in, kLen, y, d0, out, first,
                                    first ? bias : null, p * nb); // bias first: see dense6x2
                        }
                        for (; r < rows; r++) {
                            int d0 = (t0 + r) * out + p * nb;
                            float[] b = last ? bias : null;
                            k.dense1Y(wp, wo, x, (t0 + r) * in + k0, kLen, y, d0, first, b, p * nb);
                            k.dense1Y(wp, wo + in * nb, x, (t0 + r) * in + k0, kLen, y, d0 + nb, first, b,
                                    p * nb + nb);
                        }
                        p++;
                        continue;
                    }
                    // a narrower last panel goes to the task's scratch tile: zeroed already, its bias added on copy
                    boolean direct = p < fullPanels;
                    float[] dst = direct ? y : c;
                    int stride = direct ? out : nb;
                    boolean zero = first && direct;
                    float[] b = last && direct ? bias : null;
                    int r = 0;
                    for (; r + 6 <= rows; r += 6) {
                        int d0 = direct ? (t0 + r) * out + p * nb : r * nb;
                        k.dense6Y(wp, wo, x, (t0 + r) * in + k0, in, kLen, dst, d0, stride, zero, b, p * nb);
                    }
                    for (; r < rows; r++) {
                        int d0 = direct ? (t0 + r) * out + p * nb : r * nb;
                        k.dense1Y(wp, wo, x, (t0 + r) * in + k0, kLen, dst, d0, zero, b, p * nb);
                    }
                }
            }
        });
    }

    /** The work of one prepared-path task: tokens [t0, t0 + rows), output panels [p0, p1). */
    @FunctionalInterface
    interface TileTask {
        /** c: a zeroed scratch tile [rows][nb] for the last, narrower panel when [p0, p1) holds it, else null. */
        void run(int t0, int rows, int p0, int p1, float[] c);
    }

    /**
     * The tasks and tiles of the prepared paths (W in panels of nb outputs, Y written in place): tasks are (block of
     * up to {@link #PREPARED_MC} tokens) x (range of output panels, several ranges only when there are too few token
     * blocks for the threads). The body has each tile of Y start from zeros in its first K block and take the bias
     * in its last (the kernels' {@code ...Y} calls; the two- and three-panel kernels take it in their first); after the task a narrower last panel is copied from its scratch
     * tile with the bias, so nothing is written past a row of Y.
     */
    static void preparedTiles(int tokens, int out, int nb, int threads, float[] y, float[] bias, TileTask body) {
        final int panels = ceilDiv(out, nb);
        final int fullPanels = out / nb;
        int tokBlocks = ceilDiv(tokens, PREPARED_MC);
        int split = tokBlocks >= 2 * threads ? 1 : Math.min(panels, ceilDiv(2 * threads, tokBlocks));
        int perGroup = ceilDiv(panels, split);
        int groupCount = ceilDiv(panels, perGroup);
        CpuThreads.parallelFor(threads, tokBlocks * groupCount, task -> {
            int t0 = (task % tokBlocks) * PREPARED_MC;
            int rows = Math.min(PREPARED_MC, tokens - t0);
            int p0 = (task / tokBlocks) * perGroup;
            int p1 = Math.min(panels, p0 + perGroup);
            boolean tail = p1 > fullPanels;
            float[] c = tail ? scratch(rows * nb) : null;
            if (tail) {
                java.util.Arrays.fill(c, 0, rows * nb, 0f);
            }
            body.run(t0, rows, p0, p1, c);
            if (tail) {
                copyTail(c, nb, y, t0, rows, out, fullPanels * nb, bias);
            }
        });
    }

    /** Zeroes a tile of Y (rows rows of width floats from d0, stride apart) when first: the kernels' default. */
    static void openTile(boolean first, float[] y, int d0, int rows, int stride, int width) {
        if (!first) {
            return;
        }
        for (int r = 0, o = d0; r < rows; r++, o += stride) {
            java.util.Arrays.fill(y, o, o + width, 0f);
        }
    }

    /** Adds bias[o0 ..+width) to a tile of Y when last: the kernels' default. */
    static void closeTile(boolean last, float[] y, int d0, int rows, int stride, float[] bias, int o0, int width) {
        if (!last || bias == null) {
            return;
        }
        for (int r = 0, o = d0; r < rows; r++, o += stride) {
            for (int j = 0; j < width; j++) {
                y[o + j] += bias[o0 + j];
            }
        }
    }

    /** Y's last, narrower panel (columns o0 ..out) from a scratch tile of rows nb floats apart, plus the bias. */
    static void copyTail(float[] c, int nb, float[] y, int t0, int rows, int out, int o0, float[] bias) {
        int width = out - o0;
        for (int r = 0; r < rows; r++) {
            int yo = (t0 + r) * out + o0;
            for (int j = 0; j < width; j++) {
                y[yo + j] = c[r * nb + j] + (bias == null ? 0f : bias[o0 + j]);
            }
        }
    }

    /**
     * 2:4 with W prepared in 16-row panels ({@link Sparse24Panels}): the dense prepared path's tasks and tiles (Y in
     * place, X read where it lies), the 2:4 panel kernels inside, over K blocks of {@link #DENSE_KC} inputs.
     */
    static void sparse24Panels(CpuKernels k, float[] x, int tokens, Sparse24Panels sp, float[] bias, float[] y,
                               int threads) {
        final int nb = Sparse24Panels.ROWS;
        final int in = sp.in(), out = sp.out();
        final int groups = in / 4;
        final int kcGroups = DENSE_KC / 4;
        final int fullPanels = out / nb;
        final float[] vals = sp.values();
        final int[] pos = sp.positions();
        preparedTiles(tokens, out, nb, threads, y, bias, (t0, rows, p0, p1, c) -> {
            for (int q0 = 0; q0 < groups; q0 += kcGroups) {
                int q1 = Math.min(groups, q0 + kcGroups);
                boolean first = q0 == 0;
                boolean last = q1 == groups;
                for (int p = p0; p < p1; p++) {
                    int wo = sp.start(p, q0);
                    boolean direct = p < fullPanels;
                    float[] dst = direct ? y : c;
                    int stride = direct ? out : nb;
                    boolean zero = first && direct;
                    float[] b = last && direct ? bias : null;
                    int r = 0;
                    for (; r + 6 <= rows; r += 6) {
                        int d0 = direct ? (t0 + r) * out + p * nb : r * nb;
                        k.sparsePanel6Y(vals, pos, wo, q0, q1, x, (t0 + r) * in, in, dst, d0, stride, zero, b,
                                p * nb);
                    }
                    for (; r < rows; r++) {
                        int d0 = direct ? (t0 + r) * out + p * nb : r * nb;
                        k.sparsePanel1Y(vals, pos, wo, q0, q1, x, (t0 + r) * in, dst, d0, zero, b, p * nb);
                    }
                }
            }
        });
    }

    // ------------------------------------------------------------------------------------------------ 2:4

    static void sparse24(CpuKernels k, float[] x, int tokens, int in, Sparse24Weights sw, float[] bias, float[] y,
                         int threads) {
        int out = sw.out();
        final float[] vals = sw.valuesArray();
        final int[] cols = sw.columnsArray();
        final int half = in / 2;
        if (tokens == 1) {
            final byte[] idx = sw.indicesArray();
            int rowsPer = rowsPerTask(out, threads, 4, 256); // 256 rows: 8 KiB sequential runs of W per K block (16 rows: 2.5-2.7 ms, 256: 1.5 ms at 4096x4096)
            CpuThreads.parallelFor(threads, ceilDiv(out, rowsPer), b -> {
                int o0 = b * rowsPer;
                sparseGemv(k, x, in, vals, idx, out, o0, Math.min(out, o0 + rowsPer), bias, y);
            });
            return;
        }
        if (tokens == 2) {
            // Two passes of the one-token path (2-bit indices, half the bytes of the panels' int columns) beat one
            // pass of the panel path, whose cost is flat from 2 to 16 tokens: 2 tokens took 2-3x one (session 18's
            // cliff scan, 1024 x 4096)
            float[] xt = new float[in];
            float[] yt = new float[out];
            for (int t = 0; t < 2; t++) {
                System.arraycopy(x, t * in, xt, 0, in);
                sparse24(k, xt, 1, in, sw, bias, yt, threads);
                System.arraycopy(yt, 0, y, t * out, out);
            }
            return;
        }
        final int nb = CpuKernels.SPARSE_NB;
        final int kc = SPARSE_KC;
        final int kBlocks = ceilDiv(in, kc);
        final int allPanels = ceilDiv(tokens, nb);
        // chunks of at most SPARSE_CHUNK_PANELS panels, balanced
        final int chunks = ceilDiv(allPanels, SPARSE_CHUNK_PANELS);
        final int chunkPanels = ceilDiv(allPanels, chunks);
        float[] xt = packBuffer((long) chunkPanels * kBlocks * kc * nb);
        final int a0 = CacheAligned.OFFSET; // X^T sub-panel rows (384 bytes) and C^T rows (cs*4 bytes) on line starts
        for (int pc0 = 0; pc0 < allPanels; pc0 += chunkPanels) {
            final int panels = Math.min(chunkPanels, allPanels - pc0);
            final int t0 = pc0 * nb;
            final int tc = Math.min(panels * nb, tokens - t0);
            // X^T sub-panels [kBlock][panel][kc][nb]: one 24 KiB sub-panel per (K block, panel)
            CpuThreads.parallelFor(threads, panels * kBlocks, q -> {
                int p = q % panels, kb = q / panels;
                packSparse(x, tokens, in, t0 + p * nb, kb * kc, xt, a0 + (kb * panels + p) * kc * nb);
            });
            Tasks tk = new Tasks(out, panels, threads, 1, SPARSE_MC);
            CpuThreads.parallelFor(threads, tk.count(), task -> {
                int o0 = tk.row0(task), rows = tk.rows(task), p0 = tk.panel0(task), np = tk.panels(task);
                int cs = np * nb;
                int tTask = Math.min(cs, tc - p0 * nb); // tokens of this task
                int lastVecs = sparseWidth(ceilDiv(tTask - (np - 1) * nb, 8)); // 8-token vectors of its last panel
                float[] c = scratch(rows * cs);
                java.util.Arrays.fill(c, a0, a0 + rows * cs, 0f);
                for (int kb = 0; kb < kBlocks; kb++) {
                    int k0 = kb * kc;
                    int n = Math.min(kc, in - k0) / 2;
                    int eBlock = out * (k0 / 2); // K-block-major layout: row o's elements start at eBlock + o*n
                    for (int p = 0; p < np; p++) {
                        int xb = a0 + (kb * panels + p0 + p) * kc * nb;
                        int vecs = p == np - 1 ? lastVecs : nb / 8;
                        int e = eBlock + o0 * n;
                        int ca = a0 + p * nb;
                        touch(xt, xb, 2 * n * nb); // sequential read first: the prefetcher streams it in
                        if (vecs == nb / 8) {
                            for (int r = 0; r < rows; r++, e += n, ca += cs) {
                                k.sparse12(xt, xb, vals, cols, e, n, c, ca);
                            }
                        } else {
                            for (int r = 0; r < rows; r++, e += n, ca += cs) {
                                k.sparseNarrow(xt, xb, vals, cols, e, n, c, ca, vecs);
                            }
                        }
                    }
                }
                writeBack(c, a0, cs, rows, t0 + p0 * nb, tTask, o0, out, bias, y);
            });
        }
    }

    /**
     * The 8-token vectors the 2:4 kernels run for a last panel of {@code vecs} real ones: rounded up to one kernel's
     * width (2, 4, 8 or the whole 12). The narrow kernels come in those widths, and a width between took one pass over
     * the row's kept elements per piece (56 tokens: 32 + 16 + 8, 1.6-1.9x the time of 64 in session 18's cliff scan).
     * The extra lanes read X^T columns past the last token, which packSparse leaves as they are and writeBack never
     * copies (one vector stays one: the 256-bit 8-token kernel is as fast as the 16-wide one there).
     */
    static int sparseWidth(int vecs) {
        return vecs <= 2 ? vecs : vecs <= 4 ? 4 : vecs <= 8 ? 8 : CpuKernels.SPARSE_NB / 8;
    }

    /**
     * Packs the X^T sub-panel of tokens [tStart, tStart+96) x inputs [k0, k0+kc) at xt[base ..]: row kk (input
     * k0+kk) holds the tokens at base + kk*96. Columns past the last token are zeroed: they only feed C^T columns
     * that are never written back (sparseWidth runs kernels over some of them), and zeros keep stale values, NaN or
     * subnormal, out of that arithmetic.
     */
    static void packSparse(float[] x, int tokens, int in, int tStart, int k0, float[] xt, int base) {
        final int nb = CpuKernels.SPARSE_NB;
        int nt = Math.min(nb, tokens - tStart);
        int kLen = Math.min(SPARSE_KC, in - k0);
        for (int j = 0; j < nt; j++) {
            int xo = (tStart + j) * in + k0;
            int d = base + j;
            for (int kk = 0; kk < kLen; kk++, d += nb) {
                xt[d] = x[xo + kk];
            }
        }
        if (nt < nb) {
            for (int kk = 0, d = base; kk < kLen; kk++, d += nb) {
                java.util.Arrays.fill(xt, d + nt, d + nb, 0f);
            }
        }
    }

    private static final ThreadLocal<java.lang.ref.SoftReference<float[]>> PACK = new ThreadLocal<>();

    /**
     * The calling thread's packing buffer (kept softly between calls: allocating and zeroing MBs costs ms), with room
     * for n floats from {@link CacheAligned#OFFSET} on.
     */
    static float[] packBuffer(long n) {
        if (n > Integer.MAX_VALUE - 64) {
            throw new IllegalArgumentException("x: packed size " + n + " floats exceeds an array");
        }
        java.lang.ref.SoftReference<float[]> ref = PACK.get();
        float[] b = ref == null ? null : ref.get();
        if (b == null || b.length < n + CacheAligned.OFFSET) {
            b = CacheAligned.allocate(n);
            PACK.set(new java.lang.ref.SoftReference<>(b));
        }
        return b;
    }

    /**
     * One token, rows [o0, o1): K blocks outer so W (K-block-major) streams sequentially; positions decoded from the
     * index nibbles (reads values + nibbles only, no per-element columns), 8 partial sums per row in a scratch.
     */
    static void sparseGemv(CpuKernels k, float[] x, int in, float[] vals, byte[] idx, int out, int o0, int o1,
                           float[] bias, float[] y) {
        int rowBytes = (in + 7) / 8;
        float[] acc = scratch((o1 - o0) * 8);
        java.util.Arrays.fill(acc, 0, (o1 - o0) * 8, 0f);
        for (int k0 = 0; k0 < in; k0 += SPARSE_KC) {
            int n = Math.min(SPARSE_KC, in - k0) / 2;
            k.sparseGemvBlock(x, k0, vals, out * (k0 / 2), n, idx, rowBytes, o0, o1, acc);
        }
        for (int o = o0; o < o1; o++) {
            int a = (o - o0) * 8;
            float s = ((acc[a] + acc[a + 1]) + (acc[a + 2] + acc[a + 3])) + ((acc[a + 4] + acc[a + 5])
                    + (acc[a + 6] + acc[a + 7]));
            y[o] = bias == null ? s : s + bias[o];
        }
    }

    /** Dot of one row's elements in one K block (groups = n/2 groups of 4 inputs starting at input k0). */
    static float sparseDotBlock(float[] x, int k0, float[] vals, int e, byte[] idx, int io, int groups) {
        float s0 = 0, s1 = 0, s2 = 0, s3 = 0;
        int g = 0;
        for (; g + 2 <= groups; g += 2) {
            int b = idx[io + (g >>> 1)];
            int kx = k0 + 4 * g;
            s0 += vals[e] * x[kx + (b & 3)];
            s1 += vals[e + 1] * x[kx + ((b >> 2) & 3)];
            s2 += vals[e + 2] * x[kx + 4 + ((b >> 4) & 3)];
            s3 += vals[e + 3] * x[kx + 4 + ((b >> 6) & 3)];
            e += 4;
        }
        if (g < groups) {
            int b = idx[io + (g >>> 1)];
            int kx = k0 + 4 * g;
            s0 += vals[e] * x[kx + (b & 3)];
            s1 += vals[e + 1] * x[kx + ((b >> 2) & 3)];
        }
        return (s0 + s1) + (s2 + s3);
    }

    // ------------------------------------------------------------------------------------------------ helpers

    static volatile float sink;

    /**
     * Reads one float per cache line of xt[from, from+len) in order: the hardware prefetcher then streams the
     * X^T sub-panel into cache before the kernels hit its rows in data-dependent order (measured +5-10% on 2:4).
     */
    static void touch(float[] xt, int from, int len) {
        float s = 0;
        for (int i = from; i < from + len; i += 16) {
            s += xt[i];
        }
        if (s == 1.2345f) {
            sink = s;
        }
    }

    /** Tasks = row blocks x panel ranges; panel ranges only split when there are too few row blocks. */
    static final class Tasks {
        final int out, rowsPer, rowBlocks, panels, panelGroups, panelsPer;

        Tasks(int out, int panels, int threads, int align, int maxRows) {
            this.out = out;
            this.panels = panels;
            this.rowsPer = rowsPerTask(out, threads, align, maxRows);
            this.rowBlocks = ceilDiv(out, rowsPer);
            int groups = rowBlocks >= 2 * threads ? 1 : Math.min(panels, ceilDiv(2 * threads, rowBlocks));
            this.panelsPer = ceilDiv(panels, groups);
            this.panelGroups = ceilDiv(panels, panelsPer);
        }

        int count() {
            return rowBlocks * panelGroups;
        }

        int row0(int task) {
            return (task % rowBlocks) * rowsPer;
        }

        int rows(int task) {
            return Math.min(rowsPer, out - row0(task));
        }

        int panel0(int task) {
            return (task / rowBlocks) * panelsPer;
        }

        int panels(int task) {
            return Math.min(panelsPer, panels - panel0(task));
        }
    }

    /** Rows per task: at most max, a multiple of align, and small enough to give every thread work. */
    static int rowsPerTask(int out, int threads, int align, int max) {
        int even = ceilDiv(ceilDiv(out, threads), align) * align;
        return Math.max(align, Math.min(max, even));
    }

    /**
     * Dense tokens per chunk: X^T of a chunk about {@link #DENSE_CHUNK_FLOATS} (so it stays in L3 while every row
     * task streams it, and a task's C^T tile, MC x chunk, stays in L2), the tokens split evenly over the chunks.
     */
    static int denseChunkTokens(int tokens, int in, int nb) {
        int panels = ceilDiv(tokens, nb);
        long fit = Math.max(1L, DENSE_CHUNK_FLOATS / ((long) nb * in));
        int chunks = (int) Math.max(1L, (panels + fit - 1) / fit);
        return ceilDiv(panels, chunks) * nb;
    }

    static int chunkTokens(int tokens, int in, int nb) {
        long panelsFit = Math.max(1L, CHUNK_FLOATS / ((long) nb * in));
        long chunk = panelsFit * nb;
        return (int) Math.min(chunk, ceilDiv(tokens, nb) * (long) nb);
    }

    static int ceilDiv(int a, int b) {
        return (a + b - 1) / b;
    }

    /** Packs panels [0, panels) of the chunk starting at token t0 into xt ([panel][in][nb], zero-padded). */
    static void pack(float[] x, int tokens, int in, int t0, int panels, int nb, float[] xt, int threads) {
        pack(x, tokens, in, t0, panels, nb, xt, 0, threads);
    }

    /** As above with panel p at xt[base + p*in*nb]. */
    static void pack(float[] x, int tokens, int in, int t0, int panels, int nb, float[] xt, int base, int threads) {
        CpuThreads.parallelFor(threads, panels,
                p -> packPanel(x, tokens, in, t0 + p * nb, nb, xt, base + p * in * nb));
    }

    static void packPanel(float[] x, int tokens, int in, int tStart, int nb, float[] xt, int base) {
        int nt = Math.min(nb, tokens - tStart);
        final int kb = 64;
        for (int k0 = 0; k0 < in; k0 += kb) {
            int k1 = Math.min(in, k0 + kb);
            for (int j = 0; j < nt; j++) {
                int xo = (tStart + j) * in;
                for (int k = k0; k < k1; k++) {
                    xt[base + k * nb + j] = x[xo + k];
                }
            }
            for (int j = nt; j < nb; j++) {
                for (int k = k0; k < k1; k++) {
                    xt[base + k * nb + j] = 0f;
                }
            }
        }
    }

    /** Tokens per block of {@link #writeBack}: one cache line of a C^T row, and 16 rows of Y that stay in L1. */
    static final int WRITE_BACK_TOKENS = 16;

    /**
     * Y[tStart + t][o0 + r] = C^T[r][t] (+ bias[o0 + r]) for r < rows, t < nt. Blocked by 16 tokens (one line of each
     * C^T row) and by {@link #writeBackRows} rows: within a block, token by token, the block's rows are written as one
     * contiguous run of a Y row while their C^T lines stay in L1 for the block's 16 tokens. Measured against the
     * previous order (row by row, 16 strided writes into 16 Y rows each) on one core: 4096 rows x 512 tokens (2:4 at
     * 512 tokens) 13.7 -> 4.8 ms; with C^T rows 4 KiB multiples apart (cs 1024 or 2048) 23-28 -> 9-13 ms; MiniLM's 384
     * rows x 2048 tokens 1.1-1.3 -> 0.7-1.0 ms. (An order token by token over all rows, before both, had C^T lines
     * cs floats apart evict each other from one L1 set when cs*4 is a multiple of 4 KiB: hence the row blocks, and
     * smaller ones in that case.) Same values, written in another order.
     */
    static void writeBack(float[] c, int cs, int rows, int tStart, int nt, int o0, int out, float[] bias, float[] y) {
        writeBack(c, 0, cs, rows, tStart, nt, o0, out, bias, y);
    }

    /**
     * Rows per block of {@link #writeBack}: 64 (64 C^T lines in L1), or 8 when C^T rows are a multiple of 4 KiB apart
     * and all their lines fall into one 8-way L1 set (measured 9.1-11.0 against 11.6-11.7 ms with 64 there).
     */
    static int writeBackRows(int cs) {
        return cs % 1024 == 0 ? 8 : 64;
    }

    /** As above with C^T row r starting at c[c0 + r*cs]. */
    static void writeBack(float[] c, int c0, int cs, int rows, int tStart, int nt, int o0, int out, float[] bias,
                          float[] y) {
        final int rb = writeBackRows(cs);
        for (int t0 = 0; t0 < nt; t0 += WRITE_BACK_TOKENS) {
            int t1 = Math.min(nt, t0 + WRITE_BACK_TOKENS);
            for (int r0 = 0; r0 < rows; r0 += rb) {
                int r1 = Math.min(rows, r0 + rb);
                for (int t = t0; t < t1; t++) {
                    int yo = (tStart + t) * out + o0;
                    int co = c0 + t;
                    if (bias == null) {
                        for (int r = r0; r < r1; r++) {
                            y[yo + r] = c[co + r * cs];
                        }
                    } else {
                        for (int r = r0; r < r1; r++) {
                            y[yo + r] = c[co + r * cs] + bias[o0 + r];
                        }
                    }
                }
            }
        }
    }
}
