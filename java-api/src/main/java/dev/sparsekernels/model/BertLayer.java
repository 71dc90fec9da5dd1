package dev.sparsekernels.model;

import dev.sparsekernels.AttentionMask;
import dev.sparsekernels.DType;
import dev.sparsekernels.Kernels;
import dev.sparsekernels.Tensor;
import dev.sparsekernels.cpu.Activations;
import dev.sparsekernels.cpu.AttentionLayout;
import dev.sparsekernels.cpu.FlashAttention;
import java.util.List;

/**
 * One post-LayerNorm BERT layer on packed token states h [tokens, hidden]:
 * <pre>
 *   a = LayerNorm(h + O(attention(Q h, K h, V h)))      heads = Q.out / headDim, key lengths mask the padding
 *   y = LayerNorm(a + W2 · GELU(W1 · a))
 * </pre>
 * The six linears are {@link LinearLayer}s, replaceable in place: one at a time in the same shape (a 2:4 or BSR
 * version of the weight), or as a group when channel removal changes the inner width (FFN channels, attention heads).
 * Each replace method checks the shapes fit and hands back the layers it removed, which the caller now owns.
 * Not thread-safe while being changed; owns its linears.
 */
public final class BertLayer implements AutoCloseable {
    private final int hidden;
    private final int headDim;
    private final LinearLayer[] linears = new LinearLayer[LinearSlot.values().length];
    private LayerNorm attentionNorm;
    private LayerNorm outputNorm;
    /** Stacked Q/K/V (CPU path); rebuilt after any of them is replaced. Guarded by this. */
    private LinearLayer fused;
    private boolean fusedTried;

    BertLayer(int hidden, int headDim, LinearLayer query, LinearLayer key, LinearLayer value,
            LinearLayer attentionOutput, LayerNorm attentionNorm, LinearLayer intermediate, LinearLayer output,
            LayerNorm outputNorm) {
        this.hidden = hidden;
        this.headDim = headDim;
        this.attentionNorm = attentionNorm;
        this.outputNorm = outputNorm;
        checkAttention(query, key, value, attentionOutput);
        checkFeedForward(intermediate, output);
        set(LinearSlot.QUERY, query);
        set(LinearSlot.KEY, key);
        set(LinearSlot.VALUE, value);
        set(LinearSlot.ATTENTION_OUTPUT, attentionOutput);
        set(LinearSlot.INTERMEDIATE, intermediate);
        set(LinearSlot.OUTPUT, output);
    }

    /** The linear in a slot (still owned by this layer). */
    public LinearLayer linear(LinearSlot slot) {
        return linears[slot.ordinal()];
    }

    /** Attention heads now present: Q's output width / head size (12 for MiniLM until heads are removed). */
    public int heads() {
        return linear(LinearSlot.QUERY).outFeatures() / headDim;
    }

    public int headDim() {
        return headDim;
    }

    /** FFN width now present (1536 for MiniLM until channels are removed). */
    public int intermediateWidth() {
        return linear(LinearSlot.INTERMEDIATE).outFeatures();
    }

    /** The LayerNorm after attention's residual add. */
    public LayerNorm attentionNorm() {
        return attentionNorm;
    }

    /** The LayerNorm after the feed-forward's residual add. */
    public LayerNorm outputNorm() {
        return outputNorm;
    }

    /** Replaces both LayerNorms (e.g. after distillation retrained them); widths must stay the hidden size. */
    public void replaceNorms(LayerNorm attention, LayerNorm output) {
        if (attention == null || output == null || attention.width() != hidden || output.width() != hidden) {
            throw new IllegalArgumentException("norms: expected two LayerNorms of width " + hidden + " but got "
                    + (attention == null ? "null" : attention.width()) + " and "
                    + (output == null ? "null" : output.width()));
        }
        this.attentionNorm = attention;
        this.outputNorm = output;
    }

    /** Replaces one linear by another of the same in and out widths; returns the old one, now the caller's. */
    public LinearLayer replaceLinear(LinearSlot slot, LinearLayer replacement) {
        LinearLayer old = linear(slot);
        if (replacement == null) {
            throw new IllegalArgumentException("replacement: expected a linear layer but got null");
        }
        if (replacement.inFeatures() != old.inFeatures() || replacement.outFeatures() != old.outFeatures()) {
            throw new IllegalArgumentException("replacement for " + slot + ": expected [out, in] = ["
                    + old.outFeatures() + ", " + old.inFeatures() + "] but got [" + replacement.outFeatures() + ", "
                    + replacement.inFeatures() + "]; use replaceFeedForward or replaceAttention to change widths");
        }
        set(slot, replacement);
        return old;
    }

    /**
     * Replaces W1 and W2 together, e.g. after FFN channel removal: W1 [k, hidden], W2 [hidden, k] for any k.
     * Returns the old {W1, W2}, now the caller's.
     */
    public List<LinearLayer> replaceFeedForward(LinearLayer intermediate, LinearLayer output) {
        checkFeedForward(intermediate, output);
        List<LinearLayer> old = List.of(linear(LinearSlot.INTERMEDIATE), linear(LinearSlot.OUTPUT));
        set(LinearSlot.INTERMEDIATE, intermediate);
        set(LinearSlot.OUTPUT, output);
        return old;
    }

    /**
     * Replaces Q, K, V and O together, e.g. after head removal: Q, K, V [h·headDim, hidden] and O [hidden, h·headDim]
     * for any h >= 1 (heads are rows h·headDim .. h·headDim+headDim-1, as in {@code channels.AttentionHeadPlan}).
     * Returns the old {Q, K, V, O}, now the caller's.
     */
    public List<LinearLayer> replaceAttention(LinearLayer query, LinearLayer key, LinearLayer value,
            LinearLayer attentionOutput) {
        checkAttention(query, key, value, attentionOutput);
        List<LinearLayer> old = List.of(linear(LinearSlot.QUERY), linear(LinearSlot.KEY), linear(LinearSlot.VALUE),
                linear(LinearSlot.ATTENTION_OUTPUT));
        set(LinearSlot.QUERY, query);
        set(LinearSlot.KEY, key);
        set(LinearSlot.VALUE, value);
        set(LinearSlot.ATTENTION_OUTPUT, attentionOutput);
        return old;
    }

    /**
     * Runs the layer on packed states h [tokens, hidden]; returns the new packed states. The observer sees the input
     * of each linear (Q/K/V once) as {@code layerIndex}.
     */
    float[] forward(Kernels kernels, DType activations, float[] h, PackedSequences packed, AttentionMask mask,
            int layerIndex, ActivationObserver observer) {
        int tokens = packed.tokenCount();
        int threads = CpuPath.threads(kernels, activations);
        float[] a = attention(kernels, activations, threads, h, packed, mask, layerIndex, observer);
        norm(attentionNorm, a, h, threads); // a = LayerNorm(a + h)
        ScratchArrays.giveBack(h);
        observer.linearInput(layerIndex, LinearSlot.INTERMEDIATE, a, tokens, hidden);
        float[] f = linear(LinearSlot.INTERMEDIATE).forward(kernels, activations, a, tokens);
        if (threads > 0) {
            Activations.gelu(f, threads);
        } else {
            Gelu.apply(f);
        }
        observer.linearInput(layerIndex, LinearSlot.OUTPUT, f, tokens, intermediateWidth());
        float[] out = linear(LinearSlot.OUTPUT).forward(kernels, activations, f, tokens);
        ScratchArrays.giveBack(f);
        norm(outputNorm, out, a, threads); // out = LayerNorm(out + a)
        ScratchArrays.giveBack(a);
        return out;
    }

    /** O(softmax(Q Kᵀ / sqrt(headDim), keys masked by length) V) for the packed states; returns [tokens, hidden]. */
    private float[] attention(Kernels kernels, DType activations, int threads, float[] h, PackedSequences packed,
            AttentionMask mask, int layerIndex, ActivationObserver observer) {
        int tokens = packed.tokenCount();
        int heads = heads();
        int width = heads * headDim;
        observer.linearInput(layerIndex, LinearSlot.QUERY, h, tokens, hidden);
        float[] context = threads > 0
                ? attentionInPlace(kernels, activations, threads, h, packed, mask)
                : attentionViaTensors(kernels, activations, h, packed, mask);
        observer.linearInput(layerIndex, LinearSlot.ATTENTION_OUTPUT, context, tokens, width);
        float[] out = linear(LinearSlot.ATTENTION_OUTPUT).forward(kernels, activations, context, tokens);
        ScratchArrays.giveBack(context);
        return out;
    }

    /**
     * The CPU path: heads read straight out of the packed Q|K|V rows (or the three packed projections) and written
     * straight into packed context rows, so no [batch, heads, length, headDim] copy is made either way.
     */
    private float[] attentionInPlace(Kernels kernels, DType activations, int threads, float[] h,
            PackedSequences packed, AttentionMask mask) {
        int tokens = packed.tokenCount();
        int heads = heads();
        int width = heads * headDim;
        int[] lengths = packed.lengths();
        int len = packed.maxLength();
        float scale = (float) (1.0 / Math.sqrt(headDim));
        float[] context = ScratchArrays.take(Math.multiplyExact(tokens, width)); // attention writes every row
        AttentionLayout packedHeads = AttentionLayout.packed(lengths, width, 0, headDim);
        LinearLayer qkv = fusedQkv();
        if (qkv != null) {
            float[] y = qkv.forward(kernels, activations, h, tokens);
            FlashAttention.attention(y, AttentionLayout.packed(lengths, 3 * width, 0, headDim),
                    y, AttentionLayout.packed(lengths, 3 * width, width, headDim),
                    y, AttentionLayout.packed(lengths, 3 * width, 2 * width, headDim),
                    context, packedHeads, packed.batch(), heads, heads, len, len, headDim, mask, scale, threads);
            ScratchArrays.giveBack(y);
        } else {
            float[] q = linear(LinearSlot.QUERY).forward(kernels, activations, h, tokens);
            float[] k = linear(LinearSlot.KEY).forward(kernels, activations, h, tokens);
            float[] v = linear(LinearSlot.VALUE).forward(kernels, activations, h, tokens);
            FlashAttention.attention(q, packedHeads, k, packedHeads, v, packedHeads, context, packedHeads,
                    packed.batch(), heads, heads, len, len, headDim, mask, scale, threads);
            ScratchArrays.giveBack(q);
            ScratchArrays.giveBack(k);
            ScratchArrays.giveBack(v);
        }
        return context;
    }

    /** Any backend through {@link Kernels#attention}: heads copied into [batch, heads, length, headDim] and back. */
    private float[] attentionViaTensors(Kernels kernels, DType activations, float[] h, PackedSequences packed,
            AttentionMask mask) {
        int tokens = packed.tokenCount();
        int heads = heads();
        float[] q = packed.toHeads(linear(LinearSlot.QUERY).forward(kernels, activations, h, tokens), heads, headDim);
        float[] k = packed.toHeads(linear(LinearSlot.KEY).forward(kernels, activations, h, tokens), heads, headDim);
        float[] v = packed.toHeads(linear(LinearSlot.VALUE).forward(kernels, activations, h, tokens), heads, headDim);
        long[] headShape = {packed.batch(), heads, packed.maxLength(), headDim};
        try (Tensor tq = tensor(activations, q, headShape);
                Tensor tk = tensor(activations, k, headShape);
                Tensor tv = tensor(activations, v, headShape);
                Tensor to = kernels.attention(tq, tk, tv, mask, null)) {
            return packed.fromHeads(to.toFloatArray(), heads, headDim);
        }
    }

    /** Q, K and V stacked into one layer for the CPU path, built on first use; null when they cannot be stacked. */
    private synchronized LinearLayer fusedQkv() {
        if (!fusedTried) {
            fused = QkvFusion.fuse(linear(LinearSlot.QUERY), linear(LinearSlot.KEY), linear(LinearSlot.VALUE));
            fusedTried = true;
        }
        return fused;
    }

    /** Total parameters of the six linears and two LayerNorms as they are now. */
    public long parameterCount() {
        long n = 2L * (attentionNorm.width() + outputNorm.width()); // gamma and beta of each
        for (LinearLayer l : linears) {
            n += l.parameterCount();
        }
        return n;
    }

    static Tensor tensor(DType dtype, float[] values, long... shape) {
        return dtype == DType.F32 ? Tensor.of(values, shape) : Tensor.of(dtype, values, shape);
    }

    /** x = LayerNorm(x + residual). */
    private static void norm(LayerNorm norm, float[] x, float[] residual, int threads) {
        if (threads > 0) {
            norm.apply(x, residual, threads);
        } else {
            for (int i = 0; i < x.length; i++) {
                x[i] += residual[i];
            }
            norm.apply(x);
        }
    }

    private void set(LinearSlot slot, LinearLayer l) {
        linears[slot.ordinal()] = l;
        if (slot == LinearSlot.QUERY || slot == LinearSlot.KEY || slot == LinearSlot.VALUE) {
            dropFused();
        }
    }

    private synchronized void dropFused() {
        if (fused != null) {
            fused.close();
            fused = null;
        }
        fusedTried = false;
    }

    private void checkFeedForward(LinearLayer w1, LinearLayer w2) {
        notNull(w1, "intermediate");
        notNull(w2, "output");
        if (w1.inFeatures() != hidden || w2.outFeatures() != hidden || w1.outFeatures() != w2.inFeatures()) {
            throw new IllegalArgumentException("feed-forward: expected intermediate [k, " + hidden + "] and output ["
                    + hidden + ", k] but got [" + w1.outFeatures() + ", " + w1.inFeatures() + "] and ["
                    + w2.outFeatures() + ", " + w2.inFeatures() + "]");
        }
    }

    private void checkAttention(LinearLayer q, LinearLayer k, LinearLayer v, LinearLayer o) {
        notNull(q, "query");
        notNull(k, "key");
        notNull(v, "value");
        notNull(o, "attentionOutput");
        int width = q.outFeatures();
        boolean ok = q.inFeatures() == hidden && k.inFeatures() == hidden && v.inFeatures() == hidden
                && k.outFeatures() == width && v.outFeatures() == width && o.inFeatures() == width
                && o.outFeatures() == hidden && width % headDim == 0;
        if (!ok) {
            throw new IllegalArgumentException("attention: expected Q, K, V [h*" + headDim + ", " + hidden
                    + "] and O [" + hidden + ", h*" + headDim + "] but got Q [" + q.outFeatures() + ", "
                    + q.inFeatures() + "], K [" + k.outFeatures() + ", " + k.inFeatures() + "], V ["
                    + v.outFeatures() + ", " + v.inFeatures() + "], O [" + o.outFeatures() + ", " + o.inFeatures()
                    + "]");
        }
    }

    private static void notNull(LinearLayer l, String name) {
        if (l == null) {
            throw new IllegalArgumentException(name + ": expected a linear layer but got null");
        }
    }

    @Override
    public void close() {
        dropFused();
        for (LinearLayer l : linears) {
            l.close();
        }
    }
}
