package dev.sparsekernels.cli.demo;

import com.sun.management.HotSpotDiagnosticMXBean;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;

/**
 * Whether this JVM runs with the JIT flags the launcher sets ({@code ./sparsekernels}): no interpreter profiling and no
 * tier-2 detour, so that C2 compiles every CPU kernel from C1's full profile. Without them a kernel compiled from the
 * interpreter's profile kept its vectors boxed for the whole run in 4 demos of 10 (docs/reliability.md). A plain
 * {@code java -jar} runs without them; the demo then says so, as its speeds may be a slow mode's.
 */
final class JitFlags {
    /** The flags, as the launcher passes them. */
    static final String RECOMMENDED = "-XX:-ProfileInterpreter -XX:Tier3DelayOn=1000000";
    private static final long MIN_TIER3_DELAY_ON = 1000;

    private JitFlags() {
    }

    /** The recommended flags this JVM lacks; empty when it has them or is not HotSpot (nothing to say then). */
    static List<String> missing() {
        List<String> missing = new ArrayList<>();
        try {
            HotSpotDiagnosticMXBean hs = ManagementFactory.getPlatformMXBean(HotSpotDiagnosticMXBean.class);
            if (hs == null) {
                return missing;
            }
            if (Boolean.parseBoolean(hs.getVMOption("ProfileInterpreter").getValue())) {
                missing.add("-XX:-ProfileInterpreter");
            }
            if (Long.parseLong(hs.getVMOption("Tier3DelayOn").getValue()) < MIN_TIER3_DELAY_ON) {
                missing.add("-XX:Tier3DelayOn=1000000");
            }
        } catch (RuntimeException e) {
            // not HotSpot, or the options are named differently: nothing to advise
        }
        return missing;
    }
}
