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

    /** Tile edges when the mask has no block layout (with one, the tiles are its blocks). */
    static final int BLOCK_Q = 64;
    static final int BLOCK_K = 64;

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
        Plan plan = new Plan(m, batch, hq, hkv, lq, lk, d, scale, ql, kl, vl, ol);
        float[] kt = transposeKeys(k, kl, batch, hkv, d, plan, threads);
        float[] vp = plan.vPanels ? panelValues(kern, v, vl, batch, hkv, d, plan, threads) : null;
        int tasks = batch * hq * plan.qBlocks;
        CpuThreads.parallelFor(threads, tasks, t -> plan.run(kern, t, q, kt, v, vp, out));
    }

    /**
     * K transposed once per call, in the layout the plan chose ({@link Plan#ktPanels}): every query block of a head
     * reads the same keys, and transposing them per (query block, key block) tile cost about a tenth of the
     * arithmetic (scalar gathers). The copy is about the size of K, so memory stays independent of Lq x Lk. Slots past
     * a sequence's keys hold whatever an earlier call left ({@link #callBuffer}). Data start at
     * {@link CacheAligned#OFFSET}, so that panels and 8-key runs start on cache lines.
     */
    private static float[] transposeKeys(float[] k, AttentionLayout kl, int batch, int hkv, int d, Plan plan,
            int threads) {
        float[] kt = callBuffer(KT_BUFFER, (long) batch * hkv * plan.ktHead);
        int ldk = kl.rowStride();
        int chunk = plan.ktChunk;
        int ld = plan.ktLd;
        CpuThreads.parallelFor(threads, batch * hkv, bh -> {
            int b = bh / hkv;
            int src = kl.offset(b, bh % hkv, 0);
            int dst = CacheAligned.OFFSET + bh * plan.ktHead;
            // 16 keys at a time: in either layout their d destination runs stay in cache while the rows are read
            for (int c0 = 0, n = kl.rows(b); c0 < n; c0 += AttentionKernels.CHUNK_KEYS) {
                int c1 = Math.min(n, c0 + AttentionKernels.CHUNK_KEYS);
                int base = dst + c0 / AttentionKernels.CHUNK_KEYS * chunk - c0;
                for (int i = 0; i < d; i++) {
                    int o = base + i * ld;
                    for (int c = c0; c < c1; c++) {
                        kt[o + c] = k[src + c * ldk + i];
                    }
                }
            }
        });
        return kt;
    }

    /**
     * V in column panels [batch·hkv][d / 16][Lk][16], once per call ({@link Plan#vPanels}): P·V then streams 16
     * columns of a tile with a constant stride, the form of the dense GEMM microkernel. Slots past a sequence's keys
     * hold whatever an earlier call left.
     */
    private static float[] panelValues(AttentionKernels kern, float[] v, AttentionLayout vl, int batch, int hkv,
            int d, Plan plan, int threads) {
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

    /** Everything a task needs, resolved once per call. */
    private static final class Plan {
        final int batch, hq, hkv, lq, lk, d, group, bq, bk, qBlocks, kBlocks;
        /**
         * Layout of the transposed keys. When every tile starts on a multiple of 16 keys, K^T is held in panels
         * [panel][d][16] (one 16-key chunk per panel, {@code ktLd = 16}, {@code ktChunk = 16 d}): the scores kernels
         * then stream each panel sequentially. One plain K^T [d][Lk] had them load two vectors per component from
         * rows 4 KiB apart, which an 8-way L1 holds badly: the 6x16 scores kernel ran at 31-39 GFLOPS on it against
         * 66 on panels (one core, L=1024, D=64). Block-sparse masks with other key block sizes keep the plain layout
         * ({@code ktChunk = 16}, {@code ktLd} = Lk rounded up to 8, plus 8, so a tile at any offset may read whole
         * vectors).
         */
        final boolean ktPanels;
        final int ktLd, ktChunk, ktHead;
        /**
         * Whether V is copied into column panels [d / 16][Lk][16] (one chunk of 16 columns per panel, {@code vChunk =
         * 16 Lk} apart, {@code vHead} floats per head): when d is a multiple of 16.
         */
        final boolean vPanels;
        final int vChunk, vHead;
        final float scale;
        final boolean causal;
        final int window;
        final int[] keyLengths;
        final boolean[] dense;
        final long dsb, dsh, dsi, dsj;
        final float[] bias;
        final long bsb, bsh, bsi, bsj;
        final AttentionMask.BlockSparse blocks;
        final boolean[] headMask;
        final AttentionLayout ql, kl, vl, ol;

        Plan(AttentionMask m, int batch, int hq, int hkv, int lq, int lk, int d, float scale, AttentionLayout ql,
                AttentionLayout kl, AttentionLayout vl, AttentionLayout ol) {
            this.ql = ql;
            this.kl = kl;
            this.vl = vl;
            this.ol = ol;
            this.batch = batch;
            this.hq = hq;
            this.hkv = hkv;
            this.lq = lq;
            this.lk = lk;
            this.d = d;
            this.group = hq / hkv;
            this.scale = scale;
            this.blocks = m.blockSparse();
            this.bq = blocks == null ? BLOCK_Q : blocks.blockQ();
            this.bk = blocks == null ? BLOCK_K : blocks.blockK();
            this.qBlocks = (lq + bq - 1) / bq;
            this.kBlocks = (lk + bk - 1) / bk;
            int chunk = AttentionKernels.CHUNK_KEYS;
            this.ktPanels = bk % chunk == 0;
            if (ktPanels) {
                this.ktLd = chunk;
                this.ktChunk = chunk * d;
                this.ktHead = Math.toIntExact((long) (lk + chunk - 1) / chunk * chunk * d);
            } else {
                this.ktLd = ((lk + 7) & ~7) + 8;
                this.ktChunk = chunk;
                this.ktHead = Math.toIntExact((long) d * ktLd);
            }
            this.vPanels = d % chunk == 0;
            this.vChunk = Math.toIntExact((long) lk * chunk);
            this.vHead = Math.toIntExact((long) lk * d);
            this.causal = m.isCausal();
            this.window = m.window();
            AttentionMask.Views views = m.views();
            this.keyLengths = views.keyLengths();
            this.headMask = views.headMask();
            this.dense = views.dense();
            long[] st = strides(views.denseShape());
            dsb = st[0];
            dsh = st[1];
            dsi = st[2];
            dsj = st[3];
            this.bias = views.bias();
            st = strides(views.biasShape());
            bsb = st[0];
            bsh = st[1];
            bsi = st[2];
            bsj = st[3];
        }

        /** Strides of a broadcast [B, Hq, Lq, Lk] view: 0 along dims of size 1. */
        private static long[] strides(long[] s) {
            long[] st = new long[4];
            if (s == null) {
                return st;
            }
            long acc = 1;
            for (int i = 3; i >= 0; i--) {
                st[i] = s[i] == 1 ? 0 : acc;
                acc *= s[i];
            }
            return st;
        }

        /**
         * One task. The fast P·V kernels multiply every weight, so a NaN or infinity in V would leak into rows that
         * do not see its key (0 · NaN = NaN; NaN policy, reliability.md). Any such leak leaves a non-finite output,
         * so the task first runs fast; only when one of its outputs is not finite (a leak, or a NaN the row really
         * saw) does it scan its head's V and run again, taking the path that skips zero weights on the tiles that
         * hold a non-finite value. Finite inputs never pay for the scan.
         */
        void run(AttentionKernels kern, int task, float[] q, float[] kt, float[] v, float[] vp, float[] out) {
            if (compute(kern, task, q, kt, v, vp, out, null)) {
                return;
            }
            int b = task / qBlocks / hq;
            int kvh = task / qBlocks % hq / group;
            boolean[] bad = null;
            for (int t = 0, n = kl.rows(b), o = vl.offset(b, kvh, 0); t < n; t++, o += vl.rowStride()) {
                if (!kern.allFinite(v, o, d)) {
                    if (bad == null) {
                        bad = new boolean[n];
                    }
                    bad[t] = true;
                }
            }
            if (bad != null) {
                compute(kern, task, q, kt, v, vp, out, bad);
            }
        }

        /**
         * Computes and writes the task's output rows; badV (null: not known) marks this head's keys whose V row is
         * not finite. Returns whether every value written is finite.
         */
        private boolean compute(AttentionKernels kern, int task, float[] q, float[] kt, float[] v, float[] vp,
                float[] out, boolean[] badV) {
            int qb = task % qBlocks;
            int bh = task / qBlocks;
            int h = bh % hq;
            int b = bh / hq;
            int q0 = qb * bq;
            int nr = Math.min(ql.rows(b), q0 + bq) - q0;
            if (nr <= 0) {
                return true; // past this sequence's rows
            }
            if (headMask != null && !headMask[h]) {
                zeroRows(out, b, h, q0, nr);
                return true; // pruned head: zeros, no work
            }
            int kvh = h / group;
            int qBase = ql.offset(b, h, q0);
            int ldq = ql.rowStride();
            int kvRows = kl.rows(b);
            int len = Math.min(kvRows, keyLengths == null ? lk : keyLengths[b]);

            TaskScratch sc = TaskScratch.get(nr, (bk + 7) & ~7, d);
            // structured visibility per row: keys [lo, hi)
            int[] lo = sc.lo;
            int[] hi = sc.hi;
            int tileLo = Integer.MAX_VALUE;
            int tileHi = Integer.MIN_VALUE;
            for (int r = 0; r < nr; r++) {
                long p = (long) q0 + r + lk - lq;
                long l = 0;
                long u = len;
                if (causal) {
                    u = Math.min(u, p + 1);
                }
                if (window > 0) {
                    l = Math.max(l, p - window + 1);
                    if (!causal) {
                        u = Math.min(u, p + window);
                    }
                }
                if (u > l) {
                    lo[r] = (int) l;
                    hi[r] = (int) u;
                    tileLo = Math.min(tileLo, lo[r]);
                    tileHi = Math.max(tileHi, hi[r]);
                } else {
                    lo[r] = 0;
                    hi[r] = 0;
                }
            }
            if (tileHi <= tileLo) {
                zeroRows(out, b, h, q0, nr);
                return true; // no row sees a key
            }

            int ldk = (bk + 7) & ~7; // row stride of the score tile
            int ktBase = CacheAligned.OFFSET + (b * hkv + kvh) * ktHead;
            int vpBase = CacheAligned.OFFSET + (b * hkv + kvh) * vHead;
            float[] s = sc.s; // rows and columns are written before they are read
            float[] acc = sc.acc;
            float[] rowMax = sc.rowMax;
            float[] rowSum = sc.rowSum;
            float[] tileMax = sc.tileMax;
            boolean[] live = sc.live;
            java.util.Arrays.fill(acc, 0, nr * d, 0f);
            java.util.Arrays.fill(rowSum, 0, nr, 0f);
            java.util.Arrays.fill(rowMax, 0, nr, Float.NEGATIVE_INFINITY);
            int kbFirst = tileLo / bk;
            int kbLast = (tileHi - 1) / bk;
            for (int kb = kbFirst; kb <= kbLast; kb++) {
                byte kind = blocks == null ? AttentionMask.BlockSparse.FULL : blocks.kind(b, h, qb, kb);
                if (kind == AttentionMask.BlockSparse.SKIP) {
                    continue;
                }
                boolean useDense = dense != null && (blocks == null || kind != AttentionMask.BlockSparse.FULL);
                int k0 = kb * bk;
                int nc = Math.min(kvRows, k0 + bk) - k0; // kvRows <= lk; keys past it do not exist
                int rFirst = -1;
                int rLast = -1;
                for (int r = 0; r < nr; r++) {
                    live[r] = hi[r] > k0 && lo[r] < k0 + nc; // rows that see nothing at all have hi = lo = 0
                    if (live[r]) {
                        rLast = r;
                        if (rFirst < 0) {
                            rFirst = r;
                        }
                    }
                }
                if (rFirst < 0) {
                    continue;
                }
                int kTile = ktBase + k0 / AttentionKernels.CHUNK_KEYS * ktChunk + k0 % AttentionKernels.CHUNK_KEYS;
                int r = rFirst;
                for (; r + AttentionKernels.ROWS - 1 <= rLast; r += AttentionKernels.ROWS) {
                    kern.scoresT6(q, qBase + r * ldq, ldq, kt, ktLd, kTile, ktChunk, nc, d, scale, s, r * ldk, ldk);
                }
                if (r + 3 <= rLast) {
                    kern.scoresT4(q, qBase + r * ldq, ldq, kt, ktLd, kTile, ktChunk, nc, d, scale, s, r * ldk, ldk);
                    r += 4;
                }
                for (; r <= rLast; r += 2) {
                    int r1 = r + 1 <= rLast ? r + 1 : r;
                    kern.scoresT2(q, qBase + r * ldq, qBase + r1 * ldq, kt, ktLd, kTile, ktChunk, nc, d, scale, s,
                            r * ldk, r1 * ldk);
                }
                for (r = rFirst; r <= rLast; r++) {
                    if (!live[r]) {
                        continue;
                    }
                    int so = r * ldk;
                    int i = q0 + r;
                    for (int c = 0, e = lo[r] - k0; c < e; c++) {
                        s[so + c] = Float.NEGATIVE_INFINITY;
                    }
                    for (int c = Math.max(0, hi[r] - k0); c < nc; c++) {
                        s[so + c] = Float.NEGATIVE_INFINITY;
                    }
                    if (useDense) {
                        long base = b * dsb + h * dsh + i * dsi + k0 * dsj;
                        if (dsj == 1) { // a row of the mask lies contiguous
                            kern.maskRow(s, so, nc, dense, (int) base);
                        } else {
                            for (int c = 0; c < nc; c++) {
                                if (!dense[(int) (base + c * dsj)]) {
                                    s[so + c] = Float.NEGATIVE_INFINITY;
                                }
                            }
                        }
                    }
                    if (bias != null) {
                        long base = b * bsb + h * bsh + i * bsi + k0 * bsj;
                        if (bsj == 1) {
                            kern.biasRow(s, so, nc, bias, (int) base);
                        } else {
                            for (int c = 0; c < nc; c++) {
                                float bv = bias[(int) (base + c * bsj)];
                                // -inf is a mask: it must hide a NaN score too (NaN + -inf = NaN)
                                s[so + c] = bv == Float.NEGATIVE_INFINITY ? Float.NEGATIVE_INFINITY : s[so + c] + bv;
                            }
                        }
                    }
                }
                // the tile's row maxima, the running maxima (lazily), then every live row's exponentials at once
                kern.rowMax(s, ldk, rFirst, rLast, nc, tileMax);
                for (r = rFirst; r <= rLast; r++) {
                    if (!live[r]) {
                        continue;
                    }
                    float mt = tileMax[r];
                    if (mt == Float.NEGATIVE_INFINITY) {
                        live[r] = false;
                        continue;
                    }
                    float mOld = rowMax[r];
                    if (mOld == Float.NEGATIVE_INFINITY) {
                        rowMax[r] = mt;
                    } else if (mt > mOld + RESCALE_SLACK) {
                        float alpha = (float) Math.exp(mOld - mt);
                        kern.scale(acc, r * d, d, alpha);
                        rowSum[r] *= alpha;
                        rowMax[r] = mt;
                    }
                }
                kern.expRows(s, ldk, rFirst, rLast, nc, rowMax, live, rowSum);
                // rows in range that saw nothing here contribute zeros; then P·V six rows at a time
                int vTile = vl.offset(b, kvh, k0);
                int ldv = vl.rowStride();
                for (r = rFirst; r <= rLast; r++) {
                    if (!live[r]) {
                        java.util.Arrays.fill(s, r * ldk, r * ldk + nc, 0f);
                    }
                }
                if (badV != null && anyTrue(badV, k0, nc)) {
                    pvSkippingZeros(s, ldk, rFirst, rLast, nc, v, vTile, ldv, d, acc);
                    continue;
                }
                // V in column panels where the plan made them (P·V's fastest form), else V's own rows
                float[] pvV = vp != null ? vp : v;
                int pvOff = vp != null ? vpBase + k0 * AttentionKernels.CHUNK_KEYS : vTile;
                int pvLd = vp != null ? AttentionKernels.CHUNK_KEYS : ldv;
                int pvChunk = vp != null ? vChunk : AttentionKernels.CHUNK_KEYS;
                r = rFirst;
                for (; r + AttentionKernels.ROWS - 1 <= rLast; r += AttentionKernels.ROWS) {
                    kern.pv6(s, r * ldk, ldk, nc, pvV, pvOff, pvLd, pvChunk, d, acc, r * d);
                }
                if (r + 3 <= rLast) {
                    kern.pv4(s, r * ldk, ldk, nc, pvV, pvOff, pvLd, pvChunk, d, acc, r * d);
                    r += 4;
                }
                for (; r + 1 <= rLast; r += 2) {
                    kern.pv2(s, r * ldk, (r + 1) * ldk, nc, v, vTile, ldv, d, acc, r * d, (r + 1) * d);
                }
                if (r == rLast) {
                    kern.pv(s, r * ldk, nc, v, vTile, ldv, d, acc, r * d);
                }
            }
            int ldo = ol.rowStride();
            boolean finite = true;
            for (int r = 0, o = ol.offset(b, h, q0); r < nr; r++, o += ldo) {
                if (rowSum[r] == 0f) { // the row saw no key: zeros (a NaN input it saw makes rowSum NaN, and shows)
                    java.util.Arrays.fill(out, o, o + d, 0f);
                    continue;
                }
                finite &= kern.scaleInto(acc, r * d, d, 1f / rowSum[r], out, o);
            }
            return finite;
        }

        /** Zeros for rows [q0, q0 + nr) of head h of sequence b: the output array may hold anything before. */
        private void zeroRows(float[] out, int b, int h, int q0, int nr) {
            for (int r = 0, o = ol.offset(b, h, q0); r < nr; r++, o += ol.rowStride()) {
                java.util.Arrays.fill(out, o, o + d, 0f);
            }
        }

        private static boolean anyTrue(boolean[] a, int from, int n) {
            for (int i = from; i < from + n; i++) {
                if (a[i]) {
                    return true;
                }
            }
            return false;
        }

        /** acc[r] += Σ_c p[r][c] · V[c] over weights that are not zero: a masked key's values take no part. */
        private static void pvSkippingZeros(float[] p, int ldp, int rFirst, int rLast, int n, float[] v, int vo,
                int ldv, int d, float[] acc) {
            for (int r = rFirst; r <= rLast; r++) {
                for (int c = 0; c < n; c++) {
                    float w = p[r * ldp + c];
                    if (w == 0f) {
                        continue;
                    }
                    for (int i = 0, vc = vo + c * ldv, ao = r * d; i < d; i++) {
                        acc[ao + i] += w * v[vc + i];
                    }
                }
            }
        }
    }

    /**
     * A task's working arrays, kept per thread and reused by its next tasks and calls: allocated per task they were
     * about 6 MB of garbage per MHA call at L = 1024 (two 16 KiB tiles per task), zeroed on allocation and collected.
     * Tiles larger than {@link #KEEP_FLOATS} (block-sparse masks with huge blocks) are not kept.
     */
    private static final class TaskScratch {
        static final int KEEP_FLOATS = 1 << 18;
        private static final ThreadLocal<TaskScratch> KEPT = new ThreadLocal<>();

        final float[] s, acc, rowMax, rowSum, tileMax;
        final int[] lo, hi;
        final boolean[] live;

        private TaskScratch(int rows, int lds, int d) {
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
        static TaskScratch get(int rows, int lds, int d) {
            TaskScratch t = KEPT.get();
            if (t != null && t.live.length >= rows && t.s.length >= rows * lds && t.acc.length >= rows * d) {
                return t;
            }
            t = new TaskScratch(rows, lds, d);
            if ((long) rows * (lds + d) <= KEEP_FLOATS) {
                KEPT.set(t);
            }
            return t;
        }
    }
}
