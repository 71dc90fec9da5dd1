package dev.sparsekernels.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
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
}
