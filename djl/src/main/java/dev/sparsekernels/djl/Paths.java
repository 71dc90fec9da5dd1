package dev.sparsekernels.djl;

import java.util.function.Supplier;

/** Bad-input messages from work on one layer start with that layer's path, so the user knows which one. */
final class Paths {
    private Paths() {
    }

    static <T> T prefixed(String path, Supplier<T> work) {
        try {
            return work.get();
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(LinearParameters.name(path) + ": " + e.getMessage(), e);
        }
    }
}
