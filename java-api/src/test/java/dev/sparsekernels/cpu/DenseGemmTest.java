package dev.sparsekernels.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Fast dense kernels (Vector API and plain-Java fallback) against {@link ScalarReference}; tolerance in {@link Oracle}. */
class DenseGemmTest {
    static final int[] TOKENS = {1, 2, 3, 7, 17, 64, 129};
    static final int[] INS = {4, 8, 12, 36, 260};
    static final int[] OUTS = {1, 3, 17, 33, 130};

    static void check(CpuKernels kernels, Random r, int tokens, int in, int out, boolean withBias, int threads) {
        float[] x = Oracle.random(r, tokens * in);
        float[] w = Oracle.random(r, out * in);
        float[] bias = withBias ? Oracle.random(r, out) : null;
        float[] y = new float[tokens * out];
        java.util.Arrays.fill(y, Float.NaN); // every element must be written
        float[] ref = new float[tokens * out];
        DenseGemm.linear(kernels, x, tokens, in, w, out, bias, y, threads);
        ScalarReference.denseLinear(x, tokens, in, w, out, bias, ref);
        Oracle.assertClose(kernels.describe() + " tokens=" + tokens + " in=" + in + " out=" + out + " bias=" + withBias
                + " threads=" + threads, y, ref, x, tokens, in, w, out, bias);
    }

    @ParameterizedTest
    @ValueSource(strings = {"256", "512", "scalar"})
    void shapesAgainstReference(String kernelSet) {
        CpuKernels kernels = KernelSets.named(kernelSet);
        Assumptions.assumeTrue(kernels != null, kernelSet + " kernels cannot run on this JVM");
        Random r = new Random(11);
        int n = 0;
        for (int tokens : TOKENS) {
            for (int in : INS) {
                for (int out : OUTS) {
                    n++;
                    check(kernels, r, tokens, in, out, n % 2 == 0, 1 + n % 2);
                }
            }
        }
    }

    @Test
    void bothBiasModesAndThreadCountsOnOneShape() {
        Random r = new Random(5);
        for (CpuKernels k : KernelSets.all()) {
            for (int threads = 1; threads <= 3; threads++) {
                check(k, r, 129, 260, 130, true, threads);
                check(k, r, 129, 260, 130, false, threads);
                check(k, r, 1, 260, 130, true, threads);
                check(k, r, 5, 260, 33, false, threads);
            }
        }
    }

    @Property(tries = 60)
    void randomShapes(@ForAll @IntRange(min = 1, max = 70) int tokens, @ForAll @IntRange(min = 1, max = 90) int in,
                      @ForAll @IntRange(min = 1, max = 40) int out, @ForAll @IntRange(min = 1, max = 3) int threads,
                      @ForAll boolean bias) {
        for (CpuKernels k : KernelSets.all()) {
            check(k, new Random(tokens * 31L + in * 7L + out), tokens, in, out, bias, threads);
        }
    }

    @Test
    void tokensSplitIntoSeveralChunks() {
        // in = 4096: chunks of 256 tokens (X^T of a chunk about GemmDriver.DENSE_CHUNK_FLOATS), the last one short
        assertEquals(256, GemmDriver.denseChunkTokens(2048, 4096, CpuKernels.DENSE_NB));
        assertEquals(256, GemmDriver.denseChunkTokens(512, 4096, CpuKernels.DENSE_NB));
        assertEquals(48, GemmDriver.denseChunkTokens(33, 4096, CpuKernels.DENSE_NB));
        assertEquals(160, GemmDriver.denseChunkTokens(300, 4096, CpuKernels.DENSE_NB)); // 19 panels: 10 + 9
        Random r = new Random(11);
        for (CpuKernels k : KernelSets.all()) {
            check(k, r, 300, 4096, 13, true, 2); // 2 chunks, rows not a multiple of 6
        }
    }

    @Test
    void publicEntryPointUsesChosenKernels() {
        float[] x = {1, 2, 3, 4, 5, 6}; // 2 tokens x 3
        float[] w = {1, 0, 0, 0, 1, 1}; // 2 out x 3
        float[] y = new float[4];
        DenseGemm.linear(x, 2, 3, w, 2, new float[] {10, 20}, y, 2);
        assertEquals(11f, y[0]);
        assertEquals(25f, y[1]);
        assertEquals(14f, y[2]);
        assertEquals(31f, y[3]);
    }

    @Test
    void validation() {
        float[] x = new float[6];
        float[] w = new float[6];
        float[] y = new float[4];
        assertMessage("tokens: expected >= 1, got 0", () -> DenseGemm.linear(x, 0, 3, w, 2, null, y, 1));
        assertMessage("in: expected >= 1, got -1", () -> DenseGemm.linear(x, 2, -1, w, 2, null, y, 1));
        assertMessage("out: expected >= 1, got 0", () -> DenseGemm.linear(x, 2, 3, w, 0, null, y, 1));
        assertMessage("threads: expected >= 1, got 0", () -> DenseGemm.linear(x, 2, 3, w, 2, null, y, 0));
        assertMessage("x: expected non-null, got null", () -> DenseGemm.linear(null, 2, 3, w, 2, null, y, 1));
        assertMessage("x.length: expected 8 (tokens*in = 2*4), got 6", () -> DenseGemm.linear(x, 2, 4, w, 2, null, y, 1));
        assertMessage("w.length: expected 9 (out*in = 3*3), got 6",
                () -> DenseGemm.linear(x, 2, 3, w, 3, null, new float[6], 1));
        assertMessage("y.length: expected 4 (tokens*out = 2*2), got 5",
                () -> DenseGemm.linear(x, 2, 3, w, 2, null, new float[5], 1));
        assertMessage("bias.length: expected 2 (out), got 3", () -> DenseGemm.linear(x, 2, 3, w, 2, new float[3], y, 1));
        // products that overflow int are reported exactly, not wrapped
        assertMessage("x.length: expected 4611686014132420609 (tokens*in = 2147483647*2147483647), got 6",
                () -> DenseGemm.linear(x, Integer.MAX_VALUE, Integer.MAX_VALUE, w, 2, null, y, 1));
    }

    static void assertMessage(String expected, org.junit.jupiter.api.function.Executable call) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
        assertEquals(expected, e.getMessage());
    }

    @Test
    void vectorizationIsReported() {
        boolean present = ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent();
        assertEquals(present && !"false".equals(System.getProperty("sparsekernels.cpu.vectorization")),
                CpuVectorization.isActive(), CpuVectorization.describe());
        if (CpuVectorization.isActive()) {
            assertTrue(CpuVectorization.describe().startsWith("Vector API, "), CpuVectorization.describe());
        } else {
            assertTrue(CpuVectorization.describe().startsWith("scalar: "), CpuVectorization.describe());
        }
    }
}
