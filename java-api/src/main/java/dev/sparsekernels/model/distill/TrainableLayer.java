package dev.sparsekernels.model.distill;

import dev.sparsekernels.cpu.Activations;
import dev.sparsekernels.model.BertLayer;
import dev.sparsekernels.model.Gelu;
import dev.sparsekernels.model.LayerNorm;
import dev.sparsekernels.model.LinearLayer;
import dev.sparsekernels.model.LinearSlot;
import java.util.List;

/**
 * One BERT layer as plain float arrays that can be trained: the same computation as {@link BertLayer}'s forward pass
 * (post-LayerNorm, Q/K/V stacked into one projection, exact GELU), plus its backward pass. Built from a layer whose
 * linears are dense (the trained weights, or the smaller dense ones channel and head removal leave), 2:4 or BSR
 * (trained as dense arrays with their pruned entries masked: {@link WeightFormat}), and written back into one in the
 * same formats when training ends.
 */
final class TrainableLayer {
    private final int hidden;
    private final int headDim;
    private final int heads;
    private final int width;
    private final int ffn;
    private final float scale;
    private final float attentionEps;
    private final float outputEps;
    private final WeightFormat[] formats;
    final Parameter qkvWeight;
    final Parameter qkvBias;
    final Parameter outWeight;
    final Parameter outBias;
    final Parameter attentionGamma;
    final Parameter attentionBeta;
    final Parameter upWeight;
    final Parameter upBias;
    final Parameter downWeight;
    final Parameter downBias;
    final Parameter outputGamma;
    final Parameter outputBeta;

    private TrainableLayer(String name, int hidden, int headDim, int heads, int ffn, float[][] w, float[][] b,
            WeightFormat[] formats, LayerNorm attentionNorm, LayerNorm outputNorm) {
        this.hidden = hidden;
        this.headDim = headDim;
        this.heads = heads;
        this.width = heads * headDim;
        this.ffn = ffn;
        this.scale = (float) (1.0 / Math.sqrt(headDim));
        this.formats = formats;
        float[] qkvW = new float[3 * width * hidden];
        float[] qkvB = new float[3 * width];
        float[] qkvMask = null;
        for (int i = 0; i < 3; i++) {
            System.arraycopy(w[i], 0, qkvW, i * width * hidden, width * hidden);
            System.arraycopy(b[i], 0, qkvB, i * width, width);
            float[] m = formats[i].mask(w[i], width, hidden);
            if (m != null && qkvMask == null) {
                qkvMask = new float[qkvW.length];
                java.util.Arrays.fill(qkvMask, 1f);
            }
            if (m != null) {
                System.arraycopy(m, 0, qkvMask, i * width * hidden, width * hidden);
            }
        }
        qkvWeight = new Parameter(name + ".qkv.weight", qkvW, qkvMask);
        qkvBias = new Parameter(name + ".qkv.bias", qkvB);
        outWeight = new Parameter(name + ".attention.output.weight", w[3], formats[3].mask(w[3], hidden, width));
        outBias = new Parameter(name + ".attention.output.bias", b[3]);
        attentionGamma = new Parameter(name + ".attention.LayerNorm.weight", attentionNorm.gamma());
        attentionBeta = new Parameter(name + ".attention.LayerNorm.bias", attentionNorm.beta());
        upWeight = new Parameter(name + ".intermediate.weight", w[4], formats[4].mask(w[4], ffn, hidden));
        upBias = new Parameter(name + ".intermediate.bias", b[4]);
        downWeight = new Parameter(name + ".output.weight", w[5], formats[5].mask(w[5], hidden, ffn));
        downBias = new Parameter(name + ".output.bias", b[5]);
        outputGamma = new Parameter(name + ".output.LayerNorm.weight", outputNorm.gamma());
        outputBeta = new Parameter(name + ".output.LayerNorm.bias", outputNorm.beta());
        this.attentionEps = attentionNorm.eps();
        this.outputEps = outputNorm.eps();
    }

    /** A copy of a layer's weights; every linear must be dense, 2:4 or BSR. */
    static TrainableLayer of(BertLayer layer, int index) {
        LinearSlot[] slots = LinearSlot.values();
        float[][] w = new float[slots.length][];
        float[][] b = new float[slots.length][];
        WeightFormat[] formats = new WeightFormat[slots.length];
        for (LinearSlot slot : slots) {
            LinearLayer l = layer.linear(slot);
            WeightFormat f = WeightFormat.of(l);
            if (f == null) {
                throw new IllegalArgumentException("layer " + index + " " + slot + ": distillation trains dense, 2:4"
                        + " and BSR linears but this one is " + l.format() + " (" + l.getClass().getSimpleName()
                        + ")");
            }
            formats[slot.ordinal()] = f;
            w[slot.ordinal()] = WeightFormat.denseWeight(l);
            b[slot.ordinal()] = WeightFormat.bias(l);
        }
        int hidden = layer.linear(LinearSlot.QUERY).inFeatures();
        return new TrainableLayer("layer." + index, hidden, layer.headDim(), layer.heads(),
                layer.intermediateWidth(), w, b, formats, layer.attentionNorm(), layer.outputNorm());
    }

    List<Parameter> parameters() {
        return List.of(qkvWeight, qkvBias, outWeight, outBias, attentionGamma, attentionBeta, upWeight, upBias,
                downWeight, downBias, outputGamma, outputBeta);
    }

    /**
     * The layer on packed states h [tokens, hidden] of sequences with these lengths and offsets; tape (null for a
     * forward pass only) gets what the backward pass needs.
     */
    float[] forward(float[] h, int[] lengths, int[] offsets, LayerTape tape, int threads) {
        int tokens = h.length / hidden;
        float[] qkv = Gemms.forward(h, tokens, hidden, qkvWeight.value, 3 * width, qkvBias.value, threads);
        float[][] probs = new float[lengths.length * heads][];
        float[] context = TrainingAttention.forward(qkv, lengths, offsets, heads, headDim, scale, probs, threads);
        float[] s1 = Gemms.forward(context, tokens, width, outWeight.value, hidden, outBias.value, threads);
        add(s1, h);
        float[] xhat1 = new float[s1.length];
        float[] inv1 = new float[tokens];
        float[] a = TrainingNorm.forward(s1, tokens, hidden, attentionGamma.value, attentionBeta.value, attentionEps,
                xhat1, inv1, threads);
        float[] u = Gemms.forward(a, tokens, hidden, upWeight.value, ffn, upBias.value, threads);
        float[] f = u.clone();
        Activations.gelu(f, threads);
        float[] s2 = Gemms.forward(f, tokens, ffn, downWeight.value, hidden, downBias.value, threads);
        add(s2, a);
        float[] xhat2 = new float[s2.length];
        float[] inv2 = new float[tokens];
        float[] y = TrainingNorm.forward(s2, tokens, hidden, outputGamma.value, outputBeta.value, outputEps, xhat2,
                inv2, threads);
        if (tape != null) {
            tape.input = h;
            tape.qkv = qkv;
            tape.probs = probs;
            tape.context = context;
            tape.attentionXhat = xhat1;
            tape.attentionInvStd = inv1;
            tape.normed = a;
            tape.preActivation = u;
            tape.activation = f;
            tape.outputXhat = xhat2;
            tape.outputInvStd = inv2;
        }
        return y;
    }

    /**
     * Gradients of every parameter (written, not added) for dy, the loss's gradient at this layer's output; returns
     * the gradient at its input, or null when inputGradient is false (the first layer: embeddings are not trained,
     * and that product is a twelfth of the backward pass's GEMM work).
     */
    float[] backward(LayerTape tape, float[] dy, int[] lengths, int[] offsets, boolean inputGradient, int threads) {
        int tokens = dy.length / hidden;
        float[] ds2 = TrainingNorm.backward(dy, tape.outputXhat, tape.outputInvStd, tokens, hidden,
                outputGamma.value, outputGamma.grad, outputBeta.grad, threads);
        Gemms.weightGradient(ds2, tape.activation, tokens, hidden, ffn, downWeight.grad, downBias.grad, threads);
        float[] du = Gemms.inputGradient(ds2, tokens, hidden, downWeight.value, ffn, threads);
        float[] u = tape.preActivation;
        Gemms.forRows(tokens, threads, (from, to) -> {
            for (int i = from * ffn; i < to * ffn; i++) {
                du[i] *= (float) Gelu.derivative(u[i]);
            }
        });
        Gemms.weightGradient(du, tape.normed, tokens, ffn, hidden, upWeight.grad, upBias.grad, threads);
        float[] da = Gemms.inputGradient(du, tokens, ffn, upWeight.value, hidden, threads);
        add(da, ds2);
        float[] ds1 = TrainingNorm.backward(da, tape.attentionXhat, tape.attentionInvStd, tokens, hidden,
                attentionGamma.value, attentionGamma.grad, attentionBeta.grad, threads);
        Gemms.weightGradient(ds1, tape.context, tokens, hidden, width, outWeight.grad, outBias.grad, threads);
        float[] dContext = Gemms.inputGradient(ds1, tokens, hidden, outWeight.value, width, threads);
        float[] dqkv = TrainingAttention.backward(dContext, tape.qkv, lengths, offsets, heads, headDim, scale,
                tape.probs, threads);
        Gemms.weightGradient(dqkv, tape.input, tokens, 3 * width, hidden, qkvWeight.grad, qkvBias.grad, threads);
        if (!inputGradient) {
            return null;
        }
        float[] dh = Gemms.inputGradient(dqkv, tokens, 3 * width, qkvWeight.value, hidden, threads);
        add(dh, ds1);
        return dh;
    }

    /**
     * Puts the trained weights into the layer as new linears (each in the format it had) and LayerNorms; the old
     * ones are closed.
     */
    void writeTo(BertLayer layer) {
        int wh = width * hidden;
        List<LinearLayer> oldAttention = layer.replaceAttention(
                formats[0].build(java.util.Arrays.copyOfRange(qkvWeight.value, 0, wh), slice(qkvBias.value, 0),
                        width, hidden),
                formats[1].build(java.util.Arrays.copyOfRange(qkvWeight.value, wh, 2 * wh), slice(qkvBias.value, 1),
                        width, hidden),
                formats[2].build(java.util.Arrays.copyOfRange(qkvWeight.value, 2 * wh, 3 * wh),
                        slice(qkvBias.value, 2), width, hidden),
                formats[3].build(outWeight.value, outBias.value, hidden, width));
        List<LinearLayer> oldFeedForward = layer.replaceFeedForward(
                formats[4].build(upWeight.value, upBias.value, ffn, hidden),
                formats[5].build(downWeight.value, downBias.value, hidden, ffn));
        layer.replaceNorms(new LayerNorm(attentionGamma.value, attentionBeta.value, attentionEps),
                new LayerNorm(outputGamma.value, outputBeta.value, outputEps));
        oldAttention.forEach(LinearLayer::close);
        oldFeedForward.forEach(LinearLayer::close);
    }

    private float[] slice(float[] stacked, int part) {
        return java.util.Arrays.copyOfRange(stacked, part * width, (part + 1) * width);
    }

    private static void add(float[] x, float[] y) {
        for (int i = 0; i < x.length; i++) {
            x[i] += y[i];
        }
    }
}
