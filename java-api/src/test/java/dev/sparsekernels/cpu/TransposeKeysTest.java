package dev.sparsekernels.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;

/**
 * Every kernel set's K^T panels against the interface's plain copy: whole and partial 16-key chunks, rows packed
 * in wider arrays (K read out of a fused Q|K|V row), K at the very end of its array (so that reading ahead past
 * the last key would throw), with and without reading ahead.
 */
class TransposeKeysTest {
    /** The scalar set keeps the interface's plain copy. */
    private static final AttentionKernels PLAIN = ScalarAttentionKernels.INSTANCE;

    @Property(tries = 60)
    void panelsEqualThePlainCopyWithOrWithoutReadingAhead(@ForAll @IntRange(min = 1, max = 70) int rows,
            @ForAll @IntRange(min = 0, max = 3) int dPick, @ForAll @IntRange(min = 0, max = 40) int extraStride,
            @ForAll @IntRange(min = 0, max = 17) int ko, @ForAll boolean readAhead) {
        int d = new int[] {16, 32, 64, 80}[dPick];
        int ldk = d + extraStride;
        Random r = new Random(rows * 31L + ldk);
        float[] k = new float[ko + (rows - 1) * ldk + d]; // the last key ends the array
        for (int i = 0; i < k.length; i++) {
            k[i] = (float) r.nextGaussian();
        }
        int chunk = AttentionKernels.CHUNK_KEYS * d;
        int kto = 5;
        int n = kto + (rows + 15) / 16 * chunk;
        float[] want = new float[n];
        PLAIN.transposeKeys(k, ko, ldk, rows, d, want, kto, AttentionKernels.CHUNK_KEYS, chunk, false);
        for (AttentionKernels kern : FlashAttentionTest.kernels()) {
            float[] got = new float[n];
            kern.transposeKeys(k, ko, ldk, rows, d, got, kto, AttentionKernels.CHUNK_KEYS, chunk, readAhead);
            assertArrayEquals(want, got, kern.describe() + " rows=" + rows + " d=" + d + " ldk=" + ldk);
        }
    }
}
