package dev.sparsekernels.model.prune;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Random;
import org.junit.jupiter.api.Test;

class InputGramTest {
    @Test
    void meanAndCovarianceMatchADirectComputationOverSeveralBatches() {
        Random r = new Random(2);
        int width = 7;
        int[] batches = {13, 1, 40};
        int n = 54;
        float[] all = new float[n * width];
        for (int i = 0; i < all.length; i++) {
            all[i] = (float) (r.nextGaussian() + 3 * (i % width)); // channels with different means
        }
        InputGram g = new InputGram(width, 2);
        int row = 0;
        for (int rows : batches) {
            float[] x = new float[rows * width];
            System.arraycopy(all, row * width, x, 0, x.length);
            g.accept(x, rows);
            row += rows;
        }
        assertEquals(n, g.count());
        double[] mean = new double[width];
        for (int t = 0; t < n; t++) {
            for (int j = 0; j < width; j++) {
                mean[j] += all[t * width + j] / (double) n;
            }
        }
        double[] cov = g.covariance();
        for (int i = 0; i < width; i++) {
            assertEquals(mean[i], g.mean()[i], 1e-9);
            for (int j = 0; j < width; j++) {
                double s = 0;
                for (int t = 0; t < n; t++) {
                    s += (all[t * width + i] - mean[i]) * (all[t * width + j] - mean[j]);
                }
                // float GEMM per batch: about 1e-6 relative to the raw second moment (means up to 18)
                assertEquals(s / n, cov[i * width + j], 1e-4, "cov " + i + "," + j);
                assertEquals(cov[i * width + j], cov[j * width + i], 1e-12);
            }
        }
    }

    @Test
    void badInputIsNamed() {
        InputGram g = new InputGram(3, 1);
        assertThrows(IllegalStateException.class, g::mean);
        assertThrows(IllegalArgumentException.class, () -> g.accept(new float[5], 2));
        assertThrows(IllegalArgumentException.class, () -> g.accept(null, 1));
        assertThrows(IllegalArgumentException.class, () -> new InputGram(0, 1));
        assertThrows(IllegalArgumentException.class, () -> new InputGram(3, 0));
    }
}
