package dev.sparsekernels.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;

/**
 * Turns failures into one-line messages and exit codes: 2 for bad input (arguments, files), 1 for anything else,
 * Errors included (out of memory, a missing class on an old JDK), so that a user sees a sentence, never a stack trace
 * unless they ask with --verbose.
 */
final class Failures {
    private Failures() {
    }

    static int report(Throwable ex, boolean verbose, PrintWriter err) {
        if (verbose) {
            ex.printStackTrace(err);
        }
        Throwable t = ex instanceof UncheckedIOException && ex.getCause() != null ? ex.getCause() : ex;
        if (t instanceof FileSystemException) {
            err.println("error: " + oneLine(fileProblem((FileSystemException) t)));
            return Main.EXIT_BAD_INPUT;
        }
        if (t instanceof IllegalArgumentException || t instanceof IOException) {
            err.println("error: " + oneLine(t.getMessage() == null ? t.toString() : t.getMessage()));
            return Main.EXIT_BAD_INPUT;
        }
        if (t instanceof IllegalStateException && t.getMessage() != null) {
            err.println("error: " + oneLine(t.getMessage()));
            return 1;
        }
        if (t instanceof OutOfMemoryError) {
            err.println("error: out of memory (" + oneLine(String.valueOf(t.getMessage())) + "); give the JVM more"
                    + " with -Xmx or use smaller inputs");
            return 1;
        }
        err.println("error: " + oneLine(t.toString()) + (verbose ? "" : " (run with --verbose for details)"));
        return 1;
    }

    /** What went wrong with which file: the JDK's messages for these are often only the path. */
    private static String fileProblem(FileSystemException e) {
        String file = e.getFile();
        if (e instanceof NoSuchFileException) {
            return "file not found: " + file;
        }
        if (e instanceof AccessDeniedException) {
            return "permission denied: " + file;
        }
        if (e instanceof FileAlreadyExistsException) {
            return "exists and is not a directory: " + file;
        }
        if (e instanceof NotDirectoryException) {
            return "not a directory: " + file;
        }
        if (file == null || file.isEmpty()) { // the JDK's message would start with ": "
            return "'' (an empty path): " + (e.getReason() == null ? e.getClass().getSimpleName() : e.getReason());
        }
        return e.getMessage();
    }

    /** Messages may quote file contents or native text; the contract is one line. */
    static String oneLine(String s) {
        return s.replaceAll("[\\r\\n]+", " ").strip();
    }
}
