package dev.sparsekernels.cli.demo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class JitFlagsTest {
    @Test
    void namesExactlyTheRecommendedFlagsThisJvmWasNotGiven() {
        List<String> args = ManagementFactory.getRuntimeMXBean().getInputArguments();
        List<String> missing = JitFlags.missing();
        // surefire's JVM normally runs with the defaults (both missing); whichever way it runs, the check must agree
        assertEquals(!args.contains("-XX:-ProfileInterpreter"), missing.contains("-XX:-ProfileInterpreter"),
                "args " + args + ", missing " + missing);
        boolean delayGiven = args.stream().anyMatch(a -> a.startsWith("-XX:Tier3DelayOn=")
                && Long.parseLong(a.substring(a.indexOf('=') + 1)) >= 1000);
        assertEquals(!delayGiven, missing.contains("-XX:Tier3DelayOn=1000000"), "args " + args);
    }

    @Test
    void theLauncherPassesTheFlagsTheDemoRecommends() throws Exception {
        // surefire runs in the cli module; the launcher is at the repository root
        String launcher = Files.readString(Path.of("..", "sparsekernels"));
        assertTrue(launcher.contains(JitFlags.RECOMMENDED), "./sparsekernels lacks " + JitFlags.RECOMMENDED);
    }
}
