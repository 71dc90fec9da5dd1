package dev.sparsekernels.prune;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sparsekernels.Tensor;
import dev.sparsekernels.channels.ChannelPlan;
import dev.sparsekernels.channels.ChannelStatistics;
import org.junit.jupiter.api.Test;

/** Criteria on hand-computed examples (exact up to 1e-12: the inputs are small integers and halves). */
class ChannelCriteriaTest {
    // W1 [hidden 3, in 2]
    static final float[] W1 = {1, -2, 0.5f, 0.5f, -3, 4};
    // W2 [out 2, hidden 3]
    static final float[] W2 = {1, 0, -2, -1, 2, 2};

    @Test
    void magnitudeNormsOfProducerRows() {
        assertArrayEquals(new double[] {3, 1, 7}, ChannelCriteria.l1(W1, 3, 2), 1e-12);
        assertArrayEquals(new double[] {Math.sqrt(5), Math.sqrt(0.5), 5}, ChannelCriteria.l2(W1, 3, 2), 1e-12);
    }

    @Test
    void wandaAndFlapOnTheConsumerColumns() {
        double[] meanSquare = {4, 1, 0.25};
        // column L1 sums: 2, 2, 4 ; times sqrt(ms) 2, 1, 0.5
        assertArrayEquals(new double[] {4, 2, 2}, ChannelCriteria.wanda(W2, 2, 3, meanSquare), 1e-12);
        double[] var = {1, 2, 0.5};
        // column squared sums: 2, 4, 8 ; times var: 2, 8, 4
        assertArrayEquals(new double[] {2, 8, 4}, ChannelCriteria.fluctuation(W2, 2, 3, var), 1e-12);
        // standardised: mean 14/3, population std sqrt(((−8/3)²+(10/3)²+(−2/3)²)/3) = sqrt(56/9)
        double std = Math.sqrt(56.0 / 9);
        assertArrayEquals(new double[] {(2 - 14.0 / 3) / std, (8 - 14.0 / 3) / std, (4 - 14.0 / 3) / std},
                ChannelCriteria.flap(W2, 2, 3, var), 1e-12);
    }

    @Test
    void standardizeHandlesConstantAndNaN() {
        assertArrayEquals(new double[] {0, 0, 0}, ChannelCriteria.standardize(new double[] {5, 5, 5}));
        double[] z = ChannelCriteria.standardize(new double[] {1, Double.NaN, 3});
        assertEquals(-1, z[0], 1e-12);
        assertTrue(Double.isNaN(z[1]));
        assertEquals(1, z[2], 1e-12);
    }

    @Test
    void headsAreTheMeanOfTheirChannelsAndGroupsTheMeanOfTheirHeads() {
        double[] ch = {1, 3, 2, 2, 10, 0, 4, 4};
        double[] heads = ChannelCriteria.headScores(ch, 2);
        assertArrayEquals(new double[] {2, 2, 5, 4}, heads, 1e-12);
        assertArrayEquals(new double[] {2, 4.5}, ChannelCriteria.groupScores(heads, 2), 1e-12);
        assertArrayEquals(heads, ChannelCriteria.groupScores(heads, 4), 1e-12);
    }

    @Test
    void scoreDispatchesOnTensorsAndStatistics() {
        try (Tensor w1 = Tensor.of(W1, 3, 2); Tensor w2 = Tensor.of(W2, 2, 3)) {
            assertArrayEquals(ChannelCriteria.l1(W1, 3, 2), ChannelCriteria.score(ChannelCriterion.L1, w1, w2, null));
            float[] x = {1, 2, 0, 3, 0, 1};
            ChannelStatistics st = ChannelStatistics.of(x, 2, 3);
            assertArrayEquals(ChannelCriteria.wanda(W2, 2, 3, st.meanSquare()),
                    ChannelCriteria.score(ChannelCriterion.WANDA, w1, w2, st));
            assertArrayEquals(ChannelCriteria.flap(W2, 2, 3, st.variance()),
                    ChannelCriteria.score(ChannelCriterion.FLAP, w1, w2, st));
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> ChannelCriteria.score(ChannelCriterion.FLAP, w1, w2, null));
            assertTrue(e.getMessage().contains("stats") && e.getMessage().contains("flap"), e.getMessage());
            try (Tensor bad = Tensor.of(new float[8], 2, 4)) {
                e = assertThrows(IllegalArgumentException.class,
                        () -> ChannelCriteria.score(ChannelCriterion.L1, w1, bad, null));
                assertTrue(e.getMessage().contains("w2") && e.getMessage().contains("[2, 4]"), e.getMessage());
            }
        }
    }

    @Test
    void prunerKeepsTheHighestScoringHeads() {
        // 4 heads of 2 channels, L1 of W1 rows: head scores 1.5, 9.5, 3.5, 5.5
        float[] w1 = {1, 0, 2, 0, 9, 0, 10, 0, 3, 0, 4, 0, 5, 0, 6, 0};
        try (Tensor t1 = Tensor.of(w1, 8, 2); Tensor t2 = Tensor.of(new float[8], 1, 8)) {
            ChannelPlan p = ChannelPruner.plan(ChannelCriterion.L1, t1, t2, null, KeepAmount.ratio(0.5), 1, 2);
            assertArrayEquals(new int[] {2, 3, 6, 7}, p.kept());
            ChannelPlan c = ChannelPruner.plan(ChannelCriterion.L1, t1, t2, null, KeepAmount.count(3), 1, 1);
            assertArrayEquals(new int[] {2, 3, 7}, c.kept());
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> ChannelPruner.plan(ChannelCriterion.L1, t1, t2, null, KeepAmount.ratio(0.5), 1, 3));
            assertTrue(e.getMessage().contains("headDim") && e.getMessage().contains("8"), e.getMessage());
        }
    }

    @Test
    void criterionNamesParse() {
        assertEquals(ChannelCriterion.WANDA, ChannelCriterion.parse("Wanda"));
        assertTrue(ChannelCriterion.FLAP.needsActivations());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ChannelCriterion.parse("l3"));
        assertTrue(e.getMessage().contains("l1, l2, wanda or flap") && e.getMessage().contains("l3"));
    }
}
