package dev.sparsekernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.junit.jupiter.api.Test;

/** Tensor.wrap: a view over someone else's direct buffer, sharing its memory both ways. */
class TensorWrapTest {
    private static ByteBuffer littleEndian(int bytes) {
        return ByteBuffer.allocateDirect(bytes).order(ByteOrder.LITTLE_ENDIAN);
    }

    @Test
    void sharesMemoryWithTheBufferBothWays() {
        ByteBuffer b = littleEndian(6 * 4);
        for (int i = 0; i < 6; i++) {
            b.putFloat(4 * i, i + 1);
        }
        try (Tensor t = Tensor.wrap(b, DType.F32, 2, 3)) {
            assertArrayEquals(new float[] {1, 2, 3, 4, 5, 6}, t.toFloatArray());
            b.putFloat(4 * 5, 42f); // a write through the owner's buffer ...
            assertEquals(42f, t.toFloatArray()[5]); // ... is seen by the tensor
            t.buffer().putFloat(0, -7f); // and a write through the tensor is seen by the owner
            assertEquals(-7f, b.getFloat(0));
        }
    }

    @Test
    void startsAtThePositionAndLeavesTheCallersBufferAsItWas() {
        ByteBuffer b = littleEndian(5 * 2);
        b.putShort(2, (short) 0x3C00); // F16 1.0 at element 0 of the view starting at byte 2
        b.position(2);
        try (Tensor t = Tensor.wrap(b, DType.F16, 4)) {
            assertEquals(1.0f, t.toFloatArray()[0]);
            assertEquals(0, t.buffer().position());
            assertEquals(8, t.buffer().limit());
        }
        assertEquals(2, b.position());
    }

    @Test
    void closingTheViewLeavesTheMemoryToItsOwner() {
        ByteBuffer b = littleEndian(4);
        b.putFloat(0, 3f);
        Tensor t = Tensor.wrap(b, DType.F32, 1);
        t.close();
        assertTrue(t.isClosed());
        assertThrows(IllegalStateException.class, t::toFloatArray);
        assertEquals(3f, b.getFloat(0)); // still the owner's, still readable
    }

    @Test
    void worksAsKernelInput() {
        ByteBuffer b = littleEndian(2 * 4);
        b.putFloat(0, 2f).putFloat(4, 3f);
        try (Kernels k = Kernels.cpu(1); Tensor x = Tensor.wrap(b, DType.F32, 1, 2);
             Tensor w = Tensor.of(new float[] {1, 1, 1, -1}, 2, 2); Tensor y = k.linear(x, w, null)) {
            assertArrayEquals(new float[] {5f, -1f}, y.toFloatArray());
        }
    }

    @Test
    void rejectsBuffersItCannotShareNamingTheProblem() {
        assertMessage("null", () -> Tensor.wrap(null, DType.F32, 1));
        assertMessage("dtype", () -> Tensor.wrap(littleEndian(4), null, 1));
        assertMessage("heap buffer",
                () -> Tensor.wrap(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN), DType.F32, 1));
        assertMessage("read-only", () -> Tensor.wrap(littleEndian(4).asReadOnlyBuffer().order(ByteOrder.LITTLE_ENDIAN),
                DType.F32, 1));
        assertMessage("BIG_ENDIAN", () -> Tensor.wrap(ByteBuffer.allocateDirect(4), DType.F32, 1));
        assertMessage("expected 8 bytes remaining", () -> Tensor.wrap(littleEndian(12), DType.F32, 2));
        assertMessage("expected 8 bytes remaining", () -> Tensor.wrap(littleEndian(4), DType.BF16, 4));
        assertMessage("negative", () -> Tensor.wrap(littleEndian(4), DType.F32, -1));
    }

    private static void assertMessage(String part, org.junit.jupiter.api.function.Executable call) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
        assertTrue(e.getMessage().contains(part), () -> "expected '" + part + "' in: " + e.getMessage());
    }
}
