package dev.sparsekernels.model.prune;

import dev.sparsekernels.channels.ChannelStatistics;
import dev.sparsekernels.model.ActivationObserver;
import dev.sparsekernels.model.BertEncoder;
import dev.sparsekernels.model.LinearSlot;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;

/**
 * Per-channel statistics (mean, variance, mean square) of the activations entering each linear of an encoder over
 * calibration text, which the pruning criteria read: Wanda the input RMS of every linear, FLAP the mean and variance
 * of the FFN's hidden channels (entering W2) and of the attention context (entering the output projection, grouped
 * per head). Q, K and V share one input, kept under {@link LinearSlot#QUERY}. For the inputs named when collecting,
 * also the full second moments ({@link InputGram}) that a least-squares refit needs. Collect with
 * {@link #collect(BertEncoder, SentenceBatches, int, Set, Progress)}.
 */
public final class CalibrationStatistics implements ActivationObserver {
    private final int threads;
    private final Set<LinearSlot> gramSlots;
    private final Map<Key, ChannelStatistics> stats = new HashMap<>();
    private final Map<Key, InputGram> grams = new HashMap<>();

    private record Key(int layer, LinearSlot slot) {
    }

    /**
     * An empty collector; its statistics split big batches over up to threads threads.
     *
     * @param gramSlots inputs whose second moments are collected too (KEY and VALUE mean QUERY's); may be empty
     */
    public CalibrationStatistics(int threads, Set<LinearSlot> gramSlots) {
        if (threads < 1) {
            throw new IllegalArgumentException("threads: expected >= 1 but got " + threads);
        }
        if (gramSlots == null) {
            throw new IllegalArgumentException("gramSlots: expected a set of slots (maybe empty) but got null");
        }
        this.threads = threads;
        this.gramSlots = EnumSet.noneOf(LinearSlot.class);
        gramSlots.forEach(slot -> this.gramSlots.add(shared(slot)));
    }

    /**
     * Runs the encoder over every calibration batch and returns the statistics of all its linear inputs, with second
     * moments for the inputs in gramSlots.
     */
    public static CalibrationStatistics collect(BertEncoder encoder, SentenceBatches calibration, int threads,
            Set<LinearSlot> gramSlots, Progress progress) {
        if (calibration == null) {
            throw new IllegalArgumentException("calibration: expected sentence batches but got null");
        }
        CalibrationStatistics s = new CalibrationStatistics(threads, gramSlots);
        calibration.embed(encoder, s, progress == null ? Progress.NONE : progress);
        return s;
    }

    @Override
    public void linearInput(int layer, LinearSlot slot, float[] x, int rows, int width) {
        LinearSlot key = shared(slot);
        ChannelStatistics s = stats.computeIfAbsent(new Key(layer, key), k -> new ChannelStatistics(width, threads));
        if (s.channels() != width) {
            throw new IllegalStateException("calibration: layer " + layer + " " + key + " input was " + s.channels()
                    + " wide and is now " + width + "; collect statistics of one model state at a time");
        }
        s.accept(x, rows);
        if (gramSlots.contains(key)) {
            grams.computeIfAbsent(new Key(layer, key), k -> new InputGram(width, threads)).accept(x, rows);
        }
    }

    /** Whether second moments of this input were collected. */
    public boolean hasGram(LinearSlot slot) {
        return slot != null && gramSlots.contains(shared(slot));
    }

    /**
     * The second moments of the input of the linear in slot of layer.
     *
     * @throws IllegalArgumentException when they were not collected
     */
    public InputGram gram(int layer, LinearSlot slot) {
        InputGram g = slot == null ? null : grams.get(new Key(layer, shared(slot)));
        if (g == null) {
            throw new IllegalArgumentException("calibration: no second moments for layer " + layer + " " + slot
                    + " (collect with that slot among gramSlots)");
        }
        return g;
    }

    /**
     * The statistics of the input of the linear in slot of layer (KEY and VALUE give QUERY's).
     *
     * @throws IllegalArgumentException when nothing was observed there
     */
    public ChannelStatistics input(int layer, LinearSlot slot) {
        if (slot == null) {
            throw new IllegalArgumentException("slot: expected a linear slot but got null");
        }
        ChannelStatistics s = stats.get(new Key(layer, shared(slot)));
        if (s == null) {
            throw new IllegalArgumentException("calibration: no statistics for layer " + layer + " " + shared(slot)
                    + " (was the encoder run over calibration text, and does it have that layer?)");
        }
        return s;
    }

    /** input(layer, slot).rms() as floats: the per-input norm Wanda multiplies the weights by. */
    public float[] inputRms(int layer, LinearSlot slot) {
        double[] r = input(layer, slot).rms();
        float[] f = new float[r.length];
        for (int i = 0; i < r.length; i++) {
            f[i] = (float) r[i];
        }
        return f;
    }

    private static LinearSlot shared(LinearSlot slot) {
        return slot == LinearSlot.KEY || slot == LinearSlot.VALUE ? LinearSlot.QUERY : slot;
    }
}
