package dev.sparsekernels.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The four-plus-two-row form of the dense microkernel that JDK 17 runs (VectorKernels.SPLIT_SIX_ROWS) against the
 * six-row kernel that later JDKs run: the same multiply-adds in the same order per output, so the same bits. CI's
 * JDK runs the six-row kernel everywhere else; this keeps the other form tested.
 */
class DenseSplitRowsTest {
    @Test
    void fourPlusTwoRowsGiveTheSixRowKernelsBits() {
        Random r = new Random(17);
        int in = 389, kLen = 301, k0 = 37, cs = 40; // W rows longer than the K block, the block not at the row start
        float[] xt = new float[kLen * 16 + 5];
        float[] w = new float[6 * in + 3];
        float[] c0 = new float[6 * cs + 11];
        for (int i = 0; i < xt.length; i++) {
            xt[i] = (float) r.nextGaussian();
        }
        for (int i = 0; i < w.length; i++) {
            w[i] = (float) r.nextGaussian();
        }
        for (int i = 0; i < c0.length; i++) {
            c0[i] = (float) r.nextGaussian(); // accumulates into what is there, as across K blocks
        }
        int xo = 5, wOff = 3 + k0, cOff = 11;
        float[] six = c0.clone();
        float[] split = c0.clone();
        VectorKernels.dense6x2(xt, xo, w, wOff, in, kLen, six, cOff, cs);
        VectorKernels.dense4x2(xt, xo, w, wOff, in, kLen, split, cOff, cs);
        VectorKernels.dense2x2(xt, xo, w, wOff + 4 * in, in, kLen, split, cOff + 4 * cs, cs);
        assertArrayEquals(six, split);
    }
}
