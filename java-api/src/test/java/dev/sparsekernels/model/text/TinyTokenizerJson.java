package dev.sparsekernels.model.text;

import java.util.List;

/**
 * A small BERT tokenizer.json written for tests, in the layout Hugging Face saves (vocab ids by position); public for
 * the tests of other packages.
 */
public final class TinyTokenizerJson {
    public static final List<String> VOCAB = List.of("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]",
            "hello", "world", ",", "!", "'", ".", "$", "un", "##want", "##ed", "want", "runn", "##ing", "run",
            "cafe", "naive", "中", "文", "a", "b", "##b", "σ", "ο", "##σ", "i", "x", "##x", "-", "?");

    private TinyTokenizerJson() {
    }

    /** The tokenizer.json text; maxLength null writes "truncation": null. */
    static String json(Integer maxLength, int maxCharsPerWord) {
        StringBuilder vocab = new StringBuilder();
        for (int i = 0; i < VOCAB.size(); i++) {
            vocab.append(i == 0 ? "" : ", ").append('"').append(VOCAB.get(i)).append("\": ").append(i);
        }
        String truncation = maxLength == null ? "null"
                : "{\"direction\": \"Right\", \"max_length\": " + maxLength
                        + ", \"strategy\": \"LongestFirst\", \"stride\": 0}";
        return "{\"version\": \"1.0\", \"truncation\": " + truncation + ", \"padding\": null,\n"
                + "\"added_tokens\": [" + added(0, "[PAD]") + ", " + added(1, "[UNK]") + ", " + added(2, "[CLS]")
                + ", " + added(3, "[SEP]") + ", " + added(4, "[MASK]") + "],\n"
                + "\"normalizer\": {\"type\": \"BertNormalizer\", \"clean_text\": true, \"handle_chinese_chars\": true,"
                + " \"strip_accents\": null, \"lowercase\": true},\n"
                + "\"pre_tokenizer\": {\"type\": \"BertPreTokenizer\"},\n"
                + "\"post_processor\": {\"type\": \"TemplateProcessing\", \"single\": [{\"SpecialToken\": {\"id\":"
                + " \"[CLS]\", \"type_id\": 0}}, {\"Sequence\": {\"id\": \"A\", \"type_id\": 0}}, {\"SpecialToken\":"
                + " {\"id\": \"[SEP]\", \"type_id\": 0}}], \"pair\": [], \"special_tokens\": {\"[CLS]\": {\"id\":"
                + " \"[CLS]\", \"ids\": [2], \"tokens\": [\"[CLS]\"]}, \"[SEP]\": {\"id\": \"[SEP]\", \"ids\": [3],"
                + " \"tokens\": [\"[SEP]\"]}}},\n"
                + "\"decoder\": {\"type\": \"WordPiece\", \"prefix\": \"##\", \"cleanup\": true},\n"
                + "\"model\": {\"type\": \"WordPiece\", \"unk_token\": \"[UNK]\", \"continuing_subword_prefix\": \"##\","
                + " \"max_input_chars_per_word\": " + maxCharsPerWord + ", \"vocab\": {" + vocab + "}}}";
    }

    private static String added(int id, String content) {
        return "{\"id\": " + id + ", \"content\": \"" + content + "\", \"single_word\": false, \"lstrip\": false,"
                + " \"rstrip\": false, \"normalized\": false, \"special\": true}";
    }

    public static WordPieceTokenizer tokenizer(Integer maxLength, int maxCharsPerWord)
            throws TokenizerFormatException {
        return WordPieceTokenizer.fromJson(json(maxLength, maxCharsPerWord), "tiny.json");
    }
}
