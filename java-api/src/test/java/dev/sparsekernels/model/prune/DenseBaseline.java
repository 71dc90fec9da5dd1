package dev.sparsekernels.model.prune;

import static dev.sparsekernels.model.LinearSlot.ATTENTION_OUTPUT;
import static dev.sparsekernels.model.LinearSlot.OUTPUT;

import dev.sparsekernels.Kernels;
import dev.sparsekernels.model.BertEncoder;
import dev.sparsekernels.model.MiniLmL6V2;
import dev.sparsekernels.model.SentenceCorpus;
import dev.sparsekernels.model.text.WordPieceTokenizer;
import java.util.EnumSet;
import java.util.List;

/**
 * What the pruning explorations compare against: all-MiniLM-L6-v2 from the test class path, its embeddings of the
 * calibration and held-out sentences, and the calibration statistics (with W2's and O's input covariances) that OBS
 * prunes on. Built once per exploration.
 */
record DenseBaseline(SentenceBatches calibration, SentenceBatches heldout, float[] calibrationEmbeddings,
        float[] heldoutEmbeddings, CalibrationStatistics stats) {

    static DenseBaseline of(Kernels kernels, List<String> calibrationText, int threads) throws Exception {
        ClassLoader loader = DenseBaseline.class.getClassLoader();
        WordPieceTokenizer tokenizer = MiniLmL6V2.tokenizer(loader);
        SentenceBatches calibration = SentenceBatches.of(tokenizer, calibrationText, 64);
        SentenceBatches heldout = SentenceBatches.of(tokenizer, SentenceCorpus.heldout(), 64);
        try (BertEncoder enc = BertEncoder.create(kernels, MiniLmL6V2.weights(loader))) {
            return new DenseBaseline(calibration, heldout, calibration.embed(enc), heldout.embed(enc),
                    CalibrationStatistics.collect(enc, calibration, threads, EnumSet.of(OUTPUT, ATTENTION_OUTPUT),
                            Progress.NONE));
        }
    }

    /** A fresh dense copy of the model, to prune. */
    static BertEncoder encoder(Kernels kernels) throws Exception {
        return BertEncoder.create(kernels, MiniLmL6V2.weights(DenseBaseline.class.getClassLoader()));
    }

    /** The encoder's embeddings against the dense model's, on the calibration and on the held-out sentences. */
    EmbeddingQuality[] quality(BertEncoder encoder) {
        return new EmbeddingQuality[] {
            EmbeddingQuality.compare(calibrationEmbeddings, calibration.embed(encoder), 384),
            EmbeddingQuality.compare(heldoutEmbeddings, heldout.embed(encoder), 384)};
    }
}
