package dev.sparsekernels;

import dev.sparsekernels.cpu.Halfs;

/**
 * The layout the CUDA 2:4 kernel reads (byte for byte in docs/formats.md and native/include/sparsekernels.h):
 * values [Mp, Kp/2] as 16-bit F16/BF16, and metadata words ordered so that each warp loads one coalesced 32-bit word
 * per lane per k32 step for a pair of m16 tiles ("Variant P" in the PTX notes). Mp and Kp are rows and columns rounded
 * up to 32; padding holds zero values with positions (0,1).
 *
 * <p>The native library has an identical packer (sk_sparse24_pack); a test checks that both give the same bytes.
 */
public final class Sparse24GpuLayout {
    /** Nibble for padding groups: positions (0, 1), a legal ordered pair. */
    static final int PAD_NIBBLE = 0x4;

    private final int rows;
    private final int cols;
    private final DType valueType;
    private final short[] values;
    private final int[] meta;

    private Sparse24GpuLayout(int rows, int cols, DType valueType, short[] values, int[] meta) {
        this.rows = rows;
        this.cols = cols;
        this.valueType = valueType;
        this.values = values;
        this.meta = meta;
    }

    public static int paddedRows(int rows) {
        return roundUp32(rows);
    }

    public static int paddedCols(int cols) {
        return roundUp32(cols);
    }

    /** Packs CPU-format values (floats) and nibble indices into the GPU layout with valueType elements. */
    static Sparse24GpuLayout pack(float[] values, byte[] indices, int rows, int cols, DType valueType) {
        if (valueType != DType.F16 && valueType != DType.BF16) {
            throw new IllegalArgumentException("GPU value type: expected f16 or bf16 but got " + valueType);
        }
        int mp = roundUp32(rows);
        int kp = roundUp32(cols);
        int ks = kp / 32;
        int half = cols / 2;
        short[] gv = new short[mp * (kp / 2)];
        for (int r = 0; r < rows; r++) {
            for (int j = 0; j < half; j++) {
                float v = values[r * half + j];
                gv[r * (kp / 2) + j] = valueType == DType.F16 ? Halfs.f32ToF16(v) : Halfs.f32ToBf16(v);
            }
        }
        int stride = Sparse24Matrix.indexStride(cols);
        int[] meta = new int[(mp / 32) * ks * 32];
        for (int p = 0; p < mp / 32; p++) {
            for (int s = 0; s < ks; s++) {
                for (int l = 0; l < 32; l++) {
                    int g = l >> 2;
                    int t = l & 3;
                    int r0 = 32 * p + 16 * (t >> 1) + g;
                    int q = 2 * s + (t & 1);
                    int lo = halfWord(indices, stride, rows, cols, r0, q);
                    int hi = halfWord(indices, stride, rows, cols, r0 + 8, q);
                    meta[(p * ks + s) * 32 + l] = lo | (hi << 16);
                }
            }
        }
        return new Sparse24GpuLayout(rows, cols, valueType, gv, meta);
    }

    /** 16 bits of nibbles for row r, groups 4q..4q+3 (group 4q+c at bits 4c); padding groups read 0x4. */
    private static int halfWord(byte[] indices, int stride, int rows, int cols, int r, int q) {
        int word = 0;
        for (int c = 0; c < 4; c++) {
            int group = 4 * q + c;
            int nib = (r < rows && group < cols / 4) ? Sparse24Matrix.nibble(indices, stride, r, group) : PAD_NIBBLE;
            word |= nib << (4 * c);
        }
        return word;
    }

    private static int roundUp32(int n) {
        return (n + 31) & ~31;
    }

    public int rows() {
        return rows;
    }

    public int cols() {
        return cols;
    }

    public DType valueType() {
        return valueType;
    }

    /** 16-bit values [paddedRows, paddedCols/2] (a copy). */
    public short[] values() {
        return values.clone();
    }

    /** Metadata words (a copy). */
    public int[] meta() {
        return meta.clone();
    }

    short[] valuesView() {
        return values;
    }

    int[] metaView() {
        return meta;
    }
}
