package dev.sparsekernels.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import dev.sparsekernels.Kernels;
import dev.sparsekernels.Tensor;
import dev.sparsekernels.model.text.TokenBatch;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * One encoder shared by threads that embed at once: each forward pass recycles its activation arrays
 * ({@link ScratchArrays}) within its own thread, so no pass may ever see another's arrays. Every thread must get,
 * bit for bit, what a lone call gets (same kernels, same task split for the same batch).
 */
class ConcurrentEmbedsTest {
    @Test
    void threadsSharingAnEncoderGetWhatOneCallGets() throws Exception {
        TokenBatch[] batches = {
            TokenBatch.pad(new int[][] {{1, 2, 3, 4, 5, 6, 7}, {8, 9}, {10, 11, 12}}, 0),
            TokenBatch.pad(new int[][] {{13, 14}, {15, 16, 17, 18, 19, 1, 2, 3, 4}}, 0),
        };
        try (Kernels k = Kernels.cpu(2);
                BertEncoder enc = BertEncoder.create(k, TinyBert.weights(TinyBert.CONFIG,
                        TinyBert.parameters(TinyBert.CONFIG, 5)))) {
            float[][] expected = new float[batches.length][];
            for (int i = 0; i < batches.length; i++) {
                try (Tensor e = enc.embed(batches[i])) {
                    expected[i] = e.toFloatArray();
                }
            }
            int threads = 8;
            int rounds = 20;
            AtomicInteger compared = new AtomicInteger();
            CyclicBarrier start = new CyclicBarrier(threads);
            ExecutorService pool = Executors.newFixedThreadPool(threads);
            try {
                assertTimeoutPreemptively(Duration.ofSeconds(60), () -> {
                    List<Future<?>> futures = new ArrayList<>();
                    for (int t = 0; t < threads; t++) {
                        final int offset = t;
                        futures.add(pool.submit(() -> {
                            start.await();
                            for (int r = 0; r < rounds; r++) {
                                int i = (r + offset) % batches.length;
                                try (Tensor e = enc.embed(batches[i])) {
                                    assertArrayEquals(expected[i], e.toFloatArray(),
                                            "batch " + i + " on thread " + offset + ", round " + r);
                                }
                                compared.incrementAndGet();
                            }
                            return null;
                        }));
                    }
                    for (Future<?> f : futures) {
                        f.get();
                    }
                });
            } finally {
                pool.shutdownNow();
            }
            assertEquals(threads * rounds, compared.get());
        }
    }
}
