package dev.sparsekernels.cli;

import dev.sparsekernels.Kernels;
import java.util.Locale;

/** --device values to backends. */
final class Backends {
    private Backends() {
    }

    static Kernels open(String device) {
        String d = device == null ? "auto" : device.trim().toLowerCase(Locale.ROOT);
        if (d.equals("auto")) {
            return Kernels.auto();
        }
        if (d.equals("cpu")) {
            return Kernels.cpu();
        }
        if (d.equals("cuda")) {
            return Kernels.cuda();
        }
        if (d.startsWith("cuda:")) {
            try {
                return Kernels.cuda(Integer.parseInt(d.substring(5)));
            } catch (NumberFormatException e) {
                // fall through
            }
        }
        throw new IllegalArgumentException("--device: expected auto, cpu, cuda or cuda:N but got '" + device + "'");
    }
}
