package dev.sparsekernels.model.prune;

import static dev.sparsekernels.model.LinearSlot.ATTENTION_OUTPUT;
import static dev.sparsekernels.model.LinearSlot.INTERMEDIATE;
import static dev.sparsekernels.model.LinearSlot.KEY;
import static dev.sparsekernels.model.LinearSlot.OUTPUT;
import static dev.sparsekernels.model.LinearSlot.QUERY;
import static dev.sparsekernels.model.LinearSlot.VALUE;

import dev.sparsekernels.Kernels;
import dev.sparsekernels.model.BertEncoder;
import dev.sparsekernels.model.SentenceCorpus;
import dev.sparsekernels.prune.ChannelCriterion;
import java.util.ArrayList;
import java.util.List;

/**
 * Not a test: the grid of pruning configurations behind the choice of the demo's best combination (docs/model.md),
 * on all-MiniLM-L6-v2 from the test class path. Prints mean and worst cosine to the dense model and top-1 agreement on
 * the 700 held-out sentences for each. Quality only (deterministic); speed comes from the demo's interleaved runs.
 * About 5 minutes on 2 cores. Usage: {@code java ... dev.sparsekernels.model.prune.PruningExploration [threads]}.
 */
public final class PruningExploration {
    private PruningExploration() {
    }

    public static void main(String[] args) throws Exception {
        int threads = args.length > 0 ? Integer.parseInt(args[0]) : 2;
        try (Kernels kernels = Kernels.cpu(threads)) {
            DenseBaseline base = DenseBaseline.of(kernels, SentenceCorpus.calibration(), threads);
            ModelPruner pruner = new ModelPruner(base.calibration(), threads).withInitialStatistics(base.stats());
            for (PruningConfig config : grid(threads)) {
                try (BertEncoder enc = DenseBaseline.encoder(kernels)) {
                    pruner.apply(enc, config, Progress.NONE);
                    EmbeddingQuality q = base.quality(enc)[1];
                    System.out.printf(java.util.Locale.ROOT, "%-44s mean %.4f  min %.4f  top-1 %5.1f%%  params %d%n",
                            config.name(), q.cosineMean(), q.cosineMin(), 100 * q.top1Agreement(),
                            enc.parameterCount());
                }
            }
        }
    }

    static List<PruningConfig> grid(int threads) {
        List<PruningConfig> g = new ArrayList<>();
        ChannelRemovalStep.Compensation bias = ChannelRemovalStep.Compensation.BIAS;
        ChannelRemovalStep.Compensation ls = ChannelRemovalStep.Compensation.LEAST_SQUARES;
        double[][] structured = {{0.3, 0.25}, {0.5, 0.25}, {0.3, 0}, {0, 0.25}};
        for (double[] s : structured) {
            g.add(PruningConfig.of(name("FLAP+bias global", s), new ChannelRemovalStep(s[0], s[1],
                    ChannelCriterion.FLAP, bias, 8, true, threads)));
            g.add(PruningConfig.of(name("FLAP+LS global", s), new ChannelRemovalStep(s[0], s[1],
                    ChannelCriterion.FLAP, ls, 8, true, threads)));
        }
        for (double[] s : new double[][] {{0.3, 0.25}, {0.5, 0.25}, {0.3, 0}, {0, 0.25}, {0.2, 0}, {0.1, 0}}) {
            g.add(PruningConfig.of(name("FLAP+LS per layer", s), new ChannelRemovalStep(s[0], s[1],
                    ChannelCriterion.FLAP, ls, 8, false, threads)));
        }
        for (double[] s : new double[][] {{0.3, 0.25}, {0.3, 0}, {0, 0.25}, {0.2, 0}, {0.175, 0}, {0.15, 0}, {0.1, 0},
            {0, 1 / 12.0}, {0.1, 1 / 12.0}, {0.15, 1 / 12.0}}) {
            g.add(PruningConfig.of(name("OBS", s), new ObsChannelRemovalStep(s[0], s[1], 8,
                    LeastSquaresRefit.DEFAULT_DAMPING, threads)));
        }
        for (double[] s : new double[][] {{0.3, 0.25}, {0.3, 0}, {0.2, 0}}) { // statistics again after each layer
            g.add(PruningConfig.of(name("OBS sequential", s), ObsChannelRemovalStep.sequential(6, s[0], s[1], 8,
                    LeastSquaresRefit.DEFAULT_DAMPING, threads).toArray(new PruningStep[0])));
        }
        g.add(PruningConfig.of("2:4 Wanda on Q, K, V, O", Sparse24Step.wanda(QUERY, KEY, VALUE, ATTENTION_OUTPUT)));
        g.add(PruningConfig.of("2:4 Wanda on W1, W2", Sparse24Step.wanda(INTERMEDIATE, OUTPUT)));
        g.add(PruningConfig.of("FLAP 30/25 + 2:4 magnitude on Q, K, V, O", ChannelRemovalStep.flap(0.3, 0.25),
                Sparse24Step.magnitude(QUERY, KEY, VALUE, ATTENTION_OUTPUT)));
        g.add(PruningConfig.of("FLAP 30/25 + 2:4 Wanda on Q, K, V, O", ChannelRemovalStep.flap(0.3, 0.25),
                Sparse24Step.wanda(QUERY, KEY, VALUE, ATTENTION_OUTPUT)));
        g.add(PruningConfig.of("OBS 30/25 + 2:4 Wanda on Q, K, V, O", new ObsChannelRemovalStep(0.3, 0.25, 8,
                LeastSquaresRefit.DEFAULT_DAMPING, threads), Sparse24Step.wanda(QUERY, KEY, VALUE, ATTENTION_OUTPUT)));
        return g;
    }

    private static String name(String method, double[] share) {
        return String.format(java.util.Locale.ROOT, "%s ffn-%.1f%% heads-%.1f%%", method, 100 * share[0],
                100 * share[1]);
    }
}
