package dev.sparsekernels.io.onnx;

import dev.sparsekernels.cpu.Halfs;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * One ONNX {@code TensorProto} (an initializer or a Constant node's value): a name, an element type, dims and the
 * elements, either as {@code raw_data} (kept as a slice of the file's bytes, decoded on demand) or as one of the typed
 * repeated fields ({@code float_data}, {@code int32_data}, {@code int64_data}, {@code double_data},
 * {@code uint64_data}).
 *
 * <p>The element count is checked against dims when the file is read, so {@link #toFloatArray()} and
 * {@link #toLongArray()} only fail for a type they cannot convert.
 */
public final class OnnxTensor {
    /** Which typed field of TensorProto held the values (when raw_data is absent). */
    enum Field { FLOAT_DATA, INT32_DATA, INT64_DATA, DOUBLE_DATA, UINT64_DATA }

    private final String name;
    private final OnnxDataType dataType;
    private final long dataTypeCode;
    private final long[] dims;
    private final long elementCount;
    private final ByteBuffer raw;
    private final long[] typed;
    private final Field typedField;

    OnnxTensor(String name, long dataTypeCode, long[] dims, long elementCount, ByteBuffer raw, long[] typed,
            Field typedField) {
        this.name = name;
        this.dataTypeCode = dataTypeCode;
        this.dataType = OnnxDataType.ofCode(dataTypeCode);
        this.dims = dims;
        this.elementCount = elementCount;
        this.raw = raw;
        this.typed = typed;
        this.typedField = typedField;
    }

    public String name() {
        return name;
    }

    /** The element type, or null when the file uses a type code this reader does not know. */
    public OnnxDataType dataType() {
        return dataType;
    }

    public long[] dims() {
        return dims.clone();
    }

    public int rank() {
        return dims.length;
    }

    public long elementCount() {
        return elementCount;
    }

    /** The elements as floats: FLOAT as stored, FLOAT16/BFLOAT16 widened exactly, DOUBLE rounded. */
    public float[] toFloatArray() {
        if (dataType == null || !dataType.isFloating()) {
            throw new IllegalStateException("tensor '" + name + "': expected a floating-point type but it is "
                    + typeName());
        }
        int n = count();
        float[] out = new float[n];
        if (raw != null) {
            ByteBuffer b = raw.duplicate().order(ByteOrder.LITTLE_ENDIAN);
            switch (dataType) {
                case FLOAT:
                    b.asFloatBuffer().get(out);
                    break;
                case DOUBLE:
                    for (int i = 0; i < n; i++) {
                        out[i] = (float) b.getDouble(8 * i);
                    }
                    break;
                case FLOAT16:
                    for (int i = 0; i < n; i++) {
                        out[i] = Halfs.f16ToF32(b.getShort(2 * i));
                    }
                    break;
                default: // BFLOAT16
                    for (int i = 0; i < n; i++) {
                        out[i] = Halfs.bf16ToF32(b.getShort(2 * i));
                    }
            }
            return out;
        }
        for (int i = 0; i < n; i++) {
            long v = typed[i];
            switch (dataType) {
                case FLOAT:
                    out[i] = Float.intBitsToFloat((int) v);
                    break;
                case DOUBLE:
                    out[i] = (float) Double.longBitsToDouble(v);
                    break;
                case FLOAT16: // int32_data holds the 16-bit pattern in the low bits
                    out[i] = Halfs.f16ToF32((short) v);
                    break;
                default:
                    out[i] = Halfs.bf16ToF32((short) v);
            }
        }
        return out;
    }

    /** The elements of an integer (or BOOL) type as longs; UINT64 values above 2^63-1 come out negative. */
    public long[] toLongArray() {
        if (dataType == null || !dataType.isInteger()) {
            throw new IllegalStateException("tensor '" + name + "': expected an integer type but it is "
                    + typeName());
        }
        int n = count();
        if (raw == null) {
            return typed == null ? new long[n] : Arrays.copyOf(typed, n); // no data field: n is 0 (checked on read)
        }
        ByteBuffer b = raw.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        long[] out = new long[n];
        for (int i = 0; i < n; i++) {
            switch (dataType) {
                case INT8:
                    out[i] = b.get(i);
                    break;
                case UINT8:
                case BOOL:
                    out[i] = b.get(i) & 0xFF;
                    break;
                case INT16:
                    out[i] = b.getShort(2 * i);
                    break;
                case UINT16:
                    out[i] = b.getShort(2 * i) & 0xFFFF;
                    break;
                case INT32:
                    out[i] = b.getInt(4 * i);
                    break;
                case UINT32:
                    out[i] = b.getInt(4 * i) & 0xFFFFFFFFL;
                    break;
                default: // INT64, UINT64
                    out[i] = b.getLong(8 * i);
            }
        }
        return out;
    }

    @Override
    public String toString() {
        return "OnnxTensor '" + name + "' " + typeName() + " " + Arrays.toString(dims);
    }

    String typeName() {
        return dataType == null ? "unknown type code " + dataTypeCode : dataType.name();
    }

    Field typedField() {
        return typedField;
    }

    private int count() {
        if (elementCount > Integer.MAX_VALUE - 8) {
            throw new IllegalStateException("tensor '" + name + "': " + elementCount
                    + " elements do not fit one Java array");
        }
        return (int) elementCount;
    }
}
