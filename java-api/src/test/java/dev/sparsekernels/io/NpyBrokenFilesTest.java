package dev.sparsekernels.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every file of the .npy corpus of broken files, read from disk and as a stream, fails with an NpyFormatException
 * that names the file and the problem, allocating no more than a small multiple of the file's size, within the
 * deadline, and leaving no file descriptor open.
 */
class NpyBrokenFilesTest {
    @TempDir
    Path dir;

    static List<BrokenFiles.Case> corpus() {
        return BrokenFiles.npyCorpus();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("corpus")
    void failsWithTheFileNameAndTheProblemBeforeAnyLargeAllocation(BrokenFiles.Case c) throws Exception {
        Path file = dir.resolve("broken.npy");
        Files.write(file, c.bytes);
        ReadProbe.Outcome o = ReadProbe.run(() -> Npy.read(file));
        NpyFormatException e = assertInstanceOf(NpyFormatException.class, o.failure, () -> "expected a format error,"
                + " got " + (o.failure == null ? "a successful read: " + o.value : o.failure.toString()));
        assertTrue(e.getMessage().startsWith(file + ": "), e.getMessage());
        assertTrue(e.getMessage().contains(c.expected), () -> "'" + c.expected + "' not in: " + e.getMessage());
        assertTrue(o.allocatedBytes <= ReadProbe.allocationBudget(c.bytes.length), () -> "allocated "
                + o.allocatedBytes + " bytes for a " + c.bytes.length + "-byte file");
        assertEquals(o.fdsBefore, o.fdsAfter, "open file descriptors before and after");

        ReadProbe.Outcome s = ReadProbe.run(() -> Npy.read(new ByteArrayInputStream(c.bytes), "entry.npy"));
        NpyFormatException se = assertInstanceOf(NpyFormatException.class, s.failure, () -> "stream: " + s.failure);
        assertTrue(se.getMessage().startsWith("entry.npy: "), se.getMessage());
        assertTrue(s.allocatedBytes <= ReadProbe.allocationBudget(c.bytes.length), () -> "stream read allocated "
                + s.allocatedBytes + " bytes for " + c.bytes.length + " bytes");
    }

    @Test
    void theCorpusCoversEveryKindTheIssueLists() {
        String names = corpus().toString();
        for (String kind : new String[] {"wrong magic", "truncated in the header", "truncated data", "terabyte",
            "negative dimension", "beyond 2^63", "overflows 2^64", "unsupported dtype", "fortran order",
            "not UTF-8"}) {
            assertTrue(names.contains(kind), kind + " missing from " + names);
        }
    }
}
