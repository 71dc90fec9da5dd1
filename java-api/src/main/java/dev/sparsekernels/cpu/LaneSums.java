package dev.sparsekernels.cpu;

/**
 * Sums of the 16 lanes of a 512-bit accumulator (or the 8 of a 256-bit one) in one fixed order, done in scalar code
 * on the lanes the vector loop stored ({@code acc.intoArray(lanes, 0)}, the only vector operation after the loop). The order is the rotation
 * tree the reductions used before: lane i + lane i+8, then + 4, + 2, + 1, so results are the same bits as before and
 * in every JIT tier ({@code reduceLanes(ADD)} leaves the order to the implementation).
 *
 * <p>Why not the rotations on the vector: in some processes C2 boxed the accumulator for them, one vector per call.
 * A helper taking the vector did so until session 20 (LayerNorm's row sums, 1.2 GB in 12 s of a demo's speed phase);
 * the rotations written out in each reduction did so in session 21 ({@code addSumWide}, 1.5 GB in 12 s of another).
 * Vector arithmetic after a loop is what the JIT rules in docs/reliability.md forbid; this follows them. The 256-bit
 * reductions called a helper taking the vector and reading its lanes ({@code v.lane(i)}, virtual calls where the
 * helper was compiled on its own), the same fault; they now store their 8 lanes too ({@link #sum8}).
 */
final class LaneSums {
    private LaneSums() {}

    private static final ThreadLocal<float[]> LANES = ThreadLocal.withInitial(() -> new float[64]);

    /**
     * This thread's 64 floats for reductions' lanes (up to eight 256-bit accumulators at once): taken once per row
     * or tile, not per reduction.
     */
    static float[] lanes() {
        return LANES.get();
    }

    /** ((l0+l1)+(l2+l3)) + ((l4+l5)+(l6+l7)): pairs, then pairs of pairs, as the 256-bit reductions always added. */
    static float sum8(float[] l) {
        return sum8(l, 0);
    }

    /** {@link #sum8(float[])} of the 8 lanes at l[o ..]. */
    static float sum8(float[] l, int o) {
        return ((l[o] + l[o + 1]) + (l[o + 2] + l[o + 3])) + ((l[o + 4] + l[o + 5]) + (l[o + 6] + l[o + 7]));
    }

    /**
     * {@link #sum8(float[], int)} of two accumulators added lane by lane (a at l[o ..], b at l[o + 8 ..]): the bits
     * {@code sum(a.add(b))} gave.
     */
    static float sumPairs8(float[] l, int o) {
        float c0 = l[o] + l[o + 8], c1 = l[o + 1] + l[o + 9], c2 = l[o + 2] + l[o + 10], c3 = l[o + 3] + l[o + 11];
        float c4 = l[o + 4] + l[o + 12], c5 = l[o + 5] + l[o + 13], c6 = l[o + 6] + l[o + 14];
        float c7 = l[o + 7] + l[o + 15];
        return ((c0 + c1) + (c2 + c3)) + ((c4 + c5) + (c6 + c7));
    }

    /** ((l0+l8)+(l4+l12)) + ((l2+l10)+(l6+l14)), plus the same for the odd lanes: the rotation tree's lane 0. */
    static float sum16(float[] l) {
        float even = ((l[0] + l[8]) + (l[4] + l[12])) + ((l[2] + l[10]) + (l[6] + l[14]));
        float odd = ((l[1] + l[9]) + (l[5] + l[13])) + ((l[3] + l[11]) + (l[7] + l[15]));
        return even + odd;
    }
}
