package dev.sparsekernels.cpu;

/**
 * Sums of the 16 lanes of a 512-bit accumulator in one fixed order, done in scalar code on the lanes the vector loop
 * stored ({@code acc.intoArray(lanes, 0)}, the only vector operation after the loop). The order is the rotation
 * tree the reductions used before: lane i + lane i+8, then + 4, + 2, + 1, so results are the same bits as before and
 * in every JIT tier ({@code reduceLanes(ADD)} leaves the order to the implementation).
 *
 * <p>Why not the rotations on the vector: in some processes C2 boxed the accumulator for them, one vector per call.
 * A helper taking the vector did so until session 20 (LayerNorm's row sums, 1.2 GB in 12 s of a demo's speed phase);
 * the rotations written out in each reduction did so in session 21 ({@code addSumWide}, 1.5 GB in 12 s of another).
 * Vector arithmetic after a loop is what the JIT rules in docs/reliability.md forbid; this follows them.
 */
final class LaneSums {
    private LaneSums() {}

    private static final ThreadLocal<float[]> LANES = ThreadLocal.withInitial(() -> new float[16]);

    /** This thread's 16 floats for a reduction's lanes: taken once per row or tile, not per reduction. */
    static float[] lanes() {
        return LANES.get();
    }

    /** ((l0+l8)+(l4+l12)) + ((l2+l10)+(l6+l14)), plus the same for the odd lanes: the rotation tree's lane 0. */
    static float sum16(float[] l) {
        float even = ((l[0] + l[8]) + (l[4] + l[12])) + ((l[2] + l[10]) + (l[6] + l[14]));
        float odd = ((l[1] + l[9]) + (l[5] + l[13])) + ((l[3] + l[11]) + (l[7] + l[15]));
        return even + odd;
    }
}
