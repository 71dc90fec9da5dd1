package dev.sparsekernels.check;

import dev.sparsekernels.AttentionMask;
import dev.sparsekernels.BlockSparseMatrix;
import dev.sparsekernels.DType;
import dev.sparsekernels.DenseMatrix;
import dev.sparsekernels.Kernels;
import dev.sparsekernels.Sparse24Matrix;
import dev.sparsekernels.Tensor;
import dev.sparsekernels.backend.CudaBackend;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Compares a backend (the GPU) with its CPU twin on random, odd and edge shapes. Both sides get the same rounded
 * F16/BF16 inputs, so they differ only by F32 accumulation order: an element's error is measured relative to
 * Σ|x·w| of its dot product, and 1e-3 of that is far above reordering noise (~1e-6) and far below what a wrong
 * fragment or metadata layout produces (order 1). Used by `sparsekernels verify` and the JUnit gpu group.
 */
public final class TwinCheck {
    /** Relative-to-magnitude tolerance; see the class comment. */
    public static final double TOLERANCE = 1e-3;

    /** {tokens, in, out}: tokens 1 and tails, in not a multiple of 32, out not a multiple of 32 or of 8. */
    private static final int[][] SHAPES = {
        {1, 8, 40}, {1, 4096, 4096}, {7, 40, 96}, {16, 64, 33}, {33, 136, 130}, {128, 1024, 512},
        {512, 4096, 4096}, {1000, 264, 72},
    };

    /** BSR cases {tokens, in, out, blockRows, blockCols, density percent}: tokens 1 and tails, every block size. */
    private static final int[][] BSR_CASES = {
        {1, 256, 128, 16, 16, 30}, {7, 128, 192, 32, 32, 50}, {33, 256, 256, 64, 64, 25}, {130, 192, 128, 16, 64, 40},
        {512, 4096, 4096, 64, 64, 10}, {16, 512, 256, 64, 32, 100}, {3, 128, 128, 32, 16, 5},
    };

    /** One compared case. */
    public static final class Result {
        public final String name;
        public final double maxError;
        public final boolean pass;

        /** maxError: the family's error measure, scaled so that {@link #TOLERANCE} is the limit for every family. */
        Result(String name, double maxError) {
            this.name = name;
            this.maxError = maxError;
            this.pass = maxError <= TOLERANCE;
        }

        @Override
        public String toString() {
            return (pass ? "PASS " : "FAIL ") + name + String.format(" (error %.2e, limit %.0e)", maxError, TOLERANCE);
        }
    }

    private TwinCheck() {
    }

    /** Every kernel: dense and 2:4 on {@link #SHAPES}, then BSR. */
    public static List<Result> run(Kernels device, Kernels cpuTwin, long seed) {
        List<Result> results = runShapes(device, cpuTwin, seed, SHAPES);
        results.addAll(runBsr(device, cpuTwin, seed + 1));
        results.addAll(runGather(device, cpuTwin, seed + 2));
        results.addAll(runStatistics(device, cpuTwin, seed + 3));
        results.addAll(runAttention(device, cpuTwin, seed + 4));
        return results;
    }

    /**
     * Fused attention on every mask kind. The GPU rounds the softmax probabilities to the input dtype before the
     * P·V product (as FlashAttention does), so the error is measured relative to max|V| of the head (outputs are
     * convex combinations of V rows) and allowed 4e-3 for f16 and 3e-2 for bf16; a wrong mask or layout gives
     * errors of order 1.
     */
    public static List<Result> runAttention(Kernels device, Kernels cpuTwin, long seed) {
        List<Result> results = new ArrayList<>();
        Random rnd = new Random(seed);
        for (DType dt : new DType[] {DType.F16, DType.BF16}) {
            double tol = dt == DType.F16 ? 4e-3 : 3e-2;
            results.add(attention(device, cpuTwin, dt, tol, rnd, "none", 1, 4, 4, 77, 99, 64, AttentionMask.none()));
            results.add(attention(device, cpuTwin, dt, tol, rnd, "causal GQA", 2, 8, 2, 128, 128, 128,
                    AttentionMask.causal()));
            results.add(attention(device, cpuTwin, dt, tol, rnd, "causal Lq>Lk (empty rows)", 1, 2, 2, 100, 40, 64,
                    AttentionMask.causal()));
            results.add(attention(device, cpuTwin, dt, tol, rnd, "window+key lengths MQA", 2, 4, 1, 200, 260, 64,
                    AttentionMask.builder().window(32).keyLengths(150, 0).build()));
            boolean[] pad = new boolean[2 * 96];
            for (int i = 0; i < pad.length; i++) {
                pad[i] = rnd.nextInt(4) != 0;
            }
            float[] bias = gaussian(rnd, 64 * 96);
            results.add(attention(device, cpuTwin, dt, tol, rnd, "dense mask+bias", 2, 2, 2, 64, 96, 32,
                    AttentionMask.builder().dense(pad, 2, 1, 1, 96).bias(bias, 64, 96).build()));
            // a padding mask [B, 1, 1, Lk] at a head dim the Hopper kernels take: their bit-packed mask stores it
            // once per batch, not once per query row (session 19)
            boolean[] padding = new boolean[2 * 300];
            for (int j = 0; j < 300; j++) {
                padding[j] = rnd.nextInt(8) != 0;
                padding[300 + j] = j < 170 && rnd.nextInt(8) != 0;
            }
            results.add(attention(device, cpuTwin, dt, tol, rnd, "padding mask [B,1,1,Lk] D128", 2, 4, 4, 200, 300,
                    128, AttentionMask.builder().dense(padding, 2, 1, 1, 300).build()));
            byte[] grid = new byte[4 * 4];
            for (int i = 0; i < grid.length; i++) {
                grid[i] = (byte) rnd.nextInt(3);
            }
            results.add(attention(device, cpuTwin, dt, tol, rnd, "block-sparse 64x64 causal", 1, 4, 2, 256, 256,
                    128, AttentionMask.builder().causal()
                            .blockSparse(AttentionMask.BlockSparse.fromGrid(64, 64, 1, 1, 4, 4, grid)).build()));
            results.add(attention(device, cpuTwin, dt, tol, rnd, "head mask D96", 1, 4, 4, 50, 60, 96,
                    AttentionMask.builder().headMask(true, false, true, true).build()));
        }
        return results;
    }

    private static Result attention(Kernels device, Kernels cpu, DType dt, double tol, Random rnd, String what,
            int b, int hq, int hkv, int lq, int lk, int d, AttentionMask mask) {
        String name = "attention " + what + " " + dt + " B" + b + " Hq" + hq + " Hkv" + hkv + " Lq" + lq + " Lk" + lk
                + " D" + d;
        try (Tensor q = Tensor.of(dt, gaussian(rnd, b * hq * lq * d), b, hq, lq, d);
                Tensor k = Tensor.of(dt, gaussian(rnd, b * hkv * lk * d), b, hkv, lk, d);
                Tensor v = Tensor.of(dt, gaussian(rnd, b * hkv * lk * d), b, hkv, lk, d);
                Tensor od = device.attention(q, k, v, mask, null);
                Tensor oc = cpu.attention(q, k, v, mask, null)) {
            float[] x = od.toFloatArray();
            float[] y = oc.toFloatArray();
            float[] vs = v.toFloatArray();
            double vmax = 1e-6;
            for (float f : vs) {
                vmax = Math.max(vmax, Math.abs(f));
            }
            double worst = 0;
            for (int i = 0; i < x.length; i++) {
                double e = Math.abs((double) x[i] - y[i]) / vmax / tol * TOLERANCE;
                worst = Math.max(worst, Double.isNaN(e) ? Double.POSITIVE_INFINITY : e);
            }
            return new Result(name, worst);
        }
    }

    /**
     * Channel statistics: both sides see the same widened inputs and accumulate in float64, so they agree to about
     * 1e-12 relative; a case fails when any mean, variance or mean square differs by more than 1e-6 of its own scale.
     */
    public static List<Result> runStatistics(Kernels device, Kernels cpuTwin, long seed) {
        List<Result> results = new ArrayList<>();
        Random rnd = new Random(seed);
        int[][] shapes = {{1, 7}, {1000, 33}, {4097, 256}, {50000, 64}};
        for (DType dt : DType.values()) {
            for (int[] s : shapes) {
                float[] x = gaussian(rnd, s[0] * s[1]);
                for (int i = 0; i < x.length; i++) {
                    x[i] = 100 + 3 * x[i]; // a large mean relative to the spread, where naive formulas fail
                }
                try (Tensor t = Tensor.of(dt, x, s[0], s[1])) {
                    dev.sparsekernels.channels.ChannelStatistics a = device.channelStatistics(t);
                    dev.sparsekernels.channels.ChannelStatistics b = cpuTwin.channelStatistics(t);
                    double worst = a.count() == b.count() ? 0 : Double.POSITIVE_INFINITY;
                    double[][] pa = {a.mean(), a.variance(), a.meanSquare()};
                    double[][] pb = {b.mean(), b.variance(), b.meanSquare()};
                    for (int q = 0; q < 3; q++) {
                        for (int j = 0; j < s[1]; j++) {
                            double scale = q == 0 ? Math.abs(pb[0][j]) + Math.sqrt(pb[1][j]) : Math.abs(pb[q][j]);
                            double rel = Math.abs(pa[q][j] - pb[q][j]) / Math.max(scale, 1e-30);
                            // mapped so that 1e-6 relative lands exactly on TOLERANCE
                            double e = rel / 1e-6 * TOLERANCE;
                            worst = Math.max(worst, Double.isNaN(e) ? Double.POSITIVE_INFINITY : e);
                        }
                    }
                    results.add(new Result("channel statistics " + dt + " " + s[0] + "x" + s[1], worst));
                }
            }
        }
        return results;
    }

    /** Compaction gathers: bit copies, so the device must match the twin exactly (error 0 or infinity). */
    public static List<Result> runGather(Kernels device, Kernels cpuTwin, long seed) {
        List<Result> results = new ArrayList<>();
        Random rnd = new Random(seed);
        int[][] shapes = {{1, 1}, {1, 37}, {37, 1}, {33, 257}, {300, 4099}, {4096, 4096}};
        for (DType dt : DType.values()) {
            for (int[] s : shapes) {
                try (Tensor src = Tensor.of(dt, gaussian(rnd, s[0] * s[1]), s[0], s[1])) {
                    int[] rows = randomSubset(rnd, s[0]);
                    int[] cols = randomSubset(rnd, s[1]);
                    try (Tensor a = device.gatherRows(src, rows); Tensor b = cpuTwin.gatherRows(src, rows)) {
                        results.add(new Result("gather rows " + dt + " " + s[0] + "x" + s[1] + " keep " + rows.length,
                                java.nio.ByteBuffer.wrap(bytes(a)).equals(java.nio.ByteBuffer.wrap(bytes(b)))
                                        ? 0 : Double.POSITIVE_INFINITY));
                    }
                    try (Tensor a = device.gatherColumns(src, cols); Tensor b = cpuTwin.gatherColumns(src, cols)) {
                        results.add(new Result("gather cols " + dt + " " + s[0] + "x" + s[1] + " keep " + cols.length,
                                java.nio.ByteBuffer.wrap(bytes(a)).equals(java.nio.ByteBuffer.wrap(bytes(b)))
                                        ? 0 : Double.POSITIVE_INFINITY));
                    }
                }
            }
        }
        return results;
    }

    private static byte[] bytes(Tensor t) {
        byte[] b = new byte[(int) t.byteSize()];
        t.buffer().get(b);
        return b;
    }

    /** About half of 0..n-1, ascending, never empty. */
    private static int[] randomSubset(Random rnd, int n) {
        int[] tmp = new int[n];
        int k = 0;
        for (int i = 0; i < n; i++) {
            if (rnd.nextBoolean() || (k == 0 && i == n - 1)) {
                tmp[k++] = i;
            }
        }
        return java.util.Arrays.copyOf(tmp, k);
    }

    /** The same comparison on given {tokens, in, out} shapes. */
    public static List<Result> runShapes(Kernels device, Kernels cpuTwin, long seed, int[][] shapes) {
        List<Result> results = new ArrayList<>();
        Random rnd = new Random(seed);
        for (DType dt : new DType[] {DType.F16, DType.BF16}) {
            for (int[] s : shapes) {
                boolean withBias = (s[0] & 1) == 1;
                results.addAll(compare(device, cpuTwin, dt, s[0], s[1], s[2], withBias, rnd));
            }
        }
        return results;
    }

    /** BSR: the device kernel against the CPU twin on every block shape, with empty block rows and tokens 1. */
    public static List<Result> runBsr(Kernels device, Kernels cpuTwin, long seed) {
        List<Result> results = new ArrayList<>();
        Random rnd = new Random(seed);
        for (DType dt : new DType[] {DType.F16, DType.BF16}) {
            for (int[] c : BSR_CASES) {
                int tokens = c[0];
                int in = c[1];
                int out = c[2];
                boolean withBias = (tokens & 1) == 1;
                String name = "bsr:" + c[3] + "x" + c[4] + " density " + c[5] / 100.0 + " " + dt + " tokens="
                        + tokens + " in=" + in + " out=" + out + (withBias ? " +bias" : "");
                try (Tensor xt = Tensor.of(dt, gaussian(rnd, tokens * in), tokens, in);
                        Tensor wt = Tensor.of(dt, gaussian(rnd, out * in), out, in);
                        Tensor bias = withBias ? Tensor.of(gaussian(rnd, out), out) : null;
                        BlockSparseMatrix w = BlockSparseMatrix.prune(wt, c[3], c[4], c[5] / 100.0);
                        Tensor yd = device.linear(xt, w, bias);
                        Tensor yc = cpuTwin.linear(xt, w, bias)) {
                    results.add(new Result(name, maxError(yd.toFloatArray(), yc.toFloatArray(), xt.toFloatArray(),
                            w.toDenseArray(), tokens, in, out)));
                }
            }
        }
        return results;
    }

    private static List<Result> compare(Kernels device, Kernels cpu, DType dt, int tokens, int in, int out,
            boolean withBias, Random rnd) {
        String shape = dt + " tokens=" + tokens + " in=" + in + " out=" + out + (withBias ? " +bias" : "");
        float[] x = gaussian(rnd, tokens * in);
        float[] w = gaussian(rnd, out * in);
        List<Result> results = new ArrayList<>();
        try (Tensor xt = Tensor.of(dt, x, tokens, in);
                Tensor wt = Tensor.of(dt, w, out, in);
                Tensor bias = withBias ? Tensor.of(gaussian(rnd, out), out) : null;
                Sparse24Matrix w24 = Sparse24Matrix.prune(wt)) {
            float[] xs = xt.toFloatArray();
            try (Tensor yd = device.linear(xt, wt, bias); Tensor yc = cpu.linear(xt, wt, bias)) {
                boolean blas = device instanceof CudaBackend && ((CudaBackend) device).denseOnCublas();
                results.add(new Result((blas ? "dense (cuBLAS) " : "dense ") + shape,
                        maxError(yd.toFloatArray(), yc.toFloatArray(), xs, wt.toFloatArray(), tokens, in, out)));
                if (blas) { // our own dense kernel too: it is the 2:4 kernel's twin and the fallback without cuBLAS
                    try (Tensor yo = ((CudaBackend) device).linearOnOurKernel(xt, wt, bias)) {
                        results.add(new Result("dense " + shape,
                                maxError(yo.toFloatArray(), yc.toFloatArray(), xs, wt.toFloatArray(), tokens, in,
                                        out)));
                    }
                }
            }
            try (DenseMatrix dm = DenseMatrix.of(wt); Tensor yd = device.linear(xt, dm, bias);
                    Tensor yc = cpu.linear(xt, dm, bias)) {
                results.add(new Result("dense prepared " + shape,
                        maxError(yd.toFloatArray(), yc.toFloatArray(), xs, wt.toFloatArray(), tokens, in, out)));
            }
            try (Tensor yd = device.linear(xt, w24, bias); Tensor yc = cpu.linear(xt, w24, bias)) {
                results.add(new Result("2:4 " + shape,
                        maxError(yd.toFloatArray(), yc.toFloatArray(), xs, w24.toDenseArray(), tokens, in, out)));
            }
        }
        return results;
    }

    private static double maxError(float[] a, float[] b, float[] x, float[] w, int tokens, int in, int out) {
        double worst = 0;
        // Large outputs: every element is checked for finiteness on both sides, a sample of 2^16 elements
        // (every stride-th) gets the exact error, keeping the check to seconds on the CPU side.
        long count = (long) tokens * out;
        int stride = (int) Math.max(1, count / 65536);
        for (int i = 0; i < count; i++) {
            if (Float.isFinite(a[i]) != Float.isFinite(b[i])) {
                return Double.POSITIVE_INFINITY;
            }
        }
        for (long idx = 0; idx < count; idx += stride) {
            int t = (int) (idx / out);
            int o = (int) (idx % out);
            {
                double mag = 1e-6;
                for (int k = 0; k < in; k++) {
                    mag += Math.abs((double) x[t * in + k] * w[o * in + k]);
                }
                double err = Math.abs((double) a[t * out + o] - b[t * out + o]) / mag;
                if (!(err <= worst)) {
                    worst = Double.isNaN(err) ? Double.POSITIVE_INFINITY : err;
                }
                if (Double.isInfinite(worst)) {
                    return worst;
                }
            }
        }
        return worst;
    }

    private static float[] gaussian(Random r, int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = (float) r.nextGaussian();
        }
        return a;
    }
}
