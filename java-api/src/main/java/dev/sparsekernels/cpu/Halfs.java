package dev.sparsekernels.cpu;

/**
 * Bit conversions between 32-bit floats and the two 16-bit formats used for weights and activations:
 * IEEE 754 binary16 ("f16", 1 sign, 5 exponent, 10 fraction bits) and bfloat16 ("bf16", the upper 16 bits of a
 * binary32). Conversions to 16 bits round to nearest, ties to even; infinities, NaNs (payload kept where it fits, a
 * NaN never becomes an infinity), signed zeros and subnormals are handled exactly. Conversions to 32 bits are exact.
 *
 * <p>Written for Java 17 (no {@code Float.float16ToFloat}); the results equal those of
 * {@code Float.floatToFloat16}/{@code Float.float16ToFloat} on Java 20+ (checked by the tests).
 */
public final class Halfs {
    private Halfs() {}

    /** binary16 bits (low 16 bits of {@code h}) to float, exact. */
    public static float f16ToF32(short h) {
        int bits = h & 0xffff;
        int sign = (bits & 0x8000) << 16;
        int exp = (bits >>> 10) & 0x1f;
        int mant = bits & 0x3ff;
        if (exp == 0x1f) { // infinity or NaN: payload shifted into the top fraction bits
            return Float.intBitsToFloat(sign | 0x7f800000 | (mant << 13));
        }
        if (exp == 0) { // zero or subnormal: mant * 2^-24, exact in float
            float f = mant * 0x1p-24f;
            return sign != 0 ? -f : f;
        }
        return Float.intBitsToFloat(sign | ((exp + (127 - 15)) << 23) | (mant << 13));
    }

    /** float to binary16 bits, round to nearest even; overflow gives infinity, underflow signed zero. */
    public static short f32ToF16(float f) {
        int bits = Float.floatToRawIntBits(f);
        int sign = (bits >>> 16) & 0x8000;
        int exp = (bits >>> 23) & 0xff;
        int mant = bits & 0x7fffff;
        if (exp == 0xff) {
            if (mant == 0) {
                return (short) (sign | 0x7c00);
            }
            int m = mant >>> 13;
            // keep the top payload bits; a NaN whose payload lives only in the low bits stays a NaN (quiet bit)
            return (short) (sign | 0x7c00 | (m != 0 ? m : 0x200));
        }
        int e = exp - 127 + 15; // biased binary16 exponent
        if (e >= 0x1f) {
            return (short) (sign | 0x7c00);
        }
        int sig;   // significand with the hidden bit, 24 bits
        int shift; // how many low bits to drop
        if (e <= 0) {
            // binary16 subnormal (or rounds to zero/smallest subnormal)
            if (e < -10) {
                // |f| < 2^-25: rounds to zero (2^-25 exactly is a tie to even -> zero, handled below when e == -10)
                return (short) sign;
            }
            sig = mant | 0x800000;
            shift = 14 - e; // 13 + (1 - e)
            e = 0;
        } else {
            sig = mant | 0x800000;
            shift = 13;
        }
        int kept = sig >>> shift;
        int rem = sig & ((1 << shift) - 1);
        int half = 1 << (shift - 1);
        if (rem > half || (rem == half && (kept & 1) != 0)) {
            kept++;
        }
        int result;
        if (e == 0) {
            // kept already includes what would be the hidden bit if rounding carried into the normal range:
            // kept == 0x400 means the smallest normal, which the encoding below gives for free
            result = kept;
        } else {
            // kept includes the hidden bit (0x400..0x800); a carry to 0x800 bumps the exponent by adding
            result = ((e - 1) << 10) + kept;
        }
        // result may have become 0x7c00 (infinity) through rounding, which is the right answer
        return (short) (sign | result);
    }

    /** bfloat16 bits (low 16 bits of {@code b}) to float, exact. */
    public static float bf16ToF32(short b) {
        return Float.intBitsToFloat((b & 0xffff) << 16);
    }

    /** float to bfloat16 bits, round to nearest even; NaNs stay NaNs (quiet bit set), payload's top bits kept. */
    public static short f32ToBf16(float f) {
        int bits = Float.floatToRawIntBits(f);
        if ((bits & 0x7fffffff) > 0x7f800000) { // NaN
            return (short) ((bits >>> 16) | 0x40);
        }
        int rounded = bits + 0x7fff + ((bits >>> 16) & 1);
        return (short) (rounded >>> 16);
    }

    /** Converts {@code n} binary16 values from {@code src[srcOff..]} into {@code dst[dstOff..]}. */
    public static void f16ToF32(short[] src, int srcOff, float[] dst, int dstOff, int n) {
        checkRange("src", src.length, srcOff, n);
        checkRange("dst", dst.length, dstOff, n);
        for (int i = 0; i < n; i++) {
            dst[dstOff + i] = f16ToF32(src[srcOff + i]);
        }
    }

    /** Converts {@code n} floats from {@code src[srcOff..]} to binary16 bits in {@code dst[dstOff..]}. */
    public static void f32ToF16(float[] src, int srcOff, short[] dst, int dstOff, int n) {
        checkRange("src", src.length, srcOff, n);
        checkRange("dst", dst.length, dstOff, n);
        for (int i = 0; i < n; i++) {
            dst[dstOff + i] = f32ToF16(src[srcOff + i]);
        }
    }

    /** Converts {@code n} bfloat16 values from {@code src[srcOff..]} into {@code dst[dstOff..]}. */
    public static void bf16ToF32(short[] src, int srcOff, float[] dst, int dstOff, int n) {
        checkRange("src", src.length, srcOff, n);
        checkRange("dst", dst.length, dstOff, n);
        for (int i = 0; i < n; i++) {
            dst[dstOff + i] = bf16ToF32(src[srcOff + i]);
        }
    }

    /** Converts {@code n} floats from {@code src[srcOff..]} to bfloat16 bits in {@code dst[dstOff..]}. */
    public static void f32ToBf16(float[] src, int srcOff, short[] dst, int dstOff, int n) {
        checkRange("src", src.length, srcOff, n);
        checkRange("dst", dst.length, dstOff, n);
        for (int i = 0; i < n; i++) {
            dst[dstOff + i] = f32ToBf16(src[srcOff + i]);
        }
    }

    /** Whole-array binary16 to float. */
    public static float[] f16ToF32(short[] src) {
        float[] dst = new float[src.length];
        f16ToF32(src, 0, dst, 0, src.length);
        return dst;
    }

    /** Whole-array float to binary16. */
    public static short[] f32ToF16(float[] src) {
        short[] dst = new short[src.length];
        f32ToF16(src, 0, dst, 0, src.length);
        return dst;
    }

    /** Whole-array bfloat16 to float. */
    public static float[] bf16ToF32(short[] src) {
        float[] dst = new float[src.length];
        bf16ToF32(src, 0, dst, 0, src.length);
        return dst;
    }

    /** Whole-array float to bfloat16. */
    public static short[] f32ToBf16(float[] src) {
        short[] dst = new short[src.length];
        f32ToBf16(src, 0, dst, 0, src.length);
        return dst;
    }

    private static void checkRange(String name, int length, int off, int n) {
        if (n < 0) {
            throw new IllegalArgumentException("n: expected >= 0, got " + n);
        }
        if (off < 0 || (long) off + n > length) {
            throw new IllegalArgumentException(name + ": expected offset >= 0 and offset + n <= " + name + ".length ("
                    + length + "), got offset " + off + ", n " + n);
        }
    }
}
