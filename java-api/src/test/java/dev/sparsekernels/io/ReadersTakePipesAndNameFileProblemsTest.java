package dev.sparsekernels.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sparsekernels.Tensor;
import dev.sparsekernels.io.onnx.OnnxFormatException;
import dev.sparsekernels.io.onnx.OnnxModel;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.api.function.Executable;

/**
 * The three file readers (.npy, .safetensors, ONNX) take a pipe carrying a valid file (a pipe reports size 0: it was
 * refused as empty by the last two), and refuse paths that cannot be opened with their own format exception naming
 * the file and why, not a bare FileSystemException, and a null path with an IllegalArgumentException (a robustness
 * sweep, session 18).
 */
class ReadersTakePipesAndNameFileProblemsTest {
    @TempDir
    Path dir;

    /** A named pipe that one writer thread fills with {@code bytes}; skipped where mkfifo is missing. */
    private Path pipeOf(String name, byte[] bytes) throws Exception {
        Path fifo = dir.resolve(name);
        boolean made;
        try {
            made = new ProcessBuilder("mkfifo", fifo.toString()).start().waitFor() == 0;
        } catch (IOException e) {
            made = false;
        }
        Assumptions.assumeTrue(made, "a named pipe needs mkfifo, which this system lacks");
        Thread writer = new Thread(() -> {
            try (OutputStream out = Files.newOutputStream(fifo)) {
                out.write(bytes);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
        writer.setDaemon(true);
        writer.start();
        return fifo;
    }

    @Test
    void npySafetensorsAndOnnxFilesAreReadFromAPipe() throws Exception {
        float[] values = {-1.5f, 0f, 2.25f, 3f, 4f, 5f, 6f, 7f, 8f, 9f, 10f, 11f};
        java.io.ByteArrayOutputStream npy = new java.io.ByteArrayOutputStream();
        Npy.write(npy, NpyArray.ofFloats(values, 3, 4));
        NpyArray a = Npy.read(pipeOf("x.fifo", npy.toByteArray()));
        assertArrayEquals(new long[] {3, 4}, a.shape());
        assertArrayEquals(values, a.toFloatArray());

        Path st = dir.resolve("w.safetensors");
        try (Tensor t = Tensor.of(new float[] {1, 2, 3, 4, 5, 6}, 2, 3)) {
            Safetensors.write(st, Map.of("w", t), null);
        }
        SafetensorsFile fromPipe = Safetensors.read(pipeOf("st.fifo", Files.readAllBytes(st)));
        assertArrayEquals(new long[] {2, 3}, fromPipe.get("w").shape());
        assertArrayEquals(new float[] {1, 2, 3, 4, 5, 6}, fromPipe.get("w").toFloatArray());

        byte[] onnx = OnnxSamples.small();
        OnnxModel expected = OnnxModel.parse(java.nio.ByteBuffer.wrap(onnx), "small");
        OnnxModel got = OnnxModel.read(pipeOf("m.fifo", onnx));
        assertEquals(expected.graph().initializers().size(), got.graph().initializers().size());
        assertEquals(expected.graph().nodes().size(), got.graph().nodes().size());
    }

    @Test
    void pathsThatCannotBeOpenedAreFormatExceptionsNamingTheFileAndWhy() throws Exception {
        Path loop = dir.resolve("loop");
        Files.createSymbolicLink(loop, loop);
        Path file = Files.writeString(dir.resolve("plain.txt"), "x");
        Path under = file.resolve("child.npy"); // a path through a regular file
        for (Path p : new Path[] {loop, under}) {
            assertNamed(NpyFormatException.class, () -> Npy.read(p), p);
            assertNamed(NpyFormatException.class, () -> Npy.readHeader(p), p);
            assertNamed(SafetensorsFormatException.class, () -> Safetensors.read(p), p);
            assertNamed(OnnxFormatException.class, () -> OnnxModel.read(p), p);
        }
        assertThrows(IllegalArgumentException.class, () -> Npy.read(null));
        assertThrows(IllegalArgumentException.class, () -> Safetensors.read(null));
        assertThrows(IllegalArgumentException.class, () -> OnnxModel.read((Path) null));
    }

    private static void assertNamed(Class<? extends IOException> type, Executable call, Path p) {
        IOException e = assertThrows(type, call, p.toString());
        assertTrue(e.getMessage().startsWith(p.toString() + ": "), e.getMessage());
        assertTrue(e.getMessage().length() > p.toString().length() + 3, "says why: " + e.getMessage());
    }
}
