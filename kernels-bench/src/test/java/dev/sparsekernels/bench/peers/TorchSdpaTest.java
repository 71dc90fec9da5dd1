package dev.sparsekernels.bench.peers;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sparsekernels.AttentionMask;
import dev.sparsekernels.cpu.FlashAttention;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * libtorch is a test dependency of this module, so it must load here: a peer that silently went missing would turn
 * every attention record into "not measured" without anyone noticing.
 */
class TorchSdpaTest {
    private static float[] gaussian(Random r, int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = (float) r.nextGaussian();
        }
        return a;
    }

    @Test
    void libtorchLoadsFromTheTestClassPath() {
        assertTrue(TorchSdpa.isAvailable(), () -> "libtorch: " + TorchSdpa.unavailabilityCause());
    }

    @Test
    void agreesWithOurKernelWithoutMaskCausallyAndWithABooleanMask() {
        int b = 2, h = 3, l = 37, d = 24;
        Random rnd = new Random(7);
        float[] q = gaussian(rnd, b * h * l * d), k = gaussian(rnd, b * h * l * d), v = gaussian(rnd, b * h * l * d);
        boolean[] mask = new boolean[h * l * l];
        for (int i = 0; i < mask.length; i++) {
            mask[i] = rnd.nextInt(3) != 0 || (i / l) % l == i % l; // every row keeps its diagonal
        }
        float scale = 0.3f;
        AttentionMask[] ours = {AttentionMask.none(), AttentionMask.causal(),
            AttentionMask.builder().dense(mask, 1, h, l, l).build()};
        for (int c = 0; c < 3; c++) {
            float[] expected = FlashAttention.attention(q, k, v, b, h, h, l, l, d, ours[c], scale, 1);
            try (TorchSdpa t = new TorchSdpa(q, k, v, b, h, l, l, d, c == 1, c == 2 ? mask : null, scale, 1)) {
                t.run();
                assertArrayEquals(expected, t.result(), 1e-4f, "case " + c);
            }
        }
    }

    @Test
    void refusesACausalMaskWhoseAlignmentWouldDifferFromOurs() {
        float[] q = new float[4 * 8], kv = new float[6 * 8];
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new TorchSdpa(q, kv, kv, 1, 1, 4, 6, 8, true, null, 1, 1));
        assertTrue(e.getMessage().contains("lq == lk"), e.getMessage());
    }
}
