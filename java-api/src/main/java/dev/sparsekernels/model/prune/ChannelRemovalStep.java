package dev.sparsekernels.model.prune;

import dev.sparsekernels.channels.AttentionHeadPlan;
import dev.sparsekernels.channels.ChannelPlan;
import dev.sparsekernels.channels.CompactedAttention;
import dev.sparsekernels.channels.CompactedLayers;
import dev.sparsekernels.model.BertEncoder;
import dev.sparsekernels.model.BertLayer;
import dev.sparsekernels.model.DenseLinear;
import dev.sparsekernels.model.LinearLayer;
import dev.sparsekernels.model.LinearSlot;
import dev.sparsekernels.prune.ChannelCriteria;
import dev.sparsekernels.prune.ChannelCriterion;
import dev.sparsekernels.prune.ChannelSelection;
import dev.sparsekernels.prune.KeepAmount;
import dev.sparsekernels.Tensor;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Structured removal, FLAP-style (An et al. 2024): a share of the FFN hidden channels and a share of the attention
 * heads leave every layer's weights, which become smaller dense matrices. Channels are scored on the activations
 * entering W2, heads on the context entering the output projection O (a head's score is the mean of its channels'),
 * with {@link ChannelCriterion} (FLAP: variance of the channel times the squared norm of its weight column,
 * standardised per layer). Selection is global or per layer. What the removed channels carried is compensated in
 * W2 and O (see {@link Compensation}). FFN and heads are chosen from one set of statistics of the model as it was
 * before this step.
 */
public final class ChannelRemovalStep implements PruningStep {
    /** How W2 and O make up for the channels they no longer read. */
    public enum Compensation {
        /** Nothing: the kept columns as they were. */
        NONE,
        /** FLAP's: the removed channels' mean contributions folded into the bias. */
        BIAS,
        /** Least-squares refit of the kept columns and the bias on the calibration inputs ({@link LeastSquaresRefit}). */
        LEAST_SQUARES
    }

    private final double ffnRemoved;
    private final double headsRemoved;
    private final ChannelCriterion criterion;
    private final Compensation compensation;
    private final boolean global;
    private final int channelMultiple;
    private final int threads;

    /**
     * @param ffnRemoved      share of FFN hidden channels removed, in [0, 1)
     * @param headsRemoved    share of attention heads removed, in [0, 1); not both 0
     * @param channelMultiple each layer's kept FFN width is rounded to a multiple of this (1 = no rounding)
     * @param global          pool the scores of all layers (FLAP) rather than remove the share from every layer
     * @param threads         threads for the least-squares refit
     */
    public ChannelRemovalStep(double ffnRemoved, double headsRemoved, ChannelCriterion criterion,
            Compensation compensation, int channelMultiple, boolean global, int threads) {
        share("ffnRemoved", ffnRemoved);
        share("headsRemoved", headsRemoved);
        if (ffnRemoved == 0 && headsRemoved == 0) {
            throw new IllegalArgumentException("ffnRemoved, headsRemoved: expected at least one above 0 but got both 0");
        }
        if (criterion == null) {
            throw new IllegalArgumentException("criterion: expected l1, l2, wanda or flap but got null");
        }
        if (compensation == null) {
            throw new IllegalArgumentException("compensation: expected none, bias or least squares but got null");
        }
        if (channelMultiple < 1) {
            throw new IllegalArgumentException("channelMultiple: expected >= 1 but got " + channelMultiple);
        }
        if (threads < 1) {
            throw new IllegalArgumentException("threads: expected >= 1 but got " + threads);
        }
        this.ffnRemoved = ffnRemoved;
        this.headsRemoved = headsRemoved;
        this.criterion = criterion;
        this.compensation = compensation;
        this.global = global;
        this.channelMultiple = channelMultiple;
        this.threads = threads;
    }

    /** FLAP as published: fluctuation metric, global selection, bias compensation; FFN widths multiples of 8. */
    public static ChannelRemovalStep flap(double ffnRemoved, double headsRemoved) {
        return new ChannelRemovalStep(ffnRemoved, headsRemoved, ChannelCriterion.FLAP, Compensation.BIAS, 8, true, 1);
    }

    private static void share(String name, double v) {
        if (!(v >= 0 && v < 1)) {
            throw new IllegalArgumentException(name + ": expected a share in [0, 1) but got " + v);
        }
    }

    public double ffnRemoved() {
        return ffnRemoved;
    }

    public double headsRemoved() {
        return headsRemoved;
    }

    @Override
    public String describe() {
        StringBuilder b = new StringBuilder(criterion.cliName().toUpperCase(Locale.ROOT)).append(": remove ");
        if (ffnRemoved > 0) {
            b.append(percent(ffnRemoved)).append(" of FFN channels");
        }
        if (ffnRemoved > 0 && headsRemoved > 0) {
            b.append(" and ");
        }
        if (headsRemoved > 0) {
            b.append(percent(headsRemoved)).append(" of heads");
        }
        b.append(global ? ", global" : ", per layer");
        return b.append(compensation == Compensation.BIAS ? ", bias compensation"
                : compensation == Compensation.LEAST_SQUARES ? ", least-squares refit" : "").toString();
    }

    private static String percent(double share) {
        return String.format(Locale.ROOT, "%.0f%%", share * 100);
    }

    @Override
    public boolean needsStatistics() {
        return criterion.needsActivations() || compensation != Compensation.NONE;
    }

    @Override
    public Set<LinearSlot> gramInputs() {
        if (compensation != Compensation.LEAST_SQUARES) {
            return Set.of();
        }
        Set<LinearSlot> s = EnumSet.noneOf(LinearSlot.class);
        if (ffnRemoved > 0) {
            s.add(LinearSlot.OUTPUT);
        }
        if (headsRemoved > 0) {
            s.add(LinearSlot.ATTENTION_OUTPUT);
        }
        return s;
    }

    @Override
    public void apply(BertEncoder encoder, CalibrationStatistics stats) {
        if (needsStatistics() && stats == null) {
            throw new IllegalArgumentException("stats: " + describe() + " needs calibration statistics but got null");
        }
        List<BertLayer> layers = encoder.layers();
        // choose everything first, from statistics of the unchanged model, then change the layers
        List<int[]> keptChannels = ffnRemoved > 0 ? keptChannels(layers, stats) : null;
        List<int[]> keptHeads = headsRemoved > 0 ? keptHeads(layers, stats) : null;
        for (int i = 0; i < layers.size(); i++) {
            if (keptChannels != null) {
                removeChannels(layers.get(i), i, keptChannels.get(i), stats);
            }
            if (keptHeads != null) {
                removeHeads(layers.get(i), i, keptHeads.get(i), stats);
            }
        }
    }

    private List<int[]> keptChannels(List<BertLayer> layers, CalibrationStatistics stats) {
        List<double[]> scores = new ArrayList<>();
        for (int i = 0; i < layers.size(); i++) {
            DenseLinear w1 = Layers.dense(layers.get(i), i, LinearSlot.INTERMEDIATE, describe());
            DenseLinear w2 = Layers.dense(layers.get(i), i, LinearSlot.OUTPUT, describe());
            scores.add(ChannelCriteria.score(criterion, w1.weight(), w2.weight(),
                    stats == null ? null : stats.input(i, LinearSlot.OUTPUT)));
        }
        return select(scores, KeepAmount.ratio(1 - ffnRemoved), channelMultiple);
    }

    private List<int[]> keptHeads(List<BertLayer> layers, CalibrationStatistics stats) {
        List<double[]> scores = new ArrayList<>();
        for (int i = 0; i < layers.size(); i++) {
            BertLayer layer = layers.get(i);
            // V's rows produce the context channels O reads (context = softmax · V): the producer of the pair
            DenseLinear v = Layers.dense(layer, i, LinearSlot.VALUE, describe());
            DenseLinear o = Layers.dense(layer, i, LinearSlot.ATTENTION_OUTPUT, describe());
            double[] channels = ChannelCriteria.score(criterion, v.weight(), o.weight(),
                    stats == null ? null : stats.input(i, LinearSlot.ATTENTION_OUTPUT));
            scores.add(ChannelCriteria.headScores(channels, layer.headDim()));
        }
        return select(scores, KeepAmount.ratio(1 - headsRemoved), 1);
    }

    private List<int[]> select(List<double[]> scores, KeepAmount keep, int multiple) {
        if (global) {
            return ChannelSelection.global(scores, keep, multiple);
        }
        List<int[]> kept = new ArrayList<>();
        for (double[] s : scores) {
            kept.add(ChannelSelection.perLayer(s, keep, multiple));
        }
        return kept;
    }

    private void removeChannels(BertLayer layer, int i, int[] kept, CalibrationStatistics stats) {
        DenseLinear w1 = Layers.dense(layer, i, LinearSlot.INTERMEDIATE, describe());
        DenseLinear w2 = Layers.dense(layer, i, LinearSlot.OUTPUT, describe());
        ChannelPlan plan = ChannelPlan.keep(w1.outFeatures(), kept);
        double[] mean = compensation == Compensation.BIAS ? stats.input(i, LinearSlot.OUTPUT).mean() : null;
        // the compacted tensors are handed to the new layers, which own them from here
        CompactedLayers c = plan.apply(w1.weight(), w1.bias(), w2.weight(), w2.bias(), mean);
        DenseLinear newW2 = new DenseLinear(c.w2(), c.b2());
        if (compensation == Compensation.LEAST_SQUARES) {
            newW2.close();
            newW2 = refit(w2, kept, stats.gram(i, LinearSlot.OUTPUT));
        }
        closeAll(layer.replaceFeedForward(new DenseLinear(c.w1(), c.b1()), newW2));
    }

    private void removeHeads(BertLayer layer, int i, int[] kept, CalibrationStatistics stats) {
        DenseLinear q = Layers.dense(layer, i, LinearSlot.QUERY, describe());
        DenseLinear k = Layers.dense(layer, i, LinearSlot.KEY, describe());
        DenseLinear v = Layers.dense(layer, i, LinearSlot.VALUE, describe());
        DenseLinear o = Layers.dense(layer, i, LinearSlot.ATTENTION_OUTPUT, describe());
        AttentionHeadPlan plan = AttentionHeadPlan.keepHeads(layer.heads(), layer.headDim(), kept);
        double[] mean = compensation == Compensation.BIAS ? stats.input(i, LinearSlot.ATTENTION_OUTPUT).mean()
                : null;
        CompactedAttention c = plan.apply(q.weight(), q.bias(), k.weight(), k.bias(), v.weight(), v.bias(),
                o.weight(), o.bias(), mean);
        DenseLinear newO = new DenseLinear(c.wo(), c.bo());
        if (compensation == Compensation.LEAST_SQUARES) {
            newO.close();
            newO = refit(o, plan.queryChannels().kept(), stats.gram(i, LinearSlot.ATTENTION_OUTPUT));
        }
        closeAll(layer.replaceAttention(new DenseLinear(c.wq(), c.bq()), new DenseLinear(c.wk(), c.bk()),
                new DenseLinear(c.wv(), c.bv()), newO));
    }

    /** The consumer refitted on its kept inputs. */
    private DenseLinear refit(DenseLinear consumer, int[] kept, InputGram gram) {
        LeastSquaresRefit.Result r = LeastSquaresRefit.refit(consumer.weight().toFloatArray(),
                consumer.outFeatures(), consumer.bias() == null ? null : consumer.bias().toFloatArray(), kept, gram,
                LeastSquaresRefit.DEFAULT_DAMPING, threads);
        return new DenseLinear(Tensor.of(r.weight(), consumer.outFeatures(), kept.length),
                Tensor.of(r.bias(), consumer.outFeatures()));
    }

    private static void closeAll(List<LinearLayer> removed) {
        removed.forEach(LinearLayer::close);
    }

    @Override
    public String toString() {
        return describe();
    }
}
