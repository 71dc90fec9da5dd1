package dev.sparsekernels.bench.probe;

import dev.sparsekernels.AttentionMask;
import dev.sparsekernels.bench.BenchData;
import dev.sparsekernels.bench.BlockPattern;
import dev.sparsekernels.cpu.FlashAttention;
import java.util.Arrays;
import java.util.Random;

/**
 * Issue 5's block-sparse attention ratio outside the suite: the suite's 25% block pattern (seed 45, drawn after Q, K
 * and V as there) timed as block-sparse and as a dense boolean mask, alternating, each call run once untimed and
 * once timed with {@code -Dprobe.pauseMs} (default 0, as in the suite since session 16; it was 150) before the next
 * pair. F32, B=1, H=12, L=1024, D=64
 * unless {@code -Dprobe.heads -Dprobe.len -Dprobe.dim -Dprobe.threads -Dprobe.reps} say otherwise; blocks of
 * {@code -Dprobe.block} (64) keys and queries, {@code -Dprobe.density} (0.25) of them kept. Prints best and
 * median of each and their ratios.
 */
public final class BlockMaskProbe {
    private BlockMaskProbe() {}

    public static void main(String[] args) {
        int h = Integer.getInteger("probe.heads", 12);
        int l = Integer.getInteger("probe.len", 1024);
        int d = Integer.getInteger("probe.dim", 64);
        int threads = Integer.getInteger("probe.threads", 2);
        int reps = Integer.getInteger("probe.reps", 15);
        long pauseMs = Long.getLong("probe.pauseMs", 0);
        Random rnd = new Random(45);
        float[] q = BenchData.gaussian(rnd, h * l * d);
        float[] k = BenchData.gaussian(rnd, h * l * d);
        float[] v = BenchData.gaussian(rnd, h * l * d);
        BlockPattern pattern = BlockPattern.random(rnd, h, l, Integer.getInteger("probe.block", 64),
                Double.parseDouble(System.getProperty("probe.density", "0.25")));
        AttentionMask block = pattern.blockMask();
        AttentionMask dense = pattern.denseMask();
        float scale = (float) (1 / Math.sqrt(d));
        Runnable runBlock = () -> FlashAttention.attention(q, k, v, 1, h, h, l, l, d, block, scale, threads);
        Runnable runDense = () -> FlashAttention.attention(q, k, v, 1, h, h, l, l, d, dense, scale, threads);
        if (Boolean.getBoolean("probe.warmAll")) { // as the suite: unmasked and causal calls first (C2's profile)
            for (int i = 0; i < 3; i++) {
                FlashAttention.attention(q, k, v, 1, h, h, l, l, d, AttentionMask.none(), scale, threads);
                FlashAttention.attention(q, k, v, 1, h, h, l, l, d, AttentionMask.causal(), scale, threads);
            }
        }
        for (int i = 0; i < 5; i++) {
            runBlock.run();
            runDense.run();
        }
        if (Boolean.getBoolean("probe.blockOnly")) { // -Dprobe.blockOnly=true: a loop of block calls for a profiler
            for (int i = 0; i < reps; i++) {
                runBlock.run();
            }
            return;
        }
        double[] tb = new double[reps], td = new double[reps];
        for (int i = 0; i < reps; i++) {
            tb[i] = timeHot(runBlock, pauseMs);
            td[i] = timeHot(runDense, pauseMs);
        }
        if (Boolean.getBoolean("probe.verbose")) {
            System.out.println("block " + Arrays.toString(tb) + "\ndense " + Arrays.toString(td));
        }
        Arrays.sort(tb);
        Arrays.sort(td);
        System.out.printf("%s, H=%d L=%d D=%d threads=%d pause=%d ms, density %.3f: block best %.2f median %.2f ms"
                + " | dense mask best %.2f median %.2f ms | ratio best %.2fx median %.2fx%n", FlashAttention.describe(),
                h, l, d, threads, pauseMs, pattern.layout.density(), tb[0], tb[reps / 2], td[0], td[reps / 2],
                td[0] / tb[0], td[reps / 2] / tb[reps / 2]);
    }

    private static double timeHot(Runnable r, long pauseMs) {
        r.run();
        long t0 = System.nanoTime();
        r.run();
        double ms = (System.nanoTime() - t0) / 1e6;
        if (pauseMs > 0) {
            try {
                Thread.sleep(pauseMs);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        return ms;
    }
}
