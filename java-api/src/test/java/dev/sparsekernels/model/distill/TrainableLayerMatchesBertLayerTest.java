package dev.sparsekernels.model.distill;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sparsekernels.Kernels;
import dev.sparsekernels.Tensor;
import dev.sparsekernels.model.BertEncoder;
import dev.sparsekernels.model.BertLayer;
import dev.sparsekernels.model.TinyBert;
import dev.sparsekernels.model.text.TokenBatch;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The trainable copy computes what the inference layers compute (so the student that is trained is the model that
 * runs), and writing it back untrained leaves the model as it was.
 */
class TrainableLayerMatchesBertLayerTest {

    @Test
    void trainableLayersReproduceTheEncodersLastStates() {
        try (Kernels kernels = Kernels.cpu(2); BertEncoder e = DistillationFixture.encoder(kernels, 5)) {
            DistillationFixture.narrow(e, 48, 3);
            TokenBatch batch = DistillationFixture.batch(5, 12, 11);
            float[] states = e.inputStates(batch);
            int[] lengths = batch.lengths();
            int[] offsets = offsets(lengths);
            List<BertLayer> layers = e.layers();
            for (int l = 0; l < layers.size(); l++) {
                states = TrainableLayer.of(layers.get(l), l).forward(states, lengths, offsets, null, 2);
            }
            try (Tensor expected = e.lastHiddenState(batch)) {
                float[] padded = expected.toFloatArray();
                int hidden = TinyBert.CONFIG.hidden();
                int seq = batch.sequenceLength();
                for (int b = 0; b < lengths.length; b++) {
                    for (int t = 0; t < lengths[b]; t++) {
                        for (int c = 0; c < hidden; c++) {
                            float want = padded[(b * seq + t) * hidden + c];
                            float got = states[(offsets[b] + t) * hidden + c];
                            assertEquals(want, got, 2e-5f * (1 + Math.abs(want)), "b " + b + " t " + t + " c " + c);
                        }
                    }
                }
            }
        }
    }

    @Test
    void writingBackUntrainedWeightsLeavesEmbeddingsAsTheyWere() {
        try (Kernels kernels = Kernels.cpu(2); BertEncoder e = DistillationFixture.encoder(kernels, 6)) {
            DistillationFixture.narrow(e, 40, 2);
            TokenBatch batch = DistillationFixture.batch(4, 10, 12);
            float[] before;
            try (Tensor t = e.embed(batch)) {
                before = t.toFloatArray();
            }
            List<BertLayer> layers = e.layers();
            for (int l = 0; l < layers.size(); l++) {
                TrainableLayer.of(layers.get(l), l).writeTo(layers.get(l));
            }
            assertEquals(2, layers.get(0).heads());
            assertEquals(40, layers.get(1).intermediateWidth());
            try (Tensor t = e.embed(batch)) {
                float[] after = t.toFloatArray();
                for (int i = 0; i < after.length; i++) {
                    assertTrue(Math.abs(after[i] - before[i]) <= 1e-6f, "value " + i);
                }
            }
        }
    }

    static int[] offsets(int[] lengths) {
        int[] o = new int[lengths.length];
        for (int b = 1; b < lengths.length; b++) {
            o[b] = o[b - 1] + lengths[b - 1];
        }
        return o;
    }
}
