package dev.sparsekernels;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sparsekernels.cpu.DenseGemm;
import java.lang.management.ManagementFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/**
 * Sizes whose element count passes 2^31 - 1 (where the kernels index with int) or 2^63 are refused with an
 * IllegalArgumentException that names them, before anything of that size is allocated: each refusal is measured to
 * allocate under 1 MiB on the calling thread. Found here: a shape of 2^62 F32 elements threw ArithmeticException.
 */
class SizeOverflowTest {
    private static final com.sun.management.ThreadMXBean THREADS =
            (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();

    /** Measured on a second call, so that loading the classes involved is not counted as the refusal's cost. */
    private static void refusedCheaply(String what, Executable call, String fragment) {
        assertThrows(IllegalArgumentException.class, call, what);
        long id = Thread.currentThread().getId();
        long before = THREADS.getThreadAllocatedBytes(id);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call, what);
        long allocated = THREADS.getThreadAllocatedBytes(id) - before;
        assertTrue(e.getMessage().contains(fragment), () -> what + ": '" + fragment + "' not in " + e.getMessage());
        assertTrue(allocated < 1 << 20, () -> what + ": allocated " + allocated + " bytes before refusing");
    }

    @Test
    void tensorsOfMoreThanTwoGibibytesOrOverflowingShapesAreRefused() {
        refusedCheaply("F32 [65536, 32768] = 2^31 elements", () -> Tensor.allocate(DType.F32, 65536, 32768),
                "2 GiB");
        refusedCheaply("F16 [2^30, 2]", () -> Tensor.allocate(DType.F16, 1L << 30, 2), "2 GiB");
        refusedCheaply("[2^32, 2^32] overflows a long", () -> Tensor.allocate(DType.F32, 1L << 32, 1L << 32),
                "overflows");
        refusedCheaply("[2^62, 1] F32: bytes overflow a long", () -> Tensor.allocate(DType.F32, 1L << 62, 1),
                "2 GiB");
        refusedCheaply("of() with an overflowing shape", () -> Tensor.of(new float[1], 1L << 40, 1L << 40),
                "overflows");
        try (Tensor t = Tensor.of(new float[4], 4)) {
            refusedCheaply("reshape to an overflowing shape", () -> t.reshape(1L << 40, 1L << 40), "overflows");
        }
    }

    @Test
    void sparseMatricesOfMoreThanTwoToTheThirtyOneElementsAreRefused() {
        refusedCheaply("2:4 [65536, 65536]", () -> Sparse24Matrix.fromCompressed(DType.F32, 65536, 65536,
                new float[0], new byte[0]), "2^31-1");
        refusedCheaply("2:4 validate [65536, 65536]", () -> Sparse24Matrix.validate(new float[0], 65536, 65536),
                "2^31-1");
        refusedCheaply("BSR [65536, 65536]", () -> BlockSparseMatrix.fromArrays(DType.F32, 65536, 65536, 64, 64,
                new int[1025], new int[0], new float[0]), "2^31");
    }

    @Test
    void kernelArraysWhoseSizesOverflowAnIntAreRefused() {
        refusedCheaply("dense GEMM tokens*in = 2^32", () -> DenseGemm.linear(new float[0], 65536, 65536,
                new float[0], 1, null, new float[0], 1), "tokens*in");
        try (Kernels k = Kernels.cpu(1);
                Tensor x = Tensor.allocate(DType.F16, 70_000, 1);
                Tensor w = Tensor.allocate(DType.F16, 40_000, 1)) {
            refusedCheaply("linear output [70000, 40000]", () -> k.linear(x, w, null), "2^31-1");
        }
    }

    /** Found by a robustness sweep (session 18): these threw ArithmeticException from an exact multiply. */
    @Test
    void wrappedBuffersAndHeadPlansWhoseSizesOverflowAreRefusedByName() {
        java.nio.ByteBuffer b = java.nio.ByteBuffer.allocateDirect(8).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        refusedCheaply("wrap [2^62] F32: bytes overflow a long", () -> Tensor.wrap(b, DType.F32, 1L << 62),
                "overflow a byte count");
        refusedCheaply("channel plan of 65536 heads of 65536", () -> dev.sparsekernels.channels.ChannelPlan
                .keepHeads(65536, 65536, 0), "heads x headDim");
        refusedCheaply("head plan of 65536 query heads of 65536", () -> dev.sparsekernels.channels.AttentionHeadPlan
                .keepGroups(65536, 65536, 65536, 0), "queryHeads x headDim");
    }
}
