package dev.sparsekernels.bench.probe;

import dev.sparsekernels.cpu.AttentionLayout;
import dev.sparsekernels.cpu.FlashAttention;

import java.util.Arrays;
import java.util.Locale;
import java.util.Random;

/**
 * MiniLM's attention as one encoder thread runs it (session 15's batch split: 16 sequences of 128 tokens per
 * thread): 12 heads of 32, Q, K and V read from the fused QKV projection's rows (stride 3 x 384), context written
 * packed, one thread. Prints the best and median of each round's calls, for alternating-process A/B comparisons of
 * the CPU attention kernels. {@code -Dprobe.batch -Dprobe.len -Dprobe.heads -Dprobe.dim -Dprobe.reps -Dprobe.rounds}.
 */
public final class MiniLmAttentionProbe {
    private MiniLmAttentionProbe() {}

    public static void main(String[] args) {
        int batch = Integer.getInteger("probe.batch", 16);
        int len = Integer.getInteger("probe.len", 128);
        int heads = Integer.getInteger("probe.heads", 12);
        int d = Integer.getInteger("probe.dim", 32);
        int reps = Integer.getInteger("probe.reps", 40);
        int rounds = Integer.getInteger("probe.rounds", 6);
        int width = heads * d;
        int tokens = batch * len;
        int[] lengths = new int[batch];
        Arrays.fill(lengths, len);
        Random rnd = new Random(7);
        float[] y = new float[tokens * 3 * width];
        for (int i = 0; i < y.length; i++) {
            y[i] = (float) rnd.nextGaussian();
        }
        float[] context = new float[tokens * width];
        float scale = (float) (1 / Math.sqrt(d));
        AttentionLayout q = AttentionLayout.packed(lengths, 3 * width, 0, d);
        AttentionLayout k = AttentionLayout.packed(lengths, 3 * width, width, d);
        AttentionLayout v = AttentionLayout.packed(lengths, 3 * width, 2 * width, d);
        AttentionLayout o = AttentionLayout.packed(lengths, width, 0, d);
        double flops = 4.0 * batch * heads * len * (double) len * d;
        System.out.printf(Locale.ROOT, "attention B%d H%d L%d D%d, one thread, %s%n", batch, heads, len, d,
                FlashAttention.describe());
        for (int r = 0; r < rounds; r++) {
            double[] ms = new double[reps];
            for (int i = 0; i < reps; i++) {
                long t = System.nanoTime();
                FlashAttention.attention(y, q, y, k, y, v, context, o, batch, heads, heads, len, len, d, null, scale, 1);
                ms[i] = (System.nanoTime() - t) / 1e6;
            }
            Arrays.sort(ms);
            System.out.printf(Locale.ROOT, "round %d: best %.3f ms (%.1f GFLOPS), median %.3f ms%n", r, ms[0],
                    flops / ms[0] / 1e6, ms[reps / 2]);
        }
        System.out.println("checksum " + context[12345] + " " + context[context.length - 1]);
    }
}
