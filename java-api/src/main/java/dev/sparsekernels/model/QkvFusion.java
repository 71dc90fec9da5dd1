package dev.sparsekernels.model;

import dev.sparsekernels.Sparse24Matrix;
import dev.sparsekernels.Tensor;

/**
 * Q, K and V read the same input, so on the CPU one GEMM with their weights stacked, [3w, in], does the work of
 * three: the input is packed once and the threads are started once instead of three times (at MiniLM's width and
 * 4,096 tokens on 2 threads, three 384 x 384 GEMMs took 1.2x to 1.5x the time of one 1152 x 384, best of 7 runs).
 * Rows of the stacked output are [q | k | v].
 */
final class QkvFusion {
    private QkvFusion() {
    }

    /**
     * One layer computing [Q | K | V], or null when the three cannot be stacked (different formats, widths or bias
     * presence, or a format without a stacked form). The result owns new copies; q, k and v are left as they are.
     */
    static LinearLayer fuse(LinearLayer q, LinearLayer k, LinearLayer v) {
        if (q.outFeatures() != k.outFeatures() || q.outFeatures() != v.outFeatures()) {
            return null;
        }
        if (q instanceof DenseLinear && k instanceof DenseLinear && v instanceof DenseLinear) {
            DenseLinear dq = (DenseLinear) q;
            DenseLinear dk = (DenseLinear) k;
            DenseLinear dv = (DenseLinear) v;
            if (!sameBiasPresence(dq.bias(), dk.bias(), dv.bias())) {
                return null;
            }
            float[] w = concat(dq.weight().toFloatArray(), dk.weight().toFloatArray(), dv.weight().toFloatArray());
            Tensor bias = dq.bias() == null ? null : Tensor.of(concat(dq.bias().toFloatArray(),
                    dk.bias().toFloatArray(), dv.bias().toFloatArray()), 3L * q.outFeatures());
            return new DenseLinear(Tensor.of(w, 3L * q.outFeatures(), q.inFeatures()), bias);
        }
        if (q instanceof Sparse24Linear && k instanceof Sparse24Linear && v instanceof Sparse24Linear) {
            Sparse24Linear sq = (Sparse24Linear) q;
            Sparse24Linear sk = (Sparse24Linear) k;
            Sparse24Linear sv = (Sparse24Linear) v;
            if (!sameBiasPresence(sq.bias(), sk.bias(), sv.bias())) {
                return null;
            }
            // compressed values and index nibbles are row-major, so stacking rows is concatenating the arrays
            Sparse24Matrix w = Sparse24Matrix.fromCompressed(sq.weight().dtype(), 3 * q.outFeatures(),
                    q.inFeatures(), concat(sq.weight().values(), sk.weight().values(), sv.weight().values()),
                    concat(sq.weight().indices(), sk.weight().indices(), sv.weight().indices()));
            Tensor bias = sq.bias() == null ? null : Tensor.of(concat(sq.bias().toFloatArray(),
                    sk.bias().toFloatArray(), sv.bias().toFloatArray()), 3L * q.outFeatures());
            return new Sparse24Linear(w, bias);
        }
        return null;
    }

    private static boolean sameBiasPresence(Tensor a, Tensor b, Tensor c) {
        return (a == null) == (b == null) && (a == null) == (c == null);
    }

    private static float[] concat(float[] a, float[] b, float[] c) {
        float[] r = new float[a.length + b.length + c.length];
        System.arraycopy(a, 0, r, 0, a.length);
        System.arraycopy(b, 0, r, a.length, b.length);
        System.arraycopy(c, 0, r, a.length + b.length, c.length);
        return r;
    }

    private static byte[] concat(byte[] a, byte[] b, byte[] c) {
        byte[] r = new byte[a.length + b.length + c.length];
        System.arraycopy(a, 0, r, 0, a.length);
        System.arraycopy(b, 0, r, a.length, b.length);
        System.arraycopy(c, 0, r, a.length + b.length, c.length);
        return r;
    }
}
