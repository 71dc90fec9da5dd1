package dev.sparsekernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Function;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * GPU group: the CUDA backend's thread-safety contract (CudaBackend: one stream per backend instance, calls on one
 * instance serialised). 16 threads share one backend while 4 more each open their own (own streams, running at the
 * same time); every result must equal what one thread got from one backend, within the f16 tolerance of the CPU
 * twin checks (the kernels are expected to be deterministic, but this test does not depend on it).
 */
@Tag("gpu")
class CudaConcurrentCallsTest {
    @Test
    void sharedAndPerThreadBackendsGiveTheSingleThreadResults() throws Exception {
        Random r = new Random(5);
        try (Kernels cuda = Kernels.cuda();
                Tensor x = Tensor.of(DType.F16, gaussian(r, 32 * 256), 32, 256);
                Tensor w = Tensor.of(DType.F16, gaussian(r, 128 * 256), 128, 256);
                Sparse24Matrix w24 = Sparse24Matrix.prune(w);
                BlockSparseMatrix bsr = BlockSparseMatrix.prune(w, 32, 32, 0.5);
                Tensor q = Tensor.of(DType.F16, gaussian(r, 2 * 4 * 64 * 64), 2, 4, 64, 64);
                Tensor k = Tensor.of(DType.F16, gaussian(r, 2 * 4 * 64 * 64), 2, 4, 64, 64);
                Tensor v = Tensor.of(DType.F16, gaussian(r, 2 * 4 * 64 * 64), 2, 4, 64, 64)) {
            List<Function<Kernels, float[]>> calls = List.of(
                    kk -> values(kk.linear(x, w, null)),
                    kk -> values(kk.linear(x, w24, null)),
                    kk -> values(kk.linear(x, bsr, null)),
                    kk -> values(kk.attention(q, k, v, AttentionMask.causal(), null)),
                    kk -> values(kk.gatherRows(w, new int[] {0, 3, 77})));
            List<float[]> expected = new ArrayList<>();
            for (Function<Kernels, float[]> c : calls) {
                expected.add(c.apply(cuda));
            }
            int shared = 16;
            int own = 4;
            CyclicBarrier start = new CyclicBarrier(shared + own);
            ExecutorService pool = Executors.newFixedThreadPool(shared + own);
            try {
                assertTimeoutPreemptively(Duration.ofSeconds(120), () -> {
                    List<Future<Integer>> futures = new ArrayList<>();
                    for (int t = 0; t < shared + own; t++) {
                        final boolean ownBackend = t >= shared;
                        futures.add(pool.submit(() -> {
                            try (Kernels mine = ownBackend ? Kernels.cuda() : null) {
                                Kernels use = ownBackend ? mine : cuda;
                                start.await();
                                int n = 0;
                                for (int round = 0; round < 5; round++) {
                                    for (int i = 0; i < calls.size(); i++) {
                                        assertClose(expected.get(i), calls.get(i).apply(use), "call " + i);
                                        n++;
                                    }
                                }
                                return n;
                            }
                        }));
                    }
                    int total = 0;
                    for (Future<Integer> f : futures) {
                        total += f.get();
                    }
                    assertEquals((shared + own) * 5 * calls.size(), total);
                });
            } finally {
                pool.shutdownNow();
            }
        }
    }

    private static void assertClose(float[] expected, float[] actual, String what) {
        assertEquals(expected.length, actual.length, what);
        for (int i = 0; i < expected.length; i++) {
            float tol = 1e-2f * Math.max(1f, Math.abs(expected[i]));
            assertTrue(Math.abs(expected[i] - actual[i]) <= tol, what + ", element " + i + ": " + expected[i]
                    + " vs " + actual[i]);
        }
    }

    private static float[] values(Tensor t) {
        try (Tensor y = t) {
            return y.toFloatArray();
        }
    }

    private static float[] gaussian(Random r, int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = (float) r.nextGaussian();
        }
        return a;
    }
}
