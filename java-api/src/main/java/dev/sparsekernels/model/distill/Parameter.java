package dev.sparsekernels.model.distill;

/**
 * One trainable array (a weight, a bias, a LayerNorm gain or shift) with its gradient and Adam's two moments. An
 * optional 0/1 mask marks entries a sparse format has pruned: they stay exactly zero.
 */
final class Parameter {
    final String name;
    final float[] value;
    final float[] grad;
    final float[] mask;
    final float[] firstMoment;
    final float[] secondMoment;

    Parameter(String name, float[] value, float[] mask) {
        if (mask != null && mask.length != value.length) {
            throw new IllegalArgumentException(name + ": a mask of " + mask.length + " entries for " + value.length
                    + " values");
        }
        this.name = name;
        this.value = value;
        this.grad = new float[value.length];
        this.mask = mask;
        this.firstMoment = new float[value.length];
        this.secondMoment = new float[value.length];
    }

    Parameter(String name, float[] value) {
        this(name, value, null);
    }

    int size() {
        return value.length;
    }
}
