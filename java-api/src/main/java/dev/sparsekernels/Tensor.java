package dev.sparsekernels;

import dev.sparsekernels.cpu.Halfs;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * A dense, row-major (C order) array of {@link DType} elements held off-heap in a little-endian direct buffer, so
 * native code and other libraries (DJL, ONNX runtimes) can read it without a copy.
 *
 * <p>Tensors are {@link AutoCloseable}: using a closed tensor throws {@link IllegalStateException}; closing twice is
 * harmless. Direct buffers are reclaimed by the JVM once unreachable, so an unclosed tensor leaks nothing; a Cleaner
 * counts it and reports the first one in the JVM once ({@link Resources}). The memory is not freed at close() itself:
 * buffers handed out by {@link #buffer()} may still point at it, and freeing under them would crash the process. A
 * tensor whose buffer was never handed out gives it back at close for the next tensor of its size, which then does
 * not pay for fresh memory ({@code TensorStorage}); closing a tensor while another thread still uses it is an error
 * either way. {@link #wrap} views memory someone else owns; closing such a tensor never frees it.
 */
public final class Tensor implements AutoCloseable {
    private final long[] shape;
    private final DType dtype;
    private final long elementCount;
    private volatile ByteBuffer data;
    /** Whether data is ours (not {@link #wrap}ped), and whether {@link #buffer()} ever handed it out. */
    private final boolean owned;
    private boolean exposed;
    /**
     * Reads of the buffer under way ({@link #lend}), and the buffer a close during one of them left to give back when
     * the last one ends: given back at once, it could serve a new tensor while that read still goes on (a close
     * inside withBuffer's function, or on another thread).
     */
    private int loans;
    private ByteBuffer closedDuringLoan;
    private final Tracker.Handle tracking;

    private Tensor(DType dtype, long[] shape, ByteBuffer data, boolean owned) {
        this.dtype = dtype;
        this.shape = shape;
        this.elementCount = elementCount(shape);
        this.data = data;
        this.owned = owned;
        this.tracking = Tracker.tensor(this, dtype, shape, data.capacity());
    }

    /** A zero-filled tensor. */
    public static Tensor allocate(DType dtype, long... shape) {
        return allocate(dtype, shape, true);
    }

    /** A tensor with arbitrary contents, for callers that write every element before anyone reads one. */
    private static Tensor allocateUninitialized(DType dtype, long... shape) {
        return allocate(dtype, shape, false);
    }

    private static Tensor allocate(DType dtype, long[] shape, boolean zeroed) {
        if (dtype == null) {
            throw new IllegalArgumentException("dtype: expected f32, f16 or bf16 but got null");
        }
        long[] s = checkShape(shape);
        long count = elementCount(s);
        long bytes = count > Integer.MAX_VALUE ? Long.MAX_VALUE : count * dtype.byteSize(); // no long overflow
        if (bytes > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("shape " + Arrays.toString(s) + " of " + dtype + ": " + count
                    + " elements exceed the 2 GiB limit of one tensor");
        }
        return new Tensor(dtype, s, TensorStorage.take((int) bytes, zeroed), true);
    }

    /**
     * A tensor over an existing direct buffer, without copying: the {@code byteSize} bytes from the buffer's position
     * are the elements, little-endian, in C order. Writes through the buffer are seen by the tensor and the other way
     * round.
     *
     * <p>Ownership stays with whoever made the buffer: closing the tensor only stops this tensor from using it, and
     * the memory must stay valid as long as the tensor is used. That matters for buffers over memory another library
     * frees itself (a DJL NDArray's {@code toByteBuffer(true)}): use the tensor only while that array is open.
     *
     * @param buffer direct, writable, {@code order(LITTLE_ENDIAN)} (the byte order the elements are in), with exactly
     *               {@code elementCount · dtype.byteSize()} bytes remaining
     */
    public static Tensor wrap(ByteBuffer buffer, DType dtype, long... shape) {
        if (buffer == null) {
            throw new IllegalArgumentException("buffer: expected a direct byte buffer but got null");
        }
        if (dtype == null) {
            throw new IllegalArgumentException("dtype: expected f32, f16 or bf16 but got null");
        }
        if (!buffer.isDirect()) {
            throw new IllegalArgumentException("buffer: expected a direct buffer (off-heap, as native code reads it)"
                    + " but got a heap buffer; copy it with Tensor.of or allocate");
        }
        if (buffer.isReadOnly()) {
            throw new IllegalArgumentException("buffer: expected a writable buffer but got a read-only one");
        }
        if (buffer.order() != ByteOrder.LITTLE_ENDIAN) {
            throw new IllegalArgumentException("buffer: expected byte order LITTLE_ENDIAN (tensors hold little-endian"
                    + " elements) but got " + buffer.order());
        }
        long[] s = checkShape(shape);
        long count = elementCount(s);
        if (count > Long.MAX_VALUE / dtype.byteSize()) {
            throw new IllegalArgumentException("shape " + Arrays.toString(s) + ": " + count + " " + dtype
                    + " elements overflow a byte count");
        }
        long bytes = count * dtype.byteSize();
        if (buffer.remaining() != bytes) {
            throw new IllegalArgumentException("buffer: expected " + bytes + " bytes remaining for " + dtype + " "
                    + Arrays.toString(s) + " but got " + buffer.remaining());
        }
        // slice(): position 0 and limit byteSize, as every other tensor's buffer; slice resets the order, so set it.
        return new Tensor(dtype, s, buffer.slice().order(ByteOrder.LITTLE_ENDIAN), false);
    }

    /** An F32 tensor holding a copy of data. */
    public static Tensor of(float[] data, long... shape) {
        if (data == null) {
            throw new IllegalArgumentException("data: expected a float array but got null");
        }
        checkLength("data", data.length, elementCount(checkShape(shape))); // before allocating: nothing to undo
        Tensor t = allocateUninitialized(DType.F32, shape);
        t.data.asFloatBuffer().put(data);
        return t;
    }

    /**
     * A tensor of dtype holding data converted to it (rounding to nearest even for F16/BF16). One direct allocation:
     * an F32 tensor converted with {@link #to} cost a second, which for 32 MiB and up is freshly mapped memory
     * faulted in page by page on every call (session 18).
     */
    public static Tensor of(DType dtype, float[] data, long... shape) {
        if (dtype == null) {
            throw new IllegalArgumentException("dtype: expected f32, f16 or bf16 but got null");
        }
        if (data == null) {
            throw new IllegalArgumentException("data: expected a float array but got null");
        }
        checkLength("data", data.length, elementCount(checkShape(shape))); // before allocating: nothing to undo
        Tensor t = allocateUninitialized(dtype, shape);
        put(t.data, dtype, data);
        return t;
    }

    /** data converted to dtype into b (little-endian, from index 0). */
    private static void put(ByteBuffer b, DType dtype, float[] data) {
        switch (dtype) {
            case F32:
                b.asFloatBuffer().put(data);
                break;
            case F16:
                for (int i = 0; i < data.length; i++) {
                    b.putShort(2 * i, Halfs.f32ToF16(data[i]));
                }
                break;
            case BF16:
                for (int i = 0; i < data.length; i++) {
                    b.putShort(2 * i, Halfs.f32ToBf16(data[i]));
                }
                break;
            default:
                throw new AssertionError(dtype);
        }
    }

    /** A tensor of raw 16-bit F16 or BF16 bit patterns. */
    public static Tensor ofBits(DType dtype, short[] bits, long... shape) {
        if (dtype == DType.F32) {
            throw new IllegalArgumentException("dtype: expected f16 or bf16 for 16-bit data but got f32");
        }
        if (bits == null) {
            throw new IllegalArgumentException("bits: expected a short array but got null");
        }
        checkLength("bits", bits.length, elementCount(checkShape(shape)));
        Tensor t = allocateUninitialized(dtype, shape);
        t.data.asShortBuffer().put(bits);
        return t;
    }

    public DType dtype() {
        return dtype;
    }

    public Device device() {
        return Device.cpu();
    }

    public long[] shape() {
        return shape.clone();
    }

    public int rank() {
        return shape.length;
    }

    /** Size of dimension i; negative i counts from the end. */
    public long dim(int i) {
        int k = i < 0 ? shape.length + i : i;
        if (k < 0 || k >= shape.length) {
            throw new IllegalArgumentException("dimension " + i + " out of range for rank " + shape.length);
        }
        return shape[k];
    }

    public long elementCount() {
        return elementCount;
    }

    public long byteSize() {
        return elementCount * dtype.byteSize();
    }

    /**
     * The little-endian direct buffer holding the elements (a duplicate: position 0, limit = byteSize()). The
     * memory then stays this buffer's after close (it is not reused for another tensor).
     */
    public synchronized ByteBuffer buffer() {
        ByteBuffer b = view();
        exposed = true;
        return b;
    }

    /** Runs fn on the elements' buffer with a loan open, so that a close meanwhile defers giving the memory back. */
    private <R> R lend(java.util.function.Function<ByteBuffer, R> fn) {
        ByteBuffer b;
        synchronized (this) {
            b = view();
            loans++;
        }
        try {
            return fn.apply(b);
        } finally {
            ByteBuffer giveBack = null;
            synchronized (this) {
                if (--loans == 0) {
                    giveBack = closedDuringLoan;
                    closedDuringLoan = null;
                }
            }
            if (giveBack != null) {
                TensorStorage.giveBack(giveBack);
            }
        }
    }

    /**
     * Calls {@code fn} with the elements' buffer (as {@link #buffer()} gives it) and returns its result. The buffer
     * is lent for the call only: {@code fn} must not keep it, or anything over its memory, past its return. In
     * exchange the tensor's memory may serve a later tensor once this one is closed, which {@link #buffer()}'s
     * views rule out; for copies in and out of other libraries' arrays.
     */
    public <R> R withBuffer(java.util.function.Function<ByteBuffer, R> fn) {
        if (fn == null) {
            throw new IllegalArgumentException("fn: expected a function of the buffer but got null");
        }
        return lend(fn);
    }

    /** The elements for this class's own reads, which keep no reference past the call. */
    private ByteBuffer view() {
        return live().duplicate().order(ByteOrder.LITTLE_ENDIAN);
    }

    /** All elements as floats (converted from F16/BF16). Limited to 2^31-1 elements. */
    public float[] toFloatArray() {
        live();
        float[] out = new float[Math.toIntExact(elementCount)];
        copyTo(out);
        return out;
    }

    /**
     * All elements as floats into {@code dst} (converted from F16/BF16), whose length must be the element count: for
     * callers that reuse one array across calls instead of allocating one per call.
     */
    public void copyTo(float[] dst) {
        live();
        if (dst == null || dst.length != elementCount) {
            throw new IllegalArgumentException("dst: expected a float array of " + elementCount + " elements but got "
                    + (dst == null ? "null" : dst.length));
        }
        lend(b -> {
            copy(b, dst);
            return null;
        });
    }

    private void copy(ByteBuffer b, float[] dst) {
        int n = dst.length;
        switch (dtype) {
            case F32:
                b.asFloatBuffer().get(dst);
                break;
            case F16:
                for (int i = 0; i < n; i++) {
                    dst[i] = Halfs.f16ToF32(b.getShort(2 * i));
                }
                break;
            case BF16:
                for (int i = 0; i < n; i++) {
                    dst[i] = Halfs.bf16ToF32(b.getShort(2 * i));
                }
                break;
            default:
                throw new AssertionError(dtype);
        }
    }

    /** The raw 16-bit patterns of an F16 or BF16 tensor. */
    public short[] toBits() {
        if (dtype == DType.F32) {
            throw new IllegalStateException("toBits: tensor is f32; convert with to(F16) or to(BF16) first");
        }
        live();
        short[] out = new short[Math.toIntExact(elementCount)];
        return lend(b -> {
            b.asShortBuffer().get(out);
            return out;
        });
    }

    /** A new tensor with the elements converted to dtype (a copy even when dtype is unchanged). */
    public Tensor to(DType target) {
        if (target == null) {
            throw new IllegalArgumentException("dtype: expected f32, f16 or bf16 but got null");
        }
        float[] values = toFloatArray();
        Tensor t = allocateUninitialized(target, shape);
        put(t.data, target, values);
        return t;
    }

    /** A tensor sharing nothing with this one, holding the same elements under a new shape of equal size. */
    public Tensor reshape(long... newShape) {
        long[] s = checkShape(newShape);
        if (elementCount(s) != elementCount) {
            throw new IllegalArgumentException("reshape: " + Arrays.toString(shape) + " has " + elementCount
                    + " elements but " + Arrays.toString(s) + " has " + elementCount(s));
        }
        live(); // before taking a buffer: a closed tensor must not take one out of the pool for nothing
        Tensor t = allocateUninitialized(dtype, s);
        try {
            lend(b -> t.data.put(b));
        } catch (RuntimeException e) { // closed meanwhile on another thread
            t.close();
            throw e;
        }
        t.data.clear();
        return t;
    }

    /**
     * Checks that this tensor can be a weight W [out, in] (open, rank 2, non-empty, fewer than 2^31 elements) and
     * returns {out, in}; name is the argument name used in the message.
     */
    public int[] matrixShape(String name) {
        if (isClosed()) {
            throw new IllegalStateException(name + ": tensor is closed");
        }
        if (shape.length != 2) {
            throw new IllegalArgumentException(name + ": expected rank 2 [out, in] but got shape "
                    + Arrays.toString(shape));
        }
        if (shape[0] < 1 || shape[1] < 1 || elementCount > Integer.MAX_VALUE) {
            throw new IllegalArgumentException(name + ": expected a non-empty [out, in] with < 2^31 elements but got "
                    + Arrays.toString(shape));
        }
        return new int[] {(int) shape[0], (int) shape[1]};
    }

    public boolean isClosed() {
        return data == null;
    }

    @Override
    public void close() {
        ByteBuffer giveBack = null;
        synchronized (this) {
            ByteBuffer d = data;
            data = null;
            tracking.close();
            if (d != null && owned && !exposed) {
                if (loans > 0) {
                    closedDuringLoan = d; // the last loan gives it back
                } else {
                    giveBack = d;
                }
            }
        }
        if (giveBack != null) {
            TensorStorage.giveBack(giveBack);
        }
    }

    @Override
    public String toString() {
        return "Tensor" + Arrays.toString(shape) + " " + dtype + (isClosed() ? " (closed)" : "");
    }

    private ByteBuffer live() {
        ByteBuffer d = data;
        if (d == null) {
            throw new IllegalStateException("tensor " + Arrays.toString(shape) + " " + dtype + " is closed");
        }
        return d;
    }

    private static long[] checkShape(long[] shape) {
        if (shape == null) {
            throw new IllegalArgumentException("shape: expected dimensions but got null");
        }
        for (int i = 0; i < shape.length; i++) {
            if (shape[i] < 0) {
                throw new IllegalArgumentException("shape " + Arrays.toString(shape) + ": dimension " + i
                        + " is negative");
            }
        }
        elementCount(shape);
        return shape.clone();
    }

    private static long elementCount(long[] shape) {
        long n = 1;
        for (long d : shape) {
            try {
                n = Math.multiplyExact(n, d);
            } catch (ArithmeticException e) {
                throw new IllegalArgumentException("shape " + Arrays.toString(shape) + ": element count overflows");
            }
        }
        return n;
    }

    private static void checkLength(String name, int actual, long expected) {
        if (actual != expected) {
            throw new IllegalArgumentException(name + ": expected " + expected + " elements for the shape but got "
                    + actual);
        }
    }
}
