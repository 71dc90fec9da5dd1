package dev.sparsekernels.cpu;

/** Plain-Java attention microkernels: the fallback when the Vector API is absent. */
final class ScalarAttentionKernels implements AttentionKernels {
    static final ScalarAttentionKernels INSTANCE = new ScalarAttentionKernels();

    @Override
    public String describe() {
        return "scalar (plain Java)";
    }

    @Override
    public boolean allFinite(float[] a, int o, int n) {
        for (int i = o; i < o + n; i++) {
            if (!Float.isFinite(a[i])) {
                return false;
            }
        }
        return true;
    }

    @Override
    public boolean scaleInto(float[] acc, int ao, int d, float f, float[] out, int oo) {
        boolean finite = true;
        for (int i = 0; i < d; i++) {
            float x = acc[ao + i] * f;
            out[oo + i] = x;
            finite &= Float.isFinite(x);
        }
        return finite;
    }

    @Override
    public void rowMax(float[] s, int lds, int r0, int r1, int n, float[] tileMax) {
        for (int r = r0; r <= r1; r++) {
            float m = Float.NEGATIVE_INFINITY;
            for (int c = 0, o = r * lds; c < n; c++) {
                m = Math.max(m, s[o + c]);
            }
            tileMax[r] = m;
        }
    }

    @Override
    public void expRows(float[] s, int lds, int r0, int r1, int n, float[] m, boolean[] live, float[] sums) {
        for (int r = r0; r <= r1; r++) {
            if (!live[r]) {
                continue;
            }
            float sum = 0f;
            for (int c = 0, o = r * lds; c < n; c++) {
                float e = (float) Math.exp(s[o + c] - m[r]);
                s[o + c] = e;
                sum += e;
            }
            sums[r] += sum;
        }
    }

    @Override
    public void scale(float[] a, int o, int n, float f) {
        for (int i = 0; i < n; i++) {
            a[o + i] *= f;
        }
    }

    @Override
    public void pv(float[] p, int po, int n, float[] v, int vo, int ldv, int d, float[] acc, int ao) {
        for (int c = 0; c < n; c++) {
            float w = p[po + c];
            if (w == 0f) {
                continue;
            }
            int vc = vo + c * ldv;
            for (int i = 0; i < d; i++) {
                acc[ao + i] += w * v[vc + i];
            }
        }
    }

    @Override
    public void scoresT2(float[] q, int qo0, int qo1, float[] kt, int ldk, int kc0, int chunk, int n, int d,
                         float scale, float[] s, int so0, int so1) {
        int nn = (n + 7) & ~7;
        for (int c = 0; c < nn; c++) {
            float a0 = 0f, a1 = 0f;
            int kc = kc0 + c / CHUNK_KEYS * chunk + c % CHUNK_KEYS;
            for (int i = 0; i < d; i++) {
                float kv = kt[i * ldk + kc];
                a0 += q[qo0 + i] * kv;
                a1 += q[qo1 + i] * kv;
            }
            s[so0 + c] = a0 * scale;
            s[so1 + c] = a1 * scale;
        }
    }

    @Override
    public void pv2(float[] p, int po0, int po1, int n, float[] v, int vo, int ldv, int d, float[] acc, int ao0,
                    int ao1) {
        pv(p, po0, n, v, vo, ldv, d, acc, ao0);
        pv(p, po1, n, v, vo, ldv, d, acc, ao1);
    }

    @Override
    public void scoresT6(float[] q, int qo, int ldq, float[] kt, int ldk, int kc0, int chunk, int n, int d,
                         float scale, float[] s, int so, int lds) {
        scoresRows(ROWS, q, qo, ldq, kt, ldk, kc0, chunk, n, d, scale, s, so, lds);
    }

    @Override
    public void scoresT4(float[] q, int qo, int ldq, float[] kt, int ldk, int kc0, int chunk, int n, int d,
                         float scale, float[] s, int so, int lds) {
        scoresRows(4, q, qo, ldq, kt, ldk, kc0, chunk, n, d, scale, s, so, lds);
    }

    private void scoresRows(int rows, float[] q, int qo, int ldq, float[] kt, int ldk, int kc0, int chunk, int n,
                            int d, float scale, float[] s, int so, int lds) {
        for (int r = 0; r < rows; r += 2) {
            scoresT2(q, qo + r * ldq, qo + (r + 1) * ldq, kt, ldk, kc0, chunk, n, d, scale, s, so + r * lds,
                    so + (r + 1) * lds);
        }
    }

    @Override
    public void pv6(float[] p, int po, int ldp, int n, float[] v, int vo, int ldv, int chunk, int d, float[] acc,
                    int ao) {
        pvRows(ROWS, p, po, ldp, n, v, vo, ldv, chunk, d, acc, ao);
    }

    @Override
    public void pv4(float[] p, int po, int ldp, int n, float[] v, int vo, int ldv, int chunk, int d, float[] acc,
                    int ao) {
        pvRows(4, p, po, ldp, n, v, vo, ldv, chunk, d, acc, ao);
    }

    private static void pvRows(int rows, float[] p, int po, int ldp, int n, float[] v, int vo, int ldv, int chunk,
                               int d, float[] acc, int ao) {
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < n; c++) {
                float w = p[po + r * ldp + c];
                for (int i = 0; i < d; i++) {
                    acc[ao + r * d + i] += w * v[vo + c * ldv + i / CHUNK_KEYS * chunk + i % CHUNK_KEYS];
                }
            }
        }
    }

    @Override
    public void panelRows(float[] v, int vo, int ldv, int rows, int d, float[] vp, int po, int chunk) {
        for (int c = 0; c < rows; c++) {
            for (int j = 0; j < d; j += CHUNK_KEYS) {
                System.arraycopy(v, vo + c * ldv + j, vp, po + j / CHUNK_KEYS * chunk + c * CHUNK_KEYS, CHUNK_KEYS);
            }
        }
    }

    @Override
    public void maskRow(float[] s, int so, int n, boolean[] allowed, int mo) {
        for (int c = 0; c < n; c++) {
            if (!allowed[mo + c]) {
                s[so + c] = Float.NEGATIVE_INFINITY;
            }
        }
    }

    @Override
    public void biasRow(float[] s, int so, int n, float[] bias, int bo) {
        for (int c = 0; c < n; c++) {
            float b = bias[bo + c];
            s[so + c] = b == Float.NEGATIVE_INFINITY ? Float.NEGATIVE_INFINITY : s[so + c] + b;
        }
    }
}
