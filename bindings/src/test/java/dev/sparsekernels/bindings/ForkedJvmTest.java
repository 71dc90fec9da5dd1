package dev.sparsekernels.bindings;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Runs {@link BindingsInfo} in a fresh JVM: NativeLibrary loads once per process, so settings that must break or
 * redirect that load (a bogus library path, a forced binding, another JDK) cannot be tried in the test JVM itself.
 */
class ForkedJvmTest {
    /** The Java 17 the project supports at the low end; override with -Dsparsekernels.test.jdk17=<java home>. */
    private static final Path JDK17 = Path.of(System.getProperty("sparsekernels.test.jdk17",
            "/usr/lib/jvm/java-17-openjdk-amd64"));

    private record Result(int exitCode, String output) {
    }

    private static Result run(Path javaHome, String... properties) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        command.add(javaHome.resolve("bin/java").toString());
        command.add("--enable-native-access=ALL-UNNAMED");
        for (String p : properties) {
            command.add("-D" + p);
        }
        command.add("-cp");
        command.add(System.getProperty("java.class.path"));
        command.add(BindingsInfo.class.getName());
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        byte[] out = process.getInputStream().readAllBytes();
        assertTrue(process.waitFor(60, TimeUnit.SECONDS), "forked JVM did not finish");
        return new Result(process.exitValue(), new String(out, StandardCharsets.UTF_8));
    }

    private static Path thisJava() {
        return Path.of(System.getProperty("java.home"));
    }

    @Test
    void aBogusLibraryPathMakesItUnavailableWithACause() throws Exception {
        Result r = run(thisJava(), "sparsekernels.library.path=/nonexistent/libsparsekernels.so");
        assertEquals(1, r.exitCode(), r.output());
        assertTrue(r.output().contains("available: false"), r.output());
        assertTrue(r.output().contains("sparsekernels.library.path=/nonexistent/libsparsekernels.so"), r.output());
    }

    @Test
    void aLibraryPathDirectoryIsUsed() throws Exception {
        Path dir = NativeLibrary.libraryPath().getParent();
        Result r = run(thisJava(), "sparsekernels.library.path=" + dir);
        assertEquals(0, r.exitCode(), r.output());
        assertTrue(r.output().contains("library: " + dir.resolve(LibraryLocator.LIBRARY_FILE)), r.output());
    }

    @Test
    void theBindingCanBeForced() throws Exception {
        Result r = run(thisJava(), "sparsekernels.binding=javacpp");
        assertEquals(0, r.exitCode(), r.output());
        assertTrue(r.output().contains("binding: javacpp"), r.output());
        Result bogus = run(thisJava(), "sparsekernels.binding=jni");
        assertEquals(1, bogus.exitCode(), bogus.output());
        assertTrue(bogus.output().contains("\"panama\" or \"javacpp\""), bogus.output());
    }

    /** The JavaCPP binding on the oldest supported JDK; forcing Panama there is unavailable with a clear cause. */
    @Test
    void javaCppRunsOnJava17AndPanamaIsRefusedThere() throws Exception {
        assumeTrue(Files.isExecutable(JDK17.resolve("bin/java")), "no JDK 17 at " + JDK17
                + " (set -Dsparsekernels.test.jdk17)");
        Result r = run(JDK17);
        assertEquals(0, r.exitCode(), r.output());
        assertTrue(r.output().contains("java: 17"), r.output());
        assertTrue(r.output().contains("binding: javacpp"), r.output());
        assertTrue(r.output().contains("deviceCount: "), r.output());
        Result panama = run(JDK17, "sparsekernels.binding=panama");
        assertEquals(1, panama.exitCode(), panama.output());
        assertTrue(panama.output().contains("needs Java 22+"), panama.output());
    }
}
