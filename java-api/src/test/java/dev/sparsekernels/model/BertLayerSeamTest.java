package dev.sparsekernels.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sparsekernels.BlockSparseMatrix;
import dev.sparsekernels.Kernels;
import dev.sparsekernels.Sparse24Matrix;
import dev.sparsekernels.Tensor;
import dev.sparsekernels.model.text.TokenBatch;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The seam later pruning steps use: a layer's linears swapped for 2:4, BSR or smaller dense ones must compute what
 * the equivalent dense model computes. Equivalences are built so the expected answer is known exactly.
 */
class BertLayerSeamTest {
    private static final BertConfig C = TinyBert.CONFIG;
    private static final TokenBatch BATCH = batch();

    private static TokenBatch batch() {
        Random rnd = new Random(21);
        int[][] rows = new int[5][];
        for (int i = 0; i < rows.length; i++) {
            rows[i] = new int[3 + 4 * i];
            for (int t = 0; t < rows[i].length; t++) {
                rows[i][t] = rnd.nextInt(C.vocabularySize());
            }
        }
        return TokenBatch.pad(rows, 0);
    }

    private static float[] embed(Kernels k, Map<String, float[]> params, java.util.function.Consumer<BertEncoder> edit) {
        try (BertEncoder enc = BertEncoder.create(k, TinyBert.weights(C, params))) {
            edit.accept(enc);
            try (Tensor e = enc.embed(BATCH)) {
                return e.toFloatArray();
            }
        }
    }

    private static void assertClose(float[] expected, float[] actual, double tol) {
        assertEquals(expected.length, actual.length);
        for (int i = 0; i < expected.length; i++) {
            assertEquals(expected[i], actual[i], tol, "element " + i);
        }
    }

    @Test
    void sparse24LinearsComputeWhatTheirPrunedDenseWeightsCompute() {
        Map<String, float[]> params = TinyBert.parameters(C, 2);
        Map<String, float[]> pruned = new LinkedHashMap<>(params);
        for (LinearSlot slot : LinearSlot.values()) {
            String name = BertWeights.layer(1, slot.module() + ".weight");
            long[] s = BertWeights.expectedShapes(C).get(name);
            try (Tensor w = Tensor.of(params.get(name), s); Sparse24Matrix m = Sparse24Matrix.prune(w)) {
                pruned.put(name, m.toDenseArray());
            }
        }
        try (Kernels k = Kernels.cpu(2)) {
            float[] expected = embed(k, pruned, enc -> { });
            float[] actual = embed(k, params, enc -> {
                BertLayer layer = enc.layers().get(1);
                for (LinearSlot slot : LinearSlot.values()) {
                    DenseLinear dense = (DenseLinear) layer.linear(slot);
                    LinearLayer old = layer.replaceLinear(slot, Sparse24Linear.pruneByMagnitude(dense));
                    assertSame(dense, old);
                    old.close(); // handed back to us; the sparse layer owns its own copy of the bias
                }
                assertEquals("2:4", layer.linear(LinearSlot.OUTPUT).format());
            });
            assertClose(expected, actual, 1e-6);
            assertNotEquals(embed(k, params, enc -> { })[0], actual[0]); // pruning did change the model
        }
    }

    @Test
    void blockSparseLinearsComputeWhatTheirPrunedDenseWeightsCompute() {
        Map<String, float[]> params = TinyBert.parameters(C, 3);
        Map<String, float[]> pruned = new LinkedHashMap<>(params);
        String name = BertWeights.layer(0, LinearSlot.INTERMEDIATE.module() + ".weight");
        try (Tensor w = Tensor.of(params.get(name), BertWeights.expectedShapes(C).get(name));
                BlockSparseMatrix m = BlockSparseMatrix.prune(w, 16, 16, 0.5)) {
            pruned.put(name, m.toDenseArray());
        }
        try (Kernels k = Kernels.cpu(2)) {
            float[] expected = embed(k, pruned, enc -> { });
            float[] actual = embed(k, params, enc -> {
                BertLayer layer = enc.layers().get(0);
                DenseLinear dense = (DenseLinear) layer.linear(LinearSlot.INTERMEDIATE);
                layer.replaceLinear(LinearSlot.INTERMEDIATE, BlockSparseLinear.pruneByBlockNorm(dense, 16, 16, 0.5))
                        .close();
                assertEquals("bsr 16x16 density 0.500", layer.linear(LinearSlot.INTERMEDIATE).format());
            });
            assertClose(expected, actual, 1e-6);
        }
    }

    @Test
    void removingDeadFfnChannelsChangesNothing() {
        // Channels whose W2 column is zero contribute nothing; dropping them (W1 rows, b1, W2 columns) must give
        // the same embeddings with a 40-wide instead of 64-wide FFN.
        Map<String, float[]> params = TinyBert.parameters(C, 4);
        int width = C.intermediate();
        int[] kept = new int[40];
        for (int i = 0, c = 0; c < width; c++) {
            boolean keep = c % 8 < 5;
            if (keep) {
                kept[i++] = c;
            } else {
                float[] w2 = params.get(BertWeights.layer(0, "output.dense.weight"));
                for (int r = 0; r < C.hidden(); r++) {
                    w2[r * width + c] = 0f;
                }
            }
        }
        try (Kernels k = Kernels.cpu(2)) {
            float[] expected = embed(k, params, enc -> { });
            float[] actual = embed(k, params, enc -> {
                BertLayer layer = enc.layers().get(0);
                DenseLinear w1 = (DenseLinear) layer.linear(LinearSlot.INTERMEDIATE);
                DenseLinear w2 = (DenseLinear) layer.linear(LinearSlot.OUTPUT);
                Tensor b1;
                try (Tensor b1Column = w1.bias().reshape(width, 1); Tensor g = k.gatherRows(b1Column, kept)) {
                    b1 = g.reshape(kept.length);
                }
                DenseLinear small1 = new DenseLinear(k.gatherRows(w1.weight(), kept), b1);
                DenseLinear small2 = new DenseLinear(k.gatherColumns(w2.weight(), kept),
                        w2.bias().reshape(C.hidden()));
                List<LinearLayer> old = layer.replaceFeedForward(small1, small2);
                assertEquals(List.of(w1, w2), old);
                old.forEach(LinearLayer::close);
                assertEquals(40, layer.intermediateWidth());
            });
            assertClose(expected, actual, 2e-6);
        }
    }

    @Test
    void removingAHeadWhoseOutputIsIgnoredChangesNothing() {
        // Head 2 of layer 1 is made dead by zeroing its 8 columns of Wo; removing its Q, K, V rows and Wo columns
        // must leave the embeddings unchanged, with 3 heads instead of 4.
        Map<String, float[]> params = TinyBert.parameters(C, 6);
        int d = C.headDim();
        int h = C.hidden();
        float[] wo = params.get(BertWeights.layer(1, "attention.output.dense.weight"));
        for (int r = 0; r < h; r++) {
            for (int c = 2 * d; c < 3 * d; c++) {
                wo[r * h + c] = 0f;
            }
        }
        int[] kept = new int[3 * d];
        for (int i = 0, c = 0; c < h; c++) {
            if (c / d != 2) {
                kept[i++] = c;
            }
        }
        try (Kernels k = Kernels.cpu(2)) {
            float[] expected = embed(k, params, enc -> { });
            float[] actual = embed(k, params, enc -> {
                BertLayer layer = enc.layers().get(1);
                LinearLayer[] qkv = new LinearLayer[3];
                LinearSlot[] slots = {LinearSlot.QUERY, LinearSlot.KEY, LinearSlot.VALUE};
                for (int i = 0; i < 3; i++) {
                    DenseLinear full = (DenseLinear) layer.linear(slots[i]);
                    Tensor b;
                    try (Tensor col = full.bias().reshape(h, 1); Tensor g = k.gatherRows(col, kept)) {
                        b = g.reshape(kept.length);
                    }
                    qkv[i] = new DenseLinear(k.gatherRows(full.weight(), kept), b);
                }
                DenseLinear o = (DenseLinear) layer.linear(LinearSlot.ATTENTION_OUTPUT);
                DenseLinear smallO = new DenseLinear(k.gatherColumns(o.weight(), kept), o.bias().reshape(h));
                layer.replaceAttention(qkv[0], qkv[1], qkv[2], smallO).forEach(LinearLayer::close);
                assertEquals(3, layer.heads());
            });
            assertClose(expected, actual, 2e-6);
        }
    }

    @Test
    void replacementsThatDoNotFitAreRefusedAndNothingChanges() {
        try (Kernels k = Kernels.cpu(1);
                BertEncoder enc = BertEncoder.create(k, TinyBert.weights(C, TinyBert.parameters(C, 1)))) {
            BertLayer layer = enc.layers().get(0);
            LinearLayer before = layer.linear(LinearSlot.INTERMEDIATE);
            try (DenseLinear narrow = new DenseLinear(Tensor.of(new float[40 * 32], 40, 32), null)) {
                IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                        () -> layer.replaceLinear(LinearSlot.INTERMEDIATE, narrow));
                assertTrue(e.getMessage().startsWith("replacement for INTERMEDIATE: expected [out, in] = [64, 32] but"
                        + " got [40, 32]"), e.getMessage());
                e = assertThrows(IllegalArgumentException.class,
                        () -> layer.replaceFeedForward(narrow, layer.linear(LinearSlot.OUTPUT)));
                assertTrue(e.getMessage().startsWith("feed-forward: expected intermediate [k, 32] and output [32, k]"),
                        e.getMessage());
            }
            try (DenseLinear q = new DenseLinear(Tensor.of(new float[12 * 32], 12, 32), null)) {
                IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                        () -> layer.replaceAttention(q, q, q, layer.linear(LinearSlot.ATTENTION_OUTPUT)));
                assertTrue(e.getMessage().startsWith("attention: expected Q, K, V [h*8, 32]"), e.getMessage());
            }
            assertSame(before, layer.linear(LinearSlot.INTERMEDIATE));
            assertEquals(4, layer.heads());
        }
    }
}
