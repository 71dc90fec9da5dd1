package dev.sparsekernels.bench;

import dev.sparsekernels.Sparse24Matrix;
import dev.sparsekernels.Tensor;
import dev.sparsekernels.cpu.DenseGemm;
import dev.sparsekernels.cpu.Sparse24Gemm;
import dev.sparsekernels.cpu.Sparse24Weights;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Function;

/**
 * CPU GEMM cases: our dense and 2:4 kernels against a dense peer (OpenBLAS) on the same shape, thread count and
 * F32 data. Both sides get their inputs prepared once, outside the timed region: the peer off-heap, ours as arrays
 * (and the 2:4 weight in its prepared form), so neither is charged for copies.
 */
final class CpuGemmCases {
    private CpuGemmCases() {
    }

    /** Builds a peer for a shape, or throws with the reason it is unavailable. */
    interface PeerFactory {
        GemmPeer create(float[] x, int tokens, int in, float[] w, int out, float[] bias, int threads);
    }

    static List<BenchRecord> run(int[] shape, int threads, double budgetMs, PeerFactory peers, String peerMissing,
            Function<String, Void> progress) {
        int tokens = shape[0];
        int in = shape[1];
        int out = shape[2];
        Random rnd = new Random(42);
        float[] x = randomArray(rnd, tokens * in);
        float[] w = randomArray(rnd, out * in);
        float[] bias = randomArray(rnd, out);
        float[] y = new float[tokens * out];

        Map<String, Object> shapeMap = new LinkedHashMap<>();
        shapeMap.put("tokens", tokens);
        shapeMap.put("in", in);
        shapeMap.put("out", out);

        progress.apply("gemm " + tokens + "x" + in + "x" + out + ": peer");
        Double peerMs = null;
        String peerName = peerMissing;
        float[] denseRef = null;
        if (peerMissing == null) {
            try (GemmPeer peer = peers.create(x, tokens, in, w, out, bias, threads)) {
                peerName = peer.name();
                peerMs = Timing.medianMs(peer::run, 2, 3, budgetMs);
                denseRef = peer.result().clone();
            }
        }

        progress.apply("gemm " + tokens + "x" + in + "x" + out + ": dense");
        double denseMs = Timing.medianMs(() -> DenseGemm.linear(x, tokens, in, w, out, bias, y, threads), 2, 3,
                budgetMs);
        if (denseRef != null) {
            checkClose("dense", y, denseRef, in);
        }

        progress.apply("gemm " + tokens + "x" + in + "x" + out + ": 2:4");
        Sparse24Weights sw;
        try (Tensor wt = Tensor.of(w, out, in); Sparse24Matrix s = Sparse24Matrix.prune(wt)) {
            sw = s.cpuWeights();
        }
        double sparseMs = Timing.medianMs(() -> Sparse24Gemm.linear(x, tokens, in, sw, bias, y, threads), 2, 3,
                budgetMs);

        List<BenchRecord> records = new ArrayList<>();
        records.add(new BenchRecord("gemm", "dense", "cpu", shapeMap, "f32", denseMs, peerName, peerMs, threads));
        records.add(new BenchRecord("gemm", "2:4", "cpu", shapeMap, "f32", sparseMs, peerName, peerMs, threads));
        return records;
    }

    /** A bench whose answer is wrong measures nothing: compare ours to the peer before reporting. */
    private static void checkClose(String what, float[] ours, float[] peer, int in) {
        double tol = 1e-4 * in;
        for (int i = 0; i < ours.length; i++) {
            if (!(Math.abs(ours[i] - peer[i]) <= tol)) {
                throw new IllegalStateException(what + " result differs from the peer at " + i + ": " + ours[i]
                        + " vs " + peer[i]);
            }
        }
    }

    private static float[] randomArray(Random rnd, int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = rnd.nextFloat() * 2 - 1;
        }
        return a;
    }
}
