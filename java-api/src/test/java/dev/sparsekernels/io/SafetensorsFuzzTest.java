package dev.sparsekernels.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sparsekernels.DType;
import dev.sparsekernels.Tensor;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.EdgeCasesMode;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.ShrinkingMode;
import net.jqwik.api.Tuple;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;
import net.jqwik.api.statistics.Statistics;

/**
 * Fuzzes the .safetensors reader two ways. Byte level: valid files (written by our writer, and hand-built ones with
 * every readable dtype) and the broken-file corpus, edited by one to three random mutations. Header level: valid
 * headers of random tensors, most with one dtype, dimension or offset replaced by a value from the edges of int and
 * long arithmetic or of the grammar. Every read must succeed with tensors consistent with their headers and the
 * file, or fail with a SafetensorsFormatException naming the file, allocating at most a small multiple of the file
 * size, within the deadline, leaving no file open.
 */
class SafetensorsFuzzTest {
    /** Tokens of the JSON grammar and of safetensors headers, and byte sequences that are not UTF-8. */
    private static final String[] TOKENS = {"\"F64\"", "\"F8_E5M2\"", "\"BF16\"", "\"BOOL\"", "\"I64\"", "-1", "[",
        "]", "{", "}", ",", ":", "\"", "null", "true", "\"__metadata__\"", "1e400", "18446744073709551615",
        "\\u0000", "\\ud800", "\u00ff", "\u00c3\u00a9", "\u00c0\u0080", " ", "\"shape\"", "\"dtype\"",
        "\"data_offsets\"", "0.5", "\\"};

    private static final List<byte[]> VALID = validFiles();
    private static final List<byte[]> BROKEN = BrokenFiles.safetensorsCorpus().stream().map(c -> c.bytes).toList();
    private static Path dir;
    private static FuzzFiles.Scratch scratch;
    private static final FuzzFiles.Tally TALLY = new FuzzFiles.Tally("safetensors fuzz (both properties)");

    @BeforeContainer
    static void makeDir() {
        dir = FuzzFiles.createDir("safetensors-fuzz");
        scratch = new FuzzFiles.Scratch(dir, "fuzz.safetensors");
    }

    @AfterContainer
    static void removeDir() throws IOException {
        scratch.close();
        FuzzFiles.delete(dir);
        System.out.println(TALLY); // the figures quoted in docs/reliability.md
    }

    @Property(tries = 5_000, shrinking = ShrinkingMode.BOUNDED, edgeCases = EdgeCasesMode.NONE)
    void aMutatedFileReadsConsistentlyOrFailsWithItsName(@ForAll("seeds") byte[] seed,
            @ForAll("mutations") List<Mutation> mutations) {
        check(FuzzFiles.mutate(seed, mutations, TOKENS));
    }

    @Property(tries = 2_000, shrinking = ShrinkingMode.BOUNDED, edgeCases = EdgeCasesMode.NONE)
    void aGeneratedHeaderReadsConsistentlyOrFailsWithItsName(@ForAll("headerFiles") byte[] bytes) {
        check(bytes);
    }

    private static void check(byte[] bytes) {
        Path file = scratch.write(bytes);
        ReadProbe.Outcome o = ReadProbe.run(() -> Safetensors.read(file));
        assertTrue(o.allocatedBytes <= ReadProbe.allocationBudget(bytes.length),
                () -> "allocated " + o.allocatedBytes + " bytes for a " + bytes.length + "-byte file");
        assertEquals(o.fdsBefore, o.fdsAfter, "open file descriptors before and after the read");
        if (o.failure == null) {
            long total = 0;
            for (SafetensorsTensor t : ((SafetensorsFile) o.value).tensors()) {
                long count = 1;
                for (long d : t.shape()) {
                    count *= d;
                }
                assertEquals(count * t.dtype().byteSize(), t.byteSize(), () -> t + ": bytes against the shape");
                total += t.byteSize();
            }
            assertTrue(total <= bytes.length, "more data than the file holds");
            Statistics.collect("read");
            TALLY.add(true, o.allocatedBytes, bytes.length);
        } else {
            SafetensorsFormatException e = assertInstanceOf(SafetensorsFormatException.class, o.failure,
                    () -> "not a format error: " + o.failure);
            assertTrue(e.getMessage().startsWith(file + ": "), e.getMessage());
            assertTrue(e.getMessage().chars().noneMatch(c -> c < 0x20), () -> "control character in: "
                    + e.getMessage());
            Statistics.collect(FuzzFiles.label(e.problem()));
            TALLY.add(false, o.allocatedBytes, bytes.length);
        }
    }

    /** Three in four tries start from a valid file, so mutations reach the header checks and the data. */
    @Provide
    Arbitrary<byte[]> seeds() {
        return Arbitraries.frequencyOf(Tuple.of(3, Arbitraries.of(VALID)), Tuple.of(1, Arbitraries.of(BROKEN)));
    }

    @Provide
    Arbitrary<List<Mutation>> mutations() {
        return Mutation.arbitrary().list().ofMinSize(1).ofMaxSize(3);
    }

    /**
     * Files whose header is valid by construction (one to three tensors of small random shapes and every dtype,
     * contiguous offsets, a data section of the right length, sometimes metadata), and in three tries of five one
     * header field (a dtype, a dimension or an offset) replaced by a value from the edges: what a byte mutation
     * rarely produces without breaking the JSON first.
     */
    @Provide
    Arbitrary<byte[]> headerFiles() {
        Arbitrary<List<Integer>> shape = Arbitraries.integers().between(0, 5).list().ofMaxSize(3);
        Arbitrary<List<Tuple.Tuple2<SafetensorsDType, List<Integer>>>> tensors = Combinators.combine(
                Arbitraries.of(SafetensorsDType.class), shape).as(Tuple::of).list().ofMinSize(1).ofMaxSize(3);
        Arbitrary<String> replacement = Arbitraries.oneOf(Arbitraries.of(Mutation.TEXT_NUMBERS),
                Arbitraries.of("\"F8_E4M3\"", "\"C64\"", "\"f32\"", "null", "[]", "[1,2,3]", "\"x\"", "{}"));
        Arbitrary<String> metadata = Arbitraries.frequency(Tuple.of(6, ""),
                Tuple.of(3, "\"__metadata__\":{\"format\":\"pt\"},"), Tuple.of(1, "\"__metadata__\":{\"n\":1},"),
                Tuple.of(1, "\"__metadata__\":[],"));
        return Combinators.combine(tensors, Arbitraries.integers().between(0, 99), replacement, metadata)
                .as(SafetensorsFuzzTest::headerFile);
    }

    private static byte[] headerFile(List<Tuple.Tuple2<SafetensorsDType, List<Integer>>> tensors, int which,
            String replacement, String metadata) {
        List<String> fields = new ArrayList<>(); // the replaceable tokens, in order
        List<int[]> layout = new ArrayList<>();  // per tensor: first field index, field count
        long offset = 0;
        for (Tuple.Tuple2<SafetensorsDType, List<Integer>> t : tensors) {
            int first = fields.size();
            fields.add("\"" + t.get1().name() + "\"");
            long count = 1;
            for (int d : t.get2()) {
                fields.add(String.valueOf(d));
                count *= d;
            }
            long end = offset + count * t.get1().byteSize();
            fields.add(String.valueOf(offset));
            fields.add(String.valueOf(end));
            offset = end;
            layout.add(new int[] {first, fields.size() - first});
        }
        if (which < 60) {
            fields.set(which % fields.size(), replacement);
        }
        StringBuilder json = new StringBuilder("{").append(metadata);
        for (int k = 0; k < layout.size(); k++) {
            int f = layout.get(k)[0];
            int n = layout.get(k)[1];
            json.append(k == 0 ? "" : ",").append("\"t").append(k).append("\":{\"dtype\":").append(fields.get(f))
                    .append(",\"shape\":[").append(String.join(",", fields.subList(f + 1, f + n - 2)))
                    .append("],\"data_offsets\":[").append(fields.get(f + n - 2)).append(',')
                    .append(fields.get(f + n - 1)).append("]}");
        }
        return BrokenFiles.safetensors(json.append('}').toString(), new byte[(int) offset]);
    }

    private static List<byte[]> validFiles() {
        List<byte[]> files = new ArrayList<>();
        try {
            Path tmp = Files.createTempFile("seed", ".safetensors");
            try (Tensor a = Tensor.of(new float[] {1, -2, 3.5f, Float.NaN, 0, 6}, 2, 3);
                    Tensor b = Tensor.of(DType.F16, new float[] {1, 2, 3, 4}, 4);
                    Tensor c = Tensor.of(DType.BF16, new float[] {7}, new long[0]);
                    Tensor e = Tensor.allocate(DType.F32, 0, 5)) {
                Map<String, Tensor> m = new LinkedHashMap<>();
                m.put("w", a);
                files.add(written(tmp, Map.of("w", a), null));
                m.put("b", b);
                m.put("scalar", c);
                m.put("empty", e);
                files.add(written(tmp, m, Map.of("format", "pt", "note", "\u00e9t\u00e9")));
            }
            Files.delete(tmp);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        files.add(BrokenFiles.safetensors("{\"i\":{\"dtype\":\"I64\",\"shape\":[2],\"data_offsets\":[0,16]},"
                + "\"m\":{\"dtype\":\"BOOL\",\"shape\":[2,2],\"data_offsets\":[16,20]},"
                + "\"u\":{\"dtype\":\"U8\",\"shape\":[3],\"data_offsets\":[20,23]},"
                + "\"d\":{\"dtype\":\"F64\",\"shape\":[],\"data_offsets\":[23,31]}}", new byte[31]));
        return files;
    }

    private static byte[] written(Path tmp, Map<String, Tensor> tensors, Map<String, String> metadata)
            throws IOException {
        Safetensors.write(tmp, tensors, metadata);
        return Files.readAllBytes(tmp);
    }
}
