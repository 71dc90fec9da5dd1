package dev.sparsekernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class TensorTest {
    @Test
    void holdsDataOffHeapInCOrder() {
        try (Tensor t = Tensor.of(new float[] {1, 2, 3, 4, 5, 6}, 2, 3)) {
            assertTrue(t.buffer().isDirect());
            assertEquals(2, t.rank());
            assertEquals(3, t.dim(-1));
            assertEquals(6, t.elementCount());
            assertEquals(4.0f, t.buffer().getFloat(3 * 4));
        }
    }

    @Test
    void convertsToHalfPrecisionWithRoundingToNearestEven() {
        // 1 + 2^-11 is halfway between two f16 values: ties to even gives 1.0
        float[] v = {1.0f + 0x1p-11f, 65504f, -0.0f, Float.NaN, 1e-8f};
        try (Tensor t = Tensor.of(v, 5); Tensor h = t.to(DType.F16); Tensor b = t.to(DType.BF16)) {
            float[] back = h.toFloatArray();
            assertEquals(1.0f, back[0]);
            assertEquals(65504f, back[1]);
            assertEquals(Float.floatToIntBits(-0.0f), Float.floatToIntBits(back[2]));
            assertTrue(Float.isNaN(back[3]));
            assertEquals(DType.BF16, b.dtype());
            assertEquals(1.0f, b.toFloatArray()[0]);
        }
    }

    @Test
    void closedTensorThrowsAndCloseIsIdempotent() {
        Tensor t = Tensor.of(new float[] {1}, 1);
        t.close();
        t.close();
        IllegalStateException e = assertThrows(IllegalStateException.class, t::toFloatArray);
        assertTrue(e.getMessage().contains("closed"));
    }

    @Test
    void rejectsBadShapes() {
        assertThrows(IllegalArgumentException.class, () -> Tensor.allocate(DType.F32, 2, -1));
        assertThrows(IllegalArgumentException.class, () -> Tensor.of(new float[5], 2, 3));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Tensor.allocate(DType.F32, 1L << 20, 1L << 20));
        assertTrue(e.getMessage().contains("2 GiB"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Tensor.allocate(DType.F32, Long.MAX_VALUE, 4));
    }

    @Test
    void reshapeKeepsElements() {
        try (Tensor t = Tensor.of(new float[] {1, 2, 3, 4, 5, 6}, 2, 3); Tensor r = t.reshape(3, 2)) {
            assertArrayEquals(new long[] {3, 2}, r.shape());
            assertArrayEquals(t.toFloatArray(), r.toFloatArray());
            assertThrows(IllegalArgumentException.class, () -> t.reshape(4, 2));
        }
    }

    @Test
    void parsesDTypesAndDevices() {
        assertEquals(DType.BF16, DType.parse("bf16"));
        assertThrows(IllegalArgumentException.class, () -> DType.parse("f64"));
        assertEquals(Device.cuda(1), Device.parse("cuda:1"));
        assertEquals(Device.cpu(), Device.parse("cpu"));
        assertThrows(IllegalArgumentException.class, () -> Device.parse("tpu"));
    }
}
