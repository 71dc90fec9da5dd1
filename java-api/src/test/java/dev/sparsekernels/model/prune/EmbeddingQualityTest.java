package dev.sparsekernels.model.prune;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The quality metrics on embeddings whose answers are known by construction. */
class EmbeddingQualityTest {
    @Test
    void rowCosinesOfKnownPairs() {
        float[] a = {1, 0, 0, 1, 2, 3, 1, 1};
        float[] b = {0, 1, 0, 3, 4, 6, -2, -2};
        double[] c = EmbeddingQuality.rowCosines(a, b, 2);
        assertEquals(0.0, c[0], 1e-15); // orthogonal
        assertEquals(1.0, c[1], 1e-15); // (0,1) and (0,3): same direction, other length
        assertEquals(1.0, c[2], 1e-15); // (2,3) and (4,6)
        assertEquals(-1.0, c[3], 1e-15); // opposite
    }

    @Test
    void aZeroRowHasNoCosine() {
        assertTrue(Double.isNaN(EmbeddingQuality.rowCosines(new float[] {0, 0}, new float[] {1, 0}, 2)[0]));
    }

    @Test
    void nearestNeighboursExcludeTheRowItselfAndBreakTiesLow() {
        // unit directions at 0, 10, 50, 180 and again 10 degrees
        float[] e = new float[10];
        double[] deg = {0, 10, 50, 180, 10};
        for (int i = 0; i < deg.length; i++) {
            e[2 * i] = (float) Math.cos(Math.toRadians(deg[i]));
            e[2 * i + 1] = (float) Math.sin(Math.toRadians(deg[i]));
        }
        e[8] *= 2; // length does not matter, direction does (a power of 2 keeps the tie exact after normalising)
        e[9] *= 2;
        assertArrayEquals(new int[] {1, 4, 1, 2, 1}, EmbeddingQuality.nearestNeighbours(e, 2));
    }

    @Test
    void agreementCountsSamePositions() {
        assertEquals(0.75, EmbeddingQuality.agreement(new int[] {1, 2, 3, 4}, new int[] {1, 2, 0, 4}));
        assertEquals(0.0, EmbeddingQuality.agreement(new int[] {1}, new int[] {2}));
    }

    @Test
    void comparingAModelWithItselfIsPerfect() {
        float[] e = {1, 2, 3, -1, 0, 2, 5, 5, 1};
        EmbeddingQuality q = EmbeddingQuality.compare(e, e.clone(), 3);
        assertEquals(1.0, q.cosineMean(), 1e-12);
        assertEquals(1.0, q.cosineMin(), 1e-12);
        assertEquals(1.0, q.top1Agreement());
    }

    @Test
    void compareReportsMeanWorstAndChangedNeighbours() {
        // reference: rows at 0, 10, 90 degrees; candidate moves row 2 next to row 0 (row 0's neighbour changes)
        float[] ref = {1, 0, (float) Math.cos(0.1745), (float) Math.sin(0.1745), 0, 1};
        float[] cand = {1, 0, (float) Math.cos(0.1745), (float) Math.sin(0.1745), 1, 0.01f};
        EmbeddingQuality q = EmbeddingQuality.compare(ref, cand, 2);
        double c2 = 0.01 / Math.sqrt(1 + 1e-4);
        assertEquals((1 + 1 + c2) / 3, q.cosineMean(), 1e-6);
        assertEquals(c2, q.cosineMin(), 1e-6);
        // neighbours: ref 0->1, 1->0, 2->1; cand (row 2 now at 0.57 degrees) 0->2, 1->2, 2->0
        int[] r = EmbeddingQuality.nearestNeighbours(ref, 2);
        int[] c = EmbeddingQuality.nearestNeighbours(cand, 2);
        assertArrayEquals(new int[] {1, 0, 1}, r);
        assertArrayEquals(new int[] {2, 2, 0}, c);
        assertEquals(0.0, q.top1Agreement());
    }

    @Test
    void badInputIsNamed() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> EmbeddingQuality.rowCosines(new float[4], new float[6], 2));
        assertTrue(e.getMessage().startsWith("b:"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> EmbeddingQuality.rowCosines(new float[5], null, 2));
        assertTrue(e.getMessage().startsWith("a:"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> EmbeddingQuality.nearestNeighbours(new float[2], 2));
        assertTrue(e.getMessage().contains("at least 2 rows"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> EmbeddingQuality.rowCosines(new float[2], new float[2],
                0));
        assertTrue(e.getMessage().startsWith("dim:"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> EmbeddingQuality.agreement(new int[2], new int[3]));
    }
}
