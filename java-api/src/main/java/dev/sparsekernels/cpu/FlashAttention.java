package dev.sparsekernels.cpu;

import dev.sparsekernels.AttentionMask;

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
        AttentionMask m = mask == null ? AttentionMask.none() : mask;
        float[] out = new float[Math.toIntExact((long) batch * hq * lq * d)];
        Plan plan = new Plan(m, batch, hq, hkv, lq, lk, d, scale, nonFiniteRows(v, d));
        float[] kt = transposeKeys(k, batch * hkv, lk, d, plan.ldkt, threads);
        int tasks = batch * hq * plan.qBlocks;
        CpuThreads.parallelFor(threads, tasks, t -> plan.run(kern, t, q, kt, v, out));
        return out;
    }

    /**
     * K [heads, lk, d] as K^T [heads, d, ldkt] (from {@link CacheAligned#OFFSET} on), once per call: every query block of a head reads the same keys, and
     * transposing them per (query block, key block) tile cost about a tenth of the arithmetic (scalar gathers). The
     * copy is the size of K, so memory stays independent of Lq x Lk.
     */
    static float[] transposeKeys(float[] k, int heads, int lk, int d, int ldkt, int threads) {
        // from CacheAligned.OFFSET on: with ldkt % 8 == 0 every 8-key load then stays inside one cache line
        float[] kt = CacheAligned.allocatePerCall(Math.toIntExact((long) heads * d * ldkt));
        CpuThreads.parallelFor(threads, heads, h -> {
            int src = h * lk * d;
            int dst = CacheAligned.OFFSET + h * d * ldkt;
            for (int c0 = 0; c0 < lk; c0 += 16) { // 16 keys at a time: 16 destination rows stay in cache
                int c1 = Math.min(lk, c0 + 16);
                for (int i = 0; i < d; i++) {
                    int o = dst + i * ldkt;
                    for (int c = c0; c < c1; c++) {
                        kt[o + c] = k[src + c * d + i];
                    }
                }
            }
        });
        return kt;
    }

    /**
     * Which key rows of V hold a NaN or an infinity, or null when none does (the usual case, checked in one pass).
     * A tile holding such a row takes a P·V path that skips zero weights, because the fast kernels multiply every
     * weight, and 0 · NaN = NaN would leak a value into rows that do not see its key (NaN policy, reliability.md).
     */
    static boolean[] nonFiniteRows(float[] v, int d) {
        boolean[] bad = null;
        for (int row = 0, n = v.length / d; row < n; row++) {
            for (int i = row * d, e = i + d; i < e; i++) {
                if (!Float.isFinite(v[i])) {
                    if (bad == null) {
                        bad = new boolean[n];
                    }
                    bad[row] = true;
                    break;
                }
            }
        }
        return bad;
    }

    static void checkShapes(float[] q, float[] k, float[] v, int batch, int hq, int hkv, int lq, int lk, int d,
            AttentionMask mask, int threads) {
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

    /** Everything a task needs, resolved once per call. */
    private static final class Plan {
        final int batch, hq, hkv, lq, lk, d, group, bq, bk, qBlocks, kBlocks;
        /** Row stride of the transposed keys: Lk rounded up to 8, plus 8 so a tile at any offset may read whole vectors. */
        final int ldkt;
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
        final boolean[] nonFiniteV;

        Plan(AttentionMask m, int batch, int hq, int hkv, int lq, int lk, int d, float scale, boolean[] nonFiniteV) {
            this.nonFiniteV = nonFiniteV;
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
            this.ldkt = ((lk + 7) & ~7) + 8;
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

        void run(AttentionKernels kern, int task, float[] q, float[] kt, float[] v, float[] out) {
            int qb = task % qBlocks;
            int bh = task / qBlocks;
            int h = bh % hq;
            int b = bh / hq;
            if (headMask != null && !headMask[h]) {
                return; // pruned head: zeros, no work
            }
            int q0 = qb * bq;
            int nr = Math.min(lq, q0 + bq) - q0;
            int kvh = h / group;
            int qBase = ((b * hq + h) * lq + q0) * d;
            int kBase = (b * hkv + kvh) * lk * d;
            int len = keyLengths == null ? lk : keyLengths[b];

            // structured visibility per row: keys [lo, hi)
            int[] lo = new int[nr];
            int[] hi = new int[nr];
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
                }
            }
            if (tileHi <= tileLo) {
                return; // no row sees a key
            }

            int ldk = (bk + 7) & ~7; // row stride of the score tile
            int ktHead = CacheAligned.OFFSET + (b * hkv + kvh) * d * ldkt;
            float[] s = new float[nr * ldk];
            float[] acc = new float[nr * d];
            float[] rowMax = new float[nr];
            float[] rowSum = new float[nr];
            boolean[] live = new boolean[nr];
            java.util.Arrays.fill(rowMax, Float.NEGATIVE_INFINITY);
            int kbFirst = tileLo / bk;
            int kbLast = (tileHi - 1) / bk;
            for (int kb = kbFirst; kb <= kbLast; kb++) {
                byte kind = blocks == null ? AttentionMask.BlockSparse.FULL : blocks.kind(b, h, qb, kb);
                if (kind == AttentionMask.BlockSparse.SKIP) {
                    continue;
                }
                boolean useDense = dense != null && (blocks == null || kind != AttentionMask.BlockSparse.FULL);
                int k0 = kb * bk;
                int nc = Math.min(lk, k0 + bk) - k0;
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
                int r = rFirst;
                for (; r + AttentionKernels.ROWS - 1 <= rLast; r += AttentionKernels.ROWS) {
                    kern.scoresT6(q, qBase + r * d, kt, ldkt, ktHead + k0, nc, d, scale, s, r * ldk, ldk);
                }
                for (; r <= rLast; r += 2) {
                    int r1 = r + 1 <= rLast ? r + 1 : r;
                    kern.scoresT2(q, qBase + r * d, qBase + r1 * d, kt, ldkt, ktHead + k0, nc, d, scale, s, r * ldk,
                            r1 * ldk);
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
                        for (int c = 0; c < nc; c++) {
                            if (!dense[(int) (base + c * dsj)]) {
                                s[so + c] = Float.NEGATIVE_INFINITY;
                            }
                        }
                    }
                    if (bias != null) {
                        long base = b * bsb + h * bsh + i * bsi + k0 * bsj;
                        for (int c = 0; c < nc; c++) {
                            float bv = bias[(int) (base + c * bsj)];
                            // -inf is a mask: it must hide a NaN score too (NaN + -inf = NaN)
                            s[so + c] = bv == Float.NEGATIVE_INFINITY ? Float.NEGATIVE_INFINITY : s[so + c] + bv;
                        }
                    }
                    float mt = kern.max(s, so, nc);
                    if (mt == Float.NEGATIVE_INFINITY) {
                        live[r] = false;
                        continue;
                    }
                    float mOld = rowMax[r];
                    float mNew = Math.max(mOld, mt);
                    if (mOld != Float.NEGATIVE_INFINITY && mNew > mOld) {
                        float alpha = (float) Math.exp(mOld - mNew);
                        kern.scale(acc, r * d, d, alpha);
                        rowSum[r] *= alpha;
                    }
                    rowMax[r] = mNew;
                    rowSum[r] += kern.expSum(s, so, nc, mNew);
                }
                // rows in range that saw nothing here contribute zeros; then P·V six rows at a time
                int vTile = kBase + k0 * d;
                for (r = rFirst; r <= rLast; r++) {
                    if (!live[r]) {
                        java.util.Arrays.fill(s, r * ldk, r * ldk + nc, 0f);
                    }
                }
                if (nonFiniteV != null && anyTrue(nonFiniteV, (b * hkv + kvh) * lk + k0, nc)) {
                    pvSkippingZeros(s, ldk, rFirst, rLast, nc, v, vTile, d, acc);
                    continue;
                }
                r = rFirst;
                for (; r + AttentionKernels.ROWS - 1 <= rLast; r += AttentionKernels.ROWS) {
                    kern.pv6(s, r * ldk, ldk, nc, v, vTile, d, acc, r * d);
                }
                for (; r + 1 <= rLast; r += 2) {
                    kern.pv2(s, r * ldk, (r + 1) * ldk, nc, v, vTile, d, acc, r * d, (r + 1) * d);
                }
                if (r == rLast) {
                    kern.pv(s, r * ldk, nc, v, vTile, d, acc, r * d);
                }
            }
            for (int r = 0; r < nr; r++) {
                if (rowSum[r] != 0f) { // 0: the row saw no key (zeros); NaN: a NaN input it saw, which must show
                    float inv = 1f / rowSum[r];
                    int o = qBase + r * d;
                    for (int c = 0; c < d; c++) {
                        out[o + c] = acc[r * d + c] * inv;
                    }
                }
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
        private static void pvSkippingZeros(float[] p, int ldp, int rFirst, int rLast, int n, float[] v, int vo, int d,
                float[] acc) {
            for (int r = rFirst; r <= rLast; r++) {
                for (int c = 0; c < n; c++) {
                    float w = p[r * ldp + c];
                    if (w == 0f) {
                        continue;
                    }
                    for (int i = 0, vc = vo + c * d, ao = r * d; i < d; i++) {
                        acc[ao + i] += w * v[vc + i];
                    }
                }
            }
        }
    }
}
