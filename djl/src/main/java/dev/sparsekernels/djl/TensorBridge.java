package dev.sparsekernels.djl;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.sparsekernels.DType;
import dev.sparsekernels.Tensor;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Moves data between DJL NDArrays and our {@link Tensor}s, without copying where the engine allows it.
 *
 * <p>NDArray to Tensor: {@code toByteBuffer(true)} asks the engine for a direct buffer over the array's own memory
 * (the PyTorch engine gives one for contiguous CPU arrays; a non-contiguous array becomes contiguous first, and a GPU
 * array is copied to the host first). When that buffer is direct, writable and the platform is little-endian, the
 * tensor is a {@link Tensor#wrap view} of it: no copy. Otherwise the bytes are copied once.
 *
 * <p>Tensor to NDArray: one copy into memory the engine owns. Handing the tensor's buffer over without a copy (the
 * PyTorch engine builds its tensor on it with from_blob) was the rule until session 18, but then only the array kept
 * the buffer reachable, and a view of the array (reshape, a row) read freed memory once the array was closed.
 *
 * <p>bfloat16: DJL's PyTorch engine (0.36) reports bfloat16 tensors as UNKNOWN and aborts the JVM when asked to create
 * one, so on that engine only float32 and float16 pass; other engines may carry bfloat16.
 */
public final class TensorBridge {
    private TensorBridge() {
    }

    /** A tensor made from an NDArray: a view of its memory ({@link #shared()}) or a copy. Close it after use. */
    public static final class Borrowed implements AutoCloseable {
        private final Tensor tensor;
        private final boolean shared;

        private Borrowed(Tensor tensor, boolean shared) {
            this.tensor = tensor;
            this.shared = shared;
        }

        public Tensor tensor() {
            return tensor;
        }

        /** True when the tensor reads the array's memory itself; valid then only while the array is open. */
        public boolean shared() {
            return shared;
        }

        @Override
        public void close() {
            tensor.close();
        }
    }

    /** Our dtype for a DJL data type: FLOAT32, FLOAT16 and BFLOAT16 only. */
    public static DType dtypeOf(DataType type) {
        if (type == DataType.FLOAT32) {
            return DType.F32;
        }
        if (type == DataType.FLOAT16) {
            return DType.F16;
        }
        if (type == DataType.BFLOAT16) {
            return DType.BF16;
        }
        throw new IllegalArgumentException("data type: expected float32, float16 or bfloat16 but got " + type);
    }

    /** The DJL data type of our dtype. */
    public static DataType dataTypeOf(DType dtype) {
        switch (dtype) {
            case F32:
                return DataType.FLOAT32;
            case F16:
                return DataType.FLOAT16;
            case BF16:
                return DataType.BFLOAT16;
            default:
                throw new AssertionError(dtype);
        }
    }

    /**
     * The array as a tensor of the same dtype and shape: a view when the engine exposes a direct buffer (see the
     * class comment), else one copy. The view must not outlive the array.
     */
    public static Borrowed borrow(NDArray array) {
        if (array == null) {
            throw new IllegalArgumentException("array: expected an NDArray but got null");
        }
        if (array.isReleased()) {
            throw new IllegalStateException("array: the NDArray is already closed");
        }
        DType dtype = dtypeOf(array.getDataType());
        long[] shape = array.getShape().getShape();
        ByteBuffer raw = array.toByteBuffer(true);
        if (raw.isDirect() && !raw.isReadOnly() && ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN) {
            // The engine wrote native-order bytes, which are little-endian here: declare the buffer as such.
            return new Borrowed(Tensor.wrap(raw.duplicate().order(ByteOrder.LITTLE_ENDIAN), dtype, shape), true);
        }
        Tensor copy = Tensor.allocate(dtype, shape);
        ByteBuffer src = raw.duplicate().order(raw.order());
        copy.withBuffer(dst -> { // lent, not kept: the copy's memory can serve a later tensor once it is closed
            if (src.order() == ByteOrder.LITTLE_ENDIAN) {
                dst.put(src);
            } else if (dtype == DType.F32) {
                dst.asFloatBuffer().put(src.asFloatBuffer());
            } else {
                dst.asShortBuffer().put(src.asShortBuffer());
            }
            return null;
        });
        return new Borrowed(copy, false);
    }

    /**
     * A new NDArray on manager holding the tensor's elements in dtype {@code type}, in memory the engine owns (one
     * copy, two when the dtype is converted): the tensor may be closed afterwards, and views of the array (reshape,
     * slices) stay valid after the array itself is closed, as for arrays the engine computed.
     */
    public static NDArray toNDArray(NDManager manager, Tensor tensor, DataType type) {
        if (manager == null) {
            throw new IllegalArgumentException("manager: expected an NDManager but got null");
        }
        if (tensor == null) {
            throw new IllegalArgumentException("tensor: expected a tensor but got null");
        }
        DType target = dtypeOf(type);
        if (target == DType.BF16 && "PyTorch".equals(manager.getEngine().getEngineName())) {
            // DJL 0.36's PyTorch JNI maps data types by a switch without bfloat16 whose default is a bare C++
            // `throw;`: std::terminate, the JVM aborts. Refuse here instead.
            throw new UnsupportedOperationException("bfloat16 arrays: DJL's PyTorch engine (0.36) aborts the JVM when"
                    + " creating them; use float32 or float16");
        }
        Shape shape = new Shape(tensor.shape());
        // the engine's array over the tensor's buffer lives only until engineOwned has copied it: lent, not kept
        if (tensor.dtype() == target) {
            return tensor.withBuffer(b -> engineOwned(manager.create(b, shape, type)));
        }
        try (Tensor converted = tensor.to(target)) {
            return converted.withBuffer(b -> engineOwned(manager.create(b, shape, type)));
        }
    }

    /**
     * A copy of {@code blob} in memory the engine allocated itself; blob is closed. PyTorch builds an array on a
     * direct buffer with from_blob and keeps the buffer reachable only from that array: a view of it (reshape, a
     * row) outlived it and read freed memory (a session-18 robustness sweep: every value garbage after a GC), where
     * the views of DJL's own Linear outputs are safe. One copy of the output buys the same behaviour.
     */
    private static NDArray engineOwned(NDArray blob) {
        try (NDArray b = blob) {
            return b.duplicate();
        }
    }
}
