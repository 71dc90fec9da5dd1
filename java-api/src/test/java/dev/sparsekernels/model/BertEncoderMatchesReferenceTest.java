package dev.sparsekernels.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sparsekernels.DType;
import dev.sparsekernels.Kernels;
import dev.sparsekernels.Tensor;
import dev.sparsekernels.model.text.TokenBatch;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The encoder (packed batches, our kernels, float) against the textbook reference (one sequence at a time, double)
 * on a small random BERT: exact enough that a wrong transpose, mask, residual or norm cannot hide.
 */
class BertEncoderMatchesReferenceTest {
    private static final BertConfig C = TinyBert.CONFIG;
    private final Map<String, float[]> params = TinyBert.parameters(C, 5);
    private final BertReference reference = new BertReference(C, params);

    private static int[][] randomSequences(long seed, int count) {
        Random rnd = new Random(seed);
        int[][] rows = new int[count][];
        for (int i = 0; i < count; i++) {
            rows[i] = new int[1 + rnd.nextInt(C.maxPositions())]; // 1..20 tokens: lengths differ, some full
            for (int t = 0; t < rows[i].length; t++) {
                rows[i][t] = rnd.nextInt(C.vocabularySize());
            }
        }
        rows[0] = new int[] {7}; // a one-token sequence next to long ones
        return rows;
    }

    @Test
    void paddedBatchGivesEachSequenceItsOwnEmbeddingAndStates() {
        int[][] rows = randomSequences(3, 9);
        TokenBatch batch = TokenBatch.pad(rows, 0);
        try (Kernels k = Kernels.cpu(2); BertEncoder enc = BertEncoder.create(k, TinyBert.weights(C, params));
                Tensor emb = enc.embed(batch); Tensor states = enc.lastHiddenState(batch)) {
            float[] e = emb.toFloatArray();
            float[] s = states.toFloatArray();
            int h = C.hidden();
            int seq = batch.sequenceLength();
            for (int b = 0; b < rows.length; b++) {
                double[] ref = reference.embedding(rows[b]);
                double[][] refStates = reference.states(rows[b]);
                for (int j = 0; j < h; j++) {
                    assertEquals(ref[j], e[b * h + j], 2e-6, "embedding " + b + "[" + j + "]");
                }
                for (int t = 0; t < seq; t++) {
                    for (int j = 0; j < h; j++) {
                        float got = s[(b * seq + t) * h + j];
                        if (t < rows[b].length) {
                            assertEquals(refStates[t][j], got, 2e-5, "state " + b + "," + t + "," + j);
                        } else {
                            assertEquals(0f, got, "padding state " + b + "," + t);
                        }
                    }
                }
            }
        }
    }

    @Test
    void sequenceAloneAndInABatchGiveTheSameEmbedding() {
        int[][] rows = randomSequences(8, 6);
        try (Kernels k = Kernels.cpu(2); BertEncoder enc = BertEncoder.create(k, TinyBert.weights(C, params));
                Tensor all = enc.embed(TokenBatch.pad(rows, 0));
                Tensor alone = enc.embed(TokenBatch.pad(new int[][] {rows[3]}, 0))) {
            float[] a = all.toFloatArray();
            float[] s = alone.toFloatArray();
            for (int j = 0; j < C.hidden(); j++) {
                assertEquals(s[j], a[3 * C.hidden() + j], 1e-6);
            }
        }
    }

    @Test
    void halfPrecisionActivationsStayCloseToTheReference() {
        int[][] rows = randomSequences(4, 5);
        try (Kernels k = Kernels.cpu(2);
                BertEncoder enc = BertEncoder.create(k, TinyBert.weights(C, params)).activations(DType.F16);
                Tensor emb = enc.embed(TokenBatch.pad(rows, 0))) {
            float[] e = emb.toFloatArray();
            for (int b = 0; b < rows.length; b++) {
                double[] ref = reference.embedding(rows[b]);
                double dot = 0;
                for (int j = 0; j < C.hidden(); j++) {
                    dot += ref[j] * e[b * C.hidden() + j];
                }
                // both unit vectors: the dot product is the cosine
                assertTrue(dot > 0.9999, "cosine " + dot + " for sequence " + b);
                assertTrue(dot < 1 - 1e-9 || rows[b].length == 1, "f16 rounding left no trace: " + dot);
            }
        }
    }

    @Test
    void badTokenIdsAndOverlongSequencesAreRefusedByName() {
        try (Kernels k = Kernels.cpu(1); BertEncoder enc = BertEncoder.create(k, TinyBert.weights(C, params))) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> enc.embed(TokenBatch.pad(new int[][] {{1, 2}, {3, 40}}, 0)));
            assertEquals("ids[1][1]: expected a token id in 0..39 but got 40", e.getMessage());
            e = assertThrows(IllegalArgumentException.class,
                    () -> enc.embed(TokenBatch.pad(new int[][] {new int[21]}, 0)));
            assertEquals("batch: sequences of 21 tokens exceed the model's 20 positions", e.getMessage());
        }
    }
}
