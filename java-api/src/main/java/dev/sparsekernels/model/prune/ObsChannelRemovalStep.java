package dev.sparsekernels.model.prune;

import dev.sparsekernels.Tensor;
import dev.sparsekernels.channels.AttentionHeadPlan;
import dev.sparsekernels.channels.ChannelPlan;
import dev.sparsekernels.channels.CompactedAttention;
import dev.sparsekernels.model.BertEncoder;
import dev.sparsekernels.model.BertLayer;
import dev.sparsekernels.model.DenseLinear;
import dev.sparsekernels.model.LinearLayer;
import dev.sparsekernels.model.LinearSlot;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Removes the same share of FFN channels and of attention heads from every layer, chosen and compensated by
 * structured Optimal Brain Surgeon ({@link ObsRemoval}) on the covariance of W2's and O's inputs: the channels and
 * heads whose loss W2 and O can best make up for with their remaining inputs go, and those inputs' weights and the
 * biases are refitted. Q, K, V lose the rows of removed heads and W1 those of removed channels, as in
 * {@link ChannelRemovalStep}.
 */
public final class ObsChannelRemovalStep implements PruningStep {
    private final double ffnRemoved;
    private final double headsRemoved;
    private final int channelMultiple;
    private final double damping;
    private final int threads;
    /** The one layer this step prunes, or -1 for every layer. */
    private final int onlyLayer;

    /**
     * @param ffnRemoved      share of each layer's FFN channels removed, in [0, 1)
     * @param headsRemoved    share of each layer's heads removed, in [0, 1); not both 0
     * @param channelMultiple each layer's kept FFN width is rounded to a multiple of this
     * @param damping         relative damping of the covariance, > 0 ({@link LeastSquaresRefit#DEFAULT_DAMPING})
     */
    public ObsChannelRemovalStep(double ffnRemoved, double headsRemoved, int channelMultiple, double damping,
            int threads) {
        this(ffnRemoved, headsRemoved, channelMultiple, damping, threads, -1);
    }

    private ObsChannelRemovalStep(double ffnRemoved, double headsRemoved, int channelMultiple, double damping,
            int threads, int onlyLayer) {
        if (!(ffnRemoved >= 0 && ffnRemoved < 1)) {
            throw new IllegalArgumentException("ffnRemoved: expected a share in [0, 1) but got " + ffnRemoved);
        }
        if (!(headsRemoved >= 0 && headsRemoved < 1)) {
            throw new IllegalArgumentException("headsRemoved: expected a share in [0, 1) but got " + headsRemoved);
        }
        if (ffnRemoved == 0 && headsRemoved == 0) {
            throw new IllegalArgumentException("ffnRemoved, headsRemoved: expected at least one above 0 but got both 0");
        }
        if (channelMultiple < 1) {
            throw new IllegalArgumentException("channelMultiple: expected >= 1 but got " + channelMultiple);
        }
        if (!(damping > 0) || Double.isInfinite(damping)) {
            throw new IllegalArgumentException("damping: expected a number > 0 but got " + damping);
        }
        if (threads < 1) {
            throw new IllegalArgumentException("threads: expected >= 1 but got " + threads);
        }
        this.ffnRemoved = ffnRemoved;
        this.headsRemoved = headsRemoved;
        this.channelMultiple = channelMultiple;
        this.damping = damping;
        this.threads = threads;
        this.onlyLayer = onlyLayer;
    }

    /**
     * This removal in one layer only (0-based), leaving the others as they are: the unit of a per-layer allocation,
     * where each layer loses the share it can best afford.
     */
    public static ObsChannelRemovalStep inLayer(int layer, double ffnRemoved, double headsRemoved,
            int channelMultiple, double damping, int threads) {
        if (layer < 0) {
            throw new IllegalArgumentException("layer: expected >= 0 but got " + layer);
        }
        return new ObsChannelRemovalStep(ffnRemoved, headsRemoved, channelMultiple, damping, threads, layer);
    }

    /**
     * The same removal as one step per layer, first to last: each layer's channels are chosen and refitted on
     * statistics collected after the layers before it were pruned (by {@link ModelPruner}, which collects again
     * before every step once the model has changed), so each refit sees the inputs it will really get.
     */
    public static java.util.List<PruningStep> sequential(int layers, double ffnRemoved, double headsRemoved,
            int channelMultiple, double damping, int threads) {
        if (layers < 1) {
            throw new IllegalArgumentException("layers: expected >= 1 but got " + layers);
        }
        java.util.List<PruningStep> steps = new java.util.ArrayList<>();
        for (int i = 0; i < layers; i++) {
            steps.add(new ObsChannelRemovalStep(ffnRemoved, headsRemoved, channelMultiple, damping, threads, i));
        }
        return steps;
    }

    @Override
    public String describe() {
        StringBuilder b = new StringBuilder("OBS: remove ");
        if (ffnRemoved > 0) {
            b.append(String.format(Locale.ROOT, "%.0f%% of FFN channels", 100 * ffnRemoved));
        }
        if (ffnRemoved > 0 && headsRemoved > 0) {
            b.append(" and ");
        }
        if (headsRemoved > 0) {
            b.append(String.format(Locale.ROOT, "%.0f%% of heads", 100 * headsRemoved));
        }
        return b.append(onlyLayer < 0 ? " per layer, least-squares refit"
                : " in layer " + onlyLayer + ", least-squares refit").toString();
    }

    @Override
    public boolean needsStatistics() {
        return true;
    }

    @Override
    public Set<LinearSlot> gramInputs() {
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
        if (stats == null) {
            throw new IllegalArgumentException("stats: " + describe() + " needs calibration statistics but got null");
        }
        List<BertLayer> layers = encoder.layers();
        if (onlyLayer >= layers.size()) {
            throw new IllegalArgumentException("encoder: expected a layer " + onlyLayer + " to prune but it has "
                    + layers.size());
        }
        for (int i = 0; i < layers.size(); i++) {
            if (onlyLayer >= 0 && i != onlyLayer) {
                continue;
            }
            BertLayer layer = layers.get(i);
            if (ffnRemoved > 0) {
                removeChannels(layer, i, stats.gram(i, LinearSlot.OUTPUT));
            }
            if (headsRemoved > 0) {
                removeHeads(layer, i, stats.gram(i, LinearSlot.ATTENTION_OUTPUT));
            }
        }
    }

    private void removeChannels(BertLayer layer, int i, InputGram gram) {
        DenseLinear w1 = Layers.dense(layer, i, LinearSlot.INTERMEDIATE, describe());
        DenseLinear w2 = Layers.dense(layer, i, LinearSlot.OUTPUT, describe());
        int width = w1.outFeatures();
        int keep = dev.sparsekernels.prune.ChannelSelection.roundKept(
                Math.max(1, (int) Math.round((1 - ffnRemoved) * width)), width, channelMultiple);
        ObsRemoval.Result r = refit(w2, gram, 1, width - keep);
        ChannelPlan plan = ChannelPlan.keep(width, r.kept());
        DenseLinear newW1 = new DenseLinear(plan.compactProducer(w1.weight()),
                w1.bias() == null ? null : plan.compactVector("b1", w1.bias()));
        DenseLinear newW2 = new DenseLinear(Tensor.of(r.weight(), w2.outFeatures(), keep),
                Tensor.of(r.bias(), w2.outFeatures()));
        layer.replaceFeedForward(newW1, newW2).forEach(LinearLayer::close);
    }

    private void removeHeads(BertLayer layer, int i, InputGram gram) {
        int heads = layer.heads();
        int remove = Math.min(heads - 1, (int) Math.round(headsRemoved * heads));
        if (remove == 0) {
            return;
        }
        DenseLinear q = Layers.dense(layer, i, LinearSlot.QUERY, describe());
        DenseLinear k = Layers.dense(layer, i, LinearSlot.KEY, describe());
        DenseLinear v = Layers.dense(layer, i, LinearSlot.VALUE, describe());
        DenseLinear o = Layers.dense(layer, i, LinearSlot.ATTENTION_OUTPUT, describe());
        ObsRemoval.Result r = refit(o, gram, layer.headDim(), remove);
        int[] keptHeads = new int[heads - remove];
        for (int h = 0; h < keptHeads.length; h++) {
            keptHeads[h] = r.kept()[h * layer.headDim()] / layer.headDim();
        }
        AttentionHeadPlan plan = AttentionHeadPlan.keepHeads(heads, layer.headDim(), keptHeads);
        CompactedAttention c = plan.apply(q.weight(), q.bias(), k.weight(), k.bias(), v.weight(), v.bias(),
                o.weight(), o.bias(), null);
        c.wo().close(); // O comes from the refit instead
        if (c.bo() != null) {
            c.bo().close();
        }
        DenseLinear newO = new DenseLinear(Tensor.of(r.weight(), o.outFeatures(), r.kept().length),
                Tensor.of(r.bias(), o.outFeatures()));
        layer.replaceAttention(new DenseLinear(c.wq(), c.bq()), new DenseLinear(c.wk(), c.bk()),
                new DenseLinear(c.wv(), c.bv()), newO).forEach(LinearLayer::close);
    }

    private ObsRemoval.Result refit(DenseLinear consumer, InputGram gram, int groupSize, int removeGroups) {
        return ObsRemoval.remove(consumer.weight().toFloatArray(), consumer.outFeatures(),
                consumer.bias() == null ? null : consumer.bias().toFloatArray(), gram, groupSize, removeGroups,
                damping, threads);
    }

    @Override
    public String toString() {
        return describe();
    }
}
