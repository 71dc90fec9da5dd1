package dev.sparsekernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sparsekernels.prune.BlockPruner.Balance;
import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

class BlockSparseMatrixTest {

    /** W [rows, cols] whose block (r, c) of size br x bc is filled with value(r, c) (0 = empty block). */
    private static float[] blocky(int rows, int cols, int br, int bc, float[][] value) {
        float[] w = new float[rows * cols];
        for (int i = 0; i < rows; i++) {
            for (int j = 0; j < cols; j++) {
                w[i * cols + j] = value[i / br][j / bc];
            }
        }
        return w;
    }

    @Test
    void fromDenseKeepsExactlyTheNonZeroBlocks() {
        float[][] v = {{1, 0, 2}, {0, 0, 0}, {0, 3, 0}};
        float[] w = blocky(48, 96, 16, 32, v);
        w[16 * 96 + 70] = -0.0f; // negative zero does not make a block non-zero
        try (Tensor t = Tensor.of(w, 48, 96); BlockSparseMatrix m = BlockSparseMatrix.fromDense(t, 16, 32)) {
            assertArrayEquals(new int[] {0, 2, 2, 3}, m.rowPointers());
            assertArrayEquals(new int[] {0, 2, 1}, m.columnIndices());
            assertEquals(3, m.blockCount());
            assertEquals(16 * 32 * 3, m.values().length);
            w[16 * 96 + 70] = 0.0f; // an unstored block reads back as +0.0
            assertArrayEquals(w, m.toDenseArray());
            assertEquals(3.0 / 9, m.density(), 1e-12);
        }
    }

    @Test
    void globalPruningKeepsTheLargestNormBlocksRoundedCount() {
        float[][] v = {{1, 5, 2, 4}, {3, 0.5f, 6, 7}};
        float[] w = blocky(32, 64, 16, 16, v);
        try (Tensor t = Tensor.of(w, 32, 64); BlockSparseMatrix m = BlockSparseMatrix.prune(t, 16, 16, 0.5)) {
            // 8 blocks, keep 4: norms 7, 6, 5, 4
            assertArrayEquals(new int[] {0, 2, 4}, m.rowPointers());
            assertArrayEquals(new int[] {1, 3, 2, 3}, m.columnIndices());
        }
        try (Tensor t = Tensor.of(w, 32, 64);
                BlockSparseMatrix m = BlockSparseMatrix.prune(t, 16, 16, 0.5, Balance.PER_BLOCK_ROW)) {
            assertArrayEquals(new int[] {0, 2, 4}, m.rowPointers());
            assertArrayEquals(new int[] {1, 3, 2, 3}, m.columnIndices());
        }
        try (Tensor t = Tensor.of(w, 32, 64);
                BlockSparseMatrix m = BlockSparseMatrix.prune(t, 16, 16, 0.25, Balance.PER_BLOCK_ROW)) {
            assertArrayEquals(new int[] {0, 1, 2}, m.rowPointers());
            assertArrayEquals(new int[] {1, 3}, m.columnIndices());
        }
    }

    @Test
    void tiesKeepTheEarlierBlockAndEmptyRowsWork() {
        float[][] v = {{1, 1}, {1, 1}};
        float[] w = blocky(64, 64, 32, 32, v);
        try (Tensor t = Tensor.of(w, 64, 64); BlockSparseMatrix m = BlockSparseMatrix.prune(t, 32, 32, 0.25)) {
            assertArrayEquals(new int[] {0, 1, 1}, m.rowPointers());
            assertArrayEquals(new int[] {0}, m.columnIndices());
        }
        try (Tensor t = Tensor.of(new float[64 * 64], 64, 64);
                BlockSparseMatrix m = BlockSparseMatrix.fromDense(t, 64, 64)) {
            assertEquals(0, m.blockCount());
            assertArrayEquals(new float[64 * 64], m.toDenseArray());
        }
    }

    @Test
    void badArgumentsAreNamed() {
        try (Tensor t = Tensor.of(new float[48 * 64], 48, 64)) {
            assertMessage(() -> BlockSparseMatrix.prune(t, 32, 32, 0.5), "not divisible by the block rows 32");
            assertMessage(() -> BlockSparseMatrix.prune(t, 16, 24, 0.5), "block cols: expected 16, 32 or 64");
            assertMessage(() -> BlockSparseMatrix.prune(t, 16, 16, 0), "density");
            assertMessage(() -> BlockSparseMatrix.prune(t, 16, 16, 1.5), "density");
            assertMessage(() -> BlockSparseMatrix.prune(t, 16, 16, Double.NaN), "density");
        }
        assertMessage(() -> BlockSparseMatrix.fromArrays(DType.F32, 32, 32, 16, 16, new int[] {0, 2, 2},
                new int[] {1, 0}, new float[2 * 256]), "ascending");
        assertMessage(() -> BlockSparseMatrix.fromArrays(DType.F32, 32, 32, 16, 16, new int[] {0, 1, 1},
                new int[] {2}, new float[256]), "columnIndices[0]");
        assertMessage(() -> BlockSparseMatrix.parseBlockShape("32x8"), "block cols: expected 16, 32 or 64 but got 8");
        assertMessage(() -> BlockSparseMatrix.parseBlockShape("32y32"), "block shape");
        assertArrayEquals(new int[] {32, 64}, BlockSparseMatrix.parseBlockShape("32x64"));
        assertArrayEquals(new int[] {16, 16}, BlockSparseMatrix.parseBlockShape("16"));
    }

    @Test
    void cpuWeightsArePreparedOnceAndDroppedOnClose() {
        Random r = new Random(7);
        float[] w = new float[64 * 96];
        for (int i = 0; i < w.length; i++) {
            w[i] = (float) r.nextGaussian();
        }
        BlockSparseMatrix m;
        try (Tensor t = Tensor.of(w, 64, 96)) {
            m = BlockSparseMatrix.prune(t, 32, 32, 0.5);
        }
        dev.sparsekernels.cpu.BsrWeights p = m.cpuWeights();
        assertTrue(p == m.cpuWeights(), "cached");
        assertEquals(m.blockCount(), p.blockCount());
        assertEquals(64, p.outFeatures());
        assertEquals(96, p.inFeatures());
        m.close();
        assertThrows(IllegalStateException.class, m::cpuWeights);
    }

    private static void assertMessage(org.junit.jupiter.api.function.Executable call, String part) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
        assertTrue(e.getMessage().contains(part), e.getMessage());
    }

    @Property(tries = 40)
    void prunedCountMatchesDensityAndKeptBlocksDominate(@ForAll @IntRange(min = 1, max = 5) int nbr,
            @ForAll @IntRange(min = 1, max = 6) int nbc, @ForAll @IntRange(min = 1, max = 100) int percent,
            @ForAll long seed) {
        int b = 16;
        Random rnd = new Random(seed);
        float[] w = new float[nbr * b * nbc * b];
        for (int i = 0; i < w.length; i++) {
            w[i] = (float) rnd.nextGaussian();
        }
        double density = percent / 100.0;
        try (Tensor t = Tensor.of(w, nbr * b, nbc * b);
                BlockSparseMatrix m = BlockSparseMatrix.prune(t, b, b, density)) {
            assertEquals(Math.round(density * nbr * nbc), m.blockCount());
            float[] d = m.toDenseArray();
            for (int i = 0; i < w.length; i++) {
                assertTrue(d[i] == 0 || d[i] == w[i]);
            }
            try (BlockSparseMatrix again = BlockSparseMatrix.fromArrays(DType.F32, nbr * b, nbc * b, b, b,
                    m.rowPointers(), m.columnIndices(), m.values())) {
                assertArrayEquals(d, again.toDenseArray());
            }
        }
    }

    /** Found by a robustness sweep (session 18): a null dtype was accepted, and F16 values the dtype cannot hold. */
    @Test
    void fromArraysRefusesAMissingDtypeAndValuesTheDtypeCannotHold() {
        float[] one = new float[16 * 16];
        one[3] = 1.0001f;
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> BlockSparseMatrix.fromArrays(
                null, 16, 16, 16, 16, new int[] {0, 1}, new int[] {0}, new float[256]));
        assertTrue(e.getMessage().startsWith("dtype:"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> BlockSparseMatrix.fromArrays(
                DType.F16, 16, 16, 16, 16, new int[] {0, 1}, new int[] {0}, one));
        assertTrue(e.getMessage().contains("values[3]: 1.0001 is not exactly representable in f16"), e.getMessage());
        assertEquals(DType.F32, BlockSparseMatrix.fromArrays(DType.F32, 16, 16, 16, 16, new int[] {0, 1},
                new int[] {0}, one).dtype());
    }
}
