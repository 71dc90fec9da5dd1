package dev.sparsekernels.model.distill;

import static dev.sparsekernels.model.LinearSlot.ATTENTION_OUTPUT;
import static dev.sparsekernels.model.LinearSlot.OUTPUT;

import dev.sparsekernels.Kernels;
import dev.sparsekernels.model.BertEncoder;
import dev.sparsekernels.model.MiniLmL6V2;
import dev.sparsekernels.model.SentenceCorpus;
import dev.sparsekernels.model.prune.CalibrationStatistics;
import dev.sparsekernels.model.prune.EmbeddingQuality;
import dev.sparsekernels.model.prune.LeastSquaresRefit;
import dev.sparsekernels.model.prune.ModelPruner;
import dev.sparsekernels.model.prune.ObsChannelRemovalStep;
import dev.sparsekernels.model.prune.PruningConfig;
import dev.sparsekernels.model.prune.Progress;
import dev.sparsekernels.model.prune.SentenceBatches;
import dev.sparsekernels.model.text.WordPieceTokenizer;
import java.util.EnumSet;
import java.util.Locale;

/**
 * Not a test: prunes all-MiniLM-L6-v2 (config: obs at the shares ffn and heads, wanda24, magnitude24 or bsr, the
 * demo's configurations), distills it on the calibration text (plus the sentences of the file text, if given) and
 * prints the held-out quality before and after. runs: comma-separated EPOCHS:LR:HIDDEN_WEIGHT:EMBEDDING_WEIGHT[:NOISE];
 * batch: sentences per step; threads.
 */
public final class DistillationExploration {
    private DistillationExploration() {
    }

    public static void main(String[] args) throws Exception {
        int threads = Integer.getInteger("threads", 2);
        double ffn = Double.parseDouble(System.getProperty("ffn", "0.3"));
        double heads = Double.parseDouble(System.getProperty("heads", "0.25"));
        int batch = Integer.getInteger("batch", 16);
        ClassLoader loader = DistillationExploration.class.getClassLoader();
        WordPieceTokenizer tokenizer = MiniLmL6V2.tokenizer(loader);
        SentenceBatches calibration = SentenceBatches.of(tokenizer, SentenceCorpus.calibration(), 64);
        java.util.List<String> text = new java.util.ArrayList<>(SentenceCorpus.calibration());
        String extra = System.getProperty("text");
        if (extra != null) {
            java.util.List<String> lines = java.nio.file.Files.readAllLines(java.nio.file.Path.of(extra));
            text.addAll(lines.subList(0, Math.min(lines.size(), Integer.getInteger("extra", lines.size()))));
        }
        System.out.println("training sentences: " + text.size());
        SentenceBatches training = SentenceBatches.of(tokenizer, text, batch);
        SentenceBatches heldout = SentenceBatches.of(tokenizer, SentenceCorpus.heldout(), 64);
        try (Kernels kernels = Kernels.cpu(threads);
                BertEncoder teacher = BertEncoder.create(kernels, MiniLmL6V2.weights(loader))) {
            float[] dense = heldout.embed(teacher);
            CalibrationStatistics stats = CalibrationStatistics.collect(teacher, calibration, threads,
                    EnumSet.of(OUTPUT, ATTENTION_OUTPUT), Progress.NONE);
            ModelPruner pruner = new ModelPruner(calibration, threads).withInitialStatistics(stats);
            String which = System.getProperty("config", "obs");
            PruningConfig config = switch (which) {
                case "wanda24" -> dev.sparsekernels.model.prune.PruningConfigs.sparse24Wanda();
                case "magnitude24" -> dev.sparsekernels.model.prune.PruningConfigs.sparse24Magnitude();
                case "bsr" -> dev.sparsekernels.model.prune.PruningConfigs.blockSparseFfn();
                default -> PruningConfig.of("OBS", new ObsChannelRemovalStep(ffn, heads, 8,
                        LeastSquaresRefit.DEFAULT_DAMPING, threads));
            };
            for (String run : System.getProperty("runs", "3:1e-4:1:1").split(",")) {
                String[] f = run.split(":");
                Distiller.Options o = new Distiller.Options(Integer.parseInt(f[0]), Double.parseDouble(f[1]), 0.1,
                        Double.parseDouble(f[2]), Double.parseDouble(f[3]),
                        f.length > 4 ? Double.parseDouble(f[4]) : 0, 1, threads);
                try (BertEncoder student = BertEncoder.create(kernels, MiniLmL6V2.weights(loader))) {
                    pruner.apply(student, config, Progress.NONE);
                    EmbeddingQuality before = EmbeddingQuality.compare(dense, heldout.embed(student), 384);
                    Distiller.Report r = Distiller.distill(teacher, student, training.batches(), o, Progress.NONE);
                    EmbeddingQuality after = EmbeddingQuality.compare(dense, heldout.embed(student), 384);
                    System.out.printf(Locale.ROOT, which + " ffn %.3f heads %.3f %s: before %.4f/%.4f/%.1f%% after %.4f/%.4f/"
                            + "%.1f%%  loss %.5f -> %.5f, %d steps, %.1f s%n", ffn, heads, run, before.cosineMean(),
                            before.cosineMin(), 100 * before.top1Agreement(), after.cosineMean(), after.cosineMin(),
                            100 * after.top1Agreement(), r.firstEpochLoss(), r.lastEpochLoss(), r.steps(),
                            r.seconds());
                }
            }
        }
    }
}
