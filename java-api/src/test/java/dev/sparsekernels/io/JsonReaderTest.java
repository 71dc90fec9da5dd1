package dev.sparsekernels.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import org.junit.jupiter.api.Test;

class JsonReaderTest {

    @Test
    void parsesASafetensorsStyleHeaderKeepingKeyOrder() {
        Object v = JsonReader.parse("{\"b\": {\"dtype\": \"F32\", \"shape\": [2, 3], \"data_offsets\": [0, 24]},"
                + " \"__metadata__\": {\"format\": \"pt\"}, \"a\": [1.5e2, -0.25, true, false, null]}");
        Map<?, ?> m = (Map<?, ?>) v;
        assertEquals(List.of("b", "__metadata__", "a"), List.copyOf(m.keySet()));
        Map<?, ?> b = (Map<?, ?>) m.get("b");
        assertEquals(List.of(2L, 3L), b.get("shape"));
        List<?> a = (List<?>) m.get("a");
        assertEquals(150.0, a.get(0));
        assertEquals(-0.25, a.get(1));
        assertEquals(Boolean.TRUE, a.get(2));
        assertNull(a.get(4));
    }

    @Test
    void decodesEscapesAndSurrogatePairs() {
        assertEquals("a\"b\\c/\n\t\u00e9\uD83D\uDE00", JsonReader.parse("\"a\\\"b\\\\c\\/\\n\\t\\u00e9\\ud83d\\ude00\""));
    }

    @Test
    void integersBeyondLongRangeBecomeDoubles() {
        assertEquals(123456789012345678L, JsonReader.parse("123456789012345678"));
        assertTrue(JsonReader.parse("12345678901234567890123") instanceof Double);
        // 19 digits: a long while in range (2^62, the largest long), a double past it (session 18: 2^62 was a double)
        assertEquals(4611686018427387904L, JsonReader.parse("4611686018427387904"));
        assertEquals(Long.MAX_VALUE, JsonReader.parse("9223372036854775807"));
        assertEquals(-9223372036854775807L, JsonReader.parse("-9223372036854775807"));
        assertTrue(JsonReader.parse("9223372036854775808") instanceof Double);
    }

    @Test
    void malformedDocumentsNameTheOffset() {
        String[] bad = {"", "{", "{\"a\" 1}", "[1,]", "[1 2]", "{\"a\":1,\"a\":2}", "01", "1.", "-", "\"abc",
            "\"\\x\"", "\"\\u12\"", "tru", "nul", "{} x", "\"a\u0001\"", "[1e]", "{1:2}"};
        for (String s : bad) {
            JsonFormatException e = assertThrows(JsonFormatException.class, () -> JsonReader.parse(s), s);
            assertTrue(e.getMessage().startsWith("malformed JSON at offset "), e.getMessage());
        }
    }

    @Test
    void hostileNestingIsRefusedWithoutStackOverflow() {
        String deep = "[".repeat(100_000) + "]".repeat(100_000);
        JsonFormatException e = assertThrows(JsonFormatException.class, () -> JsonReader.parse(deep));
        assertTrue(e.getMessage().contains("nesting deeper than"), e.getMessage());
    }

    @Property(tries = 300)
    void anyStringEitherParsesOrFailsCleanly(@ForAll String s) {
        try {
            JsonReader.parse(s);
        } catch (JsonFormatException expected) {
            assertTrue(expected.getMessage().startsWith("malformed JSON"));
        }
    }

    @Property(tries = 300)
    void writtenStringsReadBack(@ForAll String s) {
        StringBuilder sb = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            if (c == '"' || c == '\\') {
                sb.append('\\').append(c);
            } else if (c < 0x20) {
                sb.append(String.format("\\u%04x", (int) c));
            } else {
                sb.append(c);
            }
        }
        assertEquals(s, JsonReader.parse(sb.append('"').toString()));
    }
}
