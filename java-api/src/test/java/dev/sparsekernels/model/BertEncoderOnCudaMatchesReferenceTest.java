package dev.sparsekernels.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sparsekernels.DType;
import dev.sparsekernels.Kernels;
import dev.sparsekernels.Tensor;
import dev.sparsekernels.model.text.TokenBatch;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * GPU group: the whole encoder on CUDA (every linear, the fused attention with key lengths for the padded batch,
 * f16 activations) against the textbook double-precision reference, on the small random BERT. Unlike
 * {@link BertEncoderOnCudaMatchesOnnxRuntimeTest} it needs no model jar, so it runs in the GPU-host pack.
 */
@Tag("gpu")
class BertEncoderOnCudaMatchesReferenceTest {
    private static final BertConfig C = TinyBert.CONFIG;
    private final Map<String, float[]> params = TinyBert.parameters(C, 5);
    private final BertReference reference = new BertReference(C, params);

    @Test
    void paddedBatchOnCudaMatchesTheReference() {
        Random rnd = new Random(11);
        int[][] rows = new int[7][];
        for (int i = 0; i < rows.length; i++) {
            rows[i] = new int[1 + rnd.nextInt(C.maxPositions())]; // lengths differ: padding and key lengths matter
            for (int t = 0; t < rows[i].length; t++) {
                rows[i][t] = rnd.nextInt(C.vocabularySize());
            }
        }
        rows[0] = new int[] {7};
        rows[1] = new int[C.maxPositions()]; // one full-length sequence
        for (int t = 0; t < rows[1].length; t++) {
            rows[1][t] = 1 + t % (C.vocabularySize() - 1);
        }
        TokenBatch batch = TokenBatch.pad(rows, 0);
        try (Kernels cuda = Kernels.cuda();
                BertEncoder enc = BertEncoder.create(cuda, TinyBert.weights(C, params)).activations(DType.F16);
                Tensor emb = enc.embed(batch);
                Tensor states = enc.lastHiddenState(batch)) {
            float[] e = emb.toFloatArray();
            float[] s = states.toFloatArray();
            int h = C.hidden();
            int seq = batch.sequenceLength();
            for (int b = 0; b < rows.length; b++) {
                double[] ref = reference.embedding(rows[b]);
                double dot = 0;
                for (int j = 0; j < h; j++) {
                    dot += ref[j] * e[b * h + j];
                }
                // both unit vectors: the dot product is the cosine (the bar the f16 CPU run meets)
                assertTrue(dot > 0.9999, "cosine " + dot + " for sequence " + b + " (" + rows[b].length + " tokens)");
                for (int t = rows[b].length; t < seq; t++) {
                    for (int j = 0; j < h; j++) {
                        assertEquals(0f, s[(b * seq + t) * h + j], "padding state " + b + "," + t + "," + j);
                    }
                }
            }
        }
    }
}
