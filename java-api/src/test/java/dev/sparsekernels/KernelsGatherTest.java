package dev.sparsekernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sparsekernels.check.TwinCheck;
import org.junit.jupiter.api.Test;

/** Kernels.gatherRows/gatherColumns on the CPU backend: values, dtype kept, and clear errors. */
class KernelsGatherTest {
    @Test
    void gathersRowsAndColumnsKeepingTheDtype() {
        float[] m = {0, 1, 2, 3, /**/ 4, 5, 6, 7, /**/ 8, 9, 10, 11};
        try (Kernels k = Kernels.cpu(1);
                Tensor src = Tensor.of(DType.BF16, m, 3, 4);
                Tensor r = k.gatherRows(src, new int[] {0, 2});
                Tensor c = k.gatherColumns(src, new int[] {1, 3})) {
            assertEquals(DType.BF16, r.dtype());
            assertArrayEquals(new long[] {2, 4}, r.shape());
            assertArrayEquals(new float[] {0, 1, 2, 3, 8, 9, 10, 11}, r.toFloatArray());
            assertArrayEquals(new float[] {1, 3, 5, 7, 9, 11}, c.toFloatArray());
        }
    }

    @Test
    void rejectsUnsortedOutOfRangeAndEmptyIndices() {
        try (Kernels k = Kernels.cpu(1); Tensor src = Tensor.of(new float[12], 3, 4)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> k.gatherRows(src, new int[] {2, 1}));
            assertTrue(e.getMessage().contains("ascending"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> k.gatherColumns(src, new int[] {4}));
            assertTrue(e.getMessage().contains("idx[0]: expected 0..3"), e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> k.gatherRows(src, new int[0]));
        }
    }

    @Test
    void twinCheckOfGathersPassesForTwoCpuBackends() {
        try (Kernels one = Kernels.cpu(1); Kernels two = Kernels.cpu(2)) {
            assertTrue(TwinCheck.runGather(one, two, 5L).stream().allMatch(r -> r.pass));
        }
    }
}
