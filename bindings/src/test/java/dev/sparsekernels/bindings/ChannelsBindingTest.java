package dev.sparsekernels.bindings;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Structured channel removal through each binding: the host index check, Java-side argument checks of the device
 * functions, and their "no device" answer (a NativeException, never a crash) on machines without a usable GPU.
 */
class ChannelsBindingTest {
    /** 16-byte aligned, never dereferenced: every call using it must fail before touching memory. */
    private static final long FAKE = 1L << 20;

    private static ByteBuffer longs(long... values) {
        ByteBuffer b = ByteBuffer.allocateDirect(Math.max(8 * values.length, 8)).order(ByteOrder.nativeOrder());
        b.asLongBuffer().put(values);
        b.limit(8 * values.length);
        return b;
    }

    private static void assertNoDevice(Executable call) {
        NativeException e = assertThrows(NativeException.class, call);
        assertTrue(e.status() == NativeStatus.ERR_UNSUPPORTED || e.status() == NativeStatus.ERR_NO_DEVICE,
                e.getMessage());
        assertTrue(!e.getMessage().isEmpty());
    }

    private static void assertRefused(Executable call, String... fragments) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
        for (String fragment : fragments) {
            assertTrue(e.getMessage().contains(fragment), () -> "expected '" + fragment + "' in: " + e.getMessage());
        }
    }

    @ParameterizedTest
    @MethodSource("dev.sparsekernels.bindings.Bindings#names")
    void gatherCheckAcceptsAscendingIndicesAndNamesTheFirstBadOne(String binding) {
        NativeCalls calls = Bindings.calls(binding);
        calls.gatherCheck(longs(0, 2, 3, 9), 4, 10);
        calls.gatherCheck(longs(0, 1, 2, 3), 4, 4);  // all kept
        calls.gatherCheck(longs(5), 1, 6);
        // From the buffer's position: the first element is skipped.
        ByteBuffer shifted = longs(7, 1, 2);
        shifted.position(8);
        calls.gatherCheck(shifted, 2, 3);

        NativeException e = assertThrows(NativeException.class, () -> calls.gatherCheck(longs(0, 4, 4, 7), 4, 10));
        assertEquals(NativeStatus.ERR_INVALID_ARGUMENT, e.status());
        assertTrue(e.getMessage().contains("idx[2] = 4") && e.getMessage().contains("ascending"), e.getMessage());
        e = assertThrows(NativeException.class, () -> calls.gatherCheck(longs(0, 2, 10), 3, 10));
        assertTrue(e.getMessage().contains("idx[2] = 10"), e.getMessage());
        e = assertThrows(NativeException.class, () -> calls.gatherCheck(longs(-1, 2), 2, 10));
        assertTrue(e.getMessage().contains("idx[0] = -1"), e.getMessage());
        e = assertThrows(NativeException.class, () -> calls.gatherCheck(longs(3, 1), 2, 10));
        assertTrue(e.getMessage().contains("sk_gather_check"), e.getMessage());
    }

    @ParameterizedTest
    @MethodSource("dev.sparsekernels.bindings.Bindings#names")
    void gatherCheckArgumentsAreRefusedInJava(String binding) {
        NativeCalls calls = Bindings.calls(binding);
        assertRefused(() -> calls.gatherCheck(longs(0, 1), 0, 10), "count", "> 0", "got 0");
        assertRefused(() -> calls.gatherCheck(longs(0, 1), 2, 0), "limit", "got 0");
        assertRefused(() -> calls.gatherCheck(longs(0, 1, 2), 3, 2), "count", "limit (2)", "got 3");
        assertRefused(() -> calls.gatherCheck(longs(0, 1), 3, 10), "idx", "at least 24 bytes", "got 16");
        assertRefused(() -> calls.gatherCheck(ByteBuffer.allocate(16), 2, 10), "idx", "heap");
        ByteBuffer odd = longs(0, 1, 2);
        odd.position(4);
        assertRefused(() -> calls.gatherCheck(odd, 2, 10), "idx", "aligned to 8");
    }

    @ParameterizedTest
    @MethodSource("dev.sparsekernels.bindings.Bindings#names")
    void deviceArgumentsAreRefusedInJava(String binding) {
        NativeCalls calls = Bindings.calls(binding);
        assertRefused(() -> calls.gatherRows(0, NativeDType.F16, 4, 4, FAKE, 2, FAKE + 4096, 0), "src", "got 0");
        assertRefused(() -> calls.gatherRows(FAKE, 7, 4, 4, FAKE, 2, FAKE + 4096, 0), "dtype", "?(7)");
        assertRefused(() -> calls.gatherRows(FAKE, NativeDType.F32, 4, 4, FAKE, 5, FAKE + 4096, 0),
                "count", "rows (4)", "got 5");
        assertRefused(() -> calls.gatherCols(FAKE, NativeDType.F32, 8, 4, FAKE, 5, FAKE + 4096, 0),
                "count", "cols (4)", "got 5");
        assertRefused(() -> calls.gatherCols(FAKE + 2, NativeDType.F32, 4, 4, FAKE, 2, FAKE + 4096, 0),
                "src", "aligned to 4");
        assertRefused(() -> calls.gatherCols(FAKE, NativeDType.BF16, 4, 4, FAKE + 4, 2, FAKE + 4096, 0),
                "idx", "aligned to 8");
        assertRefused(() -> calls.gatherRows(FAKE, NativeDType.F16, 0, 4, FAKE, 1, FAKE + 4096, 0), "rows", "got 0");
        assertRefused(() -> calls.gatherRows(FAKE, NativeDType.F16, 4, 1L << 31, FAKE, 1, FAKE + 4096, 0),
                "cols", "2147483647");
        assertRefused(() -> calls.channelStatsUpdate(FAKE, NativeDType.F16, 0, 8, FAKE, 0), "samples", "got 0");
        assertRefused(() -> calls.channelStatsUpdate(FAKE, 5, 4, 8, FAKE, 0), "xDtype");
        assertRefused(() -> calls.channelStatsUpdate(FAKE + 2, NativeDType.F32, 4, 8, FAKE, 0), "x", "aligned to 4");
        assertRefused(() -> calls.channelStatsUpdate(FAKE, NativeDType.F32, 4, 8, FAKE + 4, 0), "state", "aligned to 8");
        assertRefused(() -> calls.channelStatsReset(FAKE, 0, 0), "channels", "got 0");
        assertRefused(() -> calls.channelStatsMerge(FAKE, 0, 8, 0), "other", "got 0");
        assertRefused(() -> calls.channelStatsFinalize(FAKE, 8, 0, 0, 0, 0), "mean, variance, meanSquare");
        assertRefused(() -> calls.channelStatsFinalize(FAKE, 8, FAKE + 2, 0, 0, 0), "mean", "aligned to 4");
        assertRefused(() -> NativeCalls.channelStatsStateBytes(-1), "channels");
        assertEquals(24L * 4099, NativeCalls.channelStatsStateBytes(4099));
    }

    @ParameterizedTest
    @MethodSource("dev.sparsekernels.bindings.Bindings#names")
    void deviceCallsWithoutADeviceAreExceptions(String binding) {
        NativeCalls calls = Bindings.calls(binding);
        // With a GPU these fake addresses would reach a kernel; the GPU checks live in sk_gpu_selftest instead.
        assumeTrue(calls.deviceCount() == 0, "a usable CUDA device is present");
        long dst = FAKE + (1 << 16);
        for (int dtype : new int[] {NativeDType.F32, NativeDType.F16, NativeDType.BF16}) {
            assertNoDevice(() -> calls.gatherRows(FAKE, dtype, 16, 8, FAKE + 8192, 4, dst, 0));
            assertNoDevice(() -> calls.gatherCols(FAKE, dtype, 16, 8, FAKE + 8192, 4, dst, 0));
            assertNoDevice(() -> calls.channelStatsUpdate(FAKE, dtype, 4, 8, dst, 0));
        }
        assertNoDevice(() -> calls.channelStatsReset(FAKE, 8, 0));
        assertNoDevice(() -> calls.channelStatsMerge(FAKE, dst, 8, 0));
        assertNoDevice(() -> calls.channelStatsFinalize(FAKE, 8, dst, 0, dst + 64, 0));
        // The C side's own checks still come first: an overlapping dst is INVALID_ARGUMENT, not "no device".
        NativeException e = assertThrows(NativeException.class,
                () -> calls.gatherRows(FAKE, NativeDType.F32, 16, 8, FAKE + 8192, 4, FAKE + 64, 0));
        assertEquals(NativeStatus.ERR_INVALID_ARGUMENT, e.status(), e.getMessage());
        assertTrue(e.getMessage().contains("overlaps"), e.getMessage());
    }
}
