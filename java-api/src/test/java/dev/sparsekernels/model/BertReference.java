package dev.sparsekernels.model;

import java.util.Map;

/**
 * BERT written out the textbook way, one sequence at a time with no padding, in double, with an exact erf: the
 * reference the encoder (packed batches, our kernels, float) must match. Deliberately shares no code with it.
 */
final class BertReference {
    private final BertConfig c;
    private final Map<String, float[]> p;

    BertReference(BertConfig c, Map<String, float[]> p) {
        this.c = c;
        this.p = p;
    }

    /** Token states after the last layer, [ids.length][hidden]. */
    double[][] states(int[] ids) {
        int n = ids.length;
        int h = c.hidden();
        double[][] x = new double[n][h];
        for (int t = 0; t < n; t++) {
            for (int j = 0; j < h; j++) {
                x[t][j] = p.get("embeddings.word_embeddings.weight")[ids[t] * h + j]
                        + p.get("embeddings.position_embeddings.weight")[t * h + j]
                        + p.get("embeddings.token_type_embeddings.weight")[j];
            }
            layerNorm(x[t], "embeddings.LayerNorm");
        }
        for (int l = 0; l < c.layers(); l++) {
            String pre = "encoder.layer." + l + ".";
            double[][] q = linear(x, pre + "attention.self.query");
            double[][] k = linear(x, pre + "attention.self.key");
            double[][] v = linear(x, pre + "attention.self.value");
            double[][] ctx = new double[n][h];
            int d = c.headDim();
            for (int head = 0; head < c.heads(); head++) {
                for (int i = 0; i < n; i++) {
                    double[] s = new double[n];
                    double max = Double.NEGATIVE_INFINITY;
                    for (int j = 0; j < n; j++) {
                        double dot = 0;
                        for (int e = 0; e < d; e++) {
                            dot += q[i][head * d + e] * k[j][head * d + e];
                        }
                        s[j] = dot / Math.sqrt(d);
                        max = Math.max(max, s[j]);
                    }
                    double sum = 0;
                    for (int j = 0; j < n; j++) {
                        s[j] = Math.exp(s[j] - max);
                        sum += s[j];
                    }
                    for (int j = 0; j < n; j++) {
                        for (int e = 0; e < d; e++) {
                            ctx[i][head * d + e] += s[j] / sum * v[j][head * d + e];
                        }
                    }
                }
            }
            double[][] a = linear(ctx, pre + "attention.output.dense");
            for (int t = 0; t < n; t++) {
                for (int j = 0; j < h; j++) {
                    a[t][j] += x[t][j];
                }
                layerNorm(a[t], pre + "attention.output.LayerNorm");
            }
            double[][] f = linear(a, pre + "intermediate.dense");
            for (double[] row : f) {
                for (int j = 0; j < row.length; j++) {
                    row[j] = 0.5 * row[j] * (1 + erf(row[j] / Math.sqrt(2)));
                }
            }
            double[][] y = linear(f, pre + "output.dense");
            for (int t = 0; t < n; t++) {
                for (int j = 0; j < h; j++) {
                    y[t][j] += a[t][j];
                }
                layerNorm(y[t], pre + "output.LayerNorm");
            }
            x = y;
        }
        return x;
    }

    /** Mean over tokens, unit L2 norm. */
    double[] embedding(int[] ids) {
        double[][] s = states(ids);
        double[] m = new double[c.hidden()];
        for (double[] row : s) {
            for (int j = 0; j < m.length; j++) {
                m[j] += row[j] / s.length;
            }
        }
        double norm = 0;
        for (double v : m) {
            norm += v * v;
        }
        norm = Math.sqrt(norm);
        for (int j = 0; j < m.length; j++) {
            m[j] /= norm;
        }
        return m;
    }

    private double[][] linear(double[][] x, String module) {
        float[] w = p.get(module + ".weight");
        float[] b = p.get(module + ".bias");
        int out = b.length;
        int in = x[0].length;
        double[][] y = new double[x.length][out];
        for (int t = 0; t < x.length; t++) {
            for (int o = 0; o < out; o++) {
                double acc = b[o];
                for (int i = 0; i < in; i++) {
                    acc += x[t][i] * w[o * in + i];
                }
                y[t][o] = acc;
            }
        }
        return y;
    }

    private void layerNorm(double[] x, String prefix) {
        float[] g = p.get(prefix + ".weight");
        float[] b = p.get(prefix + ".bias");
        double mean = 0;
        for (double v : x) {
            mean += v / x.length;
        }
        double var = 0;
        for (double v : x) {
            var += (v - mean) * (v - mean) / x.length;
        }
        for (int j = 0; j < x.length; j++) {
            x[j] = (x[j] - mean) / Math.sqrt(var + c.layerNormEps()) * g[j] + b[j];
        }
    }

    /**
     * erf to about 1e-13: its Taylor series for |x| <= 3 (largest term about 1e3, so little cancellation), else
     * 1 - erfc(x) with erfc from Laplace's continued fraction, evaluated backwards.
     */
    static double erf(double x) {
        double a = Math.abs(x);
        if (a <= 3) {
            double sum = 0;
            double term = x; // (-1)^n x^(2n+1) / n!
            for (int n = 0; n < 100; n++) {
                sum += term / (2 * n + 1);
                term *= -x * x / (n + 1);
            }
            return 2 / Math.sqrt(Math.PI) * sum;
        }
        double k = a;
        for (int n = 80; n >= 1; n--) {
            k = a + (n / 2.0) / k;
        }
        double erfc = Math.exp(-a * a) / Math.sqrt(Math.PI) / k;
        return Math.signum(x) * (1 - erfc);
    }
}
