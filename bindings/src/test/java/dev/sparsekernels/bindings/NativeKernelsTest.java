package dev.sparsekernels.bindings;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Library and device functions through each binding, on whatever machine runs the tests (usually no GPU). */
class NativeKernelsTest {

    /** True when this machine has no NVIDIA device nodes, so the library must report zero devices. */
    private static boolean noGpuHere() {
        return !Files.exists(Path.of("/dev/nvidiactl")) && !Files.exists(Path.of("/dev/nvidia0"));
    }

    @ParameterizedTest
    @MethodSource("dev.sparsekernels.bindings.Bindings#names")
    void reportsItsName(String name) {
        assertEquals(name, Bindings.kernels(name).bindingName());
    }

    @ParameterizedTest
    @MethodSource("dev.sparsekernels.bindings.Bindings#names")
    void versionIsMajorMinorPatch(String name) {
        String version = Bindings.calls(name).version();
        assertTrue(version.matches("\\d+\\.\\d+\\.\\d+"), () -> "version: expected MAJOR.MINOR.PATCH, got '" + version + "'");
    }

    /** sk.cuda is the native build's switch, passed by the pom: off must give a host-only library, on a CUDA one. */
    @ParameterizedTest
    @MethodSource("dev.sparsekernels.bindings.Bindings#names")
    void cudaCompiledMatchesTheBuild(String name) {
        NativeKernels kernels = Bindings.kernels(name);
        int compiled = kernels.cudaCompiled();
        assertTrue(compiled == 0 || compiled == 1, "sk_cuda_compiled: expected 0 or 1, got " + compiled);
        String mode = System.getProperty("sk.cuda", "auto");
        if (mode.equals("off")) {
            assertEquals(0, compiled, "built with -Dsk.cuda=off, yet the library says it carries CUDA kernels");
        } else if (mode.equals("on")) {
            assertEquals(1, compiled, "built with -Dsk.cuda=on, yet the library is host-only");
        }
        for (String other : new String[] {NativeLibrary.PANAMA, NativeLibrary.JAVACPP}) {
            if (NativeLibrary.bindingCause(other) == null) {
                assertEquals(compiled, NativeLibrary.binding(other).cudaCompiled(), "bindings disagree");
            }
        }
    }

    @ParameterizedTest
    @MethodSource("dev.sparsekernels.bindings.Bindings#names")
    void noDevicesOnAGpuLessMachineAndTheCauseIsReadable(String name) {
        NativeCalls calls = Bindings.calls(name);
        int count = calls.deviceCount();
        if (!calls.cudaCompiled() || noGpuHere()) {
            assertEquals(0, count, "deviceCount");
        }
        if (count == 0) {
            String cause = calls.kernels().lastError();
            assertFalse(cause.isBlank(), "sk_last_error after zero devices: expected the cause, got ''");
        }
    }

    @ParameterizedTest
    @MethodSource("dev.sparsekernels.bindings.Bindings#names")
    void gpuCallsWithoutADeviceBecomeNativeExceptions(String name) {
        NativeCalls calls = Bindings.calls(name);
        assumeTrue(calls.deviceCount() == 0, "this machine has a CUDA device; the no-device paths cannot be seen");
        int expected = calls.cudaCompiled() ? NativeStatus.ERR_NO_DEVICE : NativeStatus.ERR_UNSUPPORTED;

        NativeException malloc = assertThrows(NativeException.class, () -> calls.malloc(1024));
        assertEquals(expected, malloc.status(), malloc::getMessage);
        assertEquals("sk_malloc", malloc.function());
        assertMentionsCuda(malloc);

        // Fake but well-formed device addresses: with no device nothing is dereferenced.
        long fake = 1L << 20;
        NativeException gemm = assertThrows(NativeException.class, () -> calls.sparse24Gemm(fake, NativeDType.F16,
                fake, fake, 0, fake, NativeDType.F32, 1, 8, 8, 0));
        assertNotEquals(NativeStatus.OK, gemm.status());
        assertEquals("sk_sparse24_gemm", gemm.function());
        assertMentionsCuda(gemm);

        NativeException dense = assertThrows(NativeException.class, () -> calls.denseGemm(fake, NativeDType.BF16,
                fake, 0, fake, NativeDType.BF16, 2, 16, 4, 0));
        assertMentionsCuda(dense);

        // cuBLAS is looked up at run time: without it (this machine) the call says so; with it, there is no device
        NativeException blas = assertThrows(NativeException.class, () -> calls.blasGemm(fake, NativeDType.BF16,
                fake, 0, fake, NativeDType.F32, 2, 16, 4, 0));
        assertEquals("sk_blas_gemm", blas.function());
        String why = calls.blasUnavailabilityCause();
        if (why != null) {
            assertTrue(why.contains("cuBLAS") || why.contains("without CUDA"), why);
            assertEquals(NativeStatus.ERR_UNSUPPORTED, blas.status(), blas::getMessage);
        } else {
            assertMentionsCuda(blas);
        }

        assertThrows(NativeException.class, calls::streamCreate);
        assertThrows(NativeException.class, () -> calls.deviceName(0));
        assertThrows(NativeException.class, () -> calls.deviceCapability(0));
        assertThrows(NativeException.class, () -> calls.setDevice(0));
        calls.free(0); // NULL is a no-op even without CUDA
    }

    private static void assertMentionsCuda(NativeException e) {
        String message = e.getMessage().toLowerCase(Locale.ROOT);
        assertTrue(message.contains("cuda") || message.contains("device"),
                () -> "expected a CUDA / no-device message, got: " + e.getMessage());
        assertFalse(e.nativeMessage().isBlank(), "native message");
    }

    @ParameterizedTest
    @MethodSource("dev.sparsekernels.bindings.Bindings#names")
    void lastErrorIsPerCallAndNonEmptyAfterAFailure(String name) {
        NativeKernels kernels = Bindings.kernels(name);
        int status = kernels.deviceCount(0); // NULL out-parameter: the library must refuse, not crash
        assertEquals(NativeStatus.ERR_INVALID_ARGUMENT, status);
        assertTrue(kernels.lastError().contains("sk_device_count"), () -> "lastError: " + kernels.lastError());
    }

    @ParameterizedTest
    @MethodSource("dev.sparsekernels.bindings.Bindings#names")
    void addressOfIgnoresPositionAndRefusesHeapBuffers(String name) {
        NativeKernels kernels = Bindings.kernels(name);
        ByteBuffer direct = ByteBuffer.allocateDirect(64);
        long base = kernels.addressOf(direct);
        assertNotEquals(0L, base);
        direct.position(24);
        assertEquals(base, kernels.addressOf(direct), "addressOf must not depend on the position");
        assertEquals(24, direct.position(), "addressOf must not move the position");
        assertEquals(base, kernels.addressOf(direct.asReadOnlyBuffer()), "read-only view of the same memory");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> kernels.addressOf(ByteBuffer.allocate(8)));
        assertTrue(e.getMessage().contains("heap"), e::getMessage);
    }

    @Test
    void bothBindingsSeeTheSameAddress() {
        ByteBuffer direct = ByteBuffer.allocateDirect(16);
        long javacpp = Bindings.kernels(NativeLibrary.JAVACPP).addressOf(direct);
        assertEquals(javacpp, Bindings.kernels(NativeLibrary.PANAMA).addressOf(direct));
    }
}
