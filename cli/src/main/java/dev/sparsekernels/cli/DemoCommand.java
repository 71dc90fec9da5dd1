package dev.sparsekernels.cli;

import dev.sparsekernels.Kernels;
import dev.sparsekernels.bench.BenchRecord;
import dev.sparsekernels.bench.BenchRunner;
import dev.sparsekernels.bench.Suite;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** The main job for now: the quick bench with a readable summary (a pruned real model comes with issue 7). */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = "Runs the quick benchmark suite and summarises what 2:4 sparsity buys here.")
final class DemoCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--json", description = "Also write the bench records as JSON to this file.")
    Path json;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        try (Kernels k = Kernels.auto()) {
            out.println("backend: " + k.describe());
        }
        out.println("Timing dense, 2:4 and block-sparse GEMM (Y = X·Wᵀ + b, W 4096x4096) against OpenBLAS sgemm...");
        List<BenchRecord> records = BenchRunner.withDefaults(Suite.QUICK, out).run();
        BenchRunner.printTable(records, out);
        if (json != null) {
            BenchRunner.writeJson(json, Suite.QUICK, records);
        }
        out.println();
        out.println("Summary:");
        for (BenchRecord r : records) {
            if (r.peerMs == null) {
                continue;
            }
            out.println(String.format("  tokens=%-5s %-34s is %.2fx %s than %s dense", r.shape.get("tokens"),
                    label(r), r.speedup() >= 1 ? r.speedup() : 1 / r.speedup(),
                    r.speedup() >= 1 ? "faster" : "slower", r.peer));
        }
        return 0;
    }

    private static String label(BenchRecord r) {
        if (r.format.equals("dense")) {
            return "our dense GEMM";
        }
        if (r.format.equals("2:4")) {
            return "2:4 sparse GEMM";
        }
        return r.format + " GEMM" + (r.density == null ? "" : String.format(" at density %.2f", r.density));
    }
}
