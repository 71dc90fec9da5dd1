package dev.sparsekernels.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every file of the .safetensors corpus of broken files fails with a SafetensorsFormatException that names the file
 * and the problem, allocating no more than a small multiple of the file's size, within the deadline, and leaving no
 * file descriptor open.
 */
class SafetensorsBrokenFilesTest {
    @TempDir
    Path dir;

    static List<BrokenFiles.Case> corpus() {
        return BrokenFiles.safetensorsCorpus();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("corpus")
    void failsWithTheFileNameAndTheProblemBeforeAnyLargeAllocation(BrokenFiles.Case c) throws Exception {
        Path file = dir.resolve("broken.safetensors");
        Files.write(file, c.bytes);
        ReadProbe.Outcome o = ReadProbe.run(() -> Safetensors.read(file));
        SafetensorsFormatException e = assertInstanceOf(SafetensorsFormatException.class, o.failure,
                () -> "expected a format error, got " + (o.failure == null ? "a successful read: " + o.value
                        : o.failure.toString()));
        assertTrue(e.getMessage().startsWith(file + ": "), e.getMessage());
        assertTrue(e.getMessage().contains(c.expected), () -> "'" + c.expected + "' not in: " + e.getMessage());
        assertTrue(o.allocatedBytes <= ReadProbe.allocationBudget(c.bytes.length), () -> "allocated "
                + o.allocatedBytes + " bytes for a " + c.bytes.length + "-byte file");
        assertEquals(o.fdsBefore, o.fdsAfter, "open file descriptors before and after");
    }

    @Test
    void aMissingFileAndADirectoryAreNamed() throws Exception {
        Path missing = dir.resolve("missing.safetensors");
        ReadProbe.Outcome o = ReadProbe.run(() -> Safetensors.read(missing));
        SafetensorsFormatException e = assertInstanceOf(SafetensorsFormatException.class, o.failure);
        assertEquals(missing + ": file not found", e.getMessage());
        ReadProbe.Outcome d = ReadProbe.run(() -> Safetensors.read(dir));
        assertTrue(assertInstanceOf(SafetensorsFormatException.class, d.failure).getMessage().contains("directory"));
    }

    @Test
    void theCorpusCoversEveryKindTheIssueLists() {
        String names = corpus().toString();
        for (String kind : new String[] {"wrong magic", "truncated in the header", "4 MB claimed", "terabyte",
            "negative dimension", "beyond 2^64", "overflows 2^63", "unsupported dtype", "Fortran", "not UTF-8"}) {
            assertTrue(names.contains(kind), kind + " missing from " + names);
        }
    }
}
