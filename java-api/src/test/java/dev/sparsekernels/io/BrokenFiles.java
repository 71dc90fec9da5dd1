package dev.sparsekernels.io;

import static dev.sparsekernels.io.NpyTestSupport.dict;
import static dev.sparsekernels.io.NpyTestSupport.le;
import static dev.sparsekernels.io.NpyTestSupport.npy;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The corpus of broken files: one named case per way a .npy or .safetensors file can be wrong that the issue lists
 * (wrong magic, truncated headers and data, absurd shapes that claim terabytes, negative or overflowing dimensions,
 * unsupported dtypes, Fortran order, non-UTF-8 headers) and a few more that real files showed, each with the words
 * its error message must contain. Built in code so every case says what is wrong with it; also the fuzzers' seeds.
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

    static byte[] concat(byte[] a, byte[] b) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(a.length + b.length);
        out.writeBytes(a);
        out.writeBytes(b);
        return out.toByteArray();
    }
}
