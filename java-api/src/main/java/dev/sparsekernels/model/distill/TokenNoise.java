package dev.sparsekernels.model.distill;

import dev.sparsekernels.model.text.TokenBatch;
import java.util.List;
import java.util.Random;

/**
 * Data augmentation for distillation: copies of a batch with some tokens replaced by others drawn from the training
 * text's own token frequencies. The teacher labels every noisy copy afresh, so each epoch shows the student inputs it
 * has not seen, which is what a few hundred sentences lack (training on them alone overfits within a few epochs).
 * The first and last token of every sequence ([CLS] and [SEP] for BERT's tokenizer) are kept.
 */
final class TokenNoise {
    private final int[] pool;

    /** Draws replacements from the inner tokens of these batches. */
    TokenNoise(List<TokenBatch> batches) {
        int n = 0;
        for (TokenBatch b : batches) {
            for (int i = 0; i < b.size(); i++) {
                n += Math.max(0, b.length(i) - 2);
            }
        }
        int[] p = new int[n];
        int k = 0;
        for (TokenBatch b : batches) {
            for (int i = 0; i < b.size(); i++) {
                int[] ids = b.ids(i);
                for (int t = 1; t < ids.length - 1; t++) {
                    p[k++] = ids[t];
                }
            }
        }
        this.pool = p;
    }

    /** A copy of the batch with each inner token replaced with probability share; the batch itself if none can be. */
    TokenBatch apply(TokenBatch batch, double share, Random random) {
        if (pool.length == 0 || share <= 0) {
            return batch;
        }
        int[][] rows = new int[batch.size()][];
        for (int i = 0; i < rows.length; i++) {
            int[] ids = batch.ids(i);
            for (int t = 1; t < ids.length - 1; t++) {
                if (random.nextDouble() < share) {
                    ids[t] = pool[random.nextInt(pool.length)];
                }
            }
            rows[i] = ids;
        }
        return TokenBatch.pad(rows, 0);
    }
}
