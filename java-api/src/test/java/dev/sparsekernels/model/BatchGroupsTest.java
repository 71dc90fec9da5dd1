package dev.sparsekernels.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sparsekernels.Kernels;
import dev.sparsekernels.Tensor;
import dev.sparsekernels.model.text.TokenBatch;
import java.util.Arrays;
import java.util.Map;
import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;
import org.junit.jupiter.api.Test;

/**
 * The encoder's batch split ({@code BertEncoder.runGroups}): with several CPU threads a batch runs as groups of whole
 * sequences, one per thread, which must give what one undivided run gives.
 */
class BatchGroupsTest {
    @Property(tries = 300)
    void groupsAreRunsOfWholeSequencesCoveringTheBatchAndNoneIsEmpty(
            @ForAll @Size(min = 1, max = 40) java.util.List<@IntRange(min = 1, max = 300) Integer> lengths,
            @ForAll @IntRange(min = 1, max = 8) int threads) {
        PackedSequences packed = new PackedSequences(lengths.stream().mapToInt(Integer::intValue).toArray());
        int groups = Math.min(threads, lengths.size());
        int[] starts = BertEncoder.groupStarts(packed, groups);
        assertEquals(0, starts[0]);
        assertEquals(lengths.size(), starts[starts.length - 1]);
        assertTrue(starts.length - 1 <= groups, "at most one group per thread");
        for (int g = 0; g + 1 < starts.length; g++) {
            assertTrue(starts[g + 1] > starts[g], "group " + g + " is empty: " + Arrays.toString(starts));
        }
    }

    @Test
    void equalLengthsSplitIntoEqualHalves() {
        int[] lengths = new int[32];
        Arrays.fill(lengths, 128);
        int[] starts = BertEncoder.groupStarts(new PackedSequences(lengths), 2);
        assertEquals("[0, 16, 32]", Arrays.toString(starts));
    }

    @Test
    void oneLongSequenceGetsAGroupOfItsOwn() {
        int[] starts = BertEncoder.groupStarts(new PackedSequences(new int[] {300, 5, 5, 5, 5}), 2);
        assertEquals("[0, 1, 5]", Arrays.toString(starts));
    }

    @Test
    void groupedRunOnTwoThreadsEqualsTheUndividedRunOnOne() {
        BertConfig c = TinyBert.CONFIG;
        Map<String, float[]> params = TinyBert.parameters(c, 11);
        Random r = new Random(3);
        int[][] rows = new int[7][];
        for (int b = 0; b < rows.length; b++) {
            rows[b] = new int[1 + r.nextInt(c.maxPositions() - 1)]; // odd lengths, batch 7 over 2 and 3 threads
            for (int t = 0; t < rows[b].length; t++) {
                rows[b][t] = 1 + r.nextInt(c.vocabularySize() - 1);
            }
        }
        TokenBatch batch = TokenBatch.pad(rows, 0);
        float[] expected;
        float[] expectedStates;
        try (Kernels one = Kernels.cpu(1); BertEncoder e = BertEncoder.create(one, TinyBert.weights(c, params));
                Tensor emb = e.embed(batch); Tensor states = e.lastHiddenState(batch)) {
            expected = emb.toFloatArray();
            expectedStates = states.toFloatArray();
        }
        for (int threads : new int[] {2, 3}) {
            try (Kernels k = Kernels.cpu(threads); BertEncoder e = BertEncoder.create(k, TinyBert.weights(c, params));
                    Tensor emb = e.embed(batch); Tensor states = e.lastHiddenState(batch)) {
                assertClose(expected, emb.toFloatArray(), threads + " threads, embeddings");
                assertClose(expectedStates, states.toFloatArray(), threads + " threads, token states");
            }
        }
    }

    /** Summation order may differ (rows move between the GEMMs' 6-row blocks and remainders): 1e-5 relative. */
    private static void assertClose(float[] expected, float[] actual, String what) {
        assertEquals(expected.length, actual.length, what + ": length");
        for (int i = 0; i < expected.length; i++) {
            assertEquals(expected[i], actual[i], 1e-5f * Math.max(1f, Math.abs(expected[i])), what + ": element " + i);
        }
    }
}
