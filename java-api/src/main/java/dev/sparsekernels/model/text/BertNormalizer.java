package dev.sparsekernels.model.text;

import java.text.Normalizer;

/**
 * BERT's text normalisation, in the order of Hugging Face's {@code BertNormalizer}: drop NUL, U+FFFD and control
 * characters and turn every white space into a plain space; put spaces around CJK ideographs (so each becomes a
 * word); strip accents (NFD, then drop non-spacing marks); lowercase.
 *
 * <p>Lowercasing is per character (as the Rust {@code char::to_lowercase} that Hugging Face uses), not Java's
 * context-sensitive {@code String.toLowerCase}, which would turn a word-final capital sigma into 'ς' where BERT's
 * vocabulary expects 'σ'. The result of accent stripping stays decomposed (NFD), as in the reference.
 */
final class BertNormalizer {
    private final boolean cleanText;
    private final boolean handleChineseChars;
    private final boolean stripAccents;
    private final boolean lowercase;

    BertNormalizer(boolean cleanText, boolean handleChineseChars, boolean stripAccents, boolean lowercase) {
        this.cleanText = cleanText;
        this.handleChineseChars = handleChineseChars;
        this.stripAccents = stripAccents;
        this.lowercase = lowercase;
    }

    String normalize(String text) {
        String s = text;
        if (cleanText || handleChineseChars) {
            StringBuilder b = new StringBuilder(s.length() + 8);
            s.codePoints().forEach(cp -> {
                if (cleanText) {
                    if (cp == 0 || cp == 0xFFFD || isControl(cp)) {
                        return;
                    }
                    if (isWhitespace(cp)) {
                        b.append(' ');
                        return;
                    }
                }
                if (handleChineseChars && isChinese(cp)) {
                    b.append(' ').appendCodePoint(cp).append(' ');
                } else {
                    b.appendCodePoint(cp);
                }
            });
            s = b.toString();
        }
        if (stripAccents) {
            StringBuilder b = new StringBuilder(s.length());
            Normalizer.normalize(s, Normalizer.Form.NFD).codePoints()
                    .filter(cp -> Character.getType(cp) != Character.NON_SPACING_MARK)
                    .forEach(b::appendCodePoint);
            s = b.toString();
        }
        if (lowercase) {
            StringBuilder b = new StringBuilder(s.length());
            s.codePoints().forEach(cp -> {
                if (cp == 0x130) {
                    b.append("i\u0307"); // the one unconditional multi-character lowercase mapping (SpecialCasing)
                } else {
                    b.appendCodePoint(Character.toLowerCase(cp));
                }
            });
            s = b.toString();
        }
        return s;
    }

    /** Unicode White_Space (what Rust's char::is_whitespace tests), which Java's isWhitespace does not match. */
    static boolean isWhitespace(int cp) {
        return cp == ' ' || (cp >= 0x09 && cp <= 0x0D) || cp == 0x85 || cp == 0xA0 || cp == 0x1680
                || (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 || cp == 0x2029 || cp == 0x202F || cp == 0x205F
                || cp == 0x3000;
    }

    /** General category C (control, format, surrogate, private use, unassigned), except tab, LF and CR. */
    static boolean isControl(int cp) {
        if (cp == '\t' || cp == '\n' || cp == '\r') {
            return false;
        }
        int t = Character.getType(cp);
        return t == Character.CONTROL || t == Character.FORMAT || t == Character.SURROGATE
                || t == Character.PRIVATE_USE || t == Character.UNASSIGNED;
    }

    /** The CJK Unified Ideograph blocks BERT treats as one word each (not Hangul, not kana). */
    static boolean isChinese(int cp) {
        return (cp >= 0x4E00 && cp <= 0x9FFF) || (cp >= 0x3400 && cp <= 0x4DBF) || (cp >= 0x20000 && cp <= 0x2A6DF)
                || (cp >= 0x2A700 && cp <= 0x2B73F) || (cp >= 0x2B740 && cp <= 0x2B81F)
                || (cp >= 0x2B920 && cp <= 0x2CEAF) || (cp >= 0xF900 && cp <= 0xFAFF)
                || (cp >= 0x2F800 && cp <= 0x2FA1F);
    }
}
