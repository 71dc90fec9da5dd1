package dev.sparsekernels;

import dev.sparsekernels.cpu.Sparse24Weights;
import dev.sparsekernels.prune.Sparse24Pruner;

/**
 * A 2:4 semi-structured sparse weight W [out, in] (PyTorch nn.Linear layout): in every group of 4 consecutive
 * inputs of a row, at most 2 elements are non-zero. Stored compressed (see docs/formats.md):
 * <ul>
 *   <li>values [out, in/2]: the two kept elements of each group, ascending position;</li>
 *   <li>indices [out, ceil(in/8)] bytes: a nibble per group (group 2j low, 2j+1 high), bits [1:0] the first kept
 *       position, bits [3:2] the second.</li>
 * </ul>
 * The GPU layout ({@link Sparse24GpuLayout}) is derived from this on demand.
 *
 * <p>{@link #dtype()} is the precision of the values: a matrix built from an F16 tensor holds values exactly
 * representable in F16, so the CPU twin and the GPU kernel see the same weights. Closing releases device copies.
 */
public final class Sparse24Matrix extends WeightMatrix {
    private final float[] values;
    private final byte[] indices;

    private Sparse24Matrix(int rows, int cols, DType dtype, float[] values, byte[] indices) {
        super("2:4 matrix [" + rows + ", " + cols + "]", rows, cols, dtype);
        this.values = values;
        this.indices = indices;
    }

    /** Magnitude 2:4 pruning of a dense W [out, in]: keeps the 2 largest |w| of every 4 along in. */
    public static Sparse24Matrix prune(Tensor w) {
        int[] rc = matrixShape(w);
        float[] dense = w.toFloatArray();
        return compress(dense, rc[0], rc[1], Sparse24Pruner.magnitude(dense, rc[0], rc[1]), w.dtype());
    }

    /** Wanda-style 2:4 pruning: keeps the 2 largest |w[i][j]| * inputNorm[j] of every 4 along in. */
    public static Sparse24Matrix prune(Tensor w, float[] inputNorm) {
        int[] rc = matrixShape(w);
        float[] dense = w.toFloatArray();
        return compress(dense, rc[0], rc[1], Sparse24Pruner.wanda(dense, rc[0], rc[1], inputNorm), w.dtype());
    }

    /**
     * Accepts a W that is already 2:4 and compresses it.
     *
     * @throws NotSparse24Exception naming the first row and group with more than 2 non-zeros (-0.0 counts as zero)
     */
    public static Sparse24Matrix fromPruned(Tensor w) {
        int[] rc = matrixShape(w);
        float[] dense = w.toFloatArray();
        validate(dense, rc[0], rc[1]);
        // With at most 2 non-zeros per group, magnitude selection keeps every non-zero, so compression is exact.
        return compress(dense, rc[0], rc[1], Sparse24Pruner.magnitude(dense, rc[0], rc[1]), w.dtype());
    }

    /** Builds a matrix directly from the compressed arrays (copied), validating every nibble. */
    public static Sparse24Matrix fromCompressed(DType dtype, int rows, int cols, float[] values, byte[] indices) {
        checkDims(rows, cols);
        int stride = indexStride(cols);
        if (values == null || values.length != (long) rows * cols / 2) {
            throw new IllegalArgumentException("values: expected " + ((long) rows * cols / 2) + " elements but got "
                    + (values == null ? "null" : values.length));
        }
        if (indices == null || indices.length != (long) rows * stride) {
            throw new IllegalArgumentException("indices: expected " + ((long) rows * stride) + " bytes but got "
                    + (indices == null ? "null" : indices.length));
        }
        ValuesInDType.check("values", dtype, values);
        for (int r = 0; r < rows; r++) {
            for (int g = 0; g < cols / 4; g++) {
                int nib = nibble(indices, stride, r, g);
                if (!isValidNibble(nib)) {
                    throw new IllegalArgumentException("indices: row " + r + ", group " + g + " has nibble 0x"
                            + Integer.toHexString(nib) + "; expected positions i0 < i1 (0x4,0x8,0xC,0x9,0xD,0xE)");
                }
            }
        }
        return new Sparse24Matrix(rows, cols, dtype, values.clone(), indices.clone());
    }

    /** Throws NotSparse24Exception at the first group of 4 with more than 2 non-zeros. */
    public static void validate(float[] w, int rows, int cols) {
        checkDims(rows, cols);
        if (w == null || w.length != (long) rows * cols) {
            throw new IllegalArgumentException("w: expected " + ((long) rows * cols) + " elements (" + rows + " x "
                    + cols + ") but got " + (w == null ? "null" : w.length));
        }
        for (int r = 0; r < rows; r++) {
            for (int g = 0; g < cols / 4; g++) {
                int base = r * cols + 4 * g;
                int nz = 0;
                for (int i = 0; i < 4; i++) {
                    if (w[base + i] != 0.0f) { // -0.0f == 0.0f, NaN != 0: NaN counts as a value
                        nz++;
                    }
                }
                if (nz > 2) {
                    throw new NotSparse24Exception(r, g, nz);
                }
            }
        }
    }

    /** A copy of the compressed values [out, in/2]. */
    public float[] values() {
        return live().values.clone();
    }

    /** A copy of the nibble indices [out, ceil(in/8)]. */
    public byte[] indices() {
        return live().indices.clone();
    }

    /** Bytes per row of {@link #indices()}. */
    public static int indexStride(int cols) {
        return (cols / 4 + 1) / 2;
    }

    /** The dense W [out, in] with the pruned zeros, as floats. */
    public float[] toDenseArray() {
        live();
        float[] dense = new float[rows * cols];
        int stride = indexStride(cols);
        for (int r = 0; r < rows; r++) {
            for (int g = 0; g < cols / 4; g++) {
                int nib = nibble(indices, stride, r, g);
                int v = r * (cols / 2) + 2 * g;
                dense[r * cols + 4 * g + (nib & 3)] = values[v];
                dense[r * cols + 4 * g + ((nib >> 2) & 3)] = values[v + 1];
            }
        }
        return dense;
    }

    /** The dense W as an F32 tensor. */
    public Tensor toDense() {
        return Tensor.of(toDenseArray(), rows, cols);
    }

    /** The GPU layout with values in a 16-bit dtype (F16 or BF16). */
    public Sparse24GpuLayout gpuLayout(DType valueType) {
        live();
        return Sparse24GpuLayout.pack(values, indices, rows, cols, valueType);
    }

    /** The prepared form the CPU kernel runs on; built once and cached. */
    public Sparse24Weights cpuWeights() {
        return cpuForm(() -> Sparse24Weights.of(values, indices, rows, cols));
    }

    @Override
    public String toString() {
        return "Sparse24Matrix[" + rows + ", " + cols + "] " + dtype + (isClosed() ? " (closed)" : "");
    }

    static int nibble(byte[] indices, int stride, int row, int group) {
        int b = indices[row * stride + (group >> 1)] & 0xFF;
        return (group & 1) == 0 ? b & 0xF : b >>> 4;
    }

    static boolean isValidNibble(int nib) {
        int i0 = nib & 3;
        int i1 = (nib >> 2) & 3;
        return i0 < i1;
    }

    private Sparse24Matrix live() {
        checkOpen();
        return this;
    }

    private static Sparse24Matrix compress(float[] dense, int rows, int cols, byte[] groupNibbles, DType dtype) {
        int groups = cols / 4;
        int stride = indexStride(cols);
        float[] values = new float[rows * (cols / 2)];
        byte[] indices = new byte[rows * stride];
        for (int r = 0; r < rows; r++) {
            for (int g = 0; g < groups; g++) {
                int nib = groupNibbles[r * groups + g];
                values[r * (cols / 2) + 2 * g] = dense[r * cols + 4 * g + (nib & 3)];
                values[r * (cols / 2) + 2 * g + 1] = dense[r * cols + 4 * g + ((nib >> 2) & 3)];
                indices[r * stride + (g >> 1)] |= (byte) ((g & 1) == 0 ? nib : nib << 4);
            }
        }
        return new Sparse24Matrix(rows, cols, dtype, values, indices);
    }

    private static int[] matrixShape(Tensor w) {
        if (w == null) {
            throw new IllegalArgumentException("W: expected a [out, in] tensor but got null");
        }
        int[] rc = w.matrixShape("W");
        checkDims(rc[0], rc[1]);
        return rc;
    }

    private static void checkDims(int rows, int cols) {
        if (rows < 1 || cols < 1) {
            throw new IllegalArgumentException("W shape: expected positive [out, in] but got [" + rows + ", " + cols
                    + "]");
        }
        if (cols % 4 != 0) {
            throw new IllegalArgumentException("W in (columns): expected a multiple of 4 for 2:4 sparsity but got "
                    + cols);
        }
        if ((long) rows * cols > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("W [" + rows + ", " + cols + "]: more than 2^31-1 elements");
        }
    }
}
