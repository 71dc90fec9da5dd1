package dev.sparsekernels.model;

/**
 * GELU in the exact (erf) form BERT uses, {@code x · ½ · (1 + erf(x / √2))}, in place.
 *
 * <p>The JDK has no erf, so it is Abramowitz and Stegun 7.1.26 evaluated in double: |error| below 1.5e-7 for every
 * x, about one float ulp of erf near 1, so GELU differs from the exact value by at most 7.5e-8·|x|: far below
 * what float GEMMs change. One exp per value keeps it cheap next to the FFN's GEMMs.
 */
public final class Gelu {
    private static final double INV_SQRT2 = 0.7071067811865476;
    private static final double INV_SQRT_2PI = 0.3989422804014327;

    private Gelu() {
    }

    public static void apply(float[] x) {
        for (int i = 0; i < x.length; i++) {
            double v = x[i];
            x[i] = (float) (0.5 * v * (1.0 + erf(v * INV_SQRT2)));
        }
    }

    /** dGELU/dx = Φ(x) + x·φ(x), with Φ from the same erf and φ the standard normal density. */
    public static double derivative(double x) {
        return 0.5 * (1.0 + erf(x * INV_SQRT2)) + x * Math.exp(-0.5 * x * x) * INV_SQRT_2PI;
    }

    /** erf(x) with |error| < 1.5e-7 (A&S 7.1.26), odd symmetry for negative x. */
    static double erf(double x) {
        double a = Math.abs(x);
        double t = 1.0 / (1.0 + 0.3275911 * a);
        double poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027
                + t * 1.061405429))));
        double y = 1.0 - poly * Math.exp(-a * a);
        return x < 0 ? -y : y;
    }
}
