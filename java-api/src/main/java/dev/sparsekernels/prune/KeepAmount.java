package dev.sparsekernels.prune;

/**
 * How many units (channels, heads or KV groups) to keep: a ratio in (0, 1] or a count >= 1. The requested count is
 * round(ratio · units) (halves up, at least 1) or the count itself; {@link ChannelSelection} then rounds it to a
 * multiple.
 */
public final class KeepAmount {
    private final double ratio;
    private final int count;

    private KeepAmount(double ratio, int count) {
        this.ratio = ratio;
        this.count = count;
    }

    /** Keep this fraction of the units, in (0, 1]. */
    public static KeepAmount ratio(double ratio) {
        if (!(ratio > 0 && ratio <= 1)) {
            throw new IllegalArgumentException("keep: expected a ratio in (0, 1] but got " + ratio);
        }
        return new KeepAmount(ratio, 0);
    }

    /** Keep this many units, >= 1 (and at most the units there are, checked on use). */
    public static KeepAmount count(int count) {
        if (count < 1) {
            throw new IllegalArgumentException("keep count: expected >= 1 but got " + count);
        }
        return new KeepAmount(Double.NaN, count);
    }

    public boolean isRatio() {
        return count == 0;
    }

    /** The requested number of units out of units, before rounding to a multiple. */
    public int requested(int units) {
        if (units < 1) {
            throw new IllegalArgumentException("units: expected >= 1 but got " + units);
        }
        if (isRatio()) {
            return (int) Math.max(1, Math.min(units, Math.floor(ratio * units + 0.5)));
        }
        if (count > units) {
            throw new IllegalArgumentException("keep count: expected at most the " + units + " units there are but got "
                    + count);
        }
        return count;
    }

    @Override
    public String toString() {
        return isRatio() ? "keep ratio " + ratio : "keep count " + count;
    }
}
