package dev.sparsekernels;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;

/**
 * Resources (device copies) tied to a weight matrix's lifetime, and the matrix's closed state: one per
 * {@link WeightMatrix}, so every format closes its device copies the same way, and is counted as open
 * ({@link Resources}) the same way.
 * The Cleaner watches this object, which only its matrix references, so it fires when the matrix is unreachable.
 */
final class Attachments {
    private final String owner;
    private final List<AutoCloseable> resources = new ArrayList<>();
    private boolean closed;
    private final Tracker.Handle tracking;

    Attachments(String owner) {
        this.owner = owner;
        this.tracking = Tracker.matrix(this, owner);
    }

    synchronized void checkOpen() {
        if (closed) {
            throw new IllegalStateException(owner + " is closed");
        }
    }

    synchronized boolean isClosed() {
        return closed;
    }

    synchronized void attach(AutoCloseable resource) {
        checkOpen();
        resources.add(resource);
    }

    synchronized <T> T find(Class<T> type, Predicate<T> match) {
        checkOpen();
        for (AutoCloseable a : resources) {
            if (type.isInstance(a) && match.test(type.cast(a))) {
                return type.cast(a);
            }
        }
        return null;
    }

    /** Closes every resource once; the first failure is rethrown after all were tried. */
    synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        tracking.close();
        RuntimeException first = null;
        for (AutoCloseable a : resources) {
            try {
                a.close();
            } catch (Exception e) {
                if (first == null) {
                    first = new IllegalStateException("closing a device copy of " + owner + " failed", e);
                }
            }
        }
        resources.clear();
        if (first != null) {
            throw first;
        }
    }
}
