package dev.sparsekernels.cpu;

import java.util.Arrays;

/**
 * Blocking and threading for BSR with W prepared ({@link BsrWeights}). Tasks are (block of tokens) x (range of
 * 16-output panels, balanced by their step counts); each zeroes its tile of Y, lets the 6 x 16 microkernel accumulate
 * into it in place (each call covers a panel's whole block row), then adds the bias.
 *
 * <p>Two loop orders, chosen by where Wᵀ can live (measured at 512 x 4096 x 4096, 32 x 32 blocks, 2 threads, same
 * process, against the one-off path; {@code BsrProbe} in kernels-bench, see docs/performance.md):
 * <ul>
 *   <li>Tokens outer, panels inner, when the prepared Wᵀ fits in half of L3 ({@link #TOKENS_OUTER_MAX_BYTES}): six
 *       X rows stay in L1/L2 while the whole Wᵀ streams past them sequentially, which the prefetchers keep up with.
 *       Density 0.1: 1.44-1.51x the one-off path (1.65x with the rows touched first, below); panels outer:
 *       1.05-1.09x.</li>
 *   <li>Panels outer, tokens inner, otherwise: each panel's stream (at density 0.5, 128 KiB) stays in L2 across
 *       {@link #PANELS_OUTER_TOKENS} tokens while their X rows are re-read. Density 0.5: 1.25-1.32x, 0.3: 1.20-1.40x;
 *       tokens outer there re-streams Wᵀ from memory for every six tokens (0.58-0.66x).</li>
 * </ul>
 */
final class BsrPreparedDriver {
    private BsrPreparedDriver() {}

    /**
     * Prepared Wᵀ up to this size (bytes) is streamed once per six tokens; larger ones go panel by panel. Half this
     * machine's 32 MiB L3: tokens outer measured 1.46x panels outer at 9.6 MiB (density 0.15), 1.24x at 12.8 MiB
     * (0.2) and 0.64x at 19 MiB (0.3).
     */
    static final long TOKENS_OUTER_MAX_BYTES = 16L << 20;
    /** Tokens per task with tokens outer (24 and 12 measured alike, 48-96 a little slower). */
    static final int TOKENS_OUTER_TOKENS = 24;
    /** Tokens per task with panels outer (measured 48 < 96 < 144 < 192 at density 0.5). */
    static final int PANELS_OUTER_TOKENS = 192;
    /** Below this many tokens Wᵀ is read panel by panel whatever its size: a panel then stays in L1 for all tokens. */
    static final int TOKENS_OUTER_MIN_TOKENS = 2 * TOKENS_OUTER_TOKENS;
    /** Tasks per thread to aim for when tokens alone do not give enough (dynamic scheduling evens out the rest). */
    static final int TASKS_PER_THREAD = 4;

    static boolean tokensOuter(BsrWeights w, int tokens) {
        return tokens >= TOKENS_OUTER_MIN_TOKENS && 4L * w.panels().length <= TOKENS_OUTER_MAX_BYTES;
    }

    static void run(CpuKernels k, float[] x, int tokens, BsrWeights w, float[] bias, float[] y, int threads) {
        run(k, x, tokens, w, bias, y, threads, tokensOuter(w, tokens));
    }

    /** As above in the given loop order (tests run both on small matrices). */
    static void run(CpuKernels k, float[] x, int tokens, BsrWeights w, float[] bias, float[] y, int threads,
                    boolean tokensOuter) {
        final int out = w.outFeatures(), in = w.inFeatures();
        final int nb = CpuKernels.DENSE_NB;
        final int panels = out / nb;
        final int mc = tokensOuter ? TOKENS_OUTER_TOKENS : PANELS_OUTER_TOKENS;
        final int tokBlocks = GemmDriver.ceilDiv(tokens, mc);
        int wanted = threads == 1 ? 1 : GemmDriver.ceilDiv(TASKS_PER_THREAD * threads, tokBlocks);
        final int[] bounds = panelGroups(w, panels, Math.max(1, Math.min(panels, wanted)));
        final int groups = bounds.length - 1;
        final float[] wt = w.panels();
        final int[] cols = w.stepColumns();
        CpuThreads.parallelFor(threads, tokBlocks * groups, task -> {
            int t0 = (task % tokBlocks) * mc;
            int rows = Math.min(mc, tokens - t0);
            int p0 = bounds[task / tokBlocks], p1 = bounds[task / tokBlocks + 1];
            for (int t = t0; t < t0 + rows; t++) {
                Arrays.fill(y, t * out + p0 * nb, t * out + p1 * nb, 0f);
            }
            if (tokensOuter) {
                int r = 0;
                for (; r + CpuKernels.DENSE_ROWS <= rows; r += CpuKernels.DENSE_ROWS) {
                    // The panels read these six rows at scattered columns, a run of blockCols floats per block, which
                    // no prefetcher predicts: one sequential pass first brings the rows into L2 (density 0.1:
                    // +11%, 0.05: +23%).
                    GemmDriver.touch(x, (t0 + r) * in, CpuKernels.DENSE_ROWS * in);
                    for (int p = p0; p < p1; p++) {
                        k.bsrPrepared6(wt, w.panelStart(p), cols, w.firstStep(p), w.endStep(p), x, (t0 + r) * in, in,
                                y, (t0 + r) * out + p * nb, out);
                    }
                }
                for (; r < rows; r++) {
                    GemmDriver.touch(x, (t0 + r) * in, in);
                    for (int p = p0; p < p1; p++) {
                        k.bsrPrepared1(wt, w.panelStart(p), cols, w.firstStep(p), w.endStep(p), x, (t0 + r) * in, y,
                                (t0 + r) * out + p * nb);
                    }
                }
            } else {
                for (int p = p0; p < p1; p++) {
                    int g0 = w.firstStep(p), g1 = w.endStep(p), wo = w.panelStart(p);
                    if (g0 == g1) {
                        continue;
                    }
                    int r = 0;
                    for (; r + CpuKernels.DENSE_ROWS <= rows; r += CpuKernels.DENSE_ROWS) {
                        k.bsrPrepared6(wt, wo, cols, g0, g1, x, (t0 + r) * in, in, y, (t0 + r) * out + p * nb, out);
                    }
                    for (; r < rows; r++) {
                        k.bsrPrepared1(wt, wo, cols, g0, g1, x, (t0 + r) * in, y, (t0 + r) * out + p * nb);
                    }
                }
            }
            // The bias last, as the one-off path adds it (after the products, not as their starting value).
            if (bias != null) {
                for (int t = t0; t < t0 + rows; t++) {
                    int yo = t * out;
                    for (int j = p0 * nb; j < p1 * nb; j++) {
                        y[yo + j] += bias[j];
                    }
                }
            }
        });
    }

    /**
     * Splits panels [0, panels) into at most {@code groups} contiguous ranges of about equal cost (steps, plus one per
     * panel for zeroing and the bias): {@code bounds[i] .. bounds[i+1]}; no range is empty.
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
