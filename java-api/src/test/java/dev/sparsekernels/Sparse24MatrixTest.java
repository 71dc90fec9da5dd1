package dev.sparsekernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

class Sparse24MatrixTest {

    @Test
    void magnitudePruningKeepsTheTwoLargestOfEveryFour() {
        float[] w = {
            1, -5, 3, 0.5f, /**/ 0, 0, 0, 0,
            -2, 2, 2, -2, /**/ 7, 0, 0, -8};
        try (Tensor t = Tensor.of(w, 2, 8); Sparse24Matrix s = Sparse24Matrix.prune(t)) {
            assertArrayEquals(new float[] {
                0, -5, 3, 0, /**/ 0, 0, 0, 0,
                -2, 2, 0, 0, /**/ 7, 0, 0, -8}, s.toDenseArray());
            // row 0: group 0 keeps (1,2) -> 0x9, group 1 all zero -> (0,1) = 0x4; row 1: (0,1) -> 0x4, (0,3) -> 0xC
            assertArrayEquals(new byte[] {(byte) 0x49, (byte) 0xC4}, s.indices());
            assertArrayEquals(new float[] {-5, 3, 0, 0, -2, 2, 7, -8}, s.values());
        }
    }

    @Test
    void fromPrunedRejectsAGroupWithThreeNonZerosNamingRowAndGroup() {
        float[] w = new float[3 * 12];
        w[2 * 12 + 8] = 1;
        w[2 * 12 + 9] = 1;
        w[2 * 12 + 11] = 1;
        w[1 * 12 + 4] = -0.0f; // -0.0 counts as zero: rows 0 and 1 are fine
        w[1 * 12 + 5] = 3;
        w[1 * 12 + 6] = 4;
        try (Tensor t = Tensor.of(w, 3, 12)) {
            NotSparse24Exception e = assertThrows(NotSparse24Exception.class, () -> Sparse24Matrix.fromPruned(t));
            assertEquals(2, e.row());
            assertEquals(2, e.group());
            assertTrue(e.getMessage().contains("row 2, group 2"), e.getMessage());
        }
    }

    @Test
    void fromPrunedKeepsEveryNonZeroAndSingleNonZeroGroupsRoundTrip() {
        float[] w = {0, 0, 0, 5, /**/ 0, 0, 0, 0, /**/ 0, -1, 0, 0, /**/ 2, 0, 0, 3};
        try (Tensor t = Tensor.of(w, 1, 16); Sparse24Matrix s = Sparse24Matrix.fromPruned(t)) {
            assertArrayEquals(w, s.toDenseArray());
            // (0,3) = 0xC for a lone value at 3; (0,1) = 0x4 empty; (0,1) for a lone value at 1; (0,3) = 0xC
            assertArrayEquals(new byte[] {(byte) 0x4C, (byte) 0xC4}, s.indices());
        }
    }

    @Test
    void wandaScalesScoresByInputNorm() {
        float[] w = {1, 2, 3, 4};
        try (Tensor t = Tensor.of(w, 1, 4);
                Sparse24Matrix s = Sparse24Matrix.prune(t, new float[] {10, 10, 0.1f, 0.1f})) {
            assertArrayEquals(new float[] {1, 2, 0, 0}, s.toDenseArray());
        }
    }

    @Test
    void badShapesAreRejectedWithTheirNames() {
        try (Tensor t = Tensor.of(new float[6], 2, 3)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Sparse24Matrix.prune(t));
            assertTrue(e.getMessage().contains("multiple of 4"), e.getMessage());
        }
        try (Tensor t = Tensor.of(new float[8], 8)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Sparse24Matrix.prune(t));
            assertTrue(e.getMessage().contains("rank 2"), e.getMessage());
        }
        assertThrows(IllegalArgumentException.class,
                () -> Sparse24Matrix.fromCompressed(DType.F32, 1, 4, new float[2], new byte[] {0x3}));
    }

    @Test
    void closedMatrixThrowsAndClosingTwiceIsHarmless() {
        Sparse24Matrix s;
        try (Tensor t = Tensor.of(new float[8], 1, 8)) {
            s = Sparse24Matrix.prune(t);
        }
        s.close();
        s.close();
        assertThrows(IllegalStateException.class, s::values);
        assertThrows(IllegalStateException.class, s::cpuWeights);
    }

    @Property(tries = 60)
    void prunedMatrixIsTwoFourAndKeepsTheLargest(@ForAll @IntRange(min = 1, max = 9) int rows,
            @ForAll @IntRange(min = 1, max = 9) int groups, @ForAll long seed) {
        int cols = 4 * groups;
        Random rnd = new Random(seed);
        float[] w = new float[rows * cols];
        for (int i = 0; i < w.length; i++) {
            w[i] = rnd.nextInt(5) == 0 ? 0 : (float) rnd.nextGaussian();
        }
        try (Tensor t = Tensor.of(w, rows, cols); Sparse24Matrix s = Sparse24Matrix.prune(t)) {
            float[] d = s.toDenseArray();
            Sparse24Matrix.validate(d, rows, cols);
            for (int g = 0; g < w.length / 4; g++) {
                float keptMin = Float.MAX_VALUE;
                float droppedMax = 0;
                int kept = 0;
                for (int i = 4 * g; i < 4 * g + 4; i++) {
                    if (d[i] != 0 || w[i] == 0) {
                        assertEquals(w[i], d[i]);
                    }
                    if (d[i] != 0) {
                        kept++;
                        keptMin = Math.min(keptMin, Math.abs(w[i]));
                    } else {
                        droppedMax = Math.max(droppedMax, Math.abs(w[i]));
                    }
                }
                if (kept == 2) {
                    assertTrue(keptMin >= droppedMax, "group " + g + " dropped a larger weight");
                }
            }
            // the compressed form round-trips through fromCompressed
            try (Sparse24Matrix again = Sparse24Matrix.fromCompressed(DType.F32, rows, cols, s.values(),
                    s.indices())) {
                assertArrayEquals(d, again.toDenseArray());
            }
        }
    }

    /** Found by a robustness sweep (session 18): these slipped through or failed with the wrong exception. */
    @Test
    void buildersRefuseMissingDtypesShortArraysValuesTheDtypeCannotHoldAndBadNorms() {
        byte[] idx = {(byte) 0x04};
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Sparse24Matrix.fromCompressed(null, 1, 4, new float[] {1, 2}, idx));
        assertTrue(e.getMessage().startsWith("dtype:"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> Sparse24Matrix.fromCompressed(DType.F16, 1, 4, new float[] {1.0001f, 0.1f}, idx));
        assertTrue(e.getMessage().contains("values[0]: 1.0001 is not exactly representable in f16"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> Sparse24Matrix.fromCompressed(DType.BF16, 1, 4, new float[] {1f, 1.001f}, idx));
        assertTrue(e.getMessage().contains("values[1]"), e.getMessage());
        // values the dtype holds (and NaN) pass
        assertEquals(DType.F16, Sparse24Matrix.fromCompressed(DType.F16, 1, 4, new float[] {1.5f, Float.NaN}, idx)
                .dtype());
        e = assertThrows(IllegalArgumentException.class, () -> Sparse24Matrix.validate(new float[3], 1, 4));
        assertTrue(e.getMessage().contains("w: expected 4 elements (1 x 4) but got 3"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Sparse24Matrix.validate(null, 1, 4));
        try (Tensor w = Tensor.of(new float[] {1, 2, 3, 4}, 1, 4)) {
            e = assertThrows(IllegalArgumentException.class,
                    () -> Sparse24Matrix.prune(w, new float[] {1, -1, 1, 1}));
            assertTrue(e.getMessage().contains("inputNorm[1]: expected a finite norm >= 0 but got -1.0"),
                    e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> Sparse24Matrix.prune(w, new float[] {1, 1, Float.NaN, 1}));
            assertThrows(IllegalArgumentException.class,
                    () -> Sparse24Matrix.prune(w, new float[] {1, 1, 1, Float.POSITIVE_INFINITY}));
        }
    }
}
