package dev.sparsekernels.bindings;

import java.lang.reflect.InvocationTargetException;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Loads libsparsekernels.so once and hands out the bindings over it. Nothing here throws at class
 * initialisation: failures are kept and reported through {@link #isAvailable()} / {@link #unavailabilityCause()},
 * so the Java API can fall back to its CPU kernels and say why.
 *
 * <p>The library is loaded with {@link System#load} before any binding: the JavaCPP JNI library has a DT_NEEDED
 * on the soname libsparsekernels.so, which glibc then satisfies with the copy already in the process (no
 * LD_LIBRARY_PATH needed); the Panama binding looks its symbols up in that same file.
 *
 * <p>Binding choice: {@code -Dsparsekernels.binding=panama|javacpp} forces one (and a forced binding that cannot
 * load makes the library unavailable rather than silently using the other); otherwise Panama on Java 22+ when it
 * loads, else JavaCPP.
 */
public final class NativeLibrary {
    /** System property: the library file, or a directory holding libsparsekernels.so. */
    public static final String LIBRARY_PATH_PROPERTY = "sparsekernels.library.path";
    /** Environment variable, consulted when the system property is unset. */
    public static final String LIBRARY_PATH_ENV = "SPARSEKERNELS_LIBRARY_PATH";
    /** System property forcing a binding: "panama" or "javacpp". */
    public static final String BINDING_PROPERTY = "sparsekernels.binding";
    public static final String PANAMA = "panama";
    public static final String JAVACPP = "javacpp";

    private static final String PANAMA_CLASS = "dev.sparsekernels.bindings.PanamaKernels";
    private static final int PANAMA_MIN_JAVA = 22;

    /** A binding, or why there is none. */
    private record Outcome(NativeKernels kernels, Throwable cause) {
    }

    /** The library load, done on first use of any accessor (holder idiom: once, thread-safe, lazy). */
    private static final class Library {
        static final Path PATH;
        static final Throwable CAUSE;

        static {
            Path path = null;
            Throwable cause = null;
            try {
                path = LibraryLocator.locate();
                System.load(path.toString());
            } catch (Throwable t) {
                cause = loadFailure(path, t);
                path = null;
            }
            PATH = path;
            CAUSE = cause;
        }
    }

    /** The default binding, chosen after the library is loaded. */
    private static final class Chosen {
        static final Outcome OUTCOME = choose();
    }

    private static final Map<String, Outcome> BINDINGS = new ConcurrentHashMap<>();

    private NativeLibrary() {
    }

    /** True when the library is loaded and the chosen binding works. */
    public static boolean isAvailable() {
        return Chosen.OUTCOME.kernels() != null;
    }

    /** Why the library or the chosen binding cannot be used; null when {@link #isAvailable()}. */
    public static Throwable unavailabilityCause() {
        return Chosen.OUTCOME.cause();
    }

    /** The file that was loaded, or null when loading failed. */
    public static Path libraryPath() {
        return Library.PATH;
    }

    /**
     * The chosen binding.
     *
     * @throws IllegalStateException when unavailable, with {@link #unavailabilityCause()} as its cause
     */
    public static NativeKernels kernels() {
        Outcome outcome = Chosen.OUTCOME;
        if (outcome.kernels() == null) {
            throw unavailable("sparsekernels native library is unavailable", outcome.cause());
        }
        return outcome.kernels();
    }

    /**
     * A specific binding, whatever the default choice (tests run both).
     *
     * @param name "panama" or "javacpp"
     * @throws IllegalArgumentException for another name
     * @throws IllegalStateException when that binding cannot be loaded here, with the reason as cause
     */
    public static NativeKernels binding(String name) {
        Outcome outcome = outcome(normalise(name));
        if (outcome.kernels() == null) {
            throw unavailable("sparsekernels binding '" + name + "' is unavailable", outcome.cause());
        }
        return outcome.kernels();
    }

    /** Why a specific binding cannot be loaded, or null when it can; never throws for a known name. */
    public static Throwable bindingCause(String name) {
        return outcome(normalise(name)).cause();
    }

    private static Outcome outcome(String name) {
        return BINDINGS.computeIfAbsent(name, NativeLibrary::create);
    }

    private static Outcome choose() {
        String forced = System.getProperty(BINDING_PROPERTY);
        if (forced != null && !forced.isBlank()) {
            String name;
            try {
                name = normalise(forced);
            } catch (IllegalArgumentException e) {
                return new Outcome(null, e);
            }
            Outcome outcome = outcome(name);
            return outcome.kernels() != null ? outcome : new Outcome(null, new IllegalStateException(
                    "-D" + BINDING_PROPERTY + "=" + forced + " forces a binding that cannot load: "
                            + outcome.cause().getMessage(), outcome.cause()));
        }
        if (Runtime.version().feature() >= PANAMA_MIN_JAVA) {
            Outcome panama = outcome(PANAMA);
            if (panama.kernels() != null) {
                return panama;
            }
            Outcome javacpp = outcome(JAVACPP);
            if (javacpp.kernels() == null && javacpp.cause() != panama.cause()) {
                javacpp.cause().addSuppressed(panama.cause());
            }
            return javacpp;
        }
        return outcome(JAVACPP);
    }

    private static Outcome create(String name) {
        if (Library.CAUSE != null) {
            return new Outcome(null, Library.CAUSE);
        }
        try {
            NativeKernels kernels = PANAMA.equals(name) ? createPanama() : JavaCppKernels.load();
            kernels.version(); // one real call, so a broken link shows up here and not in the first user call
            return new Outcome(kernels, null);
        } catch (Throwable t) {
            return new Outcome(null, t);
        }
    }

    /** Reflective, because the Java 17 classes must not link against the release-22 class. */
    private static NativeKernels createPanama() throws Throwable {
        int feature = Runtime.version().feature();
        if (feature < PANAMA_MIN_JAVA) {
            throw new UnsupportedOperationException("the Panama binding needs Java " + PANAMA_MIN_JAVA
                    + "+ (final FFM API), this JVM is Java " + feature + "; use the javacpp binding");
        }
        try {
            return (NativeKernels) Class.forName(PANAMA_CLASS, true, NativeLibrary.class.getClassLoader())
                    .getDeclaredConstructor().newInstance();
        } catch (ClassNotFoundException e) {
            throw new IllegalStateException(PANAMA_CLASS + " is missing: the bindings jar must be used as a jar "
                    + "(multi-release, META-INF/versions/22), or META-INF/versions/22 put on the class path", e);
        } catch (InvocationTargetException e) {
            throw e.getCause();
        } catch (ExceptionInInitializerError e) {
            throw e.getCause() != null ? e.getCause() : e;
        }
    }

    private static String normalise(String name) {
        String n = name == null ? "" : name.trim().toLowerCase(Locale.ROOT);
        if (!n.equals(PANAMA) && !n.equals(JAVACPP)) {
            throw new IllegalArgumentException("binding: expected \"" + PANAMA + "\" or \"" + JAVACPP + "\", got \""
                    + name + "\"");
        }
        return n;
    }

    private static Throwable loadFailure(Path path, Throwable t) {
        String where = path == null ? "" : " from " + path;
        UnsatisfiedLinkError error = new UnsatisfiedLinkError("cannot load " + LibraryLocator.LIBRARY_FILE + where
                + ": " + t.getMessage());
        error.initCause(t);
        return error;
    }

    private static IllegalStateException unavailable(String what, Throwable cause) {
        return new IllegalStateException(what + ": " + cause.getMessage(), cause);
    }
}
