package dev.sparsekernels.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.sparsekernels.AllAtOnce;
import dev.sparsekernels.Kernels;
import dev.sparsekernels.Tensor;
import dev.sparsekernels.model.text.TokenBatch;
import java.time.Duration;
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
            int compared = AllAtOnce.run(threads, Duration.ofSeconds(60), offset -> {
                for (int r = 0; r < rounds; r++) {
                    int i = (r + offset) % batches.length;
                    try (Tensor e = enc.embed(batches[i])) {
                        assertArrayEquals(expected[i], e.toFloatArray(),
                                "batch " + i + " on thread " + offset + ", round " + r);
                    }
                }
                return rounds;
            });
            assertEquals(threads * rounds, compared);
        }
    }
}
