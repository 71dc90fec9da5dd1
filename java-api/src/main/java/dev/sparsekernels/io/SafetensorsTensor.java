package dev.sparsekernels.io;

import dev.sparsekernels.DType;
import dev.sparsekernels.Tensor;
import dev.sparsekernels.cpu.Halfs;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * One tensor read from a {@code .safetensors} file: its name, element type, shape and little-endian bytes, held on the
 * heap (immutable). {@link #toTensor()} makes a {@link Tensor} of the F32, F16 and BF16 ones; every numeric type can
 * be read as floats, the integral ones as longs.
 */
public final class SafetensorsTensor {
    private final String name;
    private final SafetensorsDType dtype;
    private final long[] shape;
    private final byte[] data;

    /** Shape and byte count already validated by the reader. */
    SafetensorsTensor(String name, SafetensorsDType dtype, long[] shape, byte[] data) {
        this.name = name;
        this.dtype = dtype;
        this.shape = shape;
        this.data = data;
    }

    public String name() {
        return name;
    }

    public SafetensorsDType dtype() {
        return dtype;
    }

    /** The dimensions (a copy); empty for a scalar. */
    public long[] shape() {
        return shape.clone();
    }

    public long elementCount() {
        return data.length / dtype.byteSize();
    }

    public long byteSize() {
        return data.length;
    }

    /** A read-only little-endian view of the data. */
    public ByteBuffer data() {
        return ByteBuffer.wrap(data).asReadOnlyBuffer().order(ByteOrder.LITTLE_ENDIAN);
    }

    /**
     * A new tensor of the same dtype holding these bits (the caller closes it).
     *
     * @throws IllegalStateException for dtypes a Tensor cannot hold (F64, integers, BOOL): use toFloatArray()
     */
    public Tensor toTensor() {
        DType t = dtype.tensorType();
        if (t == null) {
            throw new IllegalStateException("tensor '" + name + "' is " + dtype + "; a Tensor holds F32, F16 or BF16"
                    + " (use toFloatArray() or toLongArray())");
        }
        Tensor out = Tensor.allocate(t, shape);
        out.buffer().put(data);
        return out;
    }

    /** Every element converted to float in C order (F64 rounded, integers converted, BOOL as 0 or 1). */
    public float[] toFloatArray() {
        ByteBuffer b = data();
        int n = (int) elementCount();
        float[] out = new float[n];
        for (int i = 0; i < n; i++) {
            switch (dtype) {
                case F64: out[i] = (float) b.getDouble(8 * i); break;
                case F32: out[i] = b.getFloat(4 * i); break;
                case F16: out[i] = Halfs.f16ToF32(b.getShort(2 * i)); break;
                case BF16: out[i] = Halfs.bf16ToF32(b.getShort(2 * i)); break;
                case I64: out[i] = b.getLong(8 * i); break;
                case I32: out[i] = b.getInt(4 * i); break;
                case I16: out[i] = b.getShort(2 * i); break;
                case I8: out[i] = b.get(i); break;
                case U8: out[i] = b.get(i) & 0xff; break;
                case BOOL: out[i] = b.get(i) != 0 ? 1f : 0f; break;
                default: throw new AssertionError(dtype);
            }
        }
        return out;
    }

    /**
     * Every element as a long in C order, for the integral types (U8 unsigned, BOOL as 0 or 1).
     *
     * @throws IllegalStateException for floating-point tensors
     */
    public long[] toLongArray() {
        if (!dtype.isIntegral()) {
            throw new IllegalStateException("tensor '" + name + "' is " + dtype + "; toLongArray needs an integer or"
                    + " BOOL tensor");
        }
        ByteBuffer b = data();
        int n = (int) elementCount();
        long[] out = new long[n];
        for (int i = 0; i < n; i++) {
            switch (dtype) {
                case I64: out[i] = b.getLong(8 * i); break;
                case I32: out[i] = b.getInt(4 * i); break;
                case I16: out[i] = b.getShort(2 * i); break;
                case I8: out[i] = b.get(i); break;
                case U8: out[i] = b.get(i) & 0xff; break;
                case BOOL: out[i] = b.get(i) != 0 ? 1 : 0; break;
                default: throw new AssertionError(dtype);
            }
        }
        return out;
    }

    @Override
    public String toString() {
        return "SafetensorsTensor[" + name + " " + dtype + " " + Arrays.toString(shape) + "]";
    }
}
