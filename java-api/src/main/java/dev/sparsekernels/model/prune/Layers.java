package dev.sparsekernels.model.prune;

import dev.sparsekernels.model.BertLayer;
import dev.sparsekernels.model.DenseLinear;
import dev.sparsekernels.model.LinearLayer;
import dev.sparsekernels.model.LinearSlot;
import java.util.EnumSet;
import java.util.Set;
import java.util.stream.Collectors;

/** Small helpers the steps share. */
final class Layers {
    private Layers() {
    }

    /** The dense linear in slot of a layer, or IllegalStateException naming what is there instead. */
    static DenseLinear dense(BertLayer layer, int index, LinearSlot slot, String step) {
        LinearLayer l = layer.linear(slot);
        if (!(l instanceof DenseLinear)) {
            throw new IllegalStateException(step + ": layer " + index + " " + slot + " is " + l.format()
                    + "; this step starts from a dense weight (put structured removal before sparsity)");
        }
        return (DenseLinear) l;
    }

    static EnumSet<LinearSlot> slots(String name, LinearSlot... slots) {
        if (slots == null || slots.length == 0) {
            throw new IllegalArgumentException(name + ": expected at least one linear slot but got none");
        }
        for (LinearSlot s : slots) {
            if (s == null) {
                throw new IllegalArgumentException(name + ": expected linear slots but got null among them");
            }
        }
        return EnumSet.of(slots[0], slots);
    }

    /** "Q, K, V, O, W1, W2" style names for reports. */
    static String names(Set<LinearSlot> slots) {
        return slots.stream().map(Layers::shortName).collect(Collectors.joining(", "));
    }

    static String shortName(LinearSlot s) {
        switch (s) {
            case QUERY:
                return "Q";
            case KEY:
                return "K";
            case VALUE:
                return "V";
            case ATTENTION_OUTPUT:
                return "O";
            case INTERMEDIATE:
                return "W1";
            case OUTPUT:
                return "W2";
            default:
                throw new AssertionError(s);
        }
    }
}
