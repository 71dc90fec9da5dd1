package dev.sparsekernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sparsekernels.channels.ChannelStatistics;
import java.util.Random;
import java.util.function.Function;
import java.util.function.IntPredicate;
import org.junit.jupiter.api.Test;

/**
 * The policy for NaN and infinities (docs/reliability.md): a non-finite input element makes every output it takes part
 * in non-finite, and leaves every other output what it is without it: bit for bit for the GEMMs, within a few ulps
 * for attention (see check). "Takes part" means the kernel's
 * arithmetic uses it: all of a dense row, only the stored weights of 2:4 and block-sparse W, only the keys a query may
 * see in attention (masked, out-of-window or past-the-length keys do not take part). Each case poisons one element
 * (NaN, +Inf or -Inf) of a random input, runs the backend on the clean and the poisoned input, and checks both
 * halves of the policy element by element. The CPU here; {@link CudaNonFiniteInputsTest} runs the same cases on CUDA.
 */
class NonFiniteInputsTest {
    /** Relative: a few float32 ulps (see check). */
    private static final float ATTENTION_TOL = 1e-6f;
    private static final float[] POISONS = {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY};

    private final Random random = new Random(20261126);

    /** The backend under test: the CPU here, CUDA in {@link CudaNonFiniteInputsTest}. */
    Kernels open() {
        return Kernels.cpu(2);
    }

    /** Input dtype: F32 on the CPU; the CUDA kernels take F16 (NaN and both infinities exist there too). */
    DType dtype() {
        return DType.F32;
    }

    Tensor tensor(float[] data, long... shape) {
        return Tensor.of(dtype(), data, shape);
    }

    private float[] gaussian(int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = (float) random.nextGaussian();
        }
        return a;
    }

    /** Outputs where touched(i) must be non-finite, the others identical to the clean run, bit for bit. */
    /**
     * Outputs away from the poison must stay finite and equal up to rounding: not bit for bit, because the clean and
     * the poisoned run can execute at different JIT tiers, and the Vector API's interpreted reductions add lanes in
     * another order than the compiled ones (seen as a 1-ulp difference in the dense GEMV path).
     */
    private static void check(String what, float[] clean, float[] poisoned, IntPredicate touched) {
        check(what, clean, poisoned, touched, 1e-6f);
    }

    /**
     * As above, the others within {@code tolerance} (relative): attention sums a tile that holds a non-finite V row
     * on a path that skips zero weights, in another order than the vector kernels, so its other rows may move by an
     * ulp or two; they stay finite.
     */
    private static void check(String what, float[] clean, float[] poisoned, IntPredicate touched, float tolerance) {
        assertEquals(clean.length, poisoned.length);
        int nonFinite = 0;
        for (int i = 0; i < clean.length; i++) {
            assertTrue(Float.isFinite(clean[i]), what + ": clean output " + i + " is " + clean[i]);
            if (touched.test(i)) {
                assertFalse(Float.isFinite(poisoned[i]), what + ": output " + i + " takes part in the poison but is "
                        + poisoned[i]);
                nonFinite++;
            } else if (tolerance == 0f) {
                assertEquals(Float.floatToIntBits(clean[i]), Float.floatToIntBits(poisoned[i]),
                        what + ": output " + i + " does not take part in the poison but changed");
            } else {
                assertEquals(clean[i], poisoned[i], tolerance * Math.max(1f, Math.abs(clean[i])),
                        what + ": output " + i + " does not take part in the poison but changed");
            }
        }
        assertTrue(nonFinite > 0, what + ": the case poisons no output, so it checks nothing");
    }

    private static float[] run(Kernels k, Function<Kernels, Tensor> call) {
        try (Tensor y = call.apply(k)) {
            return y.toFloatArray();
        }
    }

    @Test
    void denseLinear() {
        int tokens = 5;
        int in = 40;
        int out = 24;
        float[] x = gaussian(tokens * in);
        float[] w = gaussian(out * in);
        float[] b = gaussian(out);
        try (Kernels k = open()) {
            float[] clean = linear(k, x, w, b, out, in);
            for (float p : POISONS) {
                float[] xp = x.clone();
                xp[2 * in + 7] = p; // token 2: its whole output row
                check("x[2,7]=" + p, clean, linear(k, xp, w, b, out, in), i -> i / out == 2);
                float[] wp = w.clone();
                wp[5 * in + 3] = p; // output 5 of every token
                check("w[5,3]=" + p, clean, linear(k, x, wp, b, out, in), i -> i % out == 5);
                float[] bp = b.clone();
                bp[9] = p;
                check("b[9]=" + p, clean, linear(k, x, w, bp, out, in), i -> i % out == 9);
            }
        }
    }

    private float[] linear(Kernels k, float[] x, float[] w, float[] b, int out, int in) {
        try (Tensor xt = tensor(x, x.length / in, in);
                Tensor wt = tensor(w, out, in);
                Tensor bt = tensor(b, out)) {
            return run(k, kk -> kk.linear(xt, wt, bt));
        }
    }

    @Test
    void twoFourLinearOnlyThroughStoredWeights() {
        int tokens = 4;
        int in = 32;
        int out = 16;
        float[] x = gaussian(tokens * in);
        float[] w = gaussian(out * in);
        try (Kernels k = open();
                Tensor wt = tensor(w, out, in);
                Sparse24Matrix w24 = Sparse24Matrix.prune(wt)) {
            float[] dense = w24.toDenseArray();
            float[] clean = linear24(k, x, w24, in);
            for (float p : POISONS) {
                float[] xp = x.clone();
                xp[in + 9] = p; // token 1, input 9: outputs whose kept weights include column 9
                check("x[1,9]=" + p, clean, linear24(k, xp, w24, in),
                        i -> i / out == 1 && dense[(i % out) * in + 9] != 0f);
            }
        }
    }

    private float[] linear24(Kernels k, float[] x, Sparse24Matrix w, int in) {
        try (Tensor xt = tensor(x, x.length / in, in)) {
            return run(k, kk -> kk.linear(xt, w, null));
        }
    }

    @Test
    void blockSparseLinearOnlyThroughStoredBlocks() {
        int tokens = 3;
        int in = 64;
        int out = 32;
        float[] x = gaussian(tokens * in);
        float[] w = gaussian(out * in);
        for (int r = 16; r < 32; r++) { // block (1, 2) absent: outputs 16..31 never read inputs 32..47
            for (int c = 32; c < 48; c++) {
                w[r * in + c] = 0f;
            }
        }
        try (Kernels k = open();
                Tensor wt = tensor(w, out, in);
                BlockSparseMatrix bsr = BlockSparseMatrix.fromDense(wt, 16, 16)) {
            float[] clean;
            try (Tensor xt = tensor(x, tokens, in)) {
                clean = run(k, kk -> kk.linear(xt, bsr, null));
            }
            for (float p : POISONS) {
                float[] xp = x.clone();
                xp[2 * in + 40] = p;
                try (Tensor xt = tensor(xp, tokens, in)) {
                    check("x[2,40]=" + p, clean, run(k, kk -> kk.linear(xt, bsr, null)),
                            i -> i / out == 2 && i % out < 16);
                }
            }
        }
    }

    @Test
    void attentionOnlyThroughKeysAQueryMaySee() {
        int b = 2;
        int h = 2;
        int lq = 6;
        int lk = 8;
        int d = 8;
        float[] q = gaussian(b * h * lq * d);
        float[] kk = gaussian(b * h * lk * d);
        float[] v = gaussian(b * h * lk * d);
        // causal (query i sees keys <= i + 2), and batch 1 has only 5 valid keys
        AttentionMask mask = AttentionMask.builder().causal().keyLengths(8, 5).build();
        try (Kernels k = open()) {
            float[] clean = attention(k, q, kk, v, mask, b, h, lq, lk, d);
            int key = 4; // in batch 0, head 1: queries 2..5 see it, queries 0 and 1 do not (causal)
            for (float p : new float[] {Float.NaN, Float.POSITIVE_INFINITY}) {
                float[] vp = v.clone();
                vp[((0 * h + 1) * lk + key) * d + 3] = p;
                check("V[0,1,4,3]=" + p, clean, attention(k, q, kk, vp, mask, b, h, lq, lk, d),
                        i -> i / (h * lq * d) == 0 && (i / (lq * d)) % h == 1 && (i / d) % lq >= 2 && i % d == 3,
                        ATTENTION_TOL); // a value of V reaches only its own column of the outputs
            }
            float[] kp = kk.clone();
            kp[((0 * h + 1) * lk + key) * d + 3] = Float.NaN;
            check("K[0,1,4,3]=NaN", clean, attention(k, q, kp, v, mask, b, h, lq, lk, d),
                    i -> i / (h * lq * d) == 0 && (i / (lq * d)) % h == 1 && (i / d) % lq >= 2);
            float[] past = v.clone();
            past[((1 * h + 0) * lk + 6) * d] = Float.NaN; // batch 1 has 5 valid keys: key 6 takes part in nothing
            float[] pastK = kk.clone();
            pastK[((1 * h + 0) * lk + 7) * d] = Float.NaN;
            float[] both = attention(k, q, pastK, past, mask, b, h, lq, lk, d);
            for (int i = 0; i < clean.length; i++) {
                assertEquals(clean[i], both[i], ATTENTION_TOL * Math.max(1f, Math.abs(clean[i])),
                        "a key past the key length changed output " + i);
            }
            for (float p : POISONS) {
                float[] qp = q.clone();
                qp[((1 * h + 0) * lq + 3) * d + 5] = p; // one query row: only its output row
                check("Q[1,0,3,5]=" + p, clean, attention(k, qp, kk, v, mask, b, h, lq, lk, d),
                        i -> i / (lq * d) == 1 * h + 0 && (i / d) % lq == 3);
            }
        }
    }

    /**
     * Block-sparse masks of small blocks: the CPU kernel puts a query block's visible key blocks side by side in one
     * softmax step, and a non-finite V row must still reach only the query blocks that attend its key block (through
     * the zero-skipping P·V of that block's columns, wherever in the step they sit).
     */
    @Test
    void attentionWithSmallBlocksOnlyThroughTheBlocksAQueryAttends() {
        int lq = 32;
        int lk = 80;
        int d = 16;
        float[] q = gaussian(lq * d);
        float[] kk = gaussian(lk * d);
        float[] v = gaussian(lk * d);
        byte s = AttentionMask.BlockSparse.SKIP;
        byte f = AttentionMask.BlockSparse.FULL;
        byte[] kinds = {
            f, s, f, f, s, // query block 0 attends key blocks 0, 2, 3
            s, f, f, s, f}; // query block 1 attends key blocks 1, 2, 4
        AttentionMask mask = AttentionMask.builder()
                .blockSparse(AttentionMask.BlockSparse.fromGrid(16, 16, 1, 1, 2, 5, kinds)).build();
        try (Kernels k = open()) {
            float[] clean = attention(k, q, kk, v, mask, 1, 1, lq, lk, d);
            // key 70 is in block 4, the third of query block 1's blocks: only query block 1's column 5
            float[] vp = v.clone();
            vp[70 * d + 5] = Float.NaN;
            check("V[70,5]=NaN", clean, attention(k, q, kk, vp, mask, 1, 1, lq, lk, d),
                    i -> i / d >= 16 && i % d == 5, ATTENTION_TOL);
            // key 17 is in block 1, the first of query block 1's: the same outputs
            vp = v.clone();
            vp[17 * d + 2] = Float.POSITIVE_INFINITY;
            check("V[17,2]=+Inf", clean, attention(k, q, kk, vp, mask, 1, 1, lq, lk, d),
                    i -> i / d >= 16 && i % d == 2, ATTENTION_TOL);
            // key 40 is in block 2, which both query blocks attend: column 7 of every row
            vp = v.clone();
            vp[40 * d + 7] = Float.NaN;
            check("V[40,7]=NaN", clean, attention(k, q, kk, vp, mask, 1, 1, lq, lk, d), i -> i % d == 7,
                    ATTENTION_TOL);
            // a NaN in K of a key block that query block 0 skips: only query block 1's rows
            float[] kp = kk.clone();
            kp[66 * d + 1] = Float.NaN;
            check("K[66,1]=NaN", clean, attention(k, q, kp, v, mask, 1, 1, lq, lk, d), i -> i / d >= 16);
        }
    }

    private float[] attention(Kernels k, float[] q, float[] kk, float[] v, AttentionMask mask, int b, int h,
            int lq, int lk, int d) {
        try (Tensor qt = tensor(q, b, h, lq, d);
                Tensor kt = tensor(kk, b, h, lk, d);
                Tensor vt = tensor(v, b, h, lk, d)) {
            return run(k, kernels -> kernels.attention(qt, kt, vt, mask, null));
        }
    }

    @Test
    void aQueryRowWhoseBiasIsMinusInfinityEverywhereGivesZerosAndHidesNonFiniteKeys() {
        int lq = 4;
        int lk = 6;
        int d = 8;
        float[] q = gaussian(lq * d);
        float[] kk = gaussian(lk * d);
        float[] v = gaussian(lk * d);
        float[] bias = new float[lq * lk];
        for (int j = 0; j < lk; j++) {
            bias[1 * lk + j] = Float.NEGATIVE_INFINITY; // query 1 sees no key at all
        }
        bias[2 * lk + 3] = Float.NEGATIVE_INFINITY; // query 2 does not see key 3
        AttentionMask mask = AttentionMask.builder().bias(bias, lq, lk).build();
        try (Kernels k = open()) {
            float[] clean = attention(k, q, kk, v, mask, 1, 1, lq, lk, d);
            for (int c = 0; c < d; c++) {
                assertEquals(0f, clean[1 * d + c], "a fully masked row gives zeros, element " + c);
            }
            float[] kp = kk.clone();
            float[] vp = v.clone();
            kp[3 * d] = Float.NaN;
            vp[3 * d + 1] = Float.NaN;
            // key 3 is poisoned: queries 0 and 3 see it; query 2 has -inf bias on it, query 1 sees nothing
            float[] poisoned = attention(k, q, kp, vp, mask, 1, 1, lq, lk, d);
            for (int i = 0; i < clean.length; i++) {
                int row = i / d;
                if (row == 0 || row == 3) {
                    assertFalse(Float.isFinite(poisoned[i]), "row " + row + " sees key 3, element " + i);
                } else {
                    assertEquals(clean[i], poisoned[i], ATTENTION_TOL * Math.max(1f, Math.abs(clean[i])),
                            "row " + row + " does not see key 3, element " + i);
                }
            }
        }
    }

    @Test
    void channelStatisticsAndGathersKeepAPoisonInItsChannel() {
        int samples = 7;
        int channels = 5;
        float[] a = gaussian(samples * channels);
        try (Kernels k = open()) {
            for (float p : POISONS) {
                float[] ap = a.clone();
                ap[3 * channels + 2] = p;
                ChannelStatistics clean;
                ChannelStatistics poisoned;
                try (Tensor t = tensor(a, samples, channels); Tensor tp = tensor(ap, samples, channels)) {
                    clean = k.channelStatistics(t);
                    poisoned = k.channelStatistics(tp);
                    float[] rows = run(k, kk -> kk.gatherRows(tp, new int[] {1, 3}));
                    for (int i = 0; i < rows.length; i++) {
                        assertEquals(i == channels + 2, !Float.isFinite(rows[i]), "gathered row element " + i);
                    }
                }
                double[] m0 = clean.mean();
                double[] m1 = poisoned.mean();
                double[] s0 = clean.meanSquare();
                double[] s1 = poisoned.meanSquare();
                for (int c = 0; c < channels; c++) {
                    if (c == 2) {
                        assertFalse(Double.isFinite(m1[c]) && Double.isFinite(s1[c]), "channel 2 statistics");
                    } else {
                        assertEquals(m0[c], m1[c], "mean of channel " + c);
                        assertEquals(s0[c], s1[c], "mean square of channel " + c);
                    }
                }
            }
        }
    }
}
