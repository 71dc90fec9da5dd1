package dev.sparsekernels.cpu;

import java.util.Arrays;

/**
 * Blocking and threading for BSR with W prepared ({@link BsrWeights}). Tasks are (block of tokens) x (range of
 * 16-output panels, balanced by their step counts); the 6 x 16 microkernel writes each tile of Y once, in place, its
 * sum from zero plus the bias (each call covers a panel's whole block row).
 *
 * <p>Three loop orders, chosen by where Wᵀ can live (measured at 512 x 4096 x 4096, 32 x 32 blocks, 2 threads, each
 * order's median in one process; {@code BsrProbe} in kernels-bench, see docs/performance.md, session 5):
 * <ul>
 *   <li>{@link Order#TOKENS_OUTER} when the prepared Wᵀ is small ({@link #TOKENS_OUTER_MAX_BYTES}): six X rows, read
 *       once sequentially beforehand, stay in L1/L2 while the whole Wᵀ streams past them from L3, which the
 *       prefetchers keep up with. Density 0.05: 14.4 ms against 17.0 grouped and 24.7 panels outer; 0.1: 26.1, 27.9,
 *       42.8 ms.</li>
 *   <li>{@link Order#GROUPED} for larger Wᵀ: the same, over groups of panels whose Wᵀ stays in L3 under a busy
 *       neighbour ({@link #GROUP_MAX_FLOATS}), 192 tokens per task. Density 0.2: 53.4-54.4 ms against 69.9-83.6 tokens
 *       outer and 63.0-65.5 panels outer; 0.3: 88.5 against 89.5 panels outer; 0.5 and 1.0 within 5% of panels
 *       outer either way.</li>
 *   <li>{@link Order#PANELS_OUTER} for few tokens ({@code < } {@link #TOKENS_OUTER_MIN_TOKENS}): each panel's stream
 *       stays in L1 across all of them.</li>
 * </ul>
 */
final class BsrPreparedDriver {
    private BsrPreparedDriver() {}

    /**
     * Prepared Wᵀ up to this size (bytes) is streamed whole per six tokens; larger goes in groups. A quarter of this
     * machine's 32 MiB L3, which other tenants share: at 12.8 MiB (density 0.2) tokens outer ran 1.3-1.5x slower
     * than grouped in a busy phase (and 1.2x faster in a quiet one), at 9.6 MiB (0.15) alike.
     */
    static final long TOKENS_OUTER_MAX_BYTES = 8L << 20;
    /** Tokens per task with tokens outer (24 and 12 measured alike, 48-96 a little slower). */
    static final int TOKENS_OUTER_TOKENS = 24;
    /** Tokens per task with panels outer. */
    static final int PANELS_OUTER_TOKENS = 192;
    /** Below this many tokens Wᵀ is read panel by panel: a panel then stays in L1 for all tokens. */
    static final int TOKENS_OUTER_MIN_TOKENS = 2 * TOKENS_OUTER_TOKENS;
    /** Tasks per thread to aim for when tokens alone do not give enough (dynamic scheduling evens out the rest). */
    static final int TASKS_PER_THREAD = 4;

    /** Loop orders (see the class comment). */
    enum Order { TOKENS_OUTER, PANELS_OUTER, GROUPED }

    /** GROUPED: Wᵀ floats per group of panels that six tokens at a time stream through (4 MiB; 2 MiB measured alike). */
    static final long GROUP_MAX_FLOATS = 1L << 20;
    /** GROUPED: tokens per task (192 and all 512 alike, 96 5-10% slower: each task re-reads its groups' Wᵀ). */
    static final int GROUPED_TOKENS = 192;

    static Order order(BsrWeights w, int tokens) {
        if (tokens < TOKENS_OUTER_MIN_TOKENS) {
            return Order.PANELS_OUTER;
        }
        return 4L * w.panels().length <= TOKENS_OUTER_MAX_BYTES ? Order.TOKENS_OUTER : Order.GROUPED;
    }

    static void run(CpuKernels k, float[] x, int tokens, BsrWeights w, float[] bias, float[] y, int threads) {
        run(k, x, tokens, w, bias, y, threads, order(w, tokens));
    }

    /** As above in the given loop order. */
    static void run(CpuKernels k, float[] x, int tokens, BsrWeights w, float[] bias, float[] y, int threads,
                    Order order) {
        run(k, x, tokens, w, bias, y, threads, order, order == Order.GROUPED ? GROUP_MAX_FLOATS : Long.MAX_VALUE);
    }

    /** As above with the group size for GROUPED (tests use small ones to get several groups on small matrices). */
    static void run(CpuKernels k, float[] x, int tokens, BsrWeights w, float[] bias, float[] y, int threads,
                    Order order, long groupFloats) {
        final int out = w.outFeatures(), in = w.inFeatures();
        final int nb = CpuKernels.DENSE_NB;
        final int panels = out / nb;
        final int mc = order == Order.TOKENS_OUTER ? TOKENS_OUTER_TOKENS
                : order == Order.GROUPED ? GROUPED_TOKENS : PANELS_OUTER_TOKENS;
        final int tokBlocks = GemmDriver.ceilDiv(tokens, mc);
        int wanted = threads == 1 ? 1 : GemmDriver.ceilDiv(TASKS_PER_THREAD * threads, tokBlocks);
        final int[] bounds = panelGroups(w, panels, Math.max(1, Math.min(panels, wanted)));
        final int groups = bounds.length - 1;
        final float[] wt = w.panels();
        final int[] cols = w.stepColumns();
        final boolean pairs = k.pairsPanels();
        CpuThreads.parallelFor(threads, tokBlocks * groups, task -> {
            int t0 = (task % tokBlocks) * mc;
            int rows = Math.min(mc, tokens - t0);
            int p0 = bounds[task / tokBlocks], p1 = bounds[task / tokBlocks + 1];
            // Every tile of Y [t0, t0 + rows) x [p0, p1) panels is written by exactly one kernel call, from zero and
            // with the bias (a panel with no blocks too: its kernels' step loop is empty).
            if (order != Order.PANELS_OUTER) {
                for (int q0 = p0, q1; q0 < p1; q0 = q1) {
                    q1 = groupEnd(w, q0, p1, groupFloats);
                    int r = 0;
                    for (; r + CpuKernels.DENSE_ROWS <= rows; r += CpuKernels.DENSE_ROWS) {
                        // The panels read these six rows at scattered columns, a run of blockCols floats per block,
                        // which no prefetcher predicts: one sequential pass first brings the rows into L2 (density
                        // 0.1: +11%, 0.05: +23%).
                        GemmDriver.touch(x, (t0 + r) * in, CpuKernels.DENSE_ROWS * in);
                        for (int p = q0; p < q1; p++) {
                            if (pairs && p + 1 < q1 && w.sameBlockRow(p, p + 1)) {
                                k.bsrPrepared6Pair(wt, w.panelStart(p), w.panelStart(p + 1), cols, w.firstStep(p),
                                        w.endStep(p), x, (t0 + r) * in, in, y, (t0 + r) * out + p * nb, out, bias,
                                        p * nb);
                                p++;
                                continue;
                            }
                            k.bsrPrepared6(wt, w.panelStart(p), cols, w.firstStep(p), w.endStep(p), x, (t0 + r) * in,
                                    in, y, (t0 + r) * out + p * nb, out, bias, p * nb);
                        }
                    }
                    if (rows - r >= 2) {
                        tail6(k, w, x, t0 + r, rows - r, in, out, q0, q1, bias, y);
                        r = rows;
                    }
                    for (; r < rows; r++) {
                        GemmDriver.touch(x, (t0 + r) * in, in);
                        for (int p = q0; p < q1; p++) {
                            k.bsrPrepared1(wt, w.panelStart(p), cols, w.firstStep(p), w.endStep(p), x, (t0 + r) * in,
                                    y, (t0 + r) * out + p * nb, bias, p * nb);
                        }
                    }
                }
            } else {
                for (int p = p0; p < p1; p++) {
                    int g0 = w.firstStep(p), g1 = w.endStep(p), wo = w.panelStart(p);
                    boolean pair = pairs && p + 1 < p1 && w.sameBlockRow(p, p + 1);
                    int r = 0;
                    for (; r + CpuKernels.DENSE_ROWS <= rows; r += CpuKernels.DENSE_ROWS) {
                        if (pair) {
                            k.bsrPrepared6Pair(wt, wo, w.panelStart(p + 1), cols, g0, g1, x, (t0 + r) * in, in, y,
                                    (t0 + r) * out + p * nb, out, bias, p * nb);
                        } else {
                            k.bsrPrepared6(wt, wo, cols, g0, g1, x, (t0 + r) * in, in, y, (t0 + r) * out + p * nb,
                                    out, bias, p * nb);
                        }
                    }
                    if (rows - r >= 2) {
                        tail6(k, w, x, t0 + r, rows - r, in, out, p, pair ? p + 2 : p + 1, bias, y);
                        r = rows;
                    }
                    for (; r < rows; r++) {
                        k.bsrPrepared1(wt, wo, cols, g0, g1, x, (t0 + r) * in, y, (t0 + r) * out + p * nb, bias,
                                p * nb);
                        if (pair) {
                            k.bsrPrepared1(wt, w.panelStart(p + 1), cols, g0, g1, x, (t0 + r) * in, y,
                                    (t0 + r) * out + (p + 1) * nb, bias, (p + 1) * nb);
                        }
                    }
                    if (pair) {
                        p++;
                    }
                }
            }
        });
    }

    /**
     * Token rows [t, t + n) (2 to 5, a task's rows past its last multiple of 6) for panels [q0, q1): copied, with zero
     * rows after them, into a 6-row scratch, run through the 6-row kernel, and the real rows copied into Y. One call
     * of the 1-token kernel per row had cost about as much as a whole 6-row call (5 tokens 2.0-2.9x the time of 6,
     * session 18's cliff scan). Each output is the same sum in the same order as there (zero, every step in order,
     * then the bias), so the results are bit for bit those of the 1-token kernel and of the one-off path.
     */
    static void tail6(CpuKernels k, BsrWeights w, float[] x, int t, int n, int in, int out, int q0, int q1,
                      float[] bias, float[] y) {
        final int rowsK = CpuKernels.DENSE_ROWS, nb = CpuKernels.DENSE_NB;
        final int ys = rowsK * in; // the Y tile after the 6 X rows
        float[] s = GemmDriver.scratch(ys + rowsK * nb);
        System.arraycopy(x, t * in, s, 0, n * in);
        Arrays.fill(s, n * in, ys, 0f);
        for (int p = q0; p < q1; p++) {
            k.bsrPrepared6(w.panels(), w.panelStart(p), w.stepColumns(), w.firstStep(p), w.endStep(p), s, 0, in, s, ys,
                    nb, bias, p * nb);
            for (int i = 0; i < n; i++) {
                System.arraycopy(s, ys + i * nb, y, (t + i) * out + p * nb, nb);
            }
        }
    }

    /** End of the group of panels from q0 (before p1) whose Wᵀ holds at most maxFloats floats; at least one panel. */
    static int groupEnd(BsrWeights w, int q0, int p1, long maxFloats) {
        int q = q0;
        long floats = 0;
        do {
            floats += (long) (w.endStep(q) - w.firstStep(q)) * CpuKernels.DENSE_NB;
            q++;
        } while (q < p1 && floats + (long) (w.endStep(q) - w.firstStep(q)) * CpuKernels.DENSE_NB <= maxFloats);
        return q;
    }

    /**
     * Splits panels [0, panels) into at most {@code groups} contiguous ranges of about equal cost (steps, plus one per
     * panel for writing its tile with the bias): {@code bounds[i] .. bounds[i+1]}; no range is empty.
     */
    static int[] panelGroups(BsrWeights w, int panels, int groups) {
        long total = 0;
        for (int p = 0; p < panels; p++) {
            total += cost(w, p);
        }
        int[] b = new int[groups + 1];
        int n = 0;
        long acc = 0;
        for (int p = 0; p < panels; p++) {
            acc += cost(w, p);
            // close group n once it holds its share; keep at least one panel for each group still to come
            if (n + 1 < groups && acc * groups >= total * (n + 1) && panels - (p + 1) >= groups - (n + 1)) {
                b[++n] = p + 1;
            }
        }
        b[++n] = panels;
        return Arrays.copyOf(b, n + 1);
    }

    private static long cost(BsrWeights w, int p) {
        return (long) w.endStep(p) - w.firstStep(p) + 1;
    }
}
