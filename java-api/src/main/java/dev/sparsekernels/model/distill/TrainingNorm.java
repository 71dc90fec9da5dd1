package dev.sparsekernels.model.distill;

/**
 * LayerNorm over rows for training: the forward pass keeps the normalised rows x̂ and each row's 1/σ, from which the
 * backward pass gets ds = (1/σ)·(g − mean(g) − x̂·mean(g·x̂)) with g = dy·γ, plus the gradients of γ and β.
 * Statistics in double, as the inference LayerNorm.
 */
final class TrainingNorm {
    private TrainingNorm() {
    }

    /**
     * y = LayerNorm(s) row by row, s [rows, width]; fills xhat [rows, width] and invStd [rows] for the backward pass.
     */
    static float[] forward(float[] s, int rows, int width, float[] gamma, float[] beta, float eps, float[] xhat,
            float[] invStd, int threads) {
        float[] y = new float[s.length];
        Gemms.forRows(rows, threads, (from, to) -> {
            for (int r = from; r < to; r++) {
                int off = r * width;
                double sum = 0;
                for (int c = 0; c < width; c++) {
                    sum += s[off + c];
                }
                double mean = sum / width;
                double sq = 0;
                for (int c = 0; c < width; c++) {
                    double d = s[off + c] - mean;
                    sq += d * d;
                }
                double inv = 1.0 / Math.sqrt(sq / width + eps);
                invStd[r] = (float) inv;
                for (int c = 0; c < width; c++) {
                    float xh = (float) ((s[off + c] - mean) * inv);
                    xhat[off + c] = xh;
                    y[off + c] = xh * gamma[c] + beta[c];
                }
            }
        });
        return y;
    }

    /** ds for dy; writes dGamma = Σ_rows dy·x̂ and dBeta = Σ_rows dy. */
    static float[] backward(float[] dy, float[] xhat, float[] invStd, int rows, int width, float[] gamma,
            float[] dGamma, float[] dBeta, int threads) {
        float[] ds = new float[dy.length];
        Gemms.forRows(rows, threads, (from, to) -> {
            float[] g = new float[width];
            for (int r = from; r < to; r++) {
                int off = r * width;
                double m1 = 0;
                double m2 = 0;
                for (int c = 0; c < width; c++) {
                    g[c] = dy[off + c] * gamma[c];
                    m1 += g[c];
                    m2 += (double) g[c] * xhat[off + c];
                }
                float mean1 = (float) (m1 / width);
                float mean2 = (float) (m2 / width);
                float inv = invStd[r];
                for (int c = 0; c < width; c++) {
                    ds[off + c] = inv * (g[c] - mean1 - xhat[off + c] * mean2);
                }
            }
        });
        double[] dg = new double[width];
        double[] db = new double[width];
        for (int r = 0; r < rows; r++) {
            int off = r * width;
            for (int c = 0; c < width; c++) {
                dg[c] += (double) dy[off + c] * xhat[off + c];
                db[c] += dy[off + c];
            }
        }
        for (int c = 0; c < width; c++) {
            dGamma[c] = (float) dg[c];
            dBeta[c] = (float) db[c];
        }
        return ds;
    }
}
