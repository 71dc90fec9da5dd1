package dev.sparsekernels.model.distill;

import dev.sparsekernels.cpu.Activations;

/**
 * Softmax attention for training on packed rows of a stacked projection [Q | K | V] (each heads·headDim wide), one
 * (sequence, head) pair per task. Unlike the inference kernel it keeps each pair's probabilities P [L, L]: sentences
 * are short (tens of tokens), so P costs less memory than the activations, and the backward pass needs it:
 * dV = Pᵀ·dC, dP = dC·Vᵀ, dS = P∘(dP − rowsum(P∘dP)), dQ = scale·dS·K, dK = scale·dSᵀ·Q.
 */
final class TrainingAttention {
    private TrainingAttention() {
    }

    /** Context [tokens, heads·headDim]; probs[b·heads + h] gets the pair's P [L_b, L_b]. */
    static float[] forward(float[] qkv, int[] lengths, int[] offsets, int heads, int headDim, float scale,
            float[][] probs, int threads) {
        int width = heads * headDim;
        int stride = 3 * width;
        int tokens = offsets[lengths.length - 1] + lengths[lengths.length - 1];
        float[] context = new float[tokens * width];
        Activations.parallelFor(threads, lengths.length * heads, task -> {
            int b = task / heads;
            int h = task % heads;
            int len = lengths[b];
            int base = offsets[b];
            int qc = h * headDim;
            int kc = width + qc;
            int vc = 2 * width + qc;
            float[] p = new float[len * len];
            for (int i = 0; i < len; i++) {
                int qo = (base + i) * stride + qc;
                float max = Float.NEGATIVE_INFINITY;
                for (int j = 0; j < len; j++) {
                    int ko = (base + j) * stride + kc;
                    float s = 0;
                    for (int d = 0; d < headDim; d++) {
                        s += qkv[qo + d] * qkv[ko + d];
                    }
                    s *= scale;
                    p[i * len + j] = s;
                    max = Math.max(max, s);
                }
                double sum = 0;
                for (int j = 0; j < len; j++) {
                    float e = (float) Math.exp(p[i * len + j] - max);
                    p[i * len + j] = e;
                    sum += e;
                }
                float inv = (float) (1 / sum);
                int co = (base + i) * width + qc;
                for (int j = 0; j < len; j++) {
                    float pij = p[i * len + j] * inv;
                    p[i * len + j] = pij;
                    int vo = (base + j) * stride + vc;
                    for (int d = 0; d < headDim; d++) {
                        context[co + d] += pij * qkv[vo + d];
                    }
                }
            }
            probs[task] = p;
        });
        return context;
    }

    /** dQKV [tokens, 3·heads·headDim] from dContext [tokens, heads·headDim]. */
    static float[] backward(float[] dContext, float[] qkv, int[] lengths, int[] offsets, int heads, int headDim,
            float scale, float[][] probs, int threads) {
        int width = heads * headDim;
        int stride = 3 * width;
        float[] dqkv = new float[qkv.length];
        Activations.parallelFor(threads, lengths.length * heads, task -> {
            int b = task / heads;
            int h = task % heads;
            int len = lengths[b];
            int base = offsets[b];
            int qc = h * headDim;
            int kc = width + qc;
            int vc = 2 * width + qc;
            float[] p = probs[task];
            float[] ds = new float[len];
            for (int i = 0; i < len; i++) {
                int co = (base + i) * width + qc;
                double dot = 0;
                for (int j = 0; j < len; j++) {
                    int vo = (base + j) * stride + vc;
                    float dp = 0;
                    for (int d = 0; d < headDim; d++) {
                        dp += dContext[co + d] * qkv[vo + d];
                    }
                    float pij = p[i * len + j];
                    ds[j] = dp;
                    dot += pij * dp;
                    int dvo = (base + j) * stride + vc;
                    for (int d = 0; d < headDim; d++) {
                        dqkv[dvo + d] += pij * dContext[co + d];
                    }
                }
                int qo = (base + i) * stride + qc;
                for (int j = 0; j < len; j++) {
                    float dsij = p[i * len + j] * (ds[j] - (float) dot) * scale;
                    int ko = (base + j) * stride + kc;
                    for (int d = 0; d < headDim; d++) {
                        dqkv[qo + d] += dsij * qkv[ko + d];
                        dqkv[ko + d] += dsij * qkv[qo + d];
                    }
                }
            }
        });
        return dqkv;
    }
}
