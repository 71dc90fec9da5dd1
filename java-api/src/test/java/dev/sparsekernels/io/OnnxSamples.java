package dev.sparsekernels.io;

import static dev.sparsekernels.io.onnx.ProtoWriter.floatTensor;
import static dev.sparsekernels.io.onnx.ProtoWriter.message;
import static dev.sparsekernels.io.onnx.ProtoWriter.model;
import static dev.sparsekernels.io.onnx.ProtoWriter.node;
import static dev.sparsekernels.io.onnx.ProtoWriter.tensor;
import static dev.sparsekernels.io.onnx.ProtoWriter.valueInfo;

import dev.sparsekernels.io.onnx.OnnxDataType;
import dev.sparsekernels.io.onnx.ProtoWriter;
import dev.sparsekernels.model.MiniLmL6V2;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

/** Valid ONNX files for the corpus and the fuzzers: built in code, and one cut from the real MiniLM export. */
final class OnnxSamples {
    private OnnxSamples() {
    }

    /**
     * The small model of OnnxMalformedInputTest: a Constant node holding a tensor, a raw float initializer and a packed
     * int64 one, the graph last so that every prefix of the file is broken.
     */
    static byte[] small() {
        ProtoWriter c = node("Constant", "c", new String[0], new String[] {"k"})
                .message(5, message().string(1, "value").varint(20, 4)
                        .message(5, floatTensor("", new float[] {0.5f})));
        ProtoWriter g = message().string(2, "g").message(1, c)
                .message(5, floatTensor("w", new float[] {1f, 2f, 3f, 4f, 5f, 6f}, 2, 3))
                .message(5, tensor("ids", OnnxDataType.INT64, 3).packedVarints(7, 1, 300, 70000));
        return model(g).toBytes();
    }

    /**
     * Every way of holding values the reader decodes: each attribute kind, raw data of 1-, 2-, 4-, 8- and 16-byte
     * types and 4-bit ones, each typed field packed and not, strings, a scalar and an empty tensor, value infos, and
     * unknown fields of every wire type at every level.
     */
    static byte[] rich() {
        ProtoWriter n = node("Foo", "foo", new String[] {"x", "w"}, new String[] {"y"})
                .message(5, message().string(1, "alpha").varint(20, 1).fixed32(2, Float.floatToIntBits(0.25f)))
                .message(5, message().string(1, "axis").varint(20, 2).varint(3, -1))
                .message(5, message().string(1, "mode").varint(20, 3).string(4, "linear"))
                .message(5, message().string(1, "perm").varint(20, 7).packedVarints(8, 0, 2, 1, 3))
                .message(5, message().string(1, "scales").varint(20, 6).packedFloats(7, 1f, 2f))
                .message(5, message().string(1, "names").varint(20, 8).string(9, "a").string(9, "b"))
                .message(5, message().string(1, "pair").varint(20, 9)
                        .message(10, tensor("", OnnxDataType.INT32, 2).packedVarints(5, 7, -7))
                        .message(10, floatTensor("", new float[] {1.5f})))
                .message(5, message().string(1, "legacy").varint(3, 42))
                .message(5, message().string(1, "body").varint(20, 5).message(6, message().string(2, "sub")
                        .message(1, node("Identity", "", new String[] {"a"}, new String[] {"b"}))))
                .string(7, "").string(6, "node doc");
        ProtoWriter g = message().string(2, "rich").message(1, n)
                .message(1, node("Constant", "c", new String[0], new String[] {"k"})
                        .message(5, message().string(1, "value").varint(20, 4)
                                .message(5, tensor("", OnnxDataType.INT64).varint(7, 5))))
                .message(5, floatTensor("w", new float[] {1, -2, 3.5f, Float.NaN, 0, 6}, 2, 3).varint(99, 5)
                        .fixed64(98, 7L).fixed32(97, 3).string(12, "doc"))
                .message(5, tensor("h", OnnxDataType.FLOAT16, 2).bytes(9, new byte[] {0, 0x3c, 0, (byte) 0xc0}))
                .message(5, tensor("bf", OnnxDataType.BFLOAT16, 1).bytes(9, new byte[] {(byte) 0x80, 0x3f}))
                .message(5, tensor("i8", OnnxDataType.INT8, 2).bytes(9, new byte[] {-1, 5}))
                .message(5, tensor("u16", OnnxDataType.UINT16, 1).bytes(9, new byte[] {-1, -1}))
                .message(5, tensor("d", OnnxDataType.DOUBLE).bytes(9, le8(Double.doubleToLongBits(0.1))))
                .message(5, tensor("pf", OnnxDataType.FLOAT, 3).packedFloats(4, 1f, 2f, 3f))
                .message(5, tensor("uf", OnnxDataType.FLOAT, 2).fixed32(4, Float.floatToIntBits(4f))
                        .fixed32(4, Float.floatToIntBits(5f)))
                .message(5, message().packedVarints(1, 2, 2).varint(2, OnnxDataType.INT64.code()).string(8, "i64")
                        .packedVarints(7, -1L, 0L, Long.MAX_VALUE, Long.MIN_VALUE))
                .message(5, tensor("i32", OnnxDataType.INT32, 2).varint(5, 1).varint(5, -1))
                .message(5, tensor("u64", OnnxDataType.UINT64, 1).packedVarints(11, -1L))
                .message(5, tensor("dd", OnnxDataType.DOUBLE, 1).fixed64(10, Double.doubleToLongBits(2.5)))
                .message(5, tensor("s", OnnxDataType.STRING, 2).string(6, "one").bytes(6, new byte[0]))
                .message(5, tensor("c64", OnnxDataType.COMPLEX64, 1).bytes(9, new byte[8]))
                .message(5, tensor("u4", OnnxDataType.UINT4, 3).bytes(9, new byte[] {0x21, 0x03}))
                .message(5, tensor("f8", OnnxDataType.FLOAT8E4M3FN, 2).bytes(9, new byte[] {0x38, 0x40}))
                .message(5, tensor("empty", OnnxDataType.FLOAT, 0, 5).bytes(9, new byte[0]))
                .message(5, tensor("b", OnnxDataType.BOOL, 2).bytes(9, new byte[] {1, 0}))
                .message(11, valueInfo("x").message(2, message().varint(1, 1)))
                .message(12, valueInfo("y"))
                .message(13, valueInfo("ignored")).string(10, "graph doc");
        return message().string(6, "model doc").varint(5, 3).message(14, message().string(1, "k"))
                .varint(1, 9).string(2, "test").string(3, "0.1")
                .message(8, message().string(1, "").varint(2, 17))
                .message(8, message().string(1, "com.microsoft").varint(2, 1))
                .message(7, g).varint(1000, 1).toBytes();
    }

    /** The first bytes of the real all-MiniLM-L6-v2 export (torch 2.0.1): its header fields and first graph nodes. */
    static byte[] miniLmHead(int n) {
        try (InputStream in = OnnxSamples.class.getClassLoader().getResourceAsStream(MiniLmL6V2.ONNX_RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException(MiniLmL6V2.ONNX_RESOURCE + " is not on the test class path");
            }
            return in.readNBytes(n);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * A valid model made of the real file's first {@code n} bytes: its header fields, then a graph of the nodes that
     * lie whole in those bytes (the export's first ~30 nodes, Constant nodes with tensors among them), with the graph
     * length rewritten to fit, and the opset (11) the real file has at its end.
     */
    static byte[] miniLmPrefixModel(int n) {
        byte[] head = miniLmHead(n);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int[] pos = {0};
        while (true) {
            int start = pos[0];
            long tag = readVarint(head, pos);
            if (tag >>> 3 == 7) { // the graph, 90 MB long in the real file: keep the nodes that fit
                long ignored = readVarint(head, pos);
                ByteArrayOutputStream graph = new ByteArrayOutputStream();
                while (true) {
                    int s = pos[0];
                    long t = readVarint(head, pos);
                    long len = readVarint(head, pos);
                    if ((t & 7) != OnnxTree.LEN || len > head.length - pos[0]) {
                        break;
                    }
                    pos[0] += (int) len;
                    graph.write(head, s, pos[0] - s);
                }
                out.writeBytes(OnnxTree.varint((7 << 3) | OnnxTree.LEN));
                out.writeBytes(OnnxTree.varint(graph.size()));
                out.writeBytes(graph.toByteArray());
                break;
            }
            long wire = tag & 7;
            if (wire == OnnxTree.VARINT) {
                readVarint(head, pos);
            } else if (wire == OnnxTree.LEN) {
                long len = readVarint(head, pos); // not `pos[0] += read..`: Java reads pos[0] before the call
                pos[0] += (int) len;
            } else {
                throw new IllegalStateException("unexpected wire type " + wire + " at " + start);
            }
            out.write(head, start, pos[0] - start);
        }
        out.writeBytes(message().message(8, message().varint(2, 11)).toBytes());
        return out.toByteArray();
    }

    /** Several valid files: the fuzzers' seeds. */
    static List<byte[]> validFiles() {
        List<byte[]> files = new ArrayList<>();
        files.add(small());
        files.add(rich());
        files.add(miniLmPrefixModel(4096));
        return files;
    }

    private static long readVarint(byte[] b, int[] pos) {
        long v = 0;
        for (int shift = 0; pos[0] < b.length; shift += 7) {
            int x = b[pos[0]++] & 0xFF;
            v |= (long) (x & 0x7F) << shift;
            if (x < 0x80) {
                return v;
            }
        }
        return Long.MAX_VALUE; // ran off the prefix: the caller sees a length beyond it
    }

    private static byte[] le8(long v) {
        return ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(v).array();
    }
}
