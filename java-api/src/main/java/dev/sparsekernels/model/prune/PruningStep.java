package dev.sparsekernels.model.prune;

import dev.sparsekernels.model.BertEncoder;
import dev.sparsekernels.model.LinearSlot;
import java.util.Set;

/**
 * One way of pruning an encoder in place: 2:4 weights, block-sparse weights, or removal of FFN channels and
 * attention heads. Steps of a {@link PruningConfig} run in order on the same encoder.
 */
public interface PruningStep {
    /** A short description for reports, e.g. "2:4 Wanda on Q, K, V, O, W1, W2". */
    String describe();

    /** Whether {@link #apply} reads calibration statistics. */
    boolean needsStatistics();

    /** Inputs whose second moments ({@link InputGram}) apply reads; none unless overridden. */
    default Set<LinearSlot> gramInputs() {
        return Set.of();
    }

    /**
     * Prunes the encoder in place. The layers it replaces are closed.
     *
     * @param stats statistics of the encoder as it is now (null when {@link #needsStatistics()} is false)
     * @throws IllegalStateException when a layer is not in the format the step starts from (e.g. already sparse)
     */
    void apply(BertEncoder encoder, CalibrationStatistics stats);

    /**
     * As {@link #apply(BertEncoder, CalibrationStatistics)}, reporting {@link #progressUnits()} units of progress on
     * the way (for steps that take long enough to want a progress bar of their own, such as distillation).
     */
    default void apply(BertEncoder encoder, CalibrationStatistics stats, Progress progress) {
        apply(encoder, stats);
    }

    /** Units of progress {@link #apply(BertEncoder, CalibrationStatistics, Progress)} reports; none unless overridden. */
    default long progressUnits() {
        return 0;
    }
}
