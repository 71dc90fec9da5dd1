package dev.sparsekernels.cpu;

/**
 * Plain, obviously correct loops with double accumulation: the oracle the fast kernels are tested against.
 * Slow by design. Convention: PyTorch {@code nn.Linear}, {@code Y[tokens, out] = X[tokens, in] · W[out, in]ᵀ + b}.
 */
public final class ScalarReference {
    private ScalarReference() {}

    /** Dense: {@code y[t*out + o] = sum_k x[t*in + k] * w[o*in + k] + bias[o]}; {@code bias} may be null. */
    public static void denseLinear(float[] x, int tokens, int in, float[] w, int out, float[] bias, float[] y) {
        Checks.positive("tokens", tokens);
        Checks.positive("in", in);
        Checks.positive("out", out);
        Checks.notNull("x", x);
        Checks.notNull("w", w);
        Checks.notNull("y", y);
        Checks.length("x", x.length, tokens, in, "tokens*in");
        Checks.length("w", w.length, out, in, "out*in");
        Checks.length("y", y.length, tokens, out, "tokens*out");
        if (bias != null) {
            Checks.length("bias", bias.length, out, "out");
        }
        for (int t = 0; t < tokens; t++) {
            for (int o = 0; o < out; o++) {
                double s = bias == null ? 0.0 : bias[o];
                for (int k = 0; k < in; k++) {
                    s += (double) x[t * in + k] * w[o * in + k];
                }
                y[t * out + o] = (float) s;
            }
        }
    }

    /**
     * 2:4 sparse, in the CPU format (see {@link Sparse24Weights}): per row, group g of 4 inputs keeps two values
     * {@code values[o*(in/2) + 2g]} (first position) and {@code values[o*(in/2) + 2g + 1]} (second position); the
     * positions are the nibble of group g in {@code indices[o*((in+7)/8) + g/2]} (low nibble for even g), bits [1:0]
     * first, bits [3:2] second.
     */
    public static void sparse24Linear(float[] x, int tokens, int in, float[] values, byte[] indices, int out,
                                      float[] bias, float[] y) {
        Checks.positive("tokens", tokens);
        Checks.sparse24Shapes(values, indices, out, in);
        Checks.notNull("x", x);
        Checks.notNull("y", y);
        Checks.length("x", x.length, tokens, in, "tokens*in");
        Checks.length("y", y.length, tokens, out, "tokens*out");
        if (bias != null) {
            Checks.length("bias", bias.length, out, "out");
        }
        int groups = in / 4;
        int rowBytes = (in + 7) / 8;
        for (int t = 0; t < tokens; t++) {
            for (int o = 0; o < out; o++) {
                double s = bias == null ? 0.0 : bias[o];
                for (int g = 0; g < groups; g++) {
                    int b = indices[o * rowBytes + g / 2] & 0xff;
                    int nib = Checks.nibble(indices, o, g, (g & 1) == 0 ? b & 0xf : b >>> 4);
                    int p0 = nib & 3;
                    int p1 = nib >>> 2;
                    s += (double) values[o * (in / 2) + 2 * g] * x[t * in + 4 * g + p0];
                    s += (double) values[o * (in / 2) + 2 * g + 1] * x[t * in + 4 * g + p1];
                }
                y[t * out + o] = (float) s;
            }
        }
    }

    /**
     * Block-sparse (BSR, docs/formats.md): W [out, in] in blockRows x blockCols blocks; block row R holds entries
     * {@code rowPointers[R] .. rowPointers[R+1]-1}, entry n is block column {@code columnIndices[n]} with values
     * {@code values[(n*blockRows + i)*blockCols + j] = W[R*blockRows + i][columnIndices[n]*blockCols + j]}; absent
     * blocks are zero (and never read: rows of empty block rows get exactly the bias, or 0).
     */
    public static void bsrLinear(float[] x, int tokens, int in, int out, int blockRows, int blockCols,
                                 int[] rowPointers, int[] columnIndices, float[] values, float[] bias, float[] y) {
        Checks.positive("tokens", tokens);
        Checks.bsrShapes(out, in, blockRows, blockCols, rowPointers, columnIndices, values);
        Checks.notNull("x", x);
        Checks.notNull("y", y);
        Checks.length("x", x.length, tokens, in, "tokens*in");
        Checks.length("y", y.length, tokens, out, "tokens*out");
        if (bias != null) {
            Checks.length("bias", bias.length, out, "out");
        }
        int nbr = out / blockRows;
        double[] s = new double[blockRows];
        for (int t = 0; t < tokens; t++) {
            for (int r = 0; r < nbr; r++) {
                for (int i = 0; i < blockRows; i++) {
                    s[i] = bias == null ? 0.0 : bias[r * blockRows + i];
                }
                for (int n = rowPointers[r]; n < rowPointers[r + 1]; n++) {
                    int k0 = columnIndices[n] * blockCols;
                    for (int i = 0; i < blockRows; i++) {
                        int wo = (n * blockRows + i) * blockCols;
                        for (int j = 0; j < blockCols; j++) {
                            s[i] += (double) values[wo + j] * x[t * in + k0 + j];
                        }
                    }
                }
                for (int i = 0; i < blockRows; i++) {
                    y[t * out + r * blockRows + i] = (float) s[i];
                }
            }
        }
    }
}
