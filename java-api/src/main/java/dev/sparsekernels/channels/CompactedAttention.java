package dev.sparsekernels.channels;

import dev.sparsekernels.Tensor;

/**
 * An attention block after head removal: Wq' [keptQueryHeads·D, model], Wk' and Wv' [keptGroups·D, model],
 * Wo' [out, keptQueryHeads·D] and their biases (null where the input had none). Closing this closes them.
 */
public final class CompactedAttention implements AutoCloseable {
    private final Tensor wq;
    private final Tensor bq;
    private final Tensor wk;
    private final Tensor bk;
    private final Tensor wv;
    private final Tensor bv;
    private final Tensor wo;
    private final Tensor bo;

    CompactedAttention(Tensor wq, Tensor bq, Tensor wk, Tensor bk, Tensor wv, Tensor bv, Tensor wo, Tensor bo) {
        this.wq = wq;
        this.bq = bq;
        this.wk = wk;
        this.bk = bk;
        this.wv = wv;
        this.bv = bv;
        this.wo = wo;
        this.bo = bo;
    }

    public Tensor wq() {
        return wq;
    }

    public Tensor bq() {
        return bq;
    }

    public Tensor wk() {
        return wk;
    }

    public Tensor bk() {
        return bk;
    }

    public Tensor wv() {
        return wv;
    }

    public Tensor bv() {
        return bv;
    }

    public Tensor wo() {
        return wo;
    }

    public Tensor bo() {
        return bo;
    }

    @Override
    public void close() {
        for (Tensor t : new Tensor[] {wq, bq, wk, bk, wv, bv, wo, bo}) {
            if (t != null) {
                t.close();
            }
        }
    }
}
