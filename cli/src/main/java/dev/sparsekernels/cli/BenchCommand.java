package dev.sparsekernels.cli;

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

@Command(name = "bench", mixinStandardHelpOptions = true,
        description = "Measures our kernels against peers (OpenBLAS on CPU) in this process.")
final class BenchCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--suite", defaultValue = "quick", description = "quick (under 3 minutes on 2 cores) or full.")
    String suite;

    @Option(names = "--json", description = "Also write the records as JSON to this file.")
    Path json;

    @Override
    public Integer call() throws Exception {
        Suite s = Suite.parse(suite);
        PrintWriter out = spec.commandLine().getOut();
        List<BenchRecord> records = BenchRunner.withDefaults(s, out).run();
        BenchRunner.printTable(records, out);
        if (json != null) {
            BenchRunner.writeJson(json, s, records);
            out.println("wrote " + records.size() + " records to " + json);
        }
        return 0;
    }
}
