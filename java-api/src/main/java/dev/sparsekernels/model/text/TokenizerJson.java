package dev.sparsekernels.model.text;

import dev.sparsekernels.io.JsonFormatException;
import dev.sparsekernels.io.JsonReader;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads the parts of a Hugging Face tokenizer.json that define a BERT WordPiece tokenizer, and refuses anything else
 * by name (another model type, normaliser, pre-tokeniser or post-processor would tokenize differently, and silently
 * wrong token ids make a model quietly wrong).
 */
final class TokenizerJson {
    private final String source;

    private TokenizerJson(String source) {
        this.source = source;
    }

    static WordPieceTokenizer parse(String json, String source) throws TokenizerFormatException {
        return new TokenizerJson(source).read(json);
    }

    private WordPieceTokenizer read(String json) throws TokenizerFormatException {
        Object root;
        try {
            root = JsonReader.parse(json);
        } catch (JsonFormatException e) {
            throw fail("not valid JSON: " + e.getMessage(), e);
        }
        Map<String, Object> top = object(root, "the document");
        Map<String, Object> model = object(top.get("model"), "model");
        String type = string(model.get("type"), "model.type");
        if (!type.equals("WordPiece")) {
            throw fail("model.type is \"" + type + "\" but only WordPiece is supported");
        }
        Map<String, Integer> vocab = vocab(object(model.get("vocab"), "model.vocab"));
        String unk = model.containsKey("unk_token") ? string(model.get("unk_token"), "model.unk_token") : "[UNK]";
        requireToken(vocab, unk, "model.unk_token");
        String prefix = model.containsKey("continuing_subword_prefix")
                ? string(model.get("continuing_subword_prefix"), "model.continuing_subword_prefix") : "##";
        int maxChars = model.containsKey("max_input_chars_per_word")
                ? positiveInt(model.get("max_input_chars_per_word"), "model.max_input_chars_per_word") : 100;

        BertNormalizer normalizer = normalizer(top.get("normalizer"));
        Object pre = top.get("pre_tokenizer");
        if (pre != null) {
            String preType = string(object(pre, "pre_tokenizer").get("type"), "pre_tokenizer.type");
            if (!preType.equals("BertPreTokenizer")) {
                throw fail("pre_tokenizer.type is \"" + preType + "\" but only BertPreTokenizer is supported");
            }
        }
        int[] clsSep = postProcessor(top.get("post_processor"), vocab);
        int maxLength = truncation(top.get("truncation"));
        int padId = padding(top.get("padding"), vocab);
        Map<String, Integer> added = addedTokens(top.get("added_tokens"));
        return new WordPieceTokenizer(vocab, unk, prefix, maxChars, normalizer, clsSep[0], clsSep[1], padId,
                maxLength, added);
    }

    private Map<String, Integer> vocab(Map<String, Object> raw) throws TokenizerFormatException {
        if (raw.isEmpty()) {
            throw fail("model.vocab is empty");
        }
        Map<String, Integer> vocab = new LinkedHashMap<>(raw.size() * 2);
        for (Map.Entry<String, Object> e : raw.entrySet()) {
            vocab.put(e.getKey(), nonNegativeInt(e.getValue(), "model.vocab[\"" + e.getKey() + "\"]"));
        }
        return vocab;
    }

    private BertNormalizer normalizer(Object value) throws TokenizerFormatException {
        if (value == null) {
            return new BertNormalizer(false, false, false, false);
        }
        Map<String, Object> n = object(value, "normalizer");
        String type = string(n.get("type"), "normalizer.type");
        if (!type.equals("BertNormalizer")) {
            throw fail("normalizer.type is \"" + type + "\" but only BertNormalizer is supported");
        }
        boolean lowercase = bool(n.getOrDefault("lowercase", Boolean.TRUE), "normalizer.lowercase");
        Object strip = n.get("strip_accents");
        // null means "follow lowercase", as in Hugging Face and the original BERT (uncased models strip accents)
        boolean stripAccents = strip == null ? lowercase : bool(strip, "normalizer.strip_accents");
        return new BertNormalizer(bool(n.getOrDefault("clean_text", Boolean.TRUE), "normalizer.clean_text"),
                bool(n.getOrDefault("handle_chinese_chars", Boolean.TRUE), "normalizer.handle_chinese_chars"),
                stripAccents, lowercase);
    }

    /** {cls, sep} ids from a TemplateProcessing "[CLS] $A [SEP]", a BertProcessing, or the vocabulary. */
    private int[] postProcessor(Object value, Map<String, Integer> vocab) throws TokenizerFormatException {
        if (value == null) {
            return new int[] {requireToken(vocab, "[CLS]", "[CLS] in model.vocab"),
                    requireToken(vocab, "[SEP]", "[SEP] in model.vocab")};
        }
        Map<String, Object> p = object(value, "post_processor");
        String type = string(p.get("type"), "post_processor.type");
        if (type.equals("BertProcessing")) {
            return new int[] {pairId(p.get("cls"), "post_processor.cls"), pairId(p.get("sep"), "post_processor.sep")};
        }
        if (!type.equals("TemplateProcessing")) {
            throw fail("post_processor.type is \"" + type
                    + "\" but only TemplateProcessing and BertProcessing are supported");
        }
        List<Object> single = array(p.get("single"), "post_processor.single");
        String shape = "post_processor.single: expected [SpecialToken, Sequence A, SpecialToken]";
        if (single.size() != 3) {
            throw fail(shape + " but got " + single.size() + " pieces");
        }
        Map<String, Object> first = object(single.get(0), "post_processor.single[0]");
        Map<String, Object> middle = object(single.get(1), "post_processor.single[1]");
        Map<String, Object> last = object(single.get(2), "post_processor.single[2]");
        if (!first.containsKey("SpecialToken") || !middle.containsKey("Sequence") || !last.containsKey("SpecialToken")) {
            throw fail(shape + " but got " + single);
        }
        Map<String, Object> specials = object(p.get("special_tokens"), "post_processor.special_tokens");
        return new int[] {specialId(first, specials), specialId(last, specials)};
    }

    private int specialId(Map<String, Object> piece, Map<String, Object> specials) throws TokenizerFormatException {
        String name = string(object(piece.get("SpecialToken"), "SpecialToken").get("id"), "SpecialToken.id");
        Map<String, Object> special = object(specials.get(name), "post_processor.special_tokens[\"" + name + "\"]");
        List<Object> ids = array(special.get("ids"), "post_processor.special_tokens[\"" + name + "\"].ids");
        if (ids.size() != 1) {
            throw fail("post_processor.special_tokens[\"" + name + "\"].ids: expected one id but got " + ids);
        }
        return nonNegativeInt(ids.get(0), "post_processor.special_tokens[\"" + name + "\"].ids[0]");
    }

    private int pairId(Object value, String where) throws TokenizerFormatException {
        List<Object> pair = array(value, where);
        if (pair.size() != 2) {
            throw fail(where + ": expected [token, id] but got " + pair);
        }
        return nonNegativeInt(pair.get(1), where + "[1]");
    }

    private int truncation(Object value) throws TokenizerFormatException {
        if (value == null) {
            return WordPieceTokenizer.DEFAULT_MAX_LENGTH;
        }
        Map<String, Object> t = object(value, "truncation");
        Object direction = t.get("direction");
        if (direction != null && !string(direction, "truncation.direction").equals("Right")) {
            throw fail("truncation.direction is \"" + direction + "\" but only Right is supported");
        }
        int max = positiveInt(t.get("max_length"), "truncation.max_length");
        if (max < 2) {
            throw fail("truncation.max_length: expected >= 2 ([CLS] and [SEP]) but got " + max);
        }
        return max;
    }

    private int padding(Object value, Map<String, Integer> vocab) throws TokenizerFormatException {
        if (value == null) {
            Integer pad = vocab.get("[PAD]");
            return pad == null ? 0 : pad;
        }
        Map<String, Object> p = object(value, "padding");
        return p.containsKey("pad_id") ? nonNegativeInt(p.get("pad_id"), "padding.pad_id") : 0;
    }

    /** Added tokens matched in the raw text (normalized: false), by content. */
    private Map<String, Integer> addedTokens(Object value) throws TokenizerFormatException {
        Map<String, Integer> added = new LinkedHashMap<>();
        if (value == null) {
            return added;
        }
        List<Object> list = array(value, "added_tokens");
        for (int i = 0; i < list.size(); i++) {
            String where = "added_tokens[" + i + "]";
            Map<String, Object> a = object(list.get(i), where);
            String content = string(a.get("content"), where + ".content");
            if (content.isEmpty()) {
                throw fail(where + ".content is empty");
            }
            for (String flag : new String[] {"single_word", "lstrip", "rstrip", "normalized"}) {
                if (bool(a.getOrDefault(flag, Boolean.FALSE), where + "." + flag)) {
                    throw fail(where + " (\"" + content + "\") sets " + flag
                            + ", which this tokenizer does not implement");
                }
            }
            added.put(content, nonNegativeInt(a.get("id"), where + ".id"));
        }
        return added;
    }

    // ---- typed access with messages that say where and what ----

    private int requireToken(Map<String, Integer> vocab, String token, String where) throws TokenizerFormatException {
        Integer id = vocab.get(token);
        if (id == null) {
            throw fail(where + ": token \"" + token + "\" is not in model.vocab");
        }
        return id;
    }

    @SuppressWarnings("unchecked")
    private Map<String, Object> object(Object v, String where) throws TokenizerFormatException {
        if (!(v instanceof Map)) {
            throw fail(where + ": expected a JSON object but got " + describe(v));
        }
        return (Map<String, Object>) v;
    }

    @SuppressWarnings("unchecked")
    private List<Object> array(Object v, String where) throws TokenizerFormatException {
        if (!(v instanceof List)) {
            throw fail(where + ": expected a JSON array but got " + describe(v));
        }
        return (List<Object>) v;
    }

    private String string(Object v, String where) throws TokenizerFormatException {
        if (!(v instanceof String)) {
            throw fail(where + ": expected a string but got " + describe(v));
        }
        return (String) v;
    }

    private boolean bool(Object v, String where) throws TokenizerFormatException {
        if (!(v instanceof Boolean)) {
            throw fail(where + ": expected true or false but got " + describe(v));
        }
        return (Boolean) v;
    }

    private int nonNegativeInt(Object v, String where) throws TokenizerFormatException {
        if (!(v instanceof Long) || (Long) v < 0 || (Long) v > Integer.MAX_VALUE) {
            throw fail(where + ": expected an integer in 0.." + Integer.MAX_VALUE + " but got " + describe(v));
        }
        return (int) (long) (Long) v;
    }

    private int positiveInt(Object v, String where) throws TokenizerFormatException {
        int n = nonNegativeInt(v, where);
        if (n == 0) {
            throw fail(where + ": expected a positive integer but got 0");
        }
        return n;
    }

    private static String describe(Object v) {
        if (v == null) {
            return "null (or nothing)";
        }
        String s = v instanceof String ? "\"" + v + "\"" : String.valueOf(v);
        return s.length() > 40 ? s.substring(0, 40) + "..." : s;
    }

    private TokenizerFormatException fail(String problem) {
        return new TokenizerFormatException(source, problem);
    }

    private TokenizerFormatException fail(String problem, Throwable cause) {
        return new TokenizerFormatException(source, problem, cause);
    }
}
