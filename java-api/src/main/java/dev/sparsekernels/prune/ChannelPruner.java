package dev.sparsekernels.prune;

import dev.sparsekernels.Tensor;
import dev.sparsekernels.channels.ChannelPlan;
import dev.sparsekernels.channels.ChannelStatistics;

/**
 * Criterion + selection in one call, for a producer W1 [hidden, in] and consumer W2 [out, hidden]: scores the
 * channels, groups them into heads when headDim > 1, keeps the highest-scoring units and returns the
 * {@link ChannelPlan} that removes the rest.
 */
public final class ChannelPruner {
    private ChannelPruner() {
    }

    /**
     * @param stats    statistics of the activations entering w2 (needed by WANDA and FLAP, else may be null)
     * @param keep     how many units to keep
     * @param multiple the kept unit count is rounded to a multiple of this ({@link ChannelSelection#roundKept})
     * @param headDim  1 to remove single channels; D > 1 to remove whole heads of D channels (hidden % D == 0),
     *                 ranked by the mean score of their channels; multiple then counts heads
     */
    public static ChannelPlan plan(ChannelCriterion criterion, Tensor w1, Tensor w2, ChannelStatistics stats,
            KeepAmount keep, int multiple, int headDim) {
        double[] scores = ChannelCriteria.score(criterion, w1, w2, stats);
        int hidden = scores.length;
        if (headDim < 1 || hidden % headDim != 0) {
            throw new IllegalArgumentException("headDim: expected a divisor of hidden = " + hidden + " but got "
                    + headDim);
        }
        if (headDim == 1) {
            return ChannelPlan.keep(hidden, ChannelSelection.perLayer(scores, keep, multiple));
        }
        double[] heads = ChannelCriteria.headScores(scores, headDim);
        return ChannelPlan.keepHeads(heads.length, headDim, ChannelSelection.perLayer(heads, keep, multiple));
    }
}
