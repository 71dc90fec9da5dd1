package dev.sparsekernels.bench.probe;

import dev.sparsekernels.bench.peers.OpenBlasSgemm;
import dev.sparsekernels.cpu.BsrGemm;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.function.LongSupplier;

/**
 * Our CPU BSR GEMM against OpenBLAS dense sgemm, alternating call by call on the same inputs: 512 tokens, in = out =
 * 4096, square blocks ({@code -Dprobe.block=32}) kept at random with {@code -Dprobe.density=0.1}; {@code
 * -Dprobe.threads=2 -Dprobe.reps=9}. With {@code -Dprobe.threads=1 -Dprobe.cputime=true} it times the calling
 * thread's CPU time (both run on it then), which a busy shared machine disturbs far less than wall time: the way the
 * session-2 microkernel change was judged, old classes first on the class path against new ones.
 */
public final class BsrProbe {
    private BsrProbe() {}

    public static void main(String[] args) {
        int tokens = 512, in = 4096, out = 4096;
        int bs = Integer.getInteger("probe.block", 32);
        double density = Double.parseDouble(System.getProperty("probe.density", "0.1"));
        int threads = Integer.getInteger("probe.threads", 2);
        int reps = Integer.getInteger("probe.reps", 9);
        boolean cpuTime = Boolean.getBoolean("probe.cputime") && threads == 1;
        ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        LongSupplier clock = cpuTime ? mx::getCurrentThreadCpuTime : System::nanoTime;
        if (!OpenBlasSgemm.isAvailable()) {
            System.out.println("OpenBLAS unavailable: " + OpenBlasSgemm.unavailabilityCause());
            return;
        }
        Random r = new Random(3);
        float[] x = new float[tokens * in];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) r.nextGaussian();
        }
        List<Integer> rp = new ArrayList<>(List.of(0));
        List<Integer> cols = new ArrayList<>();
        for (int i = 0; i < out / bs; i++) {
            for (int j = 0; j < in / bs; j++) {
                if (r.nextDouble() < density) {
                    cols.add(j);
                }
            }
            rp.add(cols.size());
        }
        int[] rowPointers = rp.stream().mapToInt(Integer::intValue).toArray();
        int[] columns = cols.stream().mapToInt(Integer::intValue).toArray();
        float[] w = new float[columns.length * bs * bs];
        for (int i = 0; i < w.length; i++) {
            w[i] = (float) r.nextGaussian();
        }
        float[] bias = new float[out];
        float[] y = new float[tokens * out];
        double[] ours = new double[reps], theirs = new double[reps];
        try (OpenBlasSgemm blas = new OpenBlasSgemm(tokens, in, out, threads)) {
            blas.setInput(x);
            blas.setWeights(new float[out * in]);
            blas.setBias(bias);
            for (int i = -2; i < reps; i++) {
                long t0 = clock.getAsLong();
                BsrGemm.linear(x, tokens, in, out, bs, bs, rowPointers, columns, w, bias, y, threads);
                long t1 = clock.getAsLong();
                blas.run();
                long t2 = clock.getAsLong();
                if (i >= 0) {
                    ours[i] = (t1 - t0) / 1e6;
                    theirs[i] = (t2 - t1) / 1e6;
                }
            }
        }
        Arrays.sort(ours);
        Arrays.sort(theirs);
        System.out.printf("bsr %dx%d density %.2f, %d threads, %s: ours best %.1f median %.1f ms | openblas best %.1f"
                + " median %.1f ms | ratio best %.2fx median %.2fx%n", bs, bs, density, threads,
                cpuTime ? "CPU time" : "wall time", ours[0], ours[reps / 2], theirs[0], theirs[reps / 2],
                theirs[0] / ours[0], theirs[reps / 2] / ours[reps / 2]);
    }
}
