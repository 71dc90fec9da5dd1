package dev.sparsekernels.bindings;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.Proxy;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/**
 * Bad arguments are refused in Java, before any native call, with a message naming the argument, the expectation
 * and the actual value. The kernels underneath record every call; only the harmless host helpers (addressOf and
 * the size query) are passed through to the real JavaCPP binding.
 */
class NativeCallsValidationTest {
    private static final Set<String> PASS_THROUGH = Set.of("addressOf", "sparse24GpuSizes", "lastError");

    private final List<String> nativeCalls = new ArrayList<>();
    private final NativeCalls calls = new NativeCalls(recording(Bindings.kernels(NativeLibrary.JAVACPP)));

    private NativeKernels recording(NativeKernels real) {
        return (NativeKernels) Proxy.newProxyInstance(NativeKernels.class.getClassLoader(),
                new Class<?>[] {NativeKernels.class}, (proxy, method, args) -> {
                    if (PASS_THROUGH.contains(method.getName())) {
                        return method.invoke(real, args);
                    }
                    nativeCalls.add(method.getName());
                    return NativeStatus.ERR_UNSUPPORTED;
                });
    }

    private void assertRefused(Executable call, String... fragments) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
        for (String fragment : fragments) {
            assertTrue(e.getMessage().contains(fragment), () -> "expected '" + fragment + "' in: " + e.getMessage());
        }
        assertEquals(List.of(), nativeCalls, "native code was reached");
    }

    private static ByteBuffer direct(int bytes) {
        return ByteBuffer.allocateDirect(bytes);
    }

    @Test
    void packBuffers() {
        // rows 2, cols 8: values16 16 bytes, indices 2 bytes, gpu sizes for a 32x32 padded matrix.
        long[] sizes = calls.sparse24GpuSizes(2, 8);
        ByteBuffer gv = direct((int) sizes[0] * 2);
        ByteBuffer gm = direct((int) sizes[1] * 4);
        assertRefused(() -> calls.sparse24Pack(ByteBuffer.allocate(16), direct(2), 2, 8, gv, gm),
                "values16", "direct", "heap");
        assertRefused(() -> calls.sparse24Pack(direct(15), direct(2), 2, 8, gv, gm),
                "values16", "at least 16 bytes", "got 15");
        assertRefused(() -> calls.sparse24Pack(direct(16), direct(1), 2, 8, gv, gm), "indices", "2", "got 1");
        assertRefused(() -> calls.sparse24Pack(direct(16), direct(2), 2, 8, gv.asReadOnlyBuffer(), gm),
                "gpuValues", "writable");
        assertRefused(() -> calls.sparse24Pack(direct(16), direct(2), 2, 8, gv, direct(8)),
                "gpuMeta", "at least " + sizes[1] * 4, "got 8");
        ByteBuffer shifted = direct((int) sizes[1] * 4 + 2);
        shifted.position(2);
        assertRefused(() -> calls.sparse24Pack(direct(16), direct(2), 2, 8, gv, shifted), "gpuMeta", "aligned to 4");
        assertRefused(() -> calls.sparse24Pack(direct(16), direct(2), 2, 0, gv, gm), "cols", "> 0", "got 0");
        assertRefused(() -> calls.sparse24Pack(direct(16), direct(2), -1, 8, gv, gm), "rows", "got -1");
        assertRefused(() -> calls.sparse24Pack(null, direct(2), 2, 8, gv, gm), "values16", "got null");
    }

    @Test
    void checkF32Buffers() {
        assertRefused(() -> calls.sparse24CheckF32(direct(31), 2, 4), "w", "at least 32", "got 31");
        assertRefused(() -> calls.sparse24CheckF32(direct(64), 2, 6), "cols", "multiple of 4", "got 6");
        assertRefused(() -> calls.sparse24CheckF32(direct(64), Long.MAX_VALUE, 4), "overflows");
    }

    @Test
    void gemmArguments() {
        long a = 1L << 20; // 16-byte aligned fake device address
        assertRefused(() -> calls.sparse24Gemm(a, NativeDType.F32, a, a, 0, a, NativeDType.F32, 1, 8, 8, 0),
                "xDtype", "F16 (1) or BF16 (2)", "got F32");
        assertRefused(() -> calls.sparse24Gemm(a, NativeDType.F16, a, a, 0, a, NativeDType.BF16, 1, 8, 8, 0),
                "yDtype", "F32 (0) or F16 (1)", "got BF16");
        assertRefused(() -> calls.sparse24Gemm(a, NativeDType.F16, a, a, 0, a, 7, 1, 8, 8, 0), "yDtype", "?(7)");
        assertRefused(() -> calls.sparse24Gemm(a, NativeDType.F16, a, a, 0, a, NativeDType.F32, 1, 12, 8, 0),
                "in", "multiple of 8", "got 12");
        assertRefused(() -> calls.sparse24Gemm(a, NativeDType.F16, a, a, 0, a, NativeDType.F32, 0, 8, 8, 0),
                "tokens", "> 0", "got 0");
        assertRefused(() -> calls.sparse24Gemm(0, NativeDType.F16, a, a, 0, a, NativeDType.F32, 1, 8, 8, 0),
                "x", "non-null");
        assertRefused(() -> calls.sparse24Gemm(a, NativeDType.F16, a, 0, 0, a, NativeDType.F32, 1, 8, 8, 0),
                "gpuMeta", "non-null");
        assertRefused(() -> calls.sparse24Gemm(a + 8, NativeDType.F16, a, a, 0, a, NativeDType.F32, 1, 8, 8, 0),
                "x", "aligned to 16");
        assertRefused(() -> calls.sparse24Gemm(a, NativeDType.F16, a, a, a + 2, a, NativeDType.F32, 1, 8, 8, 0),
                "bias", "aligned to 4");
        assertRefused(() -> calls.denseGemm(a, NativeDType.BF16, a, 0, a + 1, NativeDType.BF16, 1, 8, 8, 0),
                "y", "aligned to 2");
        assertRefused(() -> calls.denseGemm(a, NativeDType.BF16, 0, 0, a, NativeDType.F32, 1, 8, 8, 0),
                "w", "non-null");
        assertRefused(() -> calls.denseGemm(a, NativeDType.BF16, a, 0, a, NativeDType.F32, 1, 8, -3, 0),
                "out", "got -3");
        assertRefused(() -> calls.blasGemm(a, NativeDType.BF16, 0, 0, a, NativeDType.F32, 1, 8, 8, 0),
                "w", "non-null");
        assertRefused(() -> calls.blasGemm(a, NativeDType.F32, a, 0, a, NativeDType.F32, 1, 8, 8, 0),
                "xDtype");
        assertRefused(() -> calls.blasGemm(a, NativeDType.F16, a, 0, a, NativeDType.F32, 1, 12, 8, 0),
                "in", "8");
    }

    @Test
    void memoryAndDeviceArguments() {
        assertRefused(() -> calls.malloc(0), "bytes", "> 0", "got 0");
        assertRefused(() -> calls.memcpyH2d(1L << 20, direct(8), 9, 0), "src", "at least 9", "got 8");
        assertRefused(() -> calls.memcpyH2d(0, direct(8), 8, 0), "dst", "non-null");
        assertRefused(() -> calls.memcpyH2d(1L << 20, direct(8), -1, 0), "bytes", ">= 0", "got -1");
        ByteBuffer positioned = direct(8);
        positioned.position(4);
        assertRefused(() -> calls.memcpyD2h(positioned, 1L << 20, 5, 0), "dst", "at least 5", "got 4");
        assertRefused(() -> calls.memcpyD2h(direct(8).asReadOnlyBuffer(), 1L << 20, 8, 0), "dst", "writable");
        assertRefused(() -> calls.memcpyD2d(1L << 20, 0, 8, 0), "src", "non-null");
        assertRefused(() -> calls.deviceName(-1), "ordinal", ">= 0", "got -1");
        assertRefused(() -> calls.deviceCapability(-2), "ordinal", "got -2");
        assertRefused(() -> calls.setDevice(-1), "ordinal");
        assertRefused(() -> calls.streamDestroy(0), "stream", "non-null");
    }

    @Test
    void aNonZeroStatusBecomesANativeExceptionNamingTheFunction() {
        NativeException e = assertThrows(NativeException.class, () -> calls.malloc(64));
        assertEquals(NativeStatus.ERR_UNSUPPORTED, e.status());
        assertEquals("sk_malloc", e.function());
        assertTrue(e.getMessage().startsWith("sk_malloc failed with SK_ERR_UNSUPPORTED (4)"), e::getMessage);
        assertEquals(List.of("malloc"), nativeCalls);
    }
}
