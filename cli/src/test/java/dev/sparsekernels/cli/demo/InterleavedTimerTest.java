package dev.sparsekernels.cli.demo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Assumptions;
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
    void pairedSpeedupComparesEachContestantRunWithTheBaselineRunJustBeforeIt() {
        // Two contestants, three rounds; the machine runs everything 3x slower in round 1. Contestant 0 is always 2x
        // the baseline's speed, contestant 1 always 0.5x: the pairs say so exactly, while the plain medians (taken
        // over different rounds for the baseline, 6 runs, and the contestant, 3) would not.
        double[] baseline = {1, 1, 3, 3, 1, 1};
        double[] fast = {0.5, 1.5, 0.5};
        double[] slow = {2, 6, 2};
        assertEquals(2.0, InterleavedTimer.pairedSpeedup(baseline, fast, 2, 0), 1e-12);
        assertEquals(0.5, InterleavedTimer.pairedSpeedup(baseline, slow, 2, 1), 1e-12);
        // the pairing is by position: contestant 1's pairs are baseline runs 1, 3 and 5
        double[] odd = {1, 4, 1, 8, 1, 2};
        assertEquals(0.5, InterleavedTimer.pairedSpeedup(odd, new double[] {8, 8, 8}, 2, 1), 1e-12);
    }

    static volatile Object sink;

    @Test
    void reportsWhatTheMostAllocatingContestantAllocatedPerRun() throws Exception {
        Assumptions.assumeTrue(AllocationMeter.available(), "the JVM does not count allocated bytes");
        InterleavedTimer t = new InterleavedTimer(() -> sink = new byte[64 << 20],
                List.of(() -> sink = new byte[1 << 10], () -> sink = new byte[32 << 20]), 3);
        t.measure(done -> { });
        long bytes = t.maxMedianAllocatedBytes();
        // the baseline's 64 MiB are not counted: only contestants, and the 32 MiB one is the larger
        assertTrue(bytes >= 32 << 20 && bytes < 48 << 20, "bytes " + bytes);
        assertTrue(t.medianAllocatedBytes(0) < 1 << 20, "contestant 0: " + t.medianAllocatedBytes(0));
        assertEquals(bytes, t.medianAllocatedBytes(1));
    }

    @Test
    void noRoundsIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> new InterleavedTimer(() -> { }, List.of(), 0));
    }
}
