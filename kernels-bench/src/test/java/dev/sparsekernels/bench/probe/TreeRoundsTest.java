package dev.sparsekernels.bench.probe;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class TreeRoundsTest {
    @Test
    void everyBuildRunsOncePerRoundInOrderAfterTwoWarmUpRounds() throws Exception {
        List<Integer> calls = new ArrayList<>();
        long[] now = {0};
        double[][] ms = TreeRounds.time(3, 4, () -> now[0], build -> {
            calls.add(build);
            now[0] += 1_000_000L * (build + 1); // build i takes i + 1 ms on this clock
        });
        assertEquals(6 * 3, calls.size());
        for (int i = 0; i < calls.size(); i++) {
            assertEquals(i % 3, calls.get(i), "call " + i);
        }
        for (int b = 0; b < 3; b++) {
            assertArrayEquals(new double[] {b + 1, b + 1, b + 1, b + 1}, ms[b], 1e-9, "build " + b);
        }
    }

    @Test
    void summaryReportsBestMedianAndTheMedianPerRoundRatio() {
        double[][] ms = {{10, 30, 20}, {10, 10, 5}};
        String s = TreeRounds.summary(ms);
        assertTrue(s.contains("build 0 best 10.0 median 20.0 ms"), s);
        assertTrue(s.contains("build 1 best 5.0 median 10.0 ms"), s);
        // per-round ratios 1, 3, 4: their median is 3 (the ratio of the medians would be 2)
        assertTrue(s.endsWith("per round: build 0 / build 1 3.00x"), s);
    }

    @Test
    void maxDifferenceIsTheLargestAbsoluteGap() {
        assertEquals(0.5, TreeRounds.maxDifference(new float[] {1, 2, 3}, new float[] {1, 2.5f, 2.75f}), 1e-9);
        assertEquals(0.0, TreeRounds.maxDifference(new float[] {1}, new float[] {1}));
    }
}
