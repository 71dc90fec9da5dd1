package dev.sparsekernels.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.NoSuchFileException;
import org.junit.jupiter.api.Test;

/** Failures that commands cannot easily be made to throw still give one line and the right exit code. */
class FailuresTest {
    private String err;

    private int report(Throwable t, boolean verbose) {
        StringWriter w = new StringWriter();
        int code = Failures.report(t, verbose, new PrintWriter(w, true));
        err = w.toString();
        return code;
    }

    private void assertOneLine(String mention) {
        assertEquals(1, err.strip().split("\n").length, err);
        assertTrue(err.contains(mention), err);
        assertTrue(!err.contains("\tat "), err);
    }

    @Test
    void errorsGiveOneLineAndExitOne() {
        assertEquals(1, report(new OutOfMemoryError("Java heap space"), false));
        assertOneLine("out of memory (Java heap space)");
        assertEquals(1, report(new StackOverflowError(), false));
        assertOneLine("StackOverflowError (run with --verbose for details)");
        assertEquals(1, report(new NoClassDefFoundError("org/bytedeco/openblas/global/openblas"), false));
        assertOneLine("NoClassDefFoundError");
    }

    @Test
    void fileProblemsNameTheProblemNotOnlyThePath() {
        assertEquals(2, report(new NoSuchFileException("/x/w.npy"), false));
        assertOneLine("file not found: /x/w.npy");
        assertEquals(2, report(new FileAlreadyExistsException("/x/out"), false));
        assertOneLine("exists and is not a directory: /x/out");
        assertEquals(2, report(new UncheckedIOException(new NoSuchFileException("/y")), false));
        assertOneLine("file not found: /y");
    }

    @Test
    void multiLineMessagesAreJoinedIntoOne() {
        assertEquals(2, report(new IllegalArgumentException("first\nsecond\r\nthird"), false));
        assertOneLine("first second third");
    }

    @Test
    void verbosePrintsTheStackTraceAndStillTheLine() {
        assertEquals(1, report(new StackOverflowError(), true));
        assertTrue(err.contains("\tat "), err);
        assertTrue(err.strip().endsWith("error: java.lang.StackOverflowError"), err);
    }
}
