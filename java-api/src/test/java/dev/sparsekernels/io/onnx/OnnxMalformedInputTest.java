package dev.sparsekernels.io.onnx;

import static dev.sparsekernels.io.onnx.ProtoWriter.floatTensor;
import static dev.sparsekernels.io.onnx.ProtoWriter.message;
import static dev.sparsekernels.io.onnx.ProtoWriter.model;
import static dev.sparsekernels.io.onnx.ProtoWriter.node;
import static dev.sparsekernels.io.onnx.ProtoWriter.tensor;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Broken files must fail with an {@link OnnxFormatException} that names the file, the place in the model and the
 * problem; never another exception, a huge allocation or a read past the data.
 */
class OnnxMalformedInputTest {

    @TempDir
    Path dir;

    private static OnnxFormatException fails(byte[] bytes, String... parts) {
        OnnxFormatException e = assertThrows(OnnxFormatException.class,
                () -> OnnxModel.parse(ByteBuffer.wrap(bytes), "bad.onnx"));
        assertTrue(e.getMessage().startsWith("bad.onnx: "), e.getMessage());
        for (String p : parts) {
            assertTrue(e.getMessage().contains(p), "'" + p + "' not in: " + e.getMessage());
        }
        return e;
    }

    private static byte[] withInitializer(ProtoWriter tensor) {
        return model(message().message(5, tensor)).toBytes();
    }

    private static byte[] validModel() {
        ProtoWriter c = node("Constant", "c", new String[0], new String[] {"k"})
                .message(5, message().string(1, "value").varint(20, 4)
                        .message(5, floatTensor("", new float[] {0.5f})));
        ProtoWriter g = message().string(2, "g").message(1, c)
                .message(5, floatTensor("w", new float[] {1f, 2f, 3f, 4f, 5f, 6f}, 2, 3))
                .message(5, tensor("ids", OnnxDataType.INT64, 3).packedVarints(7, 1, 300, 70000));
        return model(g).toBytes();
    }

    @Test
    void emptyInput() {
        fails(new byte[0], "model: the file is empty");
    }

    @Test
    void everyPrefixOfAValidFileFailsCleanly() throws Exception {
        byte[] full = validModel();
        OnnxModel.parse(ByteBuffer.wrap(full), "ok.onnx"); // the whole file reads
        for (int n = 0; n < full.length; n++) {
            fails(Arrays.copyOf(full, n));
        }
    }

    @Test
    void truncatedRawDataNamesTheFieldAndTheSizes() {
        ProtoWriter t = tensor("w", OnnxDataType.FLOAT, 1000).lyingLength(9, 4000, new byte[8]);
        fails(withInitializer(t), "graph.initializer[0]", "raw_data declares 4000 bytes but only 8 remain");
    }

    @Test
    void lyingLengthNearTwoGigabytesAllocatesNothing() {
        // A length of 2^31 - 1 on a 30-byte file: checked against the bytes left before any slice or array exists.
        ProtoWriter t = tensor("w", OnnxDataType.FLOAT, 4).lyingLength(9, Integer.MAX_VALUE, new byte[16]);
        fails(withInitializer(t), "raw_data declares 2147483647 bytes but only 16 remain");
        // Also at the top: the graph itself claims more than the file holds.
        byte[] graphLie = message().varint(1, 8).lyingLength(7, 1L << 40, new byte[4]).toBytes();
        fails(graphLie, "model: truncated or corrupt: graph declares 1099511627776 bytes but only 4 remain");
    }

    @Test
    void lengthLargerThanLongIsRefused() {
        // 10 bytes of 0xFF then 0x01: an 11-byte varint for the graph length.
        ProtoWriter m = message().varint(1, 8);
        m.tag(7, ProtoReader.LEN);
        m.raw((byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF,
                (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0x01);
        fails(m.toBytes(), "varint longer than 64 bits");
    }

    @Test
    void rawDataSizeMustMatchDims() {
        ProtoWriter t = floatTensor("w", new float[5], 2, 3);
        fails(withInitializer(t), "tensor 'w' of FLOAT [2, 3] (6 elements) needs 24 bytes of raw_data but holds 20");
    }

    @Test
    void typedValueCountMustMatchDims() {
        ProtoWriter t = tensor("ids", OnnxDataType.INT64, 4).packedVarints(7, 1, 2, 3);
        fails(withInitializer(t), "tensor 'ids' of INT64 [4] (4 elements) needs 4 values but holds 3");
    }

    @Test
    void typedFieldMustFitTheType() {
        ProtoWriter t = tensor("w", OnnxDataType.FLOAT, 2).packedVarints(7, 1, 2);
        fails(withInitializer(t), "tensor 'w' of type FLOAT holds its values in int64_data");
    }

    @Test
    void negativeAndOverflowingDims() {
        ProtoWriter neg = tensor("n", OnnxDataType.FLOAT, 2).varint(1, -3).bytes(9, new byte[0]);
        fails(withInitializer(neg), "tensor 'n' has a negative dimension in [2, -3]");
        ProtoWriter big = tensor("b", OnnxDataType.FLOAT, 1L << 40, 1L << 40).bytes(9, new byte[0]);
        fails(withInitializer(big), "tensor 'b' has dims [1099511627776, 1099511627776] whose element count overflows");
    }

    @Test
    void elementCountTimesSizeThatWrapsToTheSizeHeldIsRefused() {
        // 2^62 x 4 bytes is 2^64, 0 in 64-bit arithmetic: an empty raw_data used to pass for 2^62 floats.
        ProtoWriter t = tensor("w", OnnxDataType.FLOAT, 1L << 62).bytes(9, new byte[0]);
        fails(withInitializer(t), "tensor 'w' of FLOAT [4611686018427387904] (4611686018427387904 elements) needs "
                + "18446744073709551616 bytes of raw_data but holds 0");
        ProtoWriter z = tensor("z", OnnxDataType.COMPLEX64, 1L << 62).packedFloats(4, 1f, 2f);
        fails(withInitializer(z), "needs 9223372036854775808 values but holds 2");
    }

    @Test
    void fourBitTypesHoldTwoElementsPerByte() throws Exception {
        fails(withInitializer(tensor("q", OnnxDataType.UINT4, 5).bytes(9, new byte[2])),
                "tensor 'q' of UINT4 [5] (5 elements) needs 3 bytes of raw_data but holds 2");
        fails(withInitializer(tensor("q", OnnxDataType.INT4, 1L << 62).bytes(9, new byte[0])),
                "needs 2305843009213693952 bytes of raw_data but holds 0");
        OnnxModel m = OnnxModel.parse(ByteBuffer.wrap(withInitializer(tensor("q", OnnxDataType.INT4, 5)
                .bytes(9, new byte[3]))), "ok.onnx");
        assertEquals(5, m.graph().initializers().get("q").elementCount());
    }

    @Test
    void stringFieldsMustBeUtf8ButAttributeBytesNeedNot() throws Exception {
        ProtoWriter t = tensor("", OnnxDataType.FLOAT, 1).bytes(8, new byte[] {'w', (byte) 0xFF})
                .bytes(9, new byte[4]);
        fails(withInitializer(t), "graph.initializer[0]: name is not valid UTF-8");
        fails(model(message().message(1, message().bytes(4, new byte[] {(byte) 0xC0, (byte) 0x80}))).toBytes(),
                "graph.node[0]: op_type is not valid UTF-8");
        // AttributeProto.s is `bytes` in onnx.proto: read as text, malformed bytes replaced
        ProtoWriter n = node("Foo", "f", new String[0], new String[0])
                .message(5, message().string(1, "s").varint(20, 3).bytes(4, new byte[] {'a', (byte) 0xFF}));
        OnnxModel m = OnnxModel.parse(ByteBuffer.wrap(model(message().message(1, n)).toBytes()), "ok.onnx");
        assertEquals("a\uFFFD", m.graph().nodes().get(0).attribute("s").stringValue());
    }

    @Test
    void controlCharactersInQuotedNamesAreEscaped() {
        ProtoWriter g = message().message(5, floatTensor("w\nx", new float[] {1f}, 1))
                .message(5, floatTensor("w\nx", new float[] {2f}, 1));
        OnnxFormatException e = fails(model(g).toBytes(), "two initializers are named 'w\\x0ax'");
        assertEquals("graph: two initializers are named 'w\\x0ax'", e.problem());
        fails(model(message().message(1, message().string(3, "a\u0000b\u001b[2J"))).toBytes(),
                "node 'a\\x00b\\x1b[2J' has no op_type");
    }

    @Test
    void missingDataTypeIsReported() {
        ProtoWriter t = message().varint(1, 1).string(8, "w").bytes(9, new byte[4]);
        fails(withInitializer(t), "tensor 'w' has no data_type");
    }

    @Test
    void externalDataIsReportedAsUnsupported() {
        ProtoWriter t = tensor("w", OnnxDataType.FLOAT, 4).message(13, message().string(1, "location"))
                .varint(14, 1);
        fails(withInitializer(t), "tensor 'w' keeps its data in an external file");
    }

    @Test
    void wrongWireTypeForAKnownField() {
        ProtoWriter t = tensor("w", OnnxDataType.FLOAT, 1).fixed32(9, 0); // raw_data must be LEN
        fails(withInitializer(t), "raw_data (field 9) has wire type 5 but 2 was expected");
    }

    @Test
    void groupWireTypesAndFieldZeroAreRejected() {
        fails(new byte[] {(byte) ((7 << 3) | 3)}, "field 7 has wire type 3 (groups, not used by ONNX)");
        fails(new byte[] {0x00, 0x00}, "field number 0 is outside");
    }

    @Test
    void fileWithoutGraph() {
        fails(message().varint(1, 8).string(2, "x").toBytes(), "model: no graph (not an ONNX model?)");
    }

    @Test
    void duplicateInitializerNames() {
        ProtoWriter g = message().message(5, floatTensor("w", new float[] {1f}, 1))
                .message(5, floatTensor("w", new float[] {2f}, 1));
        fails(model(g).toBytes(), "two initializers are named 'w'");
    }

    @Test
    void nodeWithoutOpType() {
        ProtoWriter n = message().string(1, "x").string(3, "nameless");
        fails(model(message().message(1, n)).toBytes(), "graph.node[0]: node 'nameless' has no op_type");
    }

    @Test
    void missingFileAndDirectory() {
        Path f = dir.resolve("nope.onnx");
        OnnxFormatException e = assertThrows(OnnxFormatException.class, () -> OnnxModel.read(f));
        assertEquals(f + ": file not found", e.getMessage());
        e = assertThrows(OnnxFormatException.class, () -> OnnxModel.read(dir));
        assertEquals(dir + ": is a directory, not an ONNX file", e.getMessage());
        e = assertThrows(OnnxFormatException.class, () -> OnnxModel.read(null, "missing.onnx"));
        assertEquals("missing.onnx: stream is null (resource not found?)", e.getMessage());
    }

    @Test
    void streamErrorsNameTheStream() {
        OnnxFormatException e = assertThrows(OnnxFormatException.class,
                () -> OnnxModel.read(new ByteArrayInputStream(new byte[] {0x08}), "jar:model.onnx"));
        assertTrue(e.getMessage().startsWith("jar:model.onnx: model: truncated"), e.getMessage());
    }

    @Test
    void randomCorruptionsEitherReadOrFailWithFormatException() {
        byte[] full = validModel();
        Random rnd = new Random(7);
        for (int trial = 0; trial < 3000; trial++) {
            byte[] b = full.clone();
            int flips = 1 + rnd.nextInt(4);
            for (int k = 0; k < flips; k++) {
                b[rnd.nextInt(b.length)] = (byte) rnd.nextInt(256);
            }
            try {
                OnnxModel m = OnnxModel.parse(ByteBuffer.wrap(b), "fuzz.onnx");
                for (OnnxTensor t : m.graph().initializers().values()) { // decoding validated data never fails
                    if (t.dataType() != null && t.dataType().isFloating()) {
                        t.toFloatArray();
                    } else if (t.dataType() != null && t.dataType().isInteger()) {
                        t.toLongArray();
                    }
                }
            } catch (OnnxFormatException expected) {
                assertTrue(expected.getMessage().startsWith("fuzz.onnx: "));
            }
        }
        for (int trial = 0; trial < 2000; trial++) {
            byte[] b = new byte[rnd.nextInt(64)];
            rnd.nextBytes(b);
            try {
                OnnxModel.parse(ByteBuffer.wrap(b), "noise.onnx");
            } catch (OnnxFormatException expected) {
                assertTrue(expected.getMessage().startsWith("noise.onnx: "));
            }
        }
    }
}
