package dev.sparsekernels.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sparsekernels.io.onnx.OnnxAttribute;
import dev.sparsekernels.io.onnx.OnnxDataType;
import dev.sparsekernels.io.onnx.OnnxFormatException;
import dev.sparsekernels.io.onnx.OnnxGraph;
import dev.sparsekernels.io.onnx.OnnxModel;
import dev.sparsekernels.io.onnx.OnnxNode;
import dev.sparsekernels.io.onnx.OnnxTensor;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.EdgeCasesMode;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.RandomDistribution;
import net.jqwik.api.ShrinkingMode;
import net.jqwik.api.Tuple;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;
import net.jqwik.api.statistics.Statistics;

/**
 * Fuzzes the ONNX reader two ways. Byte level: valid models (built in code, and one cut from the real MiniLM export)
 * and the broken-file corpus, edited by one to three random {@link Mutation}s. Field level: the valid models parsed
 * into protobuf fields ({@link OnnxTree}), edited by one to three field edits (drop, duplicate, move, a value from the
 * edges of int and long arithmetic or a data type code, another wire type or field number, a new field, a sub-message
 * grafted elsewhere) and written back with correct lengths, which reaches the checks behind the length prefixes. Every
 * file is read from disk (memory-mapped) and as a stream: both must read a model consistent with the file (element
 * counts against dims and data, every value decodable as its type says) and equal to each other, or both fail with an
 * OnnxFormatException naming the file with the same problem in one printable line, allocating at most a small multiple
 * of the file size, within the deadline, leaving no file open.
 */
class OnnxFuzzTest {
    /** Protobuf tags of fields the reader decodes, varints from the edges, bytes that are not UTF-8. */
    private static final String[] TOKENS = {"\u0008", "\u003a", "\u0042", "\n", "\u0012", "\u0010", "\u002a",
        "\u004a", "\u0045", "\"", "\u00a0\u0001", "\u000b", "\u000f", "\u0000", "\u007f", "\u0080",
        "\u00ff\u00ff\u00ff\u00ff\u0007", "\u00ff\u00ff\u00ff\u00ff\u00ff\u00ff\u00ff\u00ff\u00ff\u0001",
        "\u0080\u0080\u0080\u0080\u0080\u0080\u0080\u0080\u0080\u0080\u0001", "\u0080\u0080\u0080\u0080\u0010",
        "\u00ff", "\u00c0\u0080", "\u00ed\u00a0\u0080", "\u00c3", "\u0001", "\u0002", "\u0003"};

    private static final List<byte[]> VALID = OnnxSamples.validFiles();
    private static final List<List<OnnxTree.Field>> TREES = VALID.stream().map(OnnxTree::parse).toList();
    /** The corpus, less the few files too large to be worth a try each (the 2.5 MB nesting). */
    private static final List<byte[]> BROKEN = BrokenFiles.onnxCorpus().stream().map(c -> c.bytes)
            .filter(b -> b.length <= 1 << 16).toList();
    private static Path dir;
    private static FuzzFiles.Scratch scratch;
    private static final FuzzFiles.Tally TALLY =
            new FuzzFiles.Tally("onnx fuzz (both properties; file and stream reader each, allocation of both)");

    @BeforeContainer
    static void makeDir() throws IOException {
        dir = FuzzFiles.createDir("onnx-fuzz");
        scratch = new FuzzFiles.Scratch(dir, "fuzz.onnx");
        warmUp();
    }

    /** One good and one broken read, file and stream, so class loading is not counted against the first try. */
    static void warmUp() throws IOException {
        Path tmp = Files.createTempFile("warm", ".onnx");
        try {
            for (byte[] b : List.of(OnnxSamples.small(), new byte[] {0x08})) {
                Files.write(tmp, b);
                ReadProbe.run(() -> ReadProbe.attempt(() -> OnnxModel.read(tmp)));
                ReadProbe.run(() -> ReadProbe.attempt(() -> OnnxModel.read(new ByteArrayInputStream(b), "warm")));
            }
        } finally {
            Files.delete(tmp);
        }
    }

    @AfterContainer
    static void removeDir() throws IOException {
        scratch.close();
        FuzzFiles.delete(dir);
        System.out.println(TALLY); // the figures quoted in docs/reliability.md
    }

    @Property(tries = 2_500, shrinking = ShrinkingMode.BOUNDED, edgeCases = EdgeCasesMode.NONE)
    void aMutatedFileReadsConsistentlyOrFailsWithItsName(@ForAll("seeds") byte[] seed,
            @ForAll("mutations") List<Mutation> mutations) {
        check(FuzzFiles.mutate(seed, mutations, TOKENS));
    }

    @Property(tries = 1_500, shrinking = ShrinkingMode.BOUNDED, edgeCases = EdgeCasesMode.NONE)
    void anEditedModelReadsConsistentlyOrFailsWithItsName(@ForAll("trees") int which,
            @ForAll("edits") List<Edit> edits) {
        List<OnnxTree.Field> tree = new ArrayList<>();
        for (OnnxTree.Field f : TREES.get(which)) {
            tree.add(f.copy());
        }
        for (Edit e : edits) {
            e.apply(tree);
        }
        check(OnnxTree.write(tree));
    }

    private static void check(byte[] bytes) {
        Path file = scratch.write(bytes);
        // one probe for both readers: the file reader (memory-mapped), then the stream reader on the same bytes
        ReadProbe.Outcome o = ReadProbe.run(() -> new Object[] {ReadProbe.attempt(() -> OnnxModel.read(file)),
            ReadProbe.attempt(() -> OnnxModel.read(new ByteArrayInputStream(bytes), "entry.onnx"))});
        assertTrue(o.allocatedBytes <= ReadProbe.allocationBudget(2L * bytes.length),
                () -> "two reads allocated " + o.allocatedBytes + " bytes for a " + bytes.length + "-byte file");
        assertEquals(o.fdsBefore, o.fdsAfter, "open file descriptors before and after the read");
        Object fromFile = ((Object[]) o.value)[0];
        Object fromStream = ((Object[]) o.value)[1];
        if (fromFile instanceof OnnxModel) {
            // the model keeps slices of the mapped file: checked now, before the next try rewrites it
            OnnxModel m = (OnnxModel) fromFile;
            checkConsistent(m, bytes.length);
            assertInstanceOf(OnnxModel.class, fromStream, () -> "stream reader: " + fromStream);
            assertEquals(describe(m), describe((OnnxModel) fromStream), "file and stream readers disagree");
            Statistics.collect("read");
            TALLY.add(true, o.allocatedBytes, bytes.length);
        } else {
            OnnxFormatException e = assertInstanceOf(OnnxFormatException.class, fromFile,
                    () -> "not a format error: " + fromFile);
            assertTrue(e.getMessage().startsWith(file + ": "), e.getMessage());
            assertTrue(e.getMessage().chars().noneMatch(c -> c < 0x20 || c == 0x7f), () -> "control character in: "
                    + e.getMessage());
            OnnxFormatException s = assertInstanceOf(OnnxFormatException.class, fromStream,
                    () -> "stream reader: " + fromStream);
            assertEquals(e.problem(), s.problem(), "file and stream readers see different problems");
            Statistics.collect(label(e.problem()));
            TALLY.add(false, o.allocatedBytes, bytes.length);
        }
    }

    /** The problem without its place in the model, numbers and quoted names blanked, for jqwik's statistics. */
    private static String label(String problem) {
        int colon = problem.indexOf(": ");
        String p = colon >= 0 ? problem.substring(colon + 2) : problem;
        p = p.replaceAll("'[^']*'", "'_'").replaceAll("[0-9]+", "N").replaceAll("\\[[N, ]*\\]", "[..]");
        return p.length() > 48 ? p.substring(0, 48) : p;
    }

    /**
     * What a read model must satisfy whatever the file held: every tensor (initializers and attribute values) has
     * non-negative dims whose product is its element count, no more elements than the file could hold (a known type
     * stores each in at least half a byte), and decodes to exactly that many values when its type is one the API
     * converts (and refuses with IllegalStateException otherwise); every attribute answers for its own kind; every
     * node has an op_type; initializers are keyed by their names.
     */
    static void checkConsistent(OnnxModel m, long fileSize) {
        OnnxGraph g = m.graph();
        for (Map.Entry<String, OnnxTensor> e : g.initializers().entrySet()) {
            assertEquals(e.getKey(), e.getValue().name(), "initializer key");
            checkTensor(e.getValue(), fileSize);
        }
        for (OnnxNode n : g.nodes()) {
            assertTrue(n.opType() != null && !n.opType().isEmpty(), () -> "node without op_type: " + n);
            for (Map.Entry<String, OnnxAttribute> e : n.attributes().entrySet()) {
                OnnxAttribute a = e.getValue();
                assertEquals(e.getKey(), a.name(), "attribute key");
                switch (a.kind()) {
                    case FLOAT -> a.floatValue();
                    case INT -> a.intValue();
                    case STRING -> assertNotNull(a.stringValue(), () -> "attribute " + a + " of " + n);
                    case TENSOR -> checkTensor(present(a.tensorValue(), a.toString()), fileSize);
                    case FLOATS -> assertNotNull(a.floatsValue());
                    case INTS -> assertNotNull(a.intsValue());
                    case STRINGS -> a.stringsValue().forEach(s -> assertNotNull(s, a.toString()));
                    case TENSORS -> a.tensorsValue().forEach(t -> checkTensor(t, fileSize));
                    default -> { } // graphs, sparse tensors, type protos: kind only
                }
            }
        }
    }

    private static OnnxTensor present(OnnxTensor t, String what) {
        assertNotNull(t, what);
        return t;
    }

    private static void checkTensor(OnnxTensor t, long fileSize) {
        long count = 1;
        for (long d : t.dims()) {
            assertTrue(d >= 0, () -> t + ": negative dimension");
            count = Math.multiplyExact(count, d);
        }
        assertEquals(count, t.elementCount(), () -> t + ": element count against dims");
        OnnxDataType type = t.dataType();
        if (type == null) { // a type code this reader does not know: kept, not decodable, size not checkable
            assertTrue(refuses(t), () -> t + ": an unknown type decoded");
            return;
        }
        assertTrue(t.elementCount() <= 2 * fileSize, () -> t + ": " + t.elementCount() + " elements in a "
                + fileSize + "-byte file");
        if (type.isFloating()) {
            assertEquals(count, t.toFloatArray().length, () -> t + ": floats decoded");
        } else if (type.isInteger()) {
            assertEquals(count, t.toLongArray().length, () -> t + ": longs decoded");
        } else {
            assertTrue(refuses(t), () -> t + ": decoded a type the API does not convert");
        }
    }

    private static boolean refuses(OnnxTensor t) {
        return ReadProbe.attempt(t::toFloatArray) instanceof IllegalStateException
                && ReadProbe.attempt(t::toLongArray) instanceof IllegalStateException;
    }

    /** Everything the API gives of a model, values decoded: equal for equal models. */
    static String describe(OnnxModel m) {
        StringBuilder b = new StringBuilder();
        b.append(m.irVersion()).append(' ').append(m.producerName()).append(' ').append(m.producerVersion())
                .append(' ').append(new TreeMap<>(m.opsets())).append('\n');
        OnnxGraph g = m.graph();
        b.append(g.name()).append(' ').append(g.inputs()).append(' ').append(g.outputs()).append('\n');
        for (OnnxNode n : g.nodes()) {
            b.append(n).append(' ').append(n.domain());
            for (OnnxAttribute a : new TreeMap<>(n.attributes()).values()) {
                b.append(' ').append(a).append('=').append(switch (a.kind()) {
                    case FLOAT -> String.valueOf(Float.floatToRawIntBits(a.floatValue()));
                    case INT -> String.valueOf(a.intValue());
                    case STRING -> a.stringValue();
                    case TENSOR -> describe(a.tensorValue());
                    case FLOATS -> Arrays.toString(a.floatsValue());
                    case INTS -> Arrays.toString(a.intsValue());
                    case STRINGS -> a.stringsValue().toString();
                    case TENSORS -> a.tensorsValue().stream().map(OnnxFuzzTest::describe).toList().toString();
                    default -> "";
                });
            }
            b.append('\n');
        }
        for (OnnxTensor t : g.initializers().values()) {
            b.append(describe(t)).append('\n');
        }
        return b.toString();
    }

    private static String describe(OnnxTensor t) {
        String values = "";
        if (t.dataType() != null && t.dataType().isFloating()) {
            float[] f = t.toFloatArray();
            int[] bits = new int[f.length];
            for (int i = 0; i < f.length; i++) {
                bits[i] = Float.floatToRawIntBits(f[i]);
            }
            values = Arrays.toString(bits);
        } else if (t.dataType() != null && t.dataType().isInteger()) {
            values = Arrays.toString(t.toLongArray());
        }
        return t + " " + t.elementCount() + " " + values;
    }

    /** Three in four tries start from a valid file, so mutations reach the graph's contents. */
    @Provide
    Arbitrary<byte[]> seeds() {
        return Arbitraries.frequencyOf(Tuple.of(3, Arbitraries.of(VALID)), Tuple.of(1, Arbitraries.of(BROKEN)));
    }

    @Provide
    Arbitrary<List<Mutation>> mutations() {
        return Mutation.arbitrary().list().ofMinSize(1).ofMaxSize(3);
    }

    @Provide
    Arbitrary<Integer> trees() {
        return Arbitraries.integers().between(0, TREES.size() - 1);
    }

    @Provide
    Arbitrary<List<Edit>> edits() {
        return Edit.arbitrary().list().ofMinSize(1).ofMaxSize(3);
    }

    /** One edit of a model's protobuf fields; the file is written back with lengths that fit. */
    static final class Edit {
        enum Kind { DROP, DUPLICATE, MOVE_LAST, SET_VALUE, WIRE_TYPE, FIELD_NUMBER, INSERT, GRAFT }

        /** Values for varints and fixed fields: the edges, and every data type and attribute type code. */
        private static final Long[] VALUES;

        static {
            List<Long> v = new ArrayList<>();
            for (long x : Mutation.EXTREMES) {
                v.add(x);
            }
            for (long x = 0; x <= 25; x++) {
                v.add(x);
            }
            v.addAll(List.of(99L, 1L << 62, 1L << 61, 1L << 60, 3L, 4L, 5L, 6L, 7L));
            VALUES = v.toArray(new Long[0]);
        }

        final Kind kind;
        final int target;
        final int number;
        final int wire;
        final long value;
        final int choice;

        Edit(Kind kind, int target, int number, int wire, long value, int choice) {
            this.kind = kind;
            this.target = target;
            this.number = number;
            this.wire = wire;
            this.value = value;
            this.choice = choice;
        }

        static Arbitrary<Edit> arbitrary() {
            Arbitrary<Kind> kinds = Arbitraries.frequency(Tuple.of(3, Kind.DROP), Tuple.of(2, Kind.DUPLICATE),
                    Tuple.of(1, Kind.MOVE_LAST), Tuple.of(6, Kind.SET_VALUE), Tuple.of(2, Kind.WIRE_TYPE),
                    Tuple.of(2, Kind.FIELD_NUMBER), Tuple.of(3, Kind.INSERT), Tuple.of(1, Kind.GRAFT));
            Arbitrary<Integer> numbers = Arbitraries.frequencyOf(Tuple.of(9, Arbitraries.integers().between(1, 20)),
                    Tuple.of(1, Arbitraries.of(0, 99, 536870911)));
            Arbitrary<Integer> wires = Arbitraries.frequency(Tuple.of(3, OnnxTree.VARINT), Tuple.of(1,
                    OnnxTree.FIXED64), Tuple.of(3, OnnxTree.LEN), Tuple.of(2, OnnxTree.FIXED32), Tuple.of(1, 3),
                    Tuple.of(1, 7));
            return Combinators.combine(kinds,
                    Arbitraries.integers().between(0, 1 << 16).withDistribution(RandomDistribution.uniform()),
                    numbers, wires, Arbitraries.oneOf(Arbitraries.of(VALUES), Arbitraries.longs()),
                    Arbitraries.integers().between(0, 1 << 10)).as(Edit::new);
        }

        void apply(List<OnnxTree.Field> root) {
            List<List<OnnxTree.Field>> parents = new ArrayList<>();
            List<OnnxTree.Field> all = new ArrayList<>();
            OnnxTree.collect(root, parents, all);
            if (all.isEmpty()) {
                root.add(newField());
                return;
            }
            int k = target % all.size();
            OnnxTree.Field f = all.get(k);
            List<OnnxTree.Field> parent = parents.get(k);
            int at = indexOf(parent, f);
            switch (kind) {
                case DROP -> parent.remove(at);
                case DUPLICATE -> parent.add(at + 1, f.copy());
                case MOVE_LAST -> parent.add(parent.remove(at));
                case SET_VALUE -> setValue(f);
                case WIRE_TYPE -> changeWire(f, wire);
                case FIELD_NUMBER -> f.number = number;
                case INSERT -> {
                    List<OnnxTree.Field> into = f.children != null ? f.children : parent;
                    into.add(choice % (into.size() + 1), newField());
                }
                case GRAFT -> {
                    OnnxTree.Field donor = all.get((target / 7 + choice) % all.size()).copy();
                    List<OnnxTree.Field> into = f.children != null ? f.children : parent;
                    into.add(choice % (into.size() + 1), donor);
                }
                default -> throw new AssertionError(kind);
            }
        }

        private static int indexOf(List<OnnxTree.Field> list, OnnxTree.Field f) {
            for (int i = 0; i < list.size(); i++) {
                if (list.get(i) == f) {
                    return i;
                }
            }
            throw new AssertionError("field not in its parent");
        }

        private void setValue(OnnxTree.Field f) {
            if (f.wire != OnnxTree.LEN) {
                f.value = value;
            } else if (f.children != null) {
                f.children.subList(choice % (f.children.size() + 1), f.children.size()).clear();
            } else {
                f.bytes = payload(f.bytes);
            }
        }

        /** A new LEN payload: cut, grown, not UTF-8, or packed varints of edge values. */
        private byte[] payload(byte[] old) {
            switch (choice % 9) {
                case 0:
                    return new byte[0];
                case 1:
                    return Arrays.copyOf(old, old.length / 2);
                case 2:
                    return BrokenFiles.concat(old, old);
                case 3:
                    return Arrays.copyOf(old, old.length + 1 + choice % 5);
                case 4:
                    return old.length == 0 ? old : Arrays.copyOf(old, old.length - 1);
                case 5:
                    return BrokenFiles.concat(old, new byte[] {(byte) 0xFF});
                case 6:
                    return new byte[] {(byte) 0xC0, (byte) 0x80};
                case 7:
                    return BrokenFiles.concat(OnnxTree.varint(value), OnnxTree.varint(choice));
                default: {
                    byte[] r = new byte[1 + choice % 16];
                    new Random(value).nextBytes(r);
                    return r;
                }
            }
        }

        private void changeWire(OnnxTree.Field f, int to) {
            if (f.wire == OnnxTree.LEN && to != OnnxTree.LEN) {
                f.value = f.children != null ? f.children.size() : f.bytes.length;
                f.children = null;
                f.bytes = null;
            } else if (f.wire != OnnxTree.LEN && to == OnnxTree.LEN) {
                f.bytes = OnnxTree.varint(f.value);
            }
            f.wire = to;
        }

        private OnnxTree.Field newField() {
            OnnxTree.Field f = new OnnxTree.Field();
            f.number = number;
            f.wire = wire;
            f.value = value;
            if (wire == OnnxTree.LEN) {
                f.bytes = payload(new byte[0]);
            }
            return f;
        }

        @Override
        public String toString() {
            return kind + "@" + target + "(field " + number + ", wire " + wire + ", value " + value + ", choice "
                    + choice + ")";
        }
    }
}
