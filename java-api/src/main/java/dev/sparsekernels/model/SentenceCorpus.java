package dev.sparsekernels.model;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * English sentences shipped with java-api for calibrating pruning (activation statistics) and for evaluating pruned
 * models on text they were not calibrated on. Written for this project (no outside source): varied topics, 5 to 60
 * words, questions, numbers, names and punctuation. One sentence per line in
 * {@code dev/sparsekernels/model/sentences/}; see the README there for how the files are laid out.
 */
public final class SentenceCorpus {
    /** Lines 1..2·PARAPHRASE_PAIRS of heldout.txt are pairs of near-paraphrases (lines 2k-1 and 2k). */
    public static final int PARAPHRASE_PAIRS = 100;

    private SentenceCorpus() {
    }

    /** Sentences for calibration (about 400). */
    public static List<String> calibration() {
        return read("calibration.txt");
    }

    /** Held-out sentences for evaluation (about 600), never used for calibration. */
    public static List<String> heldout() {
        return read("heldout.txt");
    }

    /** The paraphrase pairs at the head of the held-out set, as {first, second}. */
    public static List<String[]> paraphrasePairs() {
        List<String> h = heldout();
        List<String[]> pairs = new ArrayList<>();
        for (int i = 0; i < PARAPHRASE_PAIRS; i++) {
            pairs.add(new String[] {h.get(2 * i), h.get(2 * i + 1)});
        }
        return pairs;
    }

    private static List<String> read(String name) {
        try (InputStream in = SentenceCorpus.class.getResourceAsStream("sentences/" + name)) {
            if (in == null) {
                throw new IllegalStateException("sentences/" + name + " is missing from the java-api jar");
            }
            List<String> lines = new ArrayList<>();
            BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
            for (String line = r.readLine(); line != null; line = r.readLine()) {
                if (!line.isBlank()) {
                    lines.add(line.strip());
                }
            }
            return lines;
        } catch (IOException e) {
            throw new UncheckedIOException("reading sentences/" + name, e);
        }
    }
}
