package dev.sparsekernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sparsekernels.backend.DeviceBuffer;
import dev.sparsekernels.bindings.NativeCalls;
import dev.sparsekernels.bindings.NativeLibrary;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * GPU group: device memory does not leak. Create/close cycles return the device-byte counter to where it was (and
 * the driver keeps serving them, so nothing is lost natively either), closing twice is harmless, and buffers nobody
 * closed are freed by their Cleaner with one report on stderr, not one per buffer.
 */
@Tag("gpu")
class CudaDeviceMemoryCyclesTest {
    private static final String REPORT = "was freed by the garbage collector";

    @Test
    void createCloseCyclesKeepDeviceMemoryFlat() {
        NativeCalls calls = new NativeCalls(NativeLibrary.kernels());
        long before = Resources.openDeviceBytes();
        int cycles = 20_000;
        for (int i = 0; i < cycles; i++) {
            long bytes = 1L + (i * 7919L) % (1 << 20); // 1 byte .. 1 MiB, every size class of the allocator
            DeviceBuffer b = DeviceBuffer.allocate(calls, bytes);
            assertEquals(before + bytes, Resources.openDeviceBytes(), "cycle " + i);
            b.close();
            if (i % 7 == 0) {
                b.close(); // harmless
            }
        }
        assertEquals(before, Resources.openDeviceBytes(), "after " + cycles + " cycles");
        // 20,000 x up to 1 MiB is ~10 GB in all: had any been lost natively, this 4 GiB buffer would stand a poor
        // chance on a shared device; it must still fit.
        try (DeviceBuffer big = DeviceBuffer.allocate(calls, 4L << 30)) {
            assertEquals(before + (4L << 30), Resources.openDeviceBytes());
        }
        assertEquals(before, Resources.openDeviceBytes());
    }

    @Test
    void buffersNobodyClosedAreFreedByTheCleanerAndReportedOnce() throws InterruptedException {
        NativeCalls calls = new NativeCalls(NativeLibrary.kernels());
        long before = Resources.openDeviceBytes();
        PrintStream err = System.err;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
        try {
            allocateAndDrop(calls, 1000, 1 << 20);
            long deadline = System.nanoTime() + 30_000_000_000L;
            while (Resources.openDeviceBytes() != before && System.nanoTime() < deadline) {
                System.gc();
                Thread.sleep(20);
            }
        } finally {
            System.setErr(err);
        }
        assertEquals(before, Resources.openDeviceBytes(), "1,000 dropped buffers of 1 MiB must be freed by the GC");
        String text = captured.toString(StandardCharsets.UTF_8);
        int reports = text.split(REPORT, -1).length - 1;
        // Exactly one unless an earlier test in this JVM already leaked a buffer (the report is once per JVM).
        assertTrue(reports <= 1, "one report for 1,000 leaked buffers, got " + reports + ":\n" + text);
    }

    private static void allocateAndDrop(NativeCalls calls, int count, long bytes) {
        for (int i = 0; i < count; i++) {
            DeviceBuffer.allocate(calls, bytes); // dropped on purpose: never closed
        }
    }
}
