package dev.sparsekernels.model;

import dev.sparsekernels.Kernels;
import dev.sparsekernels.Tensor;
import dev.sparsekernels.channels.ChannelPlan;
import java.util.Map;

/**
 * The small random BERT ({@link TinyBert}) pruned every way the demo prunes MiniLM, built the same on any device: in
 * layer 0 all six linears 2:4 by magnitude; in layer 1 the FFN compacted from 64 to 48 channels (every fourth
 * removed) and its W1 then block-sparse (16 x 16 blocks, half of them kept). Pruning reads the host weights, so the
 * CPU and CUDA encoders built from the same parameters hold the same pruned layers.
 */
final class PrunedTinyBert {
    private PrunedTinyBert() {}

    static final int KEPT_CHANNELS = 48;

    static BertEncoder create(Kernels kernels, Map<String, float[]> params) {
        BertEncoder enc = BertEncoder.create(kernels, TinyBert.weights(TinyBert.CONFIG, params));
        BertLayer first = enc.layers().get(0);
        for (LinearSlot slot : LinearSlot.values()) {
            DenseLinear dense = (DenseLinear) first.linear(slot);
            first.replaceLinear(slot, Sparse24Linear.pruneByMagnitude(dense)).close();
        }
        BertLayer second = enc.layers().get(1);
        DenseLinear w1 = (DenseLinear) second.linear(LinearSlot.INTERMEDIATE);
        DenseLinear w2 = (DenseLinear) second.linear(LinearSlot.OUTPUT);
        int width = w1.outFeatures();
        int[] kept = new int[KEPT_CHANNELS];
        for (int j = 0, n = 0; j < width && n < kept.length; j++) {
            if (j % 4 != 3) {
                kept[n++] = j;
            }
        }
        ChannelPlan plan = ChannelPlan.keep(width, kept);
        try (DenseLinear compact1 = new DenseLinear(plan.compactProducer(w1.weight()),
                plan.compactVector("b1", w1.bias()))) {
            LinearLayer blocks1 = BlockSparseLinear.pruneByBlockNorm(compact1, 16, 16, 0.5);
            DenseLinear compact2 = new DenseLinear(plan.compactConsumer(w2.weight()), Biases.copy(w2.bias()));
            second.replaceFeedForward(blocks1, compact2).forEach(LinearLayer::close);
        }
        return enc;
    }

    /** The cosine of two embeddings (rows of h floats, not necessarily unit length). */
    static double cosine(float[] a, float[] b, int row, int h) {
        double dot = 0;
        double na = 0;
        double nb = 0;
        for (int j = 0; j < h; j++) {
            dot += (double) a[row * h + j] * b[row * h + j];
            na += (double) a[row * h + j] * a[row * h + j];
            nb += (double) b[row * h + j] * b[row * h + j];
        }
        return dot / Math.sqrt(na * nb);
    }

    static float[] embed(BertEncoder enc, dev.sparsekernels.model.text.TokenBatch batch) {
        try (Tensor e = enc.embed(batch)) {
            return e.toFloatArray();
        }
    }
}
