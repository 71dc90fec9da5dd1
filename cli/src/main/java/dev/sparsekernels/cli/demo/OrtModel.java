package dev.sparsekernels.cli.demo;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.sparsekernels.model.Pooling;
import dev.sparsekernels.model.prune.SentenceBatches;
import dev.sparsekernels.model.text.TokenBatch;
import java.util.Map;

/**
 * The dense baseline: the same ONNX file in ONNX Runtime (CPU, {@code threads} intra-op threads, default graph
 * optimisations), fed our token ids, with the sentence-transformers head (mean over real tokens, L2 normalisation)
 * done here as our encoder does it, so both sides do the same work.
 */
final class OrtModel implements AutoCloseable {
    private final OrtEnvironment env;
    private final OrtSession session;
    private final int threads;

    OrtModel(byte[] onnx, int threads) throws OrtException {
        this.env = OrtEnvironment.getEnvironment();
        this.threads = threads;
        try (OrtSession.SessionOptions opts = new OrtSession.SessionOptions()) {
            opts.setIntraOpNumThreads(threads);
            opts.setInterOpNumThreads(1);
            this.session = env.createSession(onnx, opts);
        }
    }

    String describe() {
        return "ONNX Runtime " + env.getVersion() + " (CPU, " + threads + " intra-op threads, default graph"
                + " optimisations)";
    }

    /** Sentence embeddings [batch, hidden] of one padded batch. */
    float[] embed(TokenBatch batch) throws OrtException {
        int b = batch.size();
        int seq = batch.sequenceLength();
        long[][] ids = new long[b][seq];
        long[][] mask = new long[b][seq];
        long[][] types = new long[b][seq];
        int[] padded = batch.paddedIds();
        int[] m = batch.attentionMask();
        for (int i = 0; i < b; i++) {
            for (int t = 0; t < seq; t++) {
                ids[i][t] = padded[i * seq + t];
                mask[i][t] = m[i * seq + t];
            }
        }
        try (OnnxTensor a = OnnxTensor.createTensor(env, ids);
                OnnxTensor am = OnnxTensor.createTensor(env, mask);
                OnnxTensor ty = OnnxTensor.createTensor(env, types);
                OrtSession.Result r = session.run(Map.of("input_ids", a, "attention_mask", am, "token_type_ids", ty))) {
            float[][][] states = (float[][][]) r.get(0).getValue();
            int hidden = states[0][0].length;
            int[] lengths = batch.lengths();
            int tokens = 0;
            for (int len : lengths) {
                tokens += len;
            }
            float[] packed = new float[tokens * hidden];
            int row = 0;
            for (int i = 0; i < b; i++) {
                for (int t = 0; t < lengths[i]; t++, row++) {
                    System.arraycopy(states[i][t], 0, packed, row * hidden, hidden);
                }
            }
            float[] pooled = Pooling.meanPool(packed, lengths, hidden);
            Pooling.normalizeRows(pooled, hidden);
            return pooled;
        }
    }

    /** Embeddings [size, hidden] of all sentences, in the order they were given. */
    float[] embed(SentenceBatches sentences, int hidden) throws OrtException {
        float[] all = new float[sentences.size() * hidden];
        int row = 0;
        for (TokenBatch batch : sentences.batches()) {
            float[] e = embed(batch);
            System.arraycopy(e, 0, all, row * hidden, e.length);
            row += batch.size();
        }
        return sentences.inSentenceOrder(all, hidden);
    }

    @Override
    public void close() throws OrtException {
        session.close();
    }
}
