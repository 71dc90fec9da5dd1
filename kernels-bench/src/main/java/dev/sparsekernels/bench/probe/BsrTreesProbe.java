package dev.sparsekernels.bench.probe;

import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;

/**
 * Same-process A/B of the prepared BSR GEMM ({@code BsrWeights} + {@code BsrGemm.linear}) from several builds of
 * java-api, each in its own class loader, timed back to back in every round on the calling thread (one thread, CPU
 * time), as {@link AttentionTreesProbe} does for attention: on this project's shared machines two processes minutes
 * apart compare the machine's phases, not the code. Y = X·Wᵀ with X [512, 4096] and W [4096, 4096] holding a random
 * 10% of its 32 x 32 blocks ({@code -Dprobe.tokens -Dprobe.block -Dprobe.density -Dprobe.reps}).
 *
 * <p>Arguments: class directories, comma-separated (see {@link AttentionTreesProbe} for making an older build). Prints
 * best and median per build, the median of the per-round ratios (first build over last) and the largest difference
 * between the first and last build's outputs.
 */
public final class BsrTreesProbe {
    private BsrTreesProbe() {}

    public static void main(String[] args) throws Exception {
        if (args.length != 1) {
            System.err.println("usage: BsrTreesProbe DIR[,DIR...]  (java-api class directories)");
            System.exit(2);
        }
        String[] dirs = args[0].split(",");
        int tokens = Integer.getInteger("probe.tokens", 512);
        int bs = Integer.getInteger("probe.block", 32);
        double density = Double.parseDouble(System.getProperty("probe.density", "0.1"));
        int reps = Integer.getInteger("probe.reps", 9);
        int out = 4096, in = 4096;
        Random r = new Random(1);
        int nbr = out / bs, nbc = in / bs;
        List<Integer> order = new ArrayList<>();
        for (int i = 0; i < nbr * nbc; i++) {
            order.add(i);
        }
        Collections.shuffle(order, r);
        boolean[] kept = new boolean[nbr * nbc];
        for (int i = 0; i < (int) Math.round(density * nbr * nbc); i++) {
            kept[order.get(i)] = true;
        }
        int[] rowPointers = new int[nbr + 1];
        List<Integer> columns = new ArrayList<>();
        for (int br = 0; br < nbr; br++) {
            for (int bc = 0; bc < nbc; bc++) {
                if (kept[br * nbc + bc]) {
                    columns.add(bc);
                }
            }
            rowPointers[br + 1] = columns.size();
        }
        int[] cols = columns.stream().mapToInt(Integer::intValue).toArray();
        float[] values = new float[cols.length * bs * bs];
        for (int i = 0; i < values.length; i++) {
            values[i] = (float) r.nextGaussian();
        }
        float[] x = new float[tokens * in];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) r.nextGaussian();
        }
        Object[] weights = new Object[dirs.length];
        Method[] linear = new Method[dirs.length];
        for (int i = 0; i < dirs.length; i++) {
            ClassLoader cl = TreeRounds.loader(dirs[i]);
            Class<?> bw = cl.loadClass("dev.sparsekernels.cpu.BsrWeights");
            weights[i] = bw.getMethod("of", int.class, int.class, int.class, int.class, int[].class, int[].class,
                    float[].class).invoke(null, out, in, bs, bs, rowPointers, cols, values);
            linear[i] = cl.loadClass("dev.sparsekernels.cpu.BsrGemm").getMethod("linear", float[].class, int.class,
                    bw, float[].class, float[].class, int.class);
        }
        float[][] ys = new float[dirs.length][tokens * out];
        double[][] ms = TreeRounds.time(dirs.length, reps, TreeRounds.clock(1),
                i -> linear[i].invoke(null, x, tokens, weights[i], null, ys[i], 1));
        System.out.printf("BSR %dx%d density %.2f, %d x %d x %d, one thread, CPU time, %d rounds%n", bs, bs, density,
                tokens, in, out, reps);
        System.out.println(TreeRounds.summary(ms) + String.format(" | max |difference| %.2g",
                TreeRounds.maxDifference(ys[0], ys[dirs.length - 1])));
    }
}
