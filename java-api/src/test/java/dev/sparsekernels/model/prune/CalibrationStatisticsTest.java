package dev.sparsekernels.model.prune;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sparsekernels.Kernels;
import dev.sparsekernels.channels.ChannelStatistics;
import dev.sparsekernels.model.BertEncoder;
import dev.sparsekernels.model.BertLayer;
import dev.sparsekernels.model.DenseLinear;
import dev.sparsekernels.model.LinearSlot;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** What the encoder shows its observer, and the statistics collected from it. */
class CalibrationStatisticsTest {
    private record Seen(int layer, LinearSlot slot, float[] x, int rows, int width) {
    }

    private static List<Seen> observe(BertEncoder enc, SentenceBatches batches) {
        List<Seen> seen = new ArrayList<>();
        batches.embed(enc, (layer, slot, x, rows, width) -> seen.add(new Seen(layer, slot, x.clone(), rows, width)),
                Progress.NONE);
        return seen;
    }

    @Test
    void theObserverSeesEachLinearInputOncePerLayerAndBatch() {
        SentenceBatches batches = TinyModel.batches(9, 1, 4);
        try (Kernels k = Kernels.cpu(2); BertEncoder enc = TinyModel.encoder(k, 1)) {
            List<Seen> seen = observe(enc, batches);
            assertEquals(3 * 2 * 4, seen.size()); // batches x layers x (Q/K/V, O, W1, W2)
            for (int i = 0; i < seen.size(); i++) {
                Seen s = seen.get(i);
                LinearSlot expected = new LinearSlot[] {LinearSlot.QUERY, LinearSlot.ATTENTION_OUTPUT,
                    LinearSlot.INTERMEDIATE, LinearSlot.OUTPUT}[i % 4];
                assertEquals(expected, s.slot());
                assertEquals(i / 4 % 2, s.layer());
                assertEquals(s.slot() == LinearSlot.OUTPUT ? 64 : 32, s.width());
                assertEquals(batches.batches().get(i / 8).tokenCount(), s.rows());
            }
        }
    }

    /** W2's input must be GELU(W1 · (W1's input) + b1), computed here in double: the observer shows real values. */
    @Test
    void observedInputsAreTheValuesTheLayersCompute() {
        SentenceBatches batches = TinyModel.batches(4, 2, 4);
        try (Kernels k = Kernels.cpu(2); BertEncoder enc = TinyModel.encoder(k, 2)) {
            List<Seen> seen = observe(enc, batches);
            for (int layer = 0; layer < 2; layer++) {
                Seen in = seen.get(layer * 4 + 2);
                Seen out = seen.get(layer * 4 + 3);
                DenseLinear w1 = (DenseLinear) enc.layers().get(layer).linear(LinearSlot.INTERMEDIATE);
                float[] w = w1.weight().toFloatArray();
                float[] b = w1.bias().toFloatArray();
                for (int t = 0; t < in.rows(); t++) {
                    for (int c = 0; c < 64; c++) {
                        double h = b[c];
                        for (int j = 0; j < 32; j++) {
                            h += (double) w[c * 32 + j] * in.x()[t * 32 + j];
                        }
                        double gelu = Math.abs(h) >= 6 ? Math.max(h, 0) : h * 0.5 * (1 + erf(h / Math.sqrt(2)));
                        assertEquals(gelu, out.x()[t * 64 + c], 1e-5, "layer " + layer + " token " + t);
                    }
                }
            }
        }
    }

    @Test
    void statisticsAreThoseOfTheObservedRows() {
        SentenceBatches batches = TinyModel.batches(11, 3, 4);
        try (Kernels k = Kernels.cpu(2); BertEncoder enc = TinyModel.encoder(k, 3)) {
            List<Seen> seen = observe(enc, batches);
            CalibrationStatistics stats = CalibrationStatistics.collect(enc, batches, 2,
                    EnumSet.of(LinearSlot.OUTPUT), Progress.NONE);
            ChannelStatistics expected = new ChannelStatistics(64);
            for (Seen s : seen) {
                if (s.layer() == 1 && s.slot() == LinearSlot.OUTPUT) {
                    expected.accept(s.x(), s.rows());
                }
            }
            ChannelStatistics actual = stats.input(1, LinearSlot.OUTPUT);
            assertEquals(expected.count(), actual.count());
            // Two forward passes, not one: their float activations agree to rounding, not bit for bit (the passes
            // can run at different JIT tiers, whose vector reductions add in different orders), so 1e-6 relative.
            for (int c = 0; c < 64; c++) {
                assertEquals(expected.mean()[c], actual.mean()[c], 1e-6 * Math.max(1, Math.abs(expected.mean()[c])));
                assertEquals(expected.variance()[c], actual.variance()[c],
                        1e-6 * Math.max(1, Math.abs(expected.variance()[c])));
                assertEquals(Math.sqrt(expected.meanSquare()[c]), stats.inputRms(1, LinearSlot.OUTPUT)[c], 1e-6);
                assertEquals(actual.mean()[c], stats.gram(1, LinearSlot.OUTPUT).mean()[c], 1e-9); // same pass
                assertEquals(expected.mean()[c], stats.gram(1, LinearSlot.OUTPUT).mean()[c],
                        1e-6 * Math.max(1, Math.abs(expected.mean()[c])));
            }
            assertSame(stats.input(0, LinearSlot.QUERY), stats.input(0, LinearSlot.VALUE)); // one shared input
            assertTrue(stats.hasGram(LinearSlot.OUTPUT));
            assertTrue(!stats.hasGram(LinearSlot.QUERY));
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> stats.gram(0, LinearSlot.QUERY));
            assertTrue(e.getMessage().contains("no second moments for layer 0 QUERY"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> stats.input(2, LinearSlot.OUTPUT));
            assertTrue(e.getMessage().contains("layer 2"), e.getMessage());
        }
    }

    @Test
    void widthsFollowTheModelAfterHeadRemovalAndMixingTwoStatesIsRefused() {
        SentenceBatches batches = TinyModel.batches(6, 4, 3);
        try (Kernels k = Kernels.cpu(1); BertEncoder enc = TinyModel.encoder(k, 4)) {
            CalibrationStatistics stats = new CalibrationStatistics(1, Set.of());
            batches.embed(enc, stats, Progress.NONE);
            assertEquals(32, stats.input(0, LinearSlot.ATTENTION_OUTPUT).channels());
            BertLayer layer = enc.layers().get(0);
            new ChannelRemovalStep(0, 0.5, dev.sparsekernels.prune.ChannelCriterion.L2,
                    ChannelRemovalStep.Compensation.NONE, 1, false, 1).apply(enc, null);
            assertEquals(2, layer.heads());
            assertEquals(16, CalibrationStatistics.collect(enc, batches, 1, Set.of(), Progress.NONE)
                    .input(0, LinearSlot.ATTENTION_OUTPUT).channels());
            IllegalStateException e = assertThrows(IllegalStateException.class,
                    () -> batches.embed(enc, stats, Progress.NONE));
            assertTrue(e.getMessage().contains("was 32 wide and is now 16"), e.getMessage());
        }
    }

    @Test
    void badArgumentsAreNamed() {
        assertThrows(IllegalArgumentException.class, () -> new CalibrationStatistics(0, Set.of()));
        assertThrows(IllegalArgumentException.class, () -> new CalibrationStatistics(1, null));
        assertThrows(IllegalArgumentException.class, () -> new CalibrationStatistics(1, Set.of()).input(0, null));
    }

    /** erf by its series (accurate to 1e-8 for |z| < 4.3): independent of the encoder's GELU. */
    private static double erf(double z) {
        double sum = 0;
        double term = z;
        for (int n = 0; n < 80; n++) {
            sum += term / (2 * n + 1);
            term *= -z * z / (n + 1);
        }
        return 2 / Math.sqrt(Math.PI) * sum;
    }
}
