package dev.sparsekernels.bindings;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** The host-side 2:4 functions (no GPU needed) through each binding. */
class Sparse24BindingTest {
    private static final int[] NIBBLES = {0x4, 0x8, 0xC, 0x9, 0xD, 0xE};
    // Not a multiple of 32 either way, so padding rows, padding groups and a half-used index byte are all exercised.
    private static final int ROWS = 37;
    private static final int COLS = 44;

    /** A packed result: the GPU values and metadata as raw bytes. */
    private record Packed(byte[] values, byte[] meta) {
    }

    private static ByteBuffer direct(int bytes) {
        return ByteBuffer.allocateDirect(bytes).order(ByteOrder.nativeOrder());
    }

    private static short[] exampleValues() {
        short[] values = new short[ROWS * COLS / 2];
        for (int i = 0; i < values.length; i++) {
            values[i] = (short) (0x3C00 + i); // distinct non-zero 16-bit patterns
        }
        return values;
    }

    private static byte[] exampleIndices() {
        Random random = new Random(24);
        int perRow = (COLS + 7) / 8;
        byte[] indices = new byte[ROWS * perRow];
        for (int r = 0; r < ROWS; r++) {
            for (int g = 0; g < COLS / 4; g++) {
                int n = NIBBLES[random.nextInt(NIBBLES.length)];
                indices[r * perRow + g / 2] |= (byte) (n << (4 * (g & 1)));
            }
        }
        return indices;
    }

    private static Packed pack(NativeCalls calls, short[] values, byte[] indices) {
        long[] sizes = calls.sparse24GpuSizes(ROWS, COLS);
        ByteBuffer v = direct(values.length * 2);
        v.asShortBuffer().put(values);
        ByteBuffer i = direct(indices.length).put(indices).flip();
        ByteBuffer gv = direct((int) sizes[0] * 2);
        ByteBuffer gm = direct((int) sizes[1] * 4);
        calls.sparse24Pack(v, i, ROWS, COLS, gv, gm);
        byte[] outValues = new byte[gv.capacity()];
        byte[] outMeta = new byte[gm.capacity()];
        gv.get(outValues);
        gm.get(outMeta);
        return new Packed(outValues, outMeta);
    }

    @ParameterizedTest
    @MethodSource("dev.sparsekernels.bindings.Bindings#names")
    void gpuSizesFollowTheHeader(String name) {
        long[] sizes = Bindings.calls(name).sparse24GpuSizes(ROWS, COLS);
        int mp = Sparse24Reference.roundUp32(ROWS);
        int kp = Sparse24Reference.roundUp32(COLS);
        assertArrayEquals(new long[] {(long) mp * kp / 2, (long) mp / 32 * (kp / 32) * 32}, sizes);
    }

    @ParameterizedTest
    @MethodSource("dev.sparsekernels.bindings.Bindings#names")
    void packMatchesTheHeaderLayout(String name) {
        short[] values = exampleValues();
        byte[] indices = exampleIndices();
        Packed packed = pack(Bindings.calls(name), values, indices);

        short[] gv = new short[packed.values().length / 2];
        ByteBuffer.wrap(packed.values()).order(ByteOrder.nativeOrder()).asShortBuffer().get(gv);
        int[] gm = new int[packed.meta().length / 4];
        ByteBuffer.wrap(packed.meta()).order(ByteOrder.nativeOrder()).asIntBuffer().get(gm);
        assertArrayEquals(Sparse24Reference.gpuValues(values, ROWS, COLS), gv, "gpu_values");
        assertArrayEquals(Sparse24Reference.gpuMeta(indices, ROWS, COLS), gm, "gpu_meta");
    }

    /** Byte-for-byte the same output through Panama and JavaCPP (runs where both exist: Java 22+). */
    @Test
    void packGivesIdenticalBytesThroughBothBindings() {
        short[] values = exampleValues();
        byte[] indices = exampleIndices();
        Packed panama = pack(Bindings.calls(NativeLibrary.PANAMA), values, indices);
        Packed javacpp = pack(Bindings.calls(NativeLibrary.JAVACPP), values, indices);
        assertArrayEquals(javacpp.values(), panama.values(), "gpu_values bytes");
        assertArrayEquals(javacpp.meta(), panama.meta(), "gpu_meta bytes");
    }

    @ParameterizedTest
    @MethodSource("dev.sparsekernels.bindings.Bindings#names")
    void packRefusesAnInvalidNibble(String name) {
        byte[] indices = exampleIndices();
        indices[5] = (byte) 0x33; // positions 3 and 0: first >= second, not a valid 2:4 nibble
        NativeException e = assertThrows(NativeException.class,
                () -> pack(Bindings.calls(name), exampleValues(), indices));
        assertEquals(NativeStatus.ERR_INVALID_ARGUMENT, e.status(), e::getMessage);
        assertEquals("sk_sparse24_pack", e.function());
    }

    @ParameterizedTest
    @MethodSource("dev.sparsekernels.bindings.Bindings#names")
    void checkF32FindsTheFirstBadRowAndGroup(String name) {
        int rows = 5;
        int cols = 12;
        float[] w = new float[rows * cols];
        for (int r = 0; r < rows; r++) {
            for (int g = 0; g < cols / 4; g++) {
                w[r * cols + 4 * g + (r + g) % 4] = 1.5f; // one non-zero per group: 2:4
                w[r * cols + 4 * g + (r + g + 2) % 4] = -2f; // and a second
            }
        }
        w[1 * cols + 4 * 2 + (1 + 2 + 1) % 4] = -0.0f; // negative zero is zero: row 1 stays 2:4
        NativeCalls calls = Bindings.calls(name);
        assertNull(calls.sparse24CheckF32(floats(w), rows, cols), "a 2:4 matrix");

        w[3 * cols + 4 * 1 + (3 + 1 + 1) % 4] = 0.25f; // third non-zero: row 3, group 1
        w[4 * cols + 4 * 0 + (4 + 0 + 1) % 4] = 7f; // a later offender must not be reported first
        assertArrayEquals(new long[] {3, 1}, calls.sparse24CheckF32(floats(w), rows, cols));
    }

    @ParameterizedTest
    @MethodSource("dev.sparsekernels.bindings.Bindings#names")
    void checkF32HonoursTheBufferPosition(String name) {
        ByteBuffer b = direct(4 + 4 * 4);
        b.putFloat(0, 9f); // garbage before the matrix
        b.position(4);
        b.putFloat(4, 1f).putFloat(8, 1f).putFloat(12, 1f).putFloat(16, 0f);
        assertArrayEquals(new long[] {0, 0}, Bindings.calls(name).sparse24CheckF32(b, 1, 4));
        assertEquals(4, b.position(), "position unchanged");
    }

    private static ByteBuffer floats(float[] w) {
        ByteBuffer b = direct(w.length * 4);
        b.asFloatBuffer().put(w);
        return b;
    }

    @Test
    void invalidShapesAreRefusedInJava() {
        NativeCalls calls = Bindings.calls(NativeLibrary.JAVACPP);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> calls.sparse24GpuSizes(4, 6));
        assertTrue(e.getMessage().contains("cols") && e.getMessage().contains("6"), e::getMessage);
    }
}
