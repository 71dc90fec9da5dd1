package dev.sparsekernels.bench;

import java.util.Arrays;
import java.util.List;

/**
 * Wall-clock timing of tasks against each other: warm-up runs, then round-robin rounds until both a minimum count
 * and a time budget are reached. Reports medians, which resist the odd slow run on a shared 2-core machine better
 * than means.
 */
public final class Timing {
    private Timing() {
    }

    /** Pause after each timed call of {@link #roundRobinMediansMs}: OpenBLAS's workers spin about 0.1 s here. */
    public static final long PAUSE_MS = 150;

    /**
     * Medians (ms) of tasks timed round-robin: each round calls every task twice, times the second call, and pauses
     * {@link #PAUSE_MS} after it. Round-robin puts the tasks in the same phases of a noisy shared machine (timing a
     * peer once and ours minutes later let a slow phase land on one side only); the untimed call and the pause keep
     * one task's leftovers off the next one's time (a peer's worker threads still spinning after its call took a core
     * from the call after it; caches). Rounds continue until {@code minRounds} and, together, {@code budgetMs} per
     * task are reached (at most 8 x minRounds).
     */
    public static double[] roundRobinMediansMs(List<Runnable> tasks, int warmups, int minRounds, double budgetMs) {
        return roundRobinMediansMs(tasks, warmups, minRounds, budgetMs, PAUSE_MS);
    }

    /**
     * As {@link #roundRobinMediansMs(List, int, int, double)} with {@code pauseMs} after each timed call instead of
     * {@link #PAUSE_MS}: 0 for tasks that are all ours, which leave no spinning threads of another library behind
     * (the pause exists for those).
     */
    public static double[] roundRobinMediansMs(List<Runnable> tasks, int warmups, int minRounds, double budgetMs,
            long pauseMs) {
        for (int i = 0; i < warmups; i++) {
            for (Runnable t : tasks) {
                t.run();
            }
        }
        int max = Math.max(minRounds, 1) * 8;
        double[][] times = new double[tasks.size()][max];
        int n = 0;
        long start = System.nanoTime();
        while (n < max) {
            for (int k = 0; k < tasks.size(); k++) {
                Runnable t = tasks.get(k);
                t.run();
                long t0 = System.nanoTime();
                t.run();
                times[k][n] = (System.nanoTime() - t0) / 1e6;
                if (pauseMs > 0) {
                    pause(pauseMs);
                }
            }
            n++;
            if (n >= minRounds && (System.nanoTime() - start) / 1e6 >= budgetMs * tasks.size()) {
                break;
            }
        }
        double[] medians = new double[tasks.size()];
        for (int k = 0; k < tasks.size(); k++) {
            medians[k] = median(Arrays.copyOf(times[k], n));
        }
        return medians;
    }

    /** Sleeps ms (restoring the interrupt flag if interrupted). */
    public static void pause(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static double median(double[] sorted) {
        Arrays.sort(sorted);
        int n = sorted.length;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }
}
