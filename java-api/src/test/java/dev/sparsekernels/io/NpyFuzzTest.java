package dev.sparsekernels.io;

import static dev.sparsekernels.io.NpyTestSupport.dict;
import static dev.sparsekernels.io.NpyTestSupport.npy;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
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
 * Fuzzes the .npy reader: valid files of every supported dtype, version and byte order, and the broken-file corpus,
 * each edited by one to three random mutations, written to disk and read. Every read must either succeed with an array
 * consistent with its header and the file, or fail with an NpyFormatException naming the file; it must also allocate
 * no more than a small multiple of the file size, finish within the deadline, close its file, and agree with the
 * stream reader on the same bytes.
 */
class NpyFuzzTest {
    /** Tokens of the header grammar (Python literals), and bytes that are not UTF-8. */
    private static final String[] TOKENS = {"True", "False", "None", "'<f4'", "'>f8'", "'|b1'", "'<c16'", "'|O'",
        "'<U3'", "'>i2'", "(", ")", ",", "{", "}", "[", "]", ":", "'", "\"", "'shape'", "'descr'", "'fortran_order'",
        "\\", "\u00ff", "\u00c3\u00a9", "\n", "\u0000", "-", "1j", "b'x'", "0x1F", "_"};

    private static final List<byte[]> VALID = validFiles();
    private static final List<byte[]> BROKEN = BrokenFiles.npyCorpus().stream().map(c -> c.bytes).toList();
    private static Path dir;
    private static FuzzFiles.Scratch scratch;
    private static final FuzzFiles.Tally TALLY =
            new FuzzFiles.Tally("npy fuzz (file and stream reader each, allocation of both)");

    @BeforeContainer
    static void makeDir() {
        dir = FuzzFiles.createDir("npy-fuzz");
        scratch = new FuzzFiles.Scratch(dir, "fuzz.npy");
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
        byte[] bytes = FuzzFiles.mutate(seed, mutations, TOKENS);
        Path file = scratch.write(bytes);
        // one probe for both readers: the file reader, then the stream reader on the same bytes
        ReadProbe.Outcome o = ReadProbe.run(() -> new Object[] {ReadProbe.attempt(() -> Npy.read(file)),
            ReadProbe.attempt(() -> Npy.read(new ByteArrayInputStream(bytes), "entry"))});
        assertTrue(o.allocatedBytes <= ReadProbe.allocationBudget(2L * bytes.length),
                () -> "two reads allocated " + o.allocatedBytes + " bytes for a " + bytes.length + "-byte file");
        assertEquals(o.fdsBefore, o.fdsAfter, "open file descriptors before and after the read");
        Object fromFile = ((Object[]) o.value)[0];
        Object fromStream = ((Object[]) o.value)[1];
        if (fromFile instanceof NpyArray) {
            NpyArray a = (NpyArray) fromFile;
            long count = 1;
            for (long d : a.shape()) {
                count *= d;
            }
            assertEquals(count, a.elementCount(), "element count against the shape");
            assertEquals(count * a.dtype().byteSize(), a.byteSize(), "bytes against the shape");
            assertTrue(a.byteSize() <= bytes.length, "more data than the file holds");
            assertEquals(a, fromStream, "file and stream readers disagree");
            Statistics.collect("read");
            TALLY.add(true, o.allocatedBytes, bytes.length);
        } else {
            NpyFormatException e = assertInstanceOf(NpyFormatException.class, fromFile,
                    () -> "not a format error: " + fromFile);
            assertTrue(e.getMessage().startsWith(file + ": "), e.getMessage());
            assertTrue(e.getMessage().chars().noneMatch(c -> c < 0x20), () -> "control character in: "
                    + e.getMessage());
            assertInstanceOf(NpyFormatException.class, fromStream, () -> "stream reader: " + fromStream);
            Statistics.collect(FuzzFiles.label(e.problem()));
            TALLY.add(false, o.allocatedBytes, bytes.length);
        }
    }

    /** Three in four tries start from a valid file, so mutations reach the header parser and the data checks. */
    @Provide
    Arbitrary<byte[]> seeds() {
        return Arbitraries.frequencyOf(Tuple.of(3, Arbitraries.of(VALID)), Tuple.of(1, Arbitraries.of(BROKEN)));
    }

    @Provide
    Arbitrary<List<Mutation>> mutations() {
        return Mutation.arbitrary().list().ofMinSize(1).ofMaxSize(3);
    }

    private static List<byte[]> validFiles() {
        List<byte[]> s = new ArrayList<>();
        s.add(write(NpyArray.ofFloats(new float[] {1, -2, 3.5f, Float.NaN, 0, 6}, 2, 3)));
        s.add(write(NpyArray.ofFloatsAsF16(new float[] {1, 2, 3, 4}, 4)));
        s.add(write(NpyArray.ofDoubles(new double[] {Math.PI}).reshape()));
        s.add(write(NpyArray.ofLongs(new long[] {1, -1, Long.MAX_VALUE}, 3, 1)));
        s.add(write(NpyArray.ofInts(new int[0], 0, 5)));
        s.add(write(NpyArray.ofBooleans(new boolean[] {true, false, true, true, false, false}, 3, 2, 1)));
        s.add(write(NpyArray.ofBytes(new byte[] {1, 2, 3}, true)));
        s.add(write(NpyArray.ofBytes(new byte[] {-1, 2, -3}, false)));
        s.add(npy(2, dict("<f4", "(2,)"), NpyTestSupport.le(1, 2)));
        s.add(npy(3, dict("<f4", "(2,)"), NpyTestSupport.le(1, 2)));
        s.add(npy(1, dict(">f4", "(3,)"), NpyTestSupport.be(1, 2, 3)));
        s.add(npy(1, "{'descr': '<f4', 'fortran_order': True, 'shape': (3, 1), }", NpyTestSupport.le(1, 2, 3)));
        return s;
    }

    private static byte[] write(NpyArray a) {
        try {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            Npy.write(out, a);
            return out.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
