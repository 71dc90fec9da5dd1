package dev.sparsekernels.model.distill;

import dev.sparsekernels.model.BertEncoder;
import dev.sparsekernels.model.prune.CalibrationStatistics;
import dev.sparsekernels.model.prune.Progress;
import dev.sparsekernels.model.prune.PruningStep;
import dev.sparsekernels.model.text.TokenBatch;
import java.util.List;
import java.util.Locale;

/**
 * Distillation as the last step of a pruning configuration: the encoder pruned by the steps before it is trained
 * towards a teacher (the unpruned model, which the caller keeps open and owns) on the given batches
 * ({@link Distiller}). Reads no calibration statistics; reports one unit of progress per training step.
 */
public final class DistillationStep implements PruningStep {
    private final BertEncoder teacher;
    private final List<TokenBatch> batches;
    private final Distiller.Options options;

    public DistillationStep(BertEncoder teacher, List<TokenBatch> batches, Distiller.Options options) {
        if (teacher == null || batches == null || batches.isEmpty() || options == null) {
            throw new IllegalArgumentException("teacher, batches, options: expected all three, with at least one"
                    + " batch");
        }
        this.teacher = teacher;
        this.batches = List.copyOf(batches);
        this.options = options;
    }

    @Override
    public String describe() {
        int sentences = 0;
        for (TokenBatch b : batches) {
            sentences += b.size();
        }
        return String.format(Locale.ROOT, "distilled towards the dense model: %d epochs over %d calibration sentences,"
                + " Adam at %.0e%s", options.epochs(), sentences, options.learningRate(), options.tokenNoise() > 0
                        ? String.format(Locale.ROOT, ", %.0f%% token noise", 100 * options.tokenNoise()) : "");
    }

    @Override
    public boolean needsStatistics() {
        return false;
    }

    @Override
    public void apply(BertEncoder encoder, CalibrationStatistics stats) {
        apply(encoder, stats, Progress.NONE);
    }

    @Override
    public void apply(BertEncoder encoder, CalibrationStatistics stats, Progress progress) {
        Distiller.distill(teacher, encoder, batches, options, progress);
    }

    @Override
    public long progressUnits() {
        return (long) options.epochs() * batches.size();
    }
}
