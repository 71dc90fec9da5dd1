package dev.sparsekernels.model.prune;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sparsekernels.Kernels;
import dev.sparsekernels.model.BertEncoder;
import dev.sparsekernels.model.BertLayer;
import dev.sparsekernels.model.LinearSlot;
import dev.sparsekernels.prune.ChannelCriterion;
import java.util.EnumSet;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Structured OBS: which inputs it drops, the weights it leaves, and the step on the tiny BERT. */
class ObsRemovalTest {
    private static final Random R = new Random(6);

    @Test
    void symmetricInverseInvertsASymmetricPositiveDefiniteMatrix() {
        int n = 7;
        double[] a = spd(n);
        double[] inv = a.clone();
        SymmetricInverse.invertInPlace(inv, n, 2);
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) {
                double s = 0;
                for (int k = 0; k < n; k++) {
                    s += a[i * n + k] * inv[k * n + j];
                }
                assertEquals(i == j ? 1 : 0, s, 1e-10);
            }
        }
    }

    /** Of two identical inputs one can go for free (the other takes its weight); a scored criterion cannot see that. */
    @Test
    void aDuplicatedInputIsRemovedFirstAndItsTwinTakesOverItsWeight() {
        int t = 400;
        int n = 4;
        float[] x = new float[t * n];
        for (int s = 0; s < t; s++) {
            for (int j = 0; j < 3; j++) {
                x[s * n + j] = (float) (R.nextGaussian() * (j == 0 ? 0.5 : 2.0)); // input 0 is the smallest
            }
            x[s * n + 3] = x[s * n + 1]; // input 3 repeats input 1
        }
        InputGram g = new InputGram(n, 1);
        g.accept(x, t);
        float[] w = {1f, 1f, 1f, 1f, 0.5f, -1f, 2f, 0.5f};
        ObsRemoval.Result r = ObsRemoval.remove(w, 2, null, g, 1, 1, 1e-6, 1);
        int[] kept = r.kept();
        assertEquals(3, kept.length);
        assertTrue(kept[0] == 0, "the small but unique input stays: " + java.util.Arrays.toString(kept));
        int twin = kept[1] == 1 && kept[2] == 2 ? 1 : 3;
        int col = twin == 1 ? 1 : 2;
        assertEquals(2f, r.weight()[col], 1e-3); // 1 + 1
        assertEquals(-0.5f, r.weight()[3 + col], 1e-3); // -1 + 0.5
    }

    /** OBS's weights are the least-squares refit of the same kept set (the two must agree). */
    @Test
    void theFinalWeightsAreTheLeastSquaresRefitOfTheKeptInputs() {
        int t = 300;
        int n = 12;
        float[] x = new float[t * n];
        for (int s = 0; s < t; s++) {
            double common = R.nextGaussian();
            for (int j = 0; j < n; j++) {
                x[s * n + j] = (float) (R.nextGaussian() + (j % 3) * common + j);
            }
        }
        InputGram g = new InputGram(n, 1);
        g.accept(x, t);
        float[] w = new float[5 * n];
        for (int i = 0; i < w.length; i++) {
            w[i] = (float) R.nextGaussian();
        }
        float[] b = {1, 2, 3, 4, 5};
        for (int groupSize : new int[] {1, 3}) {
            ObsRemoval.Result obs = ObsRemoval.remove(w, 5, b, g, groupSize, 2, 0.01, 2);
            assertEquals(n - 2 * groupSize, obs.kept().length);
            LeastSquaresRefit.Result ls = LeastSquaresRefit.refit(w, 5, b, obs.kept(), g, 0.01, 1);
            for (int i = 0; i < ls.weight().length; i++) {
                assertEquals(ls.weight()[i], obs.weight()[i], 1e-4, "group " + groupSize + " weight " + i);
            }
            for (int o = 0; o < 5; o++) {
                assertEquals(ls.bias()[o], obs.bias()[o], 1e-3, "group " + groupSize + " bias " + o);
            }
        }
    }

    /** A head whose context never varies carries only its mean, which the bias absorbs: OBS removes it first. */
    @Test
    void aConstantGroupGoesFirst() {
        int t = 100;
        int n = 6;
        float[] x = new float[t * n];
        for (int s = 0; s < t; s++) {
            for (int j = 0; j < n; j++) {
                x[s * n + j] = j / 2 == 1 ? 3f : (float) R.nextGaussian();
            }
        }
        InputGram g = new InputGram(n, 1);
        g.accept(x, t);
        float[] w = {5, 5, 5, 5, 5, 5};
        ObsRemoval.Result r = ObsRemoval.remove(w, 1, new float[] {1}, g, 2, 1, 0.01, 1);
        assertArrayEquals(new int[] {0, 1, 4, 5}, r.kept());
        assertEquals(1 + 5 * 3 + 5 * 3, r.bias()[0], 0.05); // plus the kept inputs' (small) sample means
    }

    @Test
    void theStepShrinksEveryLayerAndTracksTheDenseModelBetterThanFlapWithBias() {
        SentenceBatches calibration = TinyModel.batches(40, 31, 8);
        float[] dense;
        try (Kernels k = Kernels.cpu(2); BertEncoder enc = TinyModel.encoder(k, 32)) {
            dense = calibration.embed(enc);
        }
        double[] error = new double[2];
        for (int m = 0; m < 2; m++) {
            try (Kernels k = Kernels.cpu(2); BertEncoder enc = TinyModel.encoder(k, 32)) {
                CalibrationStatistics stats = CalibrationStatistics.collect(enc, calibration, 2,
                        EnumSet.of(LinearSlot.OUTPUT, LinearSlot.ATTENTION_OUTPUT), Progress.NONE);
                PruningStep step = m == 0 ? new ObsChannelRemovalStep(0.25, 0.25, 8, 0.01, 2)
                        : new ChannelRemovalStep(0.25, 0.25, ChannelCriterion.FLAP,
                                ChannelRemovalStep.Compensation.BIAS, 8, false, 1);
                step.apply(enc, stats);
                for (BertLayer layer : enc.layers()) {
                    assertEquals(48, layer.intermediateWidth());
                    assertEquals(3, layer.heads());
                    assertEquals(24, layer.linear(LinearSlot.VALUE).outFeatures());
                }
                float[] e = calibration.embed(enc);
                for (int i = 0; i < e.length; i++) {
                    error[m] += (e[i] - dense[i]) * (double) (e[i] - dense[i]);
                }
            }
        }
        assertTrue(error[0] < error[1], "squared error OBS, FLAP+bias: " + java.util.Arrays.toString(error));
    }

    @Test
    void badParametersAreNamed() {
        InputGram g = new InputGram(4, 1);
        g.accept(new float[] {1, 2, 3, 4, 2, 1, 0, 1}, 2);
        float[] w = new float[4];
        PruningStepsTest.assertMessage("groupSize:", () -> ObsRemoval.remove(w, 1, null, g, 3, 1, 0.01, 1));
        PruningStepsTest.assertMessage("removeGroups:", () -> ObsRemoval.remove(w, 1, null, g, 2, 2, 0.01, 1));
        PruningStepsTest.assertMessage("damping:", () -> ObsRemoval.remove(w, 1, null, g, 1, 1, 0, 1));
        PruningStepsTest.assertMessage("w:", () -> ObsRemoval.remove(new float[3], 1, null, g, 1, 1, 0.01, 1));
        PruningStepsTest.assertMessage("ffnRemoved:", () -> new ObsChannelRemovalStep(1, 0, 8, 0.01, 1));
        PruningStepsTest.assertMessage("ffnRemoved, headsRemoved:", () -> new ObsChannelRemovalStep(0, 0, 8, 0.01,
                1));
        PruningStepsTest.assertMessage("damping:", () -> new ObsChannelRemovalStep(0.1, 0, 8, 0, 1));
    }

    private static double[] spd(int n) {
        double[] q = new double[n * n];
        for (int i = 0; i < q.length; i++) {
            q[i] = R.nextGaussian();
        }
        double[] a = new double[n * n];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) {
                double s = i == j ? 0.5 : 0;
                for (int k = 0; k < n; k++) {
                    s += q[k * n + i] * q[k * n + j];
                }
                a[i * n + j] = s;
            }
        }
        return a;
    }
}
