package dev.sparsekernels.backend;

import dev.sparsekernels.bindings.NativeCalls;
import java.lang.ref.Cleaner;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Device memory from sk_malloc, freed on close. A Cleaner frees it if the owner forgets, and reports that once,
 * because a forgotten close means device memory lived longer than the caller thought.
 */
public final class DeviceBuffer implements AutoCloseable {
    private static final Cleaner CLEANER = Cleaner.create();
    private static final AtomicBoolean LEAK_REPORTED = new AtomicBoolean();
    private static final AtomicLong LIVE_BYTES = new AtomicLong();

    private final long address;
    private final long bytes;
    private final State state;
    private final Cleaner.Cleanable cleanable;

    private DeviceBuffer(NativeCalls calls, long address, long bytes) {
        this.address = address;
        this.bytes = bytes;
        this.state = new State(calls, address, bytes);
        this.cleanable = CLEANER.register(this, state);
        LIVE_BYTES.addAndGet(bytes);
    }

    public static DeviceBuffer allocate(NativeCalls calls, long bytes) {
        if (bytes < 1) {
            throw new IllegalArgumentException("device allocation: expected >= 1 byte but got " + bytes);
        }
        return new DeviceBuffer(calls, calls.malloc(bytes), bytes);
    }

    public long address() {
        if (state.closed) {
            throw new IllegalStateException("device buffer of " + bytes + " bytes is closed");
        }
        return address;
    }

    public long bytes() {
        return bytes;
    }

    /** Device bytes currently held by open buffers in this JVM. */
    public static long liveBytes() {
        return LIVE_BYTES.get();
    }

    @Override
    public void close() {
        state.explicit = true;
        cleanable.clean();
    }

    private static final class State implements Runnable {
        private final NativeCalls calls;
        private final long address;
        private final long bytes;
        volatile boolean closed;
        volatile boolean explicit;

        State(NativeCalls calls, long address, long bytes) {
            this.calls = calls;
            this.address = address;
            this.bytes = bytes;
        }

        @Override
        public void run() {
            closed = true;
            LIVE_BYTES.addAndGet(-bytes);
            if (!explicit && LEAK_REPORTED.compareAndSet(false, true)) {
                System.err.println("sparsekernels: a device buffer of " + bytes
                        + " bytes was freed by the garbage collector; close tensors and matrices explicitly");
            }
            calls.free(address);
        }
    }
}
