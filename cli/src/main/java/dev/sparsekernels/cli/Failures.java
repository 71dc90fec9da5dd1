package dev.sparsekernels.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.NoSuchFileException;

/** Turns exceptions into one-line messages and exit codes: 2 for bad input, 1 for anything else. */
final class Failures {
    private Failures() {
    }

    static int report(Exception ex, boolean verbose, PrintWriter err) {
        if (verbose) {
            ex.printStackTrace(err);
        }
        if (ex instanceof NoSuchFileException) {
            err.println("error: file not found: " + ex.getMessage());
            return Main.EXIT_BAD_INPUT;
        }
        if (ex instanceof IllegalArgumentException || ex instanceof IOException) {
            err.println("error: " + ex.getMessage());
            return Main.EXIT_BAD_INPUT;
        }
        if (ex instanceof IllegalStateException) {
            err.println("error: " + ex.getMessage());
            return 1;
        }
        err.println("error: " + ex + (verbose ? "" : " (run with --verbose for details)"));
        return 1;
    }
}
