package dev.sparsekernels.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;

import jdk.incubator.vector.FloatVector;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * {@link VectorKernels#sum} adds lanes in one documented order, pairs then pairs of pairs, so a kernel's bits do not
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
        assertEquals(expected, VectorKernels.sum(FloatVector.fromArray(VectorKernels.S, lanes, 0)));
    }
}
