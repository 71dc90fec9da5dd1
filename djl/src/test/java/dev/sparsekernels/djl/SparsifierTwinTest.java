package dev.sparsekernels.djl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.core.Linear;
import dev.sparsekernels.Kernels;
import dev.sparsekernels.prune.KeepAmount;
import java.util.Arrays;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The acceptance check: a sparsified DJL MLP (Linear-ReLU-Linear on the PyTorch engine, random weights)
 * gives the outputs of its masked dense twin, the same DJL model with the pruned weights written back densely. The
 * masks are computed here from their definitions ({@link Masks}), not taken from the library.
 */
class SparsifierTwinTest {
    private static final int IN = 64;
    private static final int HID = 128;
    private static final int OUT = 32;
    private static final int TOKENS = 8;
    private static NDManager m;
    private static Kernels kernels;

    @BeforeAll
    static void open() {
        m = Mlp.manager();
        kernels = Kernels.cpu(2);
    }

    @AfterAll
    static void close() {
        m.close();
        kernels.close();
    }

    /** The dense weights of an MLP before sparsifying, and the MLP. */
    private static final class Dense {
        final SequentialBlock mlp;
        final float[] w1;
        final float[] b1;
        final float[] w2;
        final float[] b2;

        Dense(long seed) {
            mlp = Mlp.reluMlp(m, seed, IN, HID, OUT);
            w1 = Mlp.weight(Mlp.linear(mlp, 0));
            b1 = Mlp.bias(Mlp.linear(mlp, 0));
            w2 = Mlp.weight(Mlp.linear(mlp, 2));
            b2 = Mlp.bias(Mlp.linear(mlp, 2));
        }
    }

    /** A fresh DJL MLP of the same shape with the given dense weights: the twin. */
    private static SequentialBlock twin(float[] w1, float[] b1, float[] w2, float[] b2) {
        SequentialBlock t = Mlp.reluMlp(m, 999, IN, HID, OUT);
        Mlp.set(Mlp.linear(t, 0), w1, b1);
        Mlp.set(Mlp.linear(t, 2), w2, b2);
        return t;
    }

    /** F32 sums over 64 and 128 terms in another order than libtorch's: a few ulps of the largest partial sums. */
    private static void assertSameOutputs(NDArray expected, NDArray actual) {
        assertEquals(expected.getShape(), actual.getShape());
        float[] e = expected.toFloatArray();
        float[] a = actual.toFloatArray();
        for (int i = 0; i < e.length; i++) {
            int k = i;
            assertEquals(e[i], a[i], 1e-4f * Math.max(1f, Math.abs(e[i])), () -> "output " + k);
        }
    }

    private static float maxAbsDifference(NDArray a, NDArray b) {
        return a.sub(b).abs().max().getFloat();
    }

    private static void assertReplacedInPlace(Dense d, SparsifyReport r) {
        assertSame(d.mlp, r.root(), "the tree is changed in place");
        assertEquals(2, r.replaced().size(), r.toString());
        assertTrue(r.skipped().isEmpty(), r.toString());
        assertTrue(d.mlp.getChildren().get(0).getValue() instanceof SparseLinear);
        assertTrue(d.mlp.getChildren().get(2).getValue() instanceof SparseLinear);
    }

    private static SparseLinear layer(SequentialBlock mlp, int index) {
        return (SparseLinear) mlp.getChildren().get(index).getValue();
    }

    @Test
    void twoFourMlpGivesItsMaskedTwinsOutputs() {
        Dense d = new Dense(1);
        NDArray x = Mlp.input(m, 2, TOKENS, IN, null);
        NDArray dense = Mlp.run(d.mlp, m, x);

        SparsifyReport r = Sparsifier.of(kernels, SparsePattern.twoFour()).sparsify(d.mlp);

        assertReplacedInPlace(d, r);
        float[] w1 = Masks.twoFour(d.w1, HID, IN, Masks.ones(IN));
        float[] w2 = Masks.twoFour(d.w2, OUT, HID, Masks.ones(HID));
        assertArrayEquals(w1, layer(d.mlp, 0).denseWeight());
        assertArrayEquals(w2, layer(d.mlp, 2).denseWeight());
        NDArray expected = Mlp.run(twin(w1, d.b1, w2, d.b2), m, x);
        assertSameOutputs(expected, Mlp.run(d.mlp, m, x));
        assertTrue(maxAbsDifference(dense, expected) > 0.1f, "pruning half the weights changes the outputs");
    }

    @Test
    void blockSparseMlpGivesItsMaskedTwinsOutputs() {
        Dense d = new Dense(3);
        NDArray x = Mlp.input(m, 4, TOKENS, IN, null);

        SparsifyReport r = Sparsifier.of(kernels, SparsePattern.blocks(16, 16, 0.25)).sparsify(d.mlp);

        assertReplacedInPlace(d, r);
        assertEquals("bsr:16x16", layer(d.mlp, 0).format());
        assertEquals(0.25, layer(d.mlp, 0).density(), 1e-12);
        float[] w1 = Masks.blocks(d.w1, HID, IN, 16, 16, 0.25, Masks.ones(IN));
        float[] w2 = Masks.blocks(d.w2, OUT, HID, 16, 16, 0.25, Masks.ones(HID));
        assertArrayEquals(w1, layer(d.mlp, 0).denseWeight());
        assertArrayEquals(w2, layer(d.mlp, 2).denseWeight());
        assertSameOutputs(Mlp.run(twin(w1, d.b1, w2, d.b2), m, x), Mlp.run(d.mlp, m, x));
    }

    /** Calibration inputs whose even columns are 20x larger than the odd ones, so Wanda and magnitude disagree. */
    private static float[] skewedScale() {
        float[] s = new float[IN];
        for (int j = 0; j < IN; j++) {
            s[j] = j % 2 == 0 ? 2f : 0.1f;
        }
        return s;
    }

    @Test
    void wandaTwoFourRanksWeightsByTheirInputsRms() {
        Dense d = new Dense(5);
        NDArray cal = Mlp.input(m, 6, 64, IN, skewedScale());
        float[] xc = cal.toFloatArray();
        double[] rms1 = Masks.columnRms(xc, 64, IN);
        double[] rms2 = Masks.columnRms(Masks.reluLayer(xc, 64, IN, d.w1, d.b1, HID), 64, HID);

        SparsifyReport r = Sparsifier.of(kernels, SparsePattern.twoFour()).criterion(Criterion.WANDA, new NDList(cal))
                .sparsify(d.mlp);

        assertReplacedInPlace(d, r);
        float[] w1 = Masks.twoFour(d.w1, HID, IN, rms1);
        float[] w2 = Masks.twoFour(d.w2, OUT, HID, rms2);
        assertFalse(Arrays.equals(w1, Masks.twoFour(d.w1, HID, IN, Masks.ones(IN))), "the inputs' scale matters");
        assertArrayEquals(w1, layer(d.mlp, 0).denseWeight());
        assertArrayEquals(w2, layer(d.mlp, 2).denseWeight());
        NDArray x = Mlp.input(m, 7, TOKENS, IN, skewedScale());
        assertSameOutputs(Mlp.run(twin(w1, d.b1, w2, d.b2), m, x), Mlp.run(d.mlp, m, x));
        assertFalse(cal.isReleased(), "the calibration inputs stay the caller's");
        assertSame(m, cal.getManager(), "and go back to their manager");
    }

    /** An empty calibration batch is named as such (it surfaced as "statistics ... no samples accepted yet"). */
    @Test
    void anEmptyCalibrationBatchIsRefusedNamingTheLayer() {
        Dense d = new Dense(5);
        NDArray empty = m.zeros(new Shape(0, IN));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Sparsifier.of(kernels,
                SparsePattern.twoFour()).criterion(Criterion.WANDA, new NDList(empty)).sparsify(d.mlp));
        assertTrue(e.getMessage().startsWith("calibration: no activation rows reached "), e.getMessage());
        assertTrue(e.getMessage().contains("(0, " + IN + ")"), e.getMessage());
    }

    @Test
    void wandaBlocksRankTilesByScaledNorms() {
        Dense d = new Dense(8);
        NDArray cal = Mlp.input(m, 9, 64, IN, skewedScale());
        float[] xc = cal.toFloatArray();
        double[] rms1 = Masks.columnRms(xc, 64, IN);
        double[] rms2 = Masks.columnRms(Masks.reluLayer(xc, 64, IN, d.w1, d.b1, HID), 64, HID);

        Sparsifier.of(kernels, SparsePattern.blocks(16, 16, 0.5)).criterion(Criterion.WANDA, new NDList(cal))
                .sparsify(d.mlp);

        float[] w1 = Masks.blocks(d.w1, HID, IN, 16, 16, 0.5, rms1);
        float[] w2 = Masks.blocks(d.w2, OUT, HID, 16, 16, 0.5, rms2);
        assertArrayEquals(w1, layer(d.mlp, 0).denseWeight());
        assertArrayEquals(w2, layer(d.mlp, 2).denseWeight());
        NDArray x = Mlp.input(m, 10, TOKENS, IN, null);
        assertSameOutputs(Mlp.run(twin(w1, d.b1, w2, d.b2), m, x), Mlp.run(d.mlp, m, x));
    }

    @Test
    void channelRemovalGivesSmallerLayersWithTheTwinsOutputs() {
        Dense d = new Dense(11);
        NDArray x = Mlp.input(m, 12, TOKENS, IN, null);

        SparsifyReport r = Sparsifier.of(kernels, SparsePattern.channels(KeepAmount.ratio(0.25))).sparsify(d.mlp);

        assertReplacedInPlace(d, r);
        assertEquals(32, layer(d.mlp, 0).outFeatures()); // 128 hidden channels → 32
        assertEquals(32, layer(d.mlp, 2).inFeatures());
        assertEquals("dense", layer(d.mlp, 0).format());
        // the twin: removed channels' W1 rows and b1 entries zeroed; relu(0) = 0, so W2 may stay whole
        int[] kept = Masks.topChannels(Masks.rowNorms(d.w1, HID, IN), 32);
        float[] w1 = Masks.zeroRowsExcept(d.w1, HID, IN, kept);
        float[] b1 = Masks.zeroRowsExcept(d.b1, HID, 1, kept);
        assertSameOutputs(Mlp.run(twin(w1, b1, d.w2, d.b2), m, x), Mlp.run(d.mlp, m, x));
    }

    @Test
    void flapRemovesLowFluctuationChannelsAndCompensatesTheBias() {
        Dense d = new Dense(13);
        NDArray cal = Mlp.input(m, 14, 64, IN, skewedScale());
        float[] h = Masks.reluLayer(cal.toFloatArray(), 64, IN, d.w1, d.b1, HID);
        double[] mean = new double[HID];
        double[] score = new double[HID];
        for (int j = 0; j < HID; j++) {
            double s = 0;
            double sq = 0;
            for (int t = 0; t < 64; t++) {
                s += h[t * HID + j];
                sq += (double) h[t * HID + j] * h[t * HID + j];
            }
            mean[j] = s / 64;
            double colSq = 0;
            for (int i = 0; i < OUT; i++) {
                colSq += (double) d.w2[i * HID + j] * d.w2[i * HID + j];
            }
            score[j] = (sq / 64 - mean[j] * mean[j]) * colSq; // Var(x_j) · Σ_i W2[i,j]²
        }
        int[] kept = Masks.topChannels(score, 64);

        Sparsifier.of(kernels, SparsePattern.channels(KeepAmount.ratio(0.5)))
                .criterion(Criterion.FLAP, new NDList(cal)).sparsify(d.mlp);

        // the twin: removed channels zeroed, their mean contribution folded into b2
        float[] b2 = d.b2.clone();
        boolean[] isKept = new boolean[HID];
        for (int j : kept) {
            isKept[j] = true;
        }
        for (int i = 0; i < OUT; i++) {
            double acc = b2[i];
            for (int j = 0; j < HID; j++) {
                if (!isKept[j]) {
                    acc += (double) d.w2[i * HID + j] * mean[j];
                }
            }
            b2[i] = (float) acc;
        }
        float[] w1 = Masks.zeroRowsExcept(d.w1, HID, IN, kept);
        float[] b1 = Masks.zeroRowsExcept(d.b1, HID, 1, kept);
        NDArray x = Mlp.input(m, 15, TOKENS, IN, skewedScale());
        assertSameOutputs(Mlp.run(twin(w1, b1, d.w2, b2), m, x), Mlp.run(d.mlp, m, x));
    }

    @Test
    void aRootLinearIsReturnedReplaced() {
        SequentialBlock mlp = Mlp.reluMlp(m, 16, IN, HID, OUT);
        Linear first = Mlp.linear(mlp, 0);
        float[] w = Mlp.weight(first);
        float[] b = Mlp.bias(first);
        NDArray x = Mlp.input(m, 17, TOKENS, IN, null);

        SparsifyReport r = Sparsifier.of(kernels, SparsePattern.twoFour()).sparsify(first);

        assertTrue(r.root() instanceof SparseLinear);
        assertEquals("", r.replaced().get(0).path());
        NDArray expected = Mlp.run(first, m, x); // the replaced Linear itself is left untouched
        Mlp.set(first, Masks.twoFour(w, HID, IN, Masks.ones(IN)), b);
        assertTrue(maxAbsDifference(expected, Mlp.run(first, m, x)) > 0.1f);
        assertSameOutputs(Mlp.run(first, m, x), Mlp.run(r.root(), m, x));
    }
}
