package dev.sparsekernels.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sparsekernels.DType;
import dev.sparsekernels.Tensor;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Writing then reading gives back every bit, name, shape and metadata entry; hand-built files read as specified. */
class SafetensorsRoundTripTest {
    @TempDir
    Path dir;

    @Test
    void everyWritableDtypeComesBackBitForBitWithNamesShapesAndMetadata() throws Exception {
        Random r = new Random(11);
        short[] f16 = new short[24];
        short[] bf16 = new short[24];
        for (int i = 0; i < f16.length; i++) {
            f16[i] = (short) r.nextInt(); // every pattern, NaN payloads and subnormals included
            bf16[i] = (short) r.nextInt();
        }
        float[] f32 = new float[12];
        for (int i = 0; i < f32.length; i++) {
            f32[i] = Float.intBitsToFloat(r.nextInt());
        }
        Path file = dir.resolve("t.safetensors");
        try (Tensor a = Tensor.of(f32, 3, 4);
                Tensor b = Tensor.ofBits(DType.F16, f16, 2, 3, 4);
                Tensor c = Tensor.ofBits(DType.BF16, bf16, 24);
                Tensor s = Tensor.of(new float[] {42}, new long[0]);
                Tensor e = Tensor.allocate(DType.BF16, 3, 0)) {
            Map<String, Tensor> m = new LinkedHashMap<>();
            m.put("layer.0.weight", a);
            m.put("h\u00e9ad \"quoted\"\\", b);
            m.put("bf", c);
            m.put("scalar", s);
            m.put("empty", e);
            Safetensors.write(file, m, Map.of("format", "pt", "line", "a\nb"));

            SafetensorsFile read = Safetensors.read(file);
            assertEquals(List.copyOf(m.keySet()), List.copyOf(read.names()), "names in order");
            assertEquals(Map.of("format", "pt", "line", "a\nb"), read.metadata());
            for (Map.Entry<String, Tensor> en : m.entrySet()) {
                SafetensorsTensor t = read.get(en.getKey());
                assertEquals(SafetensorsDType.of(en.getValue().dtype()), t.dtype(), en.getKey());
                assertArrayEquals(en.getValue().shape(), t.shape(), en.getKey());
                try (Tensor back = t.toTensor()) {
                    assertEquals(en.getValue().buffer(), back.buffer(), en.getKey() + ": bytes");
                    assertEquals(en.getValue().dtype(), back.dtype());
                }
            }
        }
        long headerLength = ByteBuffer.wrap(Files.readAllBytes(file), 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        assertEquals(0, headerLength % 8, "header padded to 8 bytes so the data is aligned");
    }

    @Test
    void theWriterProducesTheReferenceLayoutByteForByte() throws Exception {
        Path file = dir.resolve("ref.safetensors");
        try (Tensor t = Tensor.of(new float[] {1, 2}, 2)) {
            Safetensors.write(file, Map.of("x", t), null);
        }
        String json = "{\"x\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}";
        byte[] expected = BrokenFiles.safetensors(json, NpyTestSupport.le(1, 2));
        assertArrayEquals(expected, Files.readAllBytes(file));
    }

    @Test
    void handBuiltFilesOfEveryReadableDtypeReadAsSpecified() throws Exception {
        ByteBuffer data = ByteBuffer.allocate(8 + 8 + 4 + 2 + 1 + 1 + 3 + 2).order(ByteOrder.LITTLE_ENDIAN);
        data.putDouble(-1.5).putLong(-7).putInt(1 << 20).putShort((short) -300).put((byte) -5).put((byte) 200)
                .put(new byte[] {0, 1, 7}).putShort((short) 0x3c00);
        String json = "{\"__metadata__\":{\"k\":\"v\"},"
                + "\"f64\":{\"dtype\":\"F64\",\"shape\":[],\"data_offsets\":[0,8]},"
                + "\"i64\":{\"dtype\":\"I64\",\"shape\":[1],\"data_offsets\":[8,16]},"
                + "\"i32\":{\"dtype\":\"I32\",\"shape\":[1,1],\"data_offsets\":[16,20]},"
                + "\"i16\":{\"dtype\":\"I16\",\"shape\":[1],\"data_offsets\":[20,22]},"
                + "\"i8\":{\"dtype\":\"I8\",\"shape\":[1],\"data_offsets\":[22,23]},"
                + "\"u8\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[23,24]},"
                + "\"bool\":{\"dtype\":\"BOOL\",\"shape\":[3],\"data_offsets\":[24,27]},"
                + "\"f16\":{\"dtype\":\"F16\",\"shape\":[1],\"data_offsets\":[27,29]}}";
        Path file = dir.resolve("all.safetensors");
        Files.write(file, BrokenFiles.safetensors(json, data.array()));
        SafetensorsFile f = Safetensors.read(file);
        assertEquals(-1.5f, f.get("f64").toFloatArray()[0]);
        assertArrayEquals(new long[] {-7}, f.get("i64").toLongArray());
        assertArrayEquals(new long[] {1 << 20}, f.get("i32").toLongArray());
        assertArrayEquals(new long[] {-300}, f.get("i16").toLongArray());
        assertArrayEquals(new long[] {-5}, f.get("i8").toLongArray());
        assertArrayEquals(new long[] {200}, f.get("u8").toLongArray());
        assertArrayEquals(new long[] {0, 1, 1}, f.get("bool").toLongArray());
        assertArrayEquals(new float[] {1f}, f.get("f16").toFloatArray());
        assertEquals(Map.of("k", "v"), f.metadata());
        assertTrue(assertThrows(IllegalStateException.class, () -> f.get("i64").toTensor()).getMessage()
                .contains("I64"));
        assertTrue(assertThrows(IllegalStateException.class, () -> f.get("f64").toLongArray()).getMessage()
                .contains("F64"));
        IllegalArgumentException missing = assertThrows(IllegalArgumentException.class, () -> f.get("nope"));
        assertTrue(missing.getMessage().contains("no tensor 'nope'") && missing.getMessage().contains("f64"),
                missing.getMessage());
    }

    @Test
    void theWriterRefusesBadArgumentsBeforeCreatingTheFile() throws Exception {
        Path file = dir.resolve("never.safetensors");
        try (Tensor t = Tensor.of(new float[] {1}, 1)) {
            assertThrows(IllegalArgumentException.class, () -> Safetensors.write(file, Map.of(), null));
            assertThrows(IllegalArgumentException.class, () -> Safetensors.write(file, null, null));
            assertThrows(IllegalArgumentException.class, () -> Safetensors.write(file, Map.of("", t), null));
            assertThrows(IllegalArgumentException.class, () -> Safetensors.write(file, Map.of("__metadata__", t),
                    null));
            Map<String, Tensor> withNull = new LinkedHashMap<>();
            withNull.put("a", null);
            assertThrows(IllegalArgumentException.class, () -> Safetensors.write(file, withNull, null));
            Tensor closed = Tensor.of(new float[] {1}, 1);
            closed.close();
            assertThrows(IllegalStateException.class, () -> Safetensors.write(file, Map.of("c", closed), null));
        }
        assertTrue(Files.notExists(file), "no half-written file");
        SafetensorsFormatException e = assertThrows(SafetensorsFormatException.class, () -> {
            try (Tensor t = Tensor.of(new float[] {1}, 1)) {
                Safetensors.write(dir.resolve("no/such/dir/x.safetensors"), Map.of("a", t), null);
            }
        });
        assertTrue(e.getMessage().contains("does not exist"), e.getMessage());
    }

    @Test
    void headerTextIsUtf8AndNamesAreEscapedJson() throws Exception {
        Path file = dir.resolve("names.safetensors");
        try (Tensor t = Tensor.of(new float[] {1}, 1)) {
            Safetensors.write(file, Map.of("\u00e9\u4e2d\"\\\t", t), null);
        }
        byte[] all = Files.readAllBytes(file);
        String header = new String(Arrays.copyOfRange(all, 8, all.length - 4), StandardCharsets.UTF_8);
        assertTrue(header.contains("\"\u00e9\u4e2d\\\"\\\\\\u0009\""), header);
        assertEquals(Map.of("\u00e9\u4e2d\"\\\t", 1f), Map.of(Safetensors.read(file).names().iterator().next(),
                Safetensors.read(file).tensors().iterator().next().toFloatArray()[0]));
    }
}
