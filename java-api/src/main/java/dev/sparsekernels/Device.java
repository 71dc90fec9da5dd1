package dev.sparsekernels;

import java.util.Locale;
import java.util.Objects;

/** Where a computation runs: the CPU, or one CUDA device by ordinal. */
public final class Device {
    private static final Device CPU = new Device(false, -1);

    private final boolean cuda;
    private final int ordinal;

    private Device(boolean cuda, int ordinal) {
        this.cuda = cuda;
        this.ordinal = ordinal;
    }

    public static Device cpu() {
        return CPU;
    }

    public static Device cuda(int ordinal) {
        if (ordinal < 0) {
            throw new IllegalArgumentException("cuda ordinal: expected >= 0 but got " + ordinal);
        }
        return new Device(true, ordinal);
    }

    /** Parses "cpu", "cuda" (ordinal 0) or "cuda:N". */
    public static Device parse(String text) {
        String t = text == null ? "" : text.trim().toLowerCase(Locale.ROOT);
        if (t.equals("cpu")) {
            return CPU;
        }
        if (t.equals("cuda")) {
            return cuda(0);
        }
        if (t.startsWith("cuda:")) {
            try {
                return cuda(Integer.parseInt(t.substring(5)));
            } catch (NumberFormatException e) {
                // fall through to the message below
            }
        }
        throw new IllegalArgumentException("device: expected cpu, cuda or cuda:N but got '" + text + "'");
    }

    public boolean isCuda() {
        return cuda;
    }

    public int ordinal() {
        return ordinal;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Device && ((Device) o).cuda == cuda && ((Device) o).ordinal == ordinal;
    }

    @Override
    public int hashCode() {
        return Objects.hash(cuda, ordinal);
    }

    @Override
    public String toString() {
        return cuda ? "cuda:" + ordinal : "cpu";
    }
}
