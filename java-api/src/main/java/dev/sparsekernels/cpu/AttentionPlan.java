package dev.sparsekernels.cpu;

import dev.sparsekernels.AttentionMask;

/**
 * One call of {@link FlashAttention}, resolved once (shapes, tile edges, the mask's parts and strides, where K^T and
 * V's panels lie) together with the tile loop that each task runs: the query block's rows against every key tile
 * the mask leaves, online softmax, P·V, and the final division.
 */
final class AttentionPlan {
    final int batch, hq, hkv, lq, lk, d, group, bq, bk, qBlocks, kBlocks;
    /** Key blocks per softmax step: more than one only for a block-sparse mask's blocks under BLOCK_K keys. */
    final int tileBlocks;
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

    AttentionPlan(AttentionMask m, int batch, int hq, int hkv, int lq, int lk, int d, float scale, AttentionLayout ql,
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
        this.bq = blocks == null ? FlashAttention.BLOCK_Q : blocks.blockQ();
        this.bk = blocks == null ? FlashAttention.BLOCK_K : blocks.blockK();
        // a mask's small blocks go side by side into one softmax step of up to BLOCK_K keys (whole 16-key panels
        // only, so that the step's columns stay contiguous): the per-step passes of larger tiles, the same skipping
        this.tileBlocks = blocks != null && bk % AttentionKernels.CHUNK_KEYS == 0
                ? Math.max(1, Math.min(AttentionTaskScratch.MAX_MEMBERS, FlashAttention.BLOCK_K / bk)) : 1;
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
        run(kern, task, q, kt, v, vp, out, false);
    }

    /**
     * As {@link #run(AttentionKernels, int, float[], float[], float[], float[], float[])}; with {@code oneHead}, kt
     * and vp hold only the task's own K/V head, from {@link CacheAligned#OFFSET} on.
     */
    void run(AttentionKernels kern, int task, float[] q, float[] kt, float[] v, float[] vp, float[] out,
            boolean oneHead) {
        if (compute(kern, task, q, kt, v, vp, out, null, oneHead)) {
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
            compute(kern, task, q, kt, v, vp, out, bad, oneHead);
        }
    }

    /**
     * Computes and writes the task's output rows; badV (null: not known) marks this head's keys whose V row is
     * not finite. Returns whether every value written is finite.
     */
    private boolean compute(AttentionKernels kern, int task, float[] q, float[] kt, float[] v, float[] vp,
            float[] out, boolean[] badV, boolean oneHead) {
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

        int ldk = tileBlocks > 1 ? tileBlocks * bk : (bk + 7) & ~7; // row stride of the score tile
        AttentionTaskScratch sc = AttentionTaskScratch.get(nr, ldk, d);
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

        int slot = oneHead ? 0 : b * hkv + kvh;
        int ktBase = CacheAligned.OFFSET + slot * ktHead;
        int vpBase = CacheAligned.OFFSET + slot * vHead;
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
        int[] mk0 = sc.memberK0;
        int[] mnc = sc.memberKeys;
        boolean[] mDense = sc.memberDense;
        for (int kb = kbFirst; kb <= kbLast; ) {
            // the next step's key blocks: up to tileBlocks visible ones, side by side in the score tile (a block
            // shorter than bk, the sequence's last, ends a step so that the tile's columns stay contiguous)
            int members = 0;
            int rFirst = Integer.MAX_VALUE;
            int rLast = -1;
            for (; kb <= kbLast && members < tileBlocks; kb++) {
                byte kind = blocks == null ? AttentionMask.BlockSparse.FULL : blocks.kind(b, h, qb, kb);
                if (kind == AttentionMask.BlockSparse.SKIP) {
                    continue;
                }
                int k0 = kb * bk;
                int nc = Math.min(kvRows, k0 + bk) - k0; // kvRows <= lk; keys past it do not exist
                int first = -1;
                int last = -1;
                for (int r = 0; r < nr; r++) {
                    if (hi[r] > k0 && lo[r] < k0 + nc) { // rows that see nothing at all have hi = lo = 0
                        last = r;
                        if (first < 0) {
                            first = r;
                        }
                    }
                }
                if (first < 0) {
                    continue;
                }
                rFirst = Math.min(rFirst, first);
                rLast = Math.max(rLast, last);
                mk0[members] = k0;
                mnc[members] = nc;
                mDense[members] = dense != null && (blocks == null || kind != AttentionMask.BlockSparse.FULL);
                members++;
                if (nc < bk) {
                    kb++;
                    break;
                }
            }
            if (members == 0) {
                continue; // kb is past kbLast: nothing visible was left
            }
            int width = (members - 1) * bk + mnc[members - 1]; // score columns of this step
            for (int r = rFirst; r <= rLast; r++) {
                live[r] = false;
                for (int m = 0; m < members; m++) {
                    live[r] |= hi[r] > mk0[m] && lo[r] < mk0[m] + mnc[m];
                }
            }
            for (int m = 0; m < members; m++) {
                int k0 = mk0[m];
                int nc = mnc[m];
                int kTile = ktBase + k0 / AttentionKernels.CHUNK_KEYS * ktChunk + k0 % AttentionKernels.CHUNK_KEYS;
                int sc0 = m * bk; // this block's first column in the score tile
                int r = rFirst;
                for (; r + AttentionKernels.ROWS - 1 <= rLast; r += AttentionKernels.ROWS) {
                    kern.scoresT6(q, qBase + r * ldq, ldq, kt, ktLd, kTile, ktChunk, nc, d, scale, s,
                            r * ldk + sc0, ldk);
                }
                if (r + 3 <= rLast) {
                    kern.scoresT4(q, qBase + r * ldq, ldq, kt, ktLd, kTile, ktChunk, nc, d, scale, s,
                            r * ldk + sc0, ldk);
                    r += 4;
                }
                for (; r <= rLast; r += 2) {
                    int r1 = r + 1 <= rLast ? r + 1 : r;
                    kern.scoresT2(q, qBase + r * ldq, qBase + r1 * ldq, kt, ktLd, kTile, ktChunk, nc, d, scale, s,
                            r * ldk + sc0, r1 * ldk + sc0);
                }
                for (r = rFirst; r <= rLast; r++) {
                    if (!live[r]) {
                        continue;
                    }
                    maskScores(kern, s, r * ldk + sc0, nc, k0, lo[r], hi[r], b, h, q0 + r, mDense[m]);
                }
            }
            // the step's row maxima, the running maxima (lazily), then every live row's exponentials at once
            kern.rowMax(s, ldk, rFirst, rLast, width, tileMax);
            for (int r = rFirst; r <= rLast; r++) {
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
                } else if (mt > mOld + FlashAttention.RESCALE_SLACK) {
                    float alpha = (float) Math.exp(mOld - mt);
                    kern.scale(acc, r * d, d, alpha);
                    rowSum[r] *= alpha;
                    rowMax[r] = mt;
                }
            }
            kern.expRows(s, ldk, rFirst, rLast, width, rowMax, live, rowSum);
            // rows in range that saw nothing here contribute zeros; then P·V block by block, six rows at a time
            for (int r = rFirst; r <= rLast; r++) {
                if (!live[r]) {
                    java.util.Arrays.fill(s, r * ldk, r * ldk + width, 0f);
                }
            }
            int ldv = vl.rowStride();
            for (int m = 0; m < members; m++) {
                int k0 = mk0[m];
                int nc = mnc[m];
                int pc = m * bk; // this block's columns of P
                int vTile = vl.offset(b, kvh, k0);
                if (badV != null && anyTrue(badV, k0, nc)) {
                    pvSkippingZeros(s, ldk, pc, rFirst, rLast, nc, v, vTile, ldv, d, acc);
                    continue;
                }
                // V in column panels where the plan made them (P·V's fastest form), else V's own rows
                float[] pvV = vp != null ? vp : v;
                int pvOff = vp != null ? vpBase + k0 * AttentionKernels.CHUNK_KEYS : vTile;
                int pvLd = vp != null ? AttentionKernels.CHUNK_KEYS : ldv;
                int pvChunk = vp != null ? vChunk : AttentionKernels.CHUNK_KEYS;
                int r = rFirst;
                for (; r + AttentionKernels.ROWS - 1 <= rLast; r += AttentionKernels.ROWS) {
                    kern.pv6(s, r * ldk + pc, ldk, nc, pvV, pvOff, pvLd, pvChunk, d, acc, r * d);
                }
                if (r + 3 <= rLast) {
                    kern.pv4(s, r * ldk + pc, ldk, nc, pvV, pvOff, pvLd, pvChunk, d, acc, r * d);
                    r += 4;
                }
                for (; r + 1 <= rLast; r += 2) {
                    kern.pv2(s, r * ldk + pc, (r + 1) * ldk + pc, nc, v, vTile, ldv, d, acc, r * d, (r + 1) * d);
                }
                if (r == rLast) {
                    kern.pv(s, r * ldk + pc, nc, v, vTile, ldv, d, acc, r * d);
                }
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

    /**
     * Masks one row's scores of one key block (keys k0 .. k0 + nc, at s[so ..]): -inf outside the row's structural
     * range [lo, hi) (all of them when the range misses the block), then the dense mask where it applies and the
     * bias, for query row i of head h of sequence b.
     */
    private void maskScores(AttentionKernels kern, float[] s, int so, int nc, int k0, int lo, int hi, int b, int h,
            int i, boolean useDense) {
        int e = Math.min(nc, Math.max(0, lo - k0));
        int f = Math.max(e, Math.min(nc, hi - k0));
        for (int c = 0; c < e; c++) {
            s[so + c] = Float.NEGATIVE_INFINITY;
        }
        for (int c = f; c < nc; c++) {
            s[so + c] = Float.NEGATIVE_INFINITY;
        }
        if (f == e) {
            return;
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
    private static void pvSkippingZeros(float[] p, int ldp, int pc, int rFirst, int rLast, int n, float[] v, int vo,
            int ldv, int d, float[] acc) {
        for (int r = rFirst; r <= rLast; r++) {
            for (int c = 0; c < n; c++) {
                float w = p[r * ldp + pc + c];
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
