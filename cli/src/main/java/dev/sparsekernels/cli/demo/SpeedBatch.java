package dev.sparsekernels.cli.demo;

import dev.sparsekernels.model.text.TokenBatch;
import dev.sparsekernels.model.text.WordPieceTokenizer;
import java.util.ArrayList;
import java.util.List;

/**
 * The batch speed is measured on: {@code size} rows of exactly {@code length} tokens, made of held-out sentences
 * joined until the text is longer than that and truncated by the tokenizer. Every row is full, so padding helps
 * neither side.
 */
final class SpeedBatch {
    private SpeedBatch() {
    }

    static TokenBatch of(WordPieceTokenizer tokenizer, List<String> sentences, int size, int length) {
        if (size < 1) {
            throw new IllegalArgumentException("--batch: expected >= 1 but got " + size);
        }
        if (length < 3 || length > tokenizer.maxLength()) {
            throw new IllegalArgumentException("--seq: expected 3.." + tokenizer.maxLength() + " tokens but got "
                    + length);
        }
        WordPieceTokenizer t = tokenizer.withMaxLength(length);
        List<String> texts = new ArrayList<>();
        for (int i = 0; i < size; i++) {
            StringBuilder b = new StringBuilder();
            // about 4 characters per token: 12 per token leaves room for the longest words
            for (int j = 0; b.length() < 12 * length; j++) {
                b.append(sentences.get((i * 13 + j) % sentences.size())).append(' ');
            }
            texts.add(b.toString());
        }
        TokenBatch batch = t.encode(texts);
        if (batch.tokenCount() != (long) size * length) {
            throw new IllegalStateException("speed batch: expected " + size + " rows of " + length + " tokens but got "
                    + batch);
        }
        return batch;
    }
}
