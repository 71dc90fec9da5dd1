package dev.sparsekernels.bench;

import dev.sparsekernels.backend.BackendSelector;
import dev.sparsekernels.backend.CpuBackend;
import dev.sparsekernels.bench.peers.OpenBlasSgemm;
import dev.sparsekernels.cpu.CpuVectorization;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The bench runner behind `sparsekernels bench`: runs a suite, prints a table and writes JSON records. Every ratio
 * compares two implementations timed in this process, one after the other, on the same inputs.
 */
public final class BenchRunner {
    private final Suite suite;
    private final int threads;
    private final PrintWriter out;

    public BenchRunner(Suite suite, int threads, PrintWriter out) {
        this.suite = suite;
        this.threads = threads;
        this.out = out;
    }

    public static BenchRunner withDefaults(Suite suite, PrintWriter out) {
        return new BenchRunner(suite, CpuBackend.defaultThreads(), out);
    }

    public List<BenchRecord> run() {
        List<BenchRecord> records = new ArrayList<>();
        String peerMissing = OpenBlasSgemm.isAvailable() ? null
                : "none: OpenBLAS not on the class path (" + OpenBlasSgemm.unavailabilityCause() + ")";
        if (peerMissing != null) {
            out.println("note: " + peerMissing + "; run through ./sparsekernels to measure against it");
        }
        out.println("cpu: " + threads + " threads, " + CpuVectorization.describe() + "; buffers "
                + CpuVectorization.bufferPlacement());
        // A progress line rewritten in place only on a terminal; logs get one line per case instead.
        boolean terminal = System.console() != null;
        for (int[] shape : suite.gemmShapes) {
            records.addAll(CpuGemmCases.run(shape, threads, suite.budgetMs, OpenBlasPeer::new, peerMissing,
                    msg -> {
                        if (terminal) {
                            out.print("\r  " + msg + "                    ");
                            out.flush();
                        }
                        return null;
                    }));
            out.print(terminal ? "\r" : "");
            out.println("  gemm " + shape[0] + "x" + shape[1] + "x" + shape[2] + " done");
        }
        if (!suite.bsrCases.isEmpty()) {
            int[] shape = Suite.BSR_SHAPE;
            records.addAll(CpuGemmCases.runBsr(shape, suite.bsrCases, threads, suite.budgetMs, OpenBlasPeer::new,
                    peerMissing, msg -> {
                        if (terminal) {
                            out.print("\r  " + msg + "                    ");
                            out.flush();
                        }
                        return null;
                    }));
            out.print(terminal ? "\r" : "");
            out.println("  bsr " + shape[0] + "x" + shape[1] + "x" + shape[2] + " done");
        }
        if (!suite.mlpKeeps.isEmpty()) {
            int[] shape = Suite.MLP_SHAPE;
            records.addAll(MlpCases.run(shape, suite.mlpKeeps, threads, suite.budgetMs, msg -> {
                if (terminal) {
                    out.print("\r  " + msg + "                    ");
                    out.flush();
                }
                return null;
            }));
            out.print(terminal ? "\r" : "");
            out.println("  mlp " + shape[0] + "x" + shape[1] + "x" + shape[2] + "x" + shape[3] + " done");
        }
        for (int[] shape : suite.attentionShapes) {
            records.addAll(AttentionCases.run(shape, threads, suite.budgetMs, msg -> {
                if (terminal) {
                    out.print("\r  " + msg + "                    ");
                    out.flush();
                }
                return null;
            }));
            out.print(terminal ? "\r" : "");
            out.println("  attention " + shape[0] + "x" + shape[1] + "x" + shape[2] + "x" + shape[3] + " done");
        }
        String whyNoCuda = BackendSelector.cudaUnavailableReason();
        if (whyNoCuda != null) {
            out.println("cuda: skipped (" + whyNoCuda + ")");
        } else {
            out.println("cuda: device present; GPU cases run from ci/gpu-check.sh (device-resident timing)");
        }
        return records;
    }

    public static void printTable(List<BenchRecord> records, PrintWriter out) {
        out.println(String.format("%-9s %-10s %-7s %-6s %-22s %-5s %10s %-15s %10s %8s", "op", "fmt/mask", "dens/kp",
                "device", "shape", "dtype", "ours ms", "peer", "peer ms", "speedup"));
        for (BenchRecord r : records) {
            String shape = r.shape.containsKey("lq")
                    ? r.shape.get("batch") + "," + r.shape.get("heads") + "," + r.shape.get("lq") + ","
                            + r.shape.get("lk") + "," + r.shape.get("d")
                    : r.shape.get("tokens") + "," + r.shape.get("in") + ","
                            + (r.shape.containsKey("hidden") ? r.shape.get("hidden") + "," : "") + r.shape.get("out");
            out.println(String.format("%-9s %-10s %-7s %-6s %-22s %-5s %10.3f %-15s %10s %8s", r.op,
                    r.mask != null ? r.mask : r.format,
                    r.density != null ? String.format("%.3f", r.density)
                            : r.keep != null ? String.format("%.3f", r.keep) : "-",
                    r.device, shape, r.dtype, r.oursMs, r.peer.startsWith("none") ? "none" : r.peer,
                    r.peerMs == null ? "-" : String.format("%.3f", r.peerMs),
                    r.peerMs == null ? "-" : String.format("%.2fx", r.speedup())));
        }
    }

    public static void writeJson(Path file, Suite suite, List<BenchRecord> records) throws IOException {
        Map<String, Object> doc = new LinkedHashMap<>();
        doc.put("suite", suite.name().toLowerCase(java.util.Locale.ROOT));
        doc.put("date", LocalDate.now().toString());
        doc.put("java", System.getProperty("java.version"));
        doc.put("cpu_threads", Runtime.getRuntime().availableProcessors());
        doc.put("vector_api", CpuVectorization.describe());
        doc.put("cpu_buffers", CpuVectorization.bufferPlacement());
        List<Object> list = new ArrayList<>();
        for (BenchRecord r : records) {
            list.add(r.toMap());
        }
        doc.put("records", list);
        Path parent = file.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        Files.writeString(file, Json.write(doc), StandardCharsets.UTF_8);
    }
}
