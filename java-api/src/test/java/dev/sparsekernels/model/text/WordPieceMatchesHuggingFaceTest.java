package dev.sparsekernels.model.text;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import dev.sparsekernels.model.MiniLmL6V2;
import dev.sparsekernels.model.SentenceCorpus;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Our tokenizer against Hugging Face's own (the Rust tokenizers library through DJL, as langchain4j runs it) on the
 * real all-MiniLM-L6-v2 tokenizer.json: identical ids for every corpus sentence and for text chosen to hit each
 * rule (accents, CJK, controls, odd spaces, punctuation and symbols, special tokens, unknown and over-long words,
 * truncation).
 */
class WordPieceMatchesHuggingFaceTest {
    private static WordPieceTokenizer ours;
    private static HuggingFaceTokenizer theirs;

    @BeforeAll
    static void load() throws Exception {
        ClassLoader cl = WordPieceMatchesHuggingFaceTest.class.getClassLoader();
        ours = MiniLmL6V2.tokenizer(cl);
        try (InputStream in = cl.getResourceAsStream(MiniLmL6V2.TOKENIZER_RESOURCE)) {
            theirs = HuggingFaceTokenizer.newInstance(in, Map.of("padding", "false"));
        }
    }

    @AfterAll
    static void close() {
        theirs.close();
    }

    private static int[] reference(String text) {
        Encoding e = theirs.encode(text);
        return Arrays.stream(e.getIds()).mapToInt(Math::toIntExact).toArray();
    }

    static final List<String> TRICKY = List.of(
            "Héllo, WORLD! Naïve café résumé Ångström façade jalapeño",
            "Straße, Œuvre, ÆON, Ørsted, Łódź, İstanbul, ΟΔΟΣ, Ελληνικά",
            "中文字符和日本語のかな, 한국어 text mixed with 漢字.",
            "emoji 😀👍🏽 and symbols ©®™ § ¶ • … € £ ¥ ₹",
            "tabs\tand\nnewlines\r\nand\u00a0no-break\u2003em\u2009thin\u3000ideographic spaces",
            "zero\u200bwidth\u200djoiner and soft\u00adhyphen and bom\ufeff and nul\u0000 and bell\u0007",
            "$100 + 20% = ? (roughly) [maybe] {not} <tags> a|b ~c ^d `e` _f_ @g #h &i *j",
            "“curly quotes” ‘single’ «guillemets» — em dash – en dash ‐ hyphen",
            "e-mail: someone@example.com, url: https://example.org/a_b?c=d&e=f#g",
            "[CLS] inside text [SEP] and [MASK]s and [UNK] and [PAD] and [mask]",
            "unbelievably antidisestablishmentarianism pneumonoultramicroscopicsilicovolcanoconiosis",
            "x".repeat(100) + " " + "y".repeat(101) + " z",
            "3.14159 1,000,000 1e-9 0x1F 12:30 2024-01-31 42nd 3rd",
            "",
            "   ",
            "ALL CAPS SHOUTING AND MiXeD cAsE",
            "Don't won't can't I'm you're it's 'quoted'",
            String.join(" ", java.util.Collections.nCopies(40, "tokenization is tricky.")));

    @Test
    void trickyTextGivesHuggingFacesIds() {
        for (String t : TRICKY) {
            assertArrayEquals(reference(t), ours.encode(t), "text: " + t);
        }
    }

    @Test
    void everyCorpusSentenceGivesHuggingFacesIds() {
        List<String> all = new ArrayList<>(SentenceCorpus.calibration());
        all.addAll(SentenceCorpus.heldout());
        int unknown = 0;
        for (String s : all) {
            int[] ids = ours.encode(s);
            assertArrayEquals(reference(s), ids, "sentence: " + s);
            unknown += (int) Arrays.stream(ids).filter(id -> id == ours.unknownId()).count();
        }
        assertTrue(all.size() >= 1000);
        assertEquals(0, unknown, "the corpus should be plain enough English to need no [UNK]");
    }

    @Test
    void truncationMatchesAtTheLimit() {
        String longText = String.join(" ", java.util.Collections.nCopies(300, "word"));
        int[] ids = ours.encode(longText);
        assertEquals(128, ids.length);
        assertArrayEquals(reference(longText), ids);
    }
}
