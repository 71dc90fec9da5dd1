package dev.sparsekernels.model.prune;

import dev.sparsekernels.Kernels;
import dev.sparsekernels.model.BertEncoder;
import dev.sparsekernels.model.SentenceCorpus;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Not a test: quality of per-layer OBS allocations (docs/model.md, session 17). Each argument is one allocation,
 * {@code f0,...,f5[/h0,...,h5]}: the share of FFN channels and the number of heads removed in each of the six layers,
 * every layer pruned on the dense model's statistics (one-shot; {@code -Dsequential=true} collects them again after
 * each layer). Prints 1 - mean cosine and top-1 agreement against the dense model on the calibration and the held-out
 * sentences. {@code -Dleaky=true} adds the held-out sentences to the calibration text (an upper bound on what more
 * in-distribution calibration text buys, not a result), {@code -Dextra=FILE} adds a file's lines. About 15 s per
 * allocation on 2 cores.
 */
public final class AllocationExploration {
    private AllocationExploration() {
    }

    public static void main(String[] args) throws Exception {
        int threads = 2;
        List<String> calText = new ArrayList<>(SentenceCorpus.calibration());
        if (Boolean.getBoolean("leaky")) {
            calText.addAll(SentenceCorpus.heldout());
        }
        if (System.getProperty("extra") != null) {
            for (String line : java.nio.file.Files.readAllLines(java.nio.file.Path.of(System.getProperty("extra")))) {
                if (!line.isBlank()) {
                    calText.add(line.trim());
                }
            }
        }
        try (Kernels kernels = Kernels.cpu(threads)) {
            DenseBaseline base = DenseBaseline.of(kernels, calText, threads);
            System.out.println("calibration sentences " + calText.size() + " tokens "
                    + base.calibration().tokenCount());
            boolean sequential = Boolean.getBoolean("sequential");
            for (String a : args) {
                String[] parts = a.split("/");
                String[] f = parts[0].split(",");
                String[] h = parts.length > 1 ? parts[1].split(",") : new String[0];
                List<PruningStep> steps = new ArrayList<>();
                for (int i = 0; i < 6; i++) {
                    double fs = Double.parseDouble(f[i]);
                    double hs = h.length > 0 ? Integer.parseInt(h[i]) / 12.0 + 1e-9 : 0;
                    if (fs > 0 || hs > 0) {
                        steps.add(ObsChannelRemovalStep.inLayer(i, fs, hs, 8, LeastSquaresRefit.DEFAULT_DAMPING,
                                threads));
                    }
                }
                ModelPruner pruner = new ModelPruner(base.calibration(), threads)
                        .withInitialStatistics(base.stats());
                try (BertEncoder enc = DenseBaseline.encoder(kernels)) {
                    if (sequential) {
                        pruner.apply(enc, PruningConfig.of(a, steps.toArray(new PruningStep[0])), Progress.NONE);
                    } else {
                        for (PruningStep s : steps) {
                            s.apply(enc, base.stats(), Progress.NONE);
                        }
                    }
                    EmbeddingQuality[] cq = base.quality(enc);
                    EmbeddingQuality c = cq[0];
                    EmbeddingQuality q = cq[1];
                    long ffn = 0;
                    for (var l : enc.layers()) {
                        ffn += l.intermediateWidth();
                    }
                    System.out.printf(Locale.ROOT, "%-40s cal 1-cos %.5f top-1 %5.1f%%  held 1-cos %.5f min %.4f"
                            + " top-1 %5.1f%%  params %d ffn kept %.1f%%%n", a, 1 - c.cosineMean(),
                            100 * c.top1Agreement(), 1 - q.cosineMean(), q.cosineMin(), 100 * q.top1Agreement(),
                            enc.parameterCount(), 100.0 * ffn / (6 * 1536));
                }
            }
        }
    }
}
