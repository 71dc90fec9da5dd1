package dev.sparsekernels.bench;

import java.util.Arrays;

/**
 * Wall-clock timing of a task: warm-up runs, then measured runs until both a minimum count and a time budget are
 * reached. Reports the median, which resists the odd slow run on a shared 2-core machine better than the mean.
 */
public final class Timing {
    private Timing() {
    }

    public static double medianMs(Runnable task, int warmups, int minRuns, double budgetMs) {
        for (int i = 0; i < warmups; i++) {
            task.run();
        }
        double[] times = new double[Math.max(minRuns, 1) * 8];
        int n = 0;
        long start = System.nanoTime();
        while (n < times.length) {
            long t0 = System.nanoTime();
            task.run();
            times[n++] = (System.nanoTime() - t0) / 1e6;
            double elapsed = (System.nanoTime() - start) / 1e6;
            if (n >= minRuns && elapsed >= budgetMs) {
                break;
            }
        }
        double[] sorted = Arrays.copyOf(times, n);
        Arrays.sort(sorted);
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }
}
