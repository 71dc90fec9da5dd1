package dev.sparsekernels.cli.demo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class InterleavedTimerTest {
    @Test
    void runsWarmUpsThenBaselineContestantPairsInEveryRound() throws Exception {
        List<String> calls = new ArrayList<>();
        InterleavedTimer t = new InterleavedTimer(() -> calls.add("B"),
                List.of(() -> calls.add("1"), () -> calls.add("2")), 2);
        long[] progress = {0};
        t.measure(done -> progress[0] += done);
        assertEquals(List.of("B", "1", "2", "B", "1", "B", "2", "B", "1", "B", "2"), calls);
        assertEquals(t.runs(), progress[0]);
    }

    @Test
    void medianOfOddAndEvenCounts() {
        assertEquals(2.0, InterleavedTimer.median(new double[] {3, 1, 2}));
        assertEquals(2.5, InterleavedTimer.median(new double[] {4, 1, 2, 3}));
    }

    @Test
    void noRoundsIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> new InterleavedTimer(() -> { }, List.of(), 0));
    }
}
