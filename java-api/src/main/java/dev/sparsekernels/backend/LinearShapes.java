package dev.sparsekernels.backend;

import dev.sparsekernels.DType;
import dev.sparsekernels.Tensor;
import java.util.Arrays;

/** Shape checks shared by every backend's linear: X [..., in], W [out, in], bias [out]. */
public final class LinearShapes {
    public final int tokens;
    public final int in;
    public final int out;
    public final long[] outputShape;

    private LinearShapes(int tokens, int in, int out, long[] outputShape) {
        this.tokens = tokens;
        this.in = in;
        this.out = out;
        this.outputShape = outputShape;
    }

    public static LinearShapes check(Tensor x, int wOut, int wIn, Tensor bias) {
        if (x == null) {
            throw new IllegalArgumentException("x: expected a [tokens, in] tensor but got null");
        }
        if (x.isClosed()) {
            throw new IllegalStateException("x: tensor is closed");
        }
        if (x.rank() < 1) {
            throw new IllegalArgumentException("x: expected rank >= 1 [..., in] but got a scalar");
        }
        long in = x.dim(-1);
        if (in != wIn) {
            throw new IllegalArgumentException("x: last dimension must equal W's in = " + wIn + " but x has shape "
                    + Arrays.toString(x.shape()));
        }
        long tokens = x.elementCount() / Math.max(1, in);
        if (in == 0 || tokens < 1) {
            throw new IllegalArgumentException("x: expected at least one token but got shape "
                    + Arrays.toString(x.shape()));
        }
        if ((long) tokens * wOut > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("output [" + tokens + ", " + wOut + "] exceeds 2^31-1 elements");
        }
        if (bias != null) {
            if (bias.isClosed()) {
                throw new IllegalStateException("bias: tensor is closed");
            }
            if (bias.rank() != 1 || bias.dim(0) != wOut) {
                throw new IllegalArgumentException("bias: expected shape [" + wOut + "] but got "
                        + Arrays.toString(bias.shape()));
            }
        }
        long[] xs = x.shape();
        long[] os = Arrays.copyOf(xs, xs.length);
        os[os.length - 1] = wOut;
        return new LinearShapes((int) tokens, (int) in, wOut, os);
    }

    public static int[] weightShape(Tensor w) {
        if (w == null) {
            throw new IllegalArgumentException("W: expected a [out, in] tensor but got null");
        }
        return w.matrixShape("W");
    }

    static boolean isHalf(DType t) {
        return t == DType.F16 || t == DType.BF16;
    }
}
