package dev.sparsekernels.cpu;

/**
 * An {@link AttentionPlan} task's working arrays, kept per thread and reused by its next tasks and calls: allocated
 * per task they were about 6 MB of garbage per MHA call at L = 1024 (two 16 KiB tiles per task), zeroed on
 * allocation and collected. Tiles larger than {@link #KEEP_FLOATS} (block-sparse masks with huge blocks) are not kept.
 */
final class AttentionTaskScratch {
    static final int KEEP_FLOATS = 1 << 18;
    /** Key blocks one softmax step may hold side by side ({@code AttentionPlan.tileBlocks}). */
    static final int MAX_MEMBERS = 8;
    private static final ThreadLocal<AttentionTaskScratch> KEPT = new ThreadLocal<>();

    final float[] s, acc, rowMax, rowSum, tileMax;
    final int[] lo, hi;
    final boolean[] live;
    /** The step's key blocks: first key, key count, whether the dense mask applies. */
    final int[] memberK0 = new int[MAX_MEMBERS], memberKeys = new int[MAX_MEMBERS];
    final boolean[] memberDense = new boolean[MAX_MEMBERS];

    private AttentionTaskScratch(int rows, int lds, int d) {
        s = new float[rows * lds];
        acc = new float[rows * d];
        rowMax = new float[rows];
        rowSum = new float[rows];
        tileMax = new float[rows];
        lo = new int[rows];
        hi = new int[rows];
        live = new boolean[rows];
    }

    /** Arrays for at least {@code rows} rows of {@code lds} scores and {@code d} accumulators. */
    static AttentionTaskScratch get(int rows, int lds, int d) {
        AttentionTaskScratch t = KEPT.get();
        if (t != null && t.live.length >= rows && t.s.length >= rows * lds && t.acc.length >= rows * d) {
            return t;
        }
        t = new AttentionTaskScratch(rows, lds, d);
        if ((long) rows * (lds + d) <= KEEP_FLOATS) {
            KEPT.set(t);
        }
        return t;
    }
}
