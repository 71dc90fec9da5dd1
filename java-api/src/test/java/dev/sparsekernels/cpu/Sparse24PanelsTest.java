package dev.sparsekernels.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

/**
 * 2:4 with W in 16-row panels ({@link Sparse24Panels}) against {@link ScalarReference}, for every kernel set (the
 * 512-bit permute kernels, and the interface's plain loops that the others use): token blocks and their 6-row tails,
 * the narrower last panel, K blocks of 384 inputs, and every nibble pattern.
 */
class Sparse24PanelsTest {

    static void check(CpuKernels kernels, Random r, int tokens, int in, int out, boolean withBias, int threads) {
        Object[] f = Sparse24GemmTest.randomFormat(r, out, in);
        float[] values = (float[]) f[0];
        byte[] indices = (byte[]) f[1];
        Sparse24Weights w = Sparse24Weights.of(values, indices, out, in);
        Sparse24Panels p = Sparse24Panels.of(w);
        float[] x = Oracle.random(r, tokens * in);
        float[] bias = withBias ? Oracle.random(r, out) : null;
        float[] y = new float[tokens * out];
        java.util.Arrays.fill(y, Float.NaN); // every element must be written
        float[] ref = new float[tokens * out];
        Sparse24Gemm.linear(kernels, x, tokens, p, bias, y, threads);
        ScalarReference.sparse24Linear(x, tokens, in, values, indices, out, bias, ref);
        Oracle.assertClose(kernels.describe() + " 2:4 panels tokens=" + tokens + " in=" + in + " out=" + out
                + " bias=" + withBias + " threads=" + threads, y, ref, x, tokens, in, w.toDense(), out, bias);
    }

    @Test
    void shapesAgainstReference() {
        Random r = new Random(24);
        int n = 0;
        for (CpuKernels k : KernelSets.all()) {
            for (int tokens : new int[] {1, 5, 6, 7, 47, 48, 49, 130}) {
                for (int in : new int[] {4, 8, 36, 388, 800}) { // 388 and 800: more than one K block of 384
                    for (int out : new int[] {1, 15, 16, 17, 33, 50}) {
                        n++;
                        check(k, r, tokens, in, out, n % 2 == 0, 1 + n % 3);
                    }
                }
            }
        }
    }

    @Property(tries = 40)
    void randomShapes(@ForAll @IntRange(min = 1, max = 120) int tokens, @ForAll @IntRange(min = 1, max = 120) int groups,
                      @ForAll @IntRange(min = 1, max = 70) int out, @ForAll @IntRange(min = 1, max = 3) int threads,
                      @ForAll boolean bias) {
        for (CpuKernels k : KernelSets.all()) {
            check(k, new Random(tokens * 31L + groups * 7L + out), tokens, 4 * groups, out, bias, threads);
        }
    }

    @Test
    void layoutHoldsEachRowsKeptValuesAndPositions() {
        // row 17 (panel 1, lane 1), group 2 keeps positions 1 and 3 (nibble 0xD) with values 5 and 6
        int out = 18, in = 12;
        float[] values = new float[out * in / 2];
        byte[] indices = new byte[out * 2];
        java.util.Arrays.fill(indices, (byte) 0x44);
        for (int o = 0; o < out; o++) {
            indices[o * 2 + 1] = 0x04; // group 2 in the low nibble of byte 1
        }
        indices[17 * 2 + 1] = 0x0D;
        values[17 * 6 + 4] = 5f;
        values[17 * 6 + 5] = 6f;
        Sparse24Panels p = Sparse24Panels.of(Sparse24Weights.of(values, indices, out, in));
        int w = p.start(1, 2);
        assertEquals(5f, p.values()[w + 1]);
        assertEquals(6f, p.values()[w + 16 + 1]);
        assertEquals(1, p.positions()[w + 1]);
        assertEquals(3, p.positions()[w + 16 + 1]);
        assertEquals(0f, p.values()[w + 2]); // lane 2 of panel 1 is row 18: padding
        float[] x = new float[in];
        x[8 + 1] = 2f;
        x[8 + 3] = 10f;
        float[] y = new float[out];
        for (CpuKernels k : KernelSets.all()) {
            Sparse24Gemm.linear(k, x, 1, p, null, y, 1);
            assertEquals(5f * 2f + 6f * 10f, y[17], 0f, k.describe());
        }
    }

    @Test
    void wrongSizesAreNamed() {
        Sparse24Panels p = Sparse24Panels.of(Sparse24Weights.pruneMagnitude(new float[8 * 16], 8, 16));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Sparse24Gemm.linear(new float[15], 1, p, null, new float[8], 1));
        assertEquals(true, e.getMessage().startsWith("x.length:"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> Sparse24Gemm.linear(new float[16], 1, p, new float[7], new float[8], 1));
        assertEquals(true, e.getMessage().startsWith("bias.length:"), e.getMessage());
    }
}
