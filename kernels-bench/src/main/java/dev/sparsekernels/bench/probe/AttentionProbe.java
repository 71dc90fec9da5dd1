package dev.sparsekernels.bench.probe;

import dev.sparsekernels.AttentionMask;
import dev.sparsekernels.bench.peers.TorchSdpa;
import dev.sparsekernels.cpu.FlashAttention;
import java.util.Arrays;

/**
 * Interleaved timing of our CPU {@code FlashAttention} and libtorch's SDPA (F32, B=1, H=12, L=1024, D=64 by default;
 * {@code -Dprobe.heads -Dprobe.len -Dprobe.dim -Dprobe.threads -Dprobe.reps -Dprobe.pauseMs}), no mask and causal. Rounds alternate
 * ours and theirs so that a burst of load on a shared machine hits both; prints best and median of each.
 */
public final class AttentionProbe {
    private AttentionProbe() {}

    public static void main(String[] args) {
        int h = Integer.getInteger("probe.heads", 12);
        int l = Integer.getInteger("probe.len", 1024);
        int d = Integer.getInteger("probe.dim", 64);
        int threads = Integer.getInteger("probe.threads", 2);
        int reps = Integer.getInteger("probe.reps", 7);
        // -Dprobe.peer=false times ours alone: shows whether libtorch's OpenMP threads slow our pool when interleaved
        boolean peer = Boolean.parseBoolean(System.getProperty("probe.peer", "true"));
        // -Dprobe.cputime=true with -Dprobe.threads=1: the calling thread's CPU time, which a busy shared machine
        // disturbs far less than wall time (both kernels then run on the calling thread)
        boolean cpuTime = Boolean.getBoolean("probe.cputime") && threads == 1;
        // -Dprobe.pauseMs: sleep before each timed call. libtorch's OpenMP workers (libgomp) spin for a while after a
        // call, and our pool's caller runs every task itself when its worker cannot start: timed straight after
        // libtorch, ours measured up to 2x slower than alone (87.9 vs 47.6 ms, no mask). The pause lets both start
        // from idle cores.
        long pauseMs = Long.getLong("probe.pauseMs", 30);
        java.lang.management.ThreadMXBean mx = java.lang.management.ManagementFactory.getThreadMXBean();
        java.util.function.LongSupplier clock = cpuTime ? mx::getCurrentThreadCpuTime : System::nanoTime;
        if (!TorchSdpa.isAvailable()) {
            System.out.println("libtorch unavailable: " + TorchSdpa.unavailabilityCause());
            return;
        }
        float[][] qkv = ProbeInputs.qkv(h * l * d);
        float[] q = qkv[0], k = qkv[1], v = qkv[2];
        float scale = (float) (1 / Math.sqrt(d));
        System.out.printf("B=1 H=%d L=%d D=%d threads=%d, %d interleaved rounds, %s%n", h, l, d, threads, reps,
                cpuTime ? "CPU time of the calling thread" : "wall time");
        // Warm ours up on both masks first. C2 compiles the tile loop for the masks it has seen; the first causal call
        // after only unmasked ones deoptimises it, and slower code then runs for a second or two while it is
        // recompiled (causal medians up to 1.5x the best).
        for (int i = 0; i < 6; i++) {
            FlashAttention.attention(q, k, v, 1, h, h, l, l, d, AttentionMask.none(), scale, threads);
            FlashAttention.attention(q, k, v, 1, h, h, l, l, d, AttentionMask.causal(), scale, threads);
        }
        for (boolean causal : new boolean[] {false, true}) {
            AttentionMask m = causal ? AttentionMask.causal() : AttentionMask.none();
            double[] ours = new double[reps], theirs = new double[reps];
            try (TorchSdpa t = new TorchSdpa(q, k, v, 1, h, l, l, d, causal, null, scale, threads)) {
                for (int i = 0; i < 2; i++) {
                    FlashAttention.attention(q, k, v, 1, h, h, l, l, d, m, scale, threads);
                    t.run();
                }
                for (int i = 0; i < reps; i++) {
                    pause(pauseMs);
                    long t0 = clock.getAsLong();
                    FlashAttention.attention(q, k, v, 1, h, h, l, l, d, m, scale, threads);
                    ours[i] = (clock.getAsLong() - t0) / 1e6;
                    if (peer) {
                        pause(pauseMs);
                        long t1 = clock.getAsLong();
                        t.run();
                        theirs[i] = (clock.getAsLong() - t1) / 1e6;
                    }
                }
            }
            Arrays.sort(ours);
            // theirs stays 0 with -Dprobe.peer=false
            Arrays.sort(theirs);
            System.out.printf("%-7s ours best %7.1f median %7.1f ms | libtorch best %7.1f median %7.1f ms | "
                    + "best ratio %.2fx%n", causal ? "causal" : "none", ours[0], ours[reps / 2], theirs[0],
                    theirs[reps / 2], theirs[0] / ours[0]);
        }
    }

    private static void pause(long ms) {
        if (ms <= 0) {
            return;
        }
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
