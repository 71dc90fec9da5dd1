package dev.sparsekernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

/** {@link Tensor#copyTo(float[])}: the values {@link Tensor#toFloatArray()} gives, into the caller's array. */
class TensorCopyToTest {
    @Test
    void copyToConvertsEveryDtypeAndRefusesAWrongLength() {
        float[] v = {0.5f, -2f, 3.25f, 1e-3f};
        for (DType dt : DType.values()) {
            try (Tensor t = Tensor.of(dt, v, 2, 2)) {
                float[] dst = new float[4];
                t.copyTo(dst);
                assertArrayEquals(t.toFloatArray(), dst, dt.toString());
                assertEquals("dst: expected a float array of 4 elements but got 5",
                        assertThrows(IllegalArgumentException.class, () -> t.copyTo(new float[5])).getMessage());
                assertEquals("dst: expected a float array of 4 elements but got null",
                        assertThrows(IllegalArgumentException.class, () -> t.copyTo(null)).getMessage());
            }
        }
        Tensor closed = Tensor.of(v, 4);
        closed.close();
        assertThrows(IllegalStateException.class, () -> closed.copyTo(new float[4]));
    }
}
