package dev.sparsekernels.bench.probe;

import dev.sparsekernels.cpu.DenseGemm;
import dev.sparsekernels.cpu.DenseWeights;
import java.util.Random;

/**
 * How fast one core of this machine runs our dense GEMM, to tell a slow core from slow code: run it pinned to each
 * CPU in turn ({@code taskset -c 0 java --add-modules jdk.incubator.vector -cp ... CoreSpeedProbe}, then {@code -c 1}).
 * On the shared 2-vCPU VM of session 6, vCPU 1 ran it at about half the speed of vCPU 0 (42-54 against 77-86
 * GFLOPS) for the better part of an hour, run after run, and at full speed (88) later: a neighbour's load on one
 * core, which turns a 2-thread timing into one fast and one slow core whatever the code.
 * One thread, prepared weights, MiniLM's FFN shape by default: {@code -Dprobe.tokens=4096 -Dprobe.in=384
 * -Dprobe.out=1536 -Dprobe.rounds=4}. Prints GFLOPS per round (best of 5 calls).
 */
public final class CoreSpeedProbe {
    private CoreSpeedProbe() {}

    public static void main(String[] args) {
        int tokens = Integer.getInteger("probe.tokens", 4096);
        int in = Integer.getInteger("probe.in", 384);
        int out = Integer.getInteger("probe.out", 1536);
        int rounds = Integer.getInteger("probe.rounds", 4);
        Random r = new Random(1);
        float[] x = DensePreparedProbe.gaussian(r, tokens * in);
        DenseWeights w = DenseWeights.of(DensePreparedProbe.gaussian(r, out * in), out, in);
        float[] y = new float[tokens * out];
        System.out.printf("dense GEMM %d x %d x %d, one thread, best of 5 per round%n", tokens, in, out);
        for (int round = 0; round < rounds; round++) {
            long best = Long.MAX_VALUE;
            for (int i = 0; i < 5; i++) {
                long t0 = System.nanoTime();
                DenseGemm.linear(x, tokens, w, null, y, 1);
                best = Math.min(best, System.nanoTime() - t0);
            }
            System.out.printf("round %d: %.1f GFLOPS%n", round, 2.0 * tokens * in * out / best);
        }
    }
}
