package dev.sparsekernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Native memory stays flat over 100,000 create/close cycles of tensors and of each sparse format, and unclosed objects
 * are freed by their Cleaner and reported once. Runs {@link ResourceCycles} in a fresh JVM (its counts must not see
 * other tests' garbage) and checks the figures it prints; the first lines of the report are in docs/reliability.md.
 */
class ResourceLeaksTest {
    private static Map<String, Long> figures;
    private static String stderr;

    @BeforeAll
    static void runCycles() throws IOException, InterruptedException {
        Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx256m",
                "-cp", System.getProperty("java.class.path"), ResourceCycles.class.getName()).start();
        byte[] err = p.getErrorStream().readAllBytes(); // small: one log record expected
        byte[] out = p.getInputStream().readAllBytes();
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "forked JVM did not finish");
        stderr = new String(err, StandardCharsets.UTF_8);
        String stdout = new String(out, StandardCharsets.UTF_8);
        assertEquals(0, p.exitValue(), stdout + stderr);
        figures = new HashMap<>();
        for (String line : stdout.split("\n")) {
            String[] kv = line.split("=");
            figures.put(kv[0], Long.parseLong(kv[1].trim()));
        }
        System.out.println("ResourceCycles: " + figures); // the figures quoted in docs/reliability.md
    }

    @Test
    void createCloseCyclesLeaveTheCountersWhereTheyWere() {
        assertEquals(figures.get("tensors_before"), figures.get("tensors_after"), "open tensors");
        assertEquals(figures.get("tensor_bytes_before"), figures.get("tensor_bytes_after"), "open tensor bytes");
        assertEquals(figures.get("matrices_before"), figures.get("matrices_after"), "open matrices");
        assertEquals(0, figures.get("collected_unclosed_after_cycles"), "closed objects must not count as leaked");
        assertTrue(figures.get("max_open_during_cycles") >= 1, "the counters did count the open objects");
    }

    @Test
    void createCloseCyclesKeepDirectMemoryFlat() {
        long growth = figures.get("direct_after") - figures.get("direct_before");
        assertTrue(growth <= 1 << 20, () -> "direct memory grew by " + growth + " bytes over "
                + ResourceCycles.CYCLES + " cycles");
    }

    @Test
    void unclosedObjectsAreFreedByTheCleanerAndCounted() {
        assertEquals(figures.get("tensors_before") + ResourceCycles.LEAKED, figures.get("open_tensors_while_leaked"),
                "the dropped tensors were open until collected");
        assertEquals(2L * ResourceCycles.LEAKED, figures.get("collected_unclosed"), "collected without close");
        assertEquals(figures.get("tensors_before"), figures.get("tensors_after_gc"));
        assertEquals(figures.get("tensor_bytes_before"), figures.get("tensor_bytes_after_gc"));
        assertEquals(figures.get("matrices_before"), figures.get("matrices_after_gc"));
    }

    @Test
    void theFirstUnclosedObjectIsReportedOnceAndNoMore() {
        List<String> reports = stderr.lines().filter(l -> l.contains("was never closed")).toList();
        assertEquals(1, reports.size(), stderr);
        assertTrue(reports.get(0).contains("sparsekernels: a tensor [4, 4] f32 (64 bytes)")
                || reports.get(0).contains("sparsekernels: a block-sparse matrix"), reports.get(0));
    }
}
