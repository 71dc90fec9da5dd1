package dev.sparsekernels;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Which keys each query may attend in {@link Kernels#attention}, for Q [B, Hq, Lq, D] and K, V [B, Hkv, Lk, D]. An
 * immutable combination of components; key j is visible to query i of batch b and head h only if every present
 * component allows it:
 * <ul>
 *   <li><b>causal</b>, aligned bottom-right: with {@code p = i + Lk - Lq}, keys {@code j <= p};</li>
 *   <li><b>sliding window</b> of size W: keys with {@code |j - p| < W} (with causal: {@code p - W < j <= p});</li>
 *   <li><b>key lengths</b> [B] (padding): keys {@code j < keyLengths[b]};</li>
 *   <li><b>dense boolean mask</b> broadcastable to [B, Hq, Lq, Lk] (numpy rules, missing leading dims are 1):
 *       true means "may attend";</li>
 *   <li><b>additive bias</b> broadcastable to [B, Hq, Lq, Lk], added to the scaled scores; -inf removes a key,
 *       NaN and +inf are rejected;</li>
 *   <li><b>block-sparse</b> ({@link BlockSparse}): per batch and head, which key blocks each query block attends.
 *       As in FlexAttention, a <i>full</i> block is one where the element-wise mask (the dense boolean mask) is not
 *       consulted, a <i>partial</i> block consults it; a block not listed removes all its keys. The structured
 *       components (causal, window, key lengths), the bias and the head mask apply in every block;</li>
 *   <li><b>head mask</b> [Hq]: a pruned head (false) outputs zeros and costs nothing.</li>
 * </ul>
 * A query row that sees no key outputs zeros (never NaN). Sizes that depend on the inputs are checked by
 * {@link #check(int, int, int, int)}, which {@link Kernels#attention} calls before any work.
 */
public final class AttentionMask {
    private static final AttentionMask NONE = new Builder().build();

    private final boolean causal;
    private final int window;
    private final int[] keyLengths;
    private final boolean[] dense;
    private final long[] denseShape;
    private final float[] bias;
    private final long[] biasShape;
    private final BlockSparse blocks;
    private final boolean[] headMask;

    private AttentionMask(Builder b) {
        this.causal = b.causal;
        this.window = b.window;
        this.keyLengths = b.keyLengths;
        this.dense = b.dense;
        this.denseShape = b.denseShape;
        this.bias = b.bias;
        this.biasShape = b.biasShape;
        this.blocks = b.blocks;
        this.headMask = b.headMask;
    }

    /** Every query sees every key. */
    public static AttentionMask none() {
        return NONE;
    }

    /** Causal, aligned bottom-right. */
    public static AttentionMask causal() {
        return builder().causal().build();
    }

    public static Builder builder() {
        return new Builder();
    }

    /** A builder starting from this mask's components. */
    public Builder toBuilder() {
        Builder b = new Builder();
        b.causal = causal;
        b.window = window;
        b.keyLengths = keyLengths;
        b.dense = dense;
        b.denseShape = denseShape;
        b.bias = bias;
        b.biasShape = biasShape;
        b.blocks = blocks;
        b.headMask = headMask;
        return b;
    }

    public boolean isCausal() {
        return causal;
    }

    /** The sliding window size, 0 when there is none. */
    public int window() {
        return window;
    }

    /** Key lengths [B], or null. */
    public int[] keyLengths() {
        return keyLengths == null ? null : keyLengths.clone();
    }

    public boolean hasDense() {
        return dense != null;
    }

    /** The dense mask's shape left-padded to rank 4, or null. */
    public long[] denseShape() {
        return denseShape == null ? null : denseShape.clone();
    }

    /** A copy of the dense boolean mask (row-major in {@link #denseShape()}), or null. */
    public boolean[] dense() {
        return dense == null ? null : dense.clone();
    }

    public boolean hasBias() {
        return bias != null;
    }

    /** The bias's shape left-padded to rank 4, or null. */
    public long[] biasShape() {
        return biasShape == null ? null : biasShape.clone();
    }

    /** A copy of the additive bias (row-major in {@link #biasShape()}), or null. */
    public float[] bias() {
        return bias == null ? null : bias.clone();
    }

    /** The block-sparse layout, or null. */
    public BlockSparse blockSparse() {
        return blocks;
    }

    /** Head mask [Hq] (true = kept), or null. */
    public boolean[] headMask() {
        return headMask == null ? null : headMask.clone();
    }

    /** True when no component is present. */
    public boolean isNone() {
        return !causal && window == 0 && keyLengths == null && dense == null && bias == null && blocks == null
                && headMask == null;
    }

    /** Read-only views for the kernels in this library (no copies). */
    public Views views() {
        return new Views();
    }

    /** Direct, uncopied access for kernels: callers must not modify the arrays. */
    public final class Views {
        private Views() {}

        public int[] keyLengths() {
            return keyLengths;
        }

        public boolean[] dense() {
            return dense;
        }

        public long[] denseShape() {
            return denseShape;
        }

        public float[] bias() {
            return bias;
        }

        public long[] biasShape() {
            return biasShape;
        }

        public boolean[] headMask() {
            return headMask;
        }
    }

    /**
     * Checks that this mask fits Q [batch, heads, lq, ·] and K [·, ·, lk, ·]: key lengths [batch] in 0..lk, dense
     * mask and bias broadcastable to [batch, heads, lq, lk], block grid covering lq and lk, head mask [heads].
     *
     * @throws IllegalArgumentException naming the component, the expected and the actual value
     */
    public void check(int batch, int heads, int lq, int lk) {
        if (keyLengths != null) {
            if (keyLengths.length != batch) {
                throw new IllegalArgumentException("keyLengths: expected " + batch + (batch == 1 ? " entry" : " entries")
                        + " (one per batch entry) but got " + keyLengths.length);
            }
            for (int b = 0; b < batch; b++) {
                if (keyLengths[b] > lk) {
                    throw new IllegalArgumentException("keyLengths[" + b + "]: expected 0.." + lk + " (Lk) but got "
                            + keyLengths[b]);
                }
            }
        }
        long[] full = {batch, heads, lq, lk};
        if (dense != null) {
            broadcasts("mask", denseShape, full);
        }
        if (bias != null) {
            broadcasts("bias", biasShape, full);
        }
        if (blocks != null) {
            blocks.check(batch, heads, lq, lk);
        }
        if (headMask != null && headMask.length != heads) {
            throw new IllegalArgumentException("headMask: expected " + heads + " entries (Hq) but got "
                    + headMask.length);
        }
    }

    private static void broadcasts(String name, long[] shape, long[] full) {
        String[] dims = {"B", "Hq", "Lq", "Lk"};
        for (int i = 0; i < 4; i++) {
            if (shape[i] != 1 && shape[i] != full[i]) {
                throw new IllegalArgumentException(name + ": shape " + Arrays.toString(shape)
                        + " does not broadcast to [B, Hq, Lq, Lk] = " + Arrays.toString(full) + " (dimension " + dims[i]
                        + ": expected 1 or " + full[i] + " but got " + shape[i] + ")");
            }
        }
    }

    /** E.g. {@code causal+window:128+keyLengths+block:0.25}, or {@code none}. */
    @Override
    public String toString() {
        List<String> parts = new ArrayList<>();
        if (causal) {
            parts.add("causal");
        }
        if (window > 0) {
            parts.add("window:" + window);
        }
        if (keyLengths != null) {
            parts.add("keyLengths");
        }
        if (dense != null) {
            parts.add("dense-mask" + Arrays.toString(denseShape));
        }
        if (bias != null) {
            parts.add("bias" + Arrays.toString(biasShape));
        }
        if (blocks != null) {
            parts.add(blocks.toString());
        }
        if (headMask != null) {
            int kept = 0;
            for (boolean h : headMask) {
                kept += h ? 1 : 0;
            }
            parts.add("heads:" + kept + "/" + headMask.length);
        }
        return parts.isEmpty() ? "none" : String.join("+", parts);
    }

    /** Collects components; each setter validates what it can without the input shapes. */
    public static final class Builder {
        private boolean causal;
        private int window;
        private int[] keyLengths;
        private boolean[] dense;
        private long[] denseShape;
        private float[] bias;
        private long[] biasShape;
        private BlockSparse blocks;
        private boolean[] headMask;

        private Builder() {}

        public Builder causal() {
            return causal(true);
        }

        public Builder causal(boolean on) {
            this.causal = on;
            return this;
        }

        /** Sliding window of {@code size >= 1} keys on each side of the aligned position (see the class doc). */
        public Builder window(int size) {
            if (size < 1) {
                throw new IllegalArgumentException("window: expected >= 1 but got " + size);
            }
            this.window = size;
            return this;
        }

        /** Valid keys per batch entry (padding): {@code lengths[b]} in 0..Lk; copied. */
        public Builder keyLengths(int... lengths) {
            if (lengths == null || lengths.length == 0) {
                throw new IllegalArgumentException("keyLengths: expected one length per batch entry but got "
                        + (lengths == null ? "null" : "an empty array"));
            }
            for (int b = 0; b < lengths.length; b++) {
                if (lengths[b] < 0) {
                    throw new IllegalArgumentException("keyLengths[" + b + "]: expected >= 0 but got " + lengths[b]);
                }
            }
            this.keyLengths = lengths.clone();
            return this;
        }

        /** Dense boolean mask (true = may attend), row-major in shape (rank 1 to 4, broadcastable); copied. */
        public Builder dense(boolean[] allowed, long... shape) {
            long[] s = shape4("mask", shape);
            if (allowed == null || allowed.length != count(s)) {
                throw new IllegalArgumentException("mask: expected " + count(s) + " elements (shape "
                        + Arrays.toString(shape) + ") but got " + (allowed == null ? "null" : allowed.length));
            }
            this.dense = allowed.clone();
            this.denseShape = s;
            return this;
        }

        /** Dense mask from a tensor: non-zero means "may attend". */
        public Builder dense(Tensor allowed) {
            if (allowed == null) {
                throw new IllegalArgumentException("mask: expected a tensor but got null");
            }
            float[] v = allowed.toFloatArray();
            boolean[] m = new boolean[v.length];
            for (int i = 0; i < v.length; i++) {
                m[i] = v[i] != 0f;
            }
            return dense(m, allowed.shape());
        }

        /** Additive bias, row-major in shape (rank 1 to 4, broadcastable); -inf allowed, NaN and +inf not; copied. */
        public Builder bias(float[] values, long... shape) {
            long[] s = shape4("bias", shape);
            if (values == null || values.length != count(s)) {
                throw new IllegalArgumentException("bias: expected " + count(s) + " elements (shape "
                        + Arrays.toString(shape) + ") but got " + (values == null ? "null" : values.length));
            }
            for (int i = 0; i < values.length; i++) {
                if (Float.isNaN(values[i]) || values[i] == Float.POSITIVE_INFINITY) {
                    throw new IllegalArgumentException("bias[" + i + "]: expected a finite value or -inf but got "
                            + values[i]);
                }
            }
            this.bias = values.clone();
            this.biasShape = s;
            return this;
        }

        public Builder bias(Tensor values) {
            if (values == null) {
                throw new IllegalArgumentException("bias: expected a tensor but got null");
            }
            return bias(values.toFloatArray(), values.shape());
        }

        public Builder blockSparse(BlockSparse layout) {
            if (layout == null) {
                throw new IllegalArgumentException("blockSparse: expected a layout but got null");
            }
            this.blocks = layout;
            return this;
        }

        /** Head mask [Hq]: false prunes the head (zeros out, no work); copied. */
        public Builder headMask(boolean... keep) {
            if (keep == null || keep.length == 0) {
                throw new IllegalArgumentException("headMask: expected one entry per query head but got "
                        + (keep == null ? "null" : "an empty array"));
            }
            this.headMask = keep.clone();
            return this;
        }

        public AttentionMask build() {
            return new AttentionMask(this);
        }

        private static long[] shape4(String name, long[] shape) {
            if (shape == null || shape.length < 1 || shape.length > 4) {
                throw new IllegalArgumentException(name + ": expected a shape of rank 1 to 4 broadcastable to "
                        + "[B, Hq, Lq, Lk] but got " + (shape == null ? "null" : Arrays.toString(shape)));
            }
            long[] s = {1, 1, 1, 1};
            for (int i = 0; i < shape.length; i++) {
                if (shape[i] < 1) {
                    throw new IllegalArgumentException(name + ": expected dimensions >= 1 but got shape "
                            + Arrays.toString(shape));
                }
                s[4 - shape.length + i] = shape[i];
            }
            if (count(s) > Integer.MAX_VALUE) {
                throw new IllegalArgumentException(name + ": shape " + Arrays.toString(shape)
                        + " has more than 2^31-1 elements");
            }
            return s;
        }

        private static long count(long[] s) {
            long n = 1;
            for (long d : s) {
                n *= d;
            }
            return n;
        }
    }

    /**
     * A block-sparse attention layout: Lq is cut into query blocks of {@code blockQ} rows and Lk into key blocks of
     * {@code blockK} keys (the last of each may be short); per (batch, head) and query block, each key block is
     * {@link #SKIP}, {@link #PARTIAL} or {@link #FULL}. The batch and head dimensions may be 1 (broadcast).
     */
    public static final class BlockSparse {
        public static final byte SKIP = 0;
        public static final byte PARTIAL = 1;
        public static final byte FULL = 2;

        private final int blockQ;
        private final int blockK;
        private final int batches;
        private final int heads;
        private final int qBlocks;
        private final int kBlocks;
        private final byte[] kinds;

        private BlockSparse(int blockQ, int blockK, int batches, int heads, int qBlocks, int kBlocks, byte[] kinds) {
            this.blockQ = blockQ;
            this.blockK = blockK;
            this.batches = batches;
            this.heads = heads;
            this.qBlocks = qBlocks;
            this.kBlocks = kBlocks;
            this.kinds = kinds;
        }

        /**
         * From a grid [batches, heads, qBlocks, kBlocks] of {@link #SKIP}, {@link #PARTIAL} or {@link #FULL}
         * (copied).
         */
        public static BlockSparse fromGrid(int blockQ, int blockK, int batches, int heads, int qBlocks, int kBlocks,
                byte[] kinds) {
            dims(blockQ, blockK, batches, heads, qBlocks, kBlocks);
            long n = (long) batches * heads * qBlocks * kBlocks;
            if (kinds == null || kinds.length != n) {
                throw new IllegalArgumentException("kinds: expected " + n + " entries (batches*heads*qBlocks*kBlocks = "
                        + batches + "*" + heads + "*" + qBlocks + "*" + kBlocks + ") but got "
                        + (kinds == null ? "null" : kinds.length));
            }
            for (int i = 0; i < kinds.length; i++) {
                if (kinds[i] < SKIP || kinds[i] > FULL) {
                    throw new IllegalArgumentException("kinds[" + i + "]: expected 0 (skip), 1 (partial) or 2 (full)"
                            + " but got " + kinds[i]);
                }
            }
            return new BlockSparse(blockQ, blockK, batches, heads, qBlocks, kBlocks, kinds.clone());
        }

        /**
         * FlexAttention's BlockMask layout: {@code kvNumBlocks} [batches, heads, qBlocks] and {@code kvIndices}
         * [batches, heads, qBlocks, kBlocks] list the partial key blocks of each query block (first kvNumBlocks
         * entries used), {@code fullKvNumBlocks} / {@code fullKvIndices} the full ones (both may be null). A block
         * may be listed once.
         */
        public static BlockSparse fromIndices(int blockQ, int blockK, int batches, int heads, int qBlocks,
                int kBlocks, int[] kvNumBlocks, int[] kvIndices, int[] fullKvNumBlocks, int[] fullKvIndices) {
            dims(blockQ, blockK, batches, heads, qBlocks, kBlocks);
            int rows = batches * heads * qBlocks;
            byte[] kinds = new byte[rows * kBlocks];
            fill(kinds, rows, kBlocks, "kvNumBlocks", kvNumBlocks, "kvIndices", kvIndices, PARTIAL);
            if (fullKvNumBlocks != null || fullKvIndices != null) {
                fill(kinds, rows, kBlocks, "fullKvNumBlocks", fullKvNumBlocks, "fullKvIndices", fullKvIndices, FULL);
            }
            return new BlockSparse(blockQ, blockK, batches, heads, qBlocks, kBlocks, kinds);
        }

        private static void fill(byte[] kinds, int rows, int kBlocks, String numName, int[] num, String idxName,
                int[] idx, byte kind) {
            if (num == null || num.length != rows) {
                throw new IllegalArgumentException(numName + ": expected " + rows
                        + " entries (batches*heads*qBlocks) but got " + (num == null ? "null" : num.length));
            }
            if (idx == null || idx.length != (long) rows * kBlocks) {
                throw new IllegalArgumentException(idxName + ": expected " + ((long) rows * kBlocks)
                        + " entries (batches*heads*qBlocks*kBlocks) but got " + (idx == null ? "null" : idx.length));
            }
            for (int r = 0; r < rows; r++) {
                if (num[r] < 0 || num[r] > kBlocks) {
                    throw new IllegalArgumentException(numName + "[" + r + "]: expected 0.." + kBlocks + " but got "
                            + num[r]);
                }
                for (int n = 0; n < num[r]; n++) {
                    int c = idx[r * kBlocks + n];
                    if (c < 0 || c >= kBlocks) {
                        throw new IllegalArgumentException(idxName + "[" + (r * kBlocks + n) + "]: expected 0.."
                                + (kBlocks - 1) + " but got " + c);
                    }
                    if (kinds[r * kBlocks + c] != SKIP) {
                        throw new IllegalArgumentException(idxName + "[" + (r * kBlocks + n) + "]: key block " + c
                                + " is listed twice for query-block row " + r);
                    }
                    kinds[r * kBlocks + c] = kind;
                }
            }
        }

        private static void dims(int blockQ, int blockK, int batches, int heads, int qBlocks, int kBlocks) {
            int[] v = {blockQ, blockK, batches, heads, qBlocks, kBlocks};
            String[] n = {"blockQ", "blockK", "batches", "heads", "qBlocks", "kBlocks"};
            for (int i = 0; i < v.length; i++) {
                if (v[i] < 1) {
                    throw new IllegalArgumentException(n[i] + ": expected >= 1 but got " + v[i]);
                }
            }
            if (blockQ > 1024 || blockK > 1024) {
                throw new IllegalArgumentException("blockQ, blockK: expected 1..1024 but got " + blockQ + ", "
                        + blockK);
            }
            if ((long) batches * heads * qBlocks * kBlocks > Integer.MAX_VALUE) {
                throw new IllegalArgumentException("block grid: more than 2^31-1 blocks");
            }
        }

        void check(int batch, int h, int lq, int lk) {
            if (batches != 1 && batches != batch) {
                throw new IllegalArgumentException("blockSparse.batches: expected 1 or " + batch + " (B) but got "
                        + batches);
            }
            if (heads != 1 && heads != h) {
                throw new IllegalArgumentException("blockSparse.heads: expected 1 or " + h + " (Hq) but got "
                        + heads);
            }
            int nq = (lq + blockQ - 1) / blockQ;
            int nk = (lk + blockK - 1) / blockK;
            if (qBlocks != nq) {
                throw new IllegalArgumentException("blockSparse.qBlocks: expected " + nq + " (ceil(Lq/blockQ) = ceil("
                        + lq + "/" + blockQ + ")) but got " + qBlocks);
            }
            if (kBlocks != nk) {
                throw new IllegalArgumentException("blockSparse.kBlocks: expected " + nk + " (ceil(Lk/blockK) = ceil("
                        + lk + "/" + blockK + ")) but got " + kBlocks);
            }
        }

        public int blockQ() {
            return blockQ;
        }

        public int blockK() {
            return blockK;
        }

        public int batches() {
            return batches;
        }

        public int heads() {
            return heads;
        }

        public int qBlocks() {
            return qBlocks;
        }

        public int kBlocks() {
            return kBlocks;
        }

        /** The kind of key block kb for query block qb of batch b and head h (broadcast dims read index 0). */
        public byte kind(int b, int h, int qb, int kb) {
            int bb = batches == 1 ? 0 : b;
            int hh = heads == 1 ? 0 : h;
            return kinds[((bb * heads + hh) * qBlocks + qb) * kBlocks + kb];
        }

        /** A copy of the grid [batches, heads, qBlocks, kBlocks]. */
        public byte[] grid() {
            return kinds.clone();
        }

        /**
         * FlexAttention-style lists (what a GPU kernel walks): per (batch, head, query block) row of the grid, the
         * number of listed key blocks, {@code [batches * heads * qBlocks]}.
         */
        public int[] kvCounts() {
            int rows = batches * heads * qBlocks;
            int[] counts = new int[rows];
            for (int r = 0; r < rows; r++) {
                for (int c = 0; c < kBlocks; c++) {
                    counts[r] += kinds[r * kBlocks + c] != SKIP ? 1 : 0;
                }
            }
            return counts;
        }

        /**
         * The listed key blocks of each grid row in ascending order, {@code [batches * heads * qBlocks * kBlocks]}
         * (entries past {@link #kvCounts()} are 0).
         */
        public int[] kvIndices() {
            int rows = batches * heads * qBlocks;
            int[] idx = new int[rows * kBlocks];
            for (int r = 0; r < rows; r++) {
                int n = 0;
                for (int c = 0; c < kBlocks; c++) {
                    if (kinds[r * kBlocks + c] != SKIP) {
                        idx[r * kBlocks + n++] = c;
                    }
                }
            }
            return idx;
        }

        /** 1 where the entry of {@link #kvIndices()} at the same position is a full block, else 0. */
        public byte[] kvFull() {
            int rows = batches * heads * qBlocks;
            byte[] full = new byte[rows * kBlocks];
            for (int r = 0; r < rows; r++) {
                int n = 0;
                for (int c = 0; c < kBlocks; c++) {
                    if (kinds[r * kBlocks + c] != SKIP) {
                        full[r * kBlocks + n++] = (byte) (kinds[r * kBlocks + c] == FULL ? 1 : 0);
                    }
                }
            }
            return full;
        }

        /** Fraction of blocks not skipped. */
        public double density() {
            long kept = 0;
            for (byte k : kinds) {
                kept += k != SKIP ? 1 : 0;
            }
            return (double) kept / kinds.length;
        }

        @Override
        public String toString() {
            return String.format(java.util.Locale.ROOT, "block:%.2f(%dx%d)", density(), blockQ, blockK);
        }
    }
}
