package dev.sparsekernels.cli.demo;

import dev.sparsekernels.model.prune.PruningConfig;
import dev.sparsekernels.model.prune.PruningConfigs;
import java.nio.file.Path;
import java.util.List;

/**
 * What one demo run does.
 *
 * @param threads     threads for our kernels and for ONNX Runtime alike
 * @param sentences   held-out and calibration sentences to use (0 = all: 700 and 443)
 * @param rounds      timing rounds (each runs every model once, interleaved with ONNX Runtime)
 * @param batch       rows of the speed batch
 * @param length      tokens per row of the speed batch
 * @param outDir      where report.json, report.md and the chart go
 * @param json        an extra copy of the JSON (null for none)
 * @param configs     the pruning configurations, in report order
 * @param interactive draw progress bars in place (a terminal is attached)
 * @param distillEpochs when above 0, three more configurations: 2:4 Wanda, BSR 32 d0.5 FFN and OBS ffn-30% heads-25%
 *                    distilled towards the dense model for this many passes over the calibration text
 */
public record DemoOptions(int threads, int sentences, int rounds, int batch, int length, Path outDir, Path json,
        List<PruningConfig> configs, boolean interactive, int distillEpochs) {

    public DemoOptions {
        checkThreads(threads);
        if (sentences != 0 && sentences < 2) {
            throw new IllegalArgumentException("--sentences: expected 0 (all) or >= 2 (nearest neighbours need two)"
                    + " but got " + sentences);
        }
        if (rounds < 1) {
            throw new IllegalArgumentException("--speed-batches: expected >= 1 but got " + rounds);
        }
        if (batch < 1) {
            throw new IllegalArgumentException("--batch: expected >= 1 but got " + batch);
        }
        if (length < 3 || length > 512) {
            throw new IllegalArgumentException("--seq: expected 3..512 tokens per row but got " + length);
        }
        if (outDir == null) {
            throw new IllegalArgumentException("--out: expected a directory but got none");
        }
        if (configs == null || configs.isEmpty()) {
            throw new IllegalArgumentException("configs: expected at least one pruning configuration");
        }
        if (distillEpochs < 0) {
            throw new IllegalArgumentException("--distill: expected 0 (none) or a number of epochs but got "
                    + distillEpochs);
        }
        configs = List.copyOf(configs);
    }

    /** Options with {@link PruningConfigs#standard} (whose refits run on the same threads). */
    public static DemoOptions standard(int threads, int sentences, int rounds, int batch, int length, Path outDir,
            Path json, boolean interactive, int distillEpochs) {
        checkThreads(threads); // before the configs, which would name the parameter differently
        return new DemoOptions(threads, sentences, rounds, batch, length, outDir, json,
                PruningConfigs.standard(threads), interactive, distillEpochs);
    }

    private static void checkThreads(int threads) {
        if (threads < 1) {
            throw new IllegalArgumentException("--threads: expected >= 1 but got " + threads);
        }
    }
}
