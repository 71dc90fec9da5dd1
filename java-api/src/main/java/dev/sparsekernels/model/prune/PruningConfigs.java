package dev.sparsekernels.model.prune;

import static dev.sparsekernels.model.LinearSlot.ATTENTION_OUTPUT;
import static dev.sparsekernels.model.LinearSlot.INTERMEDIATE;
import static dev.sparsekernels.model.LinearSlot.KEY;
import static dev.sparsekernels.model.LinearSlot.OUTPUT;
import static dev.sparsekernels.model.LinearSlot.QUERY;
import static dev.sparsekernels.model.LinearSlot.VALUE;

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
     * The shares of {@link #flap()} (30% of FFN channels, 25% of heads), taken from every layer and chosen and
     * compensated by structured Optimal Brain Surgeon instead: what a better method buys at about equal speed.
     */
    public static PruningConfig obs(int threads) {
        return PruningConfig.of("OBS ffn-30% heads-25%", new ObsChannelRemovalStep(0.30, 0.25, 8,
                LeastSquaresRefit.DEFAULT_DAMPING, threads));
    }

    /**
     * The best combination found by measurement (docs/model.md): the fastest configuration tried that keeps issue
     * 7's quality bar (mean cosine >= 0.95, top-1 agreement >= 90%) on the held-out sentences. 2:4 and BSR fail the
     * bar at any placement tried, heads cost more top-1 per second gained than FFN channels, so it is FFN channels
     * only, removed by OBS.
     */
    public static PruningConfig best(int threads) {
        return PruningConfig.of("best: OBS ffn-15%", new ObsChannelRemovalStep(0.15, 0, 8,
                LeastSquaresRefit.DEFAULT_DAMPING, threads));
    }

    /** All of the above, in report order. */
    public static List<PruningConfig> standard(int threads) {
        return List.of(sparse24Magnitude(), sparse24Wanda(), flap(), blockSparseFfn(), obs(threads), best(threads));
    }
}
