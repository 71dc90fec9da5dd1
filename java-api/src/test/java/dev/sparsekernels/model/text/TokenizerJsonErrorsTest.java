package dev.sparsekernels.model.text;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A tokenizer.json we cannot honour exactly is refused with the file and the setting named. */
class TokenizerJsonErrorsTest {

    @TempDir
    Path dir;

    private static void fails(String json, String expected) {
        TokenizerFormatException e = assertThrows(TokenizerFormatException.class,
                () -> WordPieceTokenizer.fromJson(json, "tok.json"));
        assertTrue(e.getMessage().startsWith("tok.json: "), e.getMessage());
        assertTrue(e.getMessage().contains(expected), "'" + expected + "' not in: " + e.getMessage());
    }

    private static String tiny() {
        return TinyTokenizerJson.json(16, 100);
    }

    @Test
    void notJson() {
        fails("{\"model\": ", "not valid JSON");
        fails("[1, 2]", "the document: expected a JSON object but got [1, 2]");
    }

    @Test
    void otherModelTypesAreRefused() {
        fails(tiny().replace("\"type\": \"WordPiece\", \"unk_token\"", "\"type\": \"BPE\", \"unk_token\""),
                "model.type is \"BPE\" but only WordPiece is supported");
    }

    @Test
    void otherNormalizersAndPreTokenizersAreRefused() {
        fails(tiny().replace("\"BertNormalizer\"", "\"NFKC\""),
                "normalizer.type is \"NFKC\" but only BertNormalizer is supported");
        fails(tiny().replace("\"BertPreTokenizer\"", "\"Whitespace\""),
                "pre_tokenizer.type is \"Whitespace\" but only BertPreTokenizer is supported");
        fails(tiny().replace("\"TemplateProcessing\"", "\"RobertaProcessing\""),
                "post_processor.type is \"RobertaProcessing\"");
    }

    @Test
    void unknownTokenMustBeInTheVocabulary() {
        fails(tiny().replace("\"unk_token\": \"[UNK]\"", "\"unk_token\": \"<unk>\""),
                "model.unk_token: token \"<unk>\" is not in model.vocab");
    }

    @Test
    void vocabularyIdsMustBeNonNegativeIntegers() {
        fails(tiny().replace("\"hello\": 5", "\"hello\": -5"),
                "model.vocab[\"hello\"]: expected an integer in 0..2147483647 but got -5");
        fails(tiny().replace("\"hello\": 5", "\"hello\": 5.5"), "model.vocab[\"hello\"]");
    }

    @Test
    void leftTruncationAndStrippingAddedTokensAreRefused() {
        fails(tiny().replace("\"direction\": \"Right\"", "\"direction\": \"Left\""),
                "truncation.direction is \"Left\" but only Right is supported");
        fails(tiny().replace("\"content\": \"[MASK]\", \"single_word\": false, \"lstrip\": false",
                "\"content\": \"[MASK]\", \"single_word\": false, \"lstrip\": true"),
                "added_tokens[4] (\"[MASK]\") sets lstrip, which this tokenizer does not implement");
    }

    @Test
    void missingFileAndNullStreamNameTheSource() {
        Path f = dir.resolve("none.json");
        TokenizerFormatException e = assertThrows(TokenizerFormatException.class, () -> WordPieceTokenizer.read(f));
        assertEquals(f + ": file not found", e.getMessage());
        e = assertThrows(TokenizerFormatException.class, () -> WordPieceTokenizer.read(null, "jar:tok.json"));
        assertEquals("jar:tok.json: stream is null (resource not found?)", e.getMessage());
    }

    @Test
    void invalidUtf8IsRefusedNotReplaced() {
        byte[] bytes = tiny().getBytes(StandardCharsets.UTF_8);
        byte[] bad = java.util.Arrays.copyOf(bytes, bytes.length);
        int at = tiny().indexOf("hello");
        bad[at] = (byte) 0xC3; // a lead byte followed by ASCII: malformed
        TokenizerFormatException e = assertThrows(TokenizerFormatException.class,
                () -> WordPieceTokenizer.read(new ByteArrayInputStream(bad), "bad.json"));
        assertEquals("bad.json: not UTF-8 text", e.getMessage());
    }

    @Test
    void readsFromAStream() throws Exception {
        WordPieceTokenizer t = WordPieceTokenizer.read(
                new ByteArrayInputStream(tiny().getBytes(StandardCharsets.UTF_8)), "s.json");
        assertEquals(TinyTokenizerJson.VOCAB.size(), t.vocabularySize());
        assertEquals(16, t.maxLength());
    }
}
