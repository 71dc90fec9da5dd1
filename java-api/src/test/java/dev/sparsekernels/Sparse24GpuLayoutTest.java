package dev.sparsekernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.sparsekernels.cpu.Halfs;
import org.junit.jupiter.api.Test;

class Sparse24GpuLayoutTest {
    /** Positions (i0, i1) per nibble value. */
    private static int nibble(int i0, int i1) {
        return (i1 << 2) | i0;
    }

    private static float[] rowWithPatterns(int[][] pairs, int cols) {
        float[] row = new float[cols];
        for (int c = 0; c < pairs.length; c++) {
            row[4 * c + pairs[c][0]] = 1 + c;
            row[4 * c + pairs[c][1]] = -(1 + c);
        }
        return row;
    }

    @Test
    void metadataWordsMatchTheWorkedExampleOfThePtxNotes() {
        // Section 1.6 of the PTX notes: rows 2 and 10 of a 32x32 tile, kept positions per chunk 0..7.
        int[][] row2 = {{0, 2}, {1, 3}, {0, 1}, {2, 3}, {0, 3}, {1, 2}, {0, 1}, {1, 3}};
        int[][] row10 = {{1, 2}, {0, 3}, {0, 1}, {0, 2}, {2, 3}, {0, 1}, {1, 3}, {0, 2}};
        float[] w = new float[32 * 32];
        System.arraycopy(rowWithPatterns(row2, 32), 0, w, 2 * 32, 32);
        System.arraycopy(rowWithPatterns(row10, 32), 0, w, 10 * 32, 32);
        try (Tensor t = Tensor.of(w, 32, 32); Sparse24Matrix s = Sparse24Matrix.fromPruned(t)) {
            int[] meta = s.gpuLayout(DType.F16).meta();
            assertEquals(32, meta.length);
            assertEquals(0x84C9E4D8, meta[8], "lane 8 (selector 0, logical cols 0-15)");
            assertEquals(0x8D4ED49C, meta[9], "lane 9 (selector 0, logical cols 16-31)");
            // rows 0 and 8 are all zero: every nibble (0,1)
            assertEquals(0x44444444, meta[0]);
            assertEquals(nibble(0, 2), meta[8] & 0xF);
        }
    }

    @Test
    void paddingUsesZeroValuesAndPositionsZeroOne() {
        // 3 rows x 8 cols: padded to 32 x 32
        float[] w = {0, 1, 2, 0, 3, 0, 0, 4, /**/ 5, 6, 0, 0, 0, 0, 7, 8, /**/ 0, 0, 0, 0, 0, 0, 0, 9};
        try (Tensor t = Tensor.of(w, 3, 8); Sparse24Matrix s = Sparse24Matrix.fromPruned(t)) {
            Sparse24GpuLayout g = s.gpuLayout(DType.BF16);
            short[] v = g.values();
            assertEquals(32 * 16, v.length);
            assertEquals(Halfs.f32ToBf16(1), v[0]);
            assertEquals(Halfs.f32ToBf16(2), v[1]);
            assertEquals(Halfs.f32ToBf16(9), v[2 * 16 + 3]);
            assertEquals(0, v[2 * 16 + 4]);
            assertEquals(0, v[31 * 16 + 15]);
            int[] meta = g.meta();
            assertEquals(32, meta.length);
            // lane 0: row 0 groups 0..3 = (1,2),(0,3),pad,pad and row 8 (padding) in the high half
            int expectedLow = nibble(1, 2) | nibble(0, 3) << 4 | 0x4 << 8 | 0x4 << 12;
            assertEquals(expectedLow | 0x4444 << 16, meta[0]);
        }
    }

    @Test
    void onlyHalfPrecisionValueTypesAreAccepted() {
        try (Tensor t = Tensor.of(new float[4], 1, 4); Sparse24Matrix s = Sparse24Matrix.prune(t)) {
            assertThrows(IllegalArgumentException.class, () -> s.gpuLayout(DType.F32));
        }
    }
}
