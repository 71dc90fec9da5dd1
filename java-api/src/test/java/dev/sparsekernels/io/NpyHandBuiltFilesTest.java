package dev.sparsekernels.io;

import static dev.sparsekernels.io.NpyTestSupport.be;
import static dev.sparsekernels.io.NpyTestSupport.dict;
import static dev.sparsekernels.io.NpyTestSupport.le;
import static dev.sparsekernels.io.NpyTestSupport.npy;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Files built byte by byte the way numpy 1.x/2.x writes them. */
class NpyHandBuiltFilesTest {

    @TempDir
    Path dir;

    private NpyArray readFile(byte[] bytes) throws IOException {
        Path f = dir.resolve("x.npy");
        Files.write(f, bytes);
        NpyArray a = Npy.read(f);
        // the stream reader must agree with the file reader
        assertEquals(a, Npy.read(new ByteArrayInputStream(bytes), "x.npy"));
        return a;
    }

    @Test
    void float32Matrix() throws IOException {
        byte[] file = npy(1, dict("<f4", "(2, 3)") + " ".repeat(20), le(1, 2, 3, 4, 5, 6));
        assertEquals(128 + 24, file.length); // numpy's layout: 128-byte header for this dict
        NpyArray a = readFile(file);
        assertArrayEquals(new long[] {2, 3}, a.shape());
        assertEquals(NpyDType.F32, a.dtype());
        assertArrayEquals(new float[] {1, 2, 3, 4, 5, 6}, a.toFloatArray());
    }

    @Test
    void writerMatchesNumpyByteForByte() throws IOException {
        // np.save of np.arange(6, dtype='<f4').reshape(2, 3): header dict + 20 growth spaces, padded to 128 bytes
        byte[] expected = npy(1, dict("<f4", "(2, 3)") + " ".repeat(20), le(0, 1, 2, 3, 4, 5));
        Path f = dir.resolve("w.npy");
        Npy.write(f, NpyArray.ofFloats(new float[] {0, 1, 2, 3, 4, 5}, 2, 3));
        assertArrayEquals(expected, Files.readAllBytes(f));
        // scalar: no growth spaces
        Npy.write(f, NpyArray.ofFloats(new float[] {7}).reshape());
        assertArrayEquals(npy(1, dict("<f4", "()"), le(7)), Files.readAllBytes(f));
    }

    @Test
    void scalarAndEmpty() throws IOException {
        NpyArray s = readFile(npy(1, dict("<f4", "()"), le(2.5f)));
        assertEquals(0, s.rank());
        assertEquals(1, s.elementCount());
        assertArrayEquals(new float[] {2.5f}, s.toFloatArray());
        NpyArray e = readFile(npy(1, dict("<f4", "(0,)"), new byte[0]));
        assertArrayEquals(new long[] {0}, e.shape());
        assertEquals(0, e.toFloatArray().length);
    }

    @Test
    void float16() throws IOException {
        ByteBuffer b = ByteBuffer.allocate(12).order(ByteOrder.LITTLE_ENDIAN);
        b.putShort((short) 0x3c00).putShort((short) 0xc100).putShort((short) 0x0001) // 1, -2.5, 2^-24
                .putShort((short) 0x7bff).putShort((short) 0x7c00).putShort((short) 0x7e00); // 65504, inf, nan
        NpyArray a = readFile(npy(1, dict("<f2", "(6,)") + " ".repeat(20), b.array()));
        assertEquals(NpyDType.F16, a.dtype());
        float[] f = a.toFloatArray();
        assertEquals(1f, f[0]);
        assertEquals(-2.5f, f[1]);
        assertEquals(0x1p-24f, f[2]);
        assertEquals(65504f, f[3]);
        assertEquals(Float.POSITIVE_INFINITY, f[4]);
        assertTrue(Float.isNaN(f[5]));
    }

    @Test
    void float64AndInt64AndBool() throws IOException {
        ByteBuffer d = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putDouble(0.1).putDouble(-3);
        NpyArray a = readFile(npy(1, dict("<f8", "(2,)"), d.array()));
        assertEquals(NpyDType.F64, a.dtype());
        assertArrayEquals(new double[] {0.1, -3}, a.toDoubleArray());
        assertArrayEquals(new float[] {0.1f, -3f}, a.toFloatArray());

        ByteBuffer l = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(Long.MIN_VALUE).putLong(5);
        NpyArray i = readFile(npy(1, dict("<i8", "(1, 2)"), l.array()));
        assertEquals(NpyDType.I64, i.dtype());
        assertArrayEquals(new long[] {Long.MIN_VALUE, 5}, i.toLongArray());

        NpyArray t = readFile(npy(1, dict("|b1", "(3,)"), new byte[] {1, 0, 1}));
        assertEquals(NpyDType.BOOL, t.dtype());
        assertArrayEquals(new long[] {1, 0, 1}, t.toLongArray());
        assertArrayEquals(new float[] {1, 0, 1}, t.toFloatArray());
    }

    @Test
    void version2And3Headers() throws IOException {
        NpyArray a = readFile(npy(2, dict("<f4", "(3,)"), le(1, 2, 3)));
        assertArrayEquals(new float[] {1, 2, 3}, a.toFloatArray());
        NpyArray b = readFile(npy(3, dict("<f4", "(3,)"), le(1, 2, 3)));
        assertEquals(a, b);
        Path f = dir.resolve("h.npy");
        Files.write(f, npy(2, dict("<f4", "(3,)"), le(1, 2, 3)));
        NpyHeader h = Npy.readHeader(f);
        assertEquals(2, h.majorVersion());
        assertEquals(0, h.minorVersion());
        assertEquals(128, h.dataOffset());
        assertEquals(12, h.dataBytes());
    }

    @Test
    void bigEndianIsSwapped() throws IOException {
        NpyArray a = readFile(npy(1, dict(">f4", "(2, 2)"), be(1.5f, -2f, 3f, 1e-3f)));
        assertEquals(NpyDType.F32, a.dtype());
        assertArrayEquals(new float[] {1.5f, -2f, 3f, 1e-3f}, a.toFloatArray());
        assertEquals(ByteOrder.LITTLE_ENDIAN, a.data().order());
        assertEquals(1.5f, a.data().getFloat(0));

        ByteBuffer l = ByteBuffer.allocate(16).order(ByteOrder.BIG_ENDIAN).putLong(-2).putLong(1L << 40);
        assertArrayEquals(new long[] {-2, 1L << 40}, readFile(npy(1, dict(">i8", "(2,)"), l.array())).toLongArray());
        Path f = dir.resolve("be.npy");
        Files.write(f, npy(1, dict(">f4", "(1,)"), be(1)));
        assertTrue(Npy.readHeader(f).bigEndian());
    }

    @Test
    void lenientButValidPythonSyntax() throws IOException {
        // keys in another order, double quotes, no trailing comma, no spaces, Python 2 long suffix, '|' order
        NpyArray a = readFile(npy(1, "{\"shape\":(2L,1L),\"fortran_order\":False,\"descr\":\"<f4\"}", le(1, 2)));
        assertArrayEquals(new long[] {2, 1}, a.shape());
        // fortran_order True is harmless for 1-D data
        NpyArray b = readFile(npy(1, "{'descr': '<i4', 'fortran_order': True, 'shape': (2,), }", new byte[8]));
        assertArrayEquals(new long[] {0, 0}, b.toLongArray());
        NpyArray c = readFile(npy(1, "{'descr': '|u1', 'fortran_order': False, 'shape': (1,), }", new byte[] {-1}));
        assertArrayEquals(new long[] {255}, c.toLongArray());
        assertFalse(Npy.readHeader(new ByteArrayInputStream(npy(1, dict("<f4", "()"), le(1))), "s").bigEndian());
    }

    @Test
    void trailingBytesAfterDataAreIgnored() throws IOException {
        NpyArray a = readFile(NpyTestSupport.concat(npy(1, dict("<f4", "(1,)"), le(9)), new byte[] {1, 2, 3}));
        assertArrayEquals(new float[] {9}, a.toFloatArray());
    }
}
