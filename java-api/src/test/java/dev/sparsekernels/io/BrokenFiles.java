package dev.sparsekernels.io;

import static dev.sparsekernels.io.NpyTestSupport.dict;
import static dev.sparsekernels.io.NpyTestSupport.le;
import static dev.sparsekernels.io.NpyTestSupport.npy;
import static dev.sparsekernels.io.onnx.ProtoWriter.floatTensor;
import static dev.sparsekernels.io.onnx.ProtoWriter.message;
import static dev.sparsekernels.io.onnx.ProtoWriter.model;
import static dev.sparsekernels.io.onnx.ProtoWriter.node;

import dev.sparsekernels.io.onnx.OnnxAttribute;
import dev.sparsekernels.io.onnx.OnnxDataType;
import dev.sparsekernels.io.onnx.OnnxModel;
import dev.sparsekernels.io.onnx.OnnxTensor;
import dev.sparsekernels.io.onnx.ProtoWriter;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

/**
 * The corpus of broken files: one named case per way a .npy, .safetensors or ONNX file can be wrong that the issue
 * lists (wrong magic, truncated headers and data, absurd shapes that claim terabytes, negative or overflowing
 * dimensions, unsupported dtypes, Fortran order, non-UTF-8 headers; for ONNX also varints, lengths and wire types) and
 * a few more that real files showed, each with the words its error message must contain. Built in code so every case
 * says what is wrong with it; also the fuzzers' seeds.
 */
final class BrokenFiles {
    private BrokenFiles() {
    }

    /** A broken file and a fragment its error message must contain. */
    static final class Case {
        final String name;
        final byte[] bytes;
        final String expected;

        Case(String name, byte[] bytes, String expected) {
            this.name = name;
            this.bytes = bytes;
            this.expected = expected;
        }

        @Override
        public String toString() {
            return name;
        }
    }

    // ------------------------------------------------------------------------------------------------ .npy

    static List<Case> npyCorpus() {
        byte[] good = npy(1, dict("<f4", "(2, 3)"), le(1, 2, 3, 4, 5, 6));
        List<Case> c = new ArrayList<>();
        c.add(new Case("wrong magic", concat("NUMPX\u0001\u0000".getBytes(StandardCharsets.ISO_8859_1),
                Arrays.copyOfRange(good, 7, good.length)), "expected magic string"));
        c.add(new Case("a Python pickle", new byte[] {(byte) 0x80, 4, (byte) 0x95, 0, 0, 0, 0, 0, 0, 0},
                "pickle"));
        c.add(new Case("a zip archive (.npz)", new byte[] {'P', 'K', 3, 4, 20, 0, 0, 0, 8, 0}, "zip archive"));
        c.add(new Case("empty file", new byte[0], "empty"));
        c.add(new Case("truncated in the preamble", Arrays.copyOf(good, 7), "truncated header"));
        c.add(new Case("truncated in the header", Arrays.copyOf(good, 40), "truncated header"));
        byte[] longLen = good.clone();
        longLen[8] = (byte) 0xff;
        longLen[9] = (byte) 0xff;
        c.add(new Case("header length field beyond the file", longLen, "truncated header"));
        byte[] v2 = npy(2, dict("<f4", "(2,)"), le(1, 2));
        ByteBuffer.wrap(v2).order(ByteOrder.LITTLE_ENDIAN).putInt(8, -1);
        c.add(new Case("v2 header length 4 GiB - 1", v2, "truncated header"));
        c.add(new Case("truncated data", npy(1, dict("<f4", "(2, 3)"), le(1, 2, 3, 4, 5)), "truncated data"));
        c.add(new Case("terabyte shape on a 64-byte file", npy(1, dict("<f4", "(1000000, 1000000)"), le(1)),
                "elements"));
        c.add(new Case("exabyte shape, 2^62 doubles", npy(1, dict("<f8", "(4611686018427387904,)"), le(1)),
                "elements"));
        c.add(new Case("2 GiB of f4: over the one-array limit", npy(1, dict("<f4", "(536870912,)"), le(1)),
                "bytes of data"));
        c.add(new Case("negative dimension", npy(1, dict("<f4", "(2, -3)"), le(1)), "negative dimension"));
        c.add(new Case("dimension beyond 2^63", npy(1, dict("<f4", "(9223372036854775808,)"), le(1)),
                "overflows a 64-bit integer"));
        c.add(new Case("dimensions whose product overflows 2^64",
                npy(1, dict("<f4", "(4294967296, 4294967296, 4294967296)"), le(1)), "elements"));
        c.add(new Case("unsupported dtype complex64", npy(1, dict("<c8", "(2,)"), new byte[16]),
                "unsupported dtype"));
        c.add(new Case("unsupported dtype object", npy(1, dict("|O", "(2,)"), new byte[16]), "unsupported dtype"));
        c.add(new Case("unsupported dtype unicode string", npy(1, dict("<U5", "(2,)"), new byte[40]),
                "unsupported dtype"));
        c.add(new Case("structured dtype", npy(1, "{'descr': [('a', '<f4')], 'fortran_order': False, "
                + "'shape': (2,), }", new byte[8]), "structured dtype"));
        c.add(new Case("fortran order, 2-D", npy(1, "{'descr': '<f4', 'fortran_order': True, 'shape': (2, 3), }",
                le(1, 2, 3, 4, 5, 6)), "fortran_order True"));
        byte[] v3 = npy(3, dict("<f4", "(2,)") + "     ", le(1, 2));
        v3[20] = (byte) 0xff; // inside the dict text: not a UTF-8 byte
        c.add(new Case("version 3.0 header that is not UTF-8", v3, "not valid UTF-8"));
        byte[] v4 = good.clone();
        v4[6] = 4;
        c.add(new Case("format version 4.0", v4, "unsupported .npy format version"));
        c.add(new Case("header is a list, not a dict", npy(1, "[1, 2, 3]", new byte[0]), "dict"));
        c.add(new Case("header dict without 'shape'", npy(1, "{'descr': '<f4', 'fortran_order': False, }",
                le(1)), "missing key"));
        c.add(new Case("shape is a list, not a tuple", npy(1, dict("<f4", "[2, 3]"), le(1, 2, 3, 4, 5, 6)),
                "tuple of ints"));
        c.add(new Case("shape holds a float", npy(1, dict("<f4", "(2.5,)"), le(1, 2)), "only integer numbers"));
        c.add(new Case("unterminated header literal", npy(1, "{'descr': '<f4", le(1)), "not a valid Python dict"));
        return c;
    }

    // ---------------------------------------------------------------------------------------------- .safetensors

    /** A file with this JSON header (space-padded to 8) followed by {@code data}. */
    static byte[] safetensors(String json, byte[] data) {
        byte[] h = json.getBytes(StandardCharsets.UTF_8);
        int padded = (h.length + 7) / 8 * 8;
        byte[] header = Arrays.copyOf(h, padded);
        Arrays.fill(header, h.length, padded, (byte) ' ');
        return concat(concat(lengthField(padded), header), data);
    }

    static byte[] lengthField(long n) {
        return ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(n).array();
    }

    private static String tensor(String name, String dtype, String shape, String offsets) {
        return "\"" + name + "\":{\"dtype\":\"" + dtype + "\",\"shape\":" + shape + ",\"data_offsets\":" + offsets
                + "}";
    }

    static List<Case> safetensorsCorpus() {
        byte[] six = le(1, 2, 3, 4, 5, 6);
        List<Case> c = new ArrayList<>();
        c.add(new Case("empty file", new byte[0], "holds 0 bytes"));
        c.add(new Case("7 bytes, shorter than the length field", new byte[7], "8-byte header length"));
        c.add(new Case("header length beyond the file", concat(lengthField(1000), "{}      ".getBytes(
                StandardCharsets.US_ASCII)), "header length field says 1000"));
        c.add(new Case("header length 2^64 - 1", concat(lengthField(-1), new byte[16]),
                "header length field says 18446744073709551615"));
        c.add(new Case("a .npy file (wrong magic)", npy(1, dict("<f4", "(2,)"), le(1, 2)), ".npy file"));
        c.add(new Case("a zip archive (PyTorch .bin)", new byte[] {'P', 'K', 3, 4, 20, 0, 0, 0, 8, 0, 0, 0},
                "zip archive"));
        c.add(new Case("header length 0", lengthField(0), "too small"));
        byte[] truncatedHeader = safetensors("{" + tensor("w", "F32", "[2,3]", "[0,24]") + "}", six);
        c.add(new Case("truncated in the header", Arrays.copyOf(truncatedHeader, 30), "header length field says"));
        byte[] notUtf8 = safetensors("{" + tensor("w", "F32", "[2,3]", "[0,24]") + "}", six);
        notUtf8[11] = (byte) 0xff; // the first letter of the name
        c.add(new Case("header that is not UTF-8", notUtf8, "not valid UTF-8"));
        c.add(new Case("header that is not JSON", safetensors("{not json}", new byte[0]), "not valid JSON"));
        c.add(new Case("header that is a JSON array", safetensors("[1, 2]", new byte[0]), "does not start with '{'"));
        c.add(new Case("text after the JSON object", safetensors("{} x", new byte[0]), "not valid JSON"));
        c.add(new Case("the same tensor name twice", safetensors("{" + tensor("w", "F32", "[1]", "[0,4]") + ","
                + tensor("w", "F32", "[1]", "[4,8]") + "}", le(1, 2)), "duplicate key"));
        c.add(new Case("nesting 1000 deep", safetensors("{\"a\":" + "[".repeat(1000) + "]".repeat(1000) + "}",
                new byte[0]), "nesting deeper"));
        c.add(new Case("tensor without dtype", safetensors("{\"w\":{\"shape\":[2],\"data_offsets\":[0,8]}}",
                le(1, 2)), "missing 'dtype'"));
        c.add(new Case("unsupported dtype F8_E4M3", safetensors("{" + tensor("w", "F8_E4M3", "[2]", "[0,2]") + "}",
                new byte[2]), "unsupported dtype 'F8_E4M3'"));
        c.add(new Case("unsupported dtype C64", safetensors("{" + tensor("w", "C64", "[2]", "[0,16]") + "}",
                new byte[16]), "unsupported dtype 'C64'"));
        c.add(new Case("lower-case dtype", safetensors("{" + tensor("w", "f32", "[2]", "[0,8]") + "}", le(1, 2)),
                "unsupported dtype 'f32'"));
        c.add(new Case("negative dimension", safetensors("{" + tensor("w", "F32", "[2,-3]", "[0,24]") + "}", six),
                "found -3"));
        c.add(new Case("dimension beyond 2^64", safetensors("{" + tensor("w", "F32", "[18446744073709551616]",
                "[0,24]") + "}", six), "must be an integer"));
        c.add(new Case("dimension that is a float", safetensors("{" + tensor("w", "F32", "[2.5]", "[0,10]") + "}",
                new byte[10]), "must be an integer"));
        c.add(new Case("terabyte shape with matching offsets", safetensors("{" + tensor("w", "F32",
                "[1000000,1000000]", "[0,4000000000000]") + "}", six), "elements"));
        c.add(new Case("dimensions whose product overflows 2^63", safetensors("{" + tensor("w", "F32",
                "[4294967296,4294967296,4294967296]", "[0,24]") + "}", six), "more than 2^63 elements"));
        c.add(new Case("4 MB claimed by a 32-byte data section", safetensors("{" + tensor("w", "F32",
                "[1000,1000]", "[0,4000000]") + "}", le(1, 2, 3, 4, 5, 6, 7, 8)), "truncated data"));
        c.add(new Case("offsets that do not match the shape", safetensors("{" + tensor("w", "F32", "[2,3]",
                "[0,20]") + "}", six), "needs 24 bytes"));
        c.add(new Case("offsets in reverse", safetensors("{" + tensor("w", "F32", "[0]", "[8,0]") + "}",
                new byte[8]), "end before they begin"));
        c.add(new Case("offsets with three numbers", safetensors("{" + tensor("w", "F32", "[2]", "[0,8,16]") + "}",
                le(1, 2)), "must have 2 integers"));
        c.add(new Case("overlapping tensors", safetensors("{" + tensor("a", "F32", "[4]", "[0,16]") + ","
                + tensor("b", "F32", "[4]", "[8,24]") + "}", six), "overlap"));
        c.add(new Case("a gap between tensors", safetensors("{" + tensor("a", "F32", "[2]", "[0,8]") + ","
                + tensor("b", "F32", "[2]", "[16,24]") + "}", six), "gap"));
        c.add(new Case("bytes after the last tensor", safetensors("{" + tensor("a", "F32", "[4]", "[0,16]") + "}",
                six), "trailing bytes"));
        c.add(new Case("metadata value that is not a string", safetensors("{\"__metadata__\":{\"format\":1},"
                + tensor("a", "F32", "[2]", "[0,8]") + "}", le(1, 2)), "__metadata__ entry 'format'"));
        c.add(new Case("a Fortran-order key (safetensors has none)", safetensors("{\"w\":{\"dtype\":\"F32\","
                + "\"shape\":[2,3],\"data_offsets\":[0,24],\"order\":\"F\"}}", six), "unexpected key 'order'"));
        c.add(new Case("shape that is a string", safetensors("{" + tensor("w", "F32", "\"2x3\"", "[0,24]") + "}",
                six), "'shape' must be an array"));
        c.add(new Case("control character in a name", safetensors("{\"w\u0001\":{\"dtype\":\"F32\",\"shape\":[2],"
                + "\"data_offsets\":[0,8]}}", le(1, 2)), "control character"));
        return c;
    }

    // ---------------------------------------------------------------------------------------------------- ONNX

    /** A file that is odd but valid protobuf and ONNX: it must read, and the read model must pass the check. */
    static final class ValidCase {
        final String name;
        final byte[] bytes;
        final Predicate<OnnxModel> check;

        ValidCase(String name, byte[] bytes, Predicate<OnnxModel> check) {
            this.name = name;
            this.bytes = bytes;
            this.check = check;
        }

        @Override
        public String toString() {
            return name;
        }
    }

    private static byte[] withInitializer(ProtoWriter tensor) {
        return model(message().message(5, tensor)).toBytes();
    }

    private static byte[] withNode(ProtoWriter node) {
        return model(message().message(1, node)).toBytes();
    }

    private static ProtoWriter constant(ProtoWriter attribute) {
        return node("Constant", "c", new String[0], new String[] {"k"}).message(5, attribute);
    }

    private static byte[] bytes(int... v) {
        byte[] b = new byte[v.length];
        for (int i = 0; i < v.length; i++) {
            b[i] = (byte) v[i];
        }
        return b;
    }

    private static byte[] repeat(int value, int n) {
        byte[] b = new byte[n];
        Arrays.fill(b, (byte) value);
        return b;
    }

    /** A model whose first top-level field is followed by these raw bytes (after the ir_version). */
    private static byte[] modelThen(byte[] raw) {
        return message().varint(1, 8).raw(raw).toBytes();
    }

    /**
     * Truncations of {@link OnnxSamples#small()} at every field boundary: before and after each tag, after each length
     * prefix, at every level of nesting. The graph comes last, so no prefix is a whole model.
     */
    static List<Case> onnxTruncations() {
        byte[] full = OnnxSamples.small();
        Map<Integer, OnnxTree.Boundary> at = new LinkedHashMap<>();
        for (OnnxTree.Boundary b : OnnxTree.boundaries(full)) {
            at.putIfAbsent(b.offset, b);
        }
        List<Case> c = new ArrayList<>();
        for (OnnxTree.Boundary b : at.values()) {
            String expected = b.offset == 0 ? "the file is empty" : b.topLevel ? "no graph" : "truncated";
            c.add(new Case("truncated at byte " + b.offset + " of " + full.length + ", " + b.where,
                    Arrays.copyOf(full, b.offset), expected));
        }
        return c;
    }

    static List<Case> onnxCorpus() {
        List<Case> c = new ArrayList<>();
        // wrong or garbage bytes
        c.add(new Case("empty file", new byte[0], "the file is empty"));
        c.add(new Case("a .npy file", npy(1, dict("<f4", "(2,)"), le(1, 2)), "wire type 3 (groups"));
        c.add(new Case("a zip archive (PyTorch .pt)", new byte[] {'P', 'K', 3, 4, 20, 0, 0, 0, 8, 0, 0, 0},
                "field number 0"));
        c.add(new Case("a .safetensors file", safetensors("{\"w\":{\"dtype\":\"F32\",\"shape\":[1],"
                + "\"data_offsets\":[0,4]}}", le(1)), "graph (field 7) has wire type 0 but 2 was expected"));
        c.add(new Case("a JSON text", "{\"ir_version\": 8}".getBytes(StandardCharsets.US_ASCII),
                "wire type 3 (groups"));
        c.add(new Case("1 KB of zero bytes", new byte[1024], "field number 0"));
        c.add(new Case("1 KB of 0xFF bytes", repeat(0xFF, 1024), "varint longer than 64 bits"));
        c.add(new Case("another protobuf message (no graph)", message().varint(5, 1).string(6, "x").toBytes(),
                "no graph (not an ONNX model?)"));
        c.add(new Case("a GraphProto alone, not a ModelProto", message().message(1, node("Relu", "r",
                new String[] {"x"}, new String[] {"y"})).toBytes(), "ir_version (field 1) has wire type 2"));
        c.add(new Case("the first 4 KB of the real MiniLM file", OnnxSamples.miniLmHead(4096),
                "graph declares 90387579 bytes but only 4073 remain"));
        byte[] small = OnnxSamples.small();
        c.add(new Case("a valid model and a zero byte", concat(small, new byte[1]), "field number 0"));
        c.add(new Case("a valid model and half a field", concat(small, bytes(0x08)),
                "ir_version (a varint) runs past the end"));

        // varints: 10 or more continuation bytes, or cut by the end of their message
        c.add(new Case("tag of 11 bytes (10 continuation bytes)", concat(repeat(0xFF, 10), bytes(1)),
                "a field tag is a varint longer than 64 bits"));
        c.add(new Case("ir_version of 10 bytes worth 2^64", modelThen(concat(bytes(0x08), concat(repeat(0x80, 9),
                bytes(2)))), "ir_version is a varint longer than 64 bits"));
        ProtoWriter graphLen = message().varint(1, 8);
        graphLen.tag(7, OnnxTree.LEN);
        c.add(new Case("graph length of 11 bytes", graphLen.raw(concat(repeat(0xFF, 10), bytes(1))).toBytes(),
                "the length of graph is a varint longer than 64 bits"));
        ProtoWriter longDim = ProtoWriter.tensor("w", OnnxDataType.FLOAT);
        longDim.tag(1, OnnxTree.VARINT);
        longDim.raw(concat(repeat(0x80, 20), bytes(1)));
        c.add(new Case("a dimension of 21 varint bytes", withInitializer(longDim), "dims is a varint longer than"));
        ProtoWriter cutType = ProtoWriter.tensor("w", OnnxDataType.FLOAT).raw(bytes(0x10, 0x80, 0x80));
        c.add(new Case("a varint cut by the end of its message", withInitializer(cutType),
                "truncated: data_type (a varint) runs past the end of the message"));
        ProtoWriter cutPacked = ProtoWriter.tensor("w", OnnxDataType.FLOAT).bytes(1, bytes(2, 0x83));
        c.add(new Case("packed dims whose last varint is cut", withInitializer(cutPacked),
                "truncated: dims (a varint) runs past"));

        // lengths that claim gigabytes
        c.add(new Case("graph length 2^40 on a 10-byte file", message().varint(1, 8)
                .lyingLength(7, 1L << 40, new byte[4]).toBytes(), "graph declares 1099511627776 bytes but only 4"));
        c.add(new Case("raw_data length 2^31 - 1", withInitializer(ProtoWriter.tensor("w", OnnxDataType.FLOAT, 4)
                .lyingLength(9, Integer.MAX_VALUE, new byte[16])), "raw_data declares 2147483647 bytes but only 16"));
        c.add(new Case("raw_data length 2^32 + 8 (8 if cut to 32 bits)", withInitializer(ProtoWriter.tensor("w",
                OnnxDataType.FLOAT, 2).lyingLength(9, (1L << 32) + 8, new byte[8])), "raw_data declares 4294967304"));
        c.add(new Case("a name length 2^63 - 1", withInitializer(message().lyingLength(8, Long.MAX_VALUE,
                bytes('w'))), "name declares 9223372036854775807"));
        c.add(new Case("a node length 2^64 - 1", model(message().lyingLength(1, -1, new byte[8])).toBytes(),
                "node declares 18446744073709551615"));
        c.add(new Case("packed dims length 1 GiB", withInitializer(message().lyingLength(1, 1L << 30, bytes(1, 2))),
                "dims declares 1073741824"));
        c.add(new Case("an unknown field claiming 4 GiB", message().varint(1, 8).lyingLength(99, 1L << 32,
                new byte[3]).toBytes(), "field 99 declares 4294967296"));

        // dims against the data: negative, overflowing, products that wrap to the size held
        c.add(new Case("negative dimension", withInitializer(ProtoWriter.tensor("n", OnnxDataType.FLOAT, 2).varint(1, -3)
                .bytes(9, new byte[0])), "tensor 'n' has a negative dimension in [2, -3]"));
        c.add(new Case("dimension -1 (a 10-byte varint)", withInitializer(ProtoWriter.tensor("n", OnnxDataType.FLOAT, -1)
                .bytes(9, new byte[4])), "negative dimension in [-1]"));
        c.add(new Case("dimensions whose product overflows 2^63", withInitializer(ProtoWriter.tensor("b", OnnxDataType.FLOAT,
                1L << 40, 1L << 40).bytes(9, new byte[0])), "whose element count overflows"));
        c.add(new Case("2^62 FLOAT elements in 0 bytes (2^64 bytes, 0 if wrapped)", withInitializer(ProtoWriter.tensor("w",
                OnnxDataType.FLOAT, 1L << 62).bytes(9, new byte[0])), "needs 18446744073709551616 bytes of raw_data"));
        c.add(new Case("2^60 COMPLEX128 elements in 0 bytes (2^64 bytes)", withInitializer(ProtoWriter.tensor("z",
                OnnxDataType.COMPLEX128, 1L << 60).bytes(9, new byte[0])), "needs 18446744073709551616 bytes"));
        c.add(new Case("2^63 - 1 DOUBLE elements in 8 bytes", withInitializer(ProtoWriter.tensor("d", OnnxDataType.DOUBLE,
                Long.MAX_VALUE).bytes(9, new byte[8])), "needs 73786976294838206456 bytes"));
        c.add(new Case("2^62 COMPLEX64 elements in float_data (2^63 values)", withInitializer(ProtoWriter.tensor("z",
                OnnxDataType.COMPLEX64, 1L << 62).packedFloats(4, 1f, 2f)), "needs 9223372036854775808 values"));
        c.add(new Case("2^31 FLOAT elements in float_data holding 1", withInitializer(ProtoWriter.tensor("w",
                OnnxDataType.FLOAT, 1L << 31).packedFloats(4, 1f)), "needs 2147483648 values but holds 1"));
        c.add(new Case("2^62 INT4 elements in 0 bytes", withInitializer(ProtoWriter.tensor("q", OnnxDataType.INT4, 1L << 62)
                .bytes(9, new byte[0])), "needs 2305843009213693952 bytes of raw_data but holds 0"));

        // raw_data and typed values that do not fit dims x element size
        c.add(new Case("raw_data shorter than dims x element size", withInitializer(floatTensor("w", new float[5],
                2, 3)), "tensor 'w' of FLOAT [2, 3] (6 elements) needs 24 bytes of raw_data but holds 20"));
        c.add(new Case("raw_data longer than dims x element size", withInitializer(floatTensor("w", new float[7],
                2, 3)), "needs 24 bytes of raw_data but holds 28"));
        c.add(new Case("raw_data of 3 bytes for one FLOAT16", withInitializer(ProtoWriter.tensor("h", OnnxDataType.FLOAT16, 1)
                .bytes(9, new byte[3])), "needs 2 bytes of raw_data but holds 3"));
        c.add(new Case("raw_data of 2 bytes for 5 UINT4 (needs 3)", withInitializer(ProtoWriter.tensor("q", OnnxDataType.UINT4,
                5).bytes(9, new byte[2])), "needs 3 bytes of raw_data but holds 2"));
        c.add(new Case("a FLOAT scalar without data", withInitializer(ProtoWriter.tensor("s", OnnxDataType.FLOAT)),
                "needs 1 values but holds 0"));
        c.add(new Case("int64_data with one value too many", withInitializer(ProtoWriter.tensor("i", OnnxDataType.INT64, 3)
                .packedVarints(7, 1, 2, 3, 4)), "needs 3 values but holds 4"));
        c.add(new Case("packed float_data of 6 bytes", withInitializer(ProtoWriter.tensor("w", OnnxDataType.FLOAT, 1)
                .bytes(4, new byte[6])), "float_data holds 6 bytes, not a multiple of 4"));
        c.add(new Case("both raw_data and float_data", withInitializer(floatTensor("w", new float[1], 1)
                .packedFloats(4, 1f)), "holds both raw_data and typed values"));
        c.add(new Case("float_data for an INT64 tensor", withInitializer(ProtoWriter.tensor("i", OnnxDataType.INT64, 1)
                .packedFloats(4, 1f)), "of type INT64 holds its values in float_data"));
        c.add(new Case("values in two typed fields", withInitializer(ProtoWriter.tensor("i", OnnxDataType.INT64, 2)
                .packedVarints(7, 1).packedVarints(5, 2)), "holds values in two typed fields"));
        c.add(new Case("2 STRING elements holding 1 string", withInitializer(ProtoWriter.tensor("s", OnnxDataType.STRING, 2)
                .string(6, "a")), "holds 1 strings"));

        // unsupported data types and features
        c.add(new Case("data_type missing (UNDEFINED)", withInitializer(message().varint(1, 1).string(8, "w")
                .bytes(9, new byte[4])), "tensor 'w' has no data_type"));
        c.add(new Case("external data", withInitializer(ProtoWriter.tensor("w", OnnxDataType.FLOAT, 4).message(13, message()
                .string(1, "location").string(2, "weights.bin")).varint(14, 1)), "keeps its data in an external file"));
        c.add(new Case("data_location EXTERNAL without a location", withInitializer(ProtoWriter.tensor("w", OnnxDataType.FLOAT,
                4).varint(14, 1)), "external file"));
        c.add(new Case("a tensor split into segments", withInitializer(floatTensor("w", new float[2], 2)
                .message(3, message().varint(1, 0).varint(2, 2))), "split into segments"));
        c.add(new Case("a sparse initializer", model(message().message(15, message().message(1,
                floatTensor("v", new float[1], 1)))).toBytes(), "sparse initializers"));

        // wrong wire types for known fields
        c.add(new Case("raw_data as fixed32", withInitializer(ProtoWriter.tensor("w", OnnxDataType.FLOAT, 1).fixed32(9, 0)),
                "raw_data (field 9) has wire type 5 but 2 was expected"));
        c.add(new Case("data_type as a string", withInitializer(message().string(2, "FLOAT")),
                "data_type (field 2) has wire type 2 but 0 was expected"));
        c.add(new Case("graph as a varint", message().varint(1, 8).varint(7, 5).toBytes(),
                "graph (field 7) has wire type 0 but 2 was expected"));
        c.add(new Case("ir_version as a string", message().string(1, "8").toBytes(),
                "ir_version (field 1) has wire type 2 but 0 was expected"));
        c.add(new Case("op_type as fixed64", withNode(message().string(3, "n").fixed64(4, 1)),
                "op_type (field 4) has wire type 1 but 2 was expected"));
        c.add(new Case("dims as fixed32", withInitializer(message().fixed32(1, 2)),
                "dims (field 1) has wire type 5 but 2 was expected"));
        c.add(new Case("float_data as a varint", withInitializer(ProtoWriter.tensor("w", OnnxDataType.FLOAT, 1).varint(4, 1)),
                "float_data (field 4) has wire type 0 but 2 was expected"));
        c.add(new Case("attribute f as a varint", withNode(constant(message().string(1, "alpha").varint(2, 1))),
                "f (field 2) has wire type 0 but 5 was expected"));
        c.add(new Case("an initializer as fixed64", model(message().fixed64(5, 1)).toBytes(),
                "initializer (field 5) has wire type 1 but 2 was expected"));
        c.add(new Case("the graph as a group (wire type 3)", bytes((7 << 3) | 3, 0),
                "field 7 has wire type 3 (groups, not used by ONNX)"));
        c.add(new Case("wire type 7", modelThen(bytes((2 << 3) | 7)), "field 2 has wire type 7 (undefined)"));
        c.add(new Case("field number 0", modelThen(bytes(0x02, 0)), "field number 0 is outside"));

        // non-UTF-8 names, and names with control characters (quoted in messages)
        ProtoWriter ffName = ProtoWriter.tensor("", OnnxDataType.FLOAT, 1).bytes(8, bytes('w', 0xFF)).bytes(9, new byte[4]);
        c.add(new Case("a tensor name with byte 0xFF (not UTF-8)", withInitializer(ffName),
                "name is not valid UTF-8"));
        c.add(new Case("an op_type in overlong UTF-8 (C0 80)", withNode(message().bytes(4, bytes(0xC0, 0x80))),
                "op_type is not valid UTF-8"));
        c.add(new Case("a producer name holding a UTF-16 surrogate (ED A0 80)", message().bytes(2, bytes(0xED,
                0xA0, 0x80)).message(7, message()).toBytes(), "producer_name is not valid UTF-8"));
        c.add(new Case("a node input cut inside a character (C3)", withNode(message().bytes(1, bytes('x', 0xC3))
                .string(4, "Relu")), "input is not valid UTF-8"));
        c.add(new Case("an opset domain in Latin-1 (caf\\xe9)", message().message(8, message().bytes(1,
                "caf\u00e9".getBytes(StandardCharsets.ISO_8859_1))).message(7, message()).toBytes(),
                "domain is not valid UTF-8"));
        c.add(new Case("two initializers named with a newline", model(message().message(5, floatTensor("w\nx",
                new float[1], 1)).message(5, floatTensor("w\nx", new float[1], 1))).toBytes(),
                "two initializers are named 'w\\x0ax'"));
        c.add(new Case("a node named with NUL and ESC, without op_type", withNode(message().string(3,
                "a\u0000b\u001b[2J")), "node 'a\\x00b\\x1b[2J' has no op_type"));

        // the model's structure
        c.add(new Case("two graphs", message().message(7, message()).message(7, message()).toBytes(),
                "has two graphs"));
        c.add(new Case("two initializers of one name", model(message().message(5, floatTensor("w", new float[1], 1))
                .message(5, floatTensor("w", new float[1], 1))).toBytes(), "two initializers are named 'w'"));
        c.add(new Case("a node without op_type", withNode(message().string(1, "x").string(3, "nameless")),
                "node 'nameless' has no op_type"));
        c.add(new Case("an attribute without a name", withNode(constant(message().varint(20, 2).varint(3, 1))),
                "attribute has no name"));
        c.add(new Case("two attributes of one name", withNode(constant(message().string(1, "a").varint(3, 1))
                .message(5, message().string(1, "a").varint(3, 2))), "two attributes are named 'a'"));
        c.add(new Case("a TENSOR attribute without a tensor", withNode(constant(message().string(1, "value")
                .varint(20, 4))), "attribute 'value' is of type TENSOR but holds no tensor"));
        c.add(new Case("a broken tensor inside an attribute", withNode(constant(message().string(1, "value")
                .varint(20, 4).message(5, ProtoWriter.tensor("", OnnxDataType.FLOAT, 2).bytes(9, new byte[4])))),
                "graph.node[0].attribute[0].t: tensor '' of FLOAT [2] (2 elements) needs 8 bytes"));
        c.add(new Case("a file of only ir_version", message().varint(1, 8).toBytes(), "no graph"));

        // deep nesting: a parsed level whose length overruns what holds it
        c.add(new Case("100,000 nested graphs whose outermost length overruns the file",
                nested(100_000, message().toBytes(), 1), "graph declares"));
        return c;
    }

    /** Odd files that are valid: read, with what the check asserts. */
    static List<ValidCase> onnxOddButValid() {
        List<ValidCase> c = new ArrayList<>();
        c.add(new ValidCase("graphs nested 100,000 deep in If-like attributes (subgraphs are skipped, not parsed)",
                nested(100_000, message().message(1, node("Relu", "", new String[] {"a"}, new String[] {"b"}))
                        .toBytes(), 0),
                m -> m.graph().nodes().get(0).attribute("then_branch").kind() == OnnxAttribute.Kind.GRAPH));
        c.add(new ValidCase("graphs nested 10,000 deep with garbage at the bottom (skipped, never parsed)",
                nested(10_000, repeat(0xFF, 16), 0),
                m -> m.graph().nodes().get(0).attribute("then_branch").kind() == OnnxAttribute.Kind.GRAPH));
        c.add(new ValidCase("an unknown data type (99): kept, not decodable", withInitializer(message().varint(1, 2)
                .varint(2, 99).string(8, "u").bytes(9, new byte[3])), m -> {
                    OnnxTensor t = m.graph().initializers().get("u");
                    return t.dataType() == null && t.elementCount() == 2 && throwsIllegalState(t);
                }));
        c.add(new ValidCase("COMPLEX64 and FLOAT8 tensors: read, not decodable", model(message()
                .message(5, ProtoWriter.tensor("z", OnnxDataType.COMPLEX64, 2).bytes(9, new byte[16]))
                .message(5, ProtoWriter.tensor("f", OnnxDataType.FLOAT8E5M2, 3).bytes(9, new byte[3]))).toBytes(), m -> {
                    OnnxTensor z = m.graph().initializers().get("z");
                    OnnxTensor f = m.graph().initializers().get("f");
                    return z.elementCount() == 2 && f.elementCount() == 3 && throwsIllegalState(z)
                            && throwsIllegalState(f);
                }));
        c.add(new ValidCase("5 INT4 elements in 3 bytes", withInitializer(ProtoWriter.tensor("q", OnnxDataType.INT4, 5)
                .bytes(9, new byte[3])), m -> m.graph().initializers().get("q").elementCount() == 5));
        c.add(new ValidCase("no elements: dims [0, 2^62]", withInitializer(ProtoWriter.tensor("e", OnnxDataType.FLOAT, 0,
                1L << 62).bytes(9, new byte[0])), m -> m.graph().initializers().get("e").toFloatArray().length == 0));
        c.add(new ValidCase("a second ir_version, its tag in 5 bytes (non-minimal varint): the last one counts",
                concat(model(message()).toBytes(), bytes(0x88, 0x80, 0x80, 0x80, 0, 9)), m -> m.irVersion() == 9));
        c.add(new ValidCase("ir_version 2^63 alone", message().varint(1, Long.MIN_VALUE).message(7, message())
                .toBytes(), m -> m.irVersion() == Long.MIN_VALUE));
        c.add(new ValidCase("an empty graph", model(message()).toBytes(), m -> m.graph().nodes().isEmpty()
                && m.graph().initializers().isEmpty()));
        c.add(new ValidCase("the graph before the header fields", message().message(7, message().message(5,
                floatTensor("w", new float[] {2f}, 1))).varint(1, 7).string(2, "p").toBytes(),
                m -> m.irVersion() == 7 && m.graph().initializers().get("w").toFloatArray()[0] == 2f));
        c.add(new ValidCase("dims packed and unpacked mixed", withInitializer(message().packedVarints(1, 2)
                .varint(1, 3).varint(2, 1).string(8, "w").bytes(9, new byte[24])),
                m -> Arrays.equals(m.graph().initializers().get("w").dims(), new long[] {2, 3})));
        c.add(new ValidCase("attribute s and strings that are not UTF-8 (bytes in onnx.proto)", withNode(
                node("Foo", "f", new String[0], new String[0]).message(5, message().string(1, "s").bytes(4,
                        bytes(0xFF))).message(5, message().string(1, "ss").bytes(9, bytes(0xC0, 0x80)))),
                m -> m.graph().nodes().get(0).attribute("s").kind() == OnnxAttribute.Kind.STRING));
        c.add(new ValidCase("a STRING attribute without s: the protobuf default, \"\"", withNode(node("Foo", "f",
                new String[0], new String[0]).message(5, message().string(1, "mode").varint(20, 3))),
                m -> "".equals(m.graph().nodes().get(0).attribute("mode").stringValue())));
        c.add(new ValidCase("the real MiniLM file's first 4 KB, the graph cut to its whole nodes",
                OnnxSamples.miniLmPrefixModel(4096), m -> m.producerName().equals("pytorch")
                        && m.graph().nodes().size() > 20 && m.graph().constant("/Constant_output_0") != null));
        return c;
    }

    private static boolean throwsIllegalState(OnnxTensor t) {
        try {
            t.toFloatArray();
            return false;
        } catch (IllegalStateException e) {
            try {
                t.toLongArray();
                return false;
            } catch (IllegalStateException e2) {
                return true;
            }
        }
    }

    /**
     * A model whose graph holds one node with a GRAPH attribute holding a graph with one such node ..., {@code depth}
     * levels, {@code inner} the innermost graph's bytes. Built outside in from the lengths (wrapping the bytes level by
     * level would copy them depth times). With {@code overrun} > 0 the outermost graph's length claims that many bytes
     * more than the file holds.
     */
    static byte[] nested(int depth, byte[] inner, int overrun) {
        byte[] attrHead = message().string(1, "then_branch").varint(20, 5) /* GRAPH */
                .toBytes();
        byte[] opType = message().string(4, "If").toBytes();
        long[] graphLen = new long[depth + 1];
        long[] nodeLen = new long[depth + 1];
        long[] attrLen = new long[depth + 1];
        graphLen[0] = inner.length;
        for (int i = 1; i <= depth; i++) {
            attrLen[i] = attrHead.length + 1 + OnnxTree.varint(graphLen[i - 1]).length + graphLen[i - 1];
            nodeLen[i] = opType.length + 1 + OnnxTree.varint(attrLen[i]).length + attrLen[i];
            graphLen[i] = 1 + OnnxTree.varint(nodeLen[i]).length + nodeLen[i];
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(message().varint(1, 8).toBytes());
        out.write((7 << 3) | OnnxTree.LEN);
        out.writeBytes(OnnxTree.varint(graphLen[depth] + overrun));
        for (int i = depth; i >= 1; i--) {
            out.write((1 << 3) | OnnxTree.LEN); // graph.node
            out.writeBytes(OnnxTree.varint(nodeLen[i]));
            out.writeBytes(opType);
            out.write((5 << 3) | OnnxTree.LEN); // node.attribute
            out.writeBytes(OnnxTree.varint(attrLen[i]));
            out.writeBytes(attrHead);
            out.write((6 << 3) | OnnxTree.LEN); // attribute.g
            out.writeBytes(OnnxTree.varint(graphLen[i - 1]));
        }
        out.writeBytes(inner);
        return out.toByteArray();
    }

    static byte[] concat(byte[] a, byte[] b) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(a.length + b.length);
        out.writeBytes(a);
        out.writeBytes(b);
        return out.toByteArray();
    }
}
