package dev.sparsekernels.model.prune;

import dev.sparsekernels.Kernels;
import dev.sparsekernels.model.BertEncoder;
import dev.sparsekernels.model.TinyBert;
import dev.sparsekernels.model.text.TinyTokenizerJson;
import dev.sparsekernels.model.text.TokenizerFormatException;
import dev.sparsekernels.model.text.WordPieceTokenizer;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/** The tiny random BERT with a tiny tokenizer and random sentences from its vocabulary: the pruning tests' model. */
final class TinyModel {
    private static final String[] WORDS = {"hello", "world", "a", "b", "x", "run", "running", "want", "unwanted",
        "cafe", "naive", "i", ",", "!", ".", "?", "$"};

    private TinyModel() {
    }

    static BertEncoder encoder(Kernels kernels, long seed) {
        return BertEncoder.create(kernels, TinyBert.weights(TinyBert.CONFIG,
                TinyBert.parameters(TinyBert.CONFIG, seed)));
    }

    static WordPieceTokenizer tokenizer() {
        try {
            return TinyTokenizerJson.tokenizer(20, 100); // the tiny model has 20 positions
        } catch (TokenizerFormatException e) {
            throw new IllegalStateException(e);
        }
    }

    /** n sentences of 1 to 14 words. */
    static List<String> sentences(int n, long seed) {
        Random r = new Random(seed);
        List<String> s = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            StringBuilder b = new StringBuilder();
            int words = 1 + r.nextInt(14);
            for (int w = 0; w < words; w++) {
                b.append(w == 0 ? "" : " ").append(WORDS[r.nextInt(WORDS.length)]);
            }
            s.add(b.toString());
        }
        return s;
    }

    static SentenceBatches batches(int n, long seed, int batchSize) {
        return SentenceBatches.of(tokenizer(), sentences(n, seed), batchSize);
    }
}
