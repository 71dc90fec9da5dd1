package dev.sparsekernels.io;

import dev.sparsekernels.Tensor;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * Reads and writes {@code .safetensors} files: an 8-byte little-endian header length N, N bytes of UTF-8 JSON
 * ({@code {"name": {"dtype": "F32", "shape": [2, 3], "data_offsets": [begin, end]}, ..., "__metadata__": {...}}}),
 * then the data section, offsets relative to its start.
 *
 * <p>Reading accepts the dtypes of {@link SafetensorsDType}. Every problem is a {@link SafetensorsFormatException}
 * naming the file; the header is checked completely (sizes, offsets tiling the data section, against the file size)
 * before any tensor is allocated, so no allocation is larger than the file. Writing takes F32, F16 and BF16 tensors and
 * produces what the reference implementation reads: header padded with spaces to a multiple of 8 bytes,
 * {@code __metadata__} first, tensors contiguous in the map's order.
 */
public final class Safetensors {
    private Safetensors() {
    }

    /**
     * Reads every tensor of a file.
     *
     * @throws SafetensorsFormatException if the file is missing, is not a well-formed safetensors file, or uses a
     *                                    dtype this reader does not support
     * @throws IOException                on other I/O failures
     */
    public static SafetensorsFile read(Path file) throws IOException {
        if (file == null) {
            throw new IllegalArgumentException("file: expected a path but got null");
        }
        String name = file.toString();
        if (Files.isDirectory(file)) {
            throw new SafetensorsFormatException(name, "is a directory, not a .safetensors file");
        }
        try {
            if (Files.exists(file) && !Files.isRegularFile(file)) {
                // a pipe (/dev/stdin, a shell's <(...)) reports size 0 whatever it carries: read it whole instead
                try (java.io.InputStream in = Files.newInputStream(file)) {
                    byte[] bytes = in.readNBytes(Integer.MAX_VALUE - 8);
                    if (in.read() >= 0) {
                        throw new SafetensorsFormatException(name, "stream longer than " + (Integer.MAX_VALUE - 8)
                                + " bytes, the most this reader takes from something that is not a regular file");
                    }
                    return read(Source.of(bytes), name);
                }
            }
            try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
                return read(Source.of(ch), name);
            }
        } catch (NoSuchFileException e) {
            throw new SafetensorsFormatException(name, "file not found", e);
        } catch (AccessDeniedException e) {
            throw new SafetensorsFormatException(name, "permission denied", e);
        } catch (java.nio.file.FileSystemException e) { // a symlink loop, a path through a file, a name too long
            throw new SafetensorsFormatException(name, e.getReason() == null ? e.toString() : e.getReason(), e);
        }
    }

    /** Bytes at a position: a file channel, or a whole stream read into memory. */
    private interface Source {
        long size() throws IOException;

        /** Reads into dst from position at; -1 at the end. */
        int read(ByteBuffer dst, long at) throws IOException;

        static Source of(FileChannel ch) {
            return new Source() {
                @Override
                public long size() throws IOException {
                    return ch.size();
                }

                @Override
                public int read(ByteBuffer dst, long at) throws IOException {
                    return ch.read(dst, at);
                }
            };
        }

        static Source of(byte[] bytes) {
            return new Source() {
                @Override
                public long size() {
                    return bytes.length;
                }

                @Override
                public int read(ByteBuffer dst, long at) {
                    if (at >= bytes.length) {
                        return -1;
                    }
                    int n = (int) Math.min(dst.remaining(), bytes.length - at);
                    dst.put(bytes, (int) at, n);
                    return n;
                }
            };
        }
    }

    private static SafetensorsFile read(Source ch, String name) throws IOException {
        long size = ch.size();
        if (size < 8) {
            throw new SafetensorsFormatException(name, "file holds " + size + " bytes; a .safetensors file starts"
                    + " with an 8-byte header length");
        }
        ByteBuffer prefix = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
        readFully(ch, prefix, 0, name);
        long n = prefix.getLong(0);
        if (n < 0 || n > size - 8) {
            throw new SafetensorsFormatException(name, "header length field says " + Long.toUnsignedString(n)
                    + " bytes, but the file holds only " + (size - 8) + " after it" + hint(prefix.array()));
        }
        if (n > SafetensorsHeader.MAX_HEADER_BYTES) {
            throw new SafetensorsFormatException(name, "header length " + n + " exceeds the limit of "
                    + SafetensorsHeader.MAX_HEADER_BYTES + " bytes");
        }
        if (n < 2) {
            throw new SafetensorsFormatException(name, "header length " + n + " is too small for a JSON object"
                    + hint(prefix.array()));
        }
        byte[] headerBytes = new byte[(int) n]; // <= the file size, checked above
        readFully(ch, ByteBuffer.wrap(headerBytes), 8, name);
        long dataStart = 8 + n;
        SafetensorsHeader header = SafetensorsHeader.parse(name, headerBytes, size - dataStart);
        LinkedHashMap<String, SafetensorsTensor> tensors = new LinkedHashMap<>();
        for (SafetensorsHeader.Entry e : header.entries) {
            byte[] data = new byte[(int) (e.end - e.begin)]; // inside the file, checked by the header
            readFully(ch, ByteBuffer.wrap(data), dataStart + e.begin, name);
            tensors.put(e.name, new SafetensorsTensor(e.name, e.dtype, e.shape, data));
        }
        return new SafetensorsFile(name, tensors, header.metadata);
    }

    /** Reads until dst is full; a file that ends first (it shrank while we read) is reported as truncated. */
    private static void readFully(Source ch, ByteBuffer dst, long position, String name) throws IOException {
        long at = position;
        while (dst.hasRemaining()) {
            int got = ch.read(dst, at);
            if (got < 0) {
                throw new SafetensorsFormatException(name, "truncated: the file ended at byte " + at + " while "
                        + dst.remaining() + " more bytes were expected");
            }
            at += got;
        }
    }

    /** Says what a file that is not safetensors probably is, from its first bytes. */
    private static String hint(byte[] first) {
        if (first[0] == (byte) 0x93 && first[1] == 'N' && first[2] == 'U' && first[3] == 'M') {
            return "; this is a .npy file";
        }
        if (first[0] == 'P' && first[1] == 'K' && first[2] == 3 && first[3] == 4) {
            return "; this is a zip archive (a PyTorch .bin/.pt checkpoint or .npz?), not .safetensors";
        }
        if (first[0] == (byte) 0x80) {
            return "; this looks like a Python pickle, not .safetensors";
        }
        return "; not a .safetensors file?";
    }

    /**
     * Writes tensors (F32, F16 or BF16, open) to {@code file}, created or replaced, in the map's order.
     *
     * @param metadata string entries for {@code __metadata__}; null or empty for none
     * @throws IllegalArgumentException for a null or empty map, a null, empty or reserved name, or a null tensor
     * @throws IllegalStateException    for a closed tensor
     */
    public static void write(Path file, Map<String, Tensor> tensors, Map<String, String> metadata)
            throws IOException {
        Objects.requireNonNull(file, "file");
        byte[] header = header(tensors, metadata);
        try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(file), 1 << 16)) {
            byte[] len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(header.length).array();
            out.write(len);
            out.write(header);
            byte[] chunk = new byte[1 << 16];
            for (Tensor t : tensors.values()) {
                ByteBuffer b = t.buffer();
                while (b.hasRemaining()) {
                    int k = Math.min(chunk.length, b.remaining());
                    b.get(chunk, 0, k);
                    out.write(chunk, 0, k);
                }
            }
        } catch (NoSuchFileException e) {
            throw new SafetensorsFormatException(file.toString(), "cannot write: directory "
                    + file.toAbsolutePath().getParent() + " does not exist", e);
        } catch (AccessDeniedException e) {
            throw new SafetensorsFormatException(file.toString(), "cannot write: permission denied", e);
        }
    }

    /** The JSON header, space-padded to a multiple of 8 bytes; validates every argument first. */
    static byte[] header(Map<String, Tensor> tensors, Map<String, String> metadata) {
        if (tensors == null || tensors.isEmpty()) {
            throw new IllegalArgumentException("tensors: expected at least one named tensor but got "
                    + (tensors == null ? "null" : "none"));
        }
        StringBuilder json = new StringBuilder("{");
        if (metadata != null && !metadata.isEmpty()) {
            json.append("\"__metadata__\":{");
            boolean first = true;
            for (Map.Entry<String, String> m : metadata.entrySet()) {
                if (m.getKey() == null || m.getValue() == null) {
                    throw new IllegalArgumentException("metadata: expected string keys and values but got "
                            + m.getKey() + " = " + m.getValue());
                }
                json.append(first ? "" : ",").append(quote(m.getKey())).append(':').append(quote(m.getValue()));
                first = false;
            }
            json.append("},");
        }
        long offset = 0;
        for (Map.Entry<String, Tensor> e : tensors.entrySet()) {
            String name = e.getKey();
            Tensor t = e.getValue();
            if (name == null || name.isEmpty() || name.equals("__metadata__")) {
                throw new IllegalArgumentException("tensors: expected a non-empty name other than __metadata__"
                        + " but got " + (name == null ? "null" : "'" + name + "'"));
            }
            if (t == null) {
                throw new IllegalArgumentException("tensors['" + name + "']: expected a tensor but got null");
            }
            if (t.isClosed()) {
                throw new IllegalStateException("tensors['" + name + "']: tensor is closed");
            }
            long end = offset + t.byteSize();
            json.append(quote(name)).append(":{\"dtype\":\"").append(SafetensorsDType.of(t.dtype()).name())
                    .append("\",\"shape\":").append(Arrays.toString(t.shape()).replace(" ", ""))
                    .append(",\"data_offsets\":[").append(offset).append(',').append(end).append("]},");
            offset = end;
        }
        json.setCharAt(json.length() - 1, '}');
        byte[] text = json.toString().getBytes(StandardCharsets.UTF_8);
        int padded = (text.length + 7) / 8 * 8;
        byte[] out = Arrays.copyOf(text, padded);
        Arrays.fill(out, text.length, padded, (byte) ' ');
        return out;
    }

    private static String quote(String s) {
        StringBuilder b = new StringBuilder(s.length() + 2).append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '"' || c == '\\') {
                b.append('\\').append(c);
            } else if (c < 0x20) {
                b.append(String.format("\\u%04x", (int) c));
            } else {
                b.append(c);
            }
        }
        return b.append('"').toString();
    }
}
