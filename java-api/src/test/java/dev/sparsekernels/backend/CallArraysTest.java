package dev.sparsekernels.backend;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;

import dev.sparsekernels.DType;
import dev.sparsekernels.Tensor;
import org.junit.jupiter.api.Test;

/** The CPU backend's per-call heap arrays: distinct within a call, the same ones again in the thread's next call. */
class CallArraysTest {
    private static final int N = CallArrays.MIN_FLOATS + 3;

    @Test
    void arraysTakenInOneCallAreDistinctAndComeBackInTheNext() {
        float[] a;
        float[] b;
        try (CallArrays c = CallArrays.open()) {
            a = c.take(N);
            b = c.take(N);
            assertNotSame(a, b);
        }
        try (CallArrays c = CallArrays.open()) {
            float[] x = c.take(N);
            float[] y = c.take(N);
            float[] z = c.take(N);
            assertSame(b, x, "the last array given back comes first");
            assertSame(a, y);
            assertNotSame(a, z);
            assertNotSame(b, z);
        }
    }

    @Test
    void smallArraysAreNotKept() {
        int n = CallArrays.MIN_FLOATS - 1;
        float[] a;
        try (CallArrays c = CallArrays.open()) {
            a = c.take(n);
        }
        try (CallArrays c = CallArrays.open()) {
            assertNotSame(a, c.take(n));
        }
    }

    @Test
    void aCallOpenedInsideAnotherGetsArraysOfItsOwn() {
        try (CallArrays outer = CallArrays.open()) {
            float[] a = outer.take(N + 1);
            try (CallArrays inner = CallArrays.open()) {
                assertNotSame(a, inner.take(N + 1));
            }
            assertNotSame(a, outer.take(N + 1));
        }
    }

    @Test
    void copiesHoldTheTensorsElementsConverted() {
        float[] v = new float[N];
        for (int i = 0; i < N; i++) {
            v[i] = i % 7 - 3;
        }
        try (Tensor t = Tensor.of(DType.BF16, v, N); CallArrays c = CallArrays.open()) {
            assertArrayEquals(v, c.copyOf(t));
        }
    }
}
