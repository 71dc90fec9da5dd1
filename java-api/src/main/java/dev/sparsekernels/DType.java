package dev.sparsekernels;

import java.util.Locale;

/** Element types of tensors and weights. Ordinals match the C ABI's SK_DTYPE_* values. */
public enum DType {
    F32(4, "f32"),
    F16(2, "f16"),
    BF16(2, "bf16");

    private final int byteSize;
    private final String shortName;

    DType(int byteSize, String shortName) {
        this.byteSize = byteSize;
        this.shortName = shortName;
    }

    public int byteSize() {
        return byteSize;
    }

    /** The name used on the command line and in bench records: f32, f16, bf16. */
    public String shortName() {
        return shortName;
    }

    /** The native code (SK_DTYPE_*). */
    public int nativeCode() {
        return ordinal();
    }

    public static DType parse(String name) {
        String n = name == null ? "" : name.trim().toLowerCase(Locale.ROOT);
        for (DType t : values()) {
            if (t.shortName.equals(n) || t.name().equalsIgnoreCase(n)) {
                return t;
            }
        }
        throw new IllegalArgumentException("dtype: expected one of f32, f16, bf16 but got '" + name + "'");
    }

    @Override
    public String toString() {
        return shortName;
    }
}
