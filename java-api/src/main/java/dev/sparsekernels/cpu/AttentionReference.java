package dev.sparsekernels.cpu;

import dev.sparsekernels.AttentionMask;

/**
 * The obviously correct attention: for every query row, the visible keys are decided one by one straight from the
 * mask's definition (see {@link AttentionMask}), scores and softmax are computed in double over the whole row. Slow
 * by design: the oracle {@link FlashAttention} is tested against.
 */
public final class AttentionReference {
    private AttentionReference() {}

    /** Same contract as {@link FlashAttention#attention}, single-threaded, double accumulation. */
    public static float[] attention(float[] q, float[] k, float[] v, int batch, int hq, int hkv, int lq, int lk,
            int d, AttentionMask mask, double scale) {
        FlashAttention.checkShapes(q, k, v, batch, hq, hkv, lq, lk, d, mask, 1);
        AttentionMask m = mask == null ? AttentionMask.none() : mask;
        int[] keyLengths = m.keyLengths();
        boolean[] dense = m.dense();
        long[] ds = m.denseShape();
        float[] bias = m.bias();
        long[] bs = m.biasShape();
        AttentionMask.BlockSparse blocks = m.blockSparse();
        boolean[] heads = m.headMask();
        float[] out = new float[batch * hq * lq * d];
        double[] sc = new double[lk];
        boolean[] vis = new boolean[lk];
        for (int b = 0; b < batch; b++) {
            for (int h = 0; h < hq; h++) {
                if (heads != null && !heads[h]) {
                    continue;
                }
                int kvh = h / (hq / hkv);
                for (int i = 0; i < lq; i++) {
                    int p = i + lk - lq;
                    double max = Double.NEGATIVE_INFINITY;
                    for (int j = 0; j < lk; j++) {
                        boolean ok = true;
                        if (m.isCausal() && j > p) {
                            ok = false;
                        }
                        if (m.window() > 0 && Math.abs(j - p) >= m.window()) {
                            ok = false;
                        }
                        if (keyLengths != null && j >= keyLengths[b]) {
                            ok = false;
                        }
                        byte kind = AttentionMask.BlockSparse.PARTIAL;
                        if (blocks != null) {
                            kind = blocks.kind(b, h, i / blocks.blockQ(), j / blocks.blockK());
                            if (kind == AttentionMask.BlockSparse.SKIP) {
                                ok = false;
                            }
                        }
                        if (dense != null && kind != AttentionMask.BlockSparse.FULL
                                && !dense[index(ds, b, h, i, j)]) {
                            ok = false;
                        }
                        double s = 0;
                        if (ok) {
                            for (int c = 0; c < d; c++) {
                                s += (double) q[((b * hq + h) * lq + i) * d + c] * k[((b * hkv + kvh) * lk + j) * d + c];
                            }
                            s *= scale;
                            if (bias != null) {
                                s += bias[index(bs, b, h, i, j)];
                            }
                            if (s == Double.NEGATIVE_INFINITY) {
                                ok = false;
                            }
                        }
                        vis[j] = ok;
                        sc[j] = s;
                        if (ok) {
                            max = Math.max(max, s);
                        }
                    }
                    if (max == Double.NEGATIVE_INFINITY) {
                        continue; // sees no key: zeros
                    }
                    double sum = 0;
                    for (int j = 0; j < lk; j++) {
                        sc[j] = vis[j] ? Math.exp(sc[j] - max) : 0.0;
                        sum += sc[j];
                    }
                    for (int c = 0; c < d; c++) {
                        double o = 0;
                        for (int j = 0; j < lk; j++) {
                            if (vis[j]) {
                                o += sc[j] * v[((b * hkv + kvh) * lk + j) * d + c];
                            }
                        }
                        out[((b * hq + h) * lq + i) * d + c] = (float) (o / sum);
                    }
                }
            }
        }
        return out;
    }

    private static int index(long[] s, int b, int h, int i, int j) {
        long bb = s[0] == 1 ? 0 : b;
        long hh = s[1] == 1 ? 0 : h;
        long ii = s[2] == 1 ? 0 : i;
        long jj = s[3] == 1 ? 0 : j;
        return (int) (((bb * s[1] + hh) * s[2] + ii) * s[3] + jj);
    }
}
