package dev.sparsekernels.io.onnx;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * Builds protobuf messages by hand for tests: the wire format written out field by field. Public so the model tests
 * can build small ONNX files in the layouts real exporters produce.
 */
public final class ProtoWriter {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();

    public static ProtoWriter message() {
        return new ProtoWriter();
    }

    public ProtoWriter varint(int field, long value) {
        tag(field, ProtoReader.VARINT);
        rawVarint(value);
        return this;
    }

    public ProtoWriter fixed32(int field, int bits) {
        tag(field, ProtoReader.FIXED32);
        rawLe(bits, 4);
        return this;
    }

    public ProtoWriter fixed64(int field, long bits) {
        tag(field, ProtoReader.FIXED64);
        rawLe(bits, 8);
        return this;
    }

    public ProtoWriter bytes(int field, byte[] value) {
        tag(field, ProtoReader.LEN);
        rawVarint(value.length);
        out.writeBytes(value);
        return this;
    }

    public ProtoWriter string(int field, String value) {
        return bytes(field, value.getBytes(StandardCharsets.UTF_8));
    }

    public ProtoWriter message(int field, ProtoWriter child) {
        return bytes(field, child.toBytes());
    }

    /** A LEN field whose declared length is a lie: the prefix says declared, only the given bytes follow. */
    public ProtoWriter lyingLength(int field, long declared, byte[] actual) {
        tag(field, ProtoReader.LEN);
        rawVarint(declared);
        out.writeBytes(actual);
        return this;
    }

    public ProtoWriter packedVarints(int field, long... values) {
        ProtoWriter p = new ProtoWriter();
        for (long v : values) {
            p.rawVarint(v);
        }
        return bytes(field, p.toBytes());
    }

    public ProtoWriter packedFloats(int field, float... values) {
        return bytes(field, floatsLe(values));
    }

    public ProtoWriter raw(byte... b) {
        out.writeBytes(b);
        return this;
    }

    public void tag(int field, int wireType) {
        rawVarint(((long) field << 3) | wireType);
    }

    void rawVarint(long v) {
        while ((v & ~0x7FL) != 0) {
            out.write((int) ((v & 0x7F) | 0x80));
            v >>>= 7;
        }
        out.write((int) v);
    }

    private void rawLe(long v, int n) {
        for (int i = 0; i < n; i++) {
            out.write((int) (v >>> (8 * i)) & 0xFF);
        }
    }

    public byte[] toBytes() {
        return out.toByteArray();
    }

    public static byte[] floatsLe(float... values) {
        ByteBuffer b = ByteBuffer.allocate(4 * values.length).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : values) {
            b.putFloat(v);
        }
        return b.array();
    }

    // ---- ONNX message builders (field numbers from onnx.proto) ----

    /** TensorProto with dims, data type and name; add the data fields yourself. */
    public static ProtoWriter tensor(String name, OnnxDataType type, long... dims) {
        ProtoWriter t = message();
        for (long d : dims) {
            t.varint(1, d);
        }
        t.varint(2, type.code());
        t.string(8, name);
        return t;
    }

    public static ProtoWriter floatTensor(String name, float[] values, long... dims) {
        return tensor(name, OnnxDataType.FLOAT, dims).bytes(9, floatsLe(values));
    }

    public static ProtoWriter node(String opType, String name, String[] inputs, String[] outputs) {
        ProtoWriter n = message();
        for (String i : inputs) {
            n.string(1, i);
        }
        for (String o : outputs) {
            n.string(2, o);
        }
        n.string(3, name);
        n.string(4, opType);
        return n;
    }

    public static ProtoWriter valueInfo(String name) {
        return message().string(1, name);
    }

    /** ModelProto with IR version 8, opset 17, producer "test"; the graph comes last so every prefix is broken. */
    public static ProtoWriter model(ProtoWriter graph) {
        ProtoWriter opset = message().string(1, "").varint(2, 17);
        return message().varint(1, 8).string(2, "test").string(3, "0.1").message(8, opset).message(7, graph);
    }
}
