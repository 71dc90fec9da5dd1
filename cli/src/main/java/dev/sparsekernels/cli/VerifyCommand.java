package dev.sparsekernels.cli;

import dev.sparsekernels.Kernels;
import dev.sparsekernels.check.TwinCheck;
import java.io.PrintWriter;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** GPU hosts: every kernel against its CPU twin, a PASS/FAIL line per case; exit 1 on any failure. */
@Command(name = "verify", mixinStandardHelpOptions = true,
        description = "Compares every kernel on a device with its CPU twin (PASS/FAIL per case).")
final class VerifyCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--device", defaultValue = "cuda", description = "The device to check (cuda or cuda:N).")
    String device;

    @Option(names = "--seed", defaultValue = "20261126", description = "Random seed of the inputs.")
    long seed;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        String d = device == null ? "" : device.trim().toLowerCase(java.util.Locale.ROOT);
        // the CPU twin against itself would pass every case and prove nothing; auto may pick the CPU too
        if (!d.equals("cuda") && !d.startsWith("cuda:")) {
            throw new IllegalArgumentException("--device: expected cuda or cuda:N (the device whose kernels are"
                    + " checked against the CPU twin) but got '" + device + "'");
        }
        try (Kernels dev = Backends.open(device); Kernels cpu = Kernels.cpu()) {
            out.println("device: " + dev.describe());
            List<TwinCheck.Result> results = TwinCheck.run(dev, cpu, seed);
            long failed = 0;
            for (TwinCheck.Result r : results) {
                out.println(r);
                failed += r.pass ? 0 : 1;
            }
            out.println(failed == 0 ? "verify: all " + results.size() + " cases PASS"
                    : "verify: " + failed + " of " + results.size() + " cases FAIL");
            return failed == 0 ? 0 : 1;
        }
    }
}
