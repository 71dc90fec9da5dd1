package dev.sparsekernels.model.prune;

import dev.sparsekernels.Kernels;
import dev.sparsekernels.model.BertEncoder;
import dev.sparsekernels.model.SentenceCorpus;
import java.util.Locale;

/**
 * Not a test: how much each layer of all-MiniLM-L6-v2 can lose on its own. For every layer and share, OBS removes
 * that share of the layer's FFN channels (or that many heads) and leaves the other layers dense; prints mean cosine
 * and top-1 agreement against the dense model on the calibration sentences (what an allocation may be chosen on)
 * and on the held-out ones (what the demo reports). About 6 minutes on 2 cores.
 * Usage: {@code java [-Dheads=1,3] ... dev.sparsekernels.model.prune.LayerSensitivityExploration [threads]
 * [shares...]} (shares default 0.25 0.5).
 */
public final class LayerSensitivityExploration {
    private LayerSensitivityExploration() {
    }

    public static void main(String[] args) throws Exception {
        int threads = args.length > 0 ? Integer.parseInt(args[0]) : 2;
        double[] shares = {0.25, 0.5};
        if (args.length > 1) {
            shares = new double[args.length - 1];
            for (int i = 1; i < args.length; i++) {
                shares[i - 1] = Double.parseDouble(args[i]);
            }
        }
        try (Kernels kernels = Kernels.cpu(threads)) {
            DenseBaseline base = DenseBaseline.of(kernels, SentenceCorpus.calibration(), threads);
            ModelPruner pruner = new ModelPruner(base.calibration(), threads).withInitialStatistics(base.stats());
            for (int layer = 0; layer < 6; layer++) {
                for (double share : shares) {
                    report(kernels, base, pruner, String.format(Locale.ROOT, "layer %d ffn-%.0f%%", layer, 100 * share),
                            ObsChannelRemovalStep.inLayer(layer, share, 0, 8, LeastSquaresRefit.DEFAULT_DAMPING,
                                    threads));
                }
                for (String hs : System.getProperty("heads", "1,3").split(",")) {
                    int heads = Integer.parseInt(hs.trim());
                    report(kernels, base, pruner, String.format(Locale.ROOT, "layer %d heads-%d", layer, heads),
                            ObsChannelRemovalStep.inLayer(layer, 0, heads / 12.0 + 1e-9, 8,
                                    LeastSquaresRefit.DEFAULT_DAMPING, threads));
                }
            }
        }
    }

    private static void report(Kernels kernels, DenseBaseline base, ModelPruner pruner, String name, PruningStep step)
            throws Exception {
        try (BertEncoder enc = DenseBaseline.encoder(kernels)) {
            pruner.apply(enc, PruningConfig.of(name, step), Progress.NONE);
            EmbeddingQuality[] q = base.quality(enc);
            System.out.printf(Locale.ROOT, "%-20s calibration 1-cos %.5f top-1 %5.1f%%   held-out 1-cos %.5f"
                    + " top-1 %5.1f%%  params %d%n", name, 1 - q[0].cosineMean(), 100 * q[0].top1Agreement(),
                    1 - q[1].cosineMean(), 100 * q[1].top1Agreement(), enc.parameterCount());
        }
    }
}
