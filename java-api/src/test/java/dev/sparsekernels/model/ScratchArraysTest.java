package dev.sparsekernels.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;

import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

class ScratchArraysTest {
    @Test
    void outsideAScopeArraysAreFreshZerosAndNothingIsKept() {
        float[] a = ScratchArrays.take(8);
        a[3] = 7f;
        ScratchArrays.giveBack(a);
        float[] b = ScratchArrays.take(8);
        assertNotSame(a, b);
        assertArrayEquals(new float[8], b);
    }

    @Test
    void insideAScopeAnArrayGivenBackIsTakenAgainBySize() {
        try (ScratchArrays scope = ScratchArrays.open()) {
            float[] a = ScratchArrays.take(8);
            ScratchArrays.giveBack(a);
            assertNotSame(a, ScratchArrays.take(9));
            assertSame(a, ScratchArrays.take(8));
            assertNotSame(a, ScratchArrays.take(8)); // taken once, gone
        }
        float[] c = ScratchArrays.take(8);
        ScratchArrays.giveBack(c);
        assertNotSame(c, ScratchArrays.take(8)); // the scope is closed
    }

    @Test
    void anArrayGivenBackTwiceIsHandedOutOnce() {
        try (ScratchArrays scope = ScratchArrays.open()) {
            float[] a = ScratchArrays.take(4);
            ScratchArrays.giveBack(a);
            ScratchArrays.giveBack(a);
            assertSame(a, ScratchArrays.take(4));
            assertNotSame(a, ScratchArrays.take(4));
        }
    }

    @Test
    void aNestedScopeSharesTheOuterOneAndClosingItKeepsTheOuterOpen() {
        try (ScratchArrays outer = ScratchArrays.open()) {
            float[] a = ScratchArrays.take(4);
            try (ScratchArrays inner = ScratchArrays.open()) {
                ScratchArrays.giveBack(a);
            }
            assertSame(a, ScratchArrays.take(4));
        }
    }

    @Test
    void scopesBelongToTheirThread() throws Exception {
        try (ScratchArrays scope = ScratchArrays.open()) {
            float[] a = ScratchArrays.take(4);
            ScratchArrays.giveBack(a);
            float[] other = CompletableFuture.supplyAsync(() -> ScratchArrays.take(4)).get();
            assertNotSame(a, other);
            assertSame(a, ScratchArrays.take(4));
        }
    }

    @Test
    void theNextScopeOnTheThreadTakesWhatTheLastGaveBackOfTheSizesItTook() {
        float[] a;
        float[] b;
        try (ScratchArrays scope = ScratchArrays.open()) {
            a = ScratchArrays.take(16);
            b = new float[24]; // given back but never taken in this scope: not kept
            ScratchArrays.giveBack(a);
            ScratchArrays.giveBack(b);
        }
        try (ScratchArrays scope = ScratchArrays.open()) {
            assertNotSame(b, ScratchArrays.take(24));
            assertSame(a, ScratchArrays.take(16));
        }
        try (ScratchArrays scope = ScratchArrays.open()) {
            assertNotSame(a, ScratchArrays.take(16)); // taken and not given back last time: gone
        }
    }

    /** Models of different widths taking turns on a thread: each finds its own arrays again, not fresh ones. */
    @Test
    void scopesTakingTurnsWithDifferentSizesEachFindTheirArraysAgain() {
        float[] a;
        float[] b;
        try (ScratchArrays scope = ScratchArrays.open()) {
            a = ScratchArrays.take(16);
            ScratchArrays.giveBack(a);
        }
        try (ScratchArrays scope = ScratchArrays.open()) {
            b = ScratchArrays.take(24);
            ScratchArrays.giveBack(b);
        }
        for (int round = 0; round < 3; round++) {
            try (ScratchArrays scope = ScratchArrays.open()) {
                float[] x = ScratchArrays.take(16);
                assertSame(a, x, "round " + round);
                ScratchArrays.giveBack(x);
            }
            try (ScratchArrays scope = ScratchArrays.open()) {
                float[] y = ScratchArrays.take(24);
                assertSame(b, y, "round " + round);
                ScratchArrays.giveBack(y);
            }
        }
    }

    @Test
    void aSizeNoScopeTookForKeepScopesScopesIsDropped() {
        float[] a;
        try (ScratchArrays scope = ScratchArrays.open()) {
            a = ScratchArrays.take(16);
            ScratchArrays.giveBack(a);
        }
        for (int i = 0; i < ScratchArrays.KEEP_SCOPES - 1; i++) {
            try (ScratchArrays scope = ScratchArrays.open()) {
                ScratchArrays.giveBack(ScratchArrays.take(8));
            }
        }
        try (ScratchArrays scope = ScratchArrays.open()) {
            float[] x = ScratchArrays.take(16); // last taken KEEP_SCOPES - 1 scopes ago: still kept
            assertSame(a, x);
            ScratchArrays.giveBack(x);
        }
        for (int i = 0; i < ScratchArrays.KEEP_SCOPES; i++) {
            try (ScratchArrays scope = ScratchArrays.open()) {
                ScratchArrays.giveBack(ScratchArrays.take(8));
            }
        }
        try (ScratchArrays scope = ScratchArrays.open()) {
            assertNotSame(a, ScratchArrays.take(16)); // untaken for KEEP_SCOPES scopes: gone
        }
    }

    @Test
    void overTheByteBudgetTheLeastRecentlyTakenSizesGoFirst() {
        ScratchArrays.Pool pool = new ScratchArrays.Pool();
        float[] old = new float[100];
        float[] mid = new float[200];
        float[] recent = new float[300];
        pool.free.computeIfAbsent(100, k -> new java.util.ArrayDeque<>()).push(old);
        pool.free.computeIfAbsent(200, k -> new java.util.ArrayDeque<>()).push(mid);
        pool.free.computeIfAbsent(300, k -> new java.util.ArrayDeque<>()).push(recent);
        pool.free.computeIfAbsent(50, k -> new java.util.ArrayDeque<>()).push(new float[50]); // never taken
        pool.lastTaken.put(100, 1L);
        pool.lastTaken.put(200, 3L);
        pool.lastTaken.put(300, 2L);
        pool.scopes = 3;
        ScratchArrays.trim(pool, 16, 4L * 500); // 600 floats held, room for 500
        assertEquals(java.util.Set.of(200, 300), pool.free.keySet());
        assertEquals(java.util.Set.of(200, 300), pool.lastTaken.keySet());
        ScratchArrays.trim(pool, 16, 4L * 250);
        assertEquals(java.util.Set.of(200), pool.free.keySet());
        assertSame(mid, pool.free.get(200).peek());
    }
}
