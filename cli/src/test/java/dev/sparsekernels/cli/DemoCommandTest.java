package dev.sparsekernels.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sparsekernels.io.JsonReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The demo end to end on the real model (in the test class path, as the launcher provides it), shrunk with the hidden
 * options so it takes seconds: 24 sentences, one timing round on a 2 x 16 batch, two distillation passes. Checks the JSON schema of issue 7,
 * the files written and the printed table; bad arguments exit 2 with one line.
 */
class DemoCommandTest extends CliHarness {
    @Test
    void aSmallRunWritesTheReportInTheIssuesSchema() throws Exception {
        Path json = dir.resolve("demo.json");
        Path report = dir.resolve("report");
        assertEquals(0, run("demo", "--sentences", "24", "--speed-batches", "1", "--batch", "2", "--seq", "16",
                "--distill", "2", "--json", json.toString(), "--out", report.toString()), err);

        Map<?, ?> root = (Map<?, ?>) JsonReader.parse(Files.readString(json));
        assertTrue(((String) root.get("model")).contains("all-MiniLM-L6-v2"), root.toString());
        assertTrue(((String) root.get("device")).startsWith("CPU"), root.toString());
        Map<?, ?> dense = (Map<?, ?>) root.get("dense");
        assertTrue(number(dense, "cosine_vs_ort_min") > 0.9999, "ours matches ONNX Runtime: " + dense);
        assertTrue(number(dense, "sentences_per_s") > 0, dense.toString());
        assertTrue(number(dense, "ort_sentences_per_s") > 0, dense.toString());
        long denseParams = ((Number) dense.get("params")).longValue();
        List<?> configs = (List<?>) root.get("configs");
        assertEquals(9, configs.size()); // the standard six, then three of them distilled
        int[][] baseAndDistilled = {{1, 6}, {3, 7}, {4, 8}};
        for (int[] pair : baseAndDistilled) {
            Map<?, ?> base = (Map<?, ?>) configs.get(pair[0]);
            Map<?, ?> distilled = (Map<?, ?>) configs.get(pair[1]);
            assertEquals(base.get("name") + " + distilled", distilled.get("name"));
            assertEquals(base.get("params"), distilled.get("params"), "distillation keeps the pruned weights' count");
            assertTrue(number(base, "cosine_mean") != number(distilled, "cosine_mean"), "training changed "
                    + distilled.get("name"));
        }
        for (Object o : configs) {
            Map<?, ?> c = (Map<?, ?>) o;
            String name = (String) c.get("name");
            assertTrue(out.contains(name), "table row for " + name);
            double mean = number(c, "cosine_mean");
            double min = number(c, "cosine_min");
            assertTrue(mean > 0 && mean < 1 && min <= mean, name + ": " + c);
            double top1 = number(c, "top1_agreement");
            assertTrue(top1 >= 0 && top1 <= 1, name + ": " + c);
            assertInstanceOf(Long.class, c.get("params"), name);
            assertTrue((Long) c.get("params") < denseParams, name + " keeps fewer parameters");
            assertTrue(number(c, "sentences_per_s") > 0, name + ": " + c);
        }
        assertEquals(Files.readString(json), Files.readString(report.resolve("report.json")));
        assertTrue(Files.readString(report.resolve("report.md")).contains("| ours, dense |"));
        byte[] png = Files.readAllBytes(report.resolve("quality-vs-speed.png"));
        assertEquals("PNG", new String(png, 1, 3, StandardCharsets.US_ASCII));
        assertTrue(out.contains("target: ours dense >= 0.8x ONNX Runtime"), out);
    }

    private static double number(Map<?, ?> m, String key) {
        Object v = m.get(key);
        assertInstanceOf(Number.class, v, key + " in " + m);
        return ((Number) v).doubleValue();
    }

    @Test
    void badArgumentsExitTwoWithOneLine() {
        String[][] bad = {
            {"demo", "--threads", "0"},
            {"demo", "--speed-batches", "0"},
            {"demo", "--sentences", "1"},
            {"demo", "--batch", "0"},
            {"demo", "--seq", "2"},
            {"demo", "--distill", "-1"},
            {"demo", "--threads", "two"},
            {"demo", "--no-such-option"},
        };
        for (String[] args : bad) {
            assertEquals(2, run(args), String.join(" ", args) + ": " + err);
            assertTrue(err.startsWith("error: "), err);
            assertEquals(1, err.strip().lines().count(), "one line: " + err);
            assertTrue(out.isEmpty(), "nothing started: " + out);
        }
    }
}
