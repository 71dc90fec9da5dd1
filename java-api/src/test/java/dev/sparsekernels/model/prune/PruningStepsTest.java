package dev.sparsekernels.model.prune;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sparsekernels.Kernels;
import dev.sparsekernels.Sparse24Matrix;
import dev.sparsekernels.Tensor;
import dev.sparsekernels.channels.ChannelStatistics;
import dev.sparsekernels.model.BertEncoder;
import dev.sparsekernels.model.BertLayer;
import dev.sparsekernels.model.BlockSparseLinear;
import dev.sparsekernels.model.DenseLinear;
import dev.sparsekernels.model.LinearSlot;
import dev.sparsekernels.model.Sparse24Linear;
import dev.sparsekernels.prune.ChannelCriterion;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Each pruning step on the tiny BERT: what it replaces, with what, chosen by which statistics. */
class PruningStepsTest {
    private static final SentenceBatches CALIBRATION = TinyModel.batches(40, 11, 8);
    private static final Set<LinearSlot> GRAMS = EnumSet.of(LinearSlot.OUTPUT, LinearSlot.ATTENTION_OUTPUT);

    private static float[][] weights(BertEncoder enc, LinearSlot slot) {
        float[][] w = new float[enc.layers().size()][];
        for (int i = 0; i < w.length; i++) {
            w[i] = ((DenseLinear) enc.layers().get(i).linear(slot)).weight().toFloatArray();
        }
        return w;
    }

    @Test
    void magnitude24ReplacesExactlyTheNamedSlotsByTheirMagnitudePruning() {
        try (Kernels k = Kernels.cpu(2); BertEncoder enc = TinyModel.encoder(k, 5)) {
            float[][] w1 = weights(enc, LinearSlot.INTERMEDIATE);
            long before = enc.parameterCount();
            Sparse24Step.magnitude(LinearSlot.INTERMEDIATE, LinearSlot.QUERY).apply(enc, null);
            for (int i = 0; i < 2; i++) {
                BertLayer layer = enc.layers().get(i);
                assertInstanceOf(Sparse24Linear.class, layer.linear(LinearSlot.INTERMEDIATE));
                assertInstanceOf(Sparse24Linear.class, layer.linear(LinearSlot.QUERY));
                assertInstanceOf(DenseLinear.class, layer.linear(LinearSlot.KEY));
                assertInstanceOf(DenseLinear.class, layer.linear(LinearSlot.OUTPUT));
                try (Tensor t = Tensor.of(w1[i], 64, 32); Sparse24Matrix m = Sparse24Matrix.prune(t)) {
                    assertArrayEquals(m.toDenseArray(),
                            ((Sparse24Linear) layer.linear(LinearSlot.INTERMEDIATE)).weight().toDenseArray());
                }
            }
            assertEquals(before - 2 * (64 * 32 / 2 + 32 * 32 / 2), enc.parameterCount());
        }
    }

    /** Wanda must read the RMS of the right input: compared with Sparse24Pruner fed independently computed norms. */
    @Test
    void wanda24UsesTheRmsOfEachLinearsOwnInput() {
        try (Kernels k = Kernels.cpu(2); BertEncoder enc = TinyModel.encoder(k, 6)) {
            CalibrationStatistics stats = CalibrationStatistics.collect(enc, CALIBRATION, 2, Set.of(), Progress.NONE);
            float[][] w2 = weights(enc, LinearSlot.OUTPUT);
            float[][] wo = weights(enc, LinearSlot.ATTENTION_OUTPUT);
            Sparse24Step.wanda(LinearSlot.OUTPUT, LinearSlot.ATTENTION_OUTPUT).apply(enc, stats);
            boolean differsFromMagnitude = false;
            for (int i = 0; i < 2; i++) {
                for (LinearSlot slot : new LinearSlot[] {LinearSlot.OUTPUT, LinearSlot.ATTENTION_OUTPUT}) {
                    float[] w = slot == LinearSlot.OUTPUT ? w2[i] : wo[i];
                    int in = slot == LinearSlot.OUTPUT ? 64 : 32;
                    float[] rms = rms(stats.input(i, slot));
                    try (Tensor t = Tensor.of(w, 32, in); Sparse24Matrix expected = Sparse24Matrix.prune(t, rms);
                            Sparse24Matrix magnitude = Sparse24Matrix.prune(t)) {
                        Sparse24Matrix actual = ((Sparse24Linear) enc.layers().get(i).linear(slot)).weight();
                        assertArrayEquals(expected.toDenseArray(), actual.toDenseArray(), slot + " layer " + i);
                        differsFromMagnitude |= !Arrays.equals(magnitude.toDenseArray(), actual.toDenseArray());
                    }
                }
            }
            assertTrue(differsFromMagnitude, "the activations changed which weights were kept");
        }
    }

    private static float[] rms(ChannelStatistics s) {
        double[] ms = s.meanSquare();
        float[] r = new float[ms.length];
        for (int j = 0; j < ms.length; j++) {
            r[j] = (float) Math.sqrt(ms[j]);
        }
        return r;
    }

    @Test
    void blockSparseKeepsTheRequestedShareOfBlocks() {
        try (Kernels k = Kernels.cpu(2); BertEncoder enc = TinyModel.encoder(k, 7)) {
            new BlockSparseStep(16, 0.5, LinearSlot.INTERMEDIATE, LinearSlot.OUTPUT).apply(enc, null);
            for (BertLayer layer : enc.layers()) {
                BlockSparseLinear w1 = (BlockSparseLinear) layer.linear(LinearSlot.INTERMEDIATE);
                assertEquals(4, w1.weight().blockCount()); // 64 x 32 has 8 blocks of 16 x 16
                assertEquals(16, w1.weight().blockRows());
                assertInstanceOf(BlockSparseLinear.class, layer.linear(LinearSlot.OUTPUT));
                assertInstanceOf(DenseLinear.class, layer.linear(LinearSlot.VALUE));
            }
        }
    }

    /** FLAP per layer: kept channels are the top variance · column-norm² scores, bias takes the removed means. */
    @Test
    void flapPerLayerKeepsTheHighestFluctuationsAndCompensatesTheBias() {
        try (Kernels k = Kernels.cpu(2); BertEncoder enc = TinyModel.encoder(k, 8)) {
            CalibrationStatistics stats = CalibrationStatistics.collect(enc, CALIBRATION, 2, Set.of(), Progress.NONE);
            float[][] w2 = weights(enc, LinearSlot.OUTPUT);
            float[] b2 = ((DenseLinear) enc.layers().get(0).linear(LinearSlot.OUTPUT)).bias().toFloatArray();
            new ChannelRemovalStep(0.25, 0, ChannelCriterion.FLAP, ChannelRemovalStep.Compensation.BIAS, 1, false, 1)
                    .apply(enc, stats);
            ChannelStatistics h = stats.input(0, LinearSlot.OUTPUT);
            double[] score = new double[64];
            for (int j = 0; j < 64; j++) {
                double sq = 0;
                for (int o = 0; o < 32; o++) {
                    sq += (double) w2[0][o * 64 + j] * w2[0][o * 64 + j];
                }
                score[j] = h.variance()[j] * sq;
            }
            Integer[] order = new Integer[64];
            for (int j = 0; j < 64; j++) {
                order[j] = j;
            }
            Arrays.sort(order, (a, b) -> Double.compare(score[b], score[a]));
            boolean[] keep = new boolean[64];
            for (int r = 0; r < 48; r++) {
                keep[order[r]] = true;
            }
            BertLayer layer = enc.layers().get(0);
            assertEquals(48, layer.intermediateWidth());
            DenseLinear newW2 = (DenseLinear) layer.linear(LinearSlot.OUTPUT);
            float[] w = newW2.weight().toFloatArray();
            float[] b = newW2.bias().toFloatArray();
            for (int o = 0; o < 32; o++) {
                double expectedBias = b2[o];
                int col = 0;
                for (int j = 0; j < 64; j++) {
                    if (keep[j]) {
                        assertEquals(w2[0][o * 64 + j], w[o * 48 + col++], 0.0, "kept column " + j);
                    } else {
                        expectedBias += w2[0][o * 64 + j] * h.mean()[j];
                    }
                }
                assertEquals(expectedBias, b[o], 1e-5);
            }
        }
    }

    @Test
    void globalSelectionRemovesTheShareOverAllLayersTogether() {
        try (Kernels k = Kernels.cpu(2); BertEncoder enc = TinyModel.encoder(k, 9)) {
            CalibrationStatistics stats = CalibrationStatistics.collect(enc, CALIBRATION, 2, Set.of(), Progress.NONE);
            ChannelRemovalStep.flap(0.5, 0.25).apply(enc, stats);
            int heads = 0;
            int channels = 0;
            for (BertLayer layer : enc.layers()) {
                heads += layer.heads();
                channels += layer.intermediateWidth();
                assertEquals(0, layer.intermediateWidth() % 8);
                assertEquals(layer.heads() * 8, layer.linear(LinearSlot.ATTENTION_OUTPUT).inFeatures());
            }
            assertEquals(6, heads); // 25% of 8 heads
            assertTrue(Math.abs(channels - 64) <= 8, "about half of 128 channels, per-layer rounding: " + channels);
        }
    }

    /** On the calibration data the refit must reproduce the dense layer's output better than bias compensation. */
    @Test
    void leastSquaresRefitTracksTheDenseOutputsBetterThanBiasCompensation() {
        double[] error = new double[3];
        ChannelRemovalStep.Compensation[] modes = ChannelRemovalStep.Compensation.values();
        float[] dense;
        try (Kernels k = Kernels.cpu(2); BertEncoder enc = TinyModel.encoder(k, 10)) {
            dense = CALIBRATION.embed(enc);
        }
        for (int m = 0; m < modes.length; m++) {
            try (Kernels k = Kernels.cpu(2); BertEncoder enc = TinyModel.encoder(k, 10)) {
                CalibrationStatistics stats = CalibrationStatistics.collect(enc, CALIBRATION, 2, GRAMS,
                        Progress.NONE);
                new ChannelRemovalStep(0.4, 0.25, ChannelCriterion.FLAP, modes[m], 1, false, 2).apply(enc, stats);
                float[] e = CALIBRATION.embed(enc);
                for (int i = 0; i < e.length; i++) {
                    error[m] += (e[i] - dense[i]) * (double) (e[i] - dense[i]);
                }
            }
        }
        assertTrue(error[2] < error[1] && error[1] < error[0], "squared error none, bias, least squares: "
                + Arrays.toString(error));
    }

    @Test
    void stepsRefuseLayersThatAreNoLongerDense() {
        try (Kernels k = Kernels.cpu(1); BertEncoder enc = TinyModel.encoder(k, 12)) {
            Sparse24Step.magnitude(LinearSlot.OUTPUT).apply(enc, null);
            IllegalStateException e = assertThrows(IllegalStateException.class,
                    () -> new BlockSparseStep(16, 0.5, LinearSlot.OUTPUT).apply(enc, null));
            assertTrue(e.getMessage().contains("layer 0 OUTPUT is 2:4"), e.getMessage());
        }
    }

    @Test
    void badParametersAreNamed() {
        assertMessage("block:", () -> new BlockSparseStep(8, 0.5, LinearSlot.OUTPUT));
        assertMessage("density:", () -> new BlockSparseStep(32, 0, LinearSlot.OUTPUT));
        assertMessage("slots:", () -> new BlockSparseStep(32, 0.5));
        assertMessage("slots:", () -> Sparse24Step.wanda());
        assertMessage("ffnRemoved:", () -> ChannelRemovalStep.flap(1.0, 0));
        assertMessage("headsRemoved:", () -> ChannelRemovalStep.flap(0, -0.1));
        assertMessage("ffnRemoved, headsRemoved:", () -> ChannelRemovalStep.flap(0, 0));
        assertMessage("stats:", () -> {
            try (Kernels k = Kernels.cpu(1); BertEncoder enc = TinyModel.encoder(k, 1)) {
                Sparse24Step.wanda(LinearSlot.QUERY).apply(enc, null);
            }
        });
    }

    static void assertMessage(String start, org.junit.jupiter.api.function.Executable call) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
        assertTrue(e.getMessage().startsWith(start), e.getMessage());
    }
}
