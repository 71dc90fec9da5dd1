package dev.sparsekernels.model.prune;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sparsekernels.Kernels;
import dev.sparsekernels.Tensor;
import dev.sparsekernels.model.BertEncoder;
import dev.sparsekernels.model.text.TokenBatch;
import dev.sparsekernels.model.text.WordPieceTokenizer;
import java.util.List;
import org.junit.jupiter.api.Test;

class SentenceBatchesTest {
    @Test
    void batchesAreShortestFirstAndEmbeddingsComeBackInSentenceOrder() {
        List<String> sentences = TinyModel.sentences(23, 3);
        WordPieceTokenizer tok = TinyModel.tokenizer();
        SentenceBatches b = SentenceBatches.of(tok, sentences, 5);
        assertEquals(23, b.size());
        assertEquals(5, b.batches().size());
        int previousMax = 0;
        long tokens = 0;
        for (TokenBatch batch : b.batches()) {
            assertTrue(batch.size() <= 5);
            int min = Integer.MAX_VALUE;
            for (int len : batch.lengths()) {
                min = Math.min(min, len);
            }
            assertTrue(min >= previousMax, "batches ordered by length");
            previousMax = batch.sequenceLength();
            tokens += batch.tokenCount();
        }
        assertEquals(tokens, b.tokenCount());
        try (Kernels k = Kernels.cpu(2); BertEncoder enc = TinyModel.encoder(k, 1)) {
            float[] all = b.embed(enc);
            for (int i = 0; i < sentences.size(); i++) {
                try (Tensor one = enc.embed(tok.encode(List.of(sentences.get(i))))) {
                    float[] e = one.toFloatArray();
                    for (int c = 0; c < e.length; c++) {
                        assertEquals(e[c], all[i * e.length + c], 2e-6, "sentence " + i);
                    }
                }
            }
        }
    }

    @Test
    void inSentenceOrderUndoesTheLengthSort() {
        List<String> sentences = List.of("hello world hello world", "a", "b x");
        SentenceBatches b = SentenceBatches.of(TinyModel.tokenizer(), sentences, 2);
        // rows in batch order are the sentences sorted by length: 1 ("a"), 2 ("b x"), 0
        float[] batchOrder = {1, 1, 2, 2, 0, 0};
        assertArrayEquals(new float[] {0, 0, 1, 1, 2, 2}, b.inSentenceOrder(batchOrder, 2));
    }

    @Test
    void badInputIsNamed() {
        WordPieceTokenizer tok = TinyModel.tokenizer();
        assertThrows(IllegalArgumentException.class, () -> SentenceBatches.of(tok, List.of(), 4));
        assertThrows(IllegalArgumentException.class, () -> SentenceBatches.of(tok, List.of("a"), 0));
        assertThrows(IllegalArgumentException.class, () -> SentenceBatches.of(null, List.of("a"), 1));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> SentenceBatches.of(tok, java.util.Arrays.asList("a", null), 1));
        assertTrue(e.getMessage().startsWith("sentences[1]"), e.getMessage());
        SentenceBatches b = SentenceBatches.of(tok, List.of("a", "b"), 1);
        e = assertThrows(IllegalArgumentException.class, () -> b.inSentenceOrder(new float[3], 2));
        assertTrue(e.getMessage().startsWith("batchOrder"), e.getMessage());
    }
}
