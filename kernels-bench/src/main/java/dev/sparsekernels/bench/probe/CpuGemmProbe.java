package dev.sparsekernels.bench.probe;

import dev.sparsekernels.bench.peers.OpenBlasSgemm;
import dev.sparsekernels.cpu.CpuVectorization;
import dev.sparsekernels.cpu.DenseGemm;
import dev.sparsekernels.cpu.Sparse24Gemm;
import dev.sparsekernels.cpu.Sparse24Weights;
import java.util.Random;

/**
 * Side-by-side timing of OpenBLAS sgemm/sgemv, our dense CPU kernel and our 2:4 CPU kernel (W magnitude-pruned to
 * 2:4) for Y = X·Wᵀ + b, F32, in = out = 4096 (override: {@code -Dprobe.tokens=1,512,2048 -Dprobe.in=4096
 * -Dprobe.out=4096 -Dprobe.threads=2 -Dprobe.reps=5}). Best of N after warmup; bias included in every timing.
 * Run with {@code --add-modules jdk.incubator.vector}.
 */
public final class CpuGemmProbe {
    private CpuGemmProbe() {}

    public static void main(String[] args) {
        int[] tokenList = parse(System.getProperty("probe.tokens", "1,512,2048"));
        int in = Integer.getInteger("probe.in", 4096);
        int out = Integer.getInteger("probe.out", 4096);
        int threads = Integer.getInteger("probe.threads", 2);
        int reps = Integer.getInteger("probe.reps", 5);
        System.out.println("CPU kernels: " + CpuVectorization.describe());
        System.out.println("OpenBLAS: " + (OpenBlasSgemm.isAvailable() ? "available" : OpenBlasSgemm.unavailabilityCause()));
        System.out.printf("in=%d out=%d threads=%d F32, best of %d after warmup, ratios = OpenBLAS time / ours%n",
                in, out, threads, reps);
        Random r = new Random(42);
        float[] w = randoms(r, out * in);
        float[] b = randoms(r, out);
        Sparse24Weights sw = Sparse24Weights.pruneMagnitude(w, out, in);
        float[] wPruned = sw.toDense();
        System.out.printf("%7s %12s %12s %12s %10s %10s %10s%n", "tokens", "openblas ms", "dense ms", "2:4 ms",
                "dense x", "2:4 x", "2:4/dense");
        for (int tokens : tokenList) {
            float[] x = randoms(r, tokens * in);
            float[] yOurs = new float[tokens * out];
            float[] yRef = new float[tokens * out];
            double blas = Double.NaN;
            int warm = tokens == 1 ? 50 : 3;
            int n = tokens == 1 ? Math.max(reps, 50) : reps;
            if (OpenBlasSgemm.isAvailable()) {
                try (OpenBlasSgemm peer = new OpenBlasSgemm(tokens, in, out, threads)) {
                    peer.setInput(x);
                    peer.setBias(b);
                    peer.setWeights(w);
                    blas = best(warm, n, peer::run);
                    peer.getOutput(yRef);
                    DenseGemm.linear(x, tokens, in, w, out, b, yOurs, threads);
                    check("dense vs OpenBLAS", yOurs, yRef, x, w, tokens, in, out);
                    peer.setWeights(wPruned);
                    peer.run();
                    peer.getOutput(yRef);
                    Sparse24Gemm.linear(x, tokens, in, sw, b, yOurs, threads);
                    check("2:4 vs OpenBLAS on pruned W", yOurs, yRef, x, wPruned, tokens, in, out);
                }
            }
            double dense = best(warm, n, () -> DenseGemm.linear(x, tokens, in, w, out, b, yOurs, threads));
            double sparse = best(warm, n, () -> Sparse24Gemm.linear(x, tokens, in, sw, b, yOurs, threads));
            System.out.printf("%7d %12.3f %12.3f %12.3f %10.2f %10.2f %10.2f%n", tokens, blas, dense, sparse,
                    blas / dense, blas / sparse, dense / sparse);
        }
    }

    static double best(int warmup, int reps, Runnable body) {
        for (int i = 0; i < warmup; i++) {
            body.run();
        }
        double best = Double.MAX_VALUE;
        for (int i = 0; i < reps; i++) {
            long t0 = System.nanoTime();
            body.run();
            best = Math.min(best, (System.nanoTime() - t0) / 1e6);
        }
        return best;
    }

    static void check(String what, float[] y, float[] ref, float[] x, float[] w, int tokens, int in, int out) {
        // |y - ref| relative to sum_k |x||w| of a typical row, a float32 accumulation bound
        double worst = 0;
        for (int i = 0; i < y.length; i++) {
            worst = Math.max(worst, Math.abs(y[i] - ref[i]));
        }
        double scale = 0;
        for (int k = 0; k < in; k++) {
            scale += Math.abs(x[k]) * Math.abs(w[k]);
        }
        double rel = worst / scale;
        if (!(rel < 1e-4)) {
            throw new AssertionError(what + ": max |diff| " + worst + " = " + rel + " of sum|x||w|");
        }
    }

    static float[] randoms(Random r, int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = r.nextFloat() * 2 - 1;
        }
        return a;
    }

    static int[] parse(String s) {
        String[] parts = s.split(",");
        int[] v = new int[parts.length];
        for (int i = 0; i < parts.length; i++) {
            v[i] = Integer.parseInt(parts[i].trim());
        }
        return v;
    }
}
