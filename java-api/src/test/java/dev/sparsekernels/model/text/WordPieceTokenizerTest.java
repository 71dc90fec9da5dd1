package dev.sparsekernels.model.text;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The BERT pipeline step by step on a tiny vocabulary, where every expected token can be checked by eye. */
class WordPieceTokenizerTest {
    private final WordPieceTokenizer tok = TinyTokenizerJson.tokenizer(16, 10);

    WordPieceTokenizerTest() throws TokenizerFormatException {
    }

    private static int id(String token) {
        return TinyTokenizerJson.VOCAB.indexOf(token);
    }

    @Test
    void lowercasesAndSplitsPunctuationIntoWords() {
        assertEquals(List.of("hello", ",", "world", "!"), tok.tokenize("Hello,WORLD!"));
        assertArrayEquals(new int[] {id("[CLS]"), id("hello"), id(","), id("world"), id("!"), id("[SEP]")},
                tok.encode("Hello,WORLD!"));
    }

    @Test
    void asciiSymbolsCountAsPunctuationLikeInBert() {
        assertEquals(List.of("$", "a", "-", "b", "?"), tok.tokenize("$a-b?"));
    }

    @Test
    void stripsAccentsAfterDecomposition() {
        assertEquals(List.of("cafe", "naive"), tok.tokenize("Café NAÏVE"));
        // precomposed and combining forms give the same tokens
        assertEquals(tok.tokenize("caf\u00e9"), tok.tokenize("cafe\u0301"));
    }

    @Test
    void continuationPiecesUseTheHashPrefixLongestFirst() {
        assertEquals(List.of("un", "##want", "##ed", "runn", "##ing"), tok.tokenize("unwanted running"));
        assertEquals(List.of("want", "run"), tok.tokenize("want run"));
        assertEquals(List.of("b", "##b", "##b"), tok.tokenize("bbb"));
    }

    @Test
    void wordThatCannotBeCoveredBecomesOneUnknown() {
        // "unwantedz": un ##want ##ed then 'z' has no piece, so the whole word is [UNK], not a partial split
        assertEquals(List.of("[UNK]", "hello"), tok.tokenize("unwantedz hello"));
        assertArrayEquals(new int[] {id("[CLS]"), id("[UNK]"), id("[SEP]")}, tok.encode("zzz"));
    }

    @Test
    void wordLongerThanTheCharacterLimitIsUnknownEvenIfCoverable() {
        assertEquals(List.of("x", "##x", "##x"), tok.tokenize("xxx"));
        assertEquals(List.of("[UNK]"), tok.tokenize("x".repeat(11))); // limit 10 characters
    }

    @Test
    void chineseCharactersAreWordsOfTheirOwn() {
        assertEquals(List.of("中", "文", "hello"), tok.tokenize("中文hello"));
    }

    @Test
    void controlCharactersAreRemovedAndUnicodeSpacesSplit() {
        assertEquals(List.of("hello", "world"), tok.tokenize("hel\u0000lo\u200b\u00a0world\u0007"));
        assertEquals(List.of("hello", "world"), tok.tokenize("\thello\r\n\u3000world  "));
    }

    @Test
    void lowercasesPerCharacterSoFinalSigmaStaysSigma() {
        // Java's String.toLowerCase would give a final 'ς'; BERT (char by char) gives 'σ'
        assertEquals(List.of("ο", "##σ"), tok.tokenize("ΟΣ"));
        // capital I with dot: decomposed, the dot stripped as an accent, then lowercased
        assertEquals(List.of("i"), tok.tokenize("\u0130"));
    }

    @Test
    void specialTokensInTheRawTextAreKeptWhole() {
        assertEquals(List.of("hello", "[MASK]", "world"), tok.tokenize("hello[MASK]world"));
        // only the exact (unnormalised) spelling is special
        assertEquals(List.of("[UNK]", "[UNK]", "[UNK]"), tok.tokenize("[mask]"));
    }

    @Test
    void emptyAndBlankTextGiveOnlyClsAndSep() {
        assertArrayEquals(new int[] {id("[CLS]"), id("[SEP]")}, tok.encode(""));
        assertArrayEquals(new int[] {id("[CLS]"), id("[SEP]")}, tok.encode(" \t\n"));
    }

    @Test
    void truncatesOnTheRightKeepingClsAndSep() {
        int[] ids = tok.encode("hello world ".repeat(20));
        assertEquals(16, ids.length);
        assertEquals(id("[CLS]"), ids[0]);
        assertEquals(id("[SEP]"), ids[15]);
        for (int i = 1; i < 15; i++) {
            assertEquals(i % 2 == 1 ? id("hello") : id("world"), ids[i], "position " + i);
        }
        // a word split into pieces may be cut between its pieces, as Hugging Face does
        int[] cut = tok.withMaxLength(4).encode("unwanted");
        assertArrayEquals(new int[] {id("[CLS]"), id("un"), id("##want"), id("[SEP]")}, cut);
        assertThrows(IllegalArgumentException.class, () -> tok.withMaxLength(1));
    }

    @Test
    void noTruncationSettingMeansTheDefaultLength() throws TokenizerFormatException {
        WordPieceTokenizer t = TinyTokenizerJson.tokenizer(null, 100);
        assertEquals(WordPieceTokenizer.DEFAULT_MAX_LENGTH, t.maxLength());
        assertEquals(WordPieceTokenizer.DEFAULT_MAX_LENGTH, t.encode("a ".repeat(500)).length);
    }

    @Test
    void batchIsRightPaddedWithMaskAndLengths() {
        TokenBatch b = tok.encode(List.of("hello", "hello world !", ""));
        assertEquals(3, b.size());
        assertEquals(5, b.sequenceLength());
        assertArrayEquals(new int[] {3, 5, 2}, b.lengths());
        assertEquals(10, b.tokenCount());
        int p = id("[PAD]");
        assertArrayEquals(new int[] {
            id("[CLS]"), id("hello"), id("[SEP]"), p, p,
            id("[CLS]"), id("hello"), id("world"), id("!"), id("[SEP]"),
            id("[CLS]"), id("[SEP]"), p, p, p}, b.paddedIds());
        assertArrayEquals(new int[] {1, 1, 1, 0, 0, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0}, b.attentionMask());
        assertArrayEquals(new int[] {id("[CLS]"), id("hello"), id("[SEP]")}, b.ids(0));
        assertThrows(IllegalArgumentException.class, () -> tok.encode(List.of()));
        assertThrows(IllegalArgumentException.class, () -> tok.encode((String) null));
    }

    /**
     * Text between added tokens is normalised and split a chunk at a time, cut only at a space, tab or line break:
     * the ids must not depend on where the chunks fall. Random texts over words of the vocabulary, white space the
     * normaliser keeps and control characters it drops (U+001C is Java white space, and joins its neighbours),
     * combining accents, CJK, punctuation and [MASK], each encoded with chunks of 1 to 9 characters and whole.
     */
    @Test
    void idsDoNotDependOnTheChunksLongTextIsSplitInto() throws TokenizerFormatException {
        WordPieceTokenizer whole = TinyTokenizerJson.tokenizer(4000, 10);
        String[] parts = {"hello", "world", "want", "wanted", "runnning", "Café", "nai\u0308ve", "中文", "ab", "σο",
            ",", "!", "'", "$", "-", " ", "  ", "\t", "\n", "\r\n", "\u001C", "\u00A0", "\u0301", "[MASK]", "x", "XX"};
        java.util.Random rnd = new java.util.Random(18);
        for (int round = 0; round < 300; round++) {
            StringBuilder b = new StringBuilder();
            int n = 1 + rnd.nextInt(60);
            for (int i = 0; i < n; i++) {
                b.append(parts[rnd.nextInt(parts.length)]);
            }
            String text = b.toString();
            int[] expected = whole.encode(text);
            for (int chunk = 1; chunk < 10; chunk++) {
                assertArrayEquals(expected, whole.withChunkChars(chunk).encode(text),
                        () -> "chunked text: " + text.replace("\n", "\\n"));
            }
            // and truncated: a short limit stops in any chunk
            WordPieceTokenizer short6 = whole.withMaxLength(6);
            assertArrayEquals(short6.encode(text), short6.withChunkChars(2).encode(text), text);
        }
    }
}
