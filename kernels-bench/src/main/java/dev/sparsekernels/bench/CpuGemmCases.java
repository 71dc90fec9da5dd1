package dev.sparsekernels.bench;

import dev.sparsekernels.BlockSparseMatrix;
import dev.sparsekernels.Sparse24Matrix;
import dev.sparsekernels.Tensor;
import dev.sparsekernels.cpu.BsrGemm;
import dev.sparsekernels.cpu.BsrWeights;
import dev.sparsekernels.cpu.DenseGemm;
import dev.sparsekernels.cpu.Sparse24Gemm;
import dev.sparsekernels.cpu.Sparse24Weights;
import java.util.ArrayList;
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
        float[] x = BenchData.uniform(rnd, tokens * in);
        float[] w = BenchData.uniform(rnd, out * in);
        float[] bias = BenchData.uniform(rnd, out);
        float[] y = new float[tokens * out];

        Map<String, Object> shapeMap = BenchData.gemmShape(tokens, in, out);

        Sparse24Weights sw;
        try (Tensor wt = Tensor.of(w, out, in); Sparse24Matrix s = Sparse24Matrix.prune(wt)) {
            sw = s.cpuWeights();
        }
        float[] ySparse = new float[tokens * out];
        Runnable dense = () -> DenseGemm.linear(x, tokens, in, w, out, bias, y, threads);
        Runnable sparse = () -> Sparse24Gemm.linear(x, tokens, in, sw, bias, ySparse, threads);
        progress.apply("gemm " + tokens + "x" + in + "x" + out + ": peer, dense, 2:4 round-robin");
        Double peerMs = null;
        String peerName = peerMissing;
        double denseMs;
        double sparseMs;
        if (peerMissing == null) {
            try (GemmPeer peer = peers.create(x, tokens, in, w, out, bias, threads)) {
                peerName = peer.name();
                double[] ms = Timing.roundRobinMediansMs(List.of(peer::run, dense, sparse), 1, 3, budgetMs);
                peerMs = ms[0];
                denseMs = ms[1];
                sparseMs = ms[2];
                checkClose("dense", y, peer.result(), in);
            }
        } else {
            double[] ms = Timing.roundRobinMediansMs(List.of(dense, sparse), 1, 3, budgetMs);
            denseMs = ms[0];
            sparseMs = ms[1];
        }

        List<BenchRecord> records = new ArrayList<>();
        records.add(new BenchRecord("gemm", "dense", "cpu", shapeMap, "f32", denseMs, peerName, peerMs, threads));
        records.add(new BenchRecord("gemm", "2:4", "cpu", shapeMap, "f32", sparseMs, peerName, peerMs, threads));
        return records;
    }

    /**
     * BSR cases on one shape: W random, block-norm pruned to each {block, percent} case, against the dense peer on the
     * same shape, timed round-robin with each case (no peer when {@code peerMissing} says why).
     */
    static List<BenchRecord> runBsr(int[] shape, List<int[]> cases, int threads, double budgetMs, PeerFactory peers,
            String peerMissing, Function<String, Void> progress) {
        String peerName = peerMissing;
        int tokens = shape[0];
        int in = shape[1];
        int out = shape[2];
        Random rnd = new Random(43);
        float[] x = BenchData.uniform(rnd, tokens * in);
        float[] w = BenchData.uniform(rnd, out * in);
        float[] bias = BenchData.uniform(rnd, out);
        float[] y = new float[tokens * out];
        Map<String, Object> shapeMap = BenchData.gemmShape(tokens, in, out);
        List<BenchRecord> records = new ArrayList<>();
        GemmPeer peer = null;
        try (Tensor wt = Tensor.of(w, out, in)) {
            if (peerName == null) {
                peer = peers.create(x, tokens, in, w, out, bias, threads);
                peerName = peer.name();
            }
            for (int[] c : cases) {
                int b = c[0];
                String format = "bsr:" + b + "x" + b;
                progress.apply(format + " density " + c[1] / 100.0);
                try (BlockSparseMatrix m = BlockSparseMatrix.prune(wt, b, b, c[1] / 100.0)) {
                    BsrWeights prepared = m.cpuWeights(); // once, outside the timing: as a model layer runs it
                    Runnable ours = () -> BsrGemm.linear(x, tokens, prepared, bias, y, threads);
                    Double peerMs = null;
                    double ms;
                    if (peer != null) { // the dense peer timed round-robin with each case
                        double[] t = Timing.roundRobinMediansMs(List.of(peer::run, ours), 1, 3, budgetMs);
                        peerMs = t[0];
                        ms = t[1];
                    } else {
                        ms = Timing.roundRobinMediansMs(List.of(ours), 1, 3, budgetMs)[0];
                    }
                    checkSampled(format, y, x, m.toDenseArray(), bias, tokens, in, out, rnd);
                    records.add(new BenchRecord("gemm", format, "cpu", shapeMap, "f32", ms, peerName, peerMs, threads,
                            m.density()));
                }
            }
        } finally {
            if (peer != null) {
                peer.close();
            }
        }
        return records;
    }

    /** Checks 64 sampled outputs of a sparse result against double dot products over the (pruned) dense W. */
    private static void checkSampled(String what, float[] y, float[] x, float[] wDense, float[] bias, int tokens,
            int in, int out, Random rnd) {
        for (int s = 0; s < 64; s++) {
            int t = rnd.nextInt(tokens);
            int o = rnd.nextInt(out);
            double ref = bias[o];
            for (int k = 0; k < in; k++) {
                ref += (double) x[t * in + k] * wDense[o * in + k];
            }
            if (!(Math.abs(y[t * out + o] - ref) <= 1e-4 * in)) {
                throw new IllegalStateException(what + " result differs from the reference at token " + t + ", row "
                        + o + ": " + y[t * out + o] + " vs " + ref);
            }
        }
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
}
