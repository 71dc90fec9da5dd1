package dev.sparsekernels.bench.probe;

import java.lang.reflect.Method;
import java.util.Random;

/**
 * Same-process A/B of the one-off CPU GEMMs from several builds of java-api, each in its own class loader, timed back
 * to back in every round, as {@link BsrTreesProbe} does for BSR: {@code -Dprobe.kernel=2:4} (the default:
 * {@code Sparse24Weights.pruneMagnitude} + {@code Sparse24Gemm.linear}) or {@code dense} ({@code DenseGemm.linear}).
 * Y = X·Wᵀ + b, F32, in = out = 4096, tokens 512 ({@code -Dprobe.tokens -Dprobe.in -Dprobe.out -Dprobe.reps}). One
 * thread timed in CPU time by default; {@code -Dprobe.threads=2} times wall clock.
 *
 * <p>Arguments: class directories, comma-separated (see {@link AttentionTreesProbe} for making an older build). Prints
 * best and median per build, the median of the per-round ratios (first build over last) and the largest difference
 * between the first and last build's outputs.
 */
public final class GemmTreesProbe {
    private GemmTreesProbe() {}

    public static void main(String[] args) throws Exception {
        if (args.length != 1) {
            System.err.println("usage: GemmTreesProbe DIR[,DIR...]  (java-api class directories)");
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
        boolean dense = "dense".equals(System.getProperty("probe.kernel", "2:4"));
        Object[] weights = new Object[dirs.length];
        Method[] linear = new Method[dirs.length];
        for (int i = 0; i < dirs.length; i++) {
            ClassLoader cl = TreeRounds.loader(dirs[i]);
            if (dense) {
                linear[i] = cl.loadClass("dev.sparsekernels.cpu.DenseGemm").getMethod("linear", float[].class,
                        int.class, int.class, float[].class, int.class, float[].class, float[].class, int.class);
                continue;
            }
            Class<?> sw = cl.loadClass("dev.sparsekernels.cpu.Sparse24Weights");
            weights[i] = sw.getMethod("pruneMagnitude", float[].class, int.class, int.class).invoke(null, w, out, in);
            linear[i] = cl.loadClass("dev.sparsekernels.cpu.Sparse24Gemm").getMethod("linear", float[].class,
                    int.class, int.class, sw, float[].class, float[].class, int.class);
        }
        float[][] ys = new float[dirs.length][tokens * out];
        double[][] ms = TreeRounds.time(dirs.length, reps, TreeRounds.clock(threads), i -> {
            if (dense) {
                linear[i].invoke(null, x, tokens, in, w, out, b, ys[i], threads);
            } else {
                linear[i].invoke(null, x, tokens, in, weights[i], b, ys[i], threads);
            }
        });
        System.out.printf("%s %d x %d x %d, %d thread(s), %s, %d rounds%n", dense ? "dense" : "2:4", tokens, in, out,
                threads, threads == 1 ? "CPU time" : "wall clock", reps);
        System.out.println(TreeRounds.summary(ms) + String.format(" | max |difference| %.2g",
                TreeRounds.maxDifference(ys[0], ys[dirs.length - 1])));
    }

    private static float[] gaussians(Random r, int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = (float) r.nextGaussian();
        }
        return a;
    }
}
