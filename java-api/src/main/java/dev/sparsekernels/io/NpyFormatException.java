package dev.sparsekernels.io;

import java.io.IOException;

/**
 * A {@code .npy} file could not be read (missing, truncated, malformed, or using a feature this reader does not
 * support) or an array could not be written in the format.
 *
 * <p>It is an {@link IOException} so that callers handle every failure of {@link Npy#read} and {@link Npy#write}
 * with one {@code catch}. The message always starts with the file (or stream) name followed by the problem, and
 * is meant to be shown to a user as is, without a stack trace.
 */
public class NpyFormatException extends IOException {
    private static final long serialVersionUID = 1L;

    private final String source;
    private final String problem;

    public NpyFormatException(String source, String problem) {
        this(source, problem, null);
    }

    public NpyFormatException(String source, String problem, Throwable cause) {
        super(source + ": " + Messages.printable(problem), cause);
        this.source = source;
        this.problem = Messages.printable(problem);
    }

    /** The file name or stream name the problem was found in. */
    public String source() {
        return source;
    }

    /** The problem, without the source name. */
    public String problem() {
        return problem;
    }
}
