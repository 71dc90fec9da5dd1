package dev.sparsekernels.djl;

import java.util.Arrays;
import java.util.Comparator;
import java.util.stream.IntStream;

/**
 * Test support: the pruning masks written out here from their definitions, independent of the library's pruners,
 * so a sparsified model can be compared with its masked dense twin. Scores are products of |w| and a per-input
 * scale (1 for magnitude, the input RMS for Wanda). Random weights make ties improbable.
 */
final class Masks {
    private Masks() {
    }

    static double[] ones(int n) {
        double[] s = new double[n];
        Arrays.fill(s, 1);
        return s;
    }

    /** 2:4: in every group of 4 along in, the 2 largest |w|·scale[j] stay, the other 2 become 0. */
    static float[] twoFour(float[] w, int out, int in, double[] scale) {
        float[] m = w.clone();
        for (int r = 0; r < out; r++) {
            for (int g = 0; g < in; g += 4) {
                final int base = r * in + g;
                final int g0 = g;
                Integer[] idx = {0, 1, 2, 3};
                Arrays.sort(idx, Comparator.comparingDouble(i -> -Math.abs(w[base + i]) * scale[g0 + i]));
                m[base + idx[2]] = 0f;
                m[base + idx[3]] = 0f;
            }
        }
        return m;
    }

    /** Blocks: the round(density · blocks) tiles with the largest L2 norm of w·scale[j] stay. */
    static float[] blocks(float[] w, int out, int in, int br, int bc, double density, double[] scale) {
        int nbr = out / br;
        int nbc = in / bc;
        double[] norm = new double[nbr * nbc];
        for (int r = 0; r < out; r++) {
            for (int c = 0; c < in; c++) {
                double v = w[r * in + c] * scale[c];
                norm[(r / br) * nbc + c / bc] += v * v;
            }
        }
        int keep = (int) Math.round(density * norm.length);
        boolean[] kept = new boolean[norm.length];
        IntStream.range(0, norm.length).boxed().sorted(Comparator.comparingDouble(b -> -norm[b])).limit(keep)
                .forEach(b -> kept[b] = true);
        float[] m = w.clone();
        for (int r = 0; r < out; r++) {
            for (int c = 0; c < in; c++) {
                if (!kept[(r / br) * nbc + c / bc]) {
                    m[r * in + c] = 0f;
                }
            }
        }
        return m;
    }

    /** The keep channels of the highest score, ascending. */
    static int[] topChannels(double[] score, int keep) {
        return IntStream.range(0, score.length).boxed().sorted(Comparator.comparingDouble(j -> -score[j]))
                .limit(keep).mapToInt(Integer::intValue).sorted().toArray();
    }

    /** L2 norm of each row of w [rows, cols]. */
    static double[] rowNorms(float[] w, int rows, int cols) {
        double[] n = new double[rows];
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                n[r] += (double) w[r * cols + c] * w[r * cols + c];
            }
            n[r] = Math.sqrt(n[r]);
        }
        return n;
    }

    /** w [rows, cols] with the rows not in kept set to 0 (b, a [rows] vector, likewise when given). */
    static float[] zeroRowsExcept(float[] w, int rows, int cols, int[] kept) {
        float[] m = new float[w.length];
        for (int r : kept) {
            System.arraycopy(w, r * cols, m, r * cols, cols);
        }
        return m;
    }

    /** Root mean square of each column of x [rows, cols], in double. */
    static double[] columnRms(float[] x, int rows, int cols) {
        double[] s = new double[cols];
        for (int i = 0; i < x.length; i++) {
            s[i % cols] += (double) x[i] * x[i];
        }
        for (int j = 0; j < cols; j++) {
            s[j] = Math.sqrt(s[j] / rows);
        }
        return s;
    }

    /** relu(x · wᵀ + b) in double: the activations entering the second layer of the test MLP. */
    static float[] reluLayer(float[] x, int rows, int in, float[] w, float[] b, int out) {
        float[] y = new float[rows * out];
        for (int t = 0; t < rows; t++) {
            for (int o = 0; o < out; o++) {
                double s = b[o];
                for (int i = 0; i < in; i++) {
                    s += (double) x[t * in + i] * w[o * in + i];
                }
                y[t * out + o] = (float) Math.max(0, s);
            }
        }
        return y;
    }
}
