package dev.sparsekernels.bindings;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.OutputStream;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Precedence and error messages of the library search, with explicit inputs (the loaded singleton is untouched). */
class LibraryLocatorTest {
    @TempDir
    Path tmp;

    private Path fakeLibrary(Path dir) throws IOException {
        Files.createDirectories(dir);
        return Files.write(dir.resolve(LibraryLocator.LIBRARY_FILE), new byte[] {1, 2, 3});
    }

    @Test
    void aBogusPropertyIsAnErrorNamingIt() {
        FileNotFoundException e = assertThrows(FileNotFoundException.class,
                () -> LibraryLocator.locate("/nonexistent/sk", null, getClass().getClassLoader()));
        assertTrue(e.getMessage().contains("-Dsparsekernels.library.path=/nonexistent/sk"), e::getMessage);
    }

    @Test
    void aBogusPropertyDoesNotFallBackToTheEnvironmentOrTheJar() throws IOException {
        Path good = fakeLibrary(tmp.resolve("good"));
        assertThrows(FileNotFoundException.class,
                () -> LibraryLocator.locate(tmp.resolve("missing").toString(), good.toString(), getClass().getClassLoader()));
    }

    @Test
    void aDirectoryMeansTheLibraryInsideIt() throws IOException {
        Path lib = fakeLibrary(tmp.resolve("dir"));
        assertEquals(lib.toAbsolutePath(), LibraryLocator.locate(tmp.resolve("dir").toString(), null, null));
        FileNotFoundException e = assertThrows(FileNotFoundException.class,
                () -> LibraryLocator.locate(tmp.toString(), null, null));
        assertTrue(e.getMessage().contains(LibraryLocator.LIBRARY_FILE), e::getMessage);
    }

    @Test
    void theEnvironmentIsUsedWhenThePropertyIsUnset() throws IOException {
        Path lib = fakeLibrary(tmp.resolve("env"));
        assertEquals(lib.toAbsolutePath(), LibraryLocator.locate("  ", lib.toString(), null));
        FileNotFoundException e = assertThrows(FileNotFoundException.class,
                () -> LibraryLocator.locate(null, "/nope", null));
        assertTrue(e.getMessage().contains("SPARSEKERNELS_LIBRARY_PATH=/nope"), e::getMessage);
    }

    @Test
    void noResourceNamesWhatIsMissing() {
        ClassLoader empty = new URLClassLoader(new URL[0], null);
        FileNotFoundException e = assertThrows(FileNotFoundException.class,
                () -> LibraryLocator.locate(null, null, empty));
        assertTrue(e.getMessage().contains(LibraryLocator.RESOURCE) && e.getMessage().contains("sparsekernels-native"),
                e::getMessage);
    }

    @Test
    void aJarResourceIsExtractedToARealFile() throws IOException {
        Path jar = tmp.resolve("native.jar");
        byte[] content = {0x7f, 'E', 'L', 'F', 42};
        try (OutputStream out = Files.newOutputStream(jar); JarOutputStream jos = new JarOutputStream(out)) {
            jos.putNextEntry(new JarEntry(LibraryLocator.RESOURCE));
            jos.write(content);
            jos.closeEntry();
        }
        try (URLClassLoader loader = new URLClassLoader(new URL[] {jar.toUri().toURL()}, null)) {
            Path extracted = LibraryLocator.locate(null, null, loader);
            assertEquals(LibraryLocator.LIBRARY_FILE, extracted.getFileName().toString());
            assertNotEquals(jar.getParent(), extracted.getParent());
            assertArrayEquals(content, Files.readAllBytes(extracted));
            Files.delete(extracted); // what deleteOnExit would do; keeps the temp dir clean during the build
            Files.delete(extracted.getParent());
        }
    }

    @Test
    void aPlainFileResourceIsUsedInPlace() throws IOException {
        Path root = tmp.resolve("classes");
        Path lib = fakeLibrary(root.resolve("META-INF/native/linux-x86_64"));
        try (URLClassLoader loader = new URLClassLoader(new URL[] {root.toUri().toURL()}, null)) {
            assertEquals(lib.toRealPath(), LibraryLocator.locate(null, null, loader).toRealPath());
        }
    }
}
