package dev.sparsekernels.model.prune;

import dev.sparsekernels.model.BertEncoder;
import dev.sparsekernels.model.LinearSlot;
import java.util.Set;

/**
 * Applies a {@link PruningConfig} to an encoder. Calibration statistics are collected on the encoder as it is when a
 * step needs them: the first such step sees the model as given (the dense one), and a step after another that
 * changed the model gets statistics collected again on the changed model, so every criterion ranks the inputs the
 * pruned model will actually feed that layer (as Wanda and SparseGPT prune layer after layer on pruned inputs).
 */
public final class ModelPruner {
    private final SentenceBatches calibration;
    private final int threads;
    private CalibrationStatistics initial;

    /**
     * @param calibration text whose activations the criteria read (never the evaluation text)
     * @param threads     threads for accumulating statistics
     */
    public ModelPruner(SentenceBatches calibration, int threads) {
        if (calibration == null) {
            throw new IllegalArgumentException("calibration: expected sentence batches but got null");
        }
        if (threads < 1) {
            throw new IllegalArgumentException("threads: expected >= 1 but got " + threads);
        }
        this.calibration = calibration;
        this.threads = threads;
    }

    /**
     * Uses these statistics (collected on the unpruned model) for the first step that needs statistics, instead of
     * collecting them again for every config; returns this.
     */
    public ModelPruner withInitialStatistics(CalibrationStatistics stats) {
        this.initial = stats;
        return this;
    }

    /** Statistics of the encoder over the calibration text, as it is now, with second moments of gramSlots. */
    public CalibrationStatistics collect(BertEncoder encoder, Set<LinearSlot> gramSlots, Progress progress) {
        return CalibrationStatistics.collect(encoder, calibration, threads, gramSlots, progress);
    }

    /** Prunes the encoder in place, step by step; the encoder must be the unpruned model initial stats came from. */
    public void apply(BertEncoder encoder, PruningConfig config, Progress progress) {
        if (encoder == null || config == null) {
            throw new IllegalArgumentException("encoder, config: expected both but got "
                    + (encoder == null ? "no encoder" : "no config"));
        }
        Progress p = progress == null ? Progress.NONE : progress;
        boolean changed = false;
        for (PruningStep step : config.steps()) {
            CalibrationStatistics stats = null;
            if (step.needsStatistics()) {
                boolean initialFits = !changed && initial != null
                        && step.gramInputs().stream().allMatch(initial::hasGram);
                stats = initialFits ? initial : collect(encoder, step.gramInputs(), p);
            }
            step.apply(encoder, stats, p);
            changed = true;
        }
    }
}
