package dev.sparsekernels.model.distill;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sparsekernels.model.text.TokenBatch;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

class TokenNoiseTest {

    @Test
    void replacesAboutTheShareOfInnerTokensWithTokensOfTheTextAndKeepsTheEnds() {
        int[][] rows = new int[40][];
        Random r = new Random(5);
        Set<Integer> inner = new HashSet<>();
        for (int i = 0; i < rows.length; i++) {
            rows[i] = new int[2 + r.nextInt(30)];
            rows[i][0] = 101;
            rows[i][rows[i].length - 1] = 102;
            for (int t = 1; t < rows[i].length - 1; t++) {
                rows[i][t] = 1000 + r.nextInt(500);
                inner.add(rows[i][t]);
            }
        }
        TokenBatch batch = TokenBatch.pad(rows, 0);
        TokenNoise noise = new TokenNoise(List.of(batch));
        TokenBatch noisy = noise.apply(batch, 0.3, new Random(9));
        assertArrayEquals(batch.lengths(), noisy.lengths());
        int changed = 0;
        int total = 0;
        for (int i = 0; i < rows.length; i++) {
            int[] a = batch.ids(i);
            int[] b = noisy.ids(i);
            assertEquals(101, b[0]);
            assertEquals(102, b[b.length - 1]);
            for (int t = 1; t < a.length - 1; t++) {
                assertTrue(inner.contains(b[t]), "replacements come from the text");
                changed += a[t] != b[t] ? 1 : 0;
                total++;
            }
        }
        double share = (double) changed / total;
        assertTrue(share > 0.2 && share < 0.36, "changed " + share + " of " + total); // 0.3 less same-token draws
        assertSame(batch, noise.apply(batch, 0, new Random(1)));
    }
}
