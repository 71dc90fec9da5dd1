package dev.sparsekernels.prune;

import dev.sparsekernels.Tensor;
import dev.sparsekernels.channels.ChannelStatistics;

/**
 * Scores of the hidden channels between a producer W1 [hidden, in] and a consumer W2 [out, hidden]
 * (PyTorch nn.Linear layout): a larger score means more important, so the lowest-scoring channels are removed.
 * Pure functions, computed in double; formulas in docs/pruning.md. x_j is channel j of the activations entering W2.
 */
public final class ChannelCriteria {
    private ChannelCriteria() {
    }

    /** Σ_k |W1[j,k]| for every producer row j of w1 [hidden, in]. */
    public static double[] l1(float[] w1, int hidden, int in) {
        checkMatrix("w1", w1, hidden, in);
        double[] s = new double[hidden];
        for (int j = 0; j < hidden; j++) {
            double a = 0;
            for (int k = j * in, end = k + in; k < end; k++) {
                a += Math.abs(w1[k]);
            }
            s[j] = a;
        }
        return s;
    }

    /** sqrt(Σ_k W1[j,k]²) for every producer row j of w1 [hidden, in]. */
    public static double[] l2(float[] w1, int hidden, int in) {
        checkMatrix("w1", w1, hidden, in);
        double[] s = new double[hidden];
        for (int j = 0; j < hidden; j++) {
            double a = 0;
            for (int k = j * in, end = k + in; k < end; k++) {
                double v = w1[k];
                a += v * v;
            }
            s[j] = Math.sqrt(a);
        }
        return s;
    }

    /** Wanda-style: sqrt(meanSquare[j]) · Σ_i |W2[i,j]| for w2 [out, hidden]; meanSquare = mean(x_j²). */
    public static double[] wanda(float[] w2, int out, int hidden, double[] meanSquare) {
        checkMatrix("w2", w2, out, hidden);
        checkPerChannel("meanSquare", meanSquare, hidden);
        double[] s = columnSums(w2, out, hidden, false);
        for (int j = 0; j < hidden; j++) {
            s[j] *= Math.sqrt(meanSquare[j]);
        }
        return s;
    }

    /** FLAP's fluctuation before standardisation: variance[j] · Σ_i W2[i,j]² for w2 [out, hidden]. */
    public static double[] fluctuation(float[] w2, int out, int hidden, double[] variance) {
        checkMatrix("w2", w2, out, hidden);
        checkPerChannel("variance", variance, hidden);
        double[] s = columnSums(w2, out, hidden, true);
        for (int j = 0; j < hidden; j++) {
            s[j] *= variance[j];
        }
        return s;
    }

    /** FLAP: {@link #standardize standardize}(fluctuation), so layers compare on one scale. */
    public static double[] flap(float[] w2, int out, int hidden, double[] variance) {
        return standardize(fluctuation(w2, out, hidden, variance));
    }

    /**
     * (s - mean(s)) / std(s) with the population std; all zeros when every score is equal (std = 0). NaN scores are
     * left out of the mean and std and stay NaN.
     */
    public static double[] standardize(double[] scores) {
        if (scores == null || scores.length == 0) {
            throw new IllegalArgumentException("scores: expected at least one score but got "
                    + (scores == null ? "null" : "none"));
        }
        double sum = 0;
        int n = 0;
        for (double v : scores) {
            if (!Double.isNaN(v)) {
                sum += v;
                n++;
            }
        }
        double mean = n == 0 ? 0 : sum / n;
        double sq = 0;
        for (double v : scores) {
            if (!Double.isNaN(v)) {
                sq += (v - mean) * (v - mean);
            }
        }
        double std = n == 0 ? 0 : Math.sqrt(sq / n);
        double[] z = new double[scores.length];
        for (int j = 0; j < scores.length; j++) {
            double v = scores[j];
            z[j] = Double.isNaN(v) ? v : (std > 0 && Double.isFinite(std) ? (v - mean) / std : 0.0);
        }
        return z;
    }

    /** A head's score is the mean of its headDim channels' scores: channels h·D .. h·D+D-1 form head h. */
    public static double[] headScores(double[] channelScores, int headDim) {
        if (channelScores == null) {
            throw new IllegalArgumentException("channelScores: expected one score per channel but got null");
        }
        return groupMeans("headDim", channelScores, headDim);
    }

    /**
     * Grouped-query attention: query heads g·r .. g·r+r-1 share KV head g (r = queryHeads / kvHeads, the layout of
     * PyTorch's repeat_kv); a KV group's score is the mean of its query heads' scores.
     */
    public static double[] groupScores(double[] queryHeadScores, int kvHeads) {
        if (queryHeadScores == null) {
            throw new IllegalArgumentException("queryHeadScores: expected one score per query head but got null");
        }
        if (kvHeads < 1 || queryHeadScores.length % kvHeads != 0) {
            throw new IllegalArgumentException("kvHeads: expected a divisor of the " + queryHeadScores.length
                    + " query heads but got " + kvHeads);
        }
        return groupMeans("headsPerGroup", queryHeadScores, queryHeadScores.length / kvHeads);
    }

    /**
     * The scores of a criterion for the pair W1 [hidden, in] → W2 [out, hidden]; stats (of the activations entering
     * W2) is needed by WANDA and FLAP and ignored otherwise.
     */
    public static double[] score(ChannelCriterion criterion, Tensor w1, Tensor w2, ChannelStatistics stats) {
        if (criterion == null) {
            throw new IllegalArgumentException("criterion: expected l1, l2, wanda or flap but got null");
        }
        int[] p = matrix("w1", w1);
        int[] c = matrix("w2", w2);
        if (c[1] != p[0]) {
            throw new IllegalArgumentException("w2: expected [out, " + p[0] + "] (in = w1's hidden " + p[0]
                    + ") but got [" + c[0] + ", " + c[1] + "]");
        }
        int hidden = p[0];
        if (criterion.needsActivations()) {
            if (stats == null) {
                throw new IllegalArgumentException("stats: criterion " + criterion.cliName()
                        + " needs statistics of the activations entering w2 but got null");
            }
            if (stats.channels() != hidden) {
                throw new IllegalArgumentException("stats: expected " + hidden + " channels (w2's in) but got "
                        + stats.channels());
            }
        }
        switch (criterion) {
            case L1:
                return l1(w1.toFloatArray(), hidden, p[1]);
            case L2:
                return l2(w1.toFloatArray(), hidden, p[1]);
            case WANDA:
                return wanda(w2.toFloatArray(), c[0], hidden, stats.meanSquare());
            case FLAP:
                return flap(w2.toFloatArray(), c[0], hidden, stats.variance());
            default:
                throw new AssertionError(criterion);
        }
    }

    private static double[] groupMeans(String name, double[] scores, int size) {
        if (size < 1 || scores.length % size != 0) {
            throw new IllegalArgumentException(name + ": expected a divisor of " + scores.length + " but got " + size);
        }
        double[] g = new double[scores.length / size];
        for (int h = 0; h < g.length; h++) {
            double s = 0;
            for (int j = h * size; j < (h + 1) * size; j++) {
                s += scores[j];
            }
            g[h] = s / size;
        }
        return g;
    }

    /** Σ_i |W[i,j]| or Σ_i W[i,j]² per column j, row by row (sequential memory access). */
    private static double[] columnSums(float[] w, int rows, int cols, boolean squares) {
        double[] s = new double[cols];
        for (int i = 0; i < rows; i++) {
            int base = i * cols;
            if (squares) {
                for (int j = 0; j < cols; j++) {
                    double v = w[base + j];
                    s[j] += v * v;
                }
            } else {
                for (int j = 0; j < cols; j++) {
                    s[j] += Math.abs(w[base + j]);
                }
            }
        }
        return s;
    }

    private static int[] matrix(String name, Tensor t) {
        if (t == null) {
            throw new IllegalArgumentException(name + ": expected a rank-2 tensor but got null");
        }
        return t.matrixShape(name);
    }

    static void checkMatrix(String name, float[] w, int rows, int cols) {
        if (rows < 1 || cols < 1) {
            throw new IllegalArgumentException(name + " shape: expected positive [rows, cols] but got [" + rows + ", "
                    + cols + "]");
        }
        if (w == null || w.length != (long) rows * cols) {
            throw new IllegalArgumentException(name + ": expected " + ((long) rows * cols) + " elements for [" + rows
                    + ", " + cols + "] but got " + (w == null ? "null" : w.length));
        }
    }

    private static void checkPerChannel(String name, double[] v, int hidden) {
        if (v == null || v.length != hidden) {
            throw new IllegalArgumentException(name + ": expected " + hidden + " values (one per channel) but got "
                    + (v == null ? "null" : v.length));
        }
    }
}
