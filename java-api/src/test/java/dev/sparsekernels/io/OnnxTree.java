package dev.sparsekernels.io;

import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A test-side view of an ONNX file as a tree of protobuf fields, independent of the reader under test: the sub-messages
 * the reader decodes (model, graph, node, attribute, tensor, opset, value info) are parsed into fields, everything else
 * is kept as bytes. Used to list every field boundary of a valid file (the truncation cases of the corpus) and to edit
 * a file field by field and write it back with correct lengths (the structural fuzzer), which reaches checks of the
 * reader that byte edits rarely get past the length prefixes to.
 */
final class OnnxTree {
    static final int VARINT = 0;
    static final int FIXED64 = 1;
    static final int LEN = 2;
    static final int FIXED32 = 5;

    /** Sub-message types by message type and field number (onnx.proto). */
    private static final Map<String, Map<Integer, String>> MESSAGES = Map.of(
            "model", Map.of(7, "graph", 8, "opset_import"),
            "graph", Map.of(1, "node", 5, "initializer", 11, "input", 12, "output"),
            "node", Map.of(5, "attribute"),
            "attribute", Map.of(5, "t", 10, "tensors", 6, "g"),
            "g", Map.of(1, "node", 5, "initializer", 11, "input", 12, "output"));

    /** Field names for case names, by message type. */
    private static final Map<String, Map<Integer, String>> NAMES = Map.of(
            "model", Map.of(1, "ir_version", 2, "producer_name", 3, "producer_version", 7, "graph", 8,
                    "opset_import"),
            "graph", Map.of(1, "node", 2, "name", 5, "initializer", 11, "input", 12, "output"),
            "node", Map.of(1, "input", 2, "output", 3, "name", 4, "op_type", 5, "attribute", 7, "domain"),
            "attribute", Map.of(1, "name", 20, "type", 2, "f", 3, "i", 4, "s", 5, "t", 7, "floats", 8, "ints", 9,
                    "strings", 10, "tensors"),
            "tensor", Map.of(1, "dims", 2, "data_type", 4, "float_data", 5, "int32_data", 6, "string_data", 7,
                    "int64_data", 8, "name", 9, "raw_data", 10, "double_data", 11, "uint64_data"),
            "opset_import", Map.of(1, "domain", 2, "version"),
            "value_info", Map.of(1, "name"));

    /** One field: its number and wire type, and a value, bytes, or (for a parsed sub-message) fields. */
    static final class Field {
        int number;
        int wire;
        long value;
        byte[] bytes;
        List<Field> children;

        Field copy() {
            Field f = new Field();
            f.number = number;
            f.wire = wire;
            f.value = value;
            f.bytes = bytes == null ? null : bytes.clone();
            if (children != null) {
                f.children = new ArrayList<>();
                for (Field c : children) {
                    f.children.add(c.copy());
                }
            }
            return f;
        }
    }

    /** A byte offset of the parsed file where a field starts, its tag ends, its length ends or it ends. */
    static final class Boundary {
        final int offset;
        final String where;
        final boolean topLevel;

        Boundary(int offset, String where, boolean topLevel) {
            this.offset = offset;
            this.where = where;
            this.topLevel = topLevel;
        }
    }

    private OnnxTree() {
    }

    static List<Field> parse(byte[] b) {
        return parse(b, 0, b.length, "model", "", null);
    }

    /** Every field boundary of a model file, in file order (an offset may appear more than once). */
    static List<Boundary> boundaries(byte[] b) {
        List<Boundary> out = new ArrayList<>();
        parse(b, 0, b.length, "model", "", out);
        return out;
    }

    private static List<Field> parse(byte[] b, int start, int end, String type, String path, List<Boundary> out) {
        List<Field> fields = new ArrayList<>();
        int[] pos = {start};
        Map<Integer, Integer> seen = new java.util.HashMap<>();
        boolean top = type.equals("model");
        while (pos[0] < end) {
            Field f = new Field();
            int fieldStart = pos[0];
            long tag = varint(b, pos, end);
            f.number = (int) (tag >>> 3);
            f.wire = (int) (tag & 7);
            int k = seen.merge(f.number, 1, Integer::sum) - 1;
            String name = path + (path.isEmpty() ? "" : ".") + nameOf(type, f.number) + "[" + k + "]";
            if (out != null) {
                out.add(new Boundary(fieldStart, "before the tag of " + name, top));
                out.add(new Boundary(pos[0], "after the tag of " + name, false));
            }
            switch (f.wire) {
                case VARINT:
                    f.value = varint(b, pos, end);
                    break;
                case FIXED64:
                    f.value = le(b, pos, 8, end);
                    break;
                case FIXED32:
                    f.value = le(b, pos, 4, end);
                    break;
                case LEN: {
                    long len = varint(b, pos, end);
                    if (len < 0 || len > end - pos[0]) {
                        throw new IllegalArgumentException("bad length at " + pos[0]);
                    }
                    if (out != null) {
                        out.add(new Boundary(pos[0], "after the length of " + name, false));
                    }
                    int s = pos[0];
                    int e = s + (int) len;
                    String sub = MESSAGES.getOrDefault(type, Map.of()).get(f.number);
                    if (sub != null) {
                        f.children = parse(b, s, e, sub, name, out);
                    } else {
                        f.bytes = java.util.Arrays.copyOfRange(b, s, e);
                    }
                    pos[0] = e;
                    break;
                }
                default:
                    throw new IllegalArgumentException("wire type " + f.wire + " at " + fieldStart);
            }
            fields.add(f);
        }
        return fields;
    }

    private static String nameOf(String type, int number) {
        String t = switch (type) {
            case "g" -> "graph";
            case "initializer", "t", "tensors" -> "tensor";
            case "input", "output" -> "value_info";
            default -> type;
        };
        return NAMES.getOrDefault(t, Map.of()).getOrDefault(number, "field " + number);
    }

    static byte[] write(List<Field> fields) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        write(fields, out);
        return out.toByteArray();
    }

    private static void write(List<Field> fields, ByteArrayOutputStream out) {
        for (Field f : fields) {
            writeVarint(out, ((long) f.number << 3) | f.wire);
            switch (f.wire) {
                case VARINT:
                    writeVarint(out, f.value);
                    break;
                case FIXED64:
                    writeLe(out, f.value, 8);
                    break;
                case FIXED32:
                    writeLe(out, f.value, 4);
                    break;
                case LEN: {
                    byte[] payload = f.children != null ? write(f.children) : f.bytes;
                    writeVarint(out, payload.length);
                    out.writeBytes(payload);
                    break;
                }
                default:
                    break; // groups and undefined wire types: a tag alone, as a fuzzer may leave it
            }
        }
    }

    /** Every field of the tree, depth first; with the list holding each, for edits. */
    static void collect(List<Field> fields, List<List<Field>> parents, List<Field> all) {
        for (Field f : fields) {
            parents.add(fields);
            all.add(f);
            if (f.children != null) {
                collect(f.children, parents, all);
            }
        }
    }

    static void writeVarint(ByteArrayOutputStream out, long v) {
        while ((v & ~0x7FL) != 0) {
            out.write((int) ((v & 0x7F) | 0x80));
            v >>>= 7;
        }
        out.write((int) v);
    }

    static byte[] varint(long v) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        writeVarint(out, v);
        return out.toByteArray();
    }

    private static void writeLe(ByteArrayOutputStream out, long v, int n) {
        for (int i = 0; i < n; i++) {
            out.write((int) (v >>> (8 * i)) & 0xFF);
        }
    }

    private static long varint(byte[] b, int[] pos, int end) {
        long v = 0;
        for (int shift = 0; shift < 64; shift += 7) {
            if (pos[0] >= end) {
                throw new IllegalArgumentException("truncated varint");
            }
            int x = b[pos[0]++] & 0xFF;
            v |= (long) (x & 0x7F) << shift;
            if (x < 0x80) {
                return v;
            }
        }
        throw new IllegalArgumentException("varint too long");
    }

    private static long le(byte[] b, int[] pos, int n, int end) {
        if (end - pos[0] < n) {
            throw new IllegalArgumentException("truncated fixed");
        }
        long v = 0;
        for (int i = 0; i < n; i++) {
            v |= (long) (b[pos[0]++] & 0xFF) << (8 * i);
        }
        return v;
    }
}
