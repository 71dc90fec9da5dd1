package dev.sparsekernels.cli.demo;

import dev.sparsekernels.model.prune.Progress;
import java.io.PrintWriter;
import java.util.Locale;

/**
 * A text progress bar for the demo's long steps on stderr: redrawn in place (carriage return) at most 5 times a
 * second when a terminal is attached; otherwise (a log file, a test) only the finished line is written.
 */
final class ProgressBar implements Progress, AutoCloseable {
    private static final int WIDTH = 30;

    private final PrintWriter err;
    private final String label;
    private final long total;
    private final boolean interactive;
    private final long start = System.nanoTime();
    private long done;
    private long lastDraw;

    ProgressBar(PrintWriter err, String label, long total, boolean interactive) {
        this.err = err;
        this.label = label;
        this.total = Math.max(1, total);
        this.interactive = interactive;
    }

    @Override
    public void advance(long units) {
        done = Math.min(total, done + units);
        long now = System.nanoTime();
        if (interactive && now - lastDraw > 200_000_000L) {
            lastDraw = now;
            err.print("\r" + line());
            err.flush();
        }
    }

    String line() {
        int filled = (int) (WIDTH * done / total);
        return String.format(Locale.ROOT, "%-40s [%s%s] %3d%% %6.1f s", label, "#".repeat(filled),
                " ".repeat(WIDTH - filled), 100 * done / total, (System.nanoTime() - start) / 1e9);
    }

    @Override
    public void close() {
        done = total;
        err.println((interactive ? "\r" : "") + line());
        err.flush();
    }
}
