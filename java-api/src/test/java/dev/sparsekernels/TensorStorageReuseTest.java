package dev.sparsekernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.parallel.ResourceLock;

/**
 * Closed tensors' buffers reused for the next tensors of their size ({@link TensorStorage}), and never where someone
 * could still see them. Sizes here are odd multiples of 4 bytes above the pool's minimum and unique to each test, so
 * other tests' tensors do not meet them in the pool (one JVM runs them all).
 */
@ResourceLock("TensorStorage")
class TensorStorageReuseTest {
    private static final int FLOATS = TensorStorage.MIN_BYTES / 4 + 1;

    @BeforeEach
    void emptyPool() {
        TensorStorage.clear(); // earlier tests' buffers must not fill the allowance
    }

    private static float[] filled(int n, float v) {
        float[] a = new float[n];
        Arrays.fill(a, v);
        return a;
    }

    /** The address-free way to tell two tensors share memory: a write through one shows in the other. */
    private static boolean sameMemory(ByteBuffer a, ByteBuffer b) {
        float before = b.getFloat(0);
        a.putFloat(0, before + 1);
        boolean same = b.getFloat(0) == before + 1;
        a.putFloat(0, before);
        return same;
    }

    @Test
    void aClosedTensorsBufferServesTheNextTensorOfItsSize() {
        int n = FLOATS + 11;
        Tensor a = Tensor.of(filled(n, 3f), n);
        long kept = TensorStorage.keptBytes();
        a.close();
        assertEquals(kept + 4L * n, TensorStorage.keptBytes(), "the closed tensor's buffer is kept");
        try (Tensor b = Tensor.of(filled(n, 5f), n)) {
            assertEquals(kept, TensorStorage.keptBytes(), "the next tensor of that size took it");
            assertEquals(5f, b.toFloatArray()[n - 1]);
        }
    }

    @Test
    void allocateGivesZerosEvenInAReusedBuffer() {
        int n = FLOATS + 23;
        Tensor.of(filled(n, 7f), n).close();
        try (Tensor z = Tensor.allocate(DType.F32, n)) {
            float[] got = z.toFloatArray();
            for (int i = 0; i < n; i++) {
                assertEquals(0f, got[i], "element " + i);
            }
        }
    }

    @Test
    void aBufferHandedOutIsNeverReused() {
        int n = FLOATS + 37;
        Tensor a = Tensor.of(filled(n, 1f), n);
        ByteBuffer view = a.buffer();
        long kept = TensorStorage.keptBytes();
        a.close();
        assertEquals(kept, TensorStorage.keptBytes(), "a handed-out buffer is left to the collector");
        try (Tensor b = Tensor.of(filled(n, 9f), n)) {
            assertEquals(1f, view.getFloat(4 * (n - 1)), "the view still sees the closed tensor's elements");
            assertTrue(!sameMemory(view, b.buffer()));
        }
    }

    @Test
    void aWrappedBufferIsNeverTaken() {
        int n = FLOATS + 41;
        ByteBuffer own = ByteBuffer.allocateDirect(4 * n).order(ByteOrder.LITTLE_ENDIAN);
        long kept = TensorStorage.keptBytes();
        Tensor.wrap(own, DType.F32, n).close();
        assertEquals(kept, TensorStorage.keptBytes());
    }

    @Test
    void closingTwiceGivesTheBufferBackOnce() {
        int n = FLOATS + 53;
        Tensor a = Tensor.of(filled(n, 2f), n);
        long kept = TensorStorage.keptBytes();
        a.close();
        a.close();
        assertEquals(kept + 4L * n, TensorStorage.keptBytes());
        try (Tensor b = Tensor.of(filled(n, 4f), n); Tensor c = Tensor.of(filled(n, 6f), n)) {
            assertEquals(4f, b.toFloatArray()[0]);
            assertEquals(6f, c.toFloatArray()[0], "two open tensors never share a buffer");
            assertTrue(!sameMemory(b.buffer(), c.buffer()));
        }
    }

    @Test
    void reshapeAndConversionsCopyWithoutHandingTheBufferOut() {
        int n = FLOATS + 67;
        Tensor a = Tensor.of(filled(n, 8f), n);
        try (Tensor r = a.reshape(1, n); Tensor h = a.to(DType.F16)) {
            a.copyTo(new float[n]);
            assertEquals(8f, r.toFloatArray()[n - 1]);
            assertEquals(8f, h.toFloatArray()[n - 1]);
        }
        long kept = TensorStorage.keptBytes();
        a.close();
        assertEquals(kept + 4L * n, TensorStorage.keptBytes(), "reads by the tensor's own methods expose nothing");
        try (Tensor b = Tensor.of(filled(n, 1f), n)) {
            assertEquals(kept, TensorStorage.keptBytes());
        }
    }

    @Test
    void buffersBelowTheMinimumAreLeftToTheCollector() {
        int n = TensorStorage.MIN_BYTES / 4 - 5;
        long kept = TensorStorage.keptBytes();
        Tensor.of(filled(n, 1f), n).close();
        assertEquals(kept, TensorStorage.keptBytes());
    }

    @Test
    void twoTensorsTakingTwoKeptBuffersNeverShareOne() {
        int n = FLOATS + 79;
        Tensor a = Tensor.of(filled(n, 1f), n);
        Tensor b = Tensor.of(filled(n, 2f), n);
        a.close();
        b.close();
        long kept = TensorStorage.keptBytes();
        try (Tensor c = Tensor.of(filled(n, 3f), n); Tensor d = Tensor.of(filled(n, 4f), n)) {
            assertEquals(kept - 8L * n, TensorStorage.keptBytes(), "both came from the pool");
            assertEquals(3f, c.toFloatArray()[n / 2]);
            assertEquals(4f, d.toFloatArray()[n / 2]);
            assertTrue(!sameMemory(c.buffer(), d.buffer()));
        }
    }

    @Test
    void goingPastTheAllowanceEmptiesThePoolFirst() {
        int n = FLOATS + 97;
        long saved = TensorStorage.keepBytes;
        TensorStorage.keepBytes = 3L * 4 * n; // room for three of them
        try {
            for (int i = 0; i < 3; i++) {
                Tensor.of(filled(n, 1f), n).close(); // each takes the last one's buffer back out
            }
            Tensor a = Tensor.of(filled(n, 1f), n);
            Tensor b = Tensor.of(filled(n, 1f), n);
            Tensor c = Tensor.of(filled(n, 1f), n);
            Tensor d = Tensor.of(filled(n, 1f), n);
            a.close();
            b.close();
            c.close();
            assertEquals(3L * 4 * n, TensorStorage.keptBytes(), "full");
            d.close();
            assertEquals(4L * n, TensorStorage.keptBytes(), "the fourth emptied the pool, then went in");
            int m = 4 * n; // bigger than the whole allowance: never kept
            Tensor.of(filled(m, 1f), m).close();
            assertEquals(4L * n, TensorStorage.keptBytes());
        } finally {
            TensorStorage.keepBytes = saved;
            TensorStorage.clear();
        }
    }

    @Test
    void aBufferOnlyLentStillServesTheNextTensor() {
        int n = FLOATS + 101;
        Tensor a = Tensor.of(filled(n, 2f), n);
        float got = a.withBuffer(b -> b.getFloat(4 * (n - 1)));
        assertEquals(2f, got);
        long kept = TensorStorage.keptBytes();
        a.close();
        assertEquals(kept + 4L * n, TensorStorage.keptBytes());
        org.junit.jupiter.api.Assertions.assertThrows(IllegalStateException.class, () -> a.withBuffer(b -> 0));
        try (Tensor b = Tensor.of(filled(n, 1f), n)) {
            org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, () -> b.withBuffer(null));
        }
    }

    @Test
    void aClosedKernelOutputServesTheNextOutput() {
        int tokens = 600, in = 16, out = 80; // 192,000 bytes of output
        float[] xs = new float[tokens * in];
        float[] ws = new float[out * in];
        Arrays.fill(xs, 0.5f);
        Arrays.fill(ws, 0.25f);
        try (Kernels k = Kernels.cpu(1); Tensor x = Tensor.of(xs, tokens, in); Tensor w = Tensor.of(ws, out, in)) {
            Tensor y = k.linear(x, w, null);
            long kept = TensorStorage.keptBytes();
            y.close();
            assertEquals(kept + 4L * tokens * out, TensorStorage.keptBytes(), "the output's buffer is kept");
            try (Tensor y2 = k.linear(x, w, null)) {
                assertEquals(kept, TensorStorage.keptBytes(), "and serves the next output");
                assertEquals(16 * 0.5f * 0.25f, y2.toFloatArray()[tokens * out - 1]);
            }
        }
    }

    @Test
    void threadsTakingAndGivingBackTheSameSizeNeverShareABuffer() throws Exception {
        int n = FLOATS + 113;
        int threads = 4;
        int rounds = 300;
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(threads);
        try {
            java.util.List<java.util.concurrent.Future<String>> done = new java.util.ArrayList<>();
            for (int t = 0; t < threads; t++) {
                float mine = t + 1;
                done.add(pool.submit(() -> {
                    for (int r = 0; r < rounds; r++) {
                        try (Tensor a = Tensor.of(filled(n, mine), n); Tensor z = Tensor.allocate(DType.F32, n)) {
                            Thread.yield();
                            float[] got = a.toFloatArray();
                            float[] zeros = z.toFloatArray();
                            for (int i = 0; i < n; i += 97) {
                                if (got[i] != mine || zeros[i] != 0f) {
                                    return "round " + r + " element " + i + ": " + got[i] + " / " + zeros[i];
                                }
                            }
                        }
                    }
                    return null;
                }));
            }
            for (java.util.concurrent.Future<String> f : done) {
                String failure = f.get();
                assertTrue(failure == null, failure);
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void aTensorClosedWhileItsBufferIsLentGivesItBackOnlyAfterTheLoan() {
        int n = FLOATS + 127;
        Tensor t = Tensor.of(filled(n, 5f), n);
        long kept = TensorStorage.keptBytes();
        float seen = t.withBuffer(b -> {
            t.close(); // inside the loan: the memory must not serve another tensor yet
            assertEquals(kept, TensorStorage.keptBytes(), "not given back during the loan");
            try (Tensor u = Tensor.allocate(DType.F32, n)) {
                b.putFloat(0, 42f);
                assertEquals(0f, u.toFloatArray()[0], "a new tensor does not share the lent memory");
            }
            return b.getFloat(4 * (n - 1));
        });
        assertEquals(5f, seen);
        assertTrue(t.isClosed());
        assertEquals(kept + 2 * 4L * n, TensorStorage.keptBytes(), "given back when the loan ended (and u's)");
    }

    @Test
    void reshapingAClosedTensorTakesNothingFromThePool() {
        int n = FLOATS + 131;
        Tensor t = Tensor.of(filled(n, 1f), n);
        t.close();
        long kept = TensorStorage.keptBytes();
        org.junit.jupiter.api.Assertions.assertThrows(IllegalStateException.class, () -> t.reshape(1, n));
        assertEquals(kept, TensorStorage.keptBytes());
    }

    @Test
    void thePoolSizePropertyNeverOverflowsIntoNoPool() {
        assertEquals(256L << 20, TensorStorage.bytesOfMiB(256));
        assertEquals(0, TensorStorage.bytesOfMiB(0));
        assertEquals(0, TensorStorage.bytesOfMiB(-3));
        assertTrue(TensorStorage.bytesOfMiB(10_000_000_000_000L) > (1L << 60), "a huge allowance stays huge");
        assertTrue(TensorStorage.bytesOfMiB(Long.MAX_VALUE) > 0);
    }
}
