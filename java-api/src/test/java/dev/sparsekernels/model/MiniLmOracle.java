package dev.sparsekernels.model;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.sparsekernels.DType;
import dev.sparsekernels.Kernels;
import dev.sparsekernels.Tensor;
import dev.sparsekernels.model.text.TokenBatch;
import dev.sparsekernels.model.text.WordPieceTokenizer;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The MiniLM oracle's sentences, batches and comparison, with no reference to ONNX Runtime or langchain4j: GPU hosts
 * run it against a {@link MiniLmOracleFolder} with neither on their class path (a class that names them could fail
 * there as soon as it is verified).
 */
final class MiniLmOracle {
    private MiniLmOracle() {
    }

    /** The bar from issue 7: every sentence, dense weights, F32. */
    static final double MIN_COSINE = 0.9999;

    static final List<String> SENTENCES = sentences();

    private static List<String> sentences() {
        List<String> s = new ArrayList<>(List.of(
                "Hi!",
                "The quick brown fox jumps over the lazy dog.",
                "Is it going to rain in Paris tomorrow, or will the sun finally come out after 3 weeks?",
                "Naïve café owners in Zürich serve crème brûlée — and it's délicieux.",
                "中文 and English mixed, with a smiley 😀 at the end.",
                "$100 + 20% = $120 (roughly), see https://example.org/prices?id=42.",
                "ALL CAPS HEADLINE: MARKETS FALL 3.5% AFTER SURPRISE RATE HIKE",
                "Antidisestablishmentarianism and pneumonoultramicroscopicsilicovolcanoconiosis are long words.",
                "A sentence with [MASK] and [SEP] inside it.",
                "tabs\tand\nnewlines and   many    spaces",
                String.join(" ", java.util.Collections.nCopies(60, "A very long document keeps going."))));
        List<String> heldout = SentenceCorpus.heldout();
        for (int i = 0; i < heldout.size(); i += 35) { // 20 corpus sentences of all lengths and topics
            s.add(heldout.get(i));
        }
        return s;
    }


    /** Batches of 1, 3, 7, 12 and the rest: short and long sentences share batches, so padding varies. */
    static List<List<String>> batches() {
        int[] sizes = {1, 3, 7, 12};
        List<List<String>> out = new ArrayList<>();
        int at = 0;
        for (int size : sizes) {
            out.add(SENTENCES.subList(at, at + size));
            at += size;
        }
        out.add(SENTENCES.subList(at, SENTENCES.size()));
        return out;
    }

    static double cosine(float[] a, int offset, float[] b) {
        double dot = 0;
        double na = 0;
        double nb = 0;
        for (int i = 0; i < b.length; i++) {
            dot += (double) a[offset + i] * b[i];
            na += (double) a[offset + i] * a[offset + i];
            nb += (double) b[i] * b[i];
        }
        return dot / Math.sqrt(na * nb);
    }


    /**
     * Cosine with the reference of every sentence, run through our encoder in the padded {@link #batches()}; the
     * model and the reference from the jar and ONNX Runtime, or from a {@link MiniLmOracleFolder}.
     */
    static double[] cosines(Kernels kernels, DType dtype, BertWeights weights, WordPieceTokenizer tokenizer,
                            List<float[]> reference) {
        double[] cos = new double[SENTENCES.size()];
        int at = 0;
        try (BertEncoder enc = BertEncoder.create(kernels, weights).activations(dtype)) {
            if (dtype != DType.F32) {
                halfWeights(enc, dtype);
            }
            for (List<String> batch : batches()) {
                TokenBatch ids = tokenizer.encode(batch);
                try (Tensor e = enc.embed(ids)) {
                    float[] v = e.toFloatArray();
                    assertEquals(batch.size() * 384, v.length);
                    for (int i = 0; i < batch.size(); i++, at++) {
                        cos[at] = cosine(v, i * 384, reference.get(at));
                    }
                }
            }
        }
        return cos;
    }

    /** Rounds every linear weight to dtype, as the CUDA backend does before its GEMMs. */
    static void halfWeights(BertEncoder enc, DType dtype) {
        for (BertLayer layer : enc.layers()) {
            for (LinearSlot slot : LinearSlot.values()) {
                DenseLinear d = (DenseLinear) layer.linear(slot);
                layer.replaceLinear(slot, new DenseLinear(d.weight().to(dtype), d.bias().reshape(d.outFeatures())))
                        .close();
            }
        }
    }

    static String summary(double[] cos) {
        double min = 1;
        double sum = 0;
        for (double c : cos) {
            min = Math.min(min, c);
            sum += c;
        }
        return String.format(Locale.ROOT, "%d sentences: min cosine %.9f (1 - min = %.1e), mean %.9f", cos.length,
                min, 1 - min, sum / cos.length);
    }
}
