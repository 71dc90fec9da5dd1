package dev.sparsekernels.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * The prepared-weight dense path ({@link DenseWeights}, Y written in place) against {@link ScalarReference}: full and
 * narrow last panels (out not a multiple of 16), token counts below, at and above the 6-row microkernel and the
 * 48-token task, K blocks, bias on and off, 1-3 threads, both kernel implementations.
 */
class DenseWeightsTest {
    static void check(CpuKernels kernels, Random r, int tokens, int in, int out, boolean withBias, int threads) {
        float[] x = Oracle.random(r, tokens * in);
        float[] w = Oracle.random(r, out * in);
        float[] bias = withBias ? Oracle.random(r, out) : null;
        float[] y = new float[tokens * out];
        java.util.Arrays.fill(y, Float.NaN); // every element must be written
        float[] ref = new float[tokens * out];
        DenseGemm.linear(kernels, x, tokens, DenseWeights.of(w, out, in), bias, y, threads);
        ScalarReference.denseLinear(x, tokens, in, w, out, bias, ref);
        Oracle.assertClose(kernels.describe() + " prepared tokens=" + tokens + " in=" + in + " out=" + out + " bias="
                + withBias + " threads=" + threads, y, ref, x, tokens, in, w, out, bias);
    }

    @ParameterizedTest
    @ValueSource(strings = {"256", "512", "scalar"})
    void shapesAgainstReference(String kernelSet) {
        CpuKernels kernels = KernelSets.named(kernelSet);
        Assumptions.assumeTrue(kernels != null, kernelSet + " kernels cannot run on this JVM");
        Random r = new Random(17);
        int n = 0;
        for (int tokens : new int[] {1, 5, 6, 7, 47, 48, 49, 130}) {
            for (int in : new int[] {1, 8, 37, 400, 800}) { // 400 and 800: more than one K block of 384
                for (int out : new int[] {1, 15, 16, 17, 48, 50, 64, 80}) { // 3, 4, 5 panels: triples, pairs, singles
                    n++;
                    check(kernels, r, tokens, in, out, n % 2 == 0, 1 + n % 3);
                }
            }
        }
    }

    /**
     * The 8-row triple tile called directly, over two K blocks, with the bias passed in the first block (as the
     * prepared path does: the 512-bit kernel starts its sums from it) or in the last (its fallback, the default
     * method): every kernel set, against sums in double.
     */
    @ParameterizedTest
    @ValueSource(strings = {"256", "512", "scalar"})
    void eightRowTripleTilesTakeTheBiasOnceInEitherBlock(String kernelSet) {
        CpuKernels kernels = KernelSets.named(kernelSet);
        Assumptions.assumeTrue(kernels != null, kernelSet + " kernels cannot run on this JVM");
        int in = 40;
        int k1 = 24; // K blocks [0, 24) and [24, 40)
        int stride = 53; // Y rows wider than the tile's 48 columns
        Random r = new Random(8);
        float[] wp = Oracle.random(r, 3 * in * 16); // three panels [in][16]
        float[] x = Oracle.random(r, 8 * in);
        float[] bias = Oracle.random(r, 48 + 5);
        for (boolean biasFirst : new boolean[] {true, false}) {
            float[] y = new float[8 * stride + 3];
            java.util.Arrays.fill(y, 7f); // anything: the first block must not read it
            int c0 = 2;
            kernels.dense8TripleY(wp, 0, in * 16, 2 * in * 16, x, 0, in, k1, y, c0, stride, true,
                    biasFirst ? bias : null, 5);
            kernels.dense8TripleY(wp, k1 * 16, in * 16 + k1 * 16, 2 * in * 16 + k1 * 16, x, k1, in, in - k1, y, c0,
                    stride, false, biasFirst ? null : bias, 5);
            for (int t = 0; t < 8; t++) {
                for (int j = 0; j < 48; j++) {
                    double want = bias[5 + j];
                    for (int k = 0; k < in; k++) {
                        want += (double) x[t * in + k] * wp[(j / 16) * in * 16 + k * 16 + j % 16];
                    }
                    assertEquals(want, y[c0 + t * stride + j], 1e-4 * (1 + Math.abs(want)),
                            kernels.describe() + " biasFirst=" + biasFirst + " row " + t + " column " + j);
                }
            }
        }
    }

    @Property(tries = 40)
    void randomShapesMatchTheOneOffPath(@ForAll @IntRange(min = 1, max = 200) int tokens,
            @ForAll @IntRange(min = 1, max = 300) int in, @ForAll @IntRange(min = 1, max = 70) int out,
            @ForAll @IntRange(min = 1, max = 3) int threads, @ForAll boolean withBias) {
        for (CpuKernels k : KernelSets.all()) {
            check(k, new Random(tokens * 31L + in * 7L + out), tokens, in, out, withBias, threads);
        }
    }

    @Property(tries = 40)
    void transposedPreparationIsThePreparationOfTheTranspose(@ForAll @IntRange(min = 1, max = 60) int tokens,
            @ForAll @IntRange(min = 1, max = 90) int rows, @ForAll @IntRange(min = 1, max = 70) int cols) {
        Random r = new Random(rows * 131L + cols * 17L + tokens);
        float[] a = Oracle.random(r, rows * cols);
        float[] at = new float[rows * cols];
        for (int i = 0; i < rows; i++) {
            for (int j = 0; j < cols; j++) {
                at[j * rows + i] = a[i * cols + j];
            }
        }
        DenseWeights direct = DenseWeights.ofTransposed(a, rows, cols);
        DenseWeights viaTranspose = DenseWeights.of(at, cols, rows);
        assertEquals(cols, direct.outFeatures());
        assertEquals(rows, direct.inFeatures());
        org.junit.jupiter.api.Assertions.assertArrayEquals(viaTranspose.panels(), direct.panels());
        float[] x = Oracle.random(r, tokens * rows);
        float[] y = new float[tokens * cols];
        DenseGemm.linear(x, tokens, direct, null, y, 2);
        float[] ref = new float[tokens * cols];
        ScalarReference.denseLinear(x, tokens, rows, at, cols, null, ref);
        Oracle.assertClose("transposed rows=" + rows + " cols=" + cols, y, ref, x, tokens, rows, at, cols, null);
    }

    @Test
    void badArgumentsAreNamed() {
        IllegalArgumentException t = assertThrows(IllegalArgumentException.class,
                () -> DenseWeights.ofTransposed(new float[5], 2, 3));
        assertTrue(t.getMessage().startsWith("a"), t.getMessage());
        DenseWeights w = DenseWeights.of(new float[12], 3, 4);
        assertEquals(3, w.outFeatures());
        assertEquals(4, w.inFeatures());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> DenseWeights.of(new float[11], 3, 4));
        assertTrue(e.getMessage().startsWith("w"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> DenseGemm.linear(new float[7], 2, w, null, new float[6], 1));
        assertTrue(e.getMessage().startsWith("x"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> DenseGemm.linear(new float[8], 2, w, new float[2], new float[6], 1));
        assertTrue(e.getMessage().startsWith("bias"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> DenseGemm.linear(new float[8], 2, w, null, new float[5], 1));
        assertTrue(e.getMessage().startsWith("y"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> DenseGemm.linear(new float[8], 2, null, null, new float[6], 1));
        assertTrue(e.getMessage().startsWith("w"), e.getMessage());
    }
}
