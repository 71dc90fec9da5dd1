package dev.sparsekernels.model.prune;

import java.util.List;
import java.util.stream.Collectors;

/**
 * A named way of pruning a model: steps applied in order to one encoder (structured removal first, then sparsity on
 * what is left, since the sparse formats cannot be compacted further).
 *
 * @param name  short name for tables and JSON, e.g. "2:4 Wanda"
 * @param steps at least one
 */
public record PruningConfig(String name, List<PruningStep> steps) {

    public PruningConfig {
        if (name == null || name.isBlank()) {
            throw new IllegalArgumentException("name: expected a non-empty name but got " + (name == null ? "null"
                    : "'" + name + "'"));
        }
        if (steps == null || steps.isEmpty() || steps.contains(null)) {
            throw new IllegalArgumentException("steps of " + name + ": expected at least one step and no null but got "
                    + steps);
        }
        steps = List.copyOf(steps);
    }

    public static PruningConfig of(String name, PruningStep... steps) {
        return new PruningConfig(name, steps == null ? null : java.util.Arrays.asList(steps));
    }

    /** The steps' descriptions joined by " + ". */
    public String describe() {
        return steps.stream().map(PruningStep::describe).collect(Collectors.joining(" + "));
    }

    /** Whether any step reads calibration statistics. */
    public boolean needsStatistics() {
        return steps.stream().anyMatch(PruningStep::needsStatistics);
    }
}
