package dev.sparsekernels.io.onnx;

import java.util.List;

/**
 * One attribute of a node ({@code AttributeProto}). Only the kinds needed to map weights to layers are decoded:
 * float, int, string, tensor and their lists. Subgraphs (If/Loop bodies) and type protos are recorded by kind but
 * not parsed, which also keeps a hostile file from nesting graphs deeply.
 */
public final class OnnxAttribute {
    /** AttributeProto.AttributeType, with the codes from onnx.proto. */
    public enum Kind {
        UNDEFINED(0), FLOAT(1), INT(2), STRING(3), TENSOR(4), GRAPH(5), FLOATS(6), INTS(7), STRINGS(8), TENSORS(9),
        GRAPHS(10), SPARSE_TENSOR(11), SPARSE_TENSORS(12), TYPE_PROTO(13), TYPE_PROTOS(14);

        final int code;

        Kind(int code) {
            this.code = code;
        }

        static Kind ofCode(long code) {
            for (Kind k : values()) {
                if (k.code == code) {
                    return k;
                }
            }
            return UNDEFINED;
        }
    }

    private final String name;
    private final Kind kind;
    private final float f;
    private final long i;
    private final String s;
    private final OnnxTensor t;
    private final float[] floats;
    private final long[] ints;
    private final List<String> strings;
    private final List<OnnxTensor> tensors;

    OnnxAttribute(String name, Kind kind, float f, long i, String s, OnnxTensor t, float[] floats, long[] ints,
            List<String> strings, List<OnnxTensor> tensors) {
        this.name = name;
        this.kind = kind;
        this.f = f;
        this.i = i;
        this.s = s;
        this.t = t;
        this.floats = floats;
        this.ints = ints;
        this.strings = List.copyOf(strings);
        this.tensors = List.copyOf(tensors);
    }

    public String name() {
        return name;
    }

    public Kind kind() {
        return kind;
    }

    public float floatValue() {
        expect(Kind.FLOAT);
        return f;
    }

    public long intValue() {
        expect(Kind.INT);
        return i;
    }

    public String stringValue() {
        expect(Kind.STRING);
        return s;
    }

    public OnnxTensor tensorValue() {
        expect(Kind.TENSOR);
        return t;
    }

    public float[] floatsValue() {
        expect(Kind.FLOATS);
        return floats.clone();
    }

    public long[] intsValue() {
        expect(Kind.INTS);
        return ints.clone();
    }

    public List<String> stringsValue() {
        expect(Kind.STRINGS);
        return strings;
    }

    public List<OnnxTensor> tensorsValue() {
        expect(Kind.TENSORS);
        return tensors;
    }

    @Override
    public String toString() {
        return name + ":" + kind;
    }

    private void expect(Kind k) {
        if (kind != k) {
            throw new IllegalStateException("attribute '" + name + "': expected " + k + " but it is " + kind);
        }
    }
}
