package dev.sparsekernels.io;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Parses and checks the JSON header of a {@code .safetensors} file: every tensor's dtype, shape and data offsets, and
 * that the tensors tile the data section exactly (no overlap, no gap, nothing past the end), as the reference
 * implementation requires. All of it is checked before the reader allocates anything for the data, so a header
 * claiming terabytes fails here with a message instead of an OutOfMemoryError.
 */
final class SafetensorsHeader {
    /** Same cap as the reference implementation (100 MB); real headers are kilobytes. */
    static final long MAX_HEADER_BYTES = 100_000_000L;

    private static final Set<String> TENSOR_KEYS = Set.of("dtype", "shape", "data_offsets");

    /** One tensor's entry: where its bytes are, relative to the start of the data section. */
    static final class Entry {
        final String name;
        final SafetensorsDType dtype;
        final long[] shape;
        final long begin;
        final long end;

        Entry(String name, SafetensorsDType dtype, long[] shape, long begin, long end) {
            this.name = name;
            this.dtype = dtype;
            this.shape = shape;
            this.begin = begin;
            this.end = end;
        }
    }

    final List<Entry> entries;
    final LinkedHashMap<String, String> metadata;

    private SafetensorsHeader(List<Entry> entries, LinkedHashMap<String, String> metadata) {
        this.entries = entries;
        this.metadata = metadata;
    }

    /**
     * @param bytes    the header bytes (after the 8-byte length)
     * @param dataSize bytes in the data section that follows the header
     */
    static SafetensorsHeader parse(String file, byte[] bytes, long dataSize) throws SafetensorsFormatException {
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            throw new SafetensorsFormatException(file, "header is not valid UTF-8 JSON", e);
        }
        if (text.isEmpty() || text.charAt(0) != '{') {
            throw new SafetensorsFormatException(file, "header does not start with '{' (found "
                    + excerpt(text, 20) + "); not a .safetensors file");
        }
        Object json;
        try {
            json = JsonReader.parse(text);
        } catch (JsonFormatException e) {
            throw new SafetensorsFormatException(file, "header is not valid JSON: " + e.getMessage(), e);
        }
        if (!(json instanceof Map)) {
            throw new SafetensorsFormatException(file, "header is not a JSON object");
        }
        List<Entry> entries = new ArrayList<>();
        LinkedHashMap<String, String> metadata = new LinkedHashMap<>();
        for (Map.Entry<?, ?> e : ((Map<?, ?>) json).entrySet()) {
            String name = (String) e.getKey();
            if (name.equals("__metadata__")) {
                metadata(file, e.getValue(), metadata);
            } else {
                entries.add(entry(file, name, e.getValue()));
            }
        }
        checkTiling(file, entries, dataSize);
        return new SafetensorsHeader(entries, metadata);
    }

    private static void metadata(String file, Object value, Map<String, String> out)
            throws SafetensorsFormatException {
        if (!(value instanceof Map)) {
            throw new SafetensorsFormatException(file, "__metadata__ must be an object of strings, found "
                    + kind(value));
        }
        for (Map.Entry<?, ?> m : ((Map<?, ?>) value).entrySet()) {
            if (!(m.getValue() instanceof String)) {
                throw new SafetensorsFormatException(file, "__metadata__ entry '" + m.getKey()
                        + "' must be a string, found " + kind(m.getValue()));
            }
            out.put((String) m.getKey(), (String) m.getValue());
        }
    }

    private static Entry entry(String file, String name, Object value) throws SafetensorsFormatException {
        String what = "tensor '" + excerpt(name, 80) + "'";
        if (!(value instanceof Map)) {
            throw new SafetensorsFormatException(file, what + ": expected an object with dtype, shape and"
                    + " data_offsets, found " + kind(value));
        }
        Map<?, ?> info = (Map<?, ?>) value;
        for (String k : TENSOR_KEYS) {
            if (!info.containsKey(k)) {
                throw new SafetensorsFormatException(file, what + ": missing '" + k + "'");
            }
        }
        for (Object k : info.keySet()) {
            if (!TENSOR_KEYS.contains(k)) {
                throw new SafetensorsFormatException(file, what + ": unexpected key '" + excerpt((String) k, 40)
                        + "' (expected dtype, shape, data_offsets)");
            }
        }
        Object dt = info.get("dtype");
        SafetensorsDType dtype = dt instanceof String ? SafetensorsDType.parse((String) dt) : null;
        if (dtype == null) {
            throw new SafetensorsFormatException(file, what + ": unsupported dtype "
                    + (dt instanceof String ? "'" + excerpt((String) dt, 40) + "'" : kind(dt)) + " (supported: "
                    + SafetensorsDType.supported() + ")");
        }
        long[] shape = longs(file, what, "shape", info.get("shape"), -1);
        long count = 1;
        for (long d : shape) {
            try {
                count = Math.multiplyExact(count, d);
            } catch (ArithmeticException ex) {
                throw new SafetensorsFormatException(file, what + ": shape " + Arrays.toString(shape)
                        + " has more than 2^63 elements");
            }
        }
        if (count > NpyArray.MAX_BYTES / dtype.byteSize()) {
            throw new SafetensorsFormatException(file, what + ": shape " + Arrays.toString(shape) + " of " + dtype
                    + " has " + count + " elements; at most " + NpyArray.MAX_BYTES + " bytes per tensor are supported");
        }
        long[] offsets = longs(file, what, "data_offsets", info.get("data_offsets"), 2);
        if (offsets[1] < offsets[0]) {
            throw new SafetensorsFormatException(file, what + ": data_offsets " + Arrays.toString(offsets)
                    + " end before they begin");
        }
        long bytes = count * dtype.byteSize();
        if (offsets[1] - offsets[0] != bytes) {
            throw new SafetensorsFormatException(file, what + ": shape " + Arrays.toString(shape) + " of " + dtype
                    + " needs " + bytes + " bytes but data_offsets " + Arrays.toString(offsets) + " span "
                    + (offsets[1] - offsets[0]));
        }
        return new Entry(name, dtype, shape, offsets[0], offsets[1]);
    }

    /** A JSON array of non-negative integers (of exactly {@code length} items unless it is -1). */
    private static long[] longs(String file, String what, String key, Object value, int length)
            throws SafetensorsFormatException {
        if (!(value instanceof List)) {
            throw new SafetensorsFormatException(file, what + ": '" + key + "' must be an array of integers, found "
                    + kind(value));
        }
        List<?> list = (List<?>) value;
        if (length >= 0 && list.size() != length) {
            throw new SafetensorsFormatException(file, what + ": '" + key + "' must have " + length
                    + " integers, found " + list.size());
        }
        long[] out = new long[list.size()];
        for (int i = 0; i < out.length; i++) {
            Object v = list.get(i);
            if (!(v instanceof Long) || (Long) v < 0) {
                throw new SafetensorsFormatException(file, what + ": '" + key + "'[" + i
                        + "] must be an integer in 0..2^63-1, found " + excerpt(String.valueOf(v), 40));
            }
            out[i] = (Long) v;
        }
        return out;
    }

    /** The tensors, sorted by offset, must cover [0, dataSize) exactly once. */
    private static void checkTiling(String file, List<Entry> entries, long dataSize)
            throws SafetensorsFormatException {
        List<Entry> sorted = new ArrayList<>(entries);
        sorted.sort(Comparator.comparingLong((Entry e) -> e.begin).thenComparingLong(e -> e.end));
        long at = 0;
        for (Entry e : sorted) {
            if (e.begin != at) {
                throw new SafetensorsFormatException(file, "tensor '" + excerpt(e.name, 80) + "' starts at byte "
                        + e.begin + " of the data section, where " + (e.begin < at ? "the previous tensor still runs"
                        + " (overlap up to " + at + ")" : "byte " + at + " was expected (a gap)"));
            }
            at = e.end;
            if (at > dataSize) {
                throw new SafetensorsFormatException(file, "truncated data: tensor '" + excerpt(e.name, 80)
                        + "' ends at byte " + at + " of the data section, but the file holds only " + dataSize);
            }
        }
        if (at != dataSize) {
            throw new SafetensorsFormatException(file, "the data section holds " + dataSize + " bytes but the"
                    + " tensors cover " + at + " (trailing bytes)");
        }
    }

    private static String kind(Object v) {
        if (v == null) {
            return "null";
        }
        if (v instanceof Map) {
            return "an object";
        }
        if (v instanceof List) {
            return "an array";
        }
        if (v instanceof String) {
            return "a string";
        }
        return excerpt(String.valueOf(v), 40);
    }

    static String excerpt(String s, int max) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < s.length() && b.length() < max; i++) {
            char c = s.charAt(i);
            b.append(c >= 0x20 && c != 0x7f ? String.valueOf(c) : String.format("\\u%04x", (int) c));
        }
        return s.length() > max ? b + "..." : b.toString();
    }
}
