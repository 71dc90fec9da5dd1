package dev.sparsekernels.model.distill;

import dev.sparsekernels.Kernels;
import dev.sparsekernels.Tensor;
import dev.sparsekernels.model.BertEncoder;
import dev.sparsekernels.model.BertLayer;
import dev.sparsekernels.model.DenseLinear;
import dev.sparsekernels.model.LinearLayer;
import dev.sparsekernels.model.LinearSlot;
import dev.sparsekernels.model.TinyBert;
import dev.sparsekernels.model.text.TokenBatch;
import java.util.Random;

/** Tiny random BERTs and random token batches for the distillation tests. */
final class DistillationFixture {
    private DistillationFixture() {
    }

    static BertEncoder encoder(Kernels kernels, long seed) {
        return BertEncoder.create(kernels, TinyBert.weights(TinyBert.CONFIG, TinyBert.parameters(TinyBert.CONFIG,
                seed)));
    }

    /**
     * Keeps the first ffnKeep FFN channels and the first headsKeep heads of every layer (plain slicing, no
     * compensation): a pruned student whose widths differ from the teacher's.
     */
    static void narrow(BertEncoder e, int ffnKeep, int headsKeep) {
        for (BertLayer layer : e.layers()) {
            int hidden = layer.linear(LinearSlot.QUERY).inFeatures();
            int width = headsKeep * layer.headDim();
            LinearLayer q = rows(layer.linear(LinearSlot.QUERY), width);
            LinearLayer k = rows(layer.linear(LinearSlot.KEY), width);
            LinearLayer v = rows(layer.linear(LinearSlot.VALUE), width);
            LinearLayer o = columns(layer.linear(LinearSlot.ATTENTION_OUTPUT), width);
            layer.replaceAttention(q, k, v, o).forEach(LinearLayer::close);
            LinearLayer up = rows(layer.linear(LinearSlot.INTERMEDIATE), ffnKeep);
            LinearLayer down = columns(layer.linear(LinearSlot.OUTPUT), ffnKeep);
            layer.replaceFeedForward(up, down).forEach(LinearLayer::close);
            if (layer.heads() != headsKeep || layer.intermediateWidth() != ffnKeep || hidden < 1) {
                throw new IllegalStateException("narrowing failed");
            }
        }
    }

    private static LinearLayer rows(LinearLayer l, int keep) {
        DenseLinear d = (DenseLinear) l;
        float[] w = d.weight().toFloatArray();
        float[] b = d.bias().toFloatArray();
        int in = l.inFeatures();
        return new DenseLinear(Tensor.of(java.util.Arrays.copyOf(w, keep * in), keep, in),
                Tensor.of(java.util.Arrays.copyOf(b, keep), keep));
    }

    private static LinearLayer columns(LinearLayer l, int keep) {
        DenseLinear d = (DenseLinear) l;
        float[] w = d.weight().toFloatArray();
        int out = l.outFeatures();
        int in = l.inFeatures();
        float[] k = new float[out * keep];
        for (int r = 0; r < out; r++) {
            System.arraycopy(w, r * in, k, r * keep, keep);
        }
        return new DenseLinear(Tensor.of(k, out, keep), Tensor.of(d.bias().toFloatArray(), out));
    }

    /** size sequences of 1 to maxLength random ids (vocabulary of the tiny model), padded. */
    static TokenBatch batch(int size, int maxLength, long seed) {
        Random r = new Random(seed);
        int[][] rows = new int[size][];
        for (int i = 0; i < size; i++) {
            rows[i] = new int[1 + r.nextInt(maxLength)];
            for (int t = 0; t < rows[i].length; t++) {
                rows[i][t] = 1 + r.nextInt(TinyBert.CONFIG.vocabularySize() - 1);
            }
        }
        return TokenBatch.pad(rows, 0);
    }
}
