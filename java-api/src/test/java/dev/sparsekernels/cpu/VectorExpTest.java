package dev.sparsekernels.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/**
 * The softmax exponential of the vector attention kernels against Math.exp, through {@code expRows} (row maximum 0)
 * at every vector width this JVM can build: 8-lane kernels, and 16-lane ones where a 512-bit species exists. 40 keys
 * per row, so the 512-bit kernels run both their 16-lane loop (32 keys) and their 8-lane tail.
 */
class VectorExpTest {
    private static final int N = 40;

    private static java.util.List<VectorAttentionKernels> kernels() {
        java.util.List<VectorAttentionKernels> list = new java.util.ArrayList<>();
        list.add(new VectorAttentionKernels(false));
        try {
            list.add(new VectorAttentionKernels(true));
        } catch (UnsupportedOperationException e) {
            // no 512-bit species on this machine
        }
        return list;
    }

    /**
     * e^x for each x, in rows of {@link #N} keys (so every lane of both loops sees arguments), by every kernel width;
     * the widths must agree bit for bit.
     */
    private static float[] exp(float... x) {
        float[] out = null;
        for (VectorAttentionKernels k : kernels()) {
            float[] got = new float[x.length];
            for (int i0 = 0; i0 < x.length; i0 += N) {
                float[] row = new float[N];
                for (int c = 0; c < N; c++) {
                    row[c] = x[Math.min(x.length - 1, i0 + c)];
                }
                k.expRows(row, N, 0, 0, N, new float[] {0f}, new boolean[] {true}, new float[1]);
                System.arraycopy(row, 0, got, i0, Math.min(N, x.length - i0));
            }
            if (out == null) {
                out = got;
            } else {
                for (int i = 0; i < x.length; i++) {
                    assertEquals(Float.floatToRawIntBits(out[i]), Float.floatToRawIntBits(got[i]),
                            k.describe() + ": e^" + x[i] + " differs between widths");
                }
            }
        }
        return out;
    }

    private static void checkAgainstMathExp(float from, float to, int points) {
        float[] x = new float[points + 1];
        for (int i = 0; i <= points; i++) {
            x[i] = from + (to - from) * i / points;
        }
        float[] e = exp(x);
        double worst = 0;
        for (int i = 0; i <= points; i++) {
            double ref = Math.exp(x[i]);
            worst = Math.max(worst, Math.abs(e[i] - ref) / ref);
        }
        assertTrue(worst < 1e-6, "worst relative error " + worst);
    }

    @Test
    void matchesMathExpAcrossTheSoftmaxRange() {
        checkAgainstMathExp(0f, -80f, 200_000);
    }

    @Test
    void matchesMathExpJustAboveZeroWhereLazyRescalingPutsArguments() {
        checkAgainstMathExp(0f, 12f, 100_000);
    }

    @Test
    void maskedAndUnderflowingScoresWeighExactlyZeroAndNaNStaysNaN() {
        // each special value at every key position, so both loops and every lane see it
        float[] specials = {Float.NEGATIVE_INFINITY, -87.5f, -1000f, Float.NaN, 0f, -0f};
        float[] x = new float[specials.length * N];
        for (int i = 0; i < x.length; i++) {
            x[i] = specials[i / N];
        }
        float[] e = exp(x);
        for (int i = 0; i < x.length; i++) {
            String at = "e^" + x[i] + " at key " + i % N;
            switch (i / N) {
                case 3 -> assertTrue(Float.isNaN(e[i]), at);
                case 4, 5 -> assertEquals(1f, e[i], at);
                default -> assertEquals(0f, e[i], at);
            }
        }
    }
}
