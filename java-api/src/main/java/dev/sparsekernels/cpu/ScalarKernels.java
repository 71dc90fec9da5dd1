package dev.sparsekernels.cpu;

/**
 * Plain-Java microkernels: the fallback when the Vector API is absent. Same blocking and layouts as
 * {@link VectorKernels} (driven by {@link GemmDriver}); the inner loops run along a contiguous X^T row so C2's
 * auto-vectorizer can still use SIMD where it manages to.
 */
final class ScalarKernels implements CpuKernels {
    static final ScalarKernels INSTANCE = new ScalarKernels();

    @Override
    public String describe() {
        return "scalar (plain Java)";
    }

    @Override
    public void dense6(float[] xt, int xo, float[] w, int wOff, int in, int kLen, float[] c, int c0, int cs) {
        for (int r = 0; r < DENSE_ROWS; r++) {
            dense1(xt, xo, w, wOff + r * in, kLen, c, c0 + r * cs);
        }
    }

    @Override
    public void dense1(float[] xt, int xo, float[] w, int w0, int kLen, float[] c, int c0) {
        for (int k = 0; k < kLen; k++) {
            float b = w[w0 + k];
            int x = xo + k * DENSE_NB;
            for (int j = 0; j < DENSE_NB; j++) {
                c[c0 + j] += b * xt[x + j];
            }
        }
    }

    @Override
    public void denseDot(float[] x, int tokens, int in, float[] w, int out, int o0, int o1, float[] bias, float[] y) {
        for (int t = 0; t < tokens; t++) {
            int xo = t * in;
            int o = o0;
            for (; o + 4 <= o1; o += 4) {
                int w0 = o * in, w1 = w0 + in, w2 = w1 + in, w3 = w2 + in;
                float s0 = 0, s1 = 0, s2 = 0, s3 = 0;
                for (int k = 0; k < in; k++) {
                    float xv = x[xo + k];
                    s0 += w[w0 + k] * xv;
                    s1 += w[w1 + k] * xv;
                    s2 += w[w2 + k] * xv;
                    s3 += w[w3 + k] * xv;
                }
                int yo = t * out + o;
                y[yo] = s0 + (bias == null ? 0f : bias[o]);
                y[yo + 1] = s1 + (bias == null ? 0f : bias[o + 1]);
                y[yo + 2] = s2 + (bias == null ? 0f : bias[o + 2]);
                y[yo + 3] = s3 + (bias == null ? 0f : bias[o + 3]);
            }
            for (; o < o1; o++) {
                int w0 = o * in;
                float s = 0;
                for (int k = 0; k < in; k++) {
                    s += w[w0 + k] * x[xo + k];
                }
                y[t * out + o] = s + (bias == null ? 0f : bias[o]);
            }
        }
    }

    @Override
    public void sparse12(float[] xt, int xb, float[] vals, int[] kidx, int ea, int n, float[] c, int ca) {
        sparseNarrow(xt, xb, vals, kidx, ea, n, c, ca, SPARSE_NB / 8);
    }

    @Override
    public void sparseNarrow(float[] xt, int xb, float[] vals, int[] kidx, int ea, int n, float[] c, int ca, int vecs) {
        int width = 8 * vecs;
        for (int e = 0; e < n; e++) {
            int x = xb + kidx[ea + e];
            float v = vals[ea + e];
            for (int j = 0; j < width; j++) {
                c[ca + j] += v * xt[x + j];
            }
        }
    }

    @Override
    public void sparseGemvBlock(float[] x, int k0, float[] vals, int eBlock, int n, byte[] idx, int rowBytes, int o0,
                                int o1, float[] acc) {
        for (int o = o0; o < o1; o++) {
            acc[(o - o0) * 8] += GemmDriver.sparseDotBlock(x, k0, vals, eBlock + o * n, idx, o * rowBytes + k0 / 8,
                    n / 2);
        }
    }

    @Override
    public void bsr6(float[] xt, int xo, int[] cols, int n0, int n1, float[] w, int wRow, int bs, int bc, float[] c,
                     int c0, int cs) {
        for (int r = 0; r < 6; r++) {
            bsr1(xt, xo, cols, n0, n1, w, wRow + r * bc, bs, bc, c, c0 + r * cs);
        }
    }

    @Override
    public void bsr4(float[] xt, int xo, int[] cols, int n0, int n1, float[] w, int wRow, int bs, int bc, float[] c,
                     int c0, int cs) {
        for (int r = 0; r < 4; r++) {
            bsr1(xt, xo, cols, n0, n1, w, wRow + r * bc, bs, bc, c, c0 + r * cs);
        }
    }

    /** One row: the inner loop runs along a contiguous X^T row of 16 tokens. */
    static void bsr1(float[] xt, int xo, int[] cols, int n0, int n1, float[] w, int wRow, int bs, int bc, float[] c,
                     int c0) {
        for (int n = n0; n < n1; n++) {
            int x = xo + cols[n] * bc * DENSE_NB;
            int wo = n * bs + wRow;
            for (int k = 0; k < bc; k++) {
                float b = w[wo + k];
                int xk = x + k * DENSE_NB;
                for (int j = 0; j < DENSE_NB; j++) {
                    c[c0 + j] += b * xt[xk + j];
                }
            }
        }
    }

    @Override
    public void bsrPrepared6(float[] w, int wo, int[] cols, int g0, int g1, float[] x, int x0, int in, float[] c,
                             int c0, int cs, float[] bias, int bo) {
        for (int t = 0; t < DENSE_ROWS; t++) {
            bsrPrepared1(w, wo, cols, g0, g1, x, x0 + t * in, c, c0 + t * cs, bias, bo);
        }
    }

    @Override
    public void bsrPrepared1(float[] w, int wo, int[] cols, int g0, int g1, float[] x, int x0, float[] c, int c0,
                             float[] bias, int bo) {
        java.util.Arrays.fill(c, c0, c0 + DENSE_NB, 0f);
        for (int g = g0, wg = wo; g < g1; g++, wg += DENSE_NB) {
            float b = x[x0 + cols[g]];
            for (int j = 0; j < DENSE_NB; j++) {
                c[c0 + j] += b * w[wg + j];
            }
        }
        if (bias != null) {
            for (int j = 0; j < DENSE_NB; j++) {
                c[c0 + j] += bias[bo + j];
            }
        }
    }

    @Override
    public void bsrDot4(float[] x, int xo, int[] cols, int n0, int n1, float[] w, int wRow, int bs, int bc, float[] y,
                        int yo) {
        float s0 = 0, s1 = 0, s2 = 0, s3 = 0;
        for (int n = n0; n < n1; n++) {
            int xb = xo + cols[n] * bc;
            int w0 = n * bs + wRow, w1 = w0 + bc, w2 = w1 + bc, w3 = w2 + bc;
            for (int k = 0; k < bc; k++) {
                float xv = x[xb + k];
                s0 += w[w0 + k] * xv;
                s1 += w[w1 + k] * xv;
                s2 += w[w2 + k] * xv;
                s3 += w[w3 + k] * xv;
            }
        }
        y[yo] = s0;
        y[yo + 1] = s1;
        y[yo + 2] = s2;
        y[yo + 3] = s3;
    }
}
