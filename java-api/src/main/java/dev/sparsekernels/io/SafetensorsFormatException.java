package dev.sparsekernels.io;

import java.io.IOException;

/**
 * A {@code .safetensors} file could not be read (missing, truncated, malformed header, unsupported dtype, offsets that
 * do not fit) or tensors could not be written in the format. Like {@link NpyFormatException}, the message starts with
 * the file name followed by the problem, and is meant to be shown to a user as is.
 */
public class SafetensorsFormatException extends IOException {
    private static final long serialVersionUID = 1L;

    private final String source;
    private final String problem;

    public SafetensorsFormatException(String source, String problem) {
        this(source, problem, null);
    }

    public SafetensorsFormatException(String source, String problem, Throwable cause) {
        super(source + ": " + Messages.printable(problem), cause);
        this.source = source;
        this.problem = Messages.printable(problem);
    }

    /** The file name the problem was found in. */
    public String source() {
        return source;
    }

    /** The problem, without the file name. */
    public String problem() {
        return problem;
    }
}
