package dev.sparsekernels.model;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sparsekernels.Kernels;
import dev.sparsekernels.Tensor;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The paraphrase block of the held-out corpus is fit for nearest-neighbour evaluation: with the dense model on our
 * kernels, a sentence's nearest neighbour among the 200 is almost always its partner (200 of 200 measured), so a
 * pruned model's drop in this rate means something.
 */
class ParaphrasePairsAreNearestNeighboursTest {

    @Test
    void denseModelFindsTheParaphrasePartner() {
        List<String> sentences = new ArrayList<>();
        for (String[] pair : SentenceCorpus.paraphrasePairs()) {
            sentences.add(pair[0]);
            sentences.add(pair[1]);
        }
        float[] e;
        try (Kernels k = Kernels.cpu(2); BertEncoder enc = BertEncoder.create(k, MiniLmFixture.weights());
                Tensor t = enc.embed(MiniLmFixture.tokenizer().encode(sentences))) {
            e = t.toFloatArray();
        }
        int n = sentences.size();
        int hits = 0;
        List<String> misses = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            int best = -1;
            double bestDot = -2;
            for (int j = 0; j < n; j++) {
                if (j == i) {
                    continue;
                }
                double dot = 0;
                for (int c = 0; c < 384; c++) {
                    dot += e[i * 384 + c] * e[j * 384 + c];
                }
                if (dot > bestDot) {
                    bestDot = dot;
                    best = j;
                }
            }
            if (best == (i ^ 1)) {
                hits++;
            } else {
                misses.add(sentences.get(i) + " -> " + sentences.get(best));
            }
        }
        System.out.println("MiniLM paraphrase partner is the nearest neighbour for " + hits + " of " + n);
        assertTrue(hits >= 0.95 * n, hits + " of " + n + "; misses: " + misses);
    }
}
