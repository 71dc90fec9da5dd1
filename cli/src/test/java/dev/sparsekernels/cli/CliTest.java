package dev.sparsekernels.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sparsekernels.cpu.ScalarReference;
import dev.sparsekernels.io.Npy;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Runs commands in-process and checks outputs, exit codes and the one-line error contract. */
class CliTest extends CliHarness {
    @Test
    void gemmDenseAndPrunedTwoFourMatchTheReference() throws Exception {
        Random r = new Random(3);
        int tokens = 5;
        int in = 24;
        int out = 7;
        float[] x = random(r, tokens * in);
        float[] w = random(r, out * in);
        float[] b = random(r, out);
        Path xp = save("x.npy", x, tokens, in);
        Path wp = save("w.npy", w, out, in);
        Path bp = save("b.npy", b, out);

        assertEquals(0, run("gemm", "--format", "dense", "--w", wp.toString(), "--x", xp.toString(), "--bias",
                bp.toString(), "--device", "cpu", "--out", dir.resolve("y.npy").toString()), err);
        float[] ref = new float[tokens * out];
        ScalarReference.denseLinear(x, tokens, in, w, out, b, ref);
        assertClose(ref, Npy.read(dir.resolve("y.npy")).toFloatArray());

        assertEquals(0, run("prune", "--pattern", "2:4", "--in", wp.toString(), "--out",
                dir.resolve("wp.npy").toString()), err);
        float[] pruned = Npy.read(dir.resolve("wp.npy")).toFloatArray();
        assertEquals(0, run("gemm", "--format", "2:4", "--w", dir.resolve("wp.npy").toString(), "--x",
                xp.toString(), "--bias", bp.toString(), "--device", "cpu", "--out", dir.resolve("y24.npy").toString()),
                err);
        ScalarReference.denseLinear(x, tokens, in, pruned, out, b, ref);
        assertClose(ref, Npy.read(dir.resolve("y24.npy")).toFloatArray());

        // --prune on the dense W gives the same answer as pruning first
        assertEquals(0, run("gemm", "--format", "2:4", "--prune", "--w", wp.toString(), "--x", xp.toString(),
                "--bias", bp.toString(), "--device", "cpu", "--out", dir.resolve("y24b.npy").toString()), err);
        assertClose(ref, Npy.read(dir.resolve("y24b.npy")).toFloatArray());
    }

    @Test
    void f16InputsAreRoundedBeforeTheProduct() throws Exception {
        float[] x = {1.0f + 0x1p-12f};
        float[] w = {1.0f};
        Path xp = save("x.npy", x, 1, 1);
        Path wp = save("w.npy", w, 1, 1);
        assertEquals(0, run("gemm", "--format", "dense", "--w", wp.toString(), "--x", xp.toString(), "--dtype",
                "f16", "--device", "cpu", "--out", dir.resolve("y.npy").toString()), err);
        assertEquals(1.0f, Npy.read(dir.resolve("y.npy")).toFloatArray()[0]);
    }

    @Test
    void badInputExitsTwoWithOneLine() throws Exception {
        Path x = save("x.npy", new float[8], 2, 4);
        Path w = save("w.npy", new float[] {1, 1, 1, 0, 0, 0, 0, 0}, 2, 4);
        Path w3 = save("w3.npy", new float[12], 2, 6);
        Files.write(dir.resolve("broken.npy"), "not numpy".getBytes(StandardCharsets.UTF_8));
        String y = dir.resolve("y.npy").toString();

        assertBad(run("gemm", "--format", "2:4", "--w", w.toString(), "--x", x.toString(), "--out", y),
                "row 0, group 0");
        assertBad(run("gemm", "--format", "dense", "--w", dir.resolve("missing.npy").toString(), "--x",
                x.toString(), "--out", y), "missing.npy");
        assertBad(run("gemm", "--format", "dense", "--w", dir.resolve("broken.npy").toString(), "--x",
                x.toString(), "--out", y), "broken.npy");
        assertBad(run("gemm", "--format", "dense", "--w", w3.toString(), "--x", x.toString(), "--out", y), "in");
        assertBad(run("gemm", "--format", "3:4", "--w", w.toString(), "--x", x.toString(), "--out", y), "--format");
        assertBad(run("gemm", "--format", "dense", "--w", w.toString(), "--x", x.toString(), "--dtype", "f64",
                "--out", y), "dtype");
        assertBad(run("prune", "--pattern", "1:4", "--in", w.toString(), "--out", y), "--pattern");
        assertBad(run("gemm", "--format", "dense"), "Missing required");
    }

    @Test
    void bsrGemmUsesExactlyTheNonZeroBlocksOrPrunesToADensity() throws Exception {
        Random r = new Random(9);
        int tokens = 3;
        int in = 64;
        int out = 32;
        float[] x = random(r, tokens * in);
        float[] w = random(r, out * in);
        // zero the block (rows 16..31, cols 0..31) so fromDense stores 3 of 4 blocks
        for (int i = 16; i < 32; i++) {
            for (int j = 0; j < 32; j++) {
                w[i * in + j] = 0;
            }
        }
        Path xp = save("x.npy", x, tokens, in);
        Path wp = save("w.npy", w, out, in);
        float[] ref = new float[tokens * out];
        ScalarReference.denseLinear(x, tokens, in, w, out, null, ref);
        assertEquals(0, run("gemm", "--format", "bsr:16x32", "--w", wp.toString(), "--x", xp.toString(), "--device",
                "cpu", "--out", dir.resolve("y.npy").toString()), err);
        assertClose(ref, Npy.read(dir.resolve("y.npy")).toFloatArray());

        assertEquals(0, run("prune", "--pattern", "block:16x32", "--density", "0.5", "--in", wp.toString(), "--out",
                dir.resolve("wp.npy").toString()), err);
        float[] pruned = Npy.read(dir.resolve("wp.npy")).toFloatArray();
        int kept = 0;
        for (int b = 0; b < 4; b++) {
            boolean any = false;
            for (int i = 0; i < 16; i++) {
                for (int j = 0; j < 32; j++) {
                    any |= pruned[((b / 2) * 16 + i) * in + (b % 2) * 32 + j] != 0;
                }
            }
            kept += any ? 1 : 0;
        }
        assertEquals(2, kept);
        assertEquals(0, run("gemm", "--format", "bsr:16x32", "--prune", "--density", "0.5", "--w", wp.toString(),
                "--x", xp.toString(), "--device", "cpu", "--out", dir.resolve("y2.npy").toString()), err);
        ScalarReference.denseLinear(x, tokens, in, pruned, out, null, ref);
        assertClose(ref, Npy.read(dir.resolve("y2.npy")).toFloatArray());

        String y = dir.resolve("y3.npy").toString();
        assertBad(run("gemm", "--format", "bsr:64", "--w", wp.toString(), "--x", xp.toString(), "--out", y),
                "not divisible");
        assertBad(run("gemm", "--format", "bsr:32", "--prune", "--density", "1.5", "--w", wp.toString(), "--x",
                xp.toString(), "--out", y), "--density");
        assertBad(run("prune", "--pattern", "block:24", "--density", "0.5", "--in", wp.toString(), "--out", y),
                "16, 32 or 64");
        assertBad(run("prune", "--pattern", "block:32", "--in", wp.toString(), "--out", y), "--density");
    }

    @Test
    void verbosePrintsTheStackTrace() throws Exception {
        Path x = save("x.npy", new float[8], 2, 4);
        Path w = save("w.npy", new float[] {1, 1, 1, 0, 0, 0, 0, 0}, 2, 4);
        assertEquals(2, run("gemm", "--verbose", "--format", "2:4", "--w", w.toString(), "--x", x.toString(),
                "--out", dir.resolve("y.npy").toString()));
        assertTrue(err.contains("NotSparse24Exception"), err);
    }

    @Test
    void infoNamesBackendBindingAndVectorApi() {
        assertEquals(0, run("info"), err);
        assertTrue(out.contains("backend:"), out);
        assertTrue(out.contains("binding:"), out);
        assertTrue(out.contains("vector api:"), out);
        assertTrue(out.contains("cpu buffers:"), out);
        assertTrue(out.contains("cuda devices:") || out.contains("cuda device 0"), out);
    }

    private void assertBad(int code, String mention) {
        assertEquals(2, code, "exit code; stderr: " + err);
        String[] lines = err.strip().split("\n");
        assertEquals(1, lines.length, "one line expected: " + err);
        assertTrue(err.contains(mention), "stderr should mention '" + mention + "': " + err);
        assertFalse(err.contains("\tat "), "no stack trace without --verbose: " + err);
    }

    private static void assertClose(float[] expected, float[] actual) {
        assertEquals(expected.length, actual.length);
        for (int i = 0; i < expected.length; i++) {
            assertTrue(Math.abs(expected[i] - actual[i]) <= 1e-4 * (1 + Math.abs(expected[i])),
                    "element " + i + ": " + expected[i] + " vs " + actual[i]);
        }
    }
}
