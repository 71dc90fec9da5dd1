package dev.sparsekernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sparsekernels.backend.DeviceBuffer;
import dev.sparsekernels.bindings.NativeCalls;
import dev.sparsekernels.bindings.NativeException;
import dev.sparsekernels.bindings.NativeLibrary;
import dev.sparsekernels.bindings.NativeStatus;
import java.nio.ByteBuffer;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * GPU group: failing CUDA calls become NativeExceptions carrying the CUDA error text, and the library keeps working
 * afterwards (the same backend computes a correct linear again). Both faults used here are non-sticky CUDA errors:
 * sticky ones (an illegal address inside a kernel) poison the CUDA context of the process by design and cannot be
 * recovered from by any library.
 */
@Tag("gpu")
class CudaFaultsTest {
    @Test
    void anImpossibleAllocationNamesTheCudaErrorAndTheBackendStillWorks() {
        NativeCalls calls = new NativeCalls(NativeLibrary.kernels());
        try (Kernels cuda = Kernels.cuda()) {
            float[] before = linearOnce(cuda);
            long liveBefore = Resources.openDeviceBytes();
            NativeException e = assertThrows(NativeException.class, () -> DeviceBuffer.allocate(calls, 1L << 50));
            assertEquals(NativeStatus.ERR_CUDA, e.status(), e.getMessage());
            assertTrue(e.getMessage().contains("cudaErrorMemoryAllocation"), e.getMessage());
            assertEquals(liveBefore, Resources.openDeviceBytes(), "a failed allocation must not be counted");
            assertArrayEqualsClose(before, linearOnce(cuda));
        }
    }

    @Test
    void aCopyToABadDevicePointerNamesTheCudaErrorAndTheBackendStillWorks() {
        NativeCalls calls = new NativeCalls(NativeLibrary.kernels());
        try (Kernels cuda = Kernels.cuda()) {
            float[] before = linearOnce(cuda);
            ByteBuffer host = ByteBuffer.allocateDirect(64);
            NativeException e = assertThrows(NativeException.class, () -> calls.memcpyH2d(0x1000, host, 64, 0));
            assertTrue(e.getMessage().contains("cudaError"), e.getMessage());
            assertTrue(e.nativeMessage().contains("sk_memcpy_h2d"), e.getMessage());
            assertArrayEqualsClose(before, linearOnce(cuda));
        }
    }

    private static float[] linearOnce(Kernels cuda) {
        float[] x = new float[8 * 64];
        float[] w = new float[16 * 64];
        for (int i = 0; i < x.length; i++) {
            x[i] = (i % 7) - 3;
        }
        for (int i = 0; i < w.length; i++) {
            w[i] = (i % 5) - 2;
        }
        try (Tensor xt = Tensor.of(DType.F16, x, 8, 64);
                Tensor wt = Tensor.of(DType.F16, w, 16, 64);
                Tensor y = cuda.linear(xt, wt, null)) {
            return y.toFloatArray();
        }
    }

    private static void assertArrayEqualsClose(float[] expected, float[] actual) {
        assertEquals(expected.length, actual.length);
        for (int i = 0; i < expected.length; i++) {
            assertEquals(expected[i], actual[i], 1e-2f * Math.max(1f, Math.abs(expected[i])), "element " + i);
        }
    }
}
