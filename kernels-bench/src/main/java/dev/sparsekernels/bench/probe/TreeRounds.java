package dev.sparsekernels.bench.probe;

import java.lang.management.ManagementFactory;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.function.LongSupplier;

/**
 * What the *TreesProbe classes share: each java-api build in a class loader of its own, calls timed build after build
 * in every round (on this project's shared machines two processes minutes apart compare the machine's phases, not the
 * code), and the report of best, median and per-round ratio.
 */
final class TreeRounds {
    private TreeRounds() {}

    /** One timed call of build i. */
    interface Call {
        void run(int build) throws Exception;
    }

    /** A class loader for one build's class directory, above the platform loader (so none of our classes leak in). */
    static ClassLoader loader(String dir) throws Exception {
        return new URLClassLoader(new URL[] {Path.of(dir).toUri().toURL()}, TreeRounds.class.getClassLoader().getParent());
    }

    /** The calling thread's CPU time for one thread (others' work is not on it), else the wall clock; nanoseconds. */
    static LongSupplier clock(int threads) {
        return threads == 1 ? ManagementFactory.getThreadMXBean()::getCurrentThreadCpuTime : System::nanoTime;
    }

    /** Two rounds of warm-up, then {@code reps} rounds of every build in order: ms[build][round]. */
    static double[][] time(int builds, int reps, LongSupplier clock, Call call) throws Exception {
        double[][] ms = new double[builds][reps];
        for (int rep = -2; rep < reps; rep++) {
            for (int i = 0; i < builds; i++) {
                long t0 = clock.getAsLong();
                call.run(i);
                if (rep >= 0) {
                    ms[i][rep] = (clock.getAsLong() - t0) / 1e6;
                }
            }
        }
        return ms;
    }

    /** "build i best .. median .. ms | ..." for every build, then the median per-round ratio of the first to the last. */
    static String summary(double[][] ms) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < ms.length; i++) {
            double[] s = ms[i].clone();
            Arrays.sort(s);
            sb.append(String.format("build %d best %.1f median %.1f ms | ", i, s[0], s[s.length / 2]));
        }
        int last = ms.length - 1;
        return sb.append(String.format("per round: build 0 / build %d %.2fx", last, medianRatio(ms[0], ms[last])))
                .toString();
    }

    /** The median of a[i] / b[i]. */
    static double medianRatio(double[] a, double[] b) {
        double[] x = new double[a.length];
        for (int i = 0; i < a.length; i++) {
            x[i] = a[i] / b[i];
        }
        Arrays.sort(x);
        return x[x.length / 2];
    }

    /** The largest |a[i] - b[i]|. */
    static double maxDifference(float[] a, float[] b) {
        double diff = 0;
        for (int i = 0; i < a.length; i++) {
            diff = Math.max(diff, Math.abs(a[i] - b[i]));
        }
        return diff;
    }
}
