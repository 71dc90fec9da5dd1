package dev.sparsekernels.prune;

import java.util.Locale;

/** The structured-pruning criteria of {@link ChannelCriteria}; see docs/pruning.md for the formulas. */
public enum ChannelCriterion {
    /** L1 norm of the producer row: Σ_k |W1[j,k]|. */
    L1(false),
    /** L2 norm of the producer row: sqrt(Σ_k W1[j,k]²). */
    L2(false),
    /** Wanda-style: sqrt(mean x_j²) · Σ_i |W2[i,j]|, on the consumer. */
    WANDA(true),
    /** FLAP fluctuation: Var(x_j) · Σ_i W2[i,j]², standardised per layer. */
    FLAP(true);

    private final boolean needsActivations;

    ChannelCriterion(boolean needsActivations) {
        this.needsActivations = needsActivations;
    }

    /** Whether the criterion reads statistics of the activations entering the consumer. */
    public boolean needsActivations() {
        return needsActivations;
    }

    /** The lower-case name used on the command line. */
    public String cliName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** Parses l1, l2, wanda or flap (any case). */
    public static ChannelCriterion parse(String s) {
        if (s != null) {
            for (ChannelCriterion c : values()) {
                if (c.name().equalsIgnoreCase(s.trim())) {
                    return c;
                }
            }
        }
        throw new IllegalArgumentException("criterion: expected l1, l2, wanda or flap but got '" + s + "'");
    }
}
