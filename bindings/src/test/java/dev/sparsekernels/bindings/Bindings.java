package dev.sparsekernels.bindings;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.stream.Stream;

/**
 * The bindings every parameterised test runs against. A binding that cannot load fails the test (through
 * {@link NativeLibrary#binding}'s exception), with one exception: Panama on a JVM older than 22, which cannot run it
 * by design.
 */
final class Bindings {
    private Bindings() {
    }

    /** Source for {@code @MethodSource("dev.sparsekernels.bindings.Bindings#names")}. */
    static Stream<String> names() {
        return Stream.of(NativeLibrary.PANAMA, NativeLibrary.JAVACPP);
    }

    static NativeKernels kernels(String name) {
        int feature = Runtime.version().feature();
        assumeTrue(!name.equals(NativeLibrary.PANAMA) || feature >= 22,
                () -> "Panama binding skipped: it needs Java 22+ (FFM API), the test JVM is Java " + feature);
        return NativeLibrary.binding(name);
    }

    static NativeCalls calls(String name) {
        return new NativeCalls(kernels(name));
    }
}
