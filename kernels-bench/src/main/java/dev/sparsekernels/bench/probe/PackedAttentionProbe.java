package dev.sparsekernels.bench.probe;

import dev.sparsekernels.AttentionMask;
import dev.sparsekernels.cpu.AttentionLayout;
import dev.sparsekernels.cpu.FlashAttention;
import java.util.Arrays;
import java.util.Random;

/**
 * Our CPU attention as a BERT layer calls it: heads read out of packed Q|K|V rows [tokens, 3·H·D] and written into
 * packed context rows [tokens, H·D], key lengths as the mask. MiniLM's shape by default (batch 32 of 128 tokens,
 * 12 heads of 32); {@code -Dprobe.batch -Dprobe.len -Dprobe.heads -Dprobe.dim -Dprobe.threads=1 -Dprobe.reps=40}.
 * Prints the best time of the calls after the first ten, and GFLOPS (4·B·H·L²·D). Pin it to one core
 * ({@code taskset -c 0}) to compare code versions on a shared machine.
 */
public final class PackedAttentionProbe {
    private PackedAttentionProbe() {}

    public static void main(String[] args) {
        int b = Integer.getInteger("probe.batch", 32);
        int l = Integer.getInteger("probe.len", 128);
        int h = Integer.getInteger("probe.heads", 12);
        int d = Integer.getInteger("probe.dim", 32);
        int threads = Integer.getInteger("probe.threads", 1);
        int reps = Integer.getInteger("probe.reps", 40);
        int width = 3 * h * d;
        int[] lengths = new int[b];
        Arrays.fill(lengths, l);
        float[] qkv = DensePreparedProbe.gaussian(new Random(1), b * l * width);
        float[] out = new float[b * l * h * d];
        AttentionLayout q = AttentionLayout.packed(lengths, width, 0, d);
        AttentionLayout k = AttentionLayout.packed(lengths, width, h * d, d);
        AttentionLayout v = AttentionLayout.packed(lengths, width, 2 * h * d, d);
        AttentionLayout o = AttentionLayout.packed(lengths, h * d, 0, d);
        AttentionMask mask = AttentionMask.builder().keyLengths(lengths).build();
        float scale = (float) (1 / Math.sqrt(d));
        double best = Double.MAX_VALUE;
        for (int i = 0; i < reps; i++) {
            long t0 = System.nanoTime();
            FlashAttention.attention(qkv, q, qkv, k, qkv, v, out, o, b, h, h, l, l, d, mask, scale, threads);
            double ms = (System.nanoTime() - t0) / 1e6;
            if (i >= Math.min(10, reps - 1)) {
                best = Math.min(best, ms);
            }
        }
        System.out.printf("B=%d L=%d H=%d D=%d threads=%d: best %.2f ms, %.1f GFLOPS%n", b, l, h, d, threads, best,
                4.0 * b * h * l * l * d / best / 1e6);
    }
}
