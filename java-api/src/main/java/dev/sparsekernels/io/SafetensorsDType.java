package dev.sparsekernels.io;

import dev.sparsekernels.DType;
import java.util.Arrays;
import java.util.stream.Collectors;

/**
 * Element types read from {@code .safetensors} files, named as in the file's JSON header. All data is little-endian.
 * Only F32, F16 and BF16 map to a {@link DType} (and can be written); the others can be read as plain arrays.
 */
public enum SafetensorsDType {
    F64(8, null),
    F32(4, DType.F32),
    F16(2, DType.F16),
    BF16(2, DType.BF16),
    I64(8, null),
    I32(4, null),
    I16(2, null),
    I8(1, null),
    U8(1, null),
    /** One byte per element; 0 is false, anything else true. */
    BOOL(1, null);

    private final int byteSize;
    private final DType tensorType;

    SafetensorsDType(int byteSize, DType tensorType) {
        this.byteSize = byteSize;
        this.tensorType = tensorType;
    }

    public int byteSize() {
        return byteSize;
    }

    /** The {@link DType} of a {@link dev.sparsekernels.Tensor} holding this data bit for bit, or null if none does. */
    public DType tensorType() {
        return tensorType;
    }

    /** True for the integer and BOOL types. */
    public boolean isIntegral() {
        return this == I64 || this == I32 || this == I16 || this == I8 || this == U8 || this == BOOL;
    }

    /** The header name of a tensor dtype: F32, F16 or BF16. */
    static SafetensorsDType of(DType t) {
        switch (t) {
            case F32:
                return F32;
            case F16:
                return F16;
            case BF16:
                return BF16;
            default:
                throw new AssertionError(t);
        }
    }

    /** The type named exactly {@code name} in a header, or null. */
    static SafetensorsDType parse(String name) {
        for (SafetensorsDType t : values()) {
            if (t.name().equals(name)) {
                return t;
            }
        }
        return null;
    }

    static String supported() {
        return Arrays.stream(values()).map(Enum::name).collect(Collectors.joining(", "));
    }
}
