package dev.sparsekernels.io;

import java.util.Arrays;
import java.util.stream.Collectors;

/**
 * Element types supported in {@code .npy} files, with the NumPy {@code descr} string each is written as.
 *
 * <p>On read, the byte-order character of the descr may be {@code '<'} (little-endian), {@code '>'} (big-endian,
 * byte-swapped on read), {@code '='} (native; taken as little-endian) or {@code '|'} (not applicable); for one-byte
 * types any of them is accepted. {@code '?'} is accepted as an alias of {@code b1}.
 */
public enum NpyDType {
    /** IEEE-754 binary32, {@code '<f4'}. */
    F32("<f4", 4),
    /** IEEE-754 binary16, {@code '<f2'}. */
    F16("<f2", 2),
    /** IEEE-754 binary64, {@code '<f8'}. */
    F64("<f8", 8),
    /** Signed 32-bit integer, {@code '<i4'}. */
    I32("<i4", 4),
    /** Signed 64-bit integer, {@code '<i8'}. */
    I64("<i8", 8),
    /** Signed 8-bit integer, {@code '|i1'}. */
    I8("|i1", 1),
    /** Unsigned 8-bit integer, {@code '|u1'}. */
    U8("|u1", 1),
    /** Boolean, one byte per element (0 = false, anything else = true), {@code '|b1'}. */
    BOOL("|b1", 1);

    private final String descr;
    private final int byteSize;

    NpyDType(String descr, int byteSize) {
        this.descr = descr;
        this.byteSize = byteSize;
    }

    /** The descr NumPy writes for this type, e.g. {@code "<f4"}; this is what {@link Npy#write} uses. */
    public String descr() {
        return descr;
    }

    /** Bytes per element. */
    public int byteSize() {
        return byteSize;
    }

    /** True for F16, F32 and F64. */
    public boolean isFloatingPoint() {
        return this == F16 || this == F32 || this == F64;
    }

    /** True for I8, U8, I32 and I64 (not BOOL). */
    public boolean isInteger() {
        return this == I8 || this == U8 || this == I32 || this == I64;
    }

    /** Comma-separated list of the descrs written for all types, for error messages. */
    static String supportedDescrs() {
        return Arrays.stream(values()).map(NpyDType::descr).collect(Collectors.joining(", "));
    }

    /** Result of parsing a descr: the type and whether its data is big-endian. */
    record Parsed(NpyDType dtype, boolean bigEndian) {
    }

    /**
     * Parses a NumPy descr such as {@code "<f4"}, {@code ">i8"} or {@code "|b1"}.
     *
     * @return the parsed type, or {@code null} if the descr names no supported type
     */
    static Parsed parseDescr(String descr) {
        if (descr == null) {
            return null;
        }
        if (descr.equals("?") || descr.equals("|?") || descr.equals("=?") || descr.equals("<?") || descr.equals(">?")) {
            return new Parsed(BOOL, false);
        }
        if (descr.length() != 3) {
            return null;
        }
        char order = descr.charAt(0);
        if (order != '<' && order != '>' && order != '=' && order != '|') {
            return null;
        }
        String code = descr.substring(1);
        for (NpyDType t : values()) {
            if (t.descr.substring(1).equals(code)) {
                return new Parsed(t, order == '>' && t.byteSize > 1);
            }
        }
        return null;
    }
}
