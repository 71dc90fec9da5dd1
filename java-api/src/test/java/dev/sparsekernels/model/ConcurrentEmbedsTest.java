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

    /**
     * A thread's later passes reuse the arrays its earlier ones gave back (the embeddings, the gathered last states),
     * holding whatever those passes left: embeddings and token states, of one sequence and of groups, interleaved,
     * must equal what each gave on a fresh encoder.
     */
    @Test
    void laterPassesOnOneThreadGiveWhatFirstPassesGave() {
        TokenBatch[] batches = {
            TokenBatch.pad(new int[][] {{1, 2, 3, 4, 5, 6, 7}, {8, 9}, {10, 11, 12}}, 0),
            TokenBatch.pad(new int[][] {{13, 14, 15, 16, 17, 18, 19, 1, 2, 3, 4}}, 0),
            TokenBatch.pad(new int[][] {{5, 6}, {7, 8, 9, 10}, {11}, {12, 13, 14}}, 0),
        };
        try (Kernels k = Kernels.cpu(2);
                BertEncoder enc = BertEncoder.create(k, TinyBert.weights(TinyBert.CONFIG,
                        TinyBert.parameters(TinyBert.CONFIG, 6)))) {
            float[][] embeddings = new float[batches.length][];
            float[][] states = new float[batches.length][];
            for (int i = 0; i < batches.length; i++) {
                try (Tensor e = enc.embed(batches[i]); Tensor s = enc.lastHiddenState(batches[i])) {
                    embeddings[i] = e.toFloatArray();
                    states[i] = s.toFloatArray();
                }
            }
            for (int r = 0; r < 12; r++) {
                int i = (r * 2) % batches.length;
                try (Tensor s = enc.lastHiddenState(batches[i]); Tensor e = enc.embed(batches[(i + 1) % 3])) {
                    assertArrayEquals(states[i], s.toFloatArray(), "token states of batch " + i + ", round " + r);
                    assertArrayEquals(embeddings[(i + 1) % 3], e.toFloatArray(),
                            "embeddings of batch " + (i + 1) % 3 + ", round " + r);
                }
            }
        }
    }
}
