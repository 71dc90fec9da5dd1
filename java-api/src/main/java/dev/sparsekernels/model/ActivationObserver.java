package dev.sparsekernels.model;

/**
 * Sees the activations entering the linear layers of a {@link BertEncoder} while it runs, e.g. to collect the
 * calibration statistics that pruning criteria need (Wanda: input size per linear; FLAP: mean and variance of the
 * channels entering the FFN's W2 and the attention output projection).
 */
@FunctionalInterface
public interface ActivationObserver {
    /**
     * Called once per layer and input with the packed rows (real tokens only, no padding) entering the linear in
     * {@code slot}. Q, K and V share one input, reported once as {@link LinearSlot#QUERY}; {@code KEY} and
     * {@code VALUE} are never reported. The array belongs to the encoder: read it during the call, do not change or
     * keep it.
     *
     * @param layer index of the encoder layer, from 0
     * @param x     [rows, width] row-major
     */
    void linearInput(int layer, LinearSlot slot, float[] x, int rows, int width);

    /** Observes nothing. */
    ActivationObserver NONE = (layer, slot, x, rows, width) -> { };
}
