package dev.sparsekernels.bench;

import dev.sparsekernels.Tensor;
import dev.sparsekernels.channels.ChannelPlan;
import dev.sparsekernels.channels.CompactedLayers;
import dev.sparsekernels.cpu.DenseGemm;
import dev.sparsekernels.prune.ChannelCriterion;
import dev.sparsekernels.prune.ChannelPruner;
import dev.sparsekernels.prune.KeepAmount;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Function;
import java.util.stream.IntStream;

/**
 * Structured channel removal on the CPU: an MLP in -> hidden -> out (GELU between) with a share of its hidden
 * channels removed (L2 criterion, kept count a multiple of 64), against the unpruned MLP on the same inputs. Both run
 * on our dense GEMM ({@link DenseGemm}) with the same threads; compaction happens once, outside the timed region,
 * as it would when a model is loaded. Record: "op":"mlp","format":"channels","keep":k,"peer":"dense".
 */
final class MlpCases {
    private MlpCases() {
    }

    static List<BenchRecord> run(int[] shape, List<Double> keeps, int threads, double budgetMs,
            Function<String, Void> progress) {
        int tokens = shape[0];
        int in = shape[1];
        int hidden = shape[2];
        int out = shape[3];
        Random rnd = new Random(44);
        float[] x = BenchData.uniform(rnd, tokens * in);
        float[] w1 = BenchData.uniform(rnd, hidden * in);
        float[] b1 = BenchData.uniform(rnd, hidden);
        float[] w2 = BenchData.uniform(rnd, out * hidden);
        float[] b2 = BenchData.uniform(rnd, out);
        Map<String, Object> shapeMap = new LinkedHashMap<>();
        shapeMap.put("tokens", tokens);
        shapeMap.put("in", in);
        shapeMap.put("hidden", hidden);
        shapeMap.put("out", out);

        String name = "mlp " + tokens + "x" + in + "x" + hidden + "x" + out;
        float[] h = new float[tokens * hidden];
        float[] y = new float[tokens * out];
        Runnable dense = () -> forward(x, tokens, in, w1, b1, hidden, w2, b2, out, h, y, threads);

        List<BenchRecord> records = new ArrayList<>();
        try (Tensor tw1 = Tensor.of(w1, hidden, in); Tensor tb1 = Tensor.of(b1, hidden);
                Tensor tw2 = Tensor.of(w2, out, hidden); Tensor tb2 = Tensor.of(b2, out)) {
            for (double keep : keeps) {
                progress.apply(name + ": channels keep " + keep);
                ChannelPlan plan = ChannelPruner.plan(ChannelCriterion.L2, tw1, tw2, null, KeepAmount.ratio(keep), 64,
                        1);
                int k = plan.keptCount();
                float[] pw1;
                float[] pb1;
                float[] pw2;
                float[] pb2;
                try (CompactedLayers c = plan.apply(tw1, tb1, tw2, tb2, null)) {
                    pw1 = c.w1().toFloatArray();
                    pb1 = c.b1().toFloatArray();
                    pw2 = c.w2().toFloatArray();
                    pb2 = c.b2().toFloatArray();
                }
                float[] ph = new float[tokens * k];
                float[] py = new float[tokens * out];
                double[] t = Timing.roundRobinMediansMs(List.of(
                        () -> forward(x, tokens, in, pw1, pb1, k, pw2, pb2, out, ph, py, threads), dense), 1, 3,
                        budgetMs);
                double ms = t[0];
                double denseMs = t[1]; // the dense MLP timed in the same rounds
                checkAgainstZeroed(plan, x, tokens, in, w1, b1, hidden, w2, b2, out, py, threads);
                records.add(new BenchRecord("mlp", "channels", "cpu", shapeMap, "f32", ms, "dense", denseMs, threads,
                        null, (double) k / hidden));
            }
        }
        return records;
    }

    /** y = gelu(x·W1ᵀ + b1)·W2ᵀ + b2, h the hidden activations. */
    static void forward(float[] x, int tokens, int in, float[] w1, float[] b1, int hidden, float[] w2, float[] b2,
            int out, float[] h, float[] y, int threads) {
        DenseGemm.linear(x, tokens, in, w1, hidden, b1, h, threads);
        gelu(h, tokens, hidden, threads);
        DenseGemm.linear(h, tokens, hidden, w2, out, b2, y, threads);
    }

    /** GELU, tanh approximation, in place; rows split over the common pool (plus the caller) when threads > 1. */
    static void gelu(float[] h, int rows, int cols, int threads) {
        IntStream r = IntStream.range(0, rows);
        (threads > 1 ? r.parallel() : r).forEach(i -> {
            for (int j = i * cols, end = j + cols; j < end; j++) {
                float v = h[j];
                h[j] = (float) (0.5 * v * (1 + Math.tanh(0.7978845608028654 * (v + 0.044715 * v * v * v))));
            }
        });
    }

    /** The pruned MLP must equal the dense one with the removed channels zeroed (W1 rows and b1). */
    private static void checkAgainstZeroed(ChannelPlan plan, float[] x, int tokens, int in, float[] w1, float[] b1,
            int hidden, float[] w2, float[] b2, int out, float[] pruned, int threads) {
        float[] zw1 = w1.clone();
        float[] zb1 = b1.clone();
        for (int j : plan.removed()) {
            java.util.Arrays.fill(zw1, j * in, (j + 1) * in, 0f);
            zb1[j] = 0;
        }
        float[] h = new float[tokens * hidden];
        float[] ref = new float[tokens * out];
        forward(x, tokens, in, zw1, zb1, hidden, w2, b2, out, h, ref, threads);
        double tol = 1e-4 * hidden;
        for (int i = 0; i < ref.length; i++) {
            if (!(Math.abs(ref[i] - pruned[i]) <= tol)) {
                throw new IllegalStateException("pruned MLP differs from the dense one with zeroed channels at " + i
                        + ": " + pruned[i] + " vs " + ref[i]);
            }
        }
    }
}
