package dev.sparsekernels.model;

import dev.sparsekernels.AttentionMask;
import dev.sparsekernels.DType;
import dev.sparsekernels.Kernels;
import dev.sparsekernels.Tensor;
import dev.sparsekernels.model.text.TokenBatch;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;

/**
 * A BERT encoder run on our kernels: embeddings, then each {@link BertLayer} (linears through
 * {@link Kernels#linear}, fused attention through {@link Kernels#attention} with key lengths masking the padding),
 * then, for sentence embeddings, mean pooling over the real tokens and L2 normalisation (the sentence-transformers
 * head of all-MiniLM-L6-v2).
 *
 * <p>Padding costs no linear work: states are kept packed (real tokens only) and scattered to the padded
 * [batch, heads, length, headDim] layout just for attention. Activations go to the kernels as {@code F32} on the CPU
 * and {@code F16} on CUDA (whose kernels take half inputs), each kernel returning F32; LayerNorm, GELU, residuals and
 * pooling are plain Java on F32.
 *
 * <p>The encoder owns the weights it was built from and its layers; it does not own the {@link Kernels}.
 */
public final class BertEncoder implements AutoCloseable {
    private final BertConfig config;
    private final Kernels kernels;
    private final BertEmbeddings embeddings;
    private final List<BertLayer> layers;
    private DType activations;

    private BertEncoder(BertConfig config, Kernels kernels, BertEmbeddings embeddings, List<BertLayer> layers) {
        this.config = config;
        this.kernels = kernels;
        this.embeddings = embeddings;
        this.layers = Collections.unmodifiableList(layers);
        this.activations = kernels.device().isCuda() ? DType.F16 : DType.F32;
    }

    /**
     * An encoder with dense linears over the given weights, which it takes over (close the encoder, not the weights).
     */
    public static BertEncoder create(Kernels kernels, BertWeights weights) {
        if (kernels == null || weights == null) {
            throw new IllegalArgumentException("kernels, weights: expected both but got "
                    + (kernels == null ? "no kernels" : "no weights"));
        }
        BertConfig c = weights.config();
        BertWeights.check(c, weights.tensors());
        BertEmbeddings embeddings = new BertEmbeddings(weights.tensor("embeddings.word_embeddings.weight"),
                weights.tensor("embeddings.position_embeddings.weight"),
                weights.tensor("embeddings.token_type_embeddings.weight"),
                norm(weights, "embeddings.LayerNorm", c));
        List<BertLayer> layers = new ArrayList<>();
        for (int i = 0; i < c.layers(); i++) {
            layers.add(new BertLayer(c.hidden(), c.headDim(),
                    dense(weights, i, LinearSlot.QUERY), dense(weights, i, LinearSlot.KEY),
                    dense(weights, i, LinearSlot.VALUE), dense(weights, i, LinearSlot.ATTENTION_OUTPUT),
                    norm(weights, BertWeights.layer(i, BertWeights.ATTENTION_NORM), c),
                    dense(weights, i, LinearSlot.INTERMEDIATE), dense(weights, i, LinearSlot.OUTPUT),
                    norm(weights, BertWeights.layer(i, BertWeights.OUTPUT_NORM), c)));
        }
        return new BertEncoder(c, kernels, embeddings, layers);
    }

    public BertConfig config() {
        return config;
    }

    public Kernels kernels() {
        return kernels;
    }

    /** The layers, each with replaceable linears (the list itself is fixed). */
    public List<BertLayer> layers() {
        return layers;
    }

    /** The dtype activations are handed to the kernels in. */
    public DType activations() {
        return activations;
    }

    /**
     * Sets the dtype activations are handed to the kernels in: F32, F16 or BF16 on the CPU (computed in F32 either
     * way, so F16 here shows the rounding a GPU run sees), F16 or BF16 on CUDA.
     */
    public BertEncoder activations(DType dtype) {
        if (dtype == null) {
            throw new IllegalArgumentException("activations: expected f32, f16 or bf16 but got null");
        }
        if (kernels.device().isCuda() && dtype == DType.F32) {
            throw new IllegalArgumentException("activations: the CUDA kernels take f16 or bf16 but got f32");
        }
        this.activations = dtype;
        return this;
    }

    /** Sentence embeddings: F32 [batch, hidden], mean over real tokens, unit L2 norm. */
    public Tensor embed(TokenBatch batch) {
        return embed(batch, ActivationObserver.NONE);
    }

    /**
     * Sentence embeddings as {@link #embed(TokenBatch)}, showing the observer the input of every linear on the way
     * (calibration).
     */
    public Tensor embed(TokenBatch batch, ActivationObserver observer) {
        if (observer == null) {
            throw new IllegalArgumentException("observer: expected an observer (or ActivationObserver.NONE) but got"
                    + " null");
        }
        PackedSequences packed = packed(batch);
        float[] pooled;
        try (ScratchArrays scope = ScratchArrays.open()) {
            float[] states = run(batch, packed, observer);
            pooled = Pooling.meanPool(states, packed.lengths(), config.hidden());
            ScratchArrays.giveBack(states);
        }
        Pooling.normalizeRows(pooled, config.hidden());
        return Tensor.of(pooled, batch.size(), config.hidden());
    }

    /** Token states after the last layer: F32 [batch, sequenceLength, hidden], zeros at padded positions. */
    public Tensor lastHiddenState(TokenBatch batch) {
        PackedSequences packed = packed(batch);
        int seq = batch.sequenceLength();
        int h = config.hidden();
        float[] out = new float[batch.size() * seq * h];
        try (ScratchArrays scope = ScratchArrays.open()) {
            float[] states = run(batch, packed, ActivationObserver.NONE);
            for (int b = 0; b < batch.size(); b++) {
                System.arraycopy(states, packed.offset(b) * h, out, b * seq * h, packed.length(b) * h);
            }
            ScratchArrays.giveBack(states);
        }
        return Tensor.of(out, batch.size(), seq, h);
    }

    /**
     * The first layer's input for a batch: embeddings after their LayerNorm, packed (real tokens only, sequence after
     * sequence) as F32 [sum of lengths, hidden]. For tools that run the layers themselves, such as distillation.
     */
    public float[] inputStates(TokenBatch batch) {
        PackedSequences packed = packed(batch);
        return embeddings.embed(batch.paddedIds(), batch.sequenceLength(), packed);
    }

    /**
     * The last layer's packed states; the layers recycle their activation arrays among themselves meanwhile. On the
     * CPU path with two or more threads and no observer, the sequences are split into one group per thread and each
     * group runs through every layer on its own thread ({@link #runGroups}). Called inside a {@link ScratchArrays}
     * scope, the returned array is one of its arrays: give it back once read.
     */
    private float[] run(TokenBatch batch, PackedSequences packed, ActivationObserver observer) {
        int threads = CpuPath.threads(kernels, activations);
        if (observer == ActivationObserver.NONE && threads > 1 && batch.size() > 1) {
            return runGroups(batch, packed, threads);
        }
        return runLayers(batch.paddedIds(), batch.sequenceLength(), packed, observer, null, 0);
    }

    /**
     * Embeddings and every layer in one scratch scope. With {@code dest}, the last states are copied into it from
     * row {@code destRow} on and their array goes back to the scope, so a thread's passes reuse all their arrays:
     * fresh arrays cost page faults on our VMs (about 14 µs per 4 KiB page; 3,085 faults and 12% of a 32 x 128 batch
     * when the embeddings and the gathered states were new in every pass, docs/reliability.md "Fresh memory").
     */
    private float[] runLayers(int[] paddedIds, int sequenceLength, PackedSequences packed,
            ActivationObserver observer, float[] dest, int destRow) {
        AttentionMask mask = AttentionMask.builder().keyLengths(packed.lengths()).build();
        try (ScratchArrays scope = ScratchArrays.open()) {
            float[] h = embeddings.embed(paddedIds, sequenceLength, packed);
            for (int i = 0; i < layers.size(); i++) {
                h = layers.get(i).forward(kernels, activations, h, packed, mask, i, observer);
            }
            if (dest == null) {
                return h;
            }
            System.arraycopy(h, 0, dest, destRow * config.hidden(), packed.tokenCount() * config.hidden());
            ScratchArrays.giveBack(h);
            return dest;
        }
    }

    /**
     * Sequences are independent through the whole encoder, so a batch can be cut into groups of whole sequences (as
     * many as threads, about equal in tokens) that each run every layer on one thread of the kernels' pool. The
     * kernels called inside a group find the pool busy and run on that thread alone (CpuThreads). Against one
     * parallel call per operation (about 60 per forward pass, each ending in a wait for the slower thread), with each
     * thread's activations in its own core's caches: 316-346 against 343-372 ms per batch of 32 x 128 on 2 threads
     * (session 15, alternating in one process). Results differ from the undivided batch only by the summation order
     * of rows that change between the GEMMs' 6-row blocks and their remainder rows.
     */
    private float[] runGroups(TokenBatch batch, PackedSequences packed, int threads) {
        int[] first = groupStarts(packed, Math.min(threads, batch.size()));
        int groups = first.length - 1;
        int hidden = config.hidden();
        int seq = batch.sequenceLength();
        int[] ids = batch.paddedIds();
        float[] out = ScratchArrays.take(Math.multiplyExact(packed.tokenCount(), hidden)); // groups fill every row
        dev.sparsekernels.cpu.Activations.parallelFor(threads, groups, g -> {
            int b0 = first[g];
            int b1 = first[g + 1];
            PackedSequences part = new PackedSequences(Arrays.copyOfRange(packed.lengths(), b0, b1));
            runLayers(Arrays.copyOfRange(ids, b0 * seq, b1 * seq), seq, part, ActivationObserver.NONE, out,
                    packed.offset(b0));
        });
        return out;
    }

    /**
     * Cuts sequences [0, batch) into at most {@code groups} runs of about equal token counts: group g is sequences
     * [starts[g], starts[g + 1]), none empty.
     */
    static int[] groupStarts(PackedSequences packed, int groups) {
        int n = packed.batch();
        int[] starts = new int[groups + 1];
        int g = 1;
        long seen = 0;
        for (int b = 0; b < n && g < groups; b++) {
            seen += packed.length(b);
            // close group g-1 after sequence b once it holds its share, leaving a sequence for each group after it
            if (seen * groups >= (long) g * packed.tokenCount() && n - (b + 1) >= groups - g) {
                starts[g++] = b + 1;
            }
        }
        starts[g] = n;
        return Arrays.copyOf(starts, g + 1);
    }

    /**
     * Parameters the model stores and computes with: embedding tables and LayerNorms plus every linear's
     * {@link LinearLayer#parameterCount()} as the layers are now (pruned layers count what they keep).
     */
    public long parameterCount() {
        long n = embeddings.parameterCount();
        for (BertLayer l : layers) {
            n += l.parameterCount();
        }
        return n;
    }

    private PackedSequences packed(TokenBatch batch) {
        if (batch == null) {
            throw new IllegalArgumentException("batch: expected token ids but got null");
        }
        if (batch.sequenceLength() > embeddings.maxPositions()) {
            throw new IllegalArgumentException("batch: sequences of " + batch.sequenceLength()
                    + " tokens exceed the model's " + embeddings.maxPositions() + " positions");
        }
        checkSizes(config, batch);
        return new PackedSequences(batch.lengths());
    }

    /**
     * The widest arrays a call holds are indexed with int: the real tokens by the widest linear (the FFN's or the
     * fused Q, K and V), and the padded batch by hidden (attention's inputs, lastHiddenState). Refused by name rather
     * than failing deep inside with a negative array size (a robustness sweep, session 18).
     */
    static void checkSizes(BertConfig config, TokenBatch batch) {
        long tokens = 0;
        for (int b = 0; b < batch.size(); b++) {
            tokens += batch.length(b);
        }
        long widest = Math.max(config.intermediate(), 3L * config.hidden());
        long padded = (long) batch.size() * batch.sequenceLength();
        if (tokens * widest > Integer.MAX_VALUE || padded * config.hidden() > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("batch: " + batch.size() + " sequences of up to "
                    + batch.sequenceLength() + " tokens (" + tokens + " in all) need arrays of more than 2^31-1"
                    + " elements (" + tokens + " x " + widest + ", " + padded + " x " + config.hidden()
                    + "); embed it in smaller batches");
        }
    }

    private static DenseLinear dense(BertWeights w, int layer, LinearSlot slot) {
        return new DenseLinear(w.tensor(BertWeights.layer(layer, slot.module() + ".weight")),
                w.tensor(BertWeights.layer(layer, slot.module() + ".bias")));
    }

    /** LayerNorm parameters are copied to arrays, so their tensors are closed here; the rest is owned by parts. */
    private static LayerNorm norm(BertWeights w, String prefix, BertConfig c) {
        Tensor gamma = w.tensor(prefix + ".weight");
        Tensor beta = w.tensor(prefix + ".bias");
        LayerNorm norm = new LayerNorm(gamma.toFloatArray(), beta.toFloatArray(), c.layerNormEps());
        gamma.close();
        beta.close();
        return norm;
    }

    @Override
    public void close() {
        embeddings.close();
        layers.forEach(BertLayer::close);
    }
}
