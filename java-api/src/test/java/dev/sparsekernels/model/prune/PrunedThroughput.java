package dev.sparsekernels.model.prune;

import static dev.sparsekernels.model.LinearSlot.ATTENTION_OUTPUT;
import static dev.sparsekernels.model.LinearSlot.OUTPUT;

import dev.sparsekernels.Kernels;
import dev.sparsekernels.Tensor;
import dev.sparsekernels.model.BertEncoder;
import dev.sparsekernels.model.MiniLmL6V2;
import dev.sparsekernels.model.SentenceCorpus;
import dev.sparsekernels.model.text.TokenBatch;
import dev.sparsekernels.model.text.WordPieceTokenizer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;

/**
 * Not a test: whether a pruned MiniLM runs as much faster as the work it sheds. The dense model and OBS FFN-pruned
 * copies (one per argument: the channel multiple each layer's kept width is rounded to) embed batch 32 x 128 in
 * turn, in one process; prints best and median per model and the median of the per-round speedups over the dense
 * one. {@code -Dshare=0.15 -Druns=15}; 2 threads.
 */
public final class PrunedThroughput {
    private PrunedThroughput() {
    }

    public static void main(String[] args) throws Exception {
        int runs = Integer.getInteger("runs", 15);
        double share = Double.parseDouble(System.getProperty("share", "0.15"));
        ClassLoader loader = PrunedThroughput.class.getClassLoader();
        WordPieceTokenizer tokenizer = MiniLmL6V2.tokenizer(loader);
        SentenceBatches calibration = SentenceBatches.of(tokenizer, SentenceCorpus.calibration(), 64);
        List<String> texts = new ArrayList<>();
        List<String> heldout = SentenceCorpus.heldout();
        for (int i = 0; i < 32; i++) {
            StringBuilder b = new StringBuilder();
            for (int j = 0; b.length() < 1500; j++) {
                b.append(heldout.get((i * 13 + j) % heldout.size())).append(' ');
            }
            texts.add(b.toString());
        }
        TokenBatch batch = tokenizer.withMaxLength(128).encode(texts);
        try (Kernels kernels = Kernels.cpu(2)) {
            List<BertEncoder> encs = new ArrayList<>();
            List<String> names = new ArrayList<>();
            BertEncoder dense = BertEncoder.create(kernels, MiniLmL6V2.weights(loader));
            encs.add(dense);
            names.add("dense");
            CalibrationStatistics stats = CalibrationStatistics.collect(dense, calibration, 2,
                    EnumSet.of(OUTPUT, ATTENTION_OUTPUT), Progress.NONE);
            for (String a : args) {
                int multiple = Integer.parseInt(a);
                BertEncoder e = BertEncoder.create(kernels, MiniLmL6V2.weights(loader));
                new ObsChannelRemovalStep(share, 0, multiple, LeastSquaresRefit.DEFAULT_DAMPING, 2).apply(e, stats);
                encs.add(e);
                names.add("ffn-" + share + " x" + multiple + " width " + e.layers().get(0).intermediateWidth());
            }
            double[][] t = new double[encs.size()][runs];
            for (int r = -3; r < runs; r++) {
                for (int i = 0; i < encs.size(); i++) {
                    long t0 = System.nanoTime();
                    try (Tensor out = encs.get(i).embed(batch)) {
                        out.toFloatArray();
                    }
                    if (r >= 0) {
                        t[i][r] = (System.nanoTime() - t0) / 1e6;
                    }
                }
            }
            for (int i = 0; i < encs.size(); i++) {
                double[] s = t[i].clone();
                Arrays.sort(s);
                double[] ratio = new double[runs];
                for (int r = 0; r < runs; r++) {
                    ratio[r] = t[0][r] / t[i][r];
                }
                Arrays.sort(ratio);
                System.out.printf("%-28s best %.1f median %.1f ms, speedup over dense (median of pairs) %.3f%n",
                        names.get(i), s[0], s[runs / 2], ratio[runs / 2]);
            }
            for (BertEncoder e : encs) {
                e.close();
            }
        }
    }
}
