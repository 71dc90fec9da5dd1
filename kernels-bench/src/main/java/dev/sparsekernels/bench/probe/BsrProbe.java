package dev.sparsekernels.bench.probe;

import dev.sparsekernels.bench.Timing;
import dev.sparsekernels.bench.peers.OpenBlasSgemm;
import dev.sparsekernels.cpu.BsrGemm;
import dev.sparsekernels.cpu.BsrWeights;
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
 * -Dprobe.threads=2 -Dprobe.reps=9}; W prepared once ({@code BsrWeights}, outside the timing), or the one-off call on the
 * raw arrays with {@code -Dprobe.oneoff=true}. With {@code -Dprobe.threads=1 -Dprobe.cputime=true} it times the calling
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
        boolean oneOff = Boolean.getBoolean("probe.oneoff");
        BsrWeights prepared = BsrWeights.of(out, in, bs, bs, rowPointers, columns, w);
        float[] bias = new float[out];
        float[] y = new float[tokens * out];
        double[] ours = new double[reps], theirs = new double[reps];
        try (OpenBlasSgemm blas = new OpenBlasSgemm(tokens, in, out, threads)) {
            blas.setInput(x);
            blas.setWeights(new float[out * in]);
            blas.setBias(bias);
            Runnable run = oneOff
                    ? () -> BsrGemm.linear(x, tokens, in, out, bs, bs, rowPointers, columns, w, bias, y, threads)
                    : () -> BsrGemm.linear(x, tokens, prepared, bias, y, threads);
            for (int i = -2; i < reps; i++) {
                // Each side twice, timing the second call (caches warm, OpenBLAS timed as it runs in a loop of its
                // own calls). OpenBLAS's workers keep spinning after a call (about 2^28 cycles, 0.1 s here, unless
                // OPENBLAS_THREAD_TIMEOUT says less) and would take a core from whatever runs next: a pause first.
                Timing.pause(250);
                run.run();
                long t0 = clock.getAsLong();
                run.run();
                long t1 = clock.getAsLong();
                blas.run();
                long t2 = clock.getAsLong();
                blas.run();
                long t3 = clock.getAsLong();
                if (i >= 0) {
                    ours[i] = (t1 - t0) / 1e6;
                    theirs[i] = (t3 - t2) / 1e6;
                }
            }
        }
        Arrays.sort(ours);
        Arrays.sort(theirs);
        System.out.printf((oneOff ? "one-off " : "prepared ") + "bsr %dx%d density %.2f, %d threads, %s: ours best %.1f median %.1f ms | openblas best %.1f"
                + " median %.1f ms | ratio best %.2fx median %.2fx%n", bs, bs, density, threads,
                cpuTime ? "CPU time" : "wall time", ours[0], ours[reps / 2], theirs[0], theirs[reps / 2],
                theirs[0] / ours[0], theirs[reps / 2] / ours[reps / 2]);
    }
}
