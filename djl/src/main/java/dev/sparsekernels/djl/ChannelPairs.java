package dev.sparsekernels.djl;

import ai.djl.nn.Block;
import ai.djl.nn.LambdaBlock;
import dev.sparsekernels.Kernels;
import dev.sparsekernels.Tensor;
import dev.sparsekernels.channels.ChannelPlan;
import dev.sparsekernels.channels.ChannelStatistics;
import dev.sparsekernels.channels.CompactedLayers;
import dev.sparsekernels.prune.ChannelCriterion;
import dev.sparsekernels.prune.ChannelPruner;
import dev.sparsekernels.prune.KeepAmount;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The channels pattern: a producer Linear at i and a consumer Linear at i + 2 of one SequentialBlock, with an
 * activation at i + 1 that acts per element and maps 0 to 0, lose the same hidden channels and become two smaller
 * dense SparseLinears. Pairs are taken first come first served and do not overlap (in L1-act-L2-act-L3, L1 and L2 pair
 * and L3 has no partner).
 */
final class ChannelPairs {
    /** DJL's activation LambdaBlock names that keep a removed channel at 0 (Activation.reluBlock() is "ReLU", ...). */
    static final Set<String> ZERO_PRESERVING = Set.of("ReLU", "ReLU6", "LeakyReLU", "ELU", "SELU", "GELU", "Swish",
            "Mish", "Tanh", "softSign");

    private final Kernels kernels;
    private final KeepAmount keep;
    private final Criterion criterion;

    ChannelPairs(Kernels kernels, KeepAmount keep, Criterion criterion) {
        this.kernels = kernels;
        this.keep = keep;
        this.criterion = criterion;
    }

    /**
     * Compacts every pair found among sites; returns site → replacement for the paired ones.
     *
     * @param stats statistics of each site's inputs (the consumer's are used), empty for magnitude
     */
    Map<BlockTree.Site, SparseLinear> compact(List<BlockTree.Site> sites,
            Map<BlockTree.Site, ChannelStatistics> stats) {
        Map<BlockTree.Site, SparseLinear> made = new IdentityHashMap<>();
        for (BlockTree.Site p : sites) {
            if (made.containsKey(p) || p.parent == null) {
                continue;
            }
            BlockTree.Site c = consumerOf(p, sites, made);
            if (c == null) {
                continue;
            }
            SparseLinear[] pair = Paths.prefixed(p.path + " + " + c.path, () -> compact(p, c, stats.get(c)));
            made.put(p, pair[0]);
            made.put(c, pair[1]);
        }
        return made;
    }

    static String noPartnerReason() {
        return "channel removal needs Linear → activation mapping 0 to 0 (one of " + ZERO_PRESERVING
                + ") → Linear in one SequentialBlock; no partner here";
    }

    private static BlockTree.Site consumerOf(BlockTree.Site p, List<BlockTree.Site> sites,
            Map<BlockTree.Site, SparseLinear> made) {
        List<Block> siblings = p.parent.getChildren().values();
        if (p.index + 2 >= siblings.size()) {
            return null;
        }
        Block between = siblings.get(p.index + 1);
        if (!(between instanceof LambdaBlock) || !ZERO_PRESERVING.contains(((LambdaBlock) between).getName())) {
            return null;
        }
        for (BlockTree.Site c : sites) {
            if (c.parent == p.parent && c.index == p.index + 2 && c.block != p.block && !made.containsKey(c)) {
                return c;
            }
        }
        return null;
    }

    /** Scores and compacts one pair; FLAP also folds the removed channels' mean into the consumer's bias. */
    private SparseLinear[] compact(BlockTree.Site p, BlockTree.Site c, ChannelStatistics consumerInputs) {
        ChannelCriterion cc = criterion == Criterion.WANDA ? ChannelCriterion.WANDA
                : criterion == Criterion.FLAP ? ChannelCriterion.FLAP : ChannelCriterion.L2;
        try (TensorBridge.Borrowed w1 = TensorBridge.borrow(LinearParameters.weight(p.linear(), p.path));
             TensorBridge.Borrowed w2 = TensorBridge.borrow(LinearParameters.weight(c.linear(), c.path));
             Tensor b1 = LinearParameters.biasCopy(p.linear(), p.path);
             Tensor b2 = LinearParameters.biasCopy(c.linear(), c.path)) {
            ChannelPlan plan = ChannelPruner.plan(cc, w1.tensor(), w2.tensor(), consumerInputs, keep, 1, 1);
            CompactedLayers layers = plan.apply(w1.tensor(), b1, w2.tensor(), b2,
                    criterion == Criterion.FLAP ? consumerInputs.mean() : null);
            SparseLinear producer = SparseLinear.dense(kernels, layers.w1(), layers.b1());
            SparseLinear consumer = SparseLinear.dense(kernels, layers.w2(), layers.b2());
            producer.adoptInputShapes(p.linear().isInitialized() ? p.linear().getInputShapes() : null);
            consumer.adoptInputShapes(c.linear().isInitialized() ? c.linear().getInputShapes() : null);
            return new SparseLinear[] {producer, consumer};
        }
    }
}
