package dev.sparsekernels.model.text;

import java.util.List;

/**
 * BERT's split of normalised text into words: white space separates words and is dropped; every punctuation
 * character is a word of its own. Punctuation is ASCII punctuation (which includes symbols such as $, +, ^, |)
 * or a Unicode punctuation category (Pc, Pd, Ps, Pe, Pi, Pf, Po), as in Hugging Face's BertPreTokenizer.
 */
final class BertPreTokenizer {
    private BertPreTokenizer() {
    }

    /** Appends the words of text to into. */
    static void split(String text, List<String> into) {
        int start = -1;
        int i = 0;
        while (i < text.length()) {
            int cp = text.codePointAt(i);
            int next = i + Character.charCount(cp);
            if (BertNormalizer.isWhitespace(cp) || isPunctuation(cp)) {
                if (start >= 0) {
                    into.add(text.substring(start, i));
                    start = -1;
                }
                if (!BertNormalizer.isWhitespace(cp)) {
                    into.add(text.substring(i, next));
                }
            } else if (start < 0) {
                start = i;
            }
            i = next;
        }
        if (start >= 0) {
            into.add(text.substring(start));
        }
    }

    static boolean isPunctuation(int cp) {
        if (cp < 0x80) {
            return (cp >= 33 && cp <= 47) || (cp >= 58 && cp <= 64) || (cp >= 91 && cp <= 96)
                    || (cp >= 123 && cp <= 126);
        }
        switch (Character.getType(cp)) {
            case Character.CONNECTOR_PUNCTUATION:
            case Character.DASH_PUNCTUATION:
            case Character.START_PUNCTUATION:
            case Character.END_PUNCTUATION:
            case Character.INITIAL_QUOTE_PUNCTUATION:
            case Character.FINAL_QUOTE_PUNCTUATION:
            case Character.OTHER_PUNCTUATION:
                return true;
            default:
                return false;
        }
    }
}
