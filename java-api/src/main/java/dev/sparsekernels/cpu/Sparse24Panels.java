package dev.sparsekernels.cpu;

/**
 * A 2:4 weight prepared for repeated calls with many tokens (a model's layers), in the roles of the dense prepared
 * path ({@link DenseWeights}): Y is written in place, X is read where it lies, nothing is packed or transposed per
 * call. Immutable.
 *
 * <p>Layout: the output rows in panels of 16 (the last one zero-padded), and per panel, per group of 4 inputs, 32
 * values and 32 positions: {@code [panel][group][slot][16]}, slot 0 the first kept element of each of the panel's
 * 16 rows, slot 1 the second; a position is 0..3 inside the group. The kernels load a group's 4 inputs of one token
 * and pick each row's input with a lane permute: one FMA then serves 16 rows, all of them kept weights (the one-off
 * path's kernels, vectorized over tokens, need an X^T load per FMA and a packed copy of X). Used where the kernels
 * say it pays ({@link CpuKernels#sparsePanels}): with 512-bit permutes it runs at about 240 dense-equivalent GFLOPS
 * per core on hot data, against about 175 for the dense kernel.
 *
 * <p>Memory: {@code ceil(out/16)*16 * in/2} floats and as many ints, about the size of a dense float W.
 */
public final class Sparse24Panels {
    static final int ROWS = 16;

    private final int out;
    private final int in;
    private final float[] values;
    private final int[] positions;

    private Sparse24Panels(int out, int in, float[] values, int[] positions) {
        this.out = out;
        this.in = in;
        this.values = values;
        this.positions = positions;
    }

    /** Re-lays the kept values and positions of w (copied). */
    public static Sparse24Panels of(Sparse24Weights w) {
        Checks.notNull("w", w);
        int out = w.out(), in = w.in();
        int groups = in / 4;
        int panels = GemmDriver.ceilDiv(out, ROWS);
        long n = (long) panels * groups * 2 * ROWS;
        if (n > Integer.MAX_VALUE - 16) {
            throw new IllegalArgumentException("w: " + out + " x " + in + " is too large for one prepared 2:4 weight ("
                    + n + " values, at most " + (Integer.MAX_VALUE - 16) + ")");
        }
        float[] vals = new float[(int) n];
        int[] pos = new int[(int) n];
        float[] v = w.values();
        byte[] idx = w.indices();
        int half = in / 2, rowBytes = (in + 7) / 8;
        for (int o = 0; o < out; o++) {
            int p = o / ROWS, j = o % ROWS;
            for (int g = 0; g < groups; g++) {
                int b = idx[o * rowBytes + (g >>> 1)] & 0xff;
                int nib = (g & 1) == 0 ? b & 0xf : b >>> 4;
                int d = ((p * groups + g) * 2) * ROWS + j;
                vals[d] = v[o * half + 2 * g];
                pos[d] = nib & 3;
                vals[d + ROWS] = v[o * half + 2 * g + 1];
                pos[d + ROWS] = nib >>> 2;
            }
        }
        return new Sparse24Panels(out, in, vals, pos);
    }

    public int out() {
        return out;
    }

    public int in() {
        return in;
    }

    float[] values() {
        return values;
    }

    int[] positions() {
        return positions;
    }

    /** Start of panel p's group g in {@link #values()} and {@link #positions()}. */
    int start(int p, int g) {
        return (p * (in / 4) + g) * 2 * ROWS;
    }

    /** Bytes held by this prepared form. */
    public long memoryBytes() {
        return 4L * values.length + 4L * positions.length;
    }
}
