package dev.sparsekernels.channels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sparsekernels.Tensor;
import java.util.Random;
import java.util.SplittableRandom;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

/**
 * Statistics against a two-pass double computation. Tolerances: relative 1e-12 on mean and variance for ordinary
 * data (both sides are double; only summation order differs), 1e-9 relative on the variance for 10^7 samples around
 * a mean of 1e4.
 */
class ChannelStatisticsTest {

    private static double[][] twoPass(float[] x, int samples, int channels) {
        double[] mean = new double[channels];
        double[] var = new double[channels];
        double[] ms = new double[channels];
        for (int j = 0; j < channels; j++) {
            double s = 0;
            for (int r = 0; r < samples; r++) {
                s += x[r * channels + j];
            }
            mean[j] = s / samples;
            double q = 0;
            double sq = 0;
            for (int r = 0; r < samples; r++) {
                double v = x[r * channels + j];
                q += (v - mean[j]) * (v - mean[j]);
                sq += v * v;
            }
            var[j] = q / samples;
            ms[j] = sq / samples;
        }
        return new double[][] {mean, var, ms};
    }

    private static float[] random(Random r, int n, double offset, double scale) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = (float) (offset + scale * r.nextGaussian());
        }
        return a;
    }

    private static void assertRel(double[] expected, double[] actual, double tol) {
        assertEquals(expected.length, actual.length);
        for (int i = 0; i < expected.length; i++) {
            double scale = Math.max(1e-30, Math.abs(expected[i]));
            assertTrue(Math.abs(expected[i] - actual[i]) <= tol * scale,
                    "at " + i + ": expected " + expected[i] + " but got " + actual[i]);
        }
    }

    @Property(tries = 40)
    void equalsTwoPassComputation(@ForAll @IntRange(min = 1, max = 3000) int samples,
            @ForAll @IntRange(min = 1, max = 37) int channels, @ForAll @IntRange(min = 0, max = 99) int seed) {
        Random r = new Random(seed);
        float[] x = random(r, samples * channels, r.nextGaussian() * 10, 0.5 + r.nextDouble());
        double[][] ref = twoPass(x, samples, channels);
        ChannelStatistics s = ChannelStatistics.of(x, samples, channels);
        assertEquals(samples, s.count());
        assertRel(ref[0], s.mean(), 1e-12);
        assertRel(ref[1], s.variance(), 1e-10);
        assertRel(ref[2], s.meanSquare(), 1e-12);
        double[] rms = s.rms();
        for (int j = 0; j < channels; j++) {
            assertEquals(Math.sqrt(ref[2][j]), rms[j], 1e-12 * Math.sqrt(ref[2][j]));
        }
        if (samples > 1) {
            double[] sv = s.sampleVariance();
            for (int j = 0; j < channels; j++) {
                assertEquals(ref[1][j] * samples / (samples - 1), sv[j], 1e-10 * sv[j] + 1e-300);
            }
        }
    }

    @Property(tries = 30)
    void mergeOfSplitBatchesEqualsOnePass(@ForAll @IntRange(min = 2, max = 2500) int samples,
            @ForAll @IntRange(min = 1, max = 19) int channels, @ForAll @IntRange(min = 0, max = 99) int seed) {
        Random r = new Random(seed);
        float[] x = random(r, samples * channels, 3, 2);
        ChannelStatistics whole = ChannelStatistics.of(x, samples, channels);
        // split at random points into batches, accepted by two accumulators that are merged
        ChannelStatistics a = new ChannelStatistics(channels);
        ChannelStatistics b = new ChannelStatistics(channels);
        int from = 0;
        int turn = 0;
        while (from < samples) {
            int n = 1 + r.nextInt(Math.max(1, samples / 3));
            n = Math.min(n, samples - from);
            float[] part = new float[n * channels];
            System.arraycopy(x, from * channels, part, 0, part.length);
            (turn++ % 2 == 0 ? a : b).accept(part, n);
            from += n;
        }
        ChannelStatistics merged = a.copy().merge(b);
        assertEquals(samples, merged.count());
        assertRel(whole.mean(), merged.mean(), 1e-12);
        assertRel(whole.variance(), merged.variance(), 1e-10);
        assertRel(whole.meanSquare(), merged.meanSquare(), 1e-12);
    }

    @Test
    void threadsGiveTheSameBitsAsOneThread() {
        Random r = new Random(5);
        int samples = 10_000;
        int channels = 33;
        float[] x = random(r, samples * channels, 1, 1);
        ChannelStatistics one = new ChannelStatistics(channels, 1).accept(x, samples);
        ChannelStatistics four = new ChannelStatistics(channels, 4).accept(x, samples);
        assertArrayEquals(one.mean(), four.mean());
        assertArrayEquals(one.variance(), four.variance());
    }

    @Test
    void stableForTenMillionSamplesWithALargeMean() {
        int channels = 2;
        int batch = 200_000;
        int batches = 50; // 10^7 samples
        SplittableRandom gen = new SplittableRandom(11);
        ChannelStatistics s = new ChannelStatistics(channels, 2);
        double[] sum = new double[channels];
        float[] x = new float[batch * channels];
        // exact reference: pass 1 sums, pass 2 (regenerating the same stream) squared deviations
        for (int b = 0; b < batches; b++) {
            fill(gen, x);
            s.accept(x, batch);
            for (int i = 0; i < x.length; i++) {
                sum[i % channels] += x[i];
            }
        }
        long n = (long) batch * batches;
        double[] mean = {sum[0] / n, sum[1] / n};
        double[] sq = new double[channels];
        gen = new SplittableRandom(11);
        for (int b = 0; b < batches; b++) {
            fill(gen, x);
            for (int i = 0; i < x.length; i++) {
                double d = x[i] - mean[i % channels];
                sq[i % channels] += d * d;
            }
        }
        assertEquals(n, s.count());
        for (int j = 0; j < channels; j++) {
            assertEquals(mean[j], s.mean()[j], 1e-12 * mean[j]);
            double var = sq[j] / n;
            assertTrue(var > 0.05, "noise variance " + var);
            assertEquals(var, s.variance()[j], 1e-9 * var, "channel " + j);
        }
    }

    /** 1e4 (+ 1e3 on odd channels) plus uniform noise in [-0.5, 0.5) (representable: float ulp at 1e4 is ~1e-3). */
    private static void fill(SplittableRandom gen, float[] x) {
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) (1e4 + (i % 2) * 1e3 + gen.nextDouble() - 0.5);
        }
    }

    @Test
    void acceptsTensorsOfAnyLeadingShape() {
        Random r = new Random(2);
        float[] x = random(r, 2 * 3 * 4, 0, 1);
        ChannelStatistics a = new ChannelStatistics(4).accept(Tensor.of(x, 2, 3, 4));
        ChannelStatistics b = ChannelStatistics.of(x, 6, 4);
        assertEquals(6, a.count());
        assertArrayEquals(b.mean(), a.mean());
        assertArrayEquals(b.variance(), a.variance());
    }

    @Test
    void emptyBatchesAndMergesChangeNothing() {
        ChannelStatistics s = ChannelStatistics.of(new float[] {1, 2, 3, 4}, 2, 2);
        s.accept(new float[0], 0).merge(new ChannelStatistics(2));
        assertEquals(2, s.count());
        assertArrayEquals(new double[] {2, 3}, s.mean());
        assertArrayEquals(new double[] {1, 1}, s.variance());
        assertArrayEquals(new double[] {5, 10}, s.meanSquare());
        s.merge(s);
        assertEquals(4, s.count());
        assertArrayEquals(new double[] {1, 1}, s.variance());
    }

    @Test
    void badArgumentsAreNamed() {
        assertMessage(assertThrows(IllegalArgumentException.class, () -> new ChannelStatistics(0)), "channels",
                "got 0");
        assertMessage(assertThrows(IllegalArgumentException.class, () -> new ChannelStatistics(4, 0)), "threads",
                "got 0");
        ChannelStatistics s = new ChannelStatistics(4);
        assertMessage(assertThrows(IllegalArgumentException.class, () -> s.accept(new float[7], 2)), "batch", "8",
                "got 7");
        assertMessage(assertThrows(IllegalArgumentException.class, () -> s.accept(new float[6])), "batch",
                "multiple of 4");
        assertMessage(assertThrows(IllegalArgumentException.class, () -> s.accept(Tensor.of(new float[6], 2, 3))),
                "batch", "[..., 4]", "[2, 3]");
        assertMessage(assertThrows(IllegalArgumentException.class, () -> s.merge(new ChannelStatistics(3))),
                "other", "4 channels", "got 3");
        assertMessage(assertThrows(IllegalStateException.class, s::mean), "no samples");
    }

    static void assertMessage(Throwable t, String... parts) {
        for (String p : parts) {
            assertTrue(t.getMessage().contains(p), "'" + t.getMessage() + "' lacks '" + p + "'");
        }
    }

    /** A sum of squared deviations cannot be negative (it gave a negative variance); NaN passes, as NaN inputs leave. */
    @Test
    void fromStateRefusesANegativeSumOfSquaredDeviations() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ChannelStatistics.fromState(3, new double[] {0, 0}, new double[] {1, -0.5}));
        assertTrue(e.getMessage().contains("m2[1]: expected >= 0"), e.getMessage());
        assertTrue(Double.isNaN(ChannelStatistics.fromState(3, new double[] {0}, new double[] {Double.NaN})
                .variance()[0]));
    }
}
