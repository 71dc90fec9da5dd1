package dev.sparsekernels.io;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.Objects;

/**
 * An immutable n-dimensional array as stored in a {@code .npy} file: a shape, an element type and the element
 * bytes in C (row-major) order, little-endian, on the heap.
 *
 * <p>A shape of length 0 is a scalar (one element); any dimension may be 0 (no elements). At most
 * {@link #MAX_ELEMENTS} elements and {@link #MAX_BYTES} bytes are supported, since the data is one Java array.
 */
public final class NpyArray {

    /** Largest element count supported: 2<sup>31</sup>-1. */
    public static final long MAX_ELEMENTS = Integer.MAX_VALUE;

    /** Largest data size in bytes supported (the largest Java byte array a JVM reliably allocates). */
    public static final long MAX_BYTES = Integer.MAX_VALUE - 8;

    private final long[] shape;
    private final NpyDType dtype;
    private final ByteBuffer data; // little-endian, position 0, limit = byte size, never handed out writable

    private NpyArray(NpyDType dtype, long[] shape, ByteBuffer data) {
        this.dtype = dtype;
        this.shape = shape;
        this.data = data;
    }

    /**
     * Creates an array from raw element bytes.
     *
     * @param dtype element type
     * @param shape dimensions, each {@code >= 0}; empty for a scalar
     * @param data  the element bytes in C order, little-endian, from its position to its limit (the buffer's
     *              {@link ByteBuffer#order() order} setting is irrelevant: bytes are copied as they are); copied
     * @throws IllegalArgumentException if a dimension is negative, the element count exceeds
     *                                  {@link #MAX_ELEMENTS}, or the byte count does not match the shape
     */
    public static NpyArray of(NpyDType dtype, long[] shape, ByteBuffer data) {
        Objects.requireNonNull(dtype, "dtype");
        Objects.requireNonNull(shape, "shape");
        Objects.requireNonNull(data, "data");
        long[] s = shape.clone();
        long count = checkedElementCount(s);
        long bytes = count * dtype.byteSize();
        if (bytes > MAX_BYTES) {
            throw new IllegalArgumentException("shape " + shapeString(s) + " of " + dtype + " needs " + bytes
                    + " bytes; at most " + MAX_BYTES + " are supported");
        }
        if (data.remaining() != bytes) {
            throw new IllegalArgumentException("data: expected " + bytes + " bytes for shape " + shapeString(s)
                    + " of " + dtype + ", got " + data.remaining());
        }
        byte[] copy = new byte[(int) bytes];
        data.duplicate().get(copy);
        return wrap(dtype, s, copy);
    }

    /** Wraps a byte array without copying; the caller must not keep it. Shape already validated. */
    static NpyArray wrap(NpyDType dtype, long[] shape, byte[] littleEndianData) {
        return new NpyArray(dtype, shape, ByteBuffer.wrap(littleEndianData).order(ByteOrder.LITTLE_ENDIAN));
    }

    /** A float32 array; {@code shape} defaults to {@code (data.length,)} when omitted. */
    public static NpyArray ofFloats(float[] data, long... shape) {
        long[] s = shapeFor(data.length, shape);
        ByteBuffer b = allocate(NpyDType.F32, data.length);
        b.asFloatBuffer().put(data);
        return new NpyArray(NpyDType.F32, s, b);
    }

    /** A float64 array; {@code shape} defaults to {@code (data.length,)} when omitted. */
    public static NpyArray ofDoubles(double[] data, long... shape) {
        long[] s = shapeFor(data.length, shape);
        ByteBuffer b = allocate(NpyDType.F64, data.length);
        b.asDoubleBuffer().put(data);
        return new NpyArray(NpyDType.F64, s, b);
    }

    /** An int32 array; {@code shape} defaults to {@code (data.length,)} when omitted. */
    public static NpyArray ofInts(int[] data, long... shape) {
        long[] s = shapeFor(data.length, shape);
        ByteBuffer b = allocate(NpyDType.I32, data.length);
        b.asIntBuffer().put(data);
        return new NpyArray(NpyDType.I32, s, b);
    }

    /** An int64 array; {@code shape} defaults to {@code (data.length,)} when omitted. */
    public static NpyArray ofLongs(long[] data, long... shape) {
        long[] s = shapeFor(data.length, shape);
        ByteBuffer b = allocate(NpyDType.I64, data.length);
        b.asLongBuffer().put(data);
        return new NpyArray(NpyDType.I64, s, b);
    }

    /** A float16 array from raw IEEE binary16 bit patterns; {@code shape} defaults to {@code (data.length,)}. */
    public static NpyArray ofF16Bits(short[] data, long... shape) {
        long[] s = shapeFor(data.length, shape);
        ByteBuffer b = allocate(NpyDType.F16, data.length);
        b.asShortBuffer().put(data);
        return new NpyArray(NpyDType.F16, s, b);
    }

    /** A float16 array converted from floats (round to nearest even); {@code shape} defaults to {@code (n,)}. */
    public static NpyArray ofFloatsAsF16(float[] data, long... shape) {
        short[] bits = new short[data.length];
        for (int i = 0; i < data.length; i++) {
            bits[i] = floatToF16(data[i]);
        }
        return ofF16Bits(bits, shape);
    }

    /** An int8 ({@code unsigned == false}) or uint8 array; {@code shape} defaults to {@code (data.length,)}. */
    public static NpyArray ofBytes(byte[] data, boolean unsigned, long... shape) {
        long[] s = shapeFor(data.length, shape);
        return wrap(unsigned ? NpyDType.U8 : NpyDType.I8, s, data.clone());
    }

    /** A bool array; {@code shape} defaults to {@code (data.length,)} when omitted. */
    public static NpyArray ofBooleans(boolean[] data, long... shape) {
        long[] s = shapeFor(data.length, shape);
        byte[] b = new byte[data.length];
        for (int i = 0; i < data.length; i++) {
            b[i] = data[i] ? (byte) 1 : 0;
        }
        return wrap(NpyDType.BOOL, s, b);
    }

    /**
     * The same data with another shape of the same element count; {@code reshape()} with no arguments makes a
     * scalar from a one-element array.
     *
     * @throws IllegalArgumentException if the element counts differ or a dimension is negative
     */
    public NpyArray reshape(long... newShape) {
        long[] s = newShape.clone();
        long count = checkedElementCount(s);
        if (count != elementCount()) {
            throw new IllegalArgumentException("newShape: " + shapeString(s) + " holds " + count
                    + " elements, but this array " + shapeString(shape) + " has " + elementCount());
        }
        return new NpyArray(dtype, s, data);
    }

    /** The dimensions (a copy); empty for a scalar. */
    public long[] shape() {
        return shape.clone();
    }

    /** Number of dimensions; 0 for a scalar. */
    public int rank() {
        return shape.length;
    }

    /** Size of dimension {@code axis}. */
    public long dim(int axis) {
        if (axis < 0 || axis >= shape.length) {
            throw new IndexOutOfBoundsException("axis: expected 0.." + (shape.length - 1) + ", got " + axis);
        }
        return shape[axis];
    }

    /** The element type. */
    public NpyDType dtype() {
        return dtype;
    }

    /** Product of the dimensions (1 for a scalar). */
    public long elementCount() {
        return data.capacity() / dtype.byteSize();
    }

    /** Size of the data in bytes. */
    public long byteSize() {
        return data.capacity();
    }

    /** A read-only little-endian view of the data, position 0, limit {@link #byteSize()}. */
    public ByteBuffer data() {
        return data.asReadOnlyBuffer().order(ByteOrder.LITTLE_ENDIAN);
    }

    /** Copy of the data bytes (little-endian, C order). */
    public byte[] toByteArray() {
        byte[] out = new byte[data.capacity()];
        data.duplicate().position(0).get(out);
        return out;
    }

    /**
     * All elements converted to float, in C order: floats as is (F64 rounded, F16 widened exactly), integers
     * converted (I64/I32 beyond 2<sup>24</sup> lose precision; U8 is unsigned), BOOL as 0 or 1.
     */
    public float[] toFloatArray() {
        int n = (int) elementCount();
        float[] out = new float[n];
        switch (dtype) {
            case F32 -> data.duplicate().order(ByteOrder.LITTLE_ENDIAN).position(0).asFloatBuffer().get(out);
            case F16 -> {
                for (int i = 0; i < n; i++) {
                    out[i] = f16ToFloat(data.getShort(2 * i));
                }
            }
            case F64 -> {
                for (int i = 0; i < n; i++) {
                    out[i] = (float) data.getDouble(8 * i);
                }
            }
            case I32 -> {
                for (int i = 0; i < n; i++) {
                    out[i] = data.getInt(4 * i);
                }
            }
            case I64 -> {
                for (int i = 0; i < n; i++) {
                    out[i] = data.getLong(8 * i);
                }
            }
            case I8 -> {
                for (int i = 0; i < n; i++) {
                    out[i] = data.get(i);
                }
            }
            case U8 -> {
                for (int i = 0; i < n; i++) {
                    out[i] = data.get(i) & 0xff;
                }
            }
            case BOOL -> {
                for (int i = 0; i < n; i++) {
                    out[i] = data.get(i) != 0 ? 1f : 0f;
                }
            }
        }
        return out;
    }

    /** All elements converted to double, in C order (exact for every type except I64 beyond 2<sup>53</sup>). */
    public double[] toDoubleArray() {
        int n = (int) elementCount();
        double[] out = new double[n];
        switch (dtype) {
            case F64 -> data.duplicate().order(ByteOrder.LITTLE_ENDIAN).position(0).asDoubleBuffer().get(out);
            case I64 -> {
                for (int i = 0; i < n; i++) {
                    out[i] = data.getLong(8 * i);
                }
            }
            default -> {
                float[] f = toFloatArray(); // exact for F32, F16, I8, U8, BOOL; I32 handled below
                if (dtype == NpyDType.I32) {
                    for (int i = 0; i < n; i++) {
                        out[i] = data.getInt(4 * i);
                    }
                } else {
                    for (int i = 0; i < n; i++) {
                        out[i] = f[i];
                    }
                }
            }
        }
        return out;
    }

    /**
     * All elements as longs, in C order, for integer and BOOL arrays (BOOL as 0 or 1, U8 unsigned).
     *
     * @throws IllegalStateException for floating-point arrays
     */
    public long[] toLongArray() {
        int n = (int) elementCount();
        long[] out = new long[n];
        switch (dtype) {
            case I64 -> data.duplicate().order(ByteOrder.LITTLE_ENDIAN).position(0).asLongBuffer().get(out);
            case I32 -> {
                for (int i = 0; i < n; i++) {
                    out[i] = data.getInt(4 * i);
                }
            }
            case I8 -> {
                for (int i = 0; i < n; i++) {
                    out[i] = data.get(i);
                }
            }
            case U8 -> {
                for (int i = 0; i < n; i++) {
                    out[i] = data.get(i) & 0xff;
                }
            }
            case BOOL -> {
                for (int i = 0; i < n; i++) {
                    out[i] = data.get(i) != 0 ? 1 : 0;
                }
            }
            default -> throw new IllegalStateException(
                    "toLongArray needs an integer or bool array, this one is " + dtype + " (" + dtype.descr() + ")");
        }
        return out;
    }

    /**
     * The raw binary16 bit patterns of an F16 array, in C order.
     *
     * @throws IllegalStateException for other types
     */
    public short[] toF16Bits() {
        if (dtype != NpyDType.F16) {
            throw new IllegalStateException("toF16Bits needs an F16 array, this one is " + dtype);
        }
        short[] out = new short[(int) elementCount()];
        data.duplicate().order(ByteOrder.LITTLE_ENDIAN).position(0).asShortBuffer().get(out);
        return out;
    }

    /** Converts IEEE binary16 bits to float (exact: every half value is a float; NaN payloads kept). */
    public static float f16ToFloat(short bits) {
        int h = bits & 0xffff;
        int sign = (h & 0x8000) << 16;
        int exp = (h >>> 10) & 0x1f;
        int mant = h & 0x3ff;
        if (exp == 0) {
            if (mant == 0) {
                return Float.intBitsToFloat(sign); // +-0
            }
            float v = mant * 0x1p-24f; // subnormal: mant * 2^-24, exact
            return sign != 0 ? -v : v;
        }
        if (exp == 31) {
            return Float.intBitsToFloat(sign | 0x7f800000 | (mant << 13)); // inf or NaN
        }
        return Float.intBitsToFloat(sign | ((exp + (127 - 15)) << 23) | (mant << 13));
    }

    /** Converts a float to IEEE binary16 bits, rounding to nearest even (overflow gives infinity). */
    public static short floatToF16(float f) {
        int x = Float.floatToRawIntBits(f);
        int sign = (x >>> 16) & 0x8000;
        int e = (x >>> 23) & 0xff;
        int m = x & 0x7fffff;
        if (e == 0xff) { // inf or NaN (keep a quiet NaN)
            return (short) (sign | 0x7c00 | (m != 0 ? 0x200 | (m >>> 13) : 0));
        }
        int ue = e - 127 + 15;
        if (ue >= 31) {
            return (short) (sign | 0x7c00);
        }
        int r;
        int rem;
        int half;
        if (ue <= 0) { // result is subnormal or zero
            if (ue < -10) {
                return (short) sign;
            }
            int mm = m | 0x800000;
            int shift = 14 - ue; // 14..24
            r = mm >>> shift;
            rem = mm & ((1 << shift) - 1);
            half = 1 << (shift - 1);
        } else {
            r = (ue << 10) | (m >>> 13);
            rem = m & 0x1fff;
            half = 0x1000;
        }
        if (rem > half || (rem == half && (r & 1) != 0)) {
            r++; // may carry into the exponent, up to infinity: that is the right result
        }
        return (short) (sign | r);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof NpyArray a && a.dtype == dtype && Arrays.equals(a.shape, shape) && a.data.equals(data);
    }

    @Override
    public int hashCode() {
        return 31 * (31 * dtype.hashCode() + Arrays.hashCode(shape)) + data.hashCode();
    }

    @Override
    public String toString() {
        return "NpyArray[" + dtype + " " + shapeString(shape) + "]";
    }

    /** Python-style shape: {@code ()}, {@code (5,)}, {@code (3, 4)}. */
    static String shapeString(long[] shape) {
        StringBuilder sb = new StringBuilder("(");
        for (int i = 0; i < shape.length; i++) {
            if (i > 0) {
                sb.append(", ");
            }
            sb.append(shape[i]);
        }
        if (shape.length == 1) {
            sb.append(',');
        }
        return sb.append(')').toString();
    }

    private static long checkedElementCount(long[] shape) {
        long count = 1;
        boolean overflow = false;
        for (long d : shape) {
            if (d < 0) {
                throw new IllegalArgumentException("shape: dimensions must be >= 0, got " + shapeString(shape));
            }
        }
        for (long d : shape) {
            if (d == 0) {
                return 0;
            }
        }
        for (long d : shape) {
            try {
                count = Math.multiplyExact(count, d);
            } catch (ArithmeticException ex) {
                overflow = true;
                break;
            }
        }
        if (overflow || count > MAX_ELEMENTS) {
            throw new IllegalArgumentException("shape: " + shapeString(shape) + " has more than " + MAX_ELEMENTS
                    + " elements, the most supported");
        }
        return count;
    }

    private static long[] shapeFor(int length, long[] shape) {
        if (shape == null || shape.length == 0) {
            return new long[] {length};
        }
        long[] s = shape.clone();
        long count = checkedElementCount(s);
        if (count != length) {
            throw new IllegalArgumentException("shape: " + shapeString(s) + " holds " + count
                    + " elements, but data has " + length);
        }
        return s;
    }

    private static ByteBuffer allocate(NpyDType t, int count) {
        long bytes = (long) count * t.byteSize();
        if (bytes > MAX_BYTES) {
            throw new IllegalArgumentException("data: " + count + " elements of " + t + " need " + bytes
                    + " bytes; at most " + MAX_BYTES + " are supported");
        }
        return ByteBuffer.allocate((int) bytes).order(ByteOrder.LITTLE_ENDIAN);
    }
}
