package dev.sparsekernels.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.abort;

import java.lang.reflect.Method;
import java.util.Random;
import org.junit.jupiter.api.Test;

class HalfsTest {

    @Test
    void f16RoundTripIsExhaustivelyExact() {
        for (int h = 0; h < 0x10000; h++) {
            float f = Halfs.f16ToF32((short) h);
            short back = Halfs.f32ToF16(f);
            if ((back & 0xffff) != h) {
                assertEquals(Integer.toHexString(h), Integer.toHexString(back & 0xffff), "round trip via " + f);
            }
        }
    }

    @Test
    void f16KnownValues() {
        assertEquals(1.0f, Halfs.f16ToF32((short) 0x3c00));
        assertEquals(-2.0f, Halfs.f16ToF32((short) 0xc000));
        assertEquals(65504f, Halfs.f16ToF32((short) 0x7bff));
        assertEquals(0x1p-24f, Halfs.f16ToF32((short) 0x0001)); // smallest subnormal
        assertEquals(0x1p-14f, Halfs.f16ToF32((short) 0x0400)); // smallest normal
        assertEquals(Float.POSITIVE_INFINITY, Halfs.f16ToF32((short) 0x7c00));
        assertTrue(Float.isNaN(Halfs.f16ToF32((short) 0x7e00)));
        assertEquals(Float.floatToRawIntBits(-0f), Float.floatToRawIntBits(Halfs.f16ToF32((short) 0x8000)));

        assertEquals(0x7c00, Halfs.f32ToF16(65520f) & 0xffff); // halfway above max rounds to infinity
        assertEquals(0x7bff, Halfs.f32ToF16(65519.99f) & 0xffff);
        assertEquals(0x0000, Halfs.f32ToF16(0x1p-25f) & 0xffff); // tie to even: zero
        assertEquals(0x0001, Halfs.f32ToF16(Math.nextUp(0x1p-25f)) & 0xffff);
        assertEquals(0x3c00, Halfs.f32ToF16(1f + 0x1p-11f) & 0xffff); // tie, even stays
        assertEquals(0x3c02, Halfs.f32ToF16(1f + 3 * 0x1p-11f) & 0xffff); // tie, odd rounds up
        assertEquals(0x8000, Halfs.f32ToF16(-1e-30f) & 0xffff);
        assertEquals(0xfc00, Halfs.f32ToF16(Float.NEGATIVE_INFINITY) & 0xffff);
        short nan = Halfs.f32ToF16(Float.intBitsToFloat(0x7f800001)); // payload only in low bits: still NaN
        assertTrue(Float.isNaN(Halfs.f16ToF32(nan)));
    }

    /** On Java 20+ the JDK has its own conversions: ours must agree bit for bit. */
    @Test
    void f16MatchesJdkWhereAvailable() throws Exception {
        Method toF16;
        Method toF32;
        try {
            toF16 = Float.class.getMethod("floatToFloat16", float.class);
            toF32 = Float.class.getMethod("float16ToFloat", short.class);
        } catch (NoSuchMethodException e) {
            // Skipped, not passed: the JDK's own f16 conversions (Java 20+) are the oracle here.
            abort("Float.float16ToFloat/floatToFloat16 need Java 20+; this JVM is Java " + Runtime.version());
            return;
        }
        for (int h = 0; h < 0x10000; h++) {
            float jdk = (float) toF32.invoke(null, (short) h);
            float ours = Halfs.f16ToF32((short) h);
            if (Float.isNaN(jdk)) {
                // HotSpot's intrinsic (vcvtph2ps) sets the quiet bit; we keep the payload as is (exact round trip)
                assertTrue(Float.isNaN(ours));
                assertEquals(Float.floatToRawIntBits(jdk) | 0x400000, Float.floatToRawIntBits(ours) | 0x400000);
            } else {
                assertEquals(Float.floatToRawIntBits(jdk), Float.floatToRawIntBits(ours), "f16 0x" + Integer.toHexString(h));
            }
        }
        // every float bit pattern with stride 251 (about 17 million values, all exponents and rounding cases)
        for (long bits = 0; bits <= 0xffffffffL; bits += 251) {
            float f = Float.intBitsToFloat((int) bits);
            short jdk = (short) toF16.invoke(null, f);
            short ours = Halfs.f32ToF16(f);
            if (Float.isNaN(f)) {
                assertTrue(Float.isNaN(Halfs.f16ToF32(ours)));
            } else if (jdk != ours) {
                assertEquals(jdk, ours, "float bits 0x" + Long.toHexString(bits));
            }
        }
    }

    @Test
    void bf16() {
        assertEquals(0x3f80, Halfs.f32ToBf16(1f) & 0xffff);
        assertEquals(1f, Halfs.bf16ToF32((short) 0x3f80));
        assertEquals(0x3f80, Halfs.f32ToBf16(Float.intBitsToFloat(0x3f808000)) & 0xffff); // tie, even stays
        assertEquals(0x3f82, Halfs.f32ToBf16(Float.intBitsToFloat(0x3f818000)) & 0xffff); // tie, odd rounds up
        assertEquals(0x3f81, Halfs.f32ToBf16(Float.intBitsToFloat(0x3f808001)) & 0xffff);
        assertEquals(0x7f80, Halfs.f32ToBf16(Float.MAX_VALUE) & 0xffff); // rounds to infinity
        assertEquals(0xff80, Halfs.f32ToBf16(Float.NEGATIVE_INFINITY) & 0xffff);
        assertTrue(Float.isNaN(Halfs.bf16ToF32(Halfs.f32ToBf16(Float.intBitsToFloat(0x7f800001)))));
        assertEquals(0x0001, Halfs.f32ToBf16(Float.intBitsToFloat(0x00010000)) & 0xffff); // subnormal
        for (int b = 0; b < 0x10000; b++) {
            float f = Halfs.bf16ToF32((short) b);
            if (!Float.isNaN(f)) {
                assertEquals(b, Halfs.f32ToBf16(f) & 0xffff);
            }
        }
        Random r = new Random(3);
        for (int i = 0; i < 100_000; i++) {
            float f = Float.intBitsToFloat(r.nextInt());
            if (Float.isNaN(f) || Float.isInfinite(f)) {
                continue;
            }
            float back = Halfs.bf16ToF32(Halfs.f32ToBf16(f));
            // half a bf16 ulp: 2^-8 relative for normals, 2^-134 absolute for subnormals
            assertTrue(Math.abs(back - f) <= Math.max(Math.abs(f) * 0x1p-8f, 0x1p-134f) || Float.isInfinite(back),
                    () -> f + " -> " + back);
        }
    }

    @Test
    void arrays() {
        float[] f = {0f, -1.5f, 65504f, 1e-7f, Float.NaN};
        short[] h = Halfs.f32ToF16(f);
        float[] back = Halfs.f16ToF32(h);
        for (int i = 0; i < f.length; i++) {
            assertEquals(Halfs.f16ToF32(Halfs.f32ToF16(f[i])), back[i], 0f);
        }
        assertArrayEquals(new float[] {0f, -1.5f}, Halfs.bf16ToF32(Halfs.f32ToBf16(new float[] {0f, -1.5f})));
        short[] dst = new short[3];
        Halfs.f32ToF16(f, 1, dst, 1, 2);
        assertEquals(0, dst[0]);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Halfs.f32ToF16(f, 4, dst, 0, 2));
        assertTrue(e.getMessage().startsWith("src:"), e.getMessage());
    }
}
