package dev.sparsekernels.bindings;

/**
 * Plain-Java reading of the GPU layout described in sparsekernels.h, written from the header alone, so the
 * pack test checks the C code against the contract and not only the two bindings against each other.
 */
final class Sparse24Reference {
    private static final int PAD_NIBBLE = 0x4;

    private Sparse24Reference() {
    }

    static int roundUp32(int v) {
        return (v + 31) / 32 * 32;
    }

    /** gpu_values [Mp, Kp/2]: each CPU row [cols/2] at the start of its row, zeros elsewhere. */
    static short[] gpuValues(short[] values, int rows, int cols) {
        int mp = roundUp32(rows);
        int kp = roundUp32(cols);
        short[] out = new short[mp * kp / 2];
        for (int r = 0; r < rows; r++) {
            System.arraycopy(values, r * cols / 2, out, r * kp / 2, cols / 2);
        }
        return out;
    }

    /** gpu_meta words, by the formula of the header. */
    static int[] gpuMeta(byte[] indices, int rows, int cols) {
        int mp = roundUp32(rows);
        int ks = roundUp32(cols) / 32;
        int[] meta = new int[mp / 32 * ks * 32];
        for (int p = 0; p < mp / 32; p++) {
            for (int s = 0; s < ks; s++) {
                for (int l = 0; l < 32; l++) {
                    int g = l >> 2;
                    int t = l & 3;
                    int row = 32 * p + 16 * (t >> 1) + g;
                    int q = 2 * s + (t & 1);
                    meta[(p * ks + s) * 32 + l] = half(indices, rows, cols, row, q) | half(indices, rows, cols, row + 8, q) << 16;
                }
            }
        }
        return meta;
    }

    /** The 16-bit word of nibbles of row r, groups 4q..4q+3 (group 4q+c at bits 4c). */
    private static int half(byte[] indices, int rows, int cols, int r, int q) {
        int h = 0;
        for (int c = 0; c < 4; c++) {
            h |= nibble(indices, rows, cols, r, 4 * q + c) << (4 * c);
        }
        return h;
    }

    private static int nibble(byte[] indices, int rows, int cols, int r, int group) {
        if (r >= rows || group >= cols / 4) {
            return PAD_NIBBLE;
        }
        int b = indices[r * ((cols + 7) / 8) + group / 2] & 0xFF;
        return (group & 1) == 0 ? b & 0xF : b >> 4;
    }
}
