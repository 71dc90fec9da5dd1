package dev.sparsekernels.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigInteger;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class NpyArrayF16AndLiteralTest {

    @Test
    void everyHalfSurvivesFloatRoundTrip() {
        for (int b = 0; b < 0x10000; b++) {
            short bits = (short) b;
            float f = NpyArray.f16ToFloat(bits);
            if (Float.isNaN(f)) {
                assertTrue(Float.isNaN(NpyArray.f16ToFloat(NpyArray.floatToF16(f))));
                assertEquals(0x7c00, NpyArray.floatToF16(f) & 0x7c00);
            } else {
                assertEquals(b, NpyArray.floatToF16(f) & 0xffff, "bits 0x" + Integer.toHexString(b));
            }
        }
    }

    @Test
    void halfDecodingAgainstReference() {
        // reference: value = (-1)^s * 2^(e-15) * (1 + m/1024), subnormal 2^-14 * m/1024, computed in double
        for (int b = 0; b < 0x10000; b++) {
            int e = (b >>> 10) & 0x1f;
            int m = b & 0x3ff;
            if (e == 31) {
                continue;
            }
            double v = e == 0 ? Math.scalb(m / 1024.0, -14) : Math.scalb(1 + m / 1024.0, e - 15);
            if ((b & 0x8000) != 0) {
                v = -v;
            }
            assertEquals((float) v, NpyArray.f16ToFloat((short) b), "bits 0x" + Integer.toHexString(b));
        }
    }

    @Test
    void floatToHalfRoundsToNearestEven() {
        assertEquals(0x3c00, NpyArray.floatToF16(1f + 0x1p-11f)); // tie, even stays
        assertEquals(0x3c02, NpyArray.floatToF16(1f + 3 * 0x1p-11f)); // tie, odd rounds up
        assertEquals(0x7bff, NpyArray.floatToF16(65519f));
        assertEquals(0x7c00, NpyArray.floatToF16(65520f));
        assertEquals(0x0000, NpyArray.floatToF16(0x1p-25f)); // tie to even zero
        assertEquals(0x0001, NpyArray.floatToF16(0x1.8p-25f));
        assertEquals((short) 0xfc00, NpyArray.floatToF16(Float.NEGATIVE_INFINITY));
    }

    @Test
    void literalParser() throws Exception {
        assertEquals(Map.of("a", new PyLiteral.Tuple(List.of()), "b", Boolean.TRUE),
                PyLiteral.parse(" {'a': (), \"b\": True,}\n"));
        assertEquals(new PyLiteral.Tuple(List.of(BigInteger.valueOf(5))), PyLiteral.parse("(5,)"));
        assertEquals(BigInteger.valueOf(5), PyLiteral.parse("(5)"));
        assertEquals(new PyLiteral.PyList(List.of("x", PyLiteral.NONE)), PyLiteral.parse("['x', None]"));
        assertEquals("it's", PyLiteral.parse("'it\\'s'"));
        assertEquals("(1, 2)", PyLiteral.repr(PyLiteral.parse("(1,2,)")));
        assertEquals("(1,)", PyLiteral.repr(PyLiteral.parse("(1 ,)")));
        assertThrows(PyLiteral.SyntaxError.class, () -> PyLiteral.parse("(1,,)"));
        assertThrows(PyLiteral.SyntaxError.class, () -> PyLiteral.parse("{'a': 1} x"));
        assertThrows(PyLiteral.SyntaxError.class, () -> PyLiteral.parse("'abc"));
        assertThrows(PyLiteral.SyntaxError.class, () -> PyLiteral.parse("(".repeat(1000)));
        assertThrows(PyLiteral.SyntaxError.class, () -> PyLiteral.parse("{[1]: 2}"));
        assertThrows(PyLiteral.SyntaxError.class, () -> PyLiteral.parse("-"));
    }
}
