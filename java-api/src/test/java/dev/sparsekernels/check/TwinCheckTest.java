package dev.sparsekernels.check;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sparsekernels.BlockSparseMatrix;
import dev.sparsekernels.Device;
import dev.sparsekernels.Kernels;
import dev.sparsekernels.Sparse24Matrix;
import dev.sparsekernels.Tensor;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The twin check itself must be able to fail: a backend with a wrong answer is caught. */
class TwinCheckTest {
    /** A CPU backend that flips the sign of one output element of 2:4 products. */
    private static class OffByOneBackend implements Kernels {
        private final Kernels inner = Kernels.cpu(1);

        @Override
        public Device device() {
            return inner.device();
        }

        @Override
        public String describe() {
            return "broken";
        }

        @Override
        public Tensor linear(Tensor x, Tensor w, Tensor bias) {
            return inner.linear(x, w, bias);
        }

        @Override
        public Tensor linear(Tensor x, Sparse24Matrix w, Tensor bias) {
            try (Tensor y = inner.linear(x, w, bias)) {
                float[] v = y.toFloatArray();
                v[v.length / 2] = -v[v.length / 2] + 1;
                return Tensor.of(v, y.shape());
            }
        }

        @Override
        public Tensor linear(Tensor x, BlockSparseMatrix w, Tensor bias) {
            return inner.linear(x, w, bias);
        }

        @Override
        public Tensor linear(Tensor x, dev.sparsekernels.DenseMatrix w, Tensor bias) {
            return inner.linear(x, w, bias);
        }

        @Override
        public dev.sparsekernels.channels.ChannelStatistics channelStatistics(Tensor activations) {
            return inner.channelStatistics(activations);
        }

        @Override
        public Tensor gatherRows(Tensor src, int[] idx) {
            return inner.gatherRows(src, idx);
        }

        @Override
        public Tensor gatherColumns(Tensor src, int[] idx) {
            return inner.gatherColumns(src, idx);
        }

        @Override
        public Tensor attention(Tensor q, Tensor k, Tensor v, dev.sparsekernels.AttentionMask mask, Double scale) {
            return inner.attention(q, k, v, mask, scale);
        }

        @Override
        public void close() {
            inner.close();
        }
    }

    @Test
    void flagsAWrongElementAndPassesIdenticalBackends() {
        try (Kernels broken = new OffByOneBackend(); Kernels cpu = Kernels.cpu(2)) {
            List<TwinCheck.Result> results = TwinCheck.runShapes(broken, cpu, 7L, new int[][] {{3, 16, 8}});
            assertTrue(results.stream().anyMatch(r -> !r.pass && r.name.startsWith("2:4")));
            assertTrue(results.stream().allMatch(r -> r.pass == r.name.startsWith("dense")));
            List<TwinCheck.Result> same = TwinCheck.runShapes(Kernels.cpu(1), cpu, 7L, new int[][] {{5, 40, 33}});
            assertFalse(same.isEmpty());
            assertTrue(same.stream().allMatch(r -> r.pass), same.toString());
        }
    }

    @Test
    void bsrCasesRunAndPassForTwoCpuBackends() {
        try (Kernels one = Kernels.cpu(1); Kernels two = Kernels.cpu(2)) {
            List<TwinCheck.Result> results = TwinCheck.runBsr(one, two, 3L);
            assertFalse(results.isEmpty());
            assertTrue(results.stream().allMatch(r -> r.pass), results.toString());
        }
    }

    @Test
    void statisticsCasesPassForTwoCpuBackendsAndCatchAWrongMean() {
        try (Kernels one = Kernels.cpu(1); Kernels two = Kernels.cpu(2)) {
            assertTrue(TwinCheck.runStatistics(one, two, 4L).stream().allMatch(r -> r.pass));
        }
        Kernels shifted = new OffByOneBackend() {
            @Override
            public dev.sparsekernels.channels.ChannelStatistics channelStatistics(Tensor activations) {
                dev.sparsekernels.channels.ChannelStatistics s = super.channelStatistics(activations);
                double[] mean = s.mean();
                mean[0] += 1e-3;
                double[] m2 = s.variance();
                for (int j = 0; j < m2.length; j++) {
                    m2[j] *= s.count();
                }
                return dev.sparsekernels.channels.ChannelStatistics.fromState(s.count(), mean, m2);
            }
        };
        try (Kernels cpu = Kernels.cpu(1)) {
            assertTrue(TwinCheck.runStatistics(shifted, cpu, 4L).stream().anyMatch(r -> !r.pass));
        }
        shifted.close();
    }

    @Test
    void attentionCasesCoverEveryMaskKindAndPassForTwoCpuBackends() {
        try (Kernels one = Kernels.cpu(1); Kernels two = Kernels.cpu(2)) {
            List<TwinCheck.Result> results = TwinCheck.runAttention(one, two, 6L);
            assertTrue(results.size() >= 14, results.toString());
            assertTrue(results.stream().allMatch(r -> r.pass), results.toString());
        }
    }
}
