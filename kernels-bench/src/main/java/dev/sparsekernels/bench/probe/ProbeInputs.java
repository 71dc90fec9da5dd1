package dev.sparsekernels.bench.probe;

import java.util.Random;

/** Inputs the attention probes share, so that their timings are of the same numbers. */
final class ProbeInputs {
    private ProbeInputs() {}

    /** Q, K and V of n floats each, standard normal from seed 1 (drawn q, k, v element by element). */
    static float[][] qkv(int n) {
        Random r = new Random(1);
        float[] q = new float[n], k = new float[n], v = new float[n];
        for (int i = 0; i < n; i++) {
            q[i] = (float) r.nextGaussian();
            k[i] = (float) r.nextGaussian();
            v[i] = (float) r.nextGaussian();
        }
        return new float[][] {q, k, v};
    }
}
