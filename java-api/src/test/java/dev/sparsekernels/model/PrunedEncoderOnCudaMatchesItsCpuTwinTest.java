package dev.sparsekernels.model;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sparsekernels.DType;
import dev.sparsekernels.Kernels;
import dev.sparsekernels.model.text.TokenBatch;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * GPU group: the pruned small BERT ({@link PrunedTinyBert}: 2:4 linears, a compacted FFN with a block-sparse W1) on
 * CUDA against the same pruned model on the CPU, both with f16 activations, on a padded batch: issue 7's pruned
 * models on the GPU, each pruned form's kernel inside a whole encoder. Needs no model jar.
 */
@Tag("gpu")
class PrunedEncoderOnCudaMatchesItsCpuTwinTest {
    private final Map<String, float[]> params = TinyBert.parameters(TinyBert.CONFIG, 5);

    /** Seven sequences of different lengths, one of a single token and one of the full length. */
    static TokenBatch paddedBatch() {
        BertConfig c = TinyBert.CONFIG;
        Random rnd = new Random(11);
        int[][] rows = new int[7][];
        for (int i = 0; i < rows.length; i++) {
            rows[i] = new int[1 + rnd.nextInt(c.maxPositions())];
            for (int t = 0; t < rows[i].length; t++) {
                rows[i][t] = rnd.nextInt(c.vocabularySize());
            }
        }
        rows[0] = new int[] {7};
        rows[1] = new int[c.maxPositions()];
        for (int t = 0; t < rows[1].length; t++) {
            rows[1][t] = 1 + t % (c.vocabularySize() - 1);
        }
        return TokenBatch.pad(rows, 0);
    }

    @Test
    void prunedEncoderOnCudaMatchesItsCpuTwin() {
        TokenBatch batch = paddedBatch();
        int h = TinyBert.CONFIG.hidden();
        float[] cpu;
        try (Kernels k = Kernels.cpu(2);
                BertEncoder enc = PrunedTinyBert.create(k, params).activations(DType.F16)) {
            cpu = PrunedTinyBert.embed(enc, batch);
        }
        float[] gpu;
        try (Kernels k = Kernels.cuda();
                BertEncoder enc = PrunedTinyBert.create(k, params).activations(DType.F16)) {
            gpu = PrunedTinyBert.embed(enc, batch);
        }
        for (int b = 0; b < batch.size(); b++) {
            double c = PrunedTinyBert.cosine(cpu, gpu, b, h);
            assertTrue(c > 0.9999, "sequence " + b + ": cosine " + c + " between the CUDA and CPU runs");
        }
    }
}
