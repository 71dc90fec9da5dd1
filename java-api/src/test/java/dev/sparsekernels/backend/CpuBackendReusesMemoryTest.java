package dev.sparsekernels.backend;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sparsekernels.AttentionMask;
import dev.sparsekernels.DenseMatrix;
import dev.sparsekernels.Kernels;
import dev.sparsekernels.Tensor;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The CPU backend works in the calling thread's {@link CallArrays}: after a call, the arrays of its output's size (and
 * its inputs' copies) stay with the thread for the next call, so calls in a loop never make new ones (which under the
 * launcher's heap land in fresh memory: docs/reliability.md, "Fresh memory"). And a call on reused arrays gives the
 * same answer as the first.
 */
class CpuBackendReusesMemoryTest {
    private static float[] gaussian(Random r, int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = (float) r.nextGaussian();
        }
        return a;
    }

    @Test
    void linearGatherAndAttentionKeepTheirArraysForTheNextCall() {
        int tokens = 300, in = 64, out = 96; // each array above CallArrays' minimum
        Random r = new Random(5);
        try (Kernels k = Kernels.cpu(1); Tensor x = Tensor.of(gaussian(r, tokens * in), tokens, in);
             DenseMatrix w = DenseMatrix.of(Tensor.of(gaussian(r, out * in), out, in))) {
            float[] first;
            try (Tensor y = k.linear(x, w, null)) {
                first = y.toFloatArray();
            }
            assertTrue(CallArrays.keeps(tokens * out), "the output's array");
            assertTrue(CallArrays.keeps(tokens * in), "x's copy");
            try (Tensor y = k.linear(x, w, null)) {
                assertArrayEquals(first, y.toFloatArray(), "same answer in reused arrays");
            }

            int[] rows = new int[tokens - 7];
            for (int i = 0; i < rows.length; i++) {
                rows[i] = i + 3;
            }
            try (Tensor g = k.gatherRows(x, rows)) {
                assertTrue(CallArrays.keeps(rows.length * in), "the gathered rows' array");
            }

            int h = 2, l = 128, d = 64;
            try (Tensor q = Tensor.of(gaussian(r, h * l * d), 1, h, l, d);
                 Tensor o = k.attention(q, q, q, AttentionMask.causal(), null)) {
                assertTrue(CallArrays.keeps(h * l * d), "the attention output's array");
            }
        }
    }
}
