package dev.sparsekernels.cli.demo;

import dev.sparsekernels.model.prune.Progress;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Times several contestants against one baseline on a busy machine: after one untimed warm-up of each, every round
 * runs baseline, contestant 1, baseline, contestant 2, ... (A B A B), so outside load falls on both sides of each
 * pair alike. Results: medians over rounds, and each contestant's speed-up over the baseline as the median of its
 * pairs' ratios ({@link #pairedSpeedup}), which a phase of outside load hits on both sides.
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
    /** Bytes each contestant's timed runs allocated (AllocationMeter), -1 where unknown. */
    private final long[][] allocated;
    private final int rounds;

    InterleavedTimer(Run baseline, List<Run> contestants, int rounds) {
        if (rounds < 1) {
            throw new IllegalArgumentException("--speed-batches: expected >= 1 but got " + rounds);
        }
        this.baseline = baseline;
        this.contestants = List.copyOf(contestants);
        this.seconds = new double[contestants.size()][rounds];
        this.allocated = new long[contestants.size()][rounds];
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
                long before = AllocationMeter.bytes();
                seconds[c][r] = time(contestants.get(c));
                long after = AllocationMeter.bytes();
                allocated[c][r] = before < 0 || after < 0 ? -1 : Math.max(0, after - before);
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

    /**
     * Contestant i's speed-up over the baseline: the median, over rounds, of the baseline run just before it divided
     * by its own. Why: the ratio of the two medians compares runs made up to half a minute apart. On the 2-vCPU VM of
     * session 16 that put the demo's dense model at 0.82x to 1.20x ONNX Runtime in four runs of the same code, and
     * once a pruned model with 10% less work behind the dense one.
     */
    double pairedSpeedup(int i) {
        return pairedSpeedup(baselineSeconds.stream().mapToDouble(Double::doubleValue).toArray(), seconds[i],
                contestants.size(), i);
    }

    /**
     * The median over rounds r of {@code baseline[r * n + i] / contestant[r]}: baseline holds the baseline's times in
     * run order (round by round, one before each of the n contestants), contestant the times of contestant i.
     */
    static double pairedSpeedup(double[] baseline, double[] contestant, int n, int i) {
        double[] ratios = new double[contestant.length];
        for (int r = 0; r < contestant.length; r++) {
            ratios[r] = baseline[r * n + i] / contestant[r];
        }
        return median(ratios);
    }

    /**
     * The median bytes one timed run of contestant i allocated; -1 when the JVM does not count them. A pass of our
     * models allocates little more than the embeddings it returns, so this names the model that ran boxed.
     */
    long medianAllocatedBytes(int i) {
        long[] s = allocated[i].clone();
        Arrays.sort(s);
        return s.length == 0 || s[0] < 0 ? -1 : s[s.length / 2];
    }

    /** The largest {@link #medianAllocatedBytes} over contestants; -1 when the JVM does not count them. */
    long maxMedianAllocatedBytes() {
        long max = -1;
        for (int i = 0; i < allocated.length; i++) {
            max = Math.max(max, medianAllocatedBytes(i));
        }
        return max;
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
