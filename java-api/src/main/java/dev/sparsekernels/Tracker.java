package dev.sparsekernels;

import java.lang.ref.Cleaner;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Counts the tensors and sparse matrices that are open, and is the Cleaner safety net behind their close(): an object
 * that becomes unreachable without close() is counted as collected-unclosed, and the first such object in this JVM is
 * reported with one System.Logger record. Only the first, because a leak inside a loop would otherwise flood the log
 * of the process we live in; the count tells the rest ({@link Resources#collectedUnclosed()}).
 *
 * <p>Why a Cleaner and not close() alone: we run inside other people's processes, and a forgotten close must neither
 * leak nor crash; why counters: so tests (and users) can check that create/close cycles leave nothing behind.
 */
final class Tracker {
    /** One daemon thread for all tracked objects. */
    private static final Cleaner CLEANER = Cleaner.create();
    private static final System.Logger LOG = System.getLogger("dev.sparsekernels");

    static final AtomicLong OPEN_TENSORS = new AtomicLong();
    static final AtomicLong OPEN_TENSOR_BYTES = new AtomicLong();
    static final AtomicLong OPEN_MATRICES = new AtomicLong();
    static final AtomicLong COLLECTED_UNCLOSED = new AtomicLong();
    private static final AtomicBoolean REPORTED = new AtomicBoolean();

    private Tracker() {
    }

    /** Registers an open tensor of {@code bytes} off-heap bytes; close the returned handle from Tensor.close(). */
    static Handle tensor(Object owner, DType dtype, long[] shape, long bytes) {
        OPEN_TENSORS.incrementAndGet();
        OPEN_TENSOR_BYTES.addAndGet(bytes);
        return new Handle(owner, new State(true, bytes, dtype, shape, null));
    }

    /** Registers an open sparse matrix described by {@code description} (built once, at creation). */
    static Handle matrix(Object owner, String description) {
        OPEN_MATRICES.incrementAndGet();
        return new Handle(owner, new State(false, 0, null, null, description));
    }

    /** The close side of one registration: idempotent, and safe to call from any thread. */
    static final class Handle {
        private final State state;
        private final Cleaner.Cleanable cleanable;

        private Handle(Object owner, State state) {
            this.state = state;
            this.cleanable = CLEANER.register(owner, state);
        }

        /** An explicit close: decrements the counters once, reports nothing. */
        void close() {
            state.explicit = true;
            cleanable.clean(); // runs State.run at most once, whoever calls first
        }
    }

    /** Must not reference the tracked object, or it would never become unreachable. */
    private static final class State implements Runnable {
        private final boolean tensor;
        private final long bytes;
        private final DType dtype;
        private final long[] shape;
        private final String description;
        volatile boolean explicit;

        State(boolean tensor, long bytes, DType dtype, long[] shape, String description) {
            this.tensor = tensor;
            this.bytes = bytes;
            this.dtype = dtype;
            this.shape = shape;
            this.description = description;
        }

        @Override
        public void run() {
            if (tensor) {
                OPEN_TENSORS.decrementAndGet();
                OPEN_TENSOR_BYTES.addAndGet(-bytes);
            } else {
                OPEN_MATRICES.decrementAndGet();
            }
            if (explicit) {
                return;
            }
            COLLECTED_UNCLOSED.incrementAndGet();
            if (REPORTED.compareAndSet(false, true)) {
                String what = tensor ? "a tensor " + Arrays.toString(shape) + " " + dtype + " (" + bytes + " bytes)"
                        : "a " + description;
                LOG.log(System.Logger.Level.WARNING, "sparsekernels: " + what + " was never closed and was freed by"
                        + " the garbage collector; close tensors and matrices (try-with-resources). Later cases are"
                        + " only counted: Resources.collectedUnclosed()");
            }
        }
    }
}
