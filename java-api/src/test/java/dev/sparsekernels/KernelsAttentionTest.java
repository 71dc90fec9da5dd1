package dev.sparsekernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sparsekernels.cpu.AttentionReference;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * {@link Kernels#attention} on the CPU backend: argument checks (messages name argument, expected and actual) and
 * results against {@link AttentionReference}. Tolerance 2e-5 + 2e-4 |ref| for F32 inputs; F16 inputs are widened
 * exactly, so the reference runs on the rounded values with the same tolerance.
 */
class KernelsAttentionTest {
    static float[] gaussian(Random r, int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = (float) r.nextGaussian();
        }
        return a;
    }

    static void assertClose(float[] ref, float[] got) {
        assertEquals(ref.length, got.length);
        for (int i = 0; i < ref.length; i++) {
            assertTrue(Math.abs(got[i] - ref[i]) <= 2e-5 + 2e-4 * Math.abs(ref[i]),
                    "element " + i + ": expected " + ref[i] + " but got " + got[i]);
        }
    }

    private static IllegalArgumentException bad(Runnable r) {
        return assertThrows(IllegalArgumentException.class, r::run);
    }

    @Test
    void gqaWithDefaultAndExplicitScaleAndF16Inputs() {
        Random r = new Random(1);
        int b = 2, hq = 6, hkv = 2, lq = 9, lk = 21, d = 64;
        float[] q = gaussian(r, b * hq * lq * d);
        float[] k = gaussian(r, b * hkv * lk * d);
        float[] v = gaussian(r, b * hkv * lk * d);
        try (Kernels cpu = Kernels.cpu(3);
                Tensor tq = Tensor.of(q, b, hq, lq, d);
                Tensor tk = Tensor.of(k, b, hkv, lk, d);
                Tensor tv = Tensor.of(v, b, hkv, lk, d)) {
            AttentionMask m = AttentionMask.causal();
            try (Tensor o = cpu.attention(tq, tk, tv, m, null)) {
                assertArrayEquals(new long[] {b, hq, lq, d}, o.shape());
                assertEquals(DType.F32, o.dtype());
                assertClose(AttentionReference.attention(q, k, v, b, hq, hkv, lq, lk, d, m, 1 / Math.sqrt(d)),
                        o.toFloatArray());
            }
            try (Tensor o = cpu.attention(tq, tk, tv, null, 0.3)) {
                assertClose(AttentionReference.attention(q, k, v, b, hq, hkv, lq, lk, d, null, 0.3),
                        o.toFloatArray());
            }
            try (Tensor hq16 = tq.to(DType.F16); Tensor hk16 = tk.to(DType.F16); Tensor hv16 = tv.to(DType.F16);
                    Tensor o = cpu.attention(hq16, hk16, hv16, m, null)) {
                assertClose(AttentionReference.attention(hq16.toFloatArray(), hk16.toFloatArray(),
                        hv16.toFloatArray(), b, hq, hkv, lq, lk, d, m, 1 / Math.sqrt(d)), o.toFloatArray());
            }
        }
    }

    @Test
    void badShapesNameTheProblem() {
        try (Kernels cpu = Kernels.cpu(1);
                Tensor q = Tensor.allocate(DType.F32, 1, 6, 4, 8);
                Tensor k = Tensor.allocate(DType.F32, 1, 4, 5, 8);
                Tensor k2 = Tensor.allocate(DType.F32, 1, 2, 5, 8);
                Tensor v2 = Tensor.allocate(DType.F32, 1, 2, 6, 8);
                Tensor kd = Tensor.allocate(DType.F32, 1, 2, 5, 16);
                Tensor kb = Tensor.allocate(DType.F32, 2, 2, 5, 8);
                Tensor k16 = Tensor.allocate(DType.F16, 1, 2, 5, 8);
                Tensor q3 = Tensor.allocate(DType.F32, 6, 4, 8)) {
            assertTrue(bad(() -> cpu.attention(q, k, k, null, null)).getMessage()
                    .contains("expected Hq a multiple of Hkv = 4 but got Hq = 6"));
            assertTrue(bad(() -> cpu.attention(q, k2, v2, null, null)).getMessage().contains("V: expected the shape"));
            assertTrue(bad(() -> cpu.attention(q, kd, kd, null, null)).getMessage()
                    .contains("K: expected head dim D = 8 (from Q) but got 16"));
            assertTrue(bad(() -> cpu.attention(q, kb, kb, null, null)).getMessage()
                    .contains("K: expected batch B = 1 (from Q) but got 2"));
            assertTrue(bad(() -> cpu.attention(q, k16, k16, null, null)).getMessage().contains("dtype"));
            assertTrue(bad(() -> cpu.attention(q3, k2, k2, null, null)).getMessage()
                    .contains("Q: expected rank 4 [B, Hq, Lq, D] but got shape [6, 4, 8]"));
            assertTrue(bad(() -> cpu.attention(null, k2, k2, null, null)).getMessage().contains("Q: expected"));
            assertTrue(bad(() -> cpu.attention(q, k2, k2, null, Double.NaN)).getMessage().contains("scale"));
            // finite doubles that are infinity or zero as the float the kernels scale by
            assertTrue(bad(() -> cpu.attention(q, k2, k2, null, 1e300)).getMessage().contains("scale"));
            assertTrue(bad(() -> cpu.attention(q, k2, k2, null, -3.5e38)).getMessage().contains("float range"));
            assertTrue(bad(() -> cpu.attention(q, k2, k2, null, 1e-50)).getMessage().contains("scale"));
            // masks that do not fit
            assertTrue(bad(() -> cpu.attention(q, k2, k2, AttentionMask.builder().keyLengths(5, 5).build(), null))
                    .getMessage().contains("keyLengths: expected 1 entry (one per batch entry) but got 2"));
            assertTrue(bad(() -> cpu.attention(q, k2, k2, AttentionMask.builder().keyLengths(6).build(), null))
                    .getMessage().contains("keyLengths[0]: expected 0..5 (Lk) but got 6"));
            assertTrue(bad(() -> cpu.attention(q, k2, k2,
                    AttentionMask.builder().dense(new boolean[3 * 5], 3, 5).build(), null)).getMessage()
                    .contains("dimension Lq: expected 1 or 4 but got 3"));
            assertTrue(bad(() -> cpu.attention(q, k2, k2,
                    AttentionMask.builder().bias(new float[4], 4).build(), null)).getMessage()
                    .contains("bias: shape [1, 1, 1, 4] does not broadcast"));
            assertTrue(bad(() -> cpu.attention(q, k2, k2, AttentionMask.builder().headMask(true, false).build(),
                    null)).getMessage().contains("headMask: expected 6 entries (Hq) but got 2"));
            AttentionMask.BlockSparse bs = AttentionMask.BlockSparse.fromGrid(2, 2, 1, 1, 2, 2, new byte[4]);
            assertTrue(bad(() -> cpu.attention(q, k2, k2, AttentionMask.builder().blockSparse(bs).build(), null))
                    .getMessage().contains("blockSparse.kBlocks: expected 3 (ceil(Lk/blockK) = ceil(5/2)) but got 2"));
        }
        Tensor closed = Tensor.allocate(DType.F32, 1, 1, 1, 1);
        closed.close();
        try (Kernels cpu = Kernels.cpu(1)) {
            assertThrows(IllegalStateException.class, () -> cpu.attention(closed, closed, closed, null, null));
        }
    }

    @Test
    void builderValidation() {
        assertTrue(bad(() -> AttentionMask.builder().window(0)).getMessage().contains("window: expected >= 1"));
        assertTrue(bad(() -> AttentionMask.builder().keyLengths(3, -1)).getMessage()
                .contains("keyLengths[1]: expected >= 0 but got -1"));
        assertTrue(bad(() -> AttentionMask.builder().dense(new boolean[5], 2, 3)).getMessage()
                .contains("mask: expected 6 elements"));
        assertTrue(bad(() -> AttentionMask.builder().dense(new boolean[1], 1, 1, 1, 1, 1)).getMessage()
                .contains("rank 1 to 4"));
        assertTrue(bad(() -> AttentionMask.builder().bias(new float[] {Float.NaN}, 1)).getMessage()
                .contains("bias[0]: expected a finite value or -inf but got NaN"));
        assertTrue(bad(() -> AttentionMask.BlockSparse.fromGrid(16, 16, 1, 1, 1, 1, new byte[] {3})).getMessage()
                .contains("kinds[0]: expected 0 (skip), 1 (partial) or 2 (full) but got 3"));
        assertTrue(bad(() -> AttentionMask.BlockSparse.fromGrid(0, 16, 1, 1, 1, 1, new byte[1])).getMessage()
                .contains("blockQ: expected >= 1 but got 0"));
        assertEquals("none", AttentionMask.none().toString());
        assertEquals("causal+window:8", AttentionMask.builder().causal().window(8).build().toString());
        assertTrue(AttentionMask.none().isNone());
        AttentionMask m = AttentionMask.causal().toBuilder().headMask(true, false).build();
        assertTrue(m.isCausal());
        assertEquals("causal+heads:1/2", m.toString());
    }
}
