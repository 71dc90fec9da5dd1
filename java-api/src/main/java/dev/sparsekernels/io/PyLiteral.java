package dev.sparsekernels.io;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A small parser for the subset of Python literal syntax found in {@code .npy} headers: dicts, tuples, lists,
 * strings ('...' or "..."), integers (with an optional Python 2 {@code L} suffix), {@code True}, {@code False}
 * and {@code None}. Trailing commas are allowed as in Python; {@code (x)} without a comma is just {@code x}.
 *
 * <p>Values map to: dict → {@link Map} (insertion order), tuple → {@link Tuple}, list → {@link PyList},
 * str → {@link String}, int → {@link BigInteger}, bool → {@link Boolean}, None → {@link #NONE}.
 */
final class PyLiteral {

    /** A Python tuple. */
    record Tuple(List<Object> items) {
        @Override
        public String toString() {
            return repr(this);
        }
    }

    /** A Python list. */
    record PyList(List<Object> items) {
        @Override
        public String toString() {
            return repr(this);
        }
    }

    /** Python's {@code None}. */
    static final Object NONE = new Object() {
        @Override
        public String toString() {
            return "None";
        }
    };

    /** Thrown when the text is not a valid literal; the message says what was expected and where. */
    static final class SyntaxError extends Exception {
        private static final long serialVersionUID = 1L;

        SyntaxError(String message) {
            super(message);
        }
    }

    private static final int MAX_DEPTH = 64;

    private final String s;
    private int pos;
    private int depth;

    private PyLiteral(String s) {
        this.s = s;
    }

    /** Parses one literal that must make up the whole text (surrounding whitespace allowed). */
    static Object parse(String text) throws SyntaxError {
        PyLiteral p = new PyLiteral(text);
        p.skipWs();
        Object v = p.value();
        p.skipWs();
        if (p.pos != text.length()) {
            throw p.error("end of literal");
        }
        return v;
    }

    /** Python-style repr of a parsed value, for messages. */
    static String repr(Object v) {
        if (v instanceof String str) {
            return "'" + str.replace("\\", "\\\\").replace("'", "\\'").replace("\n", "\\n") + "'";
        }
        if (v instanceof Boolean b) {
            return b ? "True" : "False";
        }
        if (v instanceof Tuple t) {
            StringBuilder sb = new StringBuilder("(");
            for (int i = 0; i < t.items().size(); i++) {
                if (i > 0) {
                    sb.append(", ");
                }
                sb.append(repr(t.items().get(i)));
            }
            if (t.items().size() == 1) {
                sb.append(',');
            }
            return sb.append(')').toString();
        }
        if (v instanceof PyList l) {
            StringBuilder sb = new StringBuilder("[");
            for (int i = 0; i < l.items().size(); i++) {
                if (i > 0) {
                    sb.append(", ");
                }
                sb.append(repr(l.items().get(i)));
            }
            return sb.append(']').toString();
        }
        if (v instanceof Map<?, ?> m) {
            StringBuilder sb = new StringBuilder("{");
            boolean first = true;
            for (Map.Entry<?, ?> e : m.entrySet()) {
                if (!first) {
                    sb.append(", ");
                }
                first = false;
                sb.append(repr(e.getKey())).append(": ").append(repr(e.getValue()));
            }
            return sb.append('}').toString();
        }
        return String.valueOf(v);
    }

    private SyntaxError error(String expected) {
        String found = pos >= s.length() ? "end of text" : "'" + s.charAt(pos) + "'";
        return new SyntaxError("expected " + expected + " at offset " + pos + ", found " + found);
    }

    private void skipWs() {
        while (pos < s.length()) {
            char c = s.charAt(pos);
            if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f') {
                pos++;
            } else {
                break;
            }
        }
    }

    private boolean peek(char c) {
        return pos < s.length() && s.charAt(pos) == c;
    }

    private Object value() throws SyntaxError {
        if (pos >= s.length()) {
            throw error("a value");
        }
        char c = s.charAt(pos);
        switch (c) {
            case '{':
                return nested(this::dict);
            case '(':
                return nested(this::tuple);
            case '[':
                return nested(this::list);
            case '\'':
            case '"':
                return string();
            default:
                break;
        }
        if (c == '-' || c == '+' || (c >= '0' && c <= '9')) {
            return integer();
        }
        if (Character.isLetter(c) || c == '_') {
            int start = pos;
            while (pos < s.length() && (Character.isLetterOrDigit(s.charAt(pos)) || s.charAt(pos) == '_')) {
                pos++;
            }
            String word = s.substring(start, pos);
            switch (word) {
                case "True":
                    return Boolean.TRUE;
                case "False":
                    return Boolean.FALSE;
                case "None":
                    return NONE;
                default:
                    pos = start;
                    throw new SyntaxError("unexpected name '" + word + "' at offset " + start
                            + " (only literals are allowed)");
            }
        }
        throw error("a value");
    }

    private interface Body {
        Object parse() throws SyntaxError;
    }

    private Object nested(Body body) throws SyntaxError {
        if (++depth > MAX_DEPTH) {
            throw new SyntaxError("literal nested deeper than " + MAX_DEPTH + " levels at offset " + pos);
        }
        try {
            return body.parse();
        } finally {
            depth--;
        }
    }

    private Object dict() throws SyntaxError {
        pos++; // '{'
        Map<Object, Object> map = new LinkedHashMap<>();
        skipWs();
        while (!peek('}')) {
            int keyPos = pos;
            Object key = value();
            if (key instanceof Map || key instanceof PyList) {
                pos = keyPos;
                throw new SyntaxError("unhashable dict key at offset " + keyPos);
            }
            skipWs();
            if (!peek(':')) {
                throw error("':'");
            }
            pos++;
            skipWs();
            Object val = value();
            if (map.containsKey(key)) {
                throw new SyntaxError("duplicate key " + repr(key) + " at offset " + keyPos);
            }
            map.put(key, val);
            skipWs();
            if (peek(',')) {
                pos++;
                skipWs();
            } else if (!peek('}')) {
                throw error("',' or '}'");
            }
        }
        pos++; // '}'
        return Collections.unmodifiableMap(map);
    }

    private Object tuple() throws SyntaxError {
        pos++; // '('
        List<Object> items = new ArrayList<>();
        boolean sawComma = false;
        skipWs();
        while (!peek(')')) {
            items.add(value());
            skipWs();
            if (peek(',')) {
                pos++;
                sawComma = true;
                skipWs();
            } else if (!peek(')')) {
                throw error("',' or ')'");
            }
        }
        pos++; // ')'
        if (items.size() == 1 && !sawComma) {
            return items.get(0); // parenthesised expression, not a tuple
        }
        return new Tuple(Collections.unmodifiableList(items));
    }

    private Object list() throws SyntaxError {
        pos++; // '['
        List<Object> items = new ArrayList<>();
        skipWs();
        while (!peek(']')) {
            items.add(value());
            skipWs();
            if (peek(',')) {
                pos++;
                skipWs();
            } else if (!peek(']')) {
                throw error("',' or ']'");
            }
        }
        pos++; // ']'
        return new PyList(Collections.unmodifiableList(items));
    }

    private String string() throws SyntaxError {
        int start = pos;
        char quote = s.charAt(pos++);
        StringBuilder sb = new StringBuilder();
        while (true) {
            if (pos >= s.length() || s.charAt(pos) == '\n') {
                throw new SyntaxError("unterminated string starting at offset " + start);
            }
            char c = s.charAt(pos++);
            if (c == quote) {
                return sb.toString();
            }
            if (c != '\\') {
                sb.append(c);
                continue;
            }
            if (pos >= s.length()) {
                throw new SyntaxError("unterminated string starting at offset " + start);
            }
            char e = s.charAt(pos++);
            switch (e) {
                case 'n' -> sb.append('\n');
                case 't' -> sb.append('\t');
                case 'r' -> sb.append('\r');
                case '0' -> sb.append('\0');
                case '\\', '\'', '"' -> sb.append(e);
                default -> sb.append('\\').append(e);
            }
        }
    }

    private BigInteger integer() throws SyntaxError {
        int start = pos;
        if (peek('-') || peek('+')) {
            pos++;
        }
        int digits = pos;
        while (pos < s.length() && s.charAt(pos) >= '0' && s.charAt(pos) <= '9') {
            pos++;
        }
        if (pos == digits) {
            throw error("a digit");
        }
        if (pos - digits > 1000) {
            throw new SyntaxError("integer literal at offset " + start + " is too long");
        }
        BigInteger v = new BigInteger(s.substring(start, pos));
        if (peek('L') || peek('l')) {
            pos++; // Python 2 long suffix, written by numpy under Python 2
        }
        if (pos < s.length() && (s.charAt(pos) == '.' || s.charAt(pos) == 'e' || s.charAt(pos) == 'E'
                || s.charAt(pos) == 'j' || s.charAt(pos) == 'x' || Character.isLetterOrDigit(s.charAt(pos)))) {
            throw error("an integer (only integer numbers are allowed)");
        }
        return v;
    }
}
