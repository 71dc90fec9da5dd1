package dev.sparsekernels.cpu;

/**
 * Plain-Java element-wise kernels: the fallback when the Vector API is absent, and the tail of every vector loop.
 *
 * <p>erf is Abramowitz and Stegun 7.1.26 in double (|error| below 1.5e-7 for every x; the JDK has no erf). GELU is
 * written as {@code x · (1 − ½·q)} for x ≥ 0 and {@code x · ½·q} for x < 0 with {@code q = 1 − erf(|x|/√2)} (the
 * polynomial times exp), which is the same function but keeps the small values of GELU at negative x instead of
 * cancelling them in {@code 1 + erf}.
 */
final class ScalarElementwise implements ElementwiseKernels {
    static final ScalarElementwise INSTANCE = new ScalarElementwise();

    static final double INV_SQRT2 = 0.7071067811865476;
    // A&S 7.1.26: erf(z) = 1 - t(a1 + t(a2 + t(a3 + t(a4 + t a5)))) e^{-z^2}, t = 1 / (1 + p z), z >= 0
    static final double P = 0.3275911;
    static final double A1 = 0.254829592;
    static final double A2 = -0.284496736;
    static final double A3 = 1.421413741;
    static final double A4 = -1.453152027;
    static final double A5 = 1.061405429;

    private ScalarElementwise() {
    }

    @Override
    public String describe() {
        return "scalar (plain Java)";
    }

    /**
     * Sums in double, four partial sums per pass, each over a fixed quarter of the lanes: a single accumulator made
     * each pass a chain of dependent adds.
     */
    @Override
    public void layerNormRow(float[] x, float[] residual, int off, int n, float[] gamma, float[] beta, float eps) {
        if (residual != null) {
            for (int i = off; i < off + n; i++) {
                x[i] += residual[i];
            }
        }
        double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
        int i = 0;
        for (; i + 4 <= n; i += 4) {
            s0 += x[off + i];
            s1 += x[off + i + 1];
            s2 += x[off + i + 2];
            s3 += x[off + i + 3];
        }
        for (; i < n; i++) {
            s0 += x[off + i];
        }
        double mean = ((s0 + s1) + (s2 + s3)) / n;
        double q0 = 0, q1 = 0, q2 = 0, q3 = 0;
        i = 0;
        for (; i + 4 <= n; i += 4) {
            double d0 = x[off + i] - mean, d1 = x[off + i + 1] - mean;
            double d2 = x[off + i + 2] - mean, d3 = x[off + i + 3] - mean;
            q0 += d0 * d0;
            q1 += d1 * d1;
            q2 += d2 * d2;
            q3 += d3 * d3;
        }
        for (; i < n; i++) {
            double d = x[off + i] - mean;
            q0 += d * d;
        }
        double inv = 1.0 / Math.sqrt(((q0 + q1) + (q2 + q3)) / n + eps);
        for (i = 0; i < n; i++) {
            x[off + i] = (float) ((x[off + i] - mean) * inv * gamma[i] + beta[i]);
        }
    }

    @Override
    public void gelu(float[] x, int from, int to) {
        for (int i = from; i < to; i++) {
            x[i] = gelu(x[i]);
        }
    }

    static float gelu(float value) {
        double v = value;
        double z = Math.abs(v) * INV_SQRT2;
        double t = 1.0 / (1.0 + P * z);
        double halfQ = 0.5 * t * (A1 + t * (A2 + t * (A3 + t * (A4 + t * A5)))) * Math.exp(-z * z);
        return (float) (v * (v < 0 ? halfQ : 1.0 - halfQ));
    }
}
