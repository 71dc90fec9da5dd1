package dev.sparsekernels.model.text;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * BERT's WordPiece tokenizer as configured by a Hugging Face {@code tokenizer.json}: added (special) tokens split out
 * of the raw text, {@link BertNormalizer} (clean, CJK, strip accents, lowercase), {@link BertPreTokenizer} (white
 * space and punctuation), greedy longest-match-first WordPiece with a continuation prefix ({@code ##}) and
 * {@code [UNK]} for words that cannot be covered or are too long, then {@code [CLS] ... [SEP]}, truncated on the
 * right to {@link #maxLength()} tokens.
 *
 * <p>Written from the published algorithm (Google's BERT tokenization.py, Hugging Face tokenizers) and checked
 * against Hugging Face's Rust implementation in the tests. Immutable and thread-safe.
 */
public final class WordPieceTokenizer {
    /** Used when tokenizer.json sets no truncation: what sentence encoders such as all-MiniLM-L6-v2 were trained on. */
    public static final int DEFAULT_MAX_LENGTH = 128;

    private final Map<String, Integer> vocab;
    private final int unkId;
    private final String unkToken;
    private final String prefix;
    private final int maxCharsPerWord;
    private final BertNormalizer normalizer;
    private final int clsId;
    private final int sepId;
    private final int padId;
    private final int maxLength;
    private final String[] addedTokens; // longest first, so the first match at a position is the longest
    private final int[] addedIds;
    /** Characters of text between added tokens normalised and split at a time ({@link #pieces}); tests lower it. */
    private int chunkChars = 4096;

    WordPieceTokenizer(Map<String, Integer> vocab, String unkToken, String prefix, int maxCharsPerWord,
            BertNormalizer normalizer, int clsId, int sepId, int padId, int maxLength, Map<String, Integer> added) {
        this.vocab = Map.copyOf(vocab);
        this.unkToken = unkToken;
        this.unkId = vocab.get(unkToken);
        this.prefix = prefix;
        this.maxCharsPerWord = maxCharsPerWord;
        this.normalizer = normalizer;
        this.clsId = clsId;
        this.sepId = sepId;
        this.padId = padId;
        this.maxLength = maxLength;
        List<Map.Entry<String, Integer>> a = new ArrayList<>(added.entrySet());
        a.sort((x, y) -> y.getKey().length() - x.getKey().length());
        this.addedTokens = a.stream().map(Map.Entry::getKey).toArray(String[]::new);
        this.addedIds = a.stream().mapToInt(Map.Entry::getValue).toArray();
    }

    /** Reads a tokenizer.json file. */
    public static WordPieceTokenizer read(Path file) throws IOException {
        try {
            return fromJson(utf8(Files.readAllBytes(file), file.toString()), file.toString());
        } catch (NoSuchFileException e) {
            throw new TokenizerFormatException(file.toString(), "file not found", e);
        }
    }

    /** Reads a tokenizer.json from a stream (e.g. a jar resource); the stream is not closed. */
    public static WordPieceTokenizer read(InputStream in, String source) throws IOException {
        if (in == null) {
            throw new TokenizerFormatException(source, "stream is null (resource not found?)");
        }
        return fromJson(utf8(in.readAllBytes(), source), source);
    }

    /** Strict UTF-8: a vocabulary decoded with replacement characters would silently tokenize differently. */
    private static String utf8(byte[] bytes, String source) throws TokenizerFormatException {
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            throw new TokenizerFormatException(source, "not UTF-8 text", e);
        }
    }

    /** Parses the text of a tokenizer.json; source names it in error messages. */
    public static WordPieceTokenizer fromJson(String json, String source) throws TokenizerFormatException {
        return TokenizerJson.parse(json, source);
    }

    /** The same tokenizer truncating to another length (at least 2: [CLS] and [SEP]). */
    public WordPieceTokenizer withMaxLength(int length) {
        if (length < 2) {
            throw new IllegalArgumentException("maxLength: expected >= 2 ([CLS] and [SEP]) but got " + length);
        }
        java.util.LinkedHashMap<String, Integer> added = new java.util.LinkedHashMap<>();
        for (int i = 0; i < addedTokens.length; i++) {
            added.put(addedTokens[i], addedIds[i]);
        }
        return new WordPieceTokenizer(vocab, unkToken, prefix, maxCharsPerWord, normalizer, clsId, sepId, padId, length,
                added);
    }

    /** Token ids of one text: [CLS], word pieces, [SEP]; at most {@link #maxLength()} ids. */
    public int[] encode(String text) {
        int limit = maxLength - 2;
        IntList pieces = new IntList();
        pieces(text, pieces, null, limit);
        int n = Math.min(pieces.size(), limit); // truncation on the right, as LongestFirst does for one sequence
        int[] ids = new int[n + 2];
        ids[0] = clsId;
        System.arraycopy(pieces.array(), 0, ids, 1, n);
        ids[n + 1] = sepId;
        return ids;
    }

    /** Encodes texts into one right-padded batch. */
    public TokenBatch encode(List<String> texts) {
        if (texts == null || texts.isEmpty()) {
            throw new IllegalArgumentException("texts: expected at least one text but got "
                    + (texts == null ? "null" : "an empty list"));
        }
        int[][] rows = new int[texts.size()][];
        for (int i = 0; i < rows.length; i++) {
            rows[i] = encode(texts.get(i));
        }
        return TokenBatch.pad(rows, padId);
    }

    /** The word pieces of a text as strings, without [CLS]/[SEP] and without truncation (for inspection). */
    public List<String> tokenize(String text) {
        List<String> tokens = new ArrayList<>();
        pieces(text, new IntList(), tokens, Integer.MAX_VALUE);
        return tokens;
    }

    public int maxLength() {
        return maxLength;
    }

    public int vocabularySize() {
        return vocab.size();
    }

    public int padId() {
        return padId;
    }

    public int unknownId() {
        return unkId;
    }

    /** The id of a vocabulary entry, or -1. */
    public int id(String token) {
        Integer id = vocab.get(token);
        return id == null ? -1 : id;
    }

    /** This tokenizer with another chunk size (for tests: results must not depend on it). */
    WordPieceTokenizer withChunkChars(int chars) {
        WordPieceTokenizer t = withMaxLength(maxLength);
        t.chunkChars = chars;
        return t;
    }

    /**
     * Appends the word pieces of text (ids, and tokens when asked). Stops at the first word boundary at or after
     * limit pieces, since later pieces would be truncated away. Text between added tokens goes to {@link #words} a
     * chunk of about {@link #chunkChars} characters at a time, cut at a space, tab or line break (a word boundary
     * whatever the normaliser does), so that a long document costs about its head (a robustness sweep, session 18:
     * the whole text was normalised first, 1.8 s for 10 million characters that gave 128 ids).
     */
    private void pieces(String text, IntList ids, List<String> tokens, int limit) {
        if (text == null) {
            throw new IllegalArgumentException("text: expected a string but got null");
        }
        int start = 0;
        int i = 0;
        while (i < text.length() && ids.size() < limit) {
            int k = addedTokenAt(text, i);
            if (k < 0) {
                // no added token starts at i, and none that started earlier spans it (it would have been taken there)
                if (i - start >= chunkChars && isCut(text.charAt(i))) {
                    words(text.substring(start, i), ids, tokens, limit);
                    start = i;
                }
                i++;
                continue;
            }
            words(text.substring(start, i), ids, tokens, limit);
            ids.add(addedIds[k]);
            if (tokens != null) {
                tokens.add(addedTokens[k]);
            }
            i += addedTokens[k].length();
            start = i;
        }
        if (start < text.length() && ids.size() < limit) {
            words(text.substring(start), ids, tokens, limit);
        }
    }

    /**
     * Where text may be cut into chunks: white space the normaliser keeps as a space. Not any Java white space:
     * U+001C-U+001F count as such but are control characters the normaliser drops, joining their neighbours.
     */
    private static boolean isCut(char c) {
        return c == ' ' || c == '\t' || c == '\n' || c == '\r';
    }

    /** The added token starting at i (longest first), or -1. */
    private int addedTokenAt(String text, int i) {
        for (int k = 0; k < addedTokens.length; k++) {
            if (text.startsWith(addedTokens[k], i)) {
                return k;
            }
        }
        return -1;
    }

    /** Normalises, splits into words and word-pieces a stretch of text between added tokens. */
    private void words(String segment, IntList ids, List<String> tokens, int limit) {
        if (segment.isEmpty()) {
            return;
        }
        List<String> words = new ArrayList<>();
        BertPreTokenizer.split(normalizer.normalize(segment), words);
        for (String w : words) {
            if (ids.size() >= limit) {
                return;
            }
            wordPiece(w, ids, tokens);
        }
    }

    /** Greedy longest-match-first: the whole word becomes [UNK] if any part has no vocabulary entry. */
    private void wordPiece(String word, IntList ids, List<String> tokens) {
        int chars = word.codePointCount(0, word.length());
        if (chars > maxCharsPerWord) {
            unknown(ids, tokens);
            return;
        }
        int mark = ids.size();
        int tokenMark = tokens == null ? 0 : tokens.size();
        int start = 0;
        while (start < word.length()) {
            int end = word.length();
            Integer found = null;
            String piece = null;
            while (start < end) {
                piece = start > 0 ? prefix + word.substring(start, end) : word.substring(start, end);
                found = vocab.get(piece);
                if (found != null) {
                    break;
                }
                end = word.offsetByCodePoints(end, -1);
            }
            if (found == null) {
                ids.truncate(mark);
                if (tokens != null) {
                    tokens.subList(tokenMark, tokens.size()).clear();
                }
                unknown(ids, tokens);
                return;
            }
            ids.add(found);
            if (tokens != null) {
                tokens.add(piece);
            }
            start = end;
        }
    }

    private void unknown(IntList ids, List<String> tokens) {
        ids.add(unkId);
        if (tokens != null) {
            tokens.add(unkToken);
        }
    }

    /** A growable int array for ids. */
    static final class IntList {
        private int[] a = new int[32];
        private int n;

        void add(int v) {
            if (n == a.length) {
                a = Arrays.copyOf(a, 2 * n);
            }
            a[n++] = v;
        }

        int size() {
            return n;
        }

        void truncate(int size) {
            n = size;
        }

        int[] array() {
            return a;
        }

        int[] toArray() {
            return Arrays.copyOf(a, n);
        }
    }
}
