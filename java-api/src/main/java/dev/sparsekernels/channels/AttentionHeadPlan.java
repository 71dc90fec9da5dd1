package dev.sparsekernels.channels;

import dev.sparsekernels.Tensor;

/**
 * Removal of whole attention heads. Wq [queryHeads·D, model], Wk and Wv [kvHeads·D, model] lose rows of removed
 * heads and Wo [model, queryHeads·D] the matching columns (D = headDim; head h is rows h·D .. h·D+D-1).
 *
 * <p>Grouped-query attention: query heads g·r .. g·r+r-1 share KV head g (r = queryHeads / kvHeads, the layout of
 * PyTorch's repeat_kv), so the unit of removal is a KV group: removing group g removes KV head g and its r query
 * heads together. Multi-head attention is the case kvHeads = queryHeads (r = 1).
 */
public final class AttentionHeadPlan {
    private final int queryHeads;
    private final int kvHeads;
    private final int headDim;
    private final int[] keptGroups;
    private final ChannelPlan query;
    private final ChannelPlan kv;

    private AttentionHeadPlan(int queryHeads, int kvHeads, int headDim, int[] keptGroups) {
        this.queryHeads = queryHeads;
        this.kvHeads = kvHeads;
        this.headDim = headDim;
        this.keptGroups = keptGroups;
        int r = queryHeads / kvHeads;
        int[] q = new int[keptGroups.length * r];
        for (int i = 0; i < keptGroups.length; i++) {
            for (int k = 0; k < r; k++) {
                q[i * r + k] = keptGroups[i] * r + k;
            }
        }
        this.query = ChannelPlan.keepHeads(queryHeads, headDim, q);
        this.kv = ChannelPlan.keepHeads(kvHeads, headDim, keptGroups);
    }

    /**
     * Keeps the given KV groups (with their query heads).
     *
     * @param keptGroups strictly ascending KV-head indices in [0, kvHeads), at least one
     */
    public static AttentionHeadPlan keepGroups(int queryHeads, int kvHeads, int headDim, int... keptGroups) {
        if (queryHeads < 1) {
            throw new IllegalArgumentException("queryHeads: expected >= 1 but got " + queryHeads);
        }
        if (kvHeads < 1 || queryHeads % kvHeads != 0) {
            throw new IllegalArgumentException("kvHeads: expected a divisor of queryHeads = " + queryHeads
                    + " but got " + kvHeads);
        }
        if (headDim < 1) {
            throw new IllegalArgumentException("headDim: expected >= 1 but got " + headDim);
        }
        if ((long) queryHeads * headDim > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("queryHeads x headDim: expected at most " + Integer.MAX_VALUE
                    + " channels but got " + queryHeads + " x " + headDim + " = " + (long) queryHeads * headDim);
        }
        int[] groups = ChannelPlan.keep(kvHeads, keptGroups).kept(); // validates
        return new AttentionHeadPlan(queryHeads, kvHeads, headDim, groups);
    }

    /** Multi-head attention (one KV head per query head): keeps the given heads. */
    public static AttentionHeadPlan keepHeads(int heads, int headDim, int... keptHeads) {
        return keepGroups(heads, heads, headDim, keptHeads);
    }

    public int queryHeads() {
        return queryHeads;
    }

    public int kvHeads() {
        return kvHeads;
    }

    public int headDim() {
        return headDim;
    }

    /** Kept KV groups, ascending. */
    public int[] keptGroups() {
        return keptGroups.clone();
    }

    /** Kept query heads, ascending: every query head of every kept group. */
    public int[] keptQueryHeads() {
        int r = queryHeads / kvHeads;
        int[] q = new int[keptGroups.length * r];
        for (int i = 0; i < q.length; i++) {
            q[i] = keptGroups[i / r] * r + i % r;
        }
        return q;
    }

    /** The channel plan of Wq's rows and Wo's columns (queryHeads·D channels). */
    public ChannelPlan queryChannels() {
        return query;
    }

    /** The channel plan of Wk's and Wv's rows (kvHeads·D channels). */
    public ChannelPlan kvChannels() {
        return kv;
    }

    /**
     * Compacts an attention block. Biases may be null (and stay null, except bo with compensation).
     *
     * @param oInputMean per-channel mean of the activations entering Wo ([queryHeads·D]) for bias compensation of
     *                   bo, or null for none
     */
    public CompactedAttention apply(Tensor wq, Tensor bq, Tensor wk, Tensor bk, Tensor wv, Tensor bv, Tensor wo,
            Tensor bo, double[] oInputMean) {
        int[] q = ChannelPlan.matrix("wq", wq);
        int[] k = ChannelPlan.matrix("wk", wk);
        int[] v = ChannelPlan.matrix("wv", wv);
        int[] o = ChannelPlan.matrix("wo", wo);
        int qc = query.hidden();
        int kc = kv.hidden();
        ChannelPlan.expect("wq", q[0] == qc, "[" + qc + ", model] (queryHeads·headDim rows)", wq);
        ChannelPlan.expect("wk", k[0] == kc && k[1] == q[1], "[" + kc + ", " + q[1] + "]", wk);
        ChannelPlan.expect("wv", v[0] == kc && v[1] == q[1], "[" + kc + ", " + q[1] + "]", wv);
        ChannelPlan.expect("wo", o[1] == qc, "[out, " + qc + "]", wo);
        Tensor nq = query.compactProducer(wq);
        Tensor nbq = bq == null ? null : query.compactVector("bq", bq);
        Tensor nk = kv.compactProducer(wk);
        Tensor nbk = bk == null ? null : kv.compactVector("bk", bk);
        Tensor nv = kv.compactProducer(wv);
        Tensor nbv = bv == null ? null : kv.compactVector("bv", bv);
        Tensor no = query.compactConsumer(wo);
        Tensor nbo;
        if (oInputMean != null) {
            nbo = query.compensatedBias(wo, bo, oInputMean);
        } else if (bo != null) {
            ChannelPlan.expect("bo", bo.rank() == 1 && bo.dim(0) == o[0], "[" + o[0] + "]", bo);
            nbo = ChannelPlan.tensor(bo.dtype(), bo.toFloatArray(), o[0]);
        } else {
            nbo = null;
        }
        return new CompactedAttention(nq, nbq, nk, nbk, nv, nbv, no, nbo);
    }

    @Override
    public String toString() {
        return "AttentionHeadPlan[keep " + keptGroups.length + " of " + kvHeads + " KV groups, " + queryHeads
                + " query heads of " + headDim + "]";
    }
}
