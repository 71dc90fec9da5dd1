package dev.sparsekernels.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The shipped corpus keeps its promises: sizes, disjoint splits, sentence lengths, the paraphrase block. */
class SentenceCorpusTest {

    @Test
    void splitsAreLargeEnoughAndDisjointWithoutDuplicates() {
        List<String> calibration = SentenceCorpus.calibration();
        List<String> heldout = SentenceCorpus.heldout();
        assertTrue(calibration.size() >= 400, "calibration has " + calibration.size());
        assertTrue(heldout.size() >= 600, "heldout has " + heldout.size());
        Set<String> all = new HashSet<>();
        for (String s : calibration) {
            assertTrue(all.add(s.toLowerCase()), "duplicate: " + s);
        }
        for (String s : heldout) {
            assertTrue(all.add(s.toLowerCase()), "duplicate or in both splits: " + s);
        }
        assertTrue(all.size() >= 1000);
    }

    @Test
    void everySentenceHasFiveToSixtyWordsAndEndsLikeASentence() {
        for (List<String> split : List.of(SentenceCorpus.calibration(), SentenceCorpus.heldout())) {
            for (String s : split) {
                int words = s.split("\\s+").length;
                assertTrue(words >= 5 && words <= 60, words + " words: " + s);
                assertTrue(s.matches(".*[.?!\"')]$"), "no final punctuation: " + s);
            }
        }
    }

    @Test
    void paraphrasePairsAreTheHeadOfTheHeldOutSet() {
        List<String[]> pairs = SentenceCorpus.paraphrasePairs();
        assertEquals(SentenceCorpus.PARAPHRASE_PAIRS, pairs.size());
        List<String> heldout = SentenceCorpus.heldout();
        for (int i = 0; i < pairs.size(); i++) {
            assertEquals(heldout.get(2 * i), pairs.get(i)[0]);
            assertEquals(heldout.get(2 * i + 1), pairs.get(i)[1]);
        }
    }
}
