package dev.sparsekernels.backend;

/**
 * Closing native resources on a failure path: every one is closed even when an earlier close fails (a failing
 * sk_free must not leak the buffers after it), and the error that started the cleanup stays the one thrown, with
 * the cleanup's own failures attached as suppressed (a failing free must not hide why the call failed).
 */
final class Closing {
    private Closing() {}

    /**
     * Closes each non-null item. Returns {@code primary} with any close failures added as suppressed; or, when
     * {@code primary} is null, the first close failure with later ones suppressed; or null when nothing failed.
     */
    static RuntimeException closeAll(RuntimeException primary, AutoCloseable... items) {
        RuntimeException failure = primary;
        for (AutoCloseable item : items) {
            if (item == null) {
                continue;
            }
            try {
                item.close();
            } catch (Exception e) {
                RuntimeException r = e instanceof RuntimeException ? (RuntimeException) e
                        : new IllegalStateException("closing " + item + " failed", e);
                if (failure == null) {
                    failure = r;
                } else if (failure != r) {
                    failure.addSuppressed(r);
                }
            }
        }
        return failure;
    }

    /** {@link #closeAll} for one item and a failure that is already there: returns {@code primary}, to be thrown. */
    static RuntimeException closeInto(AutoCloseable item, RuntimeException primary) {
        return closeAll(primary, item);
    }

    /** Closes every item and throws the first failure (later ones suppressed). */
    static void closeAllOrThrow(AutoCloseable... items) {
        RuntimeException f = closeAll(null, items);
        if (f != null) {
            throw f;
        }
    }
}
