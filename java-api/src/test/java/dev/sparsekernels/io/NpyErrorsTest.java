package dev.sparsekernels.io;

import static dev.sparsekernels.io.NpyTestSupport.dict;
import static dev.sparsekernels.io.NpyTestSupport.le;
import static dev.sparsekernels.io.NpyTestSupport.npy;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class NpyErrorsTest {

    @TempDir
    Path dir;

    /** Reads the bytes as a file and as a stream; both must fail with messages containing all {@code parts}. */
    private NpyFormatException fails(byte[] bytes, String... parts) throws IOException {
        Path f = dir.resolve("bad.npy");
        Files.write(f, bytes);
        NpyFormatException e = assertThrows(NpyFormatException.class, () -> Npy.read(f));
        assertEquals(f.toString(), e.source());
        assertTrue(e.getMessage().startsWith(f + ": "), e.getMessage());
        for (String p : parts) {
            assertTrue(e.getMessage().contains(p), "'" + p + "' not in: " + e.getMessage());
        }
        NpyFormatException s = assertThrows(NpyFormatException.class,
                () -> Npy.read(new ByteArrayInputStream(bytes), "entry.npy"));
        assertTrue(s.getMessage().startsWith("entry.npy: "), s.getMessage());
        return e;
    }

    private NpyFormatException failsWithStreamMessage(byte[] bytes, String... parts) {
        NpyFormatException s = assertThrows(NpyFormatException.class,
                () -> Npy.read(new ByteArrayInputStream(bytes), "entry.npy"));
        for (String p : parts) {
            assertTrue(s.getMessage().contains(p), "'" + p + "' not in: " + s.getMessage());
        }
        return s;
    }

    @Test
    void missingFile() {
        Path f = dir.resolve("nope.npy");
        NpyFormatException e = assertThrows(NpyFormatException.class, () -> Npy.read(f));
        assertEquals(f + ": file not found", e.getMessage());
        e = assertThrows(NpyFormatException.class, () -> Npy.readHeader(f));
        assertEquals(f + ": file not found", e.getMessage());
    }

    @Test
    void directory() {
        NpyFormatException e = assertThrows(NpyFormatException.class, () -> Npy.read(dir));
        assertEquals(dir + ": is a directory, not a .npy file", e.getMessage());
    }

    @Test
    void writeIntoMissingDirectory() {
        Path f = dir.resolve("no/such/dir/a.npy");
        NpyFormatException e = assertThrows(NpyFormatException.class,
                () -> Npy.write(f, NpyArray.ofFloats(new float[] {1})));
        assertTrue(e.getMessage().contains("does not exist"), e.getMessage());
    }

    @Test
    void emptyFile() throws IOException {
        fails(new byte[0], "empty");
    }

    @Test
    void wrongMagic() throws IOException {
        fails("hello world, not numpy".getBytes(), "not a .npy file", "expected magic string \\x93NUMPY",
                "found \"hello \"");
        fails(new byte[] {'P', 'K', 3, 4, 20, 0, 0, 0, 0, 0, 0, 0}, "zip archive", ".npz");
        fails(new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'X', 1, 0}, "not a .npy file");
    }

    @Test
    void unsupportedVersion() throws IOException {
        byte[] b = npy(1, dict("<f4", "(1,)"), le(1));
        b[6] = 4;
        fails(b, "unsupported .npy format version 4.0 (supported: 1.0, 2.0, 3.0)");
        b[6] = 1;
        b[7] = 1;
        fails(b, "unsupported .npy format version 1.1");
    }

    @Test
    void truncatedPreambleAndHeader() throws IOException {
        byte[] full = npy(1, dict("<f4", "(2, 3)"), le(1, 2, 3, 4, 5, 6));
        fails(Arrays.copyOf(full, 4), "truncated header", "found 4");
        fails(Arrays.copyOf(full, 9), "truncated header", "expected 10 bytes", "found 9");
        NpyFormatException e = fails(Arrays.copyOf(full, 40), "truncated header");
        assertTrue(e.getMessage().contains("says 118 bytes, but the file holds only 30"), e.getMessage());
        failsWithStreamMessage(Arrays.copyOf(full, 40), "truncated header: expected 118 header bytes, found 30");
    }

    @Test
    void truncatedData() throws IOException {
        byte[] full = npy(1, dict("<f4", "(2, 3)"), le(1, 2, 3, 4, 5, 6));
        byte[] cut = Arrays.copyOf(full, full.length - 5);
        fails(cut, "truncated data", "(2, 3) of '<f4' needs 24 bytes after the 128-byte header",
                "the file holds only 19");
        failsWithStreamMessage(cut, "truncated data", "needs 24 bytes", "the stream ended after 19");
    }

    @Test
    void headerNotADict() throws IOException {
        fails(npy(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), ", le()),
                "header is not a valid Python dict literal", "expected");
        fails(npy(1, "{'descr': '<f4' 'fortran_order': False}", le()), "not a valid Python dict literal",
                "expected ',' or '}' at offset 16");
        fails(npy(1, "[1, 2, 3]", le()), "header is not a valid Python dict literal (found [1, 2, 3])");
        fails(npy(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), 'shape': (1,)}", le()),
                "duplicate key 'shape'");
        fails(npy(1, "{'descr': '<f4', 'fortran_order': false, 'shape': (1,), }", le(1)),
                "unexpected name 'false'");
        fails(npy(1, "{'descr': '<f4', 'shape': (1,), }", le(1)), "missing key 'fortran_order'");
        fails(npy(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (1,), 'x': 1}", le(1)),
                "unexpected key 'x'");
        fails(npy(1, "{'descr': '<f4', 'fortran_order': 0, 'shape': (1,), }", le(1)),
                "'fortran_order' must be True or False, found 0");
        fails(npy(1, "{'descr': '<f4', 'fortran_order': False, 'shape': [2, 3], }", le()),
                "'shape' must be a tuple of ints, found [2, 3]");
        fails(npy(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3.0), }", le()),
                "not a valid Python dict literal", "only integer numbers");
        fails(npy(1, "{'descr': '<f4', 'fortran_order': False, 'shape': 5, }", le()),
                "'shape' must be a tuple of ints, found 5");
        byte[] v3 = npy(3, dict("<f4", "(1,)"), le(1));
        v3[14] = (byte) 0xff; // inside the header text
        fails(v3, "not valid UTF-8");
    }

    @Test
    void unsupportedDtype() throws IOException {
        fails(npy(1, dict("<c8", "(1,)"), new byte[8]), "unsupported dtype '<c8'", "supported: <f4, <f2, <f8");
        fails(npy(1, dict("<U3", "(1,)"), new byte[12]), "unsupported dtype '<U3'");
        fails(npy(1, dict("<i2", "(1,)"), new byte[2]), "unsupported dtype '<i2'");
        fails(npy(1, "{'descr': [('a', '<f4'), ('b', '<i4')], 'fortran_order': False, 'shape': (1,), }",
                new byte[8]), "unsupported structured dtype [('a', '<f4'), ('b', '<i4')]");
        fails(npy(1, "{'descr': '|O', 'fortran_order': False, 'shape': (1,), }", new byte[8]),
                "unsupported dtype '|O'");
    }

    @Test
    void fortranOrder() throws IOException {
        fails(npy(1, "{'descr': '<f4', 'fortran_order': True, 'shape': (2, 3), }", le(1, 2, 3, 4, 5, 6)),
                "fortran_order True (column-major data) is not supported", "(2, 3)", "np.ascontiguousarray");
    }

    @Test
    void badDimensions() throws IOException {
        fails(npy(1, dict("<f4", "(-1, 3)"), le()), "negative dimension -1 in shape (-1, 3)");
        fails(npy(1, dict("<f4", "(99999999999999999999999,)"), le()),
                "dimension 99999999999999999999999 in shape (99999999999999999999999,) overflows a 64-bit integer");
        fails(npy(1, dict("<f4", "(65536, 32768)"), le()),
                "shape (65536, 32768) has 2147483648 elements; at most 2147483647 (2^31-1) are supported");
        fails(npy(1, dict("<f4", "(4294967296, 4294967296, 4294967296)"), le()),
                "has 79228162514264337593543950336 elements");
        fails(npy(1, dict("<f8", "(1073741824,)"), le()), "needs 8589934592 bytes of data; at most 2147483639");
    }

    @Test
    void hugeShapeOnSmallFileFailsBeforeAllocating() throws IOException {
        // 2^31-1 float32 elements would be 8 GiB: must be refused from the file size, not by running out of heap
        byte[] b = npy(1, dict("|u1", "(2147483000,)"), le(1, 2));
        NpyFormatException e = fails(b, "truncated data", "needs 2147483000 bytes", "the file holds only 8");
        assertTrue(e.getMessage().contains("(2147483000,) of '|u1'"), e.getMessage());
        // from a stream the reader only grows its buffer as data actually arrives
        failsWithStreamMessage(b, "the stream ended after 8");
        // a lying header on a never-ending stream is still bounded by what arrives; here: a slow trickle of 1 MiB
        InputStream trickle = new InputStream() {
            final byte[] head = npy(1, dict("|u1", "(2147483000,)"), new byte[0]);
            int pos;

            @Override
            public int read() {
                return pos < head.length ? head[pos++] & 0xff : (pos++ < head.length + (1 << 20) ? 0 : -1);
            }
        };
        NpyFormatException t = assertThrows(NpyFormatException.class, () -> Npy.read(trickle, "trickle"));
        assertTrue(t.getMessage().contains("the stream ended after 1048576"), t.getMessage());
    }

    @Test
    void hugeHeaderLength() throws IOException {
        byte[] b = npy(2, dict("<f4", "(1,)"), le(1));
        b[11] = 0x7f; // header length ~2 GiB
        NpyFormatException e = fails(b, "truncated header", "the header length field says 21307");
        assertTrue(e.getMessage().contains("holds only"), e.getMessage());
        failsWithStreamMessage(b, "exceeds the limit of 1048576 bytes");
    }
}
