package dev.sparsekernels.model.prune;

import static dev.sparsekernels.model.LinearSlot.ATTENTION_OUTPUT;
import static dev.sparsekernels.model.LinearSlot.OUTPUT;

import dev.sparsekernels.Kernels;
import dev.sparsekernels.model.BertEncoder;
import dev.sparsekernels.model.MiniLmL6V2;
import dev.sparsekernels.model.SentenceCorpus;
import dev.sparsekernels.model.text.WordPieceTokenizer;
import java.util.EnumSet;
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
        ClassLoader loader = LayerSensitivityExploration.class.getClassLoader();
        WordPieceTokenizer tokenizer = MiniLmL6V2.tokenizer(loader);
        SentenceBatches calibration = SentenceBatches.of(tokenizer, SentenceCorpus.calibration(), 64);
        SentenceBatches heldout = SentenceBatches.of(tokenizer, SentenceCorpus.heldout(), 64);
        try (Kernels kernels = Kernels.cpu(threads)) {
            float[] denseCal;
            float[] denseHeld;
            CalibrationStatistics stats;
            try (BertEncoder enc = BertEncoder.create(kernels, MiniLmL6V2.weights(loader))) {
                denseCal = calibration.embed(enc);
                denseHeld = heldout.embed(enc);
                stats = CalibrationStatistics.collect(enc, calibration, threads, EnumSet.of(OUTPUT, ATTENTION_OUTPUT),
                        Progress.NONE);
            }
            ModelPruner pruner = new ModelPruner(calibration, threads).withInitialStatistics(stats);
            for (int layer = 0; layer < 6; layer++) {
                for (double share : shares) {
                    report(kernels, loader, pruner, calibration, heldout, denseCal, denseHeld,
                            String.format(Locale.ROOT, "layer %d ffn-%.0f%%", layer, 100 * share),
                            ObsChannelRemovalStep.inLayer(layer, share, 0, 8, LeastSquaresRefit.DEFAULT_DAMPING,
                                    threads));
                }
                for (String hs : System.getProperty("heads", "1,3").split(",")) {
                    int heads = Integer.parseInt(hs.trim());
                    report(kernels, loader, pruner, calibration, heldout, denseCal, denseHeld,
                            String.format(Locale.ROOT, "layer %d heads-%d", layer, heads),
                            ObsChannelRemovalStep.inLayer(layer, 0, heads / 12.0 + 1e-9, 8,
                                    LeastSquaresRefit.DEFAULT_DAMPING, threads));
                }
            }
        }
    }

    private static void report(Kernels kernels, ClassLoader loader, ModelPruner pruner, SentenceBatches calibration,
            SentenceBatches heldout, float[] denseCal, float[] denseHeld, String name, PruningStep step)
            throws Exception {
        try (BertEncoder enc = BertEncoder.create(kernels, MiniLmL6V2.weights(loader))) {
            pruner.apply(enc, PruningConfig.of(name, step), Progress.NONE);
            EmbeddingQuality c = EmbeddingQuality.compare(denseCal, calibration.embed(enc), 384);
            EmbeddingQuality h = EmbeddingQuality.compare(denseHeld, heldout.embed(enc), 384);
            System.out.printf(Locale.ROOT, "%-20s calibration 1-cos %.5f top-1 %5.1f%%   held-out 1-cos %.5f"
                    + " top-1 %5.1f%%  params %d%n", name, 1 - c.cosineMean(), 100 * c.top1Agreement(),
                    1 - h.cosineMean(), 100 * h.top1Agreement(), enc.parameterCount());
        }
    }
}
