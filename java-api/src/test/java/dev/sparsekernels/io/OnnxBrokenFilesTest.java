package dev.sparsekernels.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sparsekernels.io.onnx.OnnxFormatException;
import dev.sparsekernels.io.onnx.OnnxModel;
import java.io.ByteArrayInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every file of the ONNX corpus of broken files, read from disk (memory-mapped) and as a stream, fails with an
 * OnnxFormatException that names the file and the problem in one printable line, allocating no more than a small
 * multiple of the file's size, within the deadline, and leaving no file descriptor open; the odd but valid files of
 * the corpus read, under the same probe, to what they hold.
 */
class OnnxBrokenFilesTest {
    @TempDir
    Path dir;

    /**
     * Loads the reader's classes (and the JDK's behind FileChannel.map) before any probe: the first read of a JVM
     * allocates about 1 MB for them, which is not the reader's doing and would count against the first case.
     */
    @BeforeAll
    static void loadTheReadersClasses() throws Exception {
        OnnxFuzzTest.warmUp();
    }

    static Stream<BrokenFiles.Case> corpus() {
        return Stream.concat(BrokenFiles.onnxCorpus().stream(), BrokenFiles.onnxTruncations().stream());
    }

    static List<BrokenFiles.ValidCase> valid() {
        return BrokenFiles.onnxOddButValid();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("corpus")
    void failsWithTheFileNameAndTheProblemBeforeAnyLargeAllocation(BrokenFiles.Case c) throws Exception {
        Path file = dir.resolve("broken.onnx");
        Files.write(file, c.bytes);
        ReadProbe.Outcome o = ReadProbe.run(() -> OnnxModel.read(file));
        OnnxFormatException e = assertInstanceOf(OnnxFormatException.class, o.failure, () -> "expected a format "
                + "error, got " + (o.failure == null ? "a successful read: " + o.value : o.failure.toString()));
        assertTrue(e.getMessage().startsWith(file + ": "), e.getMessage());
        assertTrue(e.getMessage().contains(c.expected), () -> "'" + c.expected + "' not in: " + e.getMessage());
        assertTrue(e.getMessage().chars().noneMatch(ch -> ch < 0x20 || ch == 0x7f), () -> "control character in: "
                + e.getMessage());
        assertTrue(o.allocatedBytes <= ReadProbe.allocationBudget(c.bytes.length), () -> "allocated "
                + o.allocatedBytes + " bytes for a " + c.bytes.length + "-byte file");
        assertEquals(o.fdsBefore, o.fdsAfter, "open file descriptors before and after");

        ReadProbe.Outcome s = ReadProbe.run(() -> OnnxModel.read(new ByteArrayInputStream(c.bytes), "entry.onnx"));
        OnnxFormatException se = assertInstanceOf(OnnxFormatException.class, s.failure, () -> "stream: " + s.failure);
        assertEquals("entry.onnx: " + e.problem(), se.getMessage(), "the stream reader finds the same problem");
        assertTrue(s.allocatedBytes <= ReadProbe.allocationBudget(c.bytes.length), () -> "stream read allocated "
                + s.allocatedBytes + " bytes for " + c.bytes.length + " bytes");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("valid")
    void oddButValidFilesRead(BrokenFiles.ValidCase c) throws Exception {
        Path file = dir.resolve("odd.onnx");
        Files.write(file, c.bytes);
        ReadProbe.Outcome o = ReadProbe.run(() -> OnnxModel.read(file));
        assertNull(o.failure, () -> "refused: " + o.failure);
        assertTrue(o.allocatedBytes <= ReadProbe.allocationBudget(c.bytes.length), () -> "allocated "
                + o.allocatedBytes + " bytes for a " + c.bytes.length + "-byte file");
        assertEquals(o.fdsBefore, o.fdsAfter, "open file descriptors before and after");
        OnnxModel m = (OnnxModel) o.value;
        assertTrue(c.check.test(m), () -> "read, but not as expected: " + m);
        OnnxFuzzTest.checkConsistent(m, c.bytes.length);
        OnnxModel fromStream = OnnxModel.read(new ByteArrayInputStream(c.bytes), "entry.onnx");
        assertEquals(OnnxFuzzTest.describe(m), OnnxFuzzTest.describe(fromStream), "file and stream readers");
    }

    /**
     * What the budget above does not cover: not a size the file claims, but what it holds. A graph of 200,000 minimal
     * nodes (5 bytes each: an op_type of one letter) and a zero byte after it is refused only once the reader gets
     * there, after it has built every node: about 500 heap bytes per node, 100 times this file, in proportion to it.
     * The bound checks that proportion (with room for a JVM without compressed pointers), so a copy per node or a
     * quadratic step would fail it; the figure it prints is the one docs/reliability.md quotes.
     */
    @Test
    void aFileOfManySmallNodesAllocatesInProportionToWhatItHolds() throws Exception {
        int nodes = 200_000;
        java.io.ByteArrayOutputStream graph = new java.io.ByteArrayOutputStream();
        for (int i = 0; i < nodes; i++) {
            graph.writeBytes(new byte[] {0x0A, 0x03, 0x22, 0x01, 'X'}); // node { op_type: "X" }
        }
        byte[] model = BrokenFiles.concat(new byte[] {0x08, 0x08, 0x3A}, OnnxTree.varint(graph.size()));
        byte[] bytes = BrokenFiles.concat(BrokenFiles.concat(model, graph.toByteArray()), new byte[1]);
        Path file = dir.resolve("many-nodes.onnx");
        Files.write(file, bytes);
        ReadProbe.Outcome o = ReadProbe.run(() -> OnnxModel.read(file));
        OnnxFormatException e = assertInstanceOf(OnnxFormatException.class, o.failure, () -> "read: " + o.value);
        assertTrue(e.getMessage().contains("model: field number 0"), e.getMessage());
        assertTrue(o.allocatedBytes <= 256L * bytes.length + (1 << 20), () -> "allocated " + o.allocatedBytes
                + " bytes for a " + bytes.length + "-byte file of " + nodes + " nodes");
        System.out.printf("onnx: %d nodes in a %d-byte file, refused at its last byte after allocating %d bytes"
                + " (%.0f x the file, %d per node)%n", nodes, bytes.length, o.allocatedBytes,
                o.allocatedBytes / (double) bytes.length, o.allocatedBytes / nodes);
    }

    @Test
    void theCorpusCoversEveryKindTheIssueLists() {
        String names = corpus().toList().toString() + valid();
        for (String kind : new String[] {"a .npy file", "0xFF bytes", "truncated at byte", "11 bytes",
            "21 varint bytes", "length 2^40", "2^31 - 1", "2^64 - 1", "negative dimension", "overflows 2^63",
            "raw_data shorter", "raw_data longer", "unknown data type", "COMPLEX64", "external data",
            "nested 100,000 deep", "as fixed32", "as a varint", "not UTF-8", "overlong UTF-8", "surrogate",
            "the real MiniLM file"}) {
            assertTrue(names.contains(kind), kind + " missing from " + names);
        }
    }
}
