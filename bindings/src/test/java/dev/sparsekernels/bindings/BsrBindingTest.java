package dev.sparsekernels.bindings;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** The host-side BSR functions (structure check, balancing plan) and the no-device path, through each binding. */
class BsrBindingTest {
    private static ByteBuffer ints(int... values) {
        ByteBuffer b = ByteBuffer.allocateDirect(Math.max(4 * values.length, 4)).order(ByteOrder.nativeOrder());
        b.asIntBuffer().put(values);
        b.limit(4 * values.length);
        return b;
    }

    @ParameterizedTest
    @MethodSource("dev.sparsekernels.bindings.Bindings#names")
    void checkAcceptsValidStructuresAndNamesTheFirstBadEntry(String binding) {
        NativeCalls calls = Bindings.calls(binding);
        // out = 64 (4 block rows of 16), in = 64 (2 block cols of 32); rows 1 and 3 empty
        calls.bsrCheck(ints(0, 2, 2, 3, 3), ints(0, 1, 1), 3, 16, 32, 64, 64);
        calls.bsrCheck(ints(0, 0, 0, 0, 0), ints(), 0, 16, 32, 64, 64);
        NativeException e = assertThrows(NativeException.class,
                () -> calls.bsrCheck(ints(0, 2, 2, 3, 3), ints(1, 0, 1), 3, 16, 32, 64, 64));
        assertEquals(NativeStatus.ERR_INVALID_ARGUMENT, e.status());
        e = assertThrows(NativeException.class,
                () -> calls.bsrCheck(ints(0, 2, 2, 3, 3), ints(0, 1, 2), 3, 16, 32, 64, 64));
        assertTrue(e.getMessage().contains("col_idx"), e.getMessage());
    }

    @ParameterizedTest
    @MethodSource("dev.sparsekernels.bindings.Bindings#names")
    void planSplitsALongBlockRowForOneToken(String binding) {
        NativeCalls calls = Bindings.calls(binding);
        // block row 0 holds 64 blocks, the other three none: a single token must not leave one CTA with all of it
        int[] rowPtr = {0, 64, 64, 64, 64};
        ByteBuffer ws = calls.bsrPlan(ints(rowPtr), 64, 16, 16, 1, 64);
        assertTrue(ws.limit() > 0, "a very uneven structure needs a schedule");
    }

    @ParameterizedTest
    @MethodSource("dev.sparsekernels.bindings.Bindings#names")
    void gemmWithoutADeviceIsAnExceptionAndBadBlocksAreRejectedInJava(String binding) {
        NativeCalls calls = Bindings.calls(binding);
        long fake = 1L << 20; // 16-byte aligned, never dereferenced: the call must fail before touching memory
        NativeException e = assertThrows(NativeException.class, () -> calls.bsrGemm(fake, NativeDType.F16, fake,
                fake, fake, 1, 16, 16, 0, 0, fake, NativeDType.F32, 1, 16, 16, 0));
        assertTrue(e.status() == NativeStatus.ERR_UNSUPPORTED || e.status() == NativeStatus.ERR_NO_DEVICE,
                e.getMessage());
        IllegalArgumentException bad = assertThrows(IllegalArgumentException.class, () -> calls.bsrGemm(fake,
                NativeDType.F16, fake, fake, fake, 1, 24, 16, 0, 0, fake, NativeDType.F32, 1, 16, 48, 0));
        assertTrue(bad.getMessage().contains("blockRows"), bad.getMessage());
    }
}
