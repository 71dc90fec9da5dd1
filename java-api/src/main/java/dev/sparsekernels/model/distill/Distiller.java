package dev.sparsekernels.model.distill;

import dev.sparsekernels.model.BertEncoder;
import dev.sparsekernels.model.BertLayer;
import dev.sparsekernels.model.Pooling;
import dev.sparsekernels.model.prune.Progress;
import dev.sparsekernels.model.text.TokenBatch;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Recovers what pruning cost by training the pruned model (the student) to reproduce the unpruned one (the teacher)
 * on unlabelled text: every layer's output states and the sentence embeddings ({@link DistillationLoss}), with Adam,
 * a linear warm-up and a linear decay. The student's layers are trained as dense arrays ({@link TrainableLayer}; a
 * 2:4 or BSR weight with its pruned entries held at zero), embeddings stay frozen (pruning does not touch them), and
 * the trained weights are written back into the student in the formats they had, ready for any later step (or the
 * CPU path) as before.
 *
 * <p>The teacher's states are computed once per batch and kept; one training step is then a forward pass with its
 * tape, the loss, a backward pass (about twice the forward's work) and an update: about three forward passes of the
 * student. Deterministic for a given seed and thread count.
 */
public final class Distiller {
    private Distiller() {
    }

    /**
     * @param epochs          passes over the text
     * @param learningRate    Adam's peak step size
     * @param warmup          share of the steps over which the rate rises linearly from 0 (then falls linearly to 0)
     * @param hiddenWeight    weight of the per-layer state term
     * @param embeddingWeight weight of the embedding cosine term
     * @param tokenNoise      share of the inner tokens replaced, afresh in every step, by tokens drawn from the text
     *                        (0: the batches as given; the teacher then labels each batch once, not every step)
     * @param seed            for the order of the batches in each epoch and the noise
     * @param threads         CPU threads for the kernels
     */
    public record Options(int epochs, double learningRate, double warmup, double hiddenWeight, double embeddingWeight,
            double tokenNoise, long seed, int threads) {
        public Options {
            if (epochs < 1) {
                throw new IllegalArgumentException("epochs: expected >= 1 but got " + epochs);
            }
            if (!(learningRate > 0) || Double.isInfinite(learningRate)) {
                throw new IllegalArgumentException("learningRate: expected a positive number but got "
                        + learningRate);
            }
            if (!(warmup >= 0 && warmup < 1)) {
                throw new IllegalArgumentException("warmup: expected a share in [0, 1) but got " + warmup);
            }
            if (!(hiddenWeight >= 0) || !(embeddingWeight >= 0) || hiddenWeight + embeddingWeight == 0) {
                throw new IllegalArgumentException("hiddenWeight, embeddingWeight: expected >= 0, not both 0, but got "
                        + hiddenWeight + " and " + embeddingWeight);
            }
            if (threads < 1) {
                throw new IllegalArgumentException("threads: expected >= 1 but got " + threads);
            }
            if (!(tokenNoise >= 0 && tokenNoise < 1)) {
                throw new IllegalArgumentException("tokenNoise: expected a share in [0, 1) but got " + tokenNoise);
            }
        }

        /** Options without token noise. */
        public Options(int epochs, double learningRate, double warmup, double hiddenWeight, double embeddingWeight,
                long seed, int threads) {
            this(epochs, learningRate, warmup, hiddenWeight, embeddingWeight, 0, seed, threads);
        }
    }

    /** What a run did: steps taken, mean loss of the first and the last epoch, wall time. */
    public record Report(int steps, double firstEpochLoss, double lastEpochLoss, double seconds) {
    }

    /**
     * Trains the student in place towards the teacher on token batches of unlabelled text (calibration text, never
     * evaluation text; {@code SentenceBatches.batches()} gives them grouped by length).
     * Progress advances by one per step ({@code epochs × batches} in all).
     *
     * @throws IllegalArgumentException when the models differ in width or depth, or a linear is not dense, 2:4 or BSR
     * @throws IllegalStateException when the loss stops being finite (too high a rate); the student is then left
     *                               exactly as it was, since trained weights are written back only at the end
     */
    public static Report distill(BertEncoder teacher, BertEncoder student, List<TokenBatch> batches,
            Options options, Progress progress) {
        if (teacher == null || student == null || batches == null || batches.isEmpty() || options == null) {
            throw new IllegalArgumentException("teacher, student, batches, options: expected all four, with at least"
                    + " one batch");
        }
        int hidden = student.config().hidden();
        int depth = student.layers().size();
        if (teacher.config().hidden() != hidden || teacher.layers().size() != depth) {
            throw new IllegalArgumentException("teacher: expected " + depth + " layers of width " + hidden
                    + " (as the student) but got " + teacher.layers().size() + " of " + teacher.config().hidden());
        }
        for (int i = 0; i < batches.size(); i++) {
            if (batches.get(i) == null) {
                throw new IllegalArgumentException("batches[" + i + "]: expected a token batch but got null");
            }
        }
        Progress p = progress == null ? Progress.NONE : progress;
        long start = System.nanoTime();
        int threads = options.threads();
        List<TrainableLayer> teacherLayers = trainable(teacher);
        List<TrainableLayer> layers = trainable(student);
        List<Parameter> parameters = new ArrayList<>();
        layers.forEach(l -> parameters.addAll(l.parameters()));

        boolean noisy = options.tokenNoise() > 0;
        TokenNoise noise = noisy ? new TokenNoise(batches) : null;
        Random noiseRandom = new Random(options.seed() ^ 0x5DEECE66DL);
        List<Targets> targets = new ArrayList<>();
        if (!noisy) {
            for (TokenBatch batch : batches) {
                targets.add(Targets.of(batch, student.inputStates(batch), teacherLayers, hidden, threads));
            }
        }

        Adam adam = new Adam(0.9, 0.999, 1e-8);
        int total = options.epochs() * batches.size();
        Random order = new Random(options.seed());
        double first = 0;
        double last = 0;
        for (int epoch = 0; epoch < options.epochs(); epoch++) {
            double sum = 0;
            for (int i : shuffled(batches.size(), order)) {
                Targets t;
                if (noisy) {
                    TokenBatch b = noise.apply(batches.get(i), options.tokenNoise(), noiseRandom);
                    t = Targets.of(b, student.inputStates(b), teacherLayers, hidden, threads);
                } else {
                    t = targets.get(i);
                }
                double loss = step(layers, t, options, hidden, threads);
                if (!Double.isFinite(loss)) {
                    throw new IllegalStateException("distillation diverged: loss " + loss + " at step "
                            + (adam.steps() + 1) + " of " + total + " (epoch " + (epoch + 1) + "); try a lower"
                            + " learningRate than " + options.learningRate() + ". The student was left as it was.");
                }
                sum += loss;
                adam.step(parameters, rate(options, adam.steps(), total));
                p.advance(1);
            }
            last = sum / batches.size();
            if (epoch == 0) {
                first = last;
            }
        }
        for (int l = 0; l < depth; l++) {
            layers.get(l).writeTo(student.layers().get(l));
        }
        return new Report(adam.steps(), first, last, (System.nanoTime() - start) / 1e9);
    }

    /** Forward with tapes, loss, backward: fills every parameter's gradient; returns the loss. */
    static double step(List<TrainableLayer> layers, Targets t, Options options, int hidden, int threads) {
        int depth = layers.size();
        LayerTape[] tapes = new LayerTape[depth];
        List<float[]> outputs = new ArrayList<>(depth);
        List<float[]> gradients = new ArrayList<>(depth);
        float[] h = t.input;
        for (int l = 0; l < depth; l++) {
            tapes[l] = new LayerTape();
            h = layers.get(l).forward(h, t.lengths, t.offsets, tapes[l], threads);
            outputs.add(h);
            gradients.add(new float[h.length]);
        }
        double loss = DistillationLoss.compute(outputs, t.states, t.embeddings, t.lengths, t.offsets, hidden,
                options.hiddenWeight(), options.embeddingWeight(), gradients);
        float[] carry = null;
        for (int l = depth - 1; l >= 0; l--) {
            float[] dy = gradients.get(l);
            if (carry != null) {
                for (int i = 0; i < dy.length; i++) {
                    dy[i] += carry[i];
                }
            }
            carry = layers.get(l).backward(tapes[l], dy, t.lengths, t.offsets, l > 0, threads);
            tapes[l] = null;
        }
        return loss;
    }

    /** Linear warm-up to the peak over the warm-up share of the steps, then linear decay to zero at the end. */
    static double rate(Options o, int done, int total) {
        int warm = (int) Math.round(o.warmup() * total);
        if (done < warm) {
            return o.learningRate() * (done + 1) / warm;
        }
        return o.learningRate() * Math.max(0.0, (double) (total - done) / Math.max(1, total - warm));
    }

    private static List<TrainableLayer> trainable(BertEncoder encoder) {
        List<TrainableLayer> layers = new ArrayList<>();
        List<BertLayer> source = encoder.layers();
        for (int l = 0; l < source.size(); l++) {
            layers.add(TrainableLayer.of(source.get(l), l));
        }
        return layers;
    }

    private static int[] shuffled(int n, Random r) {
        int[] a = new int[n];
        for (int i = 0; i < n; i++) {
            a[i] = i;
        }
        for (int i = n - 1; i > 0; i--) {
            int j = r.nextInt(i + 1);
            int x = a[i];
            a[i] = a[j];
            a[j] = x;
        }
        return a;
    }

    /** One batch: its packed input states, the teacher's states after every layer and its sentence embeddings. */
    static final class Targets {
        final int[] lengths;
        final int[] offsets;
        final float[] input;
        final List<float[]> states;
        final float[] embeddings;

        private Targets(int[] lengths, int[] offsets, float[] input, List<float[]> states, float[] embeddings) {
            this.lengths = lengths;
            this.offsets = offsets;
            this.input = input;
            this.states = states;
            this.embeddings = embeddings;
        }

        static Targets of(TokenBatch batch, float[] input, List<TrainableLayer> teacher, int hidden, int threads) {
            int[] lengths = batch.lengths();
            int[] offsets = new int[lengths.length];
            for (int b = 1; b < lengths.length; b++) {
                offsets[b] = offsets[b - 1] + lengths[b - 1];
            }
            List<float[]> states = new ArrayList<>();
            float[] h = input;
            for (TrainableLayer l : teacher) {
                h = l.forward(h, lengths, offsets, null, threads);
                states.add(h);
            }
            float[] embeddings = Pooling.meanPool(h, lengths, hidden);
            Pooling.normalizeRows(embeddings, hidden);
            return new Targets(lengths, offsets, input, states, embeddings);
        }
    }
}
