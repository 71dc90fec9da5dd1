package dev.sparsekernels.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class NpyRoundTripTest {

    @TempDir
    Path dir;

    static Stream<Arguments> shapes() {
        return Stream.of(
                Arguments.of((Object) new long[] {}),
                Arguments.of((Object) new long[] {0}),
                Arguments.of((Object) new long[] {5}),
                Arguments.of((Object) new long[] {3, 4}),
                Arguments.of((Object) new long[] {2, 3, 4}),
                Arguments.of((Object) new long[] {2, 0, 4}));
    }

    private static float[] values(int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (i - 3) * 0.37f;
        }
        return v;
    }

    private static int count(long[] shape) {
        long n = 1;
        for (long d : shape) {
            n *= d;
        }
        return (int) n;
    }

    @ParameterizedTest
    @MethodSource("shapes")
    void floatRoundTripThroughFile(long[] shape) throws IOException {
        float[] v = values(count(shape));
        NpyArray a = shape.length == 0 ? NpyArray.ofFloats(v).reshape() : NpyArray.ofFloats(v, shape);
        Path f = dir.resolve("a.npy");
        Npy.write(f, a);
        byte[] bytes = Files.readAllBytes(f);
        int headerLen = (bytes[8] & 0xff) | (bytes[9] & 0xff) << 8;
        assertEquals(1, bytes[6], "version 1.0");
        assertEquals(0, (10 + headerLen) % 64, "data starts at a multiple of 64");
        assertEquals('\n', bytes[10 + headerLen - 1]);
        String header = new String(bytes, 10, headerLen, StandardCharsets.ISO_8859_1);
        assertTrue(header.startsWith("{'descr': '<f4', 'fortran_order': False, 'shape': "
                + NpyArray.shapeString(shape) + ", }"), header);
        assertEquals(10 + headerLen + 4L * v.length, bytes.length);

        NpyArray b = Npy.read(f);
        assertEquals(a, b);
        assertArrayEquals(shape, b.shape());
        assertEquals(NpyDType.F32, b.dtype());
        assertEquals(v.length, b.elementCount());
        assertArrayEquals(v, b.toFloatArray());
    }

    @Test
    void allDtypesRoundTripThroughStream() throws IOException {
        NpyArray[] arrays = {
            NpyArray.ofFloats(new float[] {1, -2, 3.5f, Float.NaN}, 2, 2),
            NpyArray.ofDoubles(new double[] {Math.PI, -1e300, Double.MIN_VALUE}),
            NpyArray.ofInts(new int[] {Integer.MIN_VALUE, 0, Integer.MAX_VALUE}, 3, 1),
            NpyArray.ofLongs(new long[] {Long.MIN_VALUE, -1, Long.MAX_VALUE, 7}, 1, 4),
            NpyArray.ofF16Bits(new short[] {0x3c00, (short) 0xc000, 0x7bff}),
            NpyArray.ofBytes(new byte[] {-128, 0, 127}, false),
            NpyArray.ofBytes(new byte[] {(byte) 255, 0, 1}, true),
            NpyArray.ofBooleans(new boolean[] {true, false, true, true}, 2, 2),
        };
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (NpyArray a : arrays) {
            Npy.write(out, a);
        }
        // several arrays saved one after another into one stream read back in turn, as with repeated np.save(f)
        ByteArrayInputStream in = new ByteArrayInputStream(out.toByteArray());
        for (NpyArray a : arrays) {
            NpyArray b = Npy.read(in, "multi");
            assertEquals(a, b, a.toString());
        }
        assertEquals(0, in.available());
    }

    @Test
    void conversions() {
        assertArrayEquals(new long[] {255, 0, 1}, NpyArray.ofBytes(new byte[] {(byte) 255, 0, 1}, true).toLongArray());
        assertArrayEquals(new float[] {255, 0, 1},
                NpyArray.ofBytes(new byte[] {(byte) 255, 0, 1}, true).toFloatArray());
        assertArrayEquals(new long[] {-1, 0, 1}, NpyArray.ofBytes(new byte[] {-1, 0, 1}, false).toLongArray());
        assertArrayEquals(new long[] {1, 0}, NpyArray.ofBooleans(new boolean[] {true, false}).toLongArray());
        assertArrayEquals(new float[] {1, 0}, NpyArray.ofBooleans(new boolean[] {true, false}).toFloatArray());
        assertArrayEquals(new float[] {1, -2}, NpyArray.ofF16Bits(new short[] {0x3c00, (short) 0xc000}).toFloatArray());
        assertArrayEquals(new float[] {3, -4}, NpyArray.ofLongs(new long[] {3, -4}).toFloatArray());
        assertArrayEquals(new double[] {3, -4}, NpyArray.ofInts(new int[] {3, -4}).toDoubleArray());
        assertArrayEquals(new long[] {3, -4}, NpyArray.ofInts(new int[] {3, -4}).toLongArray());
        assertArrayEquals(new float[] {0.5f}, NpyArray.ofDoubles(new double[] {0.5}).toFloatArray());
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> NpyArray.ofFloats(new float[] {1}).toLongArray());
        assertTrue(e.getMessage().contains("F32"), e.getMessage());
    }

    @Test
    void valueSemantics() {
        float[] v = {1, 2, 3, 4};
        NpyArray a = NpyArray.ofFloats(v, 2, 2);
        v[0] = 99; // input copied
        assertEquals(1f, a.toFloatArray()[0]);
        long[] s = a.shape();
        s[0] = 7; // shape copied out
        assertArrayEquals(new long[] {2, 2}, a.shape());
        assertTrue(a.data().isReadOnly());
        assertEquals(java.nio.ByteOrder.LITTLE_ENDIAN, a.data().order());
        assertEquals(2f, a.data().getFloat(4));
        assertEquals(a, NpyArray.ofFloats(new float[] {1, 2, 3, 4}, 2, 2));
        assertEquals(a.hashCode(), NpyArray.ofFloats(new float[] {1, 2, 3, 4}, 2, 2).hashCode());
        assertTrue(!a.equals(NpyArray.ofFloats(new float[] {1, 2, 3, 4}, 4)));
        assertEquals("NpyArray[F32 (2, 2)]", a.toString());
        assertEquals(16, a.byteSize());
        assertEquals(2, a.rank());
        assertEquals(1, NpyArray.ofFloats(new float[] {5}).reshape().elementCount());
        assertEquals(0, NpyArray.ofFloats(new float[] {5}).reshape().rank());
    }

    @Test
    void constructorArgumentsChecked() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> NpyArray.ofFloats(new float[5], 2, 3));
        assertTrue(e.getMessage().contains("(2, 3) holds 6 elements, but data has 5"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> NpyArray.ofFloats(new float[0], -1, 0));
        assertTrue(e.getMessage().contains("dimensions must be >= 0"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> NpyArray.of(NpyDType.F32, new long[] {3}, java.nio.ByteBuffer.allocate(8)));
        assertTrue(e.getMessage().contains("expected 12 bytes"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> NpyArray.of(NpyDType.F32, new long[] {1L << 40, 1L << 40}, java.nio.ByteBuffer.allocate(0)));
        assertTrue(e.getMessage().contains("more than 2147483647 elements"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> NpyArray.ofFloats(new float[4], 2, 2).reshape(3));
        assertTrue(e.getMessage().contains("newShape"), e.getMessage());
    }

    @Test
    void writerUsesVersion2WhenHeaderDoesNotFitVersion1() throws IOException {
        long[] shape = new long[25000]; // "1, " * 25000 = 75000 header chars > 65535
        java.util.Arrays.fill(shape, 1);
        NpyArray a = NpyArray.ofFloats(new float[] {42}, shape);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        Npy.write(out, a);
        byte[] bytes = out.toByteArray();
        assertEquals(2, bytes[6]);
        int headerLen = java.nio.ByteBuffer.wrap(bytes, 8, 4).order(java.nio.ByteOrder.LITTLE_ENDIAN).getInt();
        assertTrue(headerLen > 65535);
        assertEquals(0, (12 + headerLen) % 64);
        assertEquals('\n', bytes[12 + headerLen - 1]);
        NpyArray b = Npy.read(new ByteArrayInputStream(bytes), "v2");
        assertEquals(a, b);
        assertEquals(2, Npy.readHeader(new ByteArrayInputStream(bytes), "v2").majorVersion());
    }
}
