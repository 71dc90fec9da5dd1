package dev.sparsekernels.bench;

import dev.sparsekernels.bench.peers.OpenBlasSgemm;

/** OpenBLAS as a {@link GemmPeer}: inputs copied off-heap once, so only sgemm/sgemv (+ bias) is timed. */
public final class OpenBlasPeer implements GemmPeer {
    private final OpenBlasSgemm sgemm;
    private final float[] y;

    public OpenBlasPeer(float[] x, int tokens, int in, float[] w, int out, float[] bias, int threads) {
        sgemm = new OpenBlasSgemm(tokens, in, out, threads);
        sgemm.setInput(x);
        sgemm.setWeights(w);
        sgemm.setBias(bias);
        y = new float[tokens * out];
    }

    @Override
    public String name() {
        return "openblas";
    }

    @Override
    public void run() {
        sgemm.run();
    }

    @Override
    public float[] result() {
        sgemm.getOutput(y);
        return y;
    }

    @Override
    public void close() {
        sgemm.close();
    }
}
