package dev.sparsekernels.channels;

import dev.sparsekernels.DType;
import dev.sparsekernels.Tensor;
import java.util.Arrays;

/**
 * Coupled removal of hidden channels between a producer W1 [hidden, in] (with bias b1 [hidden]) and a consumer
 * W2 [out, hidden] (bias b2 [out]): both lose the same channels, so the compacted pair is an ordinary smaller dense
 * layer pair W1' [kept, in], b1' [kept], W2' [out, kept] that runs on the dense GEMM.
 *
 * <p>Removing channel j equals zeroing W1[j,:] and b1[j] in the dense network when the activation maps 0 to 0 (ReLU,
 * GELU, SiLU). With bias compensation (FLAP) b2' = b2 + W2[:, removed] · mean(x[removed]), which equals replacing
 * the removed activations x_j by their mean. Kept indices are ascending, so channel order is preserved.
 */
public final class ChannelPlan {
    private final int hidden;
    private final int[] kept;
    private final int[] removed;

    private ChannelPlan(int hidden, int[] kept) {
        this.hidden = hidden;
        this.kept = kept;
        this.removed = new int[hidden - kept.length];
        int r = 0;
        int k = 0;
        for (int j = 0; j < hidden; j++) {
            if (k < kept.length && kept[k] == j) {
                k++;
            } else {
                removed[r++] = j;
            }
        }
    }

    /**
     * Keeps the given channels of hidden.
     *
     * @param kept strictly ascending indices in [0, hidden), at least one
     */
    public static ChannelPlan keep(int hidden, int... kept) {
        if (hidden < 1) {
            throw new IllegalArgumentException("hidden: expected >= 1 but got " + hidden);
        }
        if (kept == null || kept.length == 0) {
            throw new IllegalArgumentException("kept: expected 1.." + hidden + " channel indices but got "
                    + (kept == null ? "null" : "none"));
        }
        for (int i = 0; i < kept.length; i++) {
            if (kept[i] < 0 || kept[i] >= hidden) {
                throw new IllegalArgumentException("kept[" + i + "]: expected a channel in 0.." + (hidden - 1)
                        + " but got " + kept[i]);
            }
            if (i > 0 && kept[i] <= kept[i - 1]) {
                throw new IllegalArgumentException("kept[" + i + "]: expected strictly ascending indices but got "
                        + kept[i] + " after " + kept[i - 1]);
            }
        }
        return new ChannelPlan(hidden, kept.clone());
    }

    /** Keeps whole heads: head h is channels h·headDim .. h·headDim + headDim - 1 of heads·headDim. */
    public static ChannelPlan keepHeads(int heads, int headDim, int... keptHeads) {
        if (heads < 1) {
            throw new IllegalArgumentException("heads: expected >= 1 but got " + heads);
        }
        if (headDim < 1) {
            throw new IllegalArgumentException("headDim: expected >= 1 but got " + headDim);
        }
        if ((long) heads * headDim > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("heads x headDim: expected at most " + Integer.MAX_VALUE
                    + " channels but got " + heads + " x " + headDim + " = " + (long) heads * headDim);
        }
        ChannelPlan h = keep(heads, keptHeads); // validates the head indices
        int[] ch = new int[h.kept.length * headDim];
        for (int i = 0; i < h.kept.length; i++) {
            for (int d = 0; d < headDim; d++) {
                ch[i * headDim + d] = h.kept[i] * headDim + d;
            }
        }
        return new ChannelPlan(heads * headDim, ch);
    }

    /** Channels before removal. */
    public int hidden() {
        return hidden;
    }

    public int keptCount() {
        return kept.length;
    }

    /** Kept channel indices, ascending. */
    public int[] kept() {
        return kept.clone();
    }

    /** Removed channel indices, ascending. */
    public int[] removed() {
        return removed.clone();
    }

    /** The producer W1 [hidden, in] → [kept, in] (row gather), same dtype. */
    public Tensor compactProducer(Tensor w1) {
        int[] s = matrix("w1", w1);
        expect("w1", s[0] == hidden, "[" + hidden + ", in]", w1);
        return tensor(w1.dtype(), Gather.rows(w1.toFloatArray(), s[0], s[1], kept), kept.length, s[1]);
    }

    /** A per-channel vector such as b1 [hidden] → [kept], same dtype. */
    public Tensor compactVector(String name, Tensor v) {
        expect(name, v != null && v.rank() == 1 && v.dim(0) == hidden, "[" + hidden + "]", v);
        return tensor(v.dtype(), Gather.rows(v.toFloatArray(), hidden, 1, kept), kept.length);
    }

    /** The consumer W2 [out, hidden] → [out, kept] (column gather), same dtype. */
    public Tensor compactConsumer(Tensor w2) {
        int[] s = matrix("w2", w2);
        expect("w2", s[1] == hidden, "[out, " + hidden + "]", w2);
        return tensor(w2.dtype(), Gather.columns(w2.toFloatArray(), s[0], s[1], kept), s[0], kept.length);
    }

    /**
     * FLAP's bias compensation: b2 + W2[:, removed] · mean[removed], accumulated in double, in b2's dtype (w2's when
     * b2 is null, which counts as zeros).
     *
     * @param mean per-channel mean of the activations entering w2, [hidden]
     */
    public Tensor compensatedBias(Tensor w2, Tensor b2, double[] mean) {
        int[] s = matrix("w2", w2);
        expect("w2", s[1] == hidden, "[out, " + hidden + "]", w2);
        int out = s[0];
        if (b2 != null) {
            expect("b2", b2.rank() == 1 && b2.dim(0) == out, "[" + out + "]", b2);
        }
        if (mean == null || mean.length != hidden) {
            throw new IllegalArgumentException("mean: expected " + hidden + " values (one per channel) but got "
                    + (mean == null ? "null" : mean.length));
        }
        float[] w = w2.toFloatArray();
        float[] b = b2 == null ? new float[out] : b2.toFloatArray();
        for (int i = 0; i < out; i++) {
            double acc = b[i];
            int base = i * hidden;
            for (int j : removed) {
                acc += (double) w[base + j] * mean[j];
            }
            b[i] = (float) acc;
        }
        return tensor(b2 == null ? w2.dtype() : b2.dtype(), b, out);
    }

    /**
     * Compacts a producer/consumer pair. b1 and b2 may be null; mean (of the activations entering w2) null means no
     * bias compensation. The result's b1 is null when b1 is; its b2 is null only when b2 is null and mean is too.
     */
    public CompactedLayers apply(Tensor w1, Tensor b1, Tensor w2, Tensor b2, double[] mean) {
        int[] p = matrix("w1", w1);
        int[] c = matrix("w2", w2);
        expect("w1", p[0] == hidden, "[" + hidden + ", in]", w1);
        expect("w2", c[1] == hidden, "[out, " + hidden + "] (in = w1's hidden)", w2);
        if (b1 != null) {
            expect("b1", b1.rank() == 1 && b1.dim(0) == hidden, "[" + hidden + "]", b1);
        }
        if (b2 != null) {
            expect("b2", b2.rank() == 1 && b2.dim(0) == c[0], "[" + c[0] + "]", b2);
        }
        Tensor nw1 = compactProducer(w1);
        Tensor nb1 = b1 == null ? null : compactVector("b1", b1);
        Tensor nw2 = compactConsumer(w2);
        Tensor nb2 = mean != null ? compensatedBias(w2, b2, mean)
                : b2 == null ? null : tensor(b2.dtype(), b2.toFloatArray(), c[0]);
        return new CompactedLayers(nw1, nb1, nw2, nb2);
    }

    @Override
    public String toString() {
        return "ChannelPlan[keep " + kept.length + " of " + hidden + " channels]";
    }

    static int[] matrix(String name, Tensor t) {
        if (t == null) {
            throw new IllegalArgumentException(name + ": expected a rank-2 tensor but got null");
        }
        return t.matrixShape(name);
    }

    static void expect(String name, boolean ok, String expected, Tensor actual) {
        if (!ok) {
            throw new IllegalArgumentException(name + ": expected shape " + expected + " but got "
                    + (actual == null ? "null" : Arrays.toString(actual.shape())));
        }
    }

    static Tensor tensor(DType dtype, float[] data, long... shape) {
        return dtype == DType.F32 ? Tensor.of(data, shape) : Tensor.of(dtype, data, shape);
    }
}
