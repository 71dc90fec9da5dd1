package dev.sparsekernels.prune;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Which units (channels, heads or KV groups) to keep, from their scores: the highest scores are kept. Kept indices
 * are returned ascending. Ties keep the lower index (and, globally, the earlier layer); NaN ranks above every number,
 * so a NaN weight is kept and propagates instead of vanishing silently. Rounding rules: docs/pruning.md.
 */
public final class ChannelSelection {
    private ChannelSelection() {
    }

    /**
     * Rounds a requested kept count to a multiple: the candidates are the positive multiples of {@code multiple} not
     * above {@code units}, plus {@code units} itself (keeping everything); the candidate nearest to
     * {@code requested} wins, ties to the larger. So at least one multiple is kept (or every unit, when there are
     * fewer than {@code multiple}).
     */
    public static int roundKept(int requested, int units, int multiple) {
        if (units < 1) {
            throw new IllegalArgumentException("units: expected >= 1 but got " + units);
        }
        if (multiple < 1) {
            throw new IllegalArgumentException("multiple: expected >= 1 but got " + multiple);
        }
        if (requested < 1 || requested > units) {
            throw new IllegalArgumentException("requested: expected 1.." + units + " but got " + requested);
        }
        int lo = requested / multiple * multiple; // largest multiple <= requested (may be 0)
        int hi = lo == requested ? lo : Math.min(units, lo + multiple);
        if (lo < multiple) {
            return hi; // min(units, multiple): at least one multiple, or every unit when there are fewer
        }
        return requested - lo < hi - requested ? lo : hi;
    }

    /** The kept count for units under keep, rounded by {@link #roundKept}. */
    public static int keptCount(int units, KeepAmount keep, int multiple) {
        if (keep == null) {
            throw new IllegalArgumentException("keep: expected a ratio or a count but got null");
        }
        return roundKept(keep.requested(units), units, multiple);
    }

    /** Indices of the k highest scores, ascending; ties to the lower index, NaN highest. */
    public static int[] topK(double[] scores, int k) {
        if (scores == null || scores.length == 0) {
            throw new IllegalArgumentException("scores: expected at least one score but got "
                    + (scores == null ? "null" : "none"));
        }
        if (k < 0 || k > scores.length) {
            throw new IllegalArgumentException("k: expected 0.." + scores.length + " but got " + k);
        }
        Integer[] order = new Integer[scores.length];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        Arrays.sort(order, (a, b) -> {
            int c = Double.compare(scores[b], scores[a]);
            return c != 0 ? c : Integer.compare(a, b);
        });
        int[] kept = new int[k];
        for (int i = 0; i < k; i++) {
            kept[i] = order[i];
        }
        Arrays.sort(kept);
        return kept;
    }

    /** Per layer: the {@link #keptCount} highest-scoring units, ascending. */
    public static int[] perLayer(double[] scores, KeepAmount keep, int multiple) {
        if (scores == null || scores.length == 0) {
            throw new IllegalArgumentException("scores: expected at least one score but got "
                    + (scores == null ? "null" : "none"));
        }
        return topK(scores, keptCount(scores.length, keep, multiple));
    }

    /**
     * Globally across layers: every layer's scores are standardised ({@link ChannelCriteria#standardize}), the
     * requested share of all units (keep applied to the total) is chosen from the pooled standardised scores, then
     * each layer's share is rounded by {@link #roundKept} (so every layer keeps at least one multiple) and that many of
     * its highest-scoring units are kept. The rounded total may differ from the request by less than one multiple per
     * layer.
     *
     * @return kept indices per layer, ascending, in the order of layerScores
     */
    public static List<int[]> global(List<double[]> layerScores, KeepAmount keep, int multiple) {
        if (layerScores == null || layerScores.isEmpty()) {
            throw new IllegalArgumentException("layerScores: expected at least one layer but got "
                    + (layerScores == null ? "null" : "none"));
        }
        if (keep == null) {
            throw new IllegalArgumentException("keep: expected a ratio or a count but got null");
        }
        int layers = layerScores.size();
        double[][] z = new double[layers][];
        long total = 0;
        for (int l = 0; l < layers; l++) {
            double[] s = layerScores.get(l);
            if (s == null || s.length == 0) {
                throw new IllegalArgumentException("layerScores[" + l + "]: expected at least one score but got "
                        + (s == null ? "null" : "none"));
            }
            z[l] = ChannelCriteria.standardize(s);
            total += s.length;
        }
        if (total > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("layerScores: expected < 2^31 units in all but got " + total);
        }
        int requested = keep.requested((int) total);
        long[] pooled = new long[(int) total]; // layer << 32 | index
        int p = 0;
        for (int l = 0; l < layers; l++) {
            for (int j = 0; j < z[l].length; j++) {
                pooled[p++] = ((long) l << 32) | j;
            }
        }
        Long[] order = new Long[pooled.length];
        for (int i = 0; i < order.length; i++) {
            order[i] = pooled[i];
        }
        Arrays.sort(order, (a, b) -> {
            int c = Double.compare(z[(int) (b >>> 32)][(int) (long) b], z[(int) (a >>> 32)][(int) (long) a]);
            return c != 0 ? c : Long.compare(a, b);
        });
        int[] share = new int[layers];
        for (int i = 0; i < requested; i++) {
            share[(int) (order[i] >>> 32)]++;
        }
        List<int[]> kept = new ArrayList<>(layers);
        for (int l = 0; l < layers; l++) {
            int units = z[l].length;
            int k = roundKept(Math.max(1, share[l]), units, multiple);
            kept.add(topK(z[l], k));
        }
        return kept;
    }
}
