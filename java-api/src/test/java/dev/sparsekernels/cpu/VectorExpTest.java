package dev.sparsekernels.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import jdk.incubator.vector.FloatVector;
import org.junit.jupiter.api.Test;

/** The softmax exponential of the vector attention kernels against Math.exp. */
class VectorExpTest {
    private static float[] exp(float... x) {
        float[] out = new float[8];
        float[] in = java.util.Arrays.copyOf(x, 8);
        VectorAttentionKernels.exp(FloatVector.fromArray(VectorAttentionKernels.S, in, 0)).intoArray(out, 0);
        return out;
    }

    @Test
    void matchesMathExpAcrossTheSoftmaxRange() {
        double worst = 0;
        for (int i = 0; i <= 200_000; i++) {
            float x = -80f * i / 200_000f;
            double ref = Math.exp(x);
            worst = Math.max(worst, Math.abs(exp(x)[0] - ref) / ref);
        }
        assertTrue(worst < 1e-6, "worst relative error " + worst);
    }

    @Test
    void matchesMathExpJustAboveZeroWhereLazyRescalingPutsArguments() {
        double worst = 0;
        for (int i = 0; i <= 100_000; i++) {
            float x = 12f * i / 100_000f;
            double ref = Math.exp(x);
            worst = Math.max(worst, Math.abs(exp(x)[0] - ref) / ref);
        }
        assertTrue(worst < 1e-6, "worst relative error " + worst);
    }

    @Test
    void maskedAndUnderflowingScoresWeighExactlyZeroAndNaNStaysNaN() {
        float[] e = exp(Float.NEGATIVE_INFINITY, -87.5f, -1000f, Float.NaN, 0f, -0f);
        assertEquals(0f, e[0]);
        assertEquals(0f, e[1]);
        assertEquals(0f, e[2]);
        assertTrue(Float.isNaN(e[3]));
        assertEquals(1f, e[4]);
        assertEquals(1f, e[5]);
    }
}
