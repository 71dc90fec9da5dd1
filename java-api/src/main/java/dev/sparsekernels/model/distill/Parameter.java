package dev.sparsekernels.model.distill;

/** One trainable array (a weight, a bias, a LayerNorm gain or shift) with its gradient and Adam's two moments. */
final class Parameter {
    final String name;
    final float[] value;
    final float[] grad;
    final float[] firstMoment;
    final float[] secondMoment;

    Parameter(String name, float[] value) {
        this.name = name;
        this.value = value;
        this.grad = new float[value.length];
        this.firstMoment = new float[value.length];
        this.secondMoment = new float[value.length];
    }

    int size() {
        return value.length;
    }
}
