package dev.sparsekernels.io.onnx;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * A cursor over one protobuf message (bytes {@code [start, end)} of a buffer), decoding the wire format: varints,
 * fixed 32/64-bit values and length-delimited fields.
 *
 * <p>Why hand-written: java-api has no dependencies and needs only a few ONNX messages. The files come from outside,
 * so every length is checked against the bytes left in the enclosing message before anything is sliced or
 * allocated: a lying length becomes an {@link OnnxFormatException} naming the field, never a huge allocation or a
 * read past the message. Nested messages share the buffer (slices, no copies), so a 90 MB model is read once.
 */
final class ProtoReader {
    static final int VARINT = 0;
    static final int FIXED64 = 1;
    static final int LEN = 2;
    static final int FIXED32 = 5;

    private final ByteBuffer buf; // little-endian; absolute indexing only
    private final int end;
    private final String source;
    private final String where;
    private int pos;
    private int field;
    private int wireType;

    ProtoReader(ByteBuffer buf, int start, int end, String source, String where) {
        this.buf = buf.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        this.pos = start;
        this.end = end;
        this.source = source;
        this.where = where;
    }

    /** A reader over the whole buffer (position to limit). */
    static ProtoReader of(ByteBuffer bytes, String source, String where) {
        return new ProtoReader(bytes, bytes.position(), bytes.limit(), source, where);
    }

    String where() {
        return where;
    }

    boolean hasMore() {
        return pos < end;
    }

    int remaining() {
        return end - pos;
    }

    /** Reads the next tag; then {@link #field()} and {@link #wireType()} describe the field that follows. */
    void nextTag() throws OnnxFormatException {
        long tag = varint("a field tag");
        long number = tag >>> 3;
        if (number < 1 || number > 0x1FFFFFFFL) {
            throw error("field number " + number + " is outside 1..536870911 (not a protobuf message?)");
        }
        field = (int) number;
        wireType = (int) (tag & 7);
        if (wireType != VARINT && wireType != FIXED64 && wireType != LEN && wireType != FIXED32) {
            throw error("field " + field + " has wire type " + wireType
                    + (wireType == 3 || wireType == 4 ? " (groups, not used by ONNX)" : " (undefined)"));
        }
    }

    int field() {
        return field;
    }

    int wireType() {
        return wireType;
    }

    /** Reads a varint of at most 10 bytes. */
    long varint(String what) throws OnnxFormatException {
        long value = 0;
        for (int shift = 0; shift < 64; shift += 7) {
            if (pos >= end) {
                throw error("truncated: " + what + " (a varint) runs past the end of the message");
            }
            int b = buf.get(pos++) & 0xFF;
            if (shift == 63 && b > 1) {
                throw error(what + " is a varint longer than 64 bits");
            }
            value |= (long) (b & 0x7F) << shift;
            if (b < 0x80) {
                return value;
            }
        }
        throw error(what + " is a varint longer than 10 bytes");
    }

    int fixed32(String what) throws OnnxFormatException {
        need(4, what);
        int v = buf.getInt(pos);
        pos += 4;
        return v;
    }

    long fixed64(String what) throws OnnxFormatException {
        need(8, what);
        long v = buf.getLong(pos);
        pos += 8;
        return v;
    }

    /** Reads a length prefix and checks it against the bytes left in this message. */
    int length(String what) throws OnnxFormatException {
        long len = varint("the length of " + what);
        if (len < 0 || len > end - pos) {
            throw error("truncated or corrupt: " + what + " declares " + Long.toUnsignedString(len)
                    + " bytes but only " + (end - pos) + " remain");
        }
        return (int) len;
    }

    /** A reader over the length-delimited field that follows; this reader moves past it. */
    ProtoReader message(String what, String childWhere) throws OnnxFormatException {
        expectWireType(LEN, what);
        int len = length(what);
        ProtoReader child = new ProtoReader(buf, pos, pos + len, source, childWhere);
        pos += len;
        return child;
    }

    /** The bytes of the length-delimited field that follows, as a little-endian slice (no copy). */
    ByteBuffer bytes(String what) throws OnnxFormatException {
        expectWireType(LEN, what);
        int len = length(what);
        ByteBuffer slice = buf.duplicate();
        slice.limit(pos + len).position(pos);
        pos += len;
        return slice.slice().order(ByteOrder.LITTLE_ENDIAN);
    }

    /**
     * A {@code string} field: protobuf requires UTF-8, and names are what weights are found by, so bytes that are not
     * UTF-8 are refused rather than replaced (two different names would read as the same one).
     */
    String string(String what) throws OnnxFormatException {
        ByteBuffer b = bytes(what);
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(b).toString();
        } catch (CharacterCodingException e) {
            throw error(what + " is not valid UTF-8");
        }
    }

    /** A {@code bytes} field read as text (attribute values): bytes that are not UTF-8 become U+FFFD. */
    String text(String what) throws OnnxFormatException {
        ByteBuffer b = bytes(what);
        byte[] a = new byte[b.remaining()];
        b.get(a);
        return new String(a, StandardCharsets.UTF_8);
    }

    long int64(String what) throws OnnxFormatException {
        expectWireType(VARINT, what);
        return varint(what);
    }

    float float32(String what) throws OnnxFormatException {
        expectWireType(FIXED32, what);
        return Float.intBitsToFloat(fixed32(what));
    }

    /** Appends a repeated varint field, packed (one LEN record) or not (one VARINT per value). */
    void varints(String what, LongList into) throws OnnxFormatException {
        if (wireType == VARINT) {
            into.add(varint(what));
            return;
        }
        expectWireType(LEN, what);
        int len = length(what);
        int stop = pos + len;
        ProtoReader packed = new ProtoReader(buf, pos, stop, source, where);
        while (packed.hasMore()) {
            into.add(packed.varint(what));
        }
        pos = stop;
    }

    /** Appends a repeated fixed-width field (4 or 8 bytes) as raw bits, packed or not. */
    void fixeds(String what, int width, LongList into) throws OnnxFormatException {
        int single = width == 4 ? FIXED32 : FIXED64;
        if (wireType == single) {
            into.add(width == 4 ? fixed32(what) & 0xFFFFFFFFL : fixed64(what));
            return;
        }
        expectWireType(LEN, what);
        int len = length(what);
        if (len % width != 0) {
            throw error(what + " holds " + len + " bytes, not a multiple of " + width);
        }
        for (int i = 0; i < len; i += width) {
            into.add(width == 4 ? buf.getInt(pos + i) & 0xFFFFFFFFL : buf.getLong(pos + i));
        }
        pos += len;
    }

    /** Skips the value of the current field, whatever its wire type. */
    void skip() throws OnnxFormatException {
        switch (wireType) {
            case VARINT:
                varint("field " + field);
                break;
            case FIXED64:
                need(8, "field " + field);
                pos += 8;
                break;
            case FIXED32:
                need(4, "field " + field);
                pos += 4;
                break;
            default:
                int len = length("field " + field); // not `pos += length(..)`: Java reads pos before the call
                pos += len;
        }
    }

    void expectWireType(int expected, String what) throws OnnxFormatException {
        if (wireType != expected) {
            throw error(what + " (field " + field + ") has wire type " + wireType + " but " + expected
                    + " was expected");
        }
    }

    OnnxFormatException error(String problem) {
        return new OnnxFormatException(source, where + ": " + problem);
    }

    private void need(int n, String what) throws OnnxFormatException {
        if (end - pos < n) {
            throw error("truncated: " + what + " needs " + n + " bytes but only " + (end - pos) + " remain");
        }
    }

    /** A growable long array: repeated fields have no count up front, and boxing millions of values is wasteful. */
    static final class LongList {
        private long[] values = new long[8];
        private int size;

        void add(long v) {
            if (size == values.length) {
                values = Arrays.copyOf(values, size * 2);
            }
            values[size++] = v;
        }

        int size() {
            return size;
        }

        long[] toArray() {
            return Arrays.copyOf(values, size);
        }
    }
}
