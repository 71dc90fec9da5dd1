package dev.sparsekernels.bench;

import java.util.List;
import java.util.Locale;

/**
 * Which cases a bench run covers. quick finishes in under 3 minutes on 2 cores; full adds shapes; gemm, bsr, mlp and
 * attention are quick's cases of one kernel family, for iterating on that family alone.
 */
public enum Suite {
    QUICK(List.of(new int[] {1, 4096, 4096}, new int[] {512, 4096, 4096}, new int[] {2048, 4096, 4096}),
            List.of(new int[] {32, 50}, new int[] {32, 30}, new int[] {32, 10}, new int[] {32, 5}, new int[] {64, 10}),
            new double[] {0.5}, List.of(new int[] {1, 12, 1024, 64}), 1500),
    FULL(List.of(new int[] {1, 4096, 4096}, new int[] {16, 4096, 4096}, new int[] {128, 4096, 4096},
            new int[] {512, 4096, 4096}, new int[] {2048, 4096, 4096}, new int[] {512, 1024, 1024},
            new int[] {512, 4096, 11008}, new int[] {512, 11008, 4096}, new int[] {33, 1000, 1000}),
            bsrGrid(new int[] {16, 32, 64}, new int[] {50, 30, 10, 5}), new double[] {0.75, 0.5, 0.25},
            List.of(new int[] {1, 12, 1024, 64}, new int[] {1, 12, 2048, 64}), 4000),
    GEMM(QUICK.gemmShapes, List.of(), new double[0], List.of(), QUICK.budgetMs),
    BSR(List.of(), QUICK.bsrCases, new double[0], List.of(), QUICK.budgetMs),
    MLP(List.of(), List.of(), new double[] {0.5}, List.of(), QUICK.budgetMs),
    ATTENTION(List.of(), List.of(), new double[0], QUICK.attentionShapes, QUICK.budgetMs);

    /** BSR GEMM shape {tokens, in, out}: every BSR case runs on it, F32, against the dense peer on the same shape. */
    public static final int[] BSR_SHAPE = {512, 4096, 4096};

    /**
     * MLP shape {tokens, in, hidden, out} for structured channel removal: in -> hidden -> out with GELU between, the
     * pruned MLP (hidden * keep channels) against the unpruned one, both on our dense GEMM.
     */
    public static final int[] MLP_SHAPE = {512, 1024, 4096, 1024};

    /** GEMM shapes {tokens, in, out}. */
    public final List<int[]> gemmShapes;
    /** BSR cases {square block size, density in percent}, on {@link #BSR_SHAPE}. */
    public final List<int[]> bsrCases;
    /** Kept fractions of the hidden channels measured on {@link #MLP_SHAPE}. */
    public final List<Double> mlpKeeps;
    /** Attention shapes {batch, heads, L, D} (Lq = Lk = L, F32). */
    public final List<int[]> attentionShapes;
    /** Time budget per measured implementation and case. */
    public final double budgetMs;

    Suite(List<int[]> gemmShapes, List<int[]> bsrCases, double[] mlpKeeps, List<int[]> attentionShapes,
            double budgetMs) {
        this.attentionShapes = attentionShapes;
        this.gemmShapes = gemmShapes;
        this.bsrCases = bsrCases;
        List<Double> keeps = new java.util.ArrayList<>();
        for (double k : mlpKeeps) {
            keeps.add(k);
        }
        this.mlpKeeps = List.copyOf(keeps);
        this.budgetMs = budgetMs;
    }

    private static List<int[]> bsrGrid(int[] blocks, int[] percents) {
        java.util.List<int[]> cases = new java.util.ArrayList<>();
        for (int b : blocks) {
            for (int p : percents) {
                cases.add(new int[] {b, p});
            }
        }
        return List.copyOf(cases);
    }

    public static Suite parse(String s) {
        try {
            return valueOf(s.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException | NullPointerException e) {
            throw new IllegalArgumentException("--suite: expected one of quick, full, gemm, bsr, mlp, attention but got '"
                    + s + "'");
        }
    }
}
