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
