package dev.sparsekernels.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sparsekernels.DType;
import dev.sparsekernels.Kernels;
import dev.sparsekernels.model.text.TokenBatch;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The pruned small BERT that the GPU group's {@link PrunedEncoderOnCudaMatchesItsCpuTwinTest} runs on CUDA, checked
 * here on the CPU: it holds the layers it says (so the GPU test runs the 2:4, BSR and compacted kernels), it is not
 * the dense model, and its f16 run (what CUDA runs) stays with its f32 run.
 */
class PrunedTinyBertTest {
    private final Map<String, float[]> params = TinyBert.parameters(TinyBert.CONFIG, 5);

    @Test
    void holdsEveryPrunedFormAndItsF16RunFollowsItsF32Run() {
        TokenBatch batch = PrunedEncoderOnCudaMatchesItsCpuTwinTest.paddedBatch();
        int h = TinyBert.CONFIG.hidden();
        try (Kernels cpu = Kernels.cpu(2);
                BertEncoder dense = BertEncoder.create(cpu, TinyBert.weights(TinyBert.CONFIG, params));
                BertEncoder pruned = PrunedTinyBert.create(cpu, params);
                BertEncoder prunedF16 = PrunedTinyBert.create(cpu, params).activations(DType.F16)) {
            for (LinearSlot slot : LinearSlot.values()) {
                assertInstanceOf(Sparse24Linear.class, pruned.layers().get(0).linear(slot), slot.toString());
            }
            BertLayer second = pruned.layers().get(1);
            assertInstanceOf(BlockSparseLinear.class, second.linear(LinearSlot.INTERMEDIATE));
            assertEquals(PrunedTinyBert.KEPT_CHANNELS, second.linear(LinearSlot.INTERMEDIATE).outFeatures());
            assertEquals(PrunedTinyBert.KEPT_CHANNELS, second.linear(LinearSlot.OUTPUT).inFeatures());
            assertTrue(pruned.parameterCount() < dense.parameterCount());

            float[] d = PrunedTinyBert.embed(dense, batch);
            float[] p = PrunedTinyBert.embed(pruned, batch);
            float[] p16 = PrunedTinyBert.embed(prunedF16, batch);
            double worstVsDense = 1;
            for (int b = 0; b < batch.size(); b++) {
                worstVsDense = Math.min(worstVsDense, PrunedTinyBert.cosine(d, p, b, h));
                double c = PrunedTinyBert.cosine(p, p16, b, h);
                assertTrue(c > 0.999, "f16 against f32, sequence " + b + ": cosine " + c);
            }
            assertTrue(worstVsDense < 0.999, "pruning changed nothing: worst cosine to dense " + worstVsDense);
        }
    }
}
