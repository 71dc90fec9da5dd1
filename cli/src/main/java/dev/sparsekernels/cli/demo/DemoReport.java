package dev.sparsekernels.cli.demo;

import dev.sparsekernels.bench.Json;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** The demo's results as a console table, JSON (the schema of issue 7 plus context) and markdown. */
final class DemoReport {
    private DemoReport() {
    }

    static Map<String, Object> json(DemoResults r) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("model", r.model());
        m.put("device", r.device());
        Map<String, Object> d = new LinkedHashMap<>();
        d.put("cosine_vs_ort_min", r.dense().cosineVsOrtMin());
        d.put("cosine_vs_ort_mean", r.dense().cosineVsOrtMean());
        d.put("params", r.dense().params());
        d.put("sentences_per_s", r.dense().sentencesPerS());
        d.put("ort_sentences_per_s", r.dense().ortSentencesPerS());
        d.put("sentences_per_s_unpaired", r.dense().sentencesPerSUnpaired());
        d.put("allocated_mb_per_batch", r.dense().allocatedMbPerBatch());
        m.put("dense", d);
        List<Object> configs = new ArrayList<>();
        for (DemoResults.Config c : r.configs()) {
            Map<String, Object> cm = new LinkedHashMap<>();
            cm.put("name", c.name());
            cm.put("description", c.description());
            cm.put("cosine_mean", c.cosineMean());
            cm.put("cosine_min", c.cosineMin());
            cm.put("top1_agreement", c.top1Agreement());
            cm.put("params", c.params());
            cm.put("sentences_per_s", c.sentencesPerS());
            cm.put("sentences_per_s_unpaired", c.sentencesPerSUnpaired());
            cm.put("allocated_mb_per_batch", c.allocatedMbPerBatch());
            configs.add(cm);
        }
        m.put("configs", configs);
        Map<String, Object> setup = new LinkedHashMap<>();
        setup.put("baseline", r.baseline());
        setup.put("threads", r.threads());
        setup.put("batch", r.batch());
        setup.put("sequence_length", r.sequenceLength());
        setup.put("heldout_sentences", r.heldoutSentences());
        setup.put("calibration_sentences", r.calibrationSentences());
        setup.put("timing_rounds", r.rounds());
        setup.put("load_average_start", r.loadAverage()[0]);
        setup.put("load_average_end", r.loadAverage()[1]);
        setup.put("allocated_mb_per_batch_max", r.allocatedMbPerBatch());
        m.put("setup", setup);
        return m;
    }

    static void writeJson(Path file, DemoResults r) throws IOException {
        Path parent = file.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        Files.writeString(file, Json.write(json(r)), StandardCharsets.UTF_8);
    }

    /** The table rows: header, ONNX Runtime, our dense model, then each config. */
    static List<String[]> rows(DemoResults r) {
        double ort = r.dense().ortSentencesPerS();
        double dense = r.dense().sentencesPerS();
        List<String[]> rows = new ArrayList<>();
        rows.add(new String[] {"model", "cos mean", "cos min", "top-1", "params", "sent/s", "vs ORT", "vs dense"});
        rows.add(new String[] {"ONNX Runtime, dense", "-", "-", "-", millions(r.dense().params()), f1(ort), "1.00x",
            ratio(ort, dense)});
        rows.add(new String[] {"ours, dense", "1.0000", "1.0000", "100.0%", millions(r.dense().params()), f1(dense),
            ratio(dense, ort), "1.00x"});
        for (DemoResults.Config c : r.configs()) {
            rows.add(new String[] {c.name(), f4(c.cosineMean()), f4(c.cosineMin()),
                String.format(Locale.ROOT, "%.1f%%", 100 * c.top1Agreement()), millions(c.params()),
                f1(c.sentencesPerS()), ratio(c.sentencesPerS(), ort), ratio(c.sentencesPerS(), dense)});
        }
        return rows;
    }

    static void printTable(DemoResults r, PrintWriter out) {
        List<String[]> rows = rows(r);
        int[] w = new int[rows.get(0).length];
        for (String[] row : rows) {
            for (int i = 0; i < row.length; i++) {
                w[i] = Math.max(w[i], row[i].length());
            }
        }
        for (int k = 0; k < rows.size(); k++) {
            StringBuilder b = new StringBuilder();
            for (int i = 0; i < w.length; i++) {
                String cell = rows.get(k)[i];
                b.append(i == 0 ? String.format("%-" + w[i] + "s", cell) : String.format("  %" + w[i] + "s", cell));
            }
            out.println(b.toString().stripTrailing());
            if (k == 0) {
                out.println("-".repeat(b.length()));
            }
        }
    }

    static String markdown(DemoResults r) {
        StringBuilder b = new StringBuilder();
        b.append("# sparsekernels demo: ").append(r.model()).append("\n\n");
        b.append("Device: ").append(r.device()).append(".  \nBaseline: ").append(r.baseline()).append(".  \n");
        b.append(String.format(Locale.ROOT, "Quality: %d held-out sentences against our dense model (cosine of each"
                + " sentence's embeddings; top-1 = same nearest neighbour among the held-out set); pruning calibrated"
                + " on %d other sentences.  %nSpeed: batch %d x %d tokens, %d threads each, %d interleaved rounds"
                + " (ORT, config, ORT, config, ...): ORT's median; ours, ORT's times the median ratio of each config's"
                + " pairs (the plain medians are in the JSON, sentences_per_s_unpaired).  %n"
                + "Load average (1 min) at start and end: %.2f, %.2f.%n%n",
                r.heldoutSentences(), r.calibrationSentences(), r.batch(), r.sequenceLength(), r.threads(), r.rounds(),
                r.loadAverage()[0], r.loadAverage()[1]));
        List<String[]> rows = rows(r);
        for (int k = 0; k < rows.size(); k++) {
            b.append("| ").append(String.join(" | ", rows.get(k))).append(" |\n");
            if (k == 0) {
                b.append("|---".repeat(rows.get(0).length)).append("|\n");
            }
        }
        b.append(String.format(Locale.ROOT, "%nOurs vs ONNX Runtime on the same %d held-out sentences: min cosine"
                + " %.9f, mean %.9f.%n%n", r.heldoutSentences(), r.dense().cosineVsOrtMin(),
                r.dense().cosineVsOrtMean()));
        b.append("Configurations:\n\n");
        for (DemoResults.Config c : r.configs()) {
            b.append("- **").append(c.name()).append("**: ").append(c.description()).append('\n');
        }
        b.append("\n![quality against speed](").append(QualitySpeedChart.FILE).append(")\n");
        return b.toString();
    }

    static String f1(double v) {
        return String.format(Locale.ROOT, "%.1f", v);
    }

    static String f4(double v) {
        return String.format(Locale.ROOT, "%.4f", v);
    }

    static String ratio(double a, double b) {
        return String.format(Locale.ROOT, "%.2fx", a / b);
    }

    static String millions(long params) {
        return String.format(Locale.ROOT, "%.2fM", params / 1e6);
    }
}
