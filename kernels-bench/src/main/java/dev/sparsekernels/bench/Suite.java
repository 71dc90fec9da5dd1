package dev.sparsekernels.bench;

import java.util.List;
import java.util.Locale;

/** Which cases a bench run covers. quick finishes in under 3 minutes on 2 cores; full adds shapes. */
public enum Suite {
    QUICK(List.of(new int[] {1, 4096, 4096}, new int[] {512, 4096, 4096}, new int[] {2048, 4096, 4096}), 1500),
    FULL(List.of(new int[] {1, 4096, 4096}, new int[] {16, 4096, 4096}, new int[] {128, 4096, 4096},
            new int[] {512, 4096, 4096}, new int[] {2048, 4096, 4096}, new int[] {512, 1024, 1024},
            new int[] {512, 4096, 11008}, new int[] {512, 11008, 4096}, new int[] {33, 1000, 1000}), 4000);

    /** GEMM shapes {tokens, in, out}. */
    public final List<int[]> gemmShapes;
    /** Time budget per measured implementation and case. */
    public final double budgetMs;

    Suite(List<int[]> gemmShapes, double budgetMs) {
        this.gemmShapes = gemmShapes;
        this.budgetMs = budgetMs;
    }

    public static Suite parse(String s) {
        try {
            return valueOf(s.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException | NullPointerException e) {
            throw new IllegalArgumentException("--suite: expected quick or full but got '" + s + "'");
        }
    }
}
