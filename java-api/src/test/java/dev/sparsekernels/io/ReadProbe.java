package dev.sparsekernels.io;

import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Runs one read of an untrusted file the way the fuzz and corpus tests need it observed: on a worker thread with a
 * deadline (a hang fails the test instead of stalling the build), counting the heap bytes that thread allocated (so
 * "fails before any large allocation" is measured, not assumed), and the process's open file descriptors before and
 * after (so a reader that forgets to close on an error path is caught).
 */
final class ReadProbe {
    /** Generous: a read of a few-KB file takes microseconds; only a loop that never ends comes near it. */
    static final Duration DEADLINE = Duration.ofSeconds(20);

    private static final com.sun.management.ThreadMXBean THREADS =
            (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
    private static final com.sun.management.UnixOperatingSystemMXBean OS =
            (com.sun.management.UnixOperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
    private static ExecutorService worker = newWorker();

    private ReadProbe() {
    }

    /** What one read did: its value or failure, and the heap bytes its thread allocated. */
    static final class Outcome {
        final Object value;
        final Throwable failure;
        final long allocatedBytes;
        final long fdsBefore;
        final long fdsAfter;

        Outcome(Object value, Throwable failure, long allocatedBytes, long fdsBefore, long fdsAfter) {
            this.value = value;
            this.failure = failure;
            this.allocatedBytes = allocatedBytes;
            this.fdsBefore = fdsBefore;
            this.fdsAfter = fdsAfter;
        }
    }

    static Outcome run(Callable<?> read) {
        Future<Outcome> f = worker.submit(() -> {
            long id = Thread.currentThread().getId();
            long fds = OS.getOpenFileDescriptorCount();
            long before = THREADS.getThreadAllocatedBytes(id);
            Object value = null;
            Throwable failure = null;
            try {
                value = read.call();
            } catch (Throwable t) { // an Error (OutOfMemoryError, StackOverflowError) is a finding, not a crash here
                failure = t;
            }
            long allocated = THREADS.getThreadAllocatedBytes(id) - before;
            return new Outcome(value, failure, allocated, fds, OS.getOpenFileDescriptorCount());
        });
        try {
            return f.get(DEADLINE.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            f.cancel(true);
            worker.shutdownNow();
            worker = newWorker(); // the stuck thread stays stuck; later reads get a fresh one
            throw new AssertionError("read did not finish within " + DEADLINE + ": a hang");
        } catch (InterruptedException | ExecutionException e) {
            throw new AssertionError(e);
        }
    }

    /** Runs {@code read} and returns its value, or the Throwable it threw: for probes that make several reads. */
    static Object attempt(Callable<?> read) {
        try {
            return read.call();
        } catch (Throwable t) {
            return t;
        }
    }

    /** The allocation a reader may make for a file of {@code fileSize} bytes: a small multiple of it plus slack. */
    static long allocationBudget(long fileSize) {
        return 16 * fileSize + (1 << 20);
    }

    private static ExecutorService newWorker() {
        return Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "read-probe");
            t.setDaemon(true);
            return t;
        });
    }
}
