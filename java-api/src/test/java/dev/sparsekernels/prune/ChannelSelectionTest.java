package dev.sparsekernels.prune;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

class ChannelSelectionTest {

    @Test
    void roundingGoesToTheNearestMultipleTiesUpAtLeastOne() {
        assertEquals(2048, ChannelSelection.roundKept(2048, 4096, 64));
        assertEquals(64, ChannelSelection.roundKept(95, 4096, 64)); // 95 nearer 64 than 128
        assertEquals(128, ChannelSelection.roundKept(96, 4096, 64)); // tie goes up
        assertEquals(64, ChannelSelection.roundKept(1, 4096, 64)); // at least one multiple
        assertEquals(96, ChannelSelection.roundKept(97, 100, 8)); // 96 vs 100 (all): 96 nearer
        assertEquals(100, ChannelSelection.roundKept(98, 100, 8)); // tie between 96 and 100: up
        assertEquals(100, ChannelSelection.roundKept(97, 100, 64)); // 64 vs 100: keep all
        assertEquals(6, ChannelSelection.roundKept(3, 6, 8)); // fewer units than one multiple: keep all
        assertEquals(7, ChannelSelection.roundKept(7, 10, 1));
        assertEquals(16, ChannelSelection.keptCount(32, KeepAmount.ratio(0.5), 8));
        assertEquals(8, ChannelSelection.keptCount(32, KeepAmount.ratio(0.01), 8));
        assertEquals(24, ChannelSelection.keptCount(32, KeepAmount.count(21), 8));
        assertEquals(1, ChannelSelection.keptCount(3, KeepAmount.ratio(0.1), 1));
        assertEquals(2, ChannelSelection.keptCount(3, KeepAmount.ratio(0.5), 1)); // 1.5 rounds half up
    }

    @Property(tries = 200)
    void roundedCountIsAMultipleOrEverything(@ForAll @IntRange(min = 1, max = 5000) int units,
            @ForAll @IntRange(min = 1, max = 5000) int requested, @ForAll @IntRange(min = 0, max = 3) int m) {
        int multiple = new int[] {1, 8, 16, 64}[m];
        int req = 1 + (requested - 1) % units;
        int k = ChannelSelection.roundKept(req, units, multiple);
        assertTrue(k == units || (k % multiple == 0 && k >= multiple && k <= units), "k=" + k);
        assertTrue(Math.abs(k - req) <= multiple, "k=" + k + " req=" + req);
    }

    @Test
    void topKKeepsHighestAscendingTiesToLowerIndexNaNFirst() {
        double[] s = {1, 5, 3, 5, Double.NaN, 0};
        assertArrayEquals(new int[] {1, 4}, ChannelSelection.topK(s, 2));
        assertArrayEquals(new int[] {1, 3, 4}, ChannelSelection.topK(s, 3));
        assertArrayEquals(new int[] {0, 1, 2, 3}, ChannelSelection.topK(new double[] {2, 2, 2, 2, 2}, 4));
        assertArrayEquals(new int[0], ChannelSelection.topK(s, 0));
        assertArrayEquals(new int[] {1, 3}, ChannelSelection.perLayer(new double[] {1, 5, 3, 5}, KeepAmount.ratio(0.5),
                1));
    }

    @Test
    void globalSelectionComparesStandardisedScoresAcrossLayers() {
        // layer 0 is nearly flat with one outlier; layer 1 spreads evenly. Raw scales differ by 1000x.
        double[] a = {1000, 1001, 1002, 1003, 1004, 1005, 1006, 5000};
        double[] b = {1, 2, 3, 4, 5, 6, 7, 8};
        List<int[]> g = ChannelSelection.global(List.of(a, b), KeepAmount.ratio(0.25), 1);
        // standardised: a's first 7 are all below its mean, b's top half above: 4 kept overall
        assertArrayEquals(new int[] {7}, g.get(0));
        assertArrayEquals(new int[] {5, 6, 7}, g.get(1));
        // per layer keeps 2 of each
        assertArrayEquals(new int[] {6, 7}, ChannelSelection.perLayer(a, KeepAmount.ratio(0.25), 1));
        // each layer keeps at least one multiple after rounding
        List<int[]> r = ChannelSelection.global(List.of(a, b), KeepAmount.ratio(0.25), 2);
        assertEquals(2, r.get(0).length);
        assertEquals(4, r.get(1).length);
        assertArrayEquals(new int[] {6, 7}, r.get(0));
    }

    @Test
    void badArgumentsAreNamed() {
        assertMessage(assertThrows(IllegalArgumentException.class, () -> KeepAmount.ratio(0)), "keep", "(0, 1]",
                "got 0.0");
        assertMessage(assertThrows(IllegalArgumentException.class, () -> KeepAmount.ratio(1.5)), "keep", "1.5");
        assertMessage(assertThrows(IllegalArgumentException.class, () -> KeepAmount.count(0)), "keep count",
                "got 0");
        assertMessage(assertThrows(IllegalArgumentException.class,
                () -> ChannelSelection.keptCount(4, KeepAmount.count(5), 1)), "keep count", "4 units", "got 5");
        assertMessage(assertThrows(IllegalArgumentException.class, () -> ChannelSelection.roundKept(3, 4, 0)),
                "multiple", "got 0");
        assertMessage(assertThrows(IllegalArgumentException.class, () -> ChannelSelection.topK(new double[2], 3)),
                "k", "0..2", "got 3");
    }

    static void assertMessage(Throwable t, String... parts) {
        for (String p : parts) {
            assertTrue(t.getMessage().contains(p), "'" + t.getMessage() + "' lacks '" + p + "'");
        }
    }
}
