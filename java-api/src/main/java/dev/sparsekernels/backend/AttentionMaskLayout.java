package dev.sparsekernels.backend;

/**
 * Lays a broadcastable dense mask or bias (numpy-style, rank 1-4, over [B, Hq, Lq, Lk]) out as the CUDA kernel
 * reads it: element strides for b, h and q (0 broadcasts) with the key dimension contiguous and full, expanding a
 * size-1 key dimension since the kernel has no stride for it.
 */
final class AttentionMaskLayout {
    final int sizeB;
    final int sizeH;
    final int sizeQ;
    final int lk;
    final long strideB;
    final long strideH;
    final long strideQ;

    private AttentionMaskLayout(long[] shape4, int lk) {
        this.sizeB = (int) shape4[0];
        this.sizeH = (int) shape4[1];
        this.sizeQ = (int) shape4[2];
        this.lk = lk;
        this.strideQ = sizeQ == 1 ? 0 : lk;
        this.strideH = sizeH == 1 ? 0 : (long) sizeQ * lk;
        this.strideB = sizeB == 1 ? 0 : (long) sizeH * sizeQ * lk;
    }

    static AttentionMaskLayout of(long[] shape, int lk) {
        long[] s4 = {1, 1, 1, 1};
        System.arraycopy(shape, 0, s4, 4 - shape.length, shape.length);
        return new AttentionMaskLayout(s4, lk);
    }

    int elementCount() {
        return Math.toIntExact((long) sizeB * sizeH * sizeQ * lk);
    }

    /** Source element count along keys is 1 or lk; expands to lk when 1. */
    float[] expand(float[] src, long[] shape) {
        if (shape[shape.length - 1] == lk) {
            return src;
        }
        float[] out = new float[elementCount()];
        for (int r = 0; r < src.length; r++) {
            java.util.Arrays.fill(out, r * lk, (r + 1) * lk, src[r]);
        }
        return out;
    }

    byte[] expand(boolean[] src, long[] shape) {
        byte[] out = new byte[elementCount()];
        boolean full = shape[shape.length - 1] == lk;
        for (int i = 0; i < out.length; i++) {
            out[i] = (byte) ((full ? src[i] : src[i / lk]) ? 1 : 0);
        }
        return out;
    }
}
