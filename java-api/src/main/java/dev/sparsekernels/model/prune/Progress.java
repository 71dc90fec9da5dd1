package dev.sparsekernels.model.prune;

/** Hears how far a long step has come, e.g. to draw a progress bar; units are the step's own (sentences, runs). */
@FunctionalInterface
public interface Progress {
    /** done more units are finished. */
    void advance(long done);

    /** Hears nothing. */
    Progress NONE = done -> { };
}
