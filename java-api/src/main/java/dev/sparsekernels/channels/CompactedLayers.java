package dev.sparsekernels.channels;

import dev.sparsekernels.Tensor;

/**
 * A producer/consumer pair after channel removal: W1' [kept, in], b1' [kept] (or null), W2' [out, kept],
 * b2' [out] (or null). Ordinary dense tensors, owned by the caller; closing this closes them.
 */
public final class CompactedLayers implements AutoCloseable {
    private final Tensor w1;
    private final Tensor b1;
    private final Tensor w2;
    private final Tensor b2;

    CompactedLayers(Tensor w1, Tensor b1, Tensor w2, Tensor b2) {
        this.w1 = w1;
        this.b1 = b1;
        this.w2 = w2;
        this.b2 = b2;
    }

    public Tensor w1() {
        return w1;
    }

    /** null when the producer had no bias. */
    public Tensor b1() {
        return b1;
    }

    public Tensor w2() {
        return w2;
    }

    /** null when the consumer had no bias and there was no compensation. */
    public Tensor b2() {
        return b2;
    }

    @Override
    public void close() {
        for (Tensor t : new Tensor[] {w1, b1, w2, b2}) {
            if (t != null) {
                t.close();
            }
        }
    }
}
