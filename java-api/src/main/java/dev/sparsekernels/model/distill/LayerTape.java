package dev.sparsekernels.model.distill;

/** What one layer's forward pass keeps for its backward pass (one batch). */
final class LayerTape {
    float[] input;
    float[] qkv;
    float[][] probs;
    float[] context;
    float[] attentionXhat;
    float[] attentionInvStd;
    float[] normed;
    float[] preActivation;
    float[] activation;
    float[] outputXhat;
    float[] outputInvStd;
}
