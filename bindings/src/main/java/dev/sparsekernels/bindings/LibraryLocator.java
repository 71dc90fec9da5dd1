package dev.sparsekernels.bindings;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardCopyOption;
import java.util.Locale;

/**
 * Finds libsparsekernels.so; loads nothing. Kept apart from {@link NativeLibrary} (and free of static state) so the
 * precedence rules can be tested with bogus inputs without poisoning the process-wide loaded library.
 *
 * <p>Order: the system property, then the environment variable (each a file or a directory holding the file; an
 * explicit setting that points nowhere is an error, never a silent fall-through to the jar), then the class-path
 * resource of the sparsekernels-native jar, used in place when it is a plain file (a build tree) and extracted to a
 * temporary directory deleted on exit when it is inside a jar (dlopen needs a real file).
 */
final class LibraryLocator {
    static final String LIBRARY_FILE = "libsparsekernels.so";
    static final String PLATFORM = "linux-x86_64";
    static final String RESOURCE = "META-INF/native/" + PLATFORM + "/" + LIBRARY_FILE;

    private LibraryLocator() {
    }

    /** Resolves the library file from the current system property, environment and this class's loader. */
    static Path locate() throws IOException {
        return locate(System.getProperty(NativeLibrary.LIBRARY_PATH_PROPERTY),
                System.getenv(NativeLibrary.LIBRARY_PATH_ENV), LibraryLocator.class.getClassLoader());
    }

    /**
     * Resolves the library file from explicit inputs.
     *
     * @param propertyValue value of {@code -Dsparsekernels.library.path}, or null
     * @param envValue value of {@code SPARSEKERNELS_LIBRARY_PATH}, or null
     * @param loader where to look for the jar resource
     * @throws IOException naming the setting that pointed nowhere, or why the resource is missing
     */
    static Path locate(String propertyValue, String envValue, ClassLoader loader) throws IOException {
        if (propertyValue != null && !propertyValue.isBlank()) {
            return existing(propertyValue.trim(), "-D" + NativeLibrary.LIBRARY_PATH_PROPERTY);
        }
        if (envValue != null && !envValue.isBlank()) {
            return existing(envValue.trim(), NativeLibrary.LIBRARY_PATH_ENV);
        }
        if (!isLinuxX8664()) {
            throw new FileNotFoundException("sparsekernels ships " + LIBRARY_FILE + " for " + PLATFORM + " only, this is "
                    + System.getProperty("os.name") + "/" + System.getProperty("os.arch")
                    + "; build native/ yourself and set -D" + NativeLibrary.LIBRARY_PATH_PROPERTY);
        }
        URL url = loader == null ? null : loader.getResource(RESOURCE);
        if (url == null) {
            throw new FileNotFoundException(RESOURCE + " is not on the class path (add sparsekernels-native), and neither -D"
                    + NativeLibrary.LIBRARY_PATH_PROPERTY + " nor " + NativeLibrary.LIBRARY_PATH_ENV + " is set");
        }
        if ("file".equals(url.getProtocol())) {
            try {
                return Paths.get(url.toURI());
            } catch (URISyntaxException | IllegalArgumentException e) {
                // An odd file URL: fall through to copying it like a jar entry.
            }
        }
        return extract(url);
    }

    private static Path existing(String value, String source) throws FileNotFoundException {
        Path path = Paths.get(value);
        if (Files.isDirectory(path)) {
            path = path.resolve(LIBRARY_FILE);
        }
        if (!Files.isRegularFile(path)) {
            throw new FileNotFoundException(source + "=" + value + ": expected " + LIBRARY_FILE
                    + " or a directory holding it, but " + path + " does not exist");
        }
        return path.toAbsolutePath();
    }

    private static boolean isLinuxX8664() {
        String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
        String arch = System.getProperty("os.arch", "").toLowerCase(Locale.ROOT);
        return os.startsWith("linux") && (arch.equals("amd64") || arch.equals("x86_64"));
    }

    /** Copies a jar entry to a fresh temp dir; both are deleted on exit (the file is registered last, so it goes first). */
    private static Path extract(URL url) throws IOException {
        Path dir = Files.createTempDirectory("sparsekernels-");
        dir.toFile().deleteOnExit();
        Path file = dir.resolve(LIBRARY_FILE);
        file.toFile().deleteOnExit();
        try (InputStream in = url.openStream()) {
            Files.copy(in, file, StandardCopyOption.REPLACE_EXISTING);
        }
        return file;
    }
}
