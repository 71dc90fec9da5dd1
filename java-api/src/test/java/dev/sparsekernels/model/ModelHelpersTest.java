package dev.sparsekernels.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

/** GELU, LayerNorm, pooling and the packed/head layouts against direct formulas. */
class ModelHelpersTest {

    @Test
    void referenceErfHitsKnownValues() {
        // values from tables of erf (15 digits); the reference claims about 1e-13
        assertEquals(0.520499877813047, BertReference.erf(0.5), 1e-13);
        assertEquals(0.842700792949715, BertReference.erf(1.0), 1e-13);
        assertEquals(0.995322265018953, BertReference.erf(2.0), 1e-13);
        assertEquals(0.999977909503001, BertReference.erf(3.0), 1e-13);
        assertEquals(0.999977909503001, BertReference.erf(3.0 + 1e-15), 1e-13); // the continued-fraction side
        assertEquals(0.999999984582742, BertReference.erf(4.0), 1e-13);
        assertEquals(-0.842700792949715, BertReference.erf(-1.0), 1e-13);
    }

    @Test
    void erfIsWithinItsStatedBoundEverywhere() {
        double worst = 0;
        for (double x = -8; x <= 8; x += 1.0 / 1024) {
            worst = Math.max(worst, Math.abs(Gelu.erf(x) - BertReference.erf(x)));
        }
        assertTrue(worst < 1.5e-7, "max |erf error| = " + worst);
    }

    @Test
    void geluMatchesTheErfFormula() {
        float[] x = new float[2001];
        for (int i = 0; i < x.length; i++) {
            x[i] = (i - 1000) / 100f; // -10 .. 10
        }
        float[] y = x.clone();
        Gelu.apply(y);
        for (int i = 0; i < x.length; i++) {
            double exact = 0.5 * x[i] * (1 + BertReference.erf(x[i] / Math.sqrt(2)));
            // the bound Gelu states (7.5e-8·|x| from erf) plus rounding the result to float
            double bound = 7.5e-8 * Math.abs(x[i]) + Math.ulp((float) exact) / 2 + 1e-12;
            assertEquals(exact, y[i], bound, "x = " + x[i]);
        }
        assertEquals(0f, y[1000]);
    }

    @Test
    void layerNormGivesZeroMeanUnitVarianceThenScalesAndShifts() {
        Random rnd = new Random(1);
        int n = 64;
        float[] gamma = new float[n];
        float[] beta = new float[n];
        for (int i = 0; i < n; i++) {
            gamma[i] = 0.5f + rnd.nextFloat();
            beta[i] = rnd.nextFloat() - 0.5f;
        }
        float[] x = new float[3 * n];
        for (int i = 0; i < x.length; i++) {
            x[i] = 100 + 5 * (float) rnd.nextGaussian(); // a large mean: a one-pass variance would lose digits
        }
        float[] y = x.clone();
        new LayerNorm(gamma, beta, 1e-12f).apply(y);
        for (int r = 0; r < 3; r++) {
            double mean = 0;
            double var = 0;
            for (int i = 0; i < n; i++) {
                mean += x[r * n + i] / (double) n;
            }
            for (int i = 0; i < n; i++) {
                var += Math.pow(x[r * n + i] - mean, 2) / n;
            }
            for (int i = 0; i < n; i++) {
                double expected = (x[r * n + i] - mean) / Math.sqrt(var + 1e-12) * gamma[i] + beta[i];
                assertEquals(expected, y[r * n + i], 2e-6);
            }
        }
        assertThrows(IllegalArgumentException.class, () -> new LayerNorm(gamma, beta, 1e-5f).apply(new float[65]));
    }

    @Test
    void meanPoolingUsesOnlyEachSequencesOwnRows() {
        // two sequences packed: lengths 2 and 3, width 2
        float[] packed = {1, 2, 3, 4, /* seq 1 */ 10, 0, 20, 0, 30, 6};
        float[] pooled = Pooling.meanPool(packed, new int[] {2, 3}, 2);
        assertArrayEquals(new float[] {2, 3, 20, 2}, pooled);
        Pooling.normalizeRows(pooled, 2);
        assertEquals(1.0, Math.hypot(pooled[0], pooled[1]), 1e-6);
        assertEquals(1.0, Math.hypot(pooled[2], pooled[3]), 1e-6);
        assertEquals(2 / Math.sqrt(13), pooled[0], 1e-6);
        assertThrows(IllegalArgumentException.class, () -> Pooling.meanPool(packed, new int[] {2, 2}, 2));
    }

    @Test
    void packedRowsGoToTheirHeadsAndPositionsAndBack() {
        PackedSequences p = new PackedSequences(new int[] {2, 3});
        assertEquals(5, p.tokenCount());
        assertEquals(3, p.maxLength());
        int heads = 2;
        int d = 2;
        float[] packed = new float[5 * heads * d];
        for (int i = 0; i < packed.length; i++) {
            packed[i] = i + 1;
        }
        float[] padded = p.toHeads(packed, heads, d);
        assertEquals(2 * heads * 3 * d, padded.length);
        // sequence 1, token 2 (packed row 2 + 2 = 4), head 1: packed[4*4 + 2 .. +3]
        int at = ((1 * heads + 1) * 3 + 2) * d;
        assertEquals(packed[4 * 4 + 2], padded[at]);
        assertEquals(packed[4 * 4 + 3], padded[at + 1]);
        // sequence 0 position 2 is padding: zeros in every head
        for (int h = 0; h < heads; h++) {
            assertEquals(0f, padded[((0 * heads + h) * 3 + 2) * d]);
        }
        assertArrayEquals(packed, p.fromHeads(padded, heads, d));
    }

    /**
     * Batches whose activations would not fit an int-indexed array are refused by name (a robustness sweep, session
     * 18: NegativeArraySizeException and ArithmeticException from deep inside embed and lastHiddenState).
     */
    @Test
    void batchesTooLargeForTheActivationArraysAreRefusedByName() {
        BertConfig wide = new BertConfig(1, 4096, 32, 16384, 100, 512, 2, 1e-12f);
        int[][] rows = new int[300][512]; // 153,600 tokens x 16,384 FFN outputs > 2^31
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> BertEncoder.checkSizes(wide, dev.sparsekernels.model.text.TokenBatch.pad(rows, 0)));
        assertTrue(e.getMessage().contains("153600 x 16384"), e.getMessage());
        // the padded batch alone: 1,100 rows padded to 512 x 4096 wide > 2^31, with few real tokens
        int[][] ragged = new int[1100][];
        for (int i = 0; i < ragged.length; i++) {
            ragged[i] = new int[i == 0 ? 512 : 1];
        }
        e = assertThrows(IllegalArgumentException.class,
                () -> BertEncoder.checkSizes(wide, dev.sparsekernels.model.text.TokenBatch.pad(ragged, 0)));
        assertTrue(e.getMessage().contains("563200 x 4096"), e.getMessage());
        BertEncoder.checkSizes(BertConfig.miniLmL6V2(), dev.sparsekernels.model.text.TokenBatch.pad(rows, 0)); // fits
        int[] one = new int[46341];
        int[][] square = new int[46341][];
        java.util.Arrays.fill(square, new int[] {1});
        square[0] = one;
        e = assertThrows(IllegalArgumentException.class, () -> dev.sparsekernels.model.text.TokenBatch.pad(square, 0));
        assertTrue(e.getMessage().contains("46341 rows padded to 46341 ids"), e.getMessage());
    }
}
