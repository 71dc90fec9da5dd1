package dev.sparsekernels.bench.probe;

import dev.sparsekernels.bench.peers.TorchSdpa;
import java.lang.reflect.Method;
import java.util.Arrays;
import java.util.function.LongSupplier;

/**
 * Same-process A/B of our CPU {@code FlashAttention} from several builds of java-api, with libtorch's SDPA beside
 * them: each build's classes load in their own class loader, and every round times each build and then libtorch
 * back to back on the calling thread (one thread, CPU time). On this project's shared 2-vCPU machines the speed of
 * a core changes by up to 2x within minutes, so two processes run minutes apart compare phases, not code; adjacent
 * calls in one process see the same phase.
 *
 * <p>Arguments: class directories, comma-separated (for instance an older build extracted with {@code git archive
 * REV java-api/src/main} and compiled with {@code javac --release 17 --add-modules jdk.incubator.vector}, then
 * {@code java-api/target/classes}). {@code -Dprobe.batch -Dprobe.heads -Dprobe.len -Dprobe.dim -Dprobe.reps
 * -Dprobe.threads} (with more than one thread it takes wall time, and then whatever runs right after libtorch meets
 * its still-spinning OpenMP workers: read those ratios with care). F32 (B = 1 by default), no mask and causal. Pin
 * it: {@code taskset -c 1 java --add-modules jdk.incubator.vector -cp <kernels-bench classpath>
 * dev.sparsekernels.bench.probe.AttentionTreesProbe OLD,NEW}. Prints best and median per build and the medians of
 * the per-round ratios (first build over last, libtorch over last).
 */
public final class AttentionTreesProbe {
    private AttentionTreesProbe() {}

    public static void main(String[] args) throws Exception {
        if (args.length != 1) {
            System.err.println("usage: AttentionTreesProbe DIR[,DIR...]  (java-api class directories)");
            System.exit(2);
        }
        String[] dirs = args[0].split(",");
        int batch = Integer.getInteger("probe.batch", 1);
        int h = Integer.getInteger("probe.heads", 12);
        int l = Integer.getInteger("probe.len", 1024);
        int d = Integer.getInteger("probe.dim", 64);
        int reps = Integer.getInteger("probe.reps", 11);
        // -Dprobe.threads=2: wall time instead (the other thread's work is not the calling thread's CPU time)
        int threads = Integer.getInteger("probe.threads", 1);
        LongSupplier clock = TreeRounds.clock(threads);
        float[][] qkv = ProbeInputs.qkv(batch * h * l * d);
        float[] q = qkv[0], k = qkv[1], v = qkv[2];
        float scale = (float) (1 / Math.sqrt(d));
        Method[] attention = new Method[dirs.length];
        Class<?>[] maskClass = new Class<?>[dirs.length];
        for (int i = 0; i < dirs.length; i++) {
            ClassLoader cl = TreeRounds.loader(dirs[i]);
            maskClass[i] = cl.loadClass("dev.sparsekernels.AttentionMask");
            attention[i] = cl.loadClass("dev.sparsekernels.cpu.FlashAttention").getMethod("attention", float[].class,
                    float[].class, float[].class, int.class, int.class, int.class, int.class, int.class, int.class,
                    maskClass[i], float.class, int.class);
        }
        boolean torch = TorchSdpa.isAvailable();
        if (!torch) {
            System.out.println("libtorch unavailable: " + TorchSdpa.unavailabilityCause());
        }
        System.out.printf("B=%d H=%d L=%d D=%d, %d thread(s), %s, %d rounds%n", batch, h, l, d, threads,
                threads == 1 ? "CPU time" : "wall time", reps);
        // every build warmed up on both masks first (see AttentionProbe: a first causal call deoptimises the tile loop)
        for (int i = 0; i < dirs.length; i++) {
            Object none = maskClass[i].getMethod("none").invoke(null);
            Object causal = maskClass[i].getMethod("causal").invoke(null);
            for (int w = 0; w < 6; w++) {
                attention[i].invoke(null, q, k, v, batch, h, h, l, l, d, none, scale, threads);
                attention[i].invoke(null, q, k, v, batch, h, h, l, l, d, causal, scale, threads);
            }
        }
        for (boolean causal : new boolean[] {false, true}) {
            Object[] masks = new Object[dirs.length];
            for (int i = 0; i < dirs.length; i++) {
                masks[i] = maskClass[i].getMethod(causal ? "causal" : "none").invoke(null);
            }
            double[][] ms = new double[dirs.length + 1][reps];
            try (TorchSdpa t = torch ? new TorchSdpa(q, k, v, batch, h, l, l, d, causal, null, scale, threads) : null) {
                for (int rep = -2; rep < reps; rep++) { // two rounds of warm-up
                    for (int i = 0; i < dirs.length; i++) {
                        long t0 = clock.getAsLong();
                        attention[i].invoke(null, q, k, v, batch, h, h, l, l, d, masks[i], scale, threads);
                        if (rep >= 0) {
                            ms[i][rep] = (clock.getAsLong() - t0) / 1e6;
                        }
                    }
                    if (t != null) {
                        long t0 = clock.getAsLong();
                        t.run();
                        if (rep >= 0) {
                            ms[dirs.length][rep] = (clock.getAsLong() - t0) / 1e6;
                        }
                    }
                }
            }
            StringBuilder sb = new StringBuilder(causal ? "causal" : "none  ");
            for (int i = 0; i < dirs.length + (torch ? 1 : 0); i++) {
                double[] s = ms[i].clone();
                Arrays.sort(s);
                sb.append(String.format(" | %s best %.1f median %.1f ms", i == dirs.length ? "libtorch" : "build " + i,
                        s[0], s[reps / 2]));
            }
            int last = dirs.length - 1;
            sb.append(String.format(" | per round: build 0 / build %d %.2fx", last,
                    TreeRounds.medianRatio(ms[0], ms[last])));
            if (torch) {
                sb.append(String.format(", libtorch / build %d %.2fx", last,
                        TreeRounds.medianRatio(ms[dirs.length], ms[last])));
            }
            System.out.println(sb);
        }
    }
}
