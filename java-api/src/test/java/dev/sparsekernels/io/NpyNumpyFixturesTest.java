package dev.sparsekernels.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Files written by real NumPy 2.4 ({@code src/test/resources/dev/sparsekernels/io/gen_fixtures.py} makes them;
 * the expected values here mirror that script).
 */
class NpyNumpyFixturesTest {

    @TempDir
    Path dir;

    static Path fixture(String name) {
        try {
            return Path.of(NpyNumpyFixturesTest.class.getResource(name).toURI());
        } catch (URISyntaxException | NullPointerException e) {
            throw new AssertionError("missing test resource " + name, e);
        }
    }

    static NpyArray read(String name) throws IOException {
        NpyArray a = Npy.read(fixture(name));
        try (InputStream in = NpyNumpyFixturesTest.class.getResourceAsStream(name)) {
            assertEquals(a, Npy.read(in, name));
        }
        return a;
    }

    @Test
    void float32() throws IOException {
        NpyArray a = read("f32_2x3.npy");
        assertArrayEquals(new long[] {2, 3}, a.shape());
        assertArrayEquals(new float[] {-1, -0.5f, 0, 0.5f, 1, 1.5f}, a.toFloatArray());
        NpyArray s = read("f32_scalar.npy");
        assertEquals(0, s.rank());
        assertArrayEquals(new float[] {3.25f}, s.toFloatArray());
        assertArrayEquals(new long[] {0}, read("f32_empty.npy").shape());
        NpyArray z = read("f32_3x0x2.npy");
        assertArrayEquals(new long[] {3, 0, 2}, z.shape());
        assertEquals(0, z.elementCount());
        NpyArray big = read("f32_big_first_dim.npy");
        assertArrayEquals(new long[] {123456789012L, 0}, big.shape());
    }

    @Test
    void float16() throws IOException {
        float[] f = read("f16_specials.npy").toFloatArray();
        assertEquals(0f, f[0]);
        assertEquals(Float.floatToIntBits(-0f), Float.floatToIntBits(f[1]));
        assertEquals(1f, f[2]);
        assertEquals(-2.5f, f[3]);
        assertEquals(65504f, f[4]);
        assertEquals(0x1p-14f, f[5]); // smallest normal
        assertEquals(0x1p-24f, f[6]); // smallest subnormal
        assertEquals(Float.POSITIVE_INFINITY, f[7]);
        assertEquals(Float.NEGATIVE_INFINITY, f[8]);
        assertTrue(Float.isNaN(f[9]));
        assertEquals(0.333251953125f, f[10]);
    }

    @Test
    void floatToF16MatchesNumpyRounding() throws IOException {
        float[] in = read("f16_round_in_f32.npy").toFloatArray();
        short[] expected = read("f16_round_expected.npy").toF16Bits();
        assertEquals(expected.length, in.length);
        for (int i = 0; i < in.length; i++) {
            short got = NpyArray.floatToF16(in[i]);
            assertEquals(expected[i], got, "float " + in[i] + " (index " + i + ")");
            assertEquals(NpyArray.f16ToFloat(expected[i]), NpyArray.f16ToFloat(got));
        }
        assertEquals(read("f16_round_expected.npy"),
                NpyArray.ofFloatsAsF16(in).reshape(read("f16_round_expected.npy").shape()));
    }

    @Test
    void float64AndIntegersAndBool() throws IOException {
        assertArrayEquals(new double[] {1.0, -1e300, Math.PI, 1e-310}, read("f64_2x2.npy").toDoubleArray());
        assertArrayEquals(new long[] {0, -1, 1L << 62, Long.MIN_VALUE}, read("i64_4.npy").toLongArray());
        assertArrayEquals(new long[] {1, -2, Integer.MAX_VALUE, Integer.MIN_VALUE}, read("i32_2x2.npy").toLongArray());
        assertEquals(NpyDType.I8, read("i8_3.npy").dtype());
        assertArrayEquals(new long[] {-128, 0, 127}, read("i8_3.npy").toLongArray());
        assertEquals(NpyDType.U8, read("u8_3.npy").dtype());
        assertArrayEquals(new long[] {0, 200, 255}, read("u8_3.npy").toLongArray());
        NpyArray b = read("bool_2x2.npy");
        assertEquals(NpyDType.BOOL, b.dtype());
        assertArrayEquals(new long[] {1, 0, 0, 1}, b.toLongArray());
    }

    @Test
    void bigEndian() throws IOException {
        assertArrayEquals(new float[] {1.5f, -2f, 3f, 1e-3f}, read("f32_be_2x2.npy").toFloatArray());
        assertArrayEquals(new long[] {1, -2, 1L << 40}, read("i64_be_3.npy").toLongArray());
        assertTrue(Npy.readHeader(fixture("f32_be_2x2.npy")).bigEndian());
    }

    @Test
    void versions2And3() throws IOException {
        assertEquals(2, Npy.readHeader(fixture("f32_v2_5.npy")).majorVersion());
        assertEquals(3, Npy.readHeader(fixture("f32_v3_5.npy")).majorVersion());
        assertArrayEquals(new float[] {0, 1, 2, 3, 4}, read("f32_v2_5.npy").toFloatArray());
        assertArrayEquals(new float[] {0, 1, 2, 3, 4}, read("f32_v3_5.npy").toFloatArray());
    }

    @Test
    void unsupportedFilesFromNumpy() {
        NpyFormatException e = assertThrows(NpyFormatException.class, () -> Npy.read(fixture("c64_2.npy")));
        assertTrue(e.getMessage().contains("unsupported dtype '<c8'"), e.getMessage());
        e = assertThrows(NpyFormatException.class, () -> Npy.read(fixture("structured_2.npy")));
        assertTrue(e.getMessage().contains("unsupported structured dtype [('a', '<f4'), ('b', '<i4')]"),
                e.getMessage());
        e = assertThrows(NpyFormatException.class, () -> Npy.read(fixture("f32_fortran_2x3.npy")));
        assertTrue(e.getMessage().contains("fortran_order True"), e.getMessage());
    }

    @Test
    void writerIsByteIdenticalToNumpySave() throws IOException {
        for (String name : new String[] {"f32_2x3.npy", "f32_3x4_for_byte_compare.npy", "f32_scalar.npy",
            "f32_empty.npy", "f32_3x0x2.npy", "f16_specials.npy", "f64_2x2.npy", "i64_4.npy", "i32_2x2.npy",
            "i8_3.npy", "u8_3.npy", "bool_2x2.npy", "f32_big_first_dim.npy"}) {
            Path out = dir.resolve(name);
            Npy.write(out, Npy.read(fixture(name)));
            assertArrayEquals(Files.readAllBytes(fixture(name)), Files.readAllBytes(out), name);
        }
    }
}
