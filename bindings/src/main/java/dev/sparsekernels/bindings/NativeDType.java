package dev.sparsekernels.bindings;

/** The {@code SK_DTYPE_} values of sparsekernels.h; they equal the ordinals of {@code dev.sparsekernels.DType}. */
public final class NativeDType {
    public static final int F32 = 0;
    public static final int F16 = 1;
    public static final int BF16 = 2;

    private NativeDType() {
    }

    /** Element size in bytes of a dtype value. */
    public static int byteSize(int dtype) {
        switch (dtype) {
            case F32: return 4;
            case F16:
            case BF16: return 2;
            default: throw new IllegalArgumentException("dtype: expected 0 (F32), 1 (F16) or 2 (BF16), got " + dtype);
        }
    }

    /** "F32", "F16", "BF16", or "?(n)" for an unknown value. */
    public static String name(int dtype) {
        switch (dtype) {
            case F32: return "F32";
            case F16: return "F16";
            case BF16: return "BF16";
            default: return "?(" + dtype + ")";
        }
    }
}
