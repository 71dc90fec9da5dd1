package dev.sparsekernels.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * The 256-bit ({@link LaneSums#sum8}) and 512-bit ({@link LaneSums#sum16}) reductions add lanes in one
 * documented order, pairs then pairs of pairs, so a kernel's bits do not
 * depend on whether the JIT has compiled it (reduceLanes sums in the interpreter's order until it has).
 */
class LaneSumOrderTest {
    @Test
    void lanesAreAddedPairwise() {
        Assumptions.assumeTrue(CpuVectorization.isActive(), "needs the Vector API");
        float[] lanes = {1e8f, 1f, -1e8f, 1f, 3f, 0.5f, -2f, 0.25f};
        // in order: ((1e8 + 1) - 1e8) + 1 = 1 (the first 1 is lost against 1e8, the second survives)
        // pairwise: (1e8 + 1) + (-1e8 + 1) = 1e8 - 1e8 = 0 (both 1s lost), then + (3.5 + -1.75)
        float expected = ((lanes[0] + lanes[1]) + (lanes[2] + lanes[3])) + ((lanes[4] + lanes[5]) + (lanes[6] + lanes[7]));
        assertEquals(1.75f, expected);
        assertEquals(expected, LaneSums.sum8(lanes.clone()));
        // a 256-bit reduction (LayerNorm's 8-lane pass): the lanes stored, then added in that order, not in order
        assertEquals(expected, VectorElementwise.sum8(lanes, 0, 8, new float[8]));
    }

    @Test
    void sixteenLanesAreAddedHalvesFirst() {
        Assumptions.assumeTrue(CpuVectorization.isActive(), "needs the Vector API");
        float[] l = {1e8f, 1f, 3f, 0.5f, -2f, 0.25f, 7f, 1f, -1e8f, 1f, 2f, 0.125f, 5f, 1f, -3f, 0.5f};
        // lane i + lane i+8 first (1e8 + -1e8 = 0 before any 1 is lost), then i + i+4, i + i+2, i + i+1
        float[] h = new float[16];
        for (int i = 0; i < 16; i++) {
            h[i] = l[i] + l[(i + 8) % 16];
        }
        for (int step : new int[] {4, 2, 1}) {
            float[] n = new float[16];
            for (int i = 0; i < 16; i++) {
                n[i] = h[i] + h[(i + step) % 16];
            }
            h = n;
        }
        float inOrder = 0f;
        for (float x : l) {
            inOrder += x;
        }
        org.junit.jupiter.api.Assertions.assertNotEquals(inOrder, h[0], "the lanes must tell the orders apart");
        // the 512-bit reductions: the lanes stored, then added in scalar code in the same tree (LayerNorm's row sum)
        assertEquals(h[0], LaneSums.sum16(l));
        assertEquals(h[0], VectorElementwise.sumWide(l, 0, 16, new float[16]));
    }
}
