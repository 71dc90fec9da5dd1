package dev.sparsekernels;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.sparsekernels.channels.ChannelStatistics;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/**
 * 16 threads call every CPU kernel at once on one shared backend, shared weights and shared inputs, and every result is
 * the one a single thread got, up to 1e-6 relative: not bit for bit, because the single-thread reference and later calls
 * may run at different JIT tiers, whose Vector API reductions add lanes in different orders (an ulp), while a race
 * would corrupt values far beyond that. The 2:4 and dense matrices they share are fresh, so the threads also race to
 * build their cached CPU forms (9 tokens: the dense one runs on prepared panels). Deadlocks (the kernels share one worker pool) fail the deadline.
 */
class ConcurrentCallsTest {
    static final int THREADS = 16;
    static final int ROUNDS = 6;

    @Test
    void sixteenThreadsGetWhatOneThreadGets() throws Exception {
        Random r = new Random(7);
        try (Kernels k = Kernels.cpu(2);
                Tensor x = Tensor.of(gaussian(r, 9 * 64), 9, 64);
                Tensor w = Tensor.of(gaussian(r, 48 * 64), 48, 64);
                Tensor b = Tensor.of(gaussian(r, 48), 48);
                Sparse24Matrix w24First = Sparse24Matrix.prune(w);
                Sparse24Matrix w24Shared = Sparse24Matrix.prune(w);
                BlockSparseMatrix bsr = BlockSparseMatrix.prune(w, 16, 16, 0.5);
                DenseMatrix denseFirst = DenseMatrix.of(w);
                DenseMatrix denseShared = DenseMatrix.of(w);
                Tensor q = Tensor.of(gaussian(r, 2 * 4 * 12 * 16), 2, 4, 12, 16);
                Tensor kk = Tensor.of(gaussian(r, 2 * 2 * 20 * 16), 2, 2, 20, 16);
                Tensor v = Tensor.of(gaussian(r, 2 * 2 * 20 * 16), 2, 2, 20, 16)) {
            AttentionMask mask = AttentionMask.builder().causal().keyLengths(20, 13).build();
            int[] idx = {1, 5, 6, 30, 47};
            Map<String, Function<Kernels, float[]>> calls = new LinkedHashMap<>();
            calls.put("linear dense", kk2 -> values(kk2.linear(x, w, b)));
            calls.put("linear 2:4", kk2 -> values(kk2.linear(x, w24Shared, b)));
            calls.put("linear bsr", kk2 -> values(kk2.linear(x, bsr, null)));
            calls.put("linear DenseMatrix", kk2 -> values(kk2.linear(x, denseShared, b)));
            calls.put("attention", kk2 -> values(kk2.attention(q, kk, v, mask, null)));
            calls.put("gatherRows", kk2 -> values(kk2.gatherRows(w, idx)));
            calls.put("gatherColumns", kk2 -> values(kk2.gatherColumns(w, idx)));
            calls.put("channelStatistics", kk2 -> statistics(kk2.channelStatistics(x)));

            // one thread first; the 2:4 reference uses another matrix so the shared one's cache starts cold
            Map<String, float[]> expected = new LinkedHashMap<>();
            for (Map.Entry<String, Function<Kernels, float[]>> c : calls.entrySet()) {
                expected.put(c.getKey(), c.getValue().apply(k));
            }
            expected.put("linear 2:4", values(k.linear(x, w24First, b)));
            expected.put("linear DenseMatrix", values(k.linear(x, denseFirst, b)));

            List<String> names = new ArrayList<>(calls.keySet());
            int checked = AllAtOnce.run(THREADS, Duration.ofSeconds(120), offset -> {
                int n = 0;
                for (int round = 0; round < ROUNDS; round++) {
                    for (int i = 0; i < names.size(); i++) {
                        String name = names.get((i + offset + round) % names.size());
                        assertClose(expected.get(name), calls.get(name).apply(k),
                                name + " on thread " + offset + ", round " + round);
                        n++;
                    }
                }
                return n;
            });
            assertEquals(THREADS * ROUNDS * names.size(), checked, "calls compared");
        }
    }

    private static void assertClose(float[] expected, float[] actual, String what) {
        assertEquals(expected.length, actual.length, what + ": length");
        for (int i = 0; i < expected.length; i++) {
            assertEquals(expected[i], actual[i], 1e-6f * Math.max(1f, Math.abs(expected[i])), what + ": element " + i);
        }
    }

    private static float[] values(Tensor t) {
        try (Tensor y = t) {
            return y.toFloatArray();
        }
    }

    /** The statistics as one float array: mean then variance, rounded to float (compared bit for bit all the same). */
    private static float[] statistics(ChannelStatistics s) {
        double[] m = s.mean();
        double[] var = s.variance();
        float[] out = new float[2 * m.length];
        for (int i = 0; i < m.length; i++) {
            out[i] = (float) m[i];
            out[m.length + i] = (float) var[i];
        }
        return out;
    }

    private static float[] gaussian(Random r, int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = (float) r.nextGaussian();
        }
        return a;
    }
}
