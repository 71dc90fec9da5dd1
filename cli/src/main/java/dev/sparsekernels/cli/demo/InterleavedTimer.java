package dev.sparsekernels.cli.demo;

import dev.sparsekernels.model.prune.Progress;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Times several contestants against one baseline on a busy machine: after one untimed warm-up of each, every round
 * runs baseline, contestant 1, baseline, contestant 2, ... (A B A B), so outside load falls on both sides of each
 * pair alike; results are medians over rounds.
 */
final class InterleavedTimer {
    /** One run of a model on the speed batch. */
    @FunctionalInterface
    interface Run {
        void run() throws Exception;
    }

    private final Run baseline;
    private final List<Run> contestants;
    private final List<Double> baselineSeconds = new ArrayList<>();
    private final double[][] seconds;
    private final int rounds;

    InterleavedTimer(Run baseline, List<Run> contestants, int rounds) {
        if (rounds < 1) {
            throw new IllegalArgumentException("--speed-batches: expected >= 1 but got " + rounds);
        }
        this.baseline = baseline;
        this.contestants = List.copyOf(contestants);
        this.seconds = new double[contestants.size()][rounds];
        this.rounds = rounds;
    }

    /** Runs count for the progress: warm-ups plus timed runs. */
    long runs() {
        return (1 + contestants.size()) + 2L * contestants.size() * rounds;
    }

    void measure(Progress progress) throws Exception {
        baseline.run();
        progress.advance(1);
        for (Run c : contestants) {
            c.run();
            progress.advance(1);
        }
        for (int r = 0; r < rounds; r++) {
            for (int c = 0; c < contestants.size(); c++) {
                baselineSeconds.add(time(baseline));
                progress.advance(1);
                seconds[c][r] = time(contestants.get(c));
                progress.advance(1);
            }
        }
    }

    private static double time(Run run) throws Exception {
        long t0 = System.nanoTime();
        run.run();
        return (System.nanoTime() - t0) / 1e9;
    }

    /** Median seconds of the baseline over all its runs. */
    double baselineMedian() {
        return median(baselineSeconds.stream().mapToDouble(Double::doubleValue).toArray());
    }

    /** Median seconds of contestant i. */
    double median(int i) {
        return median(seconds[i]);
    }

    static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        int n = s.length;
        return n % 2 == 1 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
    }
}
