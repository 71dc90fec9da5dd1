package dev.sparsekernels.bench.probe;

import dev.sparsekernels.cpu.Activations;
import java.util.Random;

/**
 * Nanoseconds per float of the CPU GELU that the model runs ({@link Activations#gelu}), on MiniLM's FFN activations
 * of one encoder thread (2,048 tokens x 1,536 channels, Gaussian with standard deviation 1.5), one thread: for
 * comparing GELU forms in alternating processes. {@code -Dprobe.floats -Dprobe.rounds}. Prints the best of 20 calls
 * per round (each on a fresh copy of the inputs).
 */
public final class GeluProbe {
    private GeluProbe() {}

    public static void main(String[] args) {
        int n = Integer.getInteger("probe.floats", 2048 * 1536);
        int rounds = Integer.getInteger("probe.rounds", 6);
        Random r = new Random(1);
        float[] src = new float[n];
        for (int i = 0; i < n; i++) {
            src[i] = (float) (r.nextGaussian() * 1.5);
        }
        float[] x = new float[n];
        System.out.printf("GELU on %d floats, one thread, %s%n", n, Activations.describe());
        double check = 0;
        for (int round = 0; round < rounds; round++) {
            long best = Long.MAX_VALUE;
            for (int i = 0; i < 20; i++) {
                System.arraycopy(src, 0, x, 0, n);
                long t0 = System.nanoTime();
                Activations.gelu(x, 1);
                best = Math.min(best, System.nanoTime() - t0);
            }
            check += x[round];
            System.out.printf("round %d: %.3f ms, %.3f ns per float%n", round, best / 1e6, (double) best / n);
        }
        System.out.println("checksum " + check);
    }
}
