package dev.sparsekernels.backend;

import dev.sparsekernels.AttentionMask;
import dev.sparsekernels.Tensor;
import java.util.Arrays;

/** Checks the arguments of {@code attention(q, k, v, mask, scale)} and resolves the sizes, for every backend. */
public final class AttentionShapes {
    public final int batch;
    public final int hq;
    public final int hkv;
    public final int lq;
    public final int lk;
    public final int d;
    public final float scale;
    public final AttentionMask mask;

    private AttentionShapes(long[] qs, long[] ks, float scale, AttentionMask mask) {
        this.batch = (int) qs[0];
        this.hq = (int) qs[1];
        this.lq = (int) qs[2];
        this.d = (int) qs[3];
        this.hkv = (int) ks[1];
        this.lk = (int) ks[2];
        this.scale = scale;
        this.mask = mask;
    }

    /**
     * Q [B, Hq, Lq, D], K and V [B, Hkv, Lk, D] (open, same dtype, fewer than 2^31 elements each), Hq a multiple of
     * Hkv, the mask fitting those sizes (null = none), scale null (1/sqrt(D)) or finite.
     */
    public static AttentionShapes check(Tensor q, Tensor k, Tensor v, AttentionMask mask, Double scale) {
        long[] qs = shape("Q", q, "[B, Hq, Lq, D]");
        long[] ks = shape("K", k, "[B, Hkv, Lk, D]");
        long[] vs = shape("V", v, "[B, Hkv, Lk, D]");
        if (!Arrays.equals(ks, vs)) {
            throw new IllegalArgumentException("V: expected the shape of K " + Arrays.toString(ks) + " but got "
                    + Arrays.toString(vs));
        }
        if (ks[0] != qs[0]) {
            throw new IllegalArgumentException("K: expected batch B = " + qs[0] + " (from Q) but got " + ks[0]);
        }
        if (ks[3] != qs[3]) {
            throw new IllegalArgumentException("K: expected head dim D = " + qs[3] + " (from Q) but got " + ks[3]);
        }
        if (qs[1] % ks[1] != 0) {
            throw new IllegalArgumentException("Q: expected Hq a multiple of Hkv = " + ks[1] + " but got Hq = "
                    + qs[1]);
        }
        if (k.dtype() != q.dtype() || v.dtype() != q.dtype()) {
            throw new IllegalArgumentException("K, V: expected dtype " + q.dtype() + " (from Q) but got "
                    + k.dtype() + ", " + v.dtype());
        }
        float sc;
        if (scale == null) {
            sc = (float) (1.0 / Math.sqrt(qs[3]));
        } else {
            sc = (float) (double) scale;
            // The kernels scale in float: a double that is finite but rounds to infinity or to zero there would give
            // NaN or uniform weights, so the check is on the float the kernels get.
            if (!Float.isFinite(sc) || sc == 0f) {
                throw new IllegalArgumentException("scale: expected a finite non-zero number in float range (about"
                        + " 1.4e-45 to 3.4e38 in magnitude) or null (1/sqrt(D)) but got " + scale);
            }
        }
        AttentionMask m = mask == null ? AttentionMask.none() : mask;
        m.check((int) qs[0], (int) qs[1], (int) qs[2], (int) ks[2]);
        return new AttentionShapes(qs, ks, sc, m);
    }

    /** The output shape [B, Hq, Lq, D]. */
    public long[] outputShape() {
        return new long[] {batch, hq, lq, d};
    }

    private static long[] shape(String name, Tensor t, String expected) {
        if (t == null) {
            throw new IllegalArgumentException(name + ": expected a tensor " + expected + " but got null");
        }
        if (t.isClosed()) {
            throw new IllegalStateException(name + ": tensor is closed");
        }
        long[] s = t.shape();
        if (s.length != 4) {
            throw new IllegalArgumentException(name + ": expected rank 4 " + expected + " but got shape "
                    + Arrays.toString(s));
        }
        for (long x : s) {
            if (x < 1) {
                throw new IllegalArgumentException(name + ": expected non-empty " + expected + " but got shape "
                        + Arrays.toString(s));
            }
        }
        if (t.elementCount() > Integer.MAX_VALUE) {
            throw new IllegalArgumentException(name + ": shape " + Arrays.toString(s) + " has more than 2^31-1 "
                    + "elements");
        }
        return s;
    }
}
