package dev.sparsekernels.backend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.sparsekernels.DType;
import dev.sparsekernels.DenseMatrix;
import dev.sparsekernels.Kernels;
import dev.sparsekernels.Tensor;
import dev.sparsekernels.bindings.NativeCalls;
import org.junit.jupiter.api.Test;

/**
 * The CUDA backend uploads a {@link DenseMatrix} once per compute dtype and frees it with the matrix, where the tensor
 * overload uploads W on every call; checked over {@link FaultyDeviceBinding} (no fault armed), which counts uploads
 * and live allocations.
 */
class CudaDenseMatrixUploadTest {
    static final int TOKENS = 3, IN = 16, OUT = 8;
    static final long X_BYTES = 2L * TOKENS * IN, W_BYTES = 2L * OUT * IN;

    @Test
    void aDenseMatrixIsUploadedOncePerDtypeAndFreedWithIt() {
        FaultyDeviceBinding device = new FaultyDeviceBinding();
        try (Kernels k = CudaBackend.overBinding(new NativeCalls(device.kernels), 0, 1L);
                Tensor x16 = Tensor.of(DType.F16, new float[TOKENS * IN], TOKENS, IN);
                Tensor xb16 = Tensor.of(DType.BF16, new float[TOKENS * IN], TOKENS, IN)) {
            DenseMatrix w = DenseMatrix.of(new float[OUT * IN], OUT, IN);
            for (int call = 0; call < 3; call++) {
                k.linear(x16, w, null).close();
            }
            // W once, X on every call
            assertEquals(W_BYTES + 3 * X_BYTES, device.uploadedBytes(), device.uploads.toString());
            assertEquals(1, device.liveAllocations(), "only the device copy of W outlives the calls");
            k.linear(xb16, w, null).close();
            assertEquals(2 * W_BYTES + 4 * X_BYTES, device.uploadedBytes(), "a second copy for BF16");
            assertEquals(2, device.liveAllocations());
            w.close();
            assertEquals(0, device.liveAllocations(), "closing the matrix frees its device copies");
            assertThrows(IllegalStateException.class, () -> k.linear(x16, w, null));
        }
    }

    @Test
    void theTensorOverloadUploadsWOnEveryCall() {
        FaultyDeviceBinding device = new FaultyDeviceBinding();
        try (Kernels k = CudaBackend.overBinding(new NativeCalls(device.kernels), 0, 1L);
                Tensor x = Tensor.of(DType.F16, new float[TOKENS * IN], TOKENS, IN);
                Tensor w = Tensor.of(DType.F16, new float[OUT * IN], OUT, IN)) {
            k.linear(x, w, null).close();
            k.linear(x, w, null).close();
            assertEquals(2 * (W_BYTES + X_BYTES), device.uploadedBytes(), device.uploads.toString());
            assertEquals(0, device.liveAllocations());
        }
    }
}
