package dev.sparsekernels.bindings;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The host-side half of "a native fault becomes an exception and the library stays usable", through both bindings on
 * the real library: a thousand failing calls (no device, invalid arguments that only the C side sees) each become a
 * NativeException with the library's message, and afterwards the host functions still give their exact answers; the
 * error text is per thread, so threads failing at once each read their own. (GPU faults proper: CudaFaultsTest.)
 */
class NativeFailuresLeaveTheLibraryUsableTest {
    static final int FAILURES = 1_000;

    @ParameterizedTest
    @MethodSource("dev.sparsekernels.bindings.Bindings#names")
    void aThousandFailuresLaterTheHostFunctionsStillAnswerExactly(String name) {
        NativeCalls calls = Bindings.calls(name);
        assumeTrue(calls.deviceCount() == 0, "this machine has a CUDA device; the no-device failures cannot happen");
        long[] sizes = calls.sparse24GpuSizes(64, 128);
        ByteBuffer w = twoFourWithABadGroup();
        for (int i = 0; i < FAILURES; i++) {
            NativeException e = assertThrows(NativeException.class, () -> calls.malloc(1024));
            assertTrue(e.nativeMessage().contains("sk_malloc"), e.getMessage());
            assertEquals(NativeStatus.ERR_INVALID_ARGUMENT, calls.kernels().deviceCount(0)); // NULL out-parameter
            assertTrue(calls.kernels().lastError().contains("sk_device_count"), calls.kernels().lastError());
        }
        assertArrayEquals(sizes, calls.sparse24GpuSizes(64, 128), "sizes after the failures");
        assertArrayEquals(new long[] {1, 1}, calls.sparse24CheckF32(w, 2, 8), "first bad group after the failures");
        assertTrue(calls.version().matches("\\d+\\.\\d+\\.\\d+"), calls.version());
        assertEquals(0, calls.deviceCount());
    }

    @ParameterizedTest
    @MethodSource("dev.sparsekernels.bindings.Bindings#names")
    void eachThreadReadsItsOwnErrorText(String name) throws Exception {
        NativeCalls calls = Bindings.calls(name);
        assumeTrue(calls.deviceCount() == 0, "this machine has a CUDA device; the no-device failures cannot happen");
        int threads = 8;
        CyclicBarrier together = new CyclicBarrier(threads);
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            List<Future<?>> futures = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                final boolean mallocs = t % 2 == 0;
                futures.add(pool.submit(() -> {
                    together.await();
                    for (int i = 0; i < 200; i++) {
                        if (mallocs) {
                            NativeException e = assertThrows(NativeException.class, () -> calls.malloc(64));
                            assertTrue(e.nativeMessage().contains("sk_malloc"), e.getMessage());
                        } else {
                            assertEquals(NativeStatus.ERR_INVALID_ARGUMENT, calls.kernels().deviceCount(0));
                            String text = calls.kernels().lastError();
                            assertTrue(text.contains("sk_device_count"), "another thread's error: " + text);
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> f : futures) {
                f.get();
            }
        } finally {
            pool.shutdownNow();
        }
        assertNull(calls.sparse24CheckF32(twoFour(), 1, 8), "a valid 2:4 row after the concurrent failures");
    }

    /** [2, 8] f32: row 0 is 2:4, row 1 has three non-zeros in its second group. */
    private static ByteBuffer twoFourWithABadGroup() {
        return floats(1, 1, 0, 0, 0, 0, 1, 1, 1, 0, 1, 0, 1, 1, 1, 0);
    }

    private static ByteBuffer twoFour() {
        return floats(1, 0, 0, 1, 0, 1, 1, 0);
    }

    private static ByteBuffer floats(float... v) {
        ByteBuffer b = ByteBuffer.allocateDirect(4 * v.length).order(ByteOrder.nativeOrder());
        b.asFloatBuffer().put(v);
        return b;
    }
}
