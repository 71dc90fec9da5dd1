package dev.sparsekernels.cpu;

import java.util.Arrays;

/**
 * A 2:4-sparse weight matrix W [out, in] prepared for {@link Sparse24Gemm}; immutable (inputs are copied).
 *
 * <p>Input format (the CPU 2:4 format shared with the C packer): {@code in % 4 == 0};
 * {@code values} float[out * in/2], per row the two kept elements of each group of 4 consecutive inputs, in
 * ascending position; {@code indices} byte[out * ((in + 7) / 8)], per row one nibble per group, group 2j in the low
 * nibble of byte j and group 2j+1 in the high nibble; nibble bits [1:0] = position (0..3) of the first kept element,
 * bits [3:2] = position of the second, first &lt; second (nibbles 0x4, 0x8, 0xC, 0x9, 0xD, 0xE). Kept values may be 0.
 *
 * <p>Prepared form: the kept values and, per kept element, the offset of the packed X^T row it multiplies inside
 * its K block's X^T sub-panel ({@code (column - k0) * 96}, 96 = the many-token panel width, k0 = first input of the
 * K block, as an {@code int}), both re-ordered K-block-major: for each block of {@link #K_BLOCK} inputs, all rows'
 * elements of that block one row after the other, so the kernels (which sweep all rows of a K block against one X^T
 * sub-panel of 64 inputs x 96 tokens = 24 KiB held in L1) read W as one sequential stream. The index nibbles are kept as
 * given (the one-token kernel decodes them). Memory: {@code out*in/2} floats + {@code out*in/2} ints + the index
 * bytes, about 2.06x the size of the values alone, or 1.03x a dense float W.
 */
public final class Sparse24Weights {
    /** Inputs per K block of the prepared layout (the many-token kernels use the same blocking). */
    static final int K_BLOCK = 64;

    private final int out;
    private final int in;
    private final float[] values;
    private final byte[] indices;
    private final int[] columns;

    private Sparse24Weights(int out, int in, float[] values, byte[] indices, int[] columns) {
        this.out = out;
        this.in = in;
        this.values = values;
        this.indices = indices;
        this.columns = columns;
    }

    /**
     * Validates and prepares. Throws IllegalArgumentException for bad shapes, wrong array lengths or an invalid
     * nibble (naming row and group).
     */
    public static Sparse24Weights of(float[] values, byte[] indices, int out, int in) {
        Checks.sparse24Shapes(values, indices, out, in);
        int half = in / 2;
        int groups = in / 4;
        int rowBytes = (in + 7) / 8;
        byte[] idx = indices.clone();
        float[] v = new float[values.length];
        int[] cols = new int[values.length];
        for (int o = 0; o < out; o++) {
            int io = o * rowBytes;
            for (int g = 0; g < groups; g++) {
                int b = idx[io + (g >>> 1)] & 0xff;
                int nib = Checks.nibble(idx, o, g, (g & 1) == 0 ? b & 0xf : b >>> 4);
                int src = o * half + 2 * g;
                int dst = blockedIndex(out, in, o, 2 * g);
                v[dst] = values[src];
                v[dst + 1] = values[src + 1];
                int rel = 4 * g - (4 * g) / K_BLOCK * K_BLOCK; // input column relative to its K block
                cols[dst] = (rel + (nib & 3)) * CpuKernels.SPARSE_NB;
                cols[dst + 1] = (rel + (nib >>> 2)) * CpuKernels.SPARSE_NB;
            }
        }
        return new Sparse24Weights(out, in, v, idx, cols);
    }

    /**
     * Packs a dense W [out, in] keeping, in each group of 4, the two entries of largest magnitude (ties to the lower
     * position): magnitude pruning to 2:4, mostly for tests and benchmarks.
     */
    public static Sparse24Weights pruneMagnitude(float[] w, int out, int in) {
        Checks.positive("out", out);
        Checks.positive("in", in);
        Checks.multipleOf4("in", in);
        Checks.notNull("w", w);
        Checks.length("w", w.length, out, in, "out*in");
        int half = in / 2;
        int rowBytes = (in + 7) / 8;
        float[] values = new float[out * half];
        byte[] indices = new byte[out * rowBytes];
        for (int o = 0; o < out; o++) {
            for (int g = 0; g < in / 4; g++) {
                int base = o * in + 4 * g;
                int best = 0;
                for (int p = 1; p < 4; p++) {
                    if (Math.abs(w[base + p]) > Math.abs(w[base + best])) {
                        best = p;
                    }
                }
                int second = best == 0 ? 1 : 0;
                for (int p = 0; p < 4; p++) {
                    if (p != best && Math.abs(w[base + p]) > Math.abs(w[base + second])) {
                        second = p;
                    }
                }
                int p0 = Math.min(best, second);
                int p1 = Math.max(best, second);
                values[o * half + 2 * g] = w[base + p0];
                values[o * half + 2 * g + 1] = w[base + p1];
                int nib = p0 | (p1 << 2);
                indices[o * rowBytes + g / 2] |= (byte) ((g & 1) == 0 ? nib : nib << 4);
            }
        }
        return of(values, indices, out, in);
    }

    public int out() {
        return out;
    }

    public int in() {
        return in;
    }

    /**
     * Index of element {@code e} (0 ≤ e < in/2) of row {@code o} in the K-block-major arrays: the block of
     * {@code K_BLOCK} inputs holding it starts at {@code out * k0/2}, rows follow each other inside a block.
     */
    static int blockedIndex(int out, int in, int o, int e) {
        int eb = K_BLOCK / 2;
        int e0 = e - e % eb; // first element of the block
        int n = Math.min(eb, in / 2 - e0);
        return out * e0 + o * n + (e - e0);
    }

    /** A copy of the kept values, in the input format. */
    public float[] values() {
        int half = in / 2;
        float[] v = new float[values.length];
        for (int o = 0; o < out; o++) {
            for (int e = 0; e < half; e++) {
                v[o * half + e] = values[blockedIndex(out, in, o, e)];
            }
        }
        return v;
    }

    /** A copy of the index nibbles, in the input format. */
    public byte[] indices() {
        return indices.clone();
    }

    /** The dense W [out, in] these weights stand for (zeros where pruned). */
    public float[] toDense() {
        float[] w = new float[Math.multiplyExact(out, in)];
        for (int o = 0; o < out; o++) {
            for (int e = 0; e < in / 2; e++) {
                int i = blockedIndex(out, in, o, e);
                int k0 = 2 * e / K_BLOCK * K_BLOCK;
                w[o * in + k0 + columns[i] / CpuKernels.SPARSE_NB] = values[i];
            }
        }
        return w;
    }

    /** Bytes held by this prepared form (values, per-element columns, index bytes). */
    public long memoryBytes() {
        return 4L * values.length + 4L * columns.length + indices.length;
    }

    /** Kept values, K-block-major (see {@link #blockedIndex}). */
    float[] valuesArray() {
        return values;
    }

    byte[] indicesArray() {
        return indices;
    }

    int[] columnsArray() {
        return columns;
    }

    @Override
    public String toString() {
        return "Sparse24Weights[out=" + out + ", in=" + in + ", " + memoryBytes() + " bytes]";
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Sparse24Weights && ((Sparse24Weights) o).out == out && ((Sparse24Weights) o).in == in
                && Arrays.equals(((Sparse24Weights) o).values, values)
                && Arrays.equals(((Sparse24Weights) o).indices, indices);
    }

    @Override
    public int hashCode() {
        return 31 * (31 * out + in) + Arrays.hashCode(values);
    }
}
