package dev.sparsekernels.cli.demo;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** What the demo says about the machine it measured on: CPU model and load (Linux /proc; NaN or "?" elsewhere). */
final class Machine {
    private Machine() {
    }

    /** The 1-minute load average, or NaN where /proc/loadavg is not readable. */
    static double loadAverage() {
        try {
            String s = Files.readString(Path.of("/proc/loadavg")).trim();
            return Double.parseDouble(s.split("\\s+")[0]);
        } catch (IOException | RuntimeException e) {
            return Double.NaN;
        }
    }

    /** e.g. "AMD EPYC, 2 cores"; the model name from /proc/cpuinfo where there is one. */
    static String cpu() {
        String name = "?";
        try {
            for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                if (line.startsWith("model name")) {
                    name = line.substring(line.indexOf(':') + 1).trim();
                    break;
                }
            }
        } catch (IOException | RuntimeException e) {
            name = System.getProperty("os.arch");
        }
        return name + ", " + Runtime.getRuntime().availableProcessors() + " cores";
    }
}
