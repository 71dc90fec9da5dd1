package dev.sparsekernels.model;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import dev.sparsekernels.Kernels;
import dev.sparsekernels.Tensor;
import dev.sparsekernels.model.text.TokenBatch;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * One side-by-side measurement, not a test: sentences per second of all-MiniLM-L6-v2 on our CPU kernels and in ONNX
 * Runtime, same machine, same thread count, batch 32 of 128 tokens (held-out sentences joined and truncated, so no
 * padding helps either side). Runs alternate ours/ORT to share the noise of a busy machine; prints each run and the
 * medians. Usage: {@code java ... dev.sparsekernels.model.MiniLmThroughput [threads] [runs]} (defaults 2 and 3).
 */
public final class MiniLmThroughput {
    private MiniLmThroughput() {
    }

    public static void main(String[] args) throws Exception {
        int threads = args.length > 0 ? Integer.parseInt(args[0]) : 2;
        int runs = args.length > 1 ? Integer.parseInt(args[1]) : 3;
        int batchSize = 32;
        List<String> texts = new ArrayList<>();
        List<String> heldout = SentenceCorpus.heldout();
        for (int i = 0; i < batchSize; i++) {
            StringBuilder b = new StringBuilder();
            for (int j = 0; b.length() < 1200; j++) {
                b.append(heldout.get((i * 13 + j) % heldout.size())).append(' ');
            }
            texts.add(b.toString());
        }
        TokenBatch batch = MiniLmFixture.tokenizer().encode(texts);
        if (batch.tokenCount() != batchSize * 128) {
            throw new IllegalStateException("expected every text truncated to 128 tokens: " + batch);
        }
        long[][] ids = new long[batchSize][128];
        long[][] mask = new long[batchSize][128];
        long[][] types = new long[batchSize][128];
        int[] padded = batch.paddedIds();
        for (int i = 0; i < batchSize; i++) {
            for (int t = 0; t < 128; t++) {
                ids[i][t] = padded[i * 128 + t];
                mask[i][t] = 1;
            }
        }
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try (Kernels kernels = Kernels.cpu(threads);
                BertEncoder enc = BertEncoder.create(kernels, MiniLmFixture.weights());
                OrtSession.SessionOptions opts = new OrtSession.SessionOptions()) {
            opts.setIntraOpNumThreads(threads);
            opts.setInterOpNumThreads(1);
            try (OrtSession session = env.createSession(MiniLmFixture.onnxBytes(), opts);
                    OnnxTensor a = OnnxTensor.createTensor(env, ids);
                    OnnxTensor m = OnnxTensor.createTensor(env, mask);
                    OnnxTensor ty = OnnxTensor.createTensor(env, types)) {
                Map<String, OnnxTensor> inputs = Map.of("input_ids", a, "attention_mask", m, "token_type_ids", ty);
                System.out.println("ours: " + kernels.describe());
                System.out.println("ORT " + ai.onnxruntime.OrtEnvironment.getEnvironment().getVersion() + ": "
                        + threads + " intra-op threads, default graph optimisations");
                double[] oursS = new double[runs];
                double[] ortS = new double[runs];
                for (int r = -1; r < runs; r++) { // run -1 warms both up
                    long t0 = System.nanoTime();
                    try (Tensor e = enc.embed(batch)) {
                        e.toFloatArray();
                    }
                    long t1 = System.nanoTime();
                    try (OrtSession.Result res = session.run(inputs)) {
                        res.get(0).getValue();
                    }
                    long t2 = System.nanoTime();
                    if (r >= 0) {
                        oursS[r] = (t1 - t0) / 1e9;
                        ortS[r] = (t2 - t1) / 1e9;
                    }
                    System.out.printf(Locale.ROOT, "%s ours %.2f s, ORT %.2f s%n", r < 0 ? "warm-up" : "run " + r,
                            (t1 - t0) / 1e9, (t2 - t1) / 1e9);
                }
                double ours = median(oursS);
                double ort = median(ortS);
                System.out.printf(Locale.ROOT, "batch %d x 128, %d threads, medians: ours %.1f sentences/s, ORT %.1f"
                        + " sentences/s (ours takes %.2fx ORT's time; ORT stops at token states, ours also pools)%n",
                        batchSize, threads, batchSize / ours, batchSize / ort, ours / ort);
            }
        }
    }

    private static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }
}
