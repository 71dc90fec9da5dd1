package dev.sparsekernels.model.distill;

import java.util.List;

/**
 * Adam (Kingma and Ba) with bias correction and no weight decay: distillation starts from trained weights and should
 * stay near them, so nothing pulls them towards zero. Masked entries (a sparse format's pruned weights) are never
 * updated, so they stay exactly zero.
 */
final class Adam {
    private final double beta1;
    private final double beta2;
    private final double epsilon;
    private int steps;

    Adam(double beta1, double beta2, double epsilon) {
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.epsilon = epsilon;
    }

    int steps() {
        return steps;
    }

    /** One update of every parameter from its current gradient, at learning rate lr. */
    void step(List<Parameter> parameters, double lr) {
        steps++;
        double c1 = 1 - Math.pow(beta1, steps);
        double c2 = 1 - Math.pow(beta2, steps);
        float b1 = (float) beta1;
        float b2 = (float) beta2;
        float stepSize = (float) (lr / c1);
        float eps = (float) epsilon;
        float invC2 = (float) (1 / c2);
        for (Parameter p : parameters) {
            float[] w = p.value;
            float[] g = p.grad;
            float[] m = p.firstMoment;
            float[] v = p.secondMoment;
            float[] mask = p.mask;
            for (int i = 0; i < w.length; i++) {
                if (mask != null && mask[i] == 0f) {
                    continue;
                }
                float gi = g[i];
                m[i] = b1 * m[i] + (1 - b1) * gi;
                v[i] = b2 * v[i] + (1 - b2) * gi * gi;
                w[i] -= stepSize * m[i] / ((float) Math.sqrt(v[i] * invC2) + eps);
            }
        }
    }
}
