package dev.sparsekernels.cpu;

import dev.sparsekernels.AttentionMask;
import java.lang.ref.SoftReference;

/**
 * Fused masked attention on the CPU, FlashAttention-2 style: each task owns one (batch, head, query block), walks
 * the key blocks with a running row maximum and sum (online softmax, rescaling the accumulator when the maximum
 * grows), and never holds more than a query block x key block tile of scores, so memory is independent of Lq x Lk.
 * Whole tiles that the mask removes (causal, window, key lengths, block-sparse SKIP blocks, pruned heads) are skipped
 * before any arithmetic. Dot products, exponentials and P·V run on the Vector API when available.
 *
 * <p>Layouts, all row-major float arrays: Q [B, Hq, Lq, D], K and V [B, Hkv, Lk, D], output [B, Hq, Lq, D]; query
 * head h reads key/value head {@code h / (Hq / Hkv)} (GQA/MQA without copies).
 */
public final class FlashAttention {
    private FlashAttention() {}

    /**
     * How far a key tile's maximum score may exceed a row's running maximum before the row is rescaled (lazy
     * rescaling, as in FlashAttention-4). The maximum is only a shift that cancels in the final division, so a stale
     * one is exact in real arithmetic; it keeps every weight below e^8 (no overflow in float sums), and after the
     * first tiles a row almost never pays for a rescale (a vector pass over its accumulator and a scalar exp), which
     * with a rescale whenever the maximum grew cost a few percent of the time on random inputs.
     */
    static final float RESCALE_SLACK = 8f;

    /**
     * Tile edges when the mask has no block layout (with one, the tiles are its blocks). 128 keys per tile: half the
     * per-tile passes (row maxima, sums, kernel calls) of 64 for the same arithmetic, and a 32 KiB score tile that
     * stays in L1. Block-sparse masks with smaller blocks get the same passes by putting up to this many keys of
     * their blocks side by side ({@link AttentionPlan#tileBlocks}). Measured in session 17 against 64: MiniLM's
     * attention 5.0-5.1 against 5.35-5.65 ms (MiniLmAttentionProbe, one core), issue 5's block:0.25 call 4.5 against
     * 4.9 ms and its dense-mask twin 13.8 against 14.9-15.1 ms (BlockMaskProbe, best of 21), causal and non-causal L
     * 1024 within the machine's noise; 256 keys made causal calls 20% slower (whole tiles on the diagonal).
     */
    static final int BLOCK_Q = 64;
    static final int BLOCK_K = 128;

    private static final AttentionKernels KERNELS;

    static {
        AttentionKernels k = ScalarAttentionKernels.INSTANCE;
        if (CpuVectorization.isActive()) {
            try {
                k = (AttentionKernels) Class.forName("dev.sparsekernels.cpu.VectorAttentionKernels")
                        .getDeclaredConstructor().newInstance();
            } catch (ReflectiveOperationException | LinkageError | RuntimeException e) {
                k = ScalarAttentionKernels.INSTANCE;
            }
        }
        KERNELS = k;
    }

    static AttentionKernels kernels() {
        return KERNELS;
    }

    /** Which microkernels run. */
    public static String describe() {
        return KERNELS.describe();
    }

    /**
     * Computes {@code softmax(scale · Q Kᵀ + mask) · V} per (batch, head); rows that see no key are zeros.
     *
     * @return the output [B, Hq, Lq, D]
     * @throws IllegalArgumentException naming the argument, the expected and the actual value
     */
    public static float[] attention(float[] q, float[] k, float[] v, int batch, int hq, int hkv, int lq, int lk,
            int d, AttentionMask mask, float scale, int threads) {
        return attention(KERNELS, q, k, v, batch, hq, hkv, lq, lk, d, mask, scale, threads);
    }

    static float[] attention(AttentionKernels kern, float[] q, float[] k, float[] v, int batch, int hq, int hkv,
            int lq, int lk, int d, AttentionMask mask, float scale, int threads) {
        checkShapes(q, k, v, batch, hq, hkv, lq, lk, d, mask, threads);
        float[] out = new float[Math.toIntExact((long) batch * hq * lq * d)];
        AttentionLayout ql = AttentionLayout.heads(batch, hq, lq, d);
        AttentionLayout kvl = AttentionLayout.heads(batch, hkv, lk, d);
        run(kern, q, ql, k, kvl, v, kvl, out, ql, batch, hq, hkv, lq, lk, d, mask, scale, threads);
        return out;
    }

    /**
     * As {@link #attention(float[], float[], float[], int, int, int, int, int, int, AttentionMask, float, int)}, with
     * Q, K, V and the output where their layouts say (for instance heads read straight out of a packed Q|K|V
     * projection and written straight into packed context rows). Every query row the output layout holds is written
     * (zeros where the row sees no key or its head is masked); nothing else in {@code out} is touched. Sequence b has
     * {@code ql.rows(b)} query rows (the output layout must agree) and {@code kl.rows(b)} keys (V's must agree); keys
     * past those count as masked.
     *
     * @throws IllegalArgumentException naming the argument, the expected and the actual value
     */
    public static void attention(float[] q, AttentionLayout ql, float[] k, AttentionLayout kl, float[] v,
            AttentionLayout vl, float[] out, AttentionLayout ol, int batch, int hq, int hkv, int lq, int lk, int d,
            AttentionMask mask, float scale, int threads) {
        attention(KERNELS, q, ql, k, kl, v, vl, out, ol, batch, hq, hkv, lq, lk, d, mask, scale, threads);
    }

    static void attention(AttentionKernels kern, float[] q, AttentionLayout ql, float[] k, AttentionLayout kl,
            float[] v, AttentionLayout vl, float[] out, AttentionLayout ol, int batch, int hq, int hkv, int lq,
            int lk, int d, AttentionMask mask, float scale, int threads) {
        checkDims(batch, hq, hkv, lq, lk, d, threads);
        if (mask != null) {
            mask.check(batch, hq, lq, lk);
        }
        Checks.notNull("q", q);
        Checks.notNull("k", k);
        Checks.notNull("v", v);
        Checks.notNull("out", out);
        Checks.notNull("q layout", ql);
        Checks.notNull("k layout", kl);
        Checks.notNull("v layout", vl);
        Checks.notNull("out layout", ol);
        ql.check("q", q.length, batch, hq, lq, d);
        kl.check("k", k.length, batch, hkv, lk, d);
        vl.check("v", v.length, batch, hkv, lk, d);
        ol.check("out", out.length, batch, hq, lq, d);
        for (int b = 0; b < batch; b++) {
            if (ol.rows(b) != ql.rows(b)) {
                throw new IllegalArgumentException("out layout: expected " + ql.rows(b) + " rows for sequence " + b
                        + " (as q) but got " + ol.rows(b));
            }
            if (vl.rows(b) != kl.rows(b)) {
                throw new IllegalArgumentException("v layout: expected " + kl.rows(b) + " rows for sequence " + b
                        + " (as k) but got " + vl.rows(b));
            }
        }
        if (out == q || out == k || out == v) {
            throw new IllegalArgumentException("out: expected an array apart from q, k and v");
        }
        run(kern, q, ql, k, kl, v, vl, out, ol, batch, hq, hkv, lq, lk, d, mask, scale, threads);
    }

    private static void run(AttentionKernels kern, float[] q, AttentionLayout ql, float[] k, AttentionLayout kl,
            float[] v, AttentionLayout vl, float[] out, AttentionLayout ol, int batch, int hq, int hkv, int lq,
            int lk, int d, AttentionMask mask, float scale, int threads) {
        AttentionMask m = mask == null ? AttentionMask.none() : mask;
        AttentionPlan plan = new AttentionPlan(m, batch, hq, hkv, lq, lk, d, scale, ql, kl, vl, ol);
        if (batch * hkv >= HEADS_PER_THREAD * threads) {
            runByHead(kern, q, k, kl, v, vl, out, batch, hq, hkv, d, plan, threads);
            return;
        }
        float[] kt = transposeKeys(kern, k, kl, batch, hkv, d, plan, threads);
        float[] vp = plan.vPanels ? panelValues(kern, v, vl, batch, hkv, d, plan, threads) : null;
        int tasks = batch * hq * plan.qBlocks;
        CpuThreads.parallelFor(threads, tasks, t -> plan.run(kern, t, q, kt, v, vp, out));
    }

    /**
     * K/V heads per thread from which a call runs by head ({@link #runByHead}): with fewer, tasks of whole heads
     * would leave threads idle (one head of a long sequence is a long task), so the call copies all of K and V first
     * and runs query blocks as tasks.
     */
    static final int HEADS_PER_THREAD = 8;

    /**
     * One task per (sequence, K/V head): transpose that head's K and copy its V into panels in the thread's own
     * small buffers, then run every query block of every query head that reads it. The copies are then in L1 or L2
     * when the tiles read them; made for the whole call first (the other way), they had left the caches by then, and
     * made up about a quarter of MiniLM's attention time (128-token sequences, 12 heads of 32).
     */
    private static void runByHead(AttentionKernels kern, float[] q, float[] k, AttentionLayout kl, float[] v,
            AttentionLayout vl, float[] out, int batch, int hq, int hkv, int d, AttentionPlan plan, int threads) {
        int group = hq / hkv;
        boolean touches = hkv > 1 && sequenceBytes(plan, q, k, v, hq, hkv, d) <= TOUCH_BYTES_MAX;
        CpuThreads.parallelFor(threads, batch * hkv, bh -> {
            int b = bh / hkv;
            int kvh = bh % hkv;
            if (kvh == 0 && touches) {
                touchRows(q, plan.ql, b, hq, d);
                touchRows(k, kl, b, hkv, d);
                touchRows(v, vl, b, hkv, d);
                touchRows(out, plan.ol, b, hq, d); // its lines then come in as a stream too, not at each row's write
            }
            float[] kt = callBuffer(KT_HEAD, plan.ktHead);
            kern.transposeKeys(k, kl.offset(b, kvh, 0), kl.rowStride(), kl.rows(b), d, kt, CacheAligned.OFFSET,
                    plan.ktLd, plan.ktChunk, !touches);
            float[] vp = null;
            if (plan.vPanels) {
                vp = callBuffer(V_HEAD, plan.vHead);
                kern.panelRows(v, vl.offset(b, kvh, 0), vl.rowStride(), vl.rows(b), d, vp, CacheAligned.OFFSET,
                        plan.vChunk);
            }
            for (int h = kvh * group; h < (kvh + 1) * group; h++) {
                for (int qb = 0, t = (b * hq + h) * plan.qBlocks; qb < plan.qBlocks; qb++, t++) {
                    plan.run(kern, t, q, kt, v, vp, out, true);
                }
            }
        });
    }

    /**
     * Up to how many bytes of one sequence's Q, K, V and output rows (all heads) the by-head path reads ahead, one
     * float per cache line, before that sequence's first head: about an L2 (MiniLM: 768 KiB). Why: a head's slice of a
     * row is 64-512 bytes, and in packed rows of all heads each slice lies in its own page, where no hardware
     * prefetcher follows, so every head pulled its rows in from L3 line by line (MiniLM: 128 bytes of 4.6 KB rows).
     * Reading whole rows in order lets the prefetchers run. MiniLM's attention on one thread 5.36-5.58 ms against
     * 5.76-6.24 for Q, K and V, the output rows faster in 6 of 8 pairs on top (MiniLmAttentionProbe, alternating
     * processes); the model's forward pass 0.9-1.1% faster (30 pairs of passes in one process, three processes).
     */
    static final long TOUCH_BYTES_MAX = 1 << 20;

    /** Bytes of the longest sequence's Q, K, V and output row spans (Q, K, V once where they share an array). */
    private static long sequenceBytes(AttentionPlan plan, float[] q, float[] k, float[] v, int hq, int hkv, int d) {
        long span = span(plan.ql, hq, d);
        if (k != q) {
            span += span(plan.kl, hkv, d);
        }
        if (v != q && v != k) {
            span += span(plan.vl, hkv, d);
        }
        span += span(plan.ol, hq, d);
        int rows = 0;
        for (int b = 0; b < plan.batch; b++) {
            rows = Math.max(rows, Math.max(plan.ql.rows(b), plan.kl.rows(b)));
        }
        return span * rows * Float.BYTES;
    }

    /** Floats from a row's first head to the end of its last (the whole row of a fused Q|K|V when it is one). */
    private static long span(AttentionLayout l, int heads, int d) {
        return Math.max((long) l.rowStride(), (long) l.offset(0, heads - 1, 0) + d - l.offset(0, 0, 0));
    }

    /** Reads one float per cache line of sequence b's rows (all heads). */
    private static void touchRows(float[] a, AttentionLayout l, int b, int heads, int d) {
        int rows = l.rows(b);
        if (rows == 0) {
            return;
        }
        int span = l.offset(b, heads - 1, 0) + d - l.offset(b, 0, 0);
        int bits = 0;
        for (int t = 0; t < rows; t++) {
            bits ^= CacheTouch.row(a, l.offset(b, 0, t), span);
        }
        CacheTouch.sink = bits;
    }

    /**
     * K transposed once per call, in the layout the plan chose ({@link AttentionPlan#ktPanels}): every query block of
     * a head reads the same keys, and transposing them per (query block, key block) tile cost about a tenth of the
     * arithmetic (scalar gathers). The copy is about the size of K, so memory stays independent of Lq x Lk. Slots past
     * a sequence's keys hold whatever an earlier call left ({@link #callBuffer}). Data start at
     * {@link CacheAligned#OFFSET}, so that panels and 8-key runs start on cache lines.
     */
    private static float[] transposeKeys(AttentionKernels kern, float[] k, AttentionLayout kl, int batch, int hkv,
            int d, AttentionPlan plan, int threads) {
        float[] kt = callBuffer(KT_BUFFER, (long) batch * hkv * plan.ktHead);
        int ldk = kl.rowStride();
        int chunk = plan.ktChunk;
        int ld = plan.ktLd;
        CpuThreads.parallelFor(threads, batch * hkv, bh -> {
            int b = bh / hkv;
            kern.transposeKeys(k, kl.offset(b, bh % hkv, 0), ldk, kl.rows(b), d, kt,
                    CacheAligned.OFFSET + bh * plan.ktHead, ld, chunk, true);
        });
        return kt;
    }

    /**
     * V in column panels [batch·hkv][d / 16][Lk][16], once per call ({@link AttentionPlan#vPanels}): P·V then streams
     * 16 columns of a tile with a constant stride, the form of the dense GEMM microkernel. Slots past a sequence's
     * keys hold whatever an earlier call left.
     */
    private static float[] panelValues(AttentionKernels kern, float[] v, AttentionLayout vl, int batch, int hkv,
            int d, AttentionPlan plan, int threads) {
        float[] vp = callBuffer(V_BUFFER, (long) batch * hkv * plan.vHead);
        CpuThreads.parallelFor(threads, batch * hkv, bh -> {
            int b = bh / hkv;
            kern.panelRows(v, vl.offset(b, bh % hkv, 0), vl.rowStride(), vl.rows(b), d, vp,
                    CacheAligned.OFFSET + bh * plan.vHead, plan.vChunk);
        });
        return vp;
    }

    private static final ThreadLocal<SoftReference<float[]>> KT_BUFFER = new ThreadLocal<>();
    private static final ThreadLocal<SoftReference<float[]>> V_BUFFER = new ThreadLocal<>();
    /** A thread's one-head copies for {@link #runByHead}. */
    private static final ThreadLocal<SoftReference<float[]>> KT_HEAD = new ThreadLocal<>();
    private static final ThreadLocal<SoftReference<float[]>> V_HEAD = new ThreadLocal<>();

    /**
     * The calling thread's buffer for the K or V copy, with room for n floats from {@link CacheAligned#OFFSET} on,
     * kept softly between calls. Allocated per call, the two copies and the output were 9 MB of zeroed humongous
     * arrays per call at L = 1024, all on the calling thread before the others could start. A reused buffer holds
     * an earlier call's values past this call's keys: the kernels never use a score or value past a tile's keys.
     */
    private static float[] callBuffer(ThreadLocal<SoftReference<float[]>> cache, long n) {
        SoftReference<float[]> ref = cache.get();
        float[] b = ref == null ? null : ref.get();
        if (b == null || b.length < n + CacheAligned.OFFSET) {
            b = CacheAligned.allocate(n);
            cache.set(new SoftReference<>(b));
        }
        return b;
    }

    static void checkShapes(float[] q, float[] k, float[] v, int batch, int hq, int hkv, int lq, int lk, int d,
            AttentionMask mask, int threads) {
        checkDims(batch, hq, hkv, lq, lk, d, threads);
        Checks.notNull("q", q);
        Checks.notNull("k", k);
        Checks.notNull("v", v);
        Checks.length("q", q.length, (long) batch * hq * lq * d, "B*Hq*Lq*D");
        Checks.length("k", k.length, (long) batch * hkv * lk * d, "B*Hkv*Lk*D");
        Checks.length("v", v.length, (long) batch * hkv * lk * d, "B*Hkv*Lk*D");
        if (mask != null) {
            mask.check(batch, hq, lq, lk);
        }
    }

    private static void checkDims(int batch, int hq, int hkv, int lq, int lk, int d, int threads) {
        Checks.positive("batch", batch);
        Checks.positive("Hq", hq);
        Checks.positive("Hkv", hkv);
        Checks.positive("Lq", lq);
        Checks.positive("Lk", lk);
        Checks.positive("D", d);
        Checks.positive("threads", threads);
        if (hq % hkv != 0) {
            throw new IllegalArgumentException("Hq: expected a multiple of Hkv = " + hkv + " but got " + hq);
        }
    }
}
