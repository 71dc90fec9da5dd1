package dev.sparsekernels.channels;

import dev.sparsekernels.Tensor;
import java.util.Arrays;

/**
 * Per-channel statistics of the activations entering a layer, accumulated over any number of batches
 * {@code [samples, channels]} (row-major): sample count, mean, variance and mean square, in double precision.
 *
 * <p>Numerics: each batch is cut into chunks of {@value #CHUNK} samples; a chunk's mean and sum of squared deviations
 * (M2) come from two passes over its values, and chunks, batches and other accumulators are combined with the
 * parallel formula of Chan, Golub and LeVeque (the batch form of Welford's update):
 * {@code n = na + nb, δ = mean_b - mean_a, mean = mean_a + δ·nb/n, M2 = M2_a + M2_b + δ²·na·nb/n}. No sum of squares
 * is ever formed, so a large mean does not cancel the variance away. Chunks are combined in order, so the result does
 * not depend on the number of threads.
 *
 * <p>Not thread-safe: one accumulator per thread, then {@link #merge}. Big batches are split across
 * {@code threads} threads internally.
 */
public final class ChannelStatistics {
    /** Samples per chunk of a batch (a unit of work and of the two-pass computation). */
    static final int CHUNK = 1024;

    private final int channels;
    private final int threads;
    private long count;
    private final double[] mean;
    private final double[] m2;

    /** An empty accumulator for {@code channels} channels, single-threaded. */
    public ChannelStatistics(int channels) {
        this(channels, 1);
    }

    /** An empty accumulator for {@code channels} channels that splits big batches over up to {@code threads}. */
    public ChannelStatistics(int channels, int threads) {
        if (channels < 1) {
            throw new IllegalArgumentException("channels: expected >= 1 but got " + channels);
        }
        if (threads < 1) {
            throw new IllegalArgumentException("threads: expected >= 1 but got " + threads);
        }
        this.channels = channels;
        this.threads = threads;
        this.mean = new double[channels];
        this.m2 = new double[channels];
    }

    /** Statistics of one batch {@code [samples, channels]}. */
    public static ChannelStatistics of(float[] batch, int samples, int channels) {
        ChannelStatistics s = new ChannelStatistics(channels);
        s.accept(batch, samples);
        return s;
    }

    /** Adds a batch {@code [samples, channels]}, row-major; returns this. */
    public ChannelStatistics accept(float[] batch, int samples) {
        if (batch == null) {
            throw new IllegalArgumentException("batch: expected [samples, " + channels + "] floats but got null");
        }
        if (samples < 0 || (long) samples * channels != batch.length) {
            throw new IllegalArgumentException("batch: expected " + ((long) Math.max(samples, 0) * channels)
                    + " floats for [" + samples + ", " + channels + "] but got " + batch.length);
        }
        int chunks = (samples + CHUNK - 1) / CHUNK;
        if (chunks == 0) {
            return this;
        }
        double[][] chunkMean = new double[chunks][];
        double[][] chunkM2 = new double[chunks][];
        Parallel.forEach(threads, chunks, c -> {
            int from = c * CHUNK;
            int to = Math.min(samples, from + CHUNK);
            double[] mu = new double[channels];
            double[] sq = new double[channels];
            chunkMoments(batch, channels, from, to, mu, sq);
            chunkMean[c] = mu;
            chunkM2[c] = sq;
        });
        for (int c = 0; c < chunks; c++) {
            int n = Math.min(samples, (c + 1) * CHUNK) - c * CHUNK;
            combine(n, chunkMean[c], chunkM2[c]);
        }
        return this;
    }

    /** Adds a batch: any float array whose length is a multiple of the channel count. */
    public ChannelStatistics accept(float[] batch) {
        if (batch == null || batch.length % channels != 0) {
            throw new IllegalArgumentException("batch: expected a multiple of " + channels + " floats but got "
                    + (batch == null ? "null" : batch.length));
        }
        return accept(batch, batch.length / channels);
    }

    /** Adds a batch tensor {@code [..., channels]} of any dtype; returns this. */
    public ChannelStatistics accept(Tensor batch) {
        if (batch == null) {
            throw new IllegalArgumentException("batch: expected a [samples, " + channels + "] tensor but got null");
        }
        if (batch.rank() < 1 || batch.dim(-1) != channels) {
            throw new IllegalArgumentException("batch: expected shape [..., " + channels + "] but got "
                    + Arrays.toString(batch.shape()));
        }
        return accept(batch.toFloatArray(), (int) (batch.elementCount() / channels));
    }

    /** Adds everything other has accumulated (Chan's formula); other is unchanged. Returns this. */
    public ChannelStatistics merge(ChannelStatistics other) {
        if (other == null) {
            throw new IllegalArgumentException("other: expected statistics of " + channels + " channels but got null");
        }
        if (other.channels != channels) {
            throw new IllegalArgumentException("other: expected statistics of " + channels + " channels but got "
                    + other.channels);
        }
        if (other == this) {
            return merge(copy());
        }
        combine(other.count, other.mean, other.m2);
        return this;
    }

    /**
     * Statistics from an accumulated state (count, per-channel mean and sum of squared deviations M2), e.g. one
     * computed on a GPU; the arrays are copied.
     */
    public static ChannelStatistics fromState(long count, double[] mean, double[] m2) {
        if (count < 0) {
            throw new IllegalArgumentException("count: expected >= 0 but got " + count);
        }
        if (mean == null || m2 == null || mean.length != m2.length || mean.length == 0) {
            throw new IllegalArgumentException("mean, m2: expected two arrays of the same non-zero length but got "
                    + (mean == null ? "null" : mean.length) + " and " + (m2 == null ? "null" : m2.length));
        }
        for (int j = 0; j < m2.length; j++) {
            // a sum of squared deviations: negative is impossible (NaN passes, as NaN activations leave it)
            if (m2[j] < 0) {
                throw new IllegalArgumentException("m2[" + j + "]: expected >= 0 (a sum of squared deviations) but got "
                        + m2[j]);
            }
        }
        ChannelStatistics s = new ChannelStatistics(mean.length);
        s.count = count;
        System.arraycopy(mean, 0, s.mean, 0, mean.length);
        System.arraycopy(m2, 0, s.m2, 0, m2.length);
        return s;
    }

    /** An independent copy. */
    public ChannelStatistics copy() {
        ChannelStatistics c = new ChannelStatistics(channels, threads);
        c.count = count;
        System.arraycopy(mean, 0, c.mean, 0, channels);
        System.arraycopy(m2, 0, c.m2, 0, channels);
        return c;
    }

    public int channels() {
        return channels;
    }

    /** Samples accepted so far (every channel has seen each of them). */
    public long count() {
        return count;
    }

    /** mean(x_j) per channel. */
    public double[] mean() {
        requireSamples();
        return mean.clone();
    }

    /** Population variance Var(x_j) = M2_j / n (the FLAP fluctuation uses this). */
    public double[] variance() {
        requireSamples();
        double[] v = new double[channels];
        for (int j = 0; j < channels; j++) {
            v[j] = m2[j] / count;
        }
        return v;
    }

    /** Sample variance M2_j / (n - 1); needs at least two samples. */
    public double[] sampleVariance() {
        if (count < 2) {
            throw new IllegalStateException("sampleVariance: expected at least 2 samples but got " + count);
        }
        double[] v = new double[channels];
        for (int j = 0; j < channels; j++) {
            v[j] = m2[j] / (count - 1);
        }
        return v;
    }

    /** mean(x_j²) = Var(x_j) + mean(x_j)², a sum of non-negative terms (no cancellation). */
    public double[] meanSquare() {
        requireSamples();
        double[] v = new double[channels];
        for (int j = 0; j < channels; j++) {
            v[j] = m2[j] / count + mean[j] * mean[j];
        }
        return v;
    }

    /** sqrt(mean(x_j²)) per channel: the input norm of Wanda, normalised by the sample count. */
    public double[] rms() {
        double[] v = meanSquare();
        for (int j = 0; j < channels; j++) {
            v[j] = Math.sqrt(v[j]);
        }
        return v;
    }

    @Override
    public String toString() {
        return "ChannelStatistics[" + channels + " channels, " + count + " samples]";
    }

    private void requireSamples() {
        if (count == 0) {
            throw new IllegalStateException("statistics of " + channels + " channels: no samples accepted yet");
        }
    }

    private void combine(long nb, double[] meanB, double[] m2B) {
        if (nb == 0) {
            return;
        }
        long na = count;
        long n = na + nb;
        if (na == 0) {
            System.arraycopy(meanB, 0, mean, 0, channels);
            System.arraycopy(m2B, 0, m2, 0, channels);
        } else {
            double fb = (double) nb / n;
            double cross = (double) na * nb / n;
            for (int j = 0; j < channels; j++) {
                double delta = meanB[j] - mean[j];
                mean[j] += delta * fb;
                m2[j] += m2B[j] + delta * delta * cross;
            }
        }
        count = n;
    }

    /** Two passes over rows [from, to): mean into mu, sum of squared deviations into sq. */
    private static void chunkMoments(float[] x, int channels, int from, int to, double[] mu, double[] sq) {
        for (int r = from; r < to; r++) {
            int base = r * channels;
            for (int j = 0; j < channels; j++) {
                mu[j] += x[base + j];
            }
        }
        double inv = 1.0 / (to - from);
        for (int j = 0; j < channels; j++) {
            mu[j] *= inv;
        }
        for (int r = from; r < to; r++) {
            int base = r * channels;
            for (int j = 0; j < channels; j++) {
                double d = x[base + j] - mu[j];
                sq[j] += d * d;
            }
        }
    }
}
