package dev.sparsekernels.io;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;

/**
 * Reads and writes NumPy {@code .npy} files (format versions 1.0, 2.0 and 3.0).
 *
 * <p>Reading accepts the dtypes of {@link NpyDType} in either byte order, C order, and {@code fortran_order True}
 * only where it means the same layout (at most one dimension larger than 1). Every problem is reported as an
 * {@link NpyFormatException} whose message names the file and the problem; sizes claimed by a header are checked
 * (against the file size when reading a {@link Path}) before any large allocation.
 *
 * <p>Writing produces the same bytes as {@code numpy.save}: version 1.0 when the header fits (else 2.0), header
 * padded with spaces and ending in {@code '\n'} so the data starts at a multiple of 64 bytes, {@code fortran_order
 * False}, little-endian data.
 */
public final class Npy {

    /** Largest header accepted on read; real headers of supported dtypes are a few hundred bytes. */
    static final int MAX_HEADER_BYTES = 1 << 20;

    private static final byte[] MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};
    private static final int ALIGN = 64;
    private static final int GROWTH_AXIS_MAX_DIGITS = 21;
    private static final Set<String> KEYS = Set.of("descr", "fortran_order", "shape");

    private Npy() {
    }

    /**
     * Reads a whole {@code .npy} file.
     *
     * @throws NpyFormatException if the file is missing, unreadable as {@code .npy}, or uses an unsupported feature
     * @throws IOException        on other I/O failures
     */
    public static NpyArray read(Path file) throws IOException {
        String name = nameOf(file);
        long size = fileSize(file, name);
        try (InputStream in = Files.newInputStream(file)) {
            return read(in, name, size);
        } catch (FileSystemException e) {
            throw fileProblem(name, e);
        }
    }

    /**
     * Reads one array from a stream, consuming exactly its bytes (so several arrays saved one after another into
     * the same stream can be read in turn); the stream is not closed.
     *
     * @param nameForErrors what to call the stream in error messages, e.g. a file or entry name
     */
    public static NpyArray read(InputStream in, String nameForErrors) throws IOException {
        Objects.requireNonNull(in, "in");
        return read(in, nameForErrors == null ? "<stream>" : nameForErrors, -1);
    }

    /** Reads only the header of a {@code .npy} file. */
    public static NpyHeader readHeader(Path file) throws IOException {
        String name = nameOf(file);
        long size = fileSize(file, name);
        try (InputStream in = Files.newInputStream(file)) {
            return readHeader(in, name, size);
        } catch (FileSystemException e) {
            throw fileProblem(name, e);
        }
    }

    private static String nameOf(Path file) {
        if (file == null) {
            throw new IllegalArgumentException("file: expected a path but got null");
        }
        return file.toString();
    }

    /** A file that cannot be opened, as a format exception naming it and why (not found, denied, a symlink loop...). */
    private static NpyFormatException fileProblem(String name, FileSystemException e) {
        String why = e instanceof NoSuchFileException ? "file not found"
                : e instanceof AccessDeniedException ? "permission denied"
                : e.getReason() == null ? e.toString() : e.getReason();
        return new NpyFormatException(name, why, e);
    }

    /** Reads only the header from a stream, leaving it positioned at the first data byte. */
    public static NpyHeader readHeader(InputStream in, String nameForErrors) throws IOException {
        Objects.requireNonNull(in, "in");
        return readHeader(in, nameForErrors == null ? "<stream>" : nameForErrors, -1);
    }

    /** Writes {@code array} to {@code file} (created or replaced) exactly as {@code numpy.save} would. */
    public static void write(Path file, NpyArray array) throws IOException {
        Objects.requireNonNull(file, "file");
        Objects.requireNonNull(array, "array");
        try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(file), 1 << 16)) {
            write(out, array);
        } catch (NoSuchFileException e) {
            throw new NpyFormatException(file.toString(), "cannot write: directory "
                    + (file.toAbsolutePath().getParent()) + " does not exist", e);
        } catch (AccessDeniedException e) {
            throw new NpyFormatException(file.toString(), "cannot write: permission denied", e);
        }
    }

    /** Writes {@code array} in {@code .npy} format to a stream; the stream is not closed. */
    public static void write(OutputStream out, NpyArray array) throws IOException {
        Objects.requireNonNull(out, "out");
        Objects.requireNonNull(array, "array");
        out.write(header(array.dtype(), array.shape()));
        ByteBuffer data = array.data();
        byte[] chunk = new byte[Math.min(data.remaining(), 1 << 16)];
        while (data.hasRemaining()) {
            int n = Math.min(chunk.length, data.remaining());
            data.get(chunk, 0, n);
            out.write(chunk, 0, n);
        }
    }

    /** The complete header (magic through the final '\n') numpy.save writes for this dtype and shape. */
    static byte[] header(NpyDType dtype, long[] shape) {
        StringBuilder h = new StringBuilder();
        h.append("{'descr': '").append(dtype.descr()).append("', 'fortran_order': False, 'shape': ")
                .append(NpyArray.shapeString(shape)).append(", }");
        if (shape.length > 0) {
            int digits = Long.toString(shape[0]).length();
            h.append(" ".repeat(Math.max(0, GROWTH_AXIS_MAX_DIGITS - digits)));
        }
        byte[] text = h.toString().getBytes(StandardCharsets.US_ASCII);
        int hlen = text.length + 1; // + '\n'
        int major = 1;
        int lenBytes = 2;
        int pad = ALIGN - ((MAGIC.length + 2 + lenBytes + hlen) % ALIGN);
        if (hlen + pad > 0xffff) {
            major = 2;
            lenBytes = 4;
            pad = ALIGN - ((MAGIC.length + 2 + lenBytes + hlen) % ALIGN);
        }
        int total = hlen + pad;
        ByteBuffer b = ByteBuffer.allocate(MAGIC.length + 2 + lenBytes + total).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        b.put(MAGIC).put((byte) major).put((byte) 0);
        if (lenBytes == 2) {
            b.putShort((short) total);
        } else {
            b.putInt(total);
        }
        b.put(text);
        for (int i = 0; i < pad; i++) {
            b.put((byte) ' ');
        }
        b.put((byte) '\n');
        return b.array();
    }

    // ---------------------------------------------------------------------------------------------- reading

    /** The file's size, or -1 (unknown: read as a stream) for what is not a regular file, such as a pipe. */
    private static long fileSize(Path file, String name) throws IOException {
        if (Files.isDirectory(file)) {
            throw new NpyFormatException(name, "is a directory, not a .npy file");
        }
        try {
            // A pipe (/dev/stdin, a shell's <(...)) reports size 0 whatever it carries
            if (Files.exists(file) && !Files.isRegularFile(file)) {
                return -1;
            }
            return Files.size(file);
        } catch (FileSystemException e) {
            throw fileProblem(name, e);
        }
    }

    private static NpyArray read(InputStream in, String name, long fileSize) throws IOException {
        NpyHeader h = readHeader(in, name, fileSize);
        long bytes = h.dataBytes(); // <= NpyArray.MAX_BYTES, checked by readHeader
        String what = NpyArray.shapeString(h.shape()) + " of '" + (h.bigEndian() ? ">" : "")
                + (h.bigEndian() ? h.dtype().descr().substring(1) : h.dtype().descr()) + "'";
        byte[] data;
        if (fileSize >= 0) {
            long available = fileSize - h.dataOffset();
            if (available < bytes) {
                throw truncatedData(name, what, bytes, h.dataOffset(), available, "the file holds only");
            }
            data = new byte[(int) bytes];
            int got = in.readNBytes(data, 0, data.length);
            if (got < data.length) {
                throw truncatedData(name, what, bytes, h.dataOffset(), got, "could read only");
            }
        } else {
            // Unknown length: readNBytes grows its buffer as data arrives, so a lying header cannot force a
            // large allocation on a short stream.
            data = in.readNBytes((int) bytes);
            if (data.length < bytes) {
                throw truncatedData(name, what, bytes, h.dataOffset(), data.length, "the stream ended after");
            }
        }
        if (h.bigEndian()) {
            swapBytes(data, h.dtype().byteSize());
        }
        return NpyArray.wrap(h.dtype(), h.shape(), data);
    }

    private static NpyFormatException truncatedData(String name, String what, long expected, long offset,
            long found, String verb) {
        return new NpyFormatException(name, "truncated data: shape " + what + " needs " + expected
                + " bytes after the " + offset + "-byte header, but " + verb + " " + found);
    }

    private static void swapBytes(byte[] d, int size) {
        for (int i = 0; i + size <= d.length; i += size) {
            for (int a = i, b = i + size - 1; a < b; a++, b--) {
                byte t = d[a];
                d[a] = d[b];
                d[b] = t;
            }
        }
    }

    private static NpyHeader readHeader(InputStream in, String name, long fileSize) throws IOException {
        if (fileSize == 0) {
            throw new NpyFormatException(name, "empty file (0 bytes), not a .npy file");
        }
        byte[] pre = in.readNBytes(8);
        if (pre.length == 0) {
            throw new NpyFormatException(name, "empty stream (0 bytes), not a .npy file");
        }
        for (int i = 0; i < Math.min(pre.length, MAGIC.length); i++) {
            if (pre[i] != MAGIC[i]) {
                throw badMagic(name, pre);
            }
        }
        if (pre.length < 8) {
            throw new NpyFormatException(name, "truncated header: expected at least 10 bytes (magic string, "
                    + "version, header length), found " + pre.length);
        }
        int major = pre[6] & 0xff;
        int minor = pre[7] & 0xff;
        int lenBytes;
        if (minor == 0 && major == 1) {
            lenBytes = 2;
        } else if (minor == 0 && (major == 2 || major == 3)) {
            lenBytes = 4;
        } else {
            throw new NpyFormatException(name, "unsupported .npy format version " + major + "." + minor
                    + " (supported: 1.0, 2.0, 3.0)");
        }
        byte[] lenField = in.readNBytes(lenBytes);
        if (lenField.length < lenBytes) {
            throw new NpyFormatException(name, "truncated header: expected " + (8 + lenBytes)
                    + " bytes (magic string, version, header length), found " + (8 + lenField.length));
        }
        long headerLen = 0;
        for (int i = lenBytes - 1; i >= 0; i--) {
            headerLen = (headerLen << 8) | (lenField[i] & 0xff);
        }
        long dataOffset = 8 + lenBytes + headerLen;
        if (fileSize >= 0 && dataOffset > fileSize) {
            throw new NpyFormatException(name, "truncated header: the header length field says " + headerLen
                    + " bytes, but the file holds only " + (fileSize - 8 - lenBytes) + " after it");
        }
        if (headerLen > MAX_HEADER_BYTES) {
            throw new NpyFormatException(name, "header length " + headerLen + " exceeds the limit of "
                    + MAX_HEADER_BYTES + " bytes; this is not a plausible .npy header");
        }
        byte[] headerBytes = in.readNBytes((int) headerLen);
        if (headerBytes.length < headerLen) {
            throw new NpyFormatException(name, "truncated header: expected " + headerLen + " header bytes, found "
                    + headerBytes.length);
        }
        String text = decodeHeader(name, headerBytes, major);
        return parseHeader(name, text, major, minor, dataOffset);
    }

    private static NpyFormatException badMagic(String name, byte[] pre) {
        StringBuilder found = new StringBuilder();
        for (int i = 0; i < Math.min(pre.length, MAGIC.length); i++) {
            int c = pre[i] & 0xff;
            if (c >= 0x20 && c < 0x7f && c != '\\') {
                found.append((char) c);
            } else {
                found.append(String.format("\\x%02x", c));
            }
        }
        String hint = "";
        if (pre.length >= 4 && pre[0] == 'P' && pre[1] == 'K' && pre[2] == 3 && pre[3] == 4) {
            hint = "; this is a zip archive (an .npz file from np.savez?): extract its .npy members first";
        } else if (pre.length >= 1 && pre[0] == (byte) 0x80) {
            hint = "; this looks like a Python pickle, not a .npy file";
        }
        return new NpyFormatException(name, "not a .npy file: expected magic string \\x93NUMPY, found \""
                + found + "\"" + hint);
    }

    private static String decodeHeader(String name, byte[] bytes, int major) throws NpyFormatException {
        if (major < 3) {
            return new String(bytes, StandardCharsets.ISO_8859_1);
        }
        try {
            CharBuffer cb = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes));
            return cb.toString();
        } catch (CharacterCodingException e) {
            throw new NpyFormatException(name, "header of a version 3.0 file is not valid UTF-8", e);
        }
    }

    private static String excerpt(String text) {
        String t = text.strip();
        return t.length() <= 200 ? t : t.substring(0, 200) + "...";
    }

    private static NpyHeader parseHeader(String name, String text, int major, int minor, long dataOffset)
            throws NpyFormatException {
        Object parsed;
        try {
            parsed = PyLiteral.parse(text);
        } catch (PyLiteral.SyntaxError e) {
            throw new NpyFormatException(name, "header is not a valid Python dict literal (" + e.getMessage()
                    + "): " + excerpt(text));
        }
        if (!(parsed instanceof Map<?, ?> dict)) {
            throw new NpyFormatException(name, "header is not a valid Python dict literal (found "
                    + PyLiteral.repr(parsed) + ")");
        }
        List<String> missing = new ArrayList<>();
        for (String k : new TreeSet<>(KEYS)) {
            if (!dict.containsKey(k)) {
                missing.add("'" + k + "'");
            }
        }
        if (!missing.isEmpty()) {
            throw new NpyFormatException(name, "header dict is missing key" + (missing.size() > 1 ? "s " : " ")
                    + String.join(", ", missing) + ": " + excerpt(text));
        }
        List<String> extra = new ArrayList<>();
        for (Object k : dict.keySet()) {
            if (!KEYS.contains(k)) {
                extra.add(PyLiteral.repr(k));
            }
        }
        if (!extra.isEmpty()) {
            throw new NpyFormatException(name, "header dict has unexpected key" + (extra.size() > 1 ? "s " : " ")
                    + String.join(", ", extra) + " (expected exactly 'descr', 'fortran_order', 'shape')");
        }

        Object descr = dict.get("descr");
        if (!(descr instanceof String d)) {
            String kind = descr instanceof PyLiteral.PyList ? "structured dtype " : "dtype ";
            throw new NpyFormatException(name, "unsupported " + kind + PyLiteral.repr(descr) + " (supported: "
                    + NpyDType.supportedDescrs() + ", in either byte order)");
        }
        NpyDType.Parsed dtype = NpyDType.parseDescr(d);
        if (dtype == null) {
            throw new NpyFormatException(name, "unsupported dtype '" + d + "' (supported: "
                    + NpyDType.supportedDescrs() + ", in either byte order)");
        }

        Object fo = dict.get("fortran_order");
        if (!(fo instanceof Boolean fortran)) {
            throw new NpyFormatException(name, "header key 'fortran_order' must be True or False, found "
                    + PyLiteral.repr(fo));
        }

        Object sh = dict.get("shape");
        if (!(sh instanceof PyLiteral.Tuple tuple) || !tuple.items().stream().allMatch(BigInteger.class::isInstance)) {
            throw new NpyFormatException(name, "header key 'shape' must be a tuple of ints, found "
                    + PyLiteral.repr(sh));
        }
        String shapeText = PyLiteral.repr(tuple);
        long[] shape = new long[tuple.items().size()];
        BigInteger count = BigInteger.ONE;
        BigInteger maxLong = BigInteger.valueOf(Long.MAX_VALUE);
        for (int i = 0; i < shape.length; i++) {
            BigInteger v = (BigInteger) tuple.items().get(i);
            if (v.signum() < 0) {
                throw new NpyFormatException(name, "negative dimension " + v + " in shape " + shapeText);
            }
            if (v.compareTo(maxLong) > 0) {
                throw new NpyFormatException(name, "dimension " + v + " in shape " + shapeText
                        + " overflows a 64-bit integer");
            }
            shape[i] = v.longValueExact();
            count = count.multiply(v);
        }
        if (count.compareTo(BigInteger.valueOf(NpyArray.MAX_ELEMENTS)) > 0) {
            throw new NpyFormatException(name, "shape " + shapeText + " has " + count + " elements; at most "
                    + NpyArray.MAX_ELEMENTS + " (2^31-1) are supported");
        }
        long bytes = count.longValueExact() * dtype.dtype().byteSize();
        if (bytes > NpyArray.MAX_BYTES) {
            throw new NpyFormatException(name, "shape " + shapeText + " of '" + d + "' needs " + bytes
                    + " bytes of data; at most " + NpyArray.MAX_BYTES + " are supported");
        }
        if (fortran) {
            int nonTrivial = 0;
            for (long s : shape) {
                if (s > 1) {
                    nonTrivial++;
                }
            }
            if (nonTrivial > 1 && count.signum() > 0) {
                throw new NpyFormatException(name, "fortran_order True (column-major data) is not supported for "
                        + "shape " + shapeText + "; save a C-ordered array instead, e.g. "
                        + "np.save(path, np.ascontiguousarray(a))");
            }
        }
        return new NpyHeader(major, minor, dtype.dtype(), dtype.bigEndian(), shape, dataOffset);
    }
}
