package dev.sparsekernels.bench.probe;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.lang.reflect.Method;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;

/**
 * Same-process A/B of the 2:4 CPU GEMM ({@code Sparse24Weights.pruneMagnitude} + {@code Sparse24Gemm.linear}) from
 * several builds of java-api, each in its own class loader, timed back to back in every round, as
 * {@link BsrTreesProbe} does for BSR. Y = X·Wᵀ + b, F32, in = out = 4096, tokens 512 ({@code -Dprobe.tokens
 * -Dprobe.in -Dprobe.out -Dprobe.reps}). One thread timed in CPU time by default; {@code -Dprobe.threads=2} times
 * wall clock.
 *
 * <p>Arguments: class directories, comma-separated (see {@link AttentionTreesProbe} for making an older build). Prints
 * best and median per build, the median of the per-round ratios (first build over last) and the largest difference
 * between the first and last build's outputs.
 */
public final class Sparse24TreesProbe {
    private Sparse24TreesProbe() {}

    public static void main(String[] args) throws Exception {
        if (args.length != 1) {
            System.err.println("usage: Sparse24TreesProbe DIR[,DIR...]  (java-api class directories)");
            System.exit(2);
        }
        String[] dirs = args[0].split(",");
        int tokens = Integer.getInteger("probe.tokens", 512);
        int in = Integer.getInteger("probe.in", 4096);
        int out = Integer.getInteger("probe.out", 4096);
        int threads = Integer.getInteger("probe.threads", 1);
        int reps = Integer.getInteger("probe.reps", 9);
        Random r = new Random(1);
        float[] w = gaussians(r, out * in);
        float[] x = gaussians(r, tokens * in);
        float[] b = gaussians(r, out);
        Object[] weights = new Object[dirs.length];
        Method[] linear = new Method[dirs.length];
        for (int i = 0; i < dirs.length; i++) {
            URLClassLoader cl = new URLClassLoader(new URL[] {Path.of(dirs[i]).toUri().toURL()},
                    Sparse24TreesProbe.class.getClassLoader().getParent());
            Class<?> sw = cl.loadClass("dev.sparsekernels.cpu.Sparse24Weights");
            weights[i] = sw.getMethod("pruneMagnitude", float[].class, int.class, int.class).invoke(null, w, out, in);
            linear[i] = cl.loadClass("dev.sparsekernels.cpu.Sparse24Gemm").getMethod("linear", float[].class,
                    int.class, int.class, sw, float[].class, float[].class, int.class);
        }
        ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        double[][] ms = new double[dirs.length][reps];
        float[][] ys = new float[dirs.length][tokens * out];
        for (int rep = -2; rep < reps; rep++) { // two rounds of warm-up
            for (int i = 0; i < dirs.length; i++) {
                long c0 = mx.getCurrentThreadCpuTime(), t0 = System.nanoTime();
                linear[i].invoke(null, x, tokens, in, weights[i], b, ys[i], threads);
                long spent = threads == 1 ? mx.getCurrentThreadCpuTime() - c0 : System.nanoTime() - t0;
                if (rep >= 0) {
                    ms[i][rep] = spent / 1e6;
                }
            }
        }
        System.out.printf("2:4 %d x %d x %d, %d thread(s), %s, %d rounds%n", tokens, in, out, threads,
                threads == 1 ? "CPU time" : "wall clock", reps);
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < dirs.length; i++) {
            double[] s = ms[i].clone();
            Arrays.sort(s);
            sb.append(String.format("build %d best %.1f median %.1f ms | ", i, s[0], s[reps / 2]));
        }
        int last = dirs.length - 1;
        double[] ratio = new double[reps];
        for (int i = 0; i < reps; i++) {
            ratio[i] = ms[0][i] / ms[last][i];
        }
        Arrays.sort(ratio);
        double diff = 0;
        for (int i = 0; i < ys[0].length; i++) {
            diff = Math.max(diff, Math.abs(ys[0][i] - ys[last][i]));
        }
        sb.append(String.format("per round: build 0 / build %d %.2fx | max |difference| %.2g", last, ratio[reps / 2],
                diff));
        System.out.println(sb);
    }

    private static float[] gaussians(Random r, int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = (float) r.nextGaussian();
        }
        return a;
    }
}
