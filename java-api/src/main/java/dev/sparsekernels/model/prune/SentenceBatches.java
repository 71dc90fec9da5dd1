package dev.sparsekernels.model.prune;

import dev.sparsekernels.Tensor;
import dev.sparsekernels.model.ActivationObserver;
import dev.sparsekernels.model.BertEncoder;
import dev.sparsekernels.model.text.TokenBatch;
import dev.sparsekernels.model.text.WordPieceTokenizer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;

/**
 * Sentences tokenized once and grouped into batches of similar length, so a model can embed many of them with little
 * padding, and every model (ours pruned in several ways, ONNX Runtime) sees the very same token ids. Embeddings come
 * back in the order the sentences were given.
 */
public final class SentenceBatches {
    private final List<TokenBatch> batches;
    /** Position in the original list of each sentence, batch after batch. */
    private final int[] order;

    private SentenceBatches(List<TokenBatch> batches, int[] order) {
        this.batches = Collections.unmodifiableList(batches);
        this.order = order;
    }

    /**
     * Tokenizes the sentences and cuts them, shortest first, into batches of at most batchSize.
     *
     * @throws IllegalArgumentException for no sentences, a null sentence or batchSize below 1
     */
    public static SentenceBatches of(WordPieceTokenizer tokenizer, List<String> sentences, int batchSize) {
        if (tokenizer == null) {
            throw new IllegalArgumentException("tokenizer: expected a tokenizer but got null");
        }
        if (sentences == null || sentences.isEmpty()) {
            throw new IllegalArgumentException("sentences: expected at least one sentence but got "
                    + (sentences == null ? "null" : "none"));
        }
        if (batchSize < 1) {
            throw new IllegalArgumentException("batchSize: expected >= 1 but got " + batchSize);
        }
        int n = sentences.size();
        int[][] ids = new int[n][];
        for (int i = 0; i < n; i++) {
            String s = sentences.get(i);
            if (s == null) {
                throw new IllegalArgumentException("sentences[" + i + "]: expected text but got null");
            }
            ids[i] = tokenizer.encode(s);
        }
        Integer[] byLength = new Integer[n];
        for (int i = 0; i < n; i++) {
            byLength[i] = i;
        }
        Arrays.sort(byLength, Comparator.comparingInt((Integer i) -> ids[i].length).thenComparingInt(i -> i));
        List<TokenBatch> batches = new ArrayList<>();
        int[] order = new int[n];
        for (int start = 0; start < n; start += batchSize) {
            int end = Math.min(n, start + batchSize);
            int[][] rows = new int[end - start][];
            for (int i = start; i < end; i++) {
                order[i] = byLength[i];
                rows[i - start] = ids[byLength[i]];
            }
            batches.add(TokenBatch.pad(rows, tokenizer.padId()));
        }
        return new SentenceBatches(batches, order);
    }

    /** The batches, shortest sentences first. */
    public List<TokenBatch> batches() {
        return batches;
    }

    /** Number of sentences. */
    public int size() {
        return order.length;
    }

    /** Real tokens over all sentences. */
    public long tokenCount() {
        long n = 0;
        for (TokenBatch b : batches) {
            n += b.tokenCount();
        }
        return n;
    }

    /**
     * Puts rows computed batch after batch ([size, width] in batch order) back into the order the sentences were
     * given.
     */
    public float[] inSentenceOrder(float[] batchOrder, int width) {
        if (batchOrder == null || batchOrder.length != (long) order.length * width) {
            throw new IllegalArgumentException("batchOrder: expected " + (long) order.length * width + " values ("
                    + order.length + " rows of " + width + ") but got "
                    + (batchOrder == null ? "null" : batchOrder.length));
        }
        float[] out = new float[batchOrder.length];
        for (int i = 0; i < order.length; i++) {
            System.arraycopy(batchOrder, i * width, out, order[i] * width, width);
        }
        return out;
    }

    /** Sentence embeddings [size, hidden] in the order the sentences were given, the observer seeing every batch. */
    public float[] embed(BertEncoder encoder, ActivationObserver observer, Progress progress) {
        if (encoder == null) {
            throw new IllegalArgumentException("encoder: expected an encoder but got null");
        }
        int hidden = encoder.config().hidden();
        float[] all = new float[order.length * hidden];
        int row = 0;
        for (int b = 0; b < batches.size(); b++) {
            TokenBatch batch = batches.get(b);
            try (Tensor e = encoder.embed(batch, observer)) {
                System.arraycopy(e.toFloatArray(), 0, all, row * hidden, batch.size() * hidden);
            }
            row += batch.size();
            progress.advance(batch.size());
        }
        return inSentenceOrder(all, hidden);
    }

    /** Sentence embeddings [size, hidden] in the order the sentences were given. */
    public float[] embed(BertEncoder encoder) {
        return embed(encoder, ActivationObserver.NONE, Progress.NONE);
    }
}
