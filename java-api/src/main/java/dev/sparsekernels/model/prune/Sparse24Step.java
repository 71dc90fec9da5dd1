package dev.sparsekernels.model.prune;

import dev.sparsekernels.model.BertEncoder;
import dev.sparsekernels.model.BertLayer;
import dev.sparsekernels.model.DenseLinear;
import dev.sparsekernels.model.LinearSlot;
import dev.sparsekernels.model.Sparse24Linear;
import java.util.EnumSet;
import java.util.Set;

/**
 * 2:4 pruning of chosen linears in every layer: in each group of 4 inputs of a weight row, the 2 with the largest
 * score are kept. Magnitude scores |w|; Wanda (Sun et al. 2023) scores |w| times the RMS of that input over the
 * calibration text, so a small weight on an input that is always large survives.
 */
public final class Sparse24Step implements PruningStep {
    /** How weights in a group of 4 are ranked. */
    public enum Criterion {
        MAGNITUDE("magnitude"),
        WANDA("Wanda");

        private final String label;

        Criterion(String label) {
            this.label = label;
        }
    }

    private final Criterion criterion;
    private final EnumSet<LinearSlot> slots;

    private Sparse24Step(Criterion criterion, EnumSet<LinearSlot> slots) {
        this.criterion = criterion;
        this.slots = slots;
    }

    public static Sparse24Step magnitude(LinearSlot... slots) {
        return new Sparse24Step(Criterion.MAGNITUDE, Layers.slots("slots", slots));
    }

    public static Sparse24Step wanda(LinearSlot... slots) {
        return new Sparse24Step(Criterion.WANDA, Layers.slots("slots", slots));
    }

    public Criterion criterion() {
        return criterion;
    }

    public Set<LinearSlot> slots() {
        return EnumSet.copyOf(slots);
    }

    @Override
    public String describe() {
        return "2:4 " + criterion.label + " on " + Layers.names(slots);
    }

    @Override
    public boolean needsStatistics() {
        return criterion == Criterion.WANDA;
    }

    @Override
    public void apply(BertEncoder encoder, CalibrationStatistics stats) {
        if (needsStatistics() && stats == null) {
            throw new IllegalArgumentException("stats: " + describe() + " needs calibration statistics but got null");
        }
        for (int i = 0; i < encoder.layers().size(); i++) {
            BertLayer layer = encoder.layers().get(i);
            for (LinearSlot slot : slots) {
                DenseLinear dense = Layers.dense(layer, i, slot, describe());
                Sparse24Linear sparse = criterion == Criterion.MAGNITUDE ? Sparse24Linear.pruneByMagnitude(dense)
                        : Sparse24Linear.pruneByWanda(dense, stats.inputRms(i, slot));
                layer.replaceLinear(slot, sparse).close();
            }
        }
    }

    @Override
    public String toString() {
        return describe();
    }
}
