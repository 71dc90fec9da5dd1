package dev.sparsekernels.io.onnx;

/**
 * Element types of ONNX {@code TensorProto.data_type}, with their codes from onnx.proto and the size of one element
 * in {@code raw_data} (0 where elements are not fixed-size bytes: strings, 4-bit types).
 */
public enum OnnxDataType {
    UNDEFINED(0, 0),
    FLOAT(1, 4),
    UINT8(2, 1),
    INT8(3, 1),
    UINT16(4, 2),
    INT16(5, 2),
    INT32(6, 4),
    INT64(7, 8),
    STRING(8, 0),
    BOOL(9, 1),
    FLOAT16(10, 2),
    DOUBLE(11, 8),
    UINT32(12, 4),
    UINT64(13, 8),
    COMPLEX64(14, 8),
    COMPLEX128(15, 16),
    BFLOAT16(16, 2),
    FLOAT8E4M3FN(17, 1),
    FLOAT8E4M3FNUZ(18, 1),
    FLOAT8E5M2(19, 1),
    FLOAT8E5M2FNUZ(20, 1),
    UINT4(21, 0),
    INT4(22, 0);

    private final int code;
    private final int byteSize;

    OnnxDataType(int code, int byteSize) {
        this.code = code;
        this.byteSize = byteSize;
    }

    /** The code in onnx.proto. */
    public int code() {
        return code;
    }

    /** Bytes per element in raw_data; 0 for strings and sub-byte types. */
    public int byteSize() {
        return byteSize;
    }

    /** The type with this code, or null when the code is unknown (newer ONNX versions add types). */
    public static OnnxDataType ofCode(long code) {
        for (OnnxDataType t : values()) {
            if (t.code == code) {
                return t;
            }
        }
        return null;
    }

    /** Whether {@link OnnxTensor#toFloatArray()} can convert this type. */
    public boolean isFloating() {
        return this == FLOAT || this == FLOAT16 || this == BFLOAT16 || this == DOUBLE;
    }

    /** Whether {@link OnnxTensor#toLongArray()} can convert this type. */
    public boolean isInteger() {
        return this == UINT8 || this == INT8 || this == UINT16 || this == INT16 || this == INT32 || this == INT64
                || this == BOOL || this == UINT32 || this == UINT64;
    }
}
