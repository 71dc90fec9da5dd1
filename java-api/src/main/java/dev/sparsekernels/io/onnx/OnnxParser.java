package dev.sparsekernels.io.onnx;

import dev.sparsekernels.io.onnx.ProtoReader.LongList;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Decodes the ONNX messages we need from the wire format. Field numbers are those of onnx.proto (IR version 3 and
 * later, unchanged since); unknown fields are skipped, as protobuf requires, so newer files still read.
 */
final class OnnxParser {
    private OnnxParser() {
    }

    static OnnxModel model(ByteBuffer bytes, String source) throws OnnxFormatException {
        ProtoReader r = ProtoReader.of(bytes, source, "model");
        if (!r.hasMore()) {
            throw r.error("the file is empty");
        }
        long ir = 0;
        String producer = "";
        String producerVersion = "";
        Map<String, Long> opsets = new LinkedHashMap<>();
        OnnxGraph graph = null;
        while (r.hasMore()) {
            r.nextTag();
            switch (r.field()) {
                case 1:
                    ir = r.int64("ir_version");
                    break;
                case 2:
                    producer = r.string("producer_name");
                    break;
                case 3:
                    producerVersion = r.string("producer_version");
                    break;
                case 7:
                    if (graph != null) {
                        throw r.error("has two graphs");
                    }
                    graph = graph(r.message("graph", "graph"));
                    break;
                case 8:
                    opset(r.message("opset_import", "model.opset_import[" + opsets.size() + "]"), opsets);
                    break;
                default:
                    r.skip();
            }
        }
        if (graph == null) {
            throw r.error("no graph (not an ONNX model?)");
        }
        return new OnnxModel(source, ir, producer, producerVersion, opsets, graph);
    }

    private static void opset(ProtoReader r, Map<String, Long> opsets) throws OnnxFormatException {
        String domain = "";
        long version = 0;
        while (r.hasMore()) {
            r.nextTag();
            if (r.field() == 1) {
                domain = r.string("domain");
            } else if (r.field() == 2) {
                version = r.int64("version");
            } else {
                r.skip();
            }
        }
        opsets.put(domain, version);
    }

    private static OnnxGraph graph(ProtoReader r) throws OnnxFormatException {
        String name = "";
        List<OnnxNode> nodes = new ArrayList<>();
        Map<String, OnnxTensor> initializers = new LinkedHashMap<>();
        List<String> inputs = new ArrayList<>();
        List<String> outputs = new ArrayList<>();
        while (r.hasMore()) {
            r.nextTag();
            switch (r.field()) {
                case 1:
                    nodes.add(node(r.message("node", "graph.node[" + nodes.size() + "]")));
                    break;
                case 2:
                    name = r.string("name");
                    break;
                case 5: {
                    OnnxTensor t = tensor(r.message("initializer",
                            "graph.initializer[" + initializers.size() + "]"));
                    if (initializers.putIfAbsent(t.name(), t) != null) {
                        throw r.error("two initializers are named '" + t.name() + "'");
                    }
                    break;
                }
                case 11:
                    inputs.add(valueInfoName(r.message("input", "graph.input[" + inputs.size() + "]")));
                    break;
                case 12:
                    outputs.add(valueInfoName(r.message("output", "graph.output[" + outputs.size() + "]")));
                    break;
                case 15:
                    throw r.error("has sparse initializers, which this reader does not support");
                default:
                    r.skip();
            }
        }
        return new OnnxGraph(name, nodes, initializers, inputs, outputs);
    }

    private static String valueInfoName(ProtoReader r) throws OnnxFormatException {
        String name = "";
        while (r.hasMore()) {
            r.nextTag();
            if (r.field() == 1) {
                name = r.string("name");
            } else {
                r.skip();
            }
        }
        return name;
    }

    private static OnnxNode node(ProtoReader r) throws OnnxFormatException {
        List<String> inputs = new ArrayList<>();
        List<String> outputs = new ArrayList<>();
        String name = "";
        String opType = null;
        String domain = "";
        Map<String, OnnxAttribute> attributes = new LinkedHashMap<>();
        while (r.hasMore()) {
            r.nextTag();
            switch (r.field()) {
                case 1:
                    inputs.add(r.string("input"));
                    break;
                case 2:
                    outputs.add(r.string("output"));
                    break;
                case 3:
                    name = r.string("name");
                    break;
                case 4:
                    opType = r.string("op_type");
                    break;
                case 5: {
                    OnnxAttribute a = attribute(r.message("attribute",
                            r.where() + ".attribute[" + attributes.size() + "]"));
                    if (attributes.putIfAbsent(a.name(), a) != null) {
                        throw r.error("two attributes are named '" + a.name() + "'");
                    }
                    break;
                }
                case 7:
                    domain = r.string("domain");
                    break;
                default:
                    r.skip();
            }
        }
        if (opType == null || opType.isEmpty()) {
            throw r.error("node '" + name + "' has no op_type");
        }
        return new OnnxNode(name, opType, domain, inputs, outputs, attributes);
    }

    private static OnnxAttribute attribute(ProtoReader r) throws OnnxFormatException {
        String name = null;
        long type = -1;
        float f = 0;
        long i = 0;
        String s = ""; // protobuf's default for an absent bytes field: a STRING attribute without s is ""
        OnnxTensor t = null;
        LongList floatBits = new LongList();
        LongList ints = new LongList();
        List<String> strings = new ArrayList<>();
        List<OnnxTensor> tensors = new ArrayList<>();
        // Which value fields were present: old files (IR < 3... and some exporters) omit the type field.
        OnnxAttribute.Kind seen = OnnxAttribute.Kind.UNDEFINED;
        while (r.hasMore()) {
            r.nextTag();
            switch (r.field()) {
                case 1:
                    name = r.string("name");
                    break;
                case 20:
                    type = r.int64("type");
                    break;
                case 2:
                    f = r.float32("f");
                    seen = OnnxAttribute.Kind.FLOAT;
                    break;
                case 3:
                    i = r.int64("i");
                    seen = OnnxAttribute.Kind.INT;
                    break;
                case 4:
                    s = r.text("s");
                    seen = OnnxAttribute.Kind.STRING;
                    break;
                case 5:
                    t = tensor(r.message("t", r.where() + ".t"));
                    seen = OnnxAttribute.Kind.TENSOR;
                    break;
                case 7:
                    r.fixeds("floats", 4, floatBits);
                    seen = OnnxAttribute.Kind.FLOATS;
                    break;
                case 8:
                    r.varints("ints", ints);
                    seen = OnnxAttribute.Kind.INTS;
                    break;
                case 9:
                    strings.add(r.text("strings"));
                    seen = OnnxAttribute.Kind.STRINGS;
                    break;
                case 10:
                    tensors.add(tensor(r.message("tensors", r.where() + ".tensors[" + tensors.size() + "]")));
                    seen = OnnxAttribute.Kind.TENSORS;
                    break;
                default:
                    r.skip(); // graphs, type protos, sparse tensors, doc strings: not needed, not parsed
            }
        }
        if (name == null || name.isEmpty()) {
            throw r.error("attribute has no name");
        }
        OnnxAttribute.Kind kind = type >= 0 ? OnnxAttribute.Kind.ofCode(type) : seen;
        long[] bits = floatBits.toArray();
        float[] floats = new float[bits.length];
        for (int k = 0; k < bits.length; k++) {
            floats[k] = Float.intBitsToFloat((int) bits[k]);
        }
        if (kind == OnnxAttribute.Kind.TENSOR && t == null) {
            throw r.error("attribute '" + name + "' is of type TENSOR but holds no tensor");
        }
        return new OnnxAttribute(name, kind, f, i, s, t, floats, ints.toArray(), strings, tensors);
    }

    static OnnxTensor tensor(ProtoReader r) throws OnnxFormatException {
        LongList dims = new LongList();
        long dataType = 0;
        String name = "";
        ByteBuffer raw = null;
        LongList typed = null;
        OnnxTensor.Field field = null;
        int strings = 0;
        boolean external = false;
        while (r.hasMore()) {
            r.nextTag();
            int f = r.field();
            switch (f) {
                case 1:
                    r.varints("dims", dims);
                    break;
                case 2:
                    dataType = r.int64("data_type");
                    break;
                case 3:
                    throw r.error("tensor is split into segments, which this reader does not support");
                case 8:
                    name = r.string("name");
                    break;
                case 9:
                    raw = r.bytes("raw_data");
                    break;
                case 6:
                    r.bytes("string_data");
                    strings++;
                    break;
                case 13:
                    external = true;
                    r.skip();
                    break;
                case 14:
                    external |= r.int64("data_location") == 1;
                    break;
                case 4:
                case 5:
                case 7:
                case 10:
                case 11: {
                    OnnxTensor.Field which = typedField(f);
                    if (field != null && field != which) {
                        throw r.error("tensor '" + name + "' holds values in two typed fields");
                    }
                    field = which;
                    if (typed == null) {
                        typed = new LongList();
                    }
                    if (f == 4) {
                        r.fixeds("float_data", 4, typed);
                    } else if (f == 10) {
                        r.fixeds("double_data", 8, typed);
                    } else {
                        r.varints(which.name().toLowerCase(java.util.Locale.ROOT), typed);
                    }
                    break;
                }
                default:
                    r.skip();
            }
        }
        String label = "tensor '" + name + "'";
        if (external) {
            throw r.error(label + " keeps its data in an external file, which this reader does not support");
        }
        long[] d = dims.toArray();
        long count = 1;
        for (long dim : d) {
            if (dim < 0) {
                throw r.error(label + " has a negative dimension in " + Arrays.toString(d));
            }
            try {
                count = Math.multiplyExact(count, dim);
            } catch (ArithmeticException e) {
                throw r.error(label + " has dims " + Arrays.toString(d) + " whose element count overflows");
            }
        }
        OnnxDataType type = OnnxDataType.ofCode(dataType);
        if (type == OnnxDataType.UNDEFINED) {
            throw r.error(label + " has no data_type");
        }
        if (raw != null && typed != null) {
            throw r.error(label + " holds both raw_data and typed values");
        }
        if (type != null) {
            if (typed != null && field != fieldFor(type)) {
                throw r.error(label + " of type " + type + " holds its values in "
                        + field.name().toLowerCase(java.util.Locale.ROOT) + ", which ONNX uses for other types");
            }
            checkCount(r, label, type, d, count, raw, typed, strings);
        }
        return new OnnxTensor(name, dataType, d, count, raw, typed == null ? null : typed.toArray(), field);
    }

    private static void checkCount(ProtoReader r, String label, OnnxDataType type, long[] dims, long count,
            ByteBuffer raw, LongList typed, int strings) throws OnnxFormatException {
        String shape = type + " " + Arrays.toString(dims) + " (" + count + " elements)";
        if (type == OnnxDataType.STRING) {
            if (strings != count) {
                throw r.error(label + " of " + shape + " holds " + strings + " strings");
            }
            return;
        }
        if (raw != null) {
            // Compared without multiplying count: count x size may pass 2^63 and wrap to the size held (2^62 FLOAT
            // elements "need" 0 bytes in 64-bit arithmetic), which would accept a tensor of no data.
            long held = raw.remaining();
            int size = type.byteSize();
            boolean fits = size == 0 ? count / 2 + (count & 1) == held // INT4, UINT4: two elements per byte
                    : count <= held / size && count * size == held;
            if (!fits) {
                String expected = size == 0 ? String.valueOf(count / 2 + (count & 1))
                        : BigInteger.valueOf(count).multiply(BigInteger.valueOf(size)).toString();
                throw r.error(label + " of " + shape + " needs " + expected + " bytes of raw_data but holds " + held);
            }
            return;
        }
        long values = typed == null ? 0 : typed.size();
        boolean complex = type == OnnxDataType.COMPLEX64 || type == OnnxDataType.COMPLEX128;
        if (complex ? values % 2 != 0 || values / 2 != count : values != count) {
            String expected = complex ? Long.toUnsignedString(count << 1) : String.valueOf(count); // 2 x count < 2^64
            throw r.error(label + " of " + shape + " needs " + expected + " values but holds " + values);
        }
    }

    /** The typed field onnx.proto assigns to each element type. */
    private static OnnxTensor.Field fieldFor(OnnxDataType type) {
        switch (type) {
            case FLOAT:
            case COMPLEX64:
                return OnnxTensor.Field.FLOAT_DATA;
            case INT64:
                return OnnxTensor.Field.INT64_DATA;
            case DOUBLE:
            case COMPLEX128:
                return OnnxTensor.Field.DOUBLE_DATA;
            case UINT32:
            case UINT64:
                return OnnxTensor.Field.UINT64_DATA;
            default:
                return OnnxTensor.Field.INT32_DATA;
        }
    }

    private static OnnxTensor.Field typedField(int field) {
        switch (field) {
            case 4:
                return OnnxTensor.Field.FLOAT_DATA;
            case 5:
                return OnnxTensor.Field.INT32_DATA;
            case 7:
                return OnnxTensor.Field.INT64_DATA;
            case 10:
                return OnnxTensor.Field.DOUBLE_DATA;
            default:
                return OnnxTensor.Field.UINT64_DATA;
        }
    }
}
