package dev.sparsekernels.io.onnx;

import static dev.sparsekernels.io.onnx.ProtoWriter.floatTensor;
import static dev.sparsekernels.io.onnx.ProtoWriter.message;
import static dev.sparsekernels.io.onnx.ProtoWriter.model;
import static dev.sparsekernels.io.onnx.ProtoWriter.node;
import static dev.sparsekernels.io.onnx.ProtoWriter.tensor;
import static dev.sparsekernels.io.onnx.ProtoWriter.valueInfo;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.sparsekernels.cpu.Halfs;
import java.io.ByteArrayInputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Well-formed models built byte by byte: every field we decode comes back as written. */
class OnnxModelReadTest {

    @TempDir
    Path dir;

    private static OnnxModel parse(ProtoWriter m) throws OnnxFormatException {
        return OnnxModel.parse(ByteBuffer.wrap(m.toBytes()), "test.onnx");
    }

    private static OnnxModel parseGraph(ProtoWriter graph) throws OnnxFormatException {
        return parse(model(graph));
    }

    @Test
    void readsModelHeaderAndGraphLists() throws Exception {
        ProtoWriter g = message().string(2, "g")
                .message(1, node("MatMul", "mm", new String[] {"x", "w"}, new String[] {"y"}))
                .message(11, valueInfo("x"))
                .message(12, valueInfo("y"));
        OnnxModel m = parseGraph(g);
        assertEquals(8, m.irVersion());
        assertEquals("test", m.producerName());
        assertEquals("0.1", m.producerVersion());
        assertEquals(17L, m.opsets().get(""));
        assertEquals("g", m.graph().name());
        assertEquals(List.of("x"), m.graph().inputs());
        assertEquals(List.of("y"), m.graph().outputs());
        OnnxNode n = m.graph().nodes().get(0);
        assertEquals("MatMul", n.opType());
        assertEquals("mm", n.name());
        assertEquals(List.of("x", "w"), n.inputs());
        assertSame(n, m.graph().producer("y"));
        assertEquals(List.of(n), m.graph().consumers("w"));
    }

    @Test
    void rawFloatInitializerKeepsDimsAndValues() throws Exception {
        float[] v = {1f, -2.5f, 3e-8f, Float.MAX_VALUE, -0f, 6f};
        OnnxModel m = parseGraph(message().message(5, floatTensor("w", v, 2, 3)));
        OnnxTensor t = m.graph().initializers().get("w");
        assertEquals(OnnxDataType.FLOAT, t.dataType());
        assertArrayEquals(new long[] {2, 3}, t.dims());
        assertEquals(6, t.elementCount());
        assertArrayEquals(v, t.toFloatArray());
        assertSame(t, m.graph().constant("w"));
    }

    @Test
    void floatDataPackedAndUnpackedBothRead() throws Exception {
        ProtoWriter packed = tensor("p", OnnxDataType.FLOAT, 3).packedFloats(4, 1f, 2f, 3f);
        ProtoWriter unpacked = tensor("u", OnnxDataType.FLOAT, 3)
                .fixed32(4, Float.floatToIntBits(4f)).fixed32(4, Float.floatToIntBits(5f))
                .fixed32(4, Float.floatToIntBits(6f));
        OnnxModel m = parseGraph(message().message(5, packed).message(5, unpacked));
        assertArrayEquals(new float[] {1f, 2f, 3f}, m.graph().initializers().get("p").toFloatArray());
        assertArrayEquals(new float[] {4f, 5f, 6f}, m.graph().initializers().get("u").toFloatArray());
    }

    @Test
    void dimsPackedOrNotAndInt64DataIncludingNegatives() throws Exception {
        ProtoWriter t = message().packedVarints(1, 2, 2).varint(2, OnnxDataType.INT64.code()).string(8, "ids")
                .packedVarints(7, -1L, 0L, Long.MAX_VALUE, Long.MIN_VALUE);
        OnnxTensor r = parseGraph(message().message(5, t)).graph().initializers().get("ids");
        assertArrayEquals(new long[] {2, 2}, r.dims());
        assertArrayEquals(new long[] {-1L, 0L, Long.MAX_VALUE, Long.MIN_VALUE}, r.toLongArray());
    }

    @Test
    void float16FromRawDataAndFromInt32Data() throws Exception {
        float[] v = {0.5f, -1.25f, 65504f};
        ByteBuffer raw = ByteBuffer.allocate(6).order(ByteOrder.LITTLE_ENDIAN);
        long[] bits = new long[3];
        for (int i = 0; i < 3; i++) {
            short h = Halfs.f32ToF16(v[i]);
            raw.putShort(h);
            bits[i] = h & 0xFFFF;
        }
        ProtoWriter a = tensor("a", OnnxDataType.FLOAT16, 3).bytes(9, raw.array());
        ProtoWriter b = tensor("b", OnnxDataType.FLOAT16, 3).packedVarints(5, bits);
        OnnxGraph g = parseGraph(message().message(5, a).message(5, b)).graph();
        assertArrayEquals(v, g.initializers().get("a").toFloatArray());
        assertArrayEquals(v, g.initializers().get("b").toFloatArray());
    }

    @Test
    void rawIntegerTypesAreSignedOrUnsignedAsDeclared() throws Exception {
        ProtoWriter i8 = tensor("i8", OnnxDataType.INT8, 2).bytes(9, new byte[] {-1, 5});
        ProtoWriter u8 = tensor("u8", OnnxDataType.UINT8, 2).bytes(9, new byte[] {-1, 5});
        ProtoWriter i32 = tensor("i32", OnnxDataType.INT32, 1).bytes(9, new byte[] {-2, -1, -1, -1});
        ProtoWriter d = tensor("d", OnnxDataType.DOUBLE, 1).bytes(9,
                ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putDouble(0.1).array());
        OnnxGraph g = parseGraph(message().message(5, i8).message(5, u8).message(5, i32).message(5, d)).graph();
        assertArrayEquals(new long[] {-1, 5}, g.initializers().get("i8").toLongArray());
        assertArrayEquals(new long[] {255, 5}, g.initializers().get("u8").toLongArray());
        assertArrayEquals(new long[] {-2}, g.initializers().get("i32").toLongArray());
        assertArrayEquals(new float[] {0.1f}, g.initializers().get("d").toFloatArray());
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> g.initializers().get("i8").toFloatArray());
        assertEquals("tensor 'i8': expected a floating-point type but it is INT8", e.getMessage());
    }

    @Test
    void emptyTensorsWithoutAnyDataFieldReadAsEmptyArrays() throws Exception {
        // dims [0] and no data field at all: what OnnxFuzzTest once produced (toLongArray threw an NPE)
        ProtoWriter ids = tensor("ids", OnnxDataType.INT64, 0);
        ProtoWriter w = tensor("w", OnnxDataType.FLOAT, 2, 0);
        OnnxGraph g = parseGraph(message().message(5, ids).message(5, w)).graph();
        assertArrayEquals(new long[0], g.initializers().get("ids").toLongArray());
        assertArrayEquals(new float[0], g.initializers().get("w").toFloatArray());
        assertEquals(0, g.initializers().get("w").elementCount());
    }

    @Test
    void scalarTensorHasOneElement() throws Exception {
        OnnxTensor t = parseGraph(message().message(5, floatTensor("s", new float[] {7f}))).graph()
                .initializers().get("s");
        assertEquals(0, t.rank());
        assertArrayEquals(new float[] {7f}, t.toFloatArray());
    }

    @Test
    void attributesOfEveryDecodedKind() throws Exception {
        ProtoWriter n = node("Foo", "foo", new String[] {"x"}, new String[] {"y"})
                .message(5, message().string(1, "alpha").varint(20, 1).fixed32(2, Float.floatToIntBits(0.25f)))
                .message(5, message().string(1, "axis").varint(20, 2).varint(3, -1))
                .message(5, message().string(1, "mode").varint(20, 3).string(4, "linear"))
                .message(5, message().string(1, "perm").varint(20, 7).packedVarints(8, 0, 2, 1, 3))
                .message(5, message().string(1, "scales").varint(20, 6).packedFloats(7, 1f, 2f))
                .message(5, message().string(1, "names").varint(20, 8).string(9, "a").string(9, "b"))
                // no type field: older exporters; the kind follows from the value present
                .message(5, message().string(1, "legacy").varint(3, 42));
        OnnxNode r = parseGraph(message().message(1, n)).graph().nodes().get(0);
        assertEquals(0.25f, r.attribute("alpha").floatValue());
        assertEquals(-1L, r.attribute("axis").intValue());
        assertEquals("linear", r.attribute("mode").stringValue());
        assertArrayEquals(new long[] {0, 2, 1, 3}, r.attribute("perm").intsValue());
        assertArrayEquals(new float[] {1f, 2f}, r.attribute("scales").floatsValue());
        assertEquals(List.of("a", "b"), r.attribute("names").stringsValue());
        assertEquals(42L, r.attribute("legacy").intValue());
        assertNull(r.attribute("missing"));
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> r.attribute("axis").floatValue());
        assertEquals("attribute 'axis': expected FLOAT but it is INT", e.getMessage());
    }

    @Test
    void stringAttributeWithoutAValueIsEmpty() throws Exception {
        // protobuf's default for an absent bytes field; stringValue() used to return null
        ProtoWriter n = node("Foo", "foo", new String[0], new String[0])
                .message(5, message().string(1, "mode").varint(20, 3));
        OnnxNode r = parseGraph(message().message(1, n)).graph().nodes().get(0);
        assertEquals("", r.attribute("mode").stringValue());
    }

    @Test
    void constantNodeValueIsFoundByOutputName() throws Exception {
        ProtoWriter value = floatTensor("", new float[] {1e-12f});
        ProtoWriter c = node("Constant", "c", new String[0], new String[] {"eps"})
                .message(5, message().string(1, "value").varint(20, 4).message(5, value));
        OnnxGraph g = parseGraph(message().message(1, c)).graph();
        assertArrayEquals(new float[] {1e-12f}, g.constant("eps").toFloatArray());
        assertNull(g.constant("nothing"));
    }

    @Test
    void unknownFieldsOfEveryWireTypeAreSkipped() throws Exception {
        ProtoWriter t = floatTensor("w", new float[] {1f, 2f}, 2)
                .varint(99, 5).fixed64(98, 7L).fixed32(97, 3).string(12, "doc");
        ProtoWriter g = message().message(5, t).message(13, valueInfo("ignored")).string(10, "graph doc");
        ProtoWriter m = message().string(6, "model doc").varint(5, 3).message(14, message().string(1, "k"))
                .message(7, g).varint(1000, 1);
        OnnxModel r = parse(m);
        assertArrayEquals(new float[] {1f, 2f}, r.graph().initializers().get("w").toFloatArray());
    }

    @Test
    void readsFromFileAndFromStream() throws Exception {
        byte[] bytes = model(message().message(5, floatTensor("w", new float[] {3f}, 1))).toBytes();
        Path f = dir.resolve("m.onnx");
        Files.write(f, bytes);
        OnnxModel fromFile = OnnxModel.read(f);
        assertEquals(f.toString(), fromFile.source());
        assertArrayEquals(new float[] {3f}, fromFile.graph().initializers().get("w").toFloatArray());
        OnnxModel fromStream = OnnxModel.read(new ByteArrayInputStream(bytes), "jar:m.onnx");
        assertEquals("jar:m.onnx", fromStream.source());
        assertArrayEquals(new float[] {3f}, fromStream.graph().initializers().get("w").toFloatArray());
    }
}
