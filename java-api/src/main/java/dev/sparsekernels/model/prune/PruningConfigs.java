package dev.sparsekernels.model.prune;

import static dev.sparsekernels.model.LinearSlot.ATTENTION_OUTPUT;
import static dev.sparsekernels.model.LinearSlot.INTERMEDIATE;
import static dev.sparsekernels.model.LinearSlot.KEY;
import static dev.sparsekernels.model.LinearSlot.OUTPUT;
import static dev.sparsekernels.model.LinearSlot.QUERY;
import static dev.sparsekernels.model.LinearSlot.VALUE;

import dev.sparsekernels.prune.ChannelCriterion;
import java.util.List;

/** The pruning configurations the demo compares (issue 7), in the order it reports them. */
public final class PruningConfigs {
    private PruningConfigs() {
    }

    /** 2:4 on all six linears of every layer, by magnitude. */
    public static PruningConfig sparse24Magnitude() {
        return PruningConfig.of("2:4 magnitude", Sparse24Step.magnitude(QUERY, KEY, VALUE, ATTENTION_OUTPUT,
                INTERMEDIATE, OUTPUT));
    }

    /** 2:4 on all six linears of every layer, by Wanda. */
    public static PruningConfig sparse24Wanda() {
        return PruningConfig.of("2:4 Wanda", Sparse24Step.wanda(QUERY, KEY, VALUE, ATTENTION_OUTPUT, INTERMEDIATE,
                OUTPUT));
    }

    /** FLAP as published: 30% of FFN channels and 25% of heads, global selection, bias compensation. */
    public static PruningConfig flap() {
        return PruningConfig.of("FLAP ffn-30% heads-25%", ChannelRemovalStep.flap(0.30, 0.25));
    }

    /** BSR 32x32 blocks at density 0.5 on the FFN's W1 and W2. */
    public static PruningConfig blockSparseFfn() {
        return PruningConfig.of("BSR 32 d0.5 FFN", new BlockSparseStep(32, 0.5, INTERMEDIATE, OUTPUT));
    }

    /**
     * The best combination found by measurement (docs/model.md): FLAP's channel and head scores, chosen per layer,
     * with the least-squares refit of W2 and O instead of bias compensation.
     */
    public static PruningConfig best(int threads) {
        return PruningConfig.of("best: FLAP-LS ffn-30% heads-25%", new ChannelRemovalStep(0.30, 0.25,
                ChannelCriterion.FLAP, ChannelRemovalStep.Compensation.LEAST_SQUARES, 8, false, threads));
    }

    /** All of the above, in report order. */
    public static List<PruningConfig> standard(int threads) {
        return List.of(sparse24Magnitude(), sparse24Wanda(), flap(), blockSparseFfn(), best(threads));
    }
}
