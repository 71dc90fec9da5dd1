package dev.sparsekernels.io.onnx;

import java.io.IOException;

/**
 * An ONNX file could not be read: missing, truncated, malformed protobuf, or using a feature this reader does not
 * support (external data, sparse initializers).
 *
 * <p>An {@link IOException} so callers handle every failure of {@link OnnxModel#read} with one {@code catch}. The
 * message starts with the file (or stream) name, then where in the model the problem was found, then the problem, and
 * is meant to be shown to a user as is.
 */
public class OnnxFormatException extends IOException {
    private static final long serialVersionUID = 1L;

    private final String source;
    private final String problem;

    public OnnxFormatException(String source, String problem) {
        this(source, problem, null);
    }

    public OnnxFormatException(String source, String problem, Throwable cause) {
        super(source + ": " + problem, cause);
        this.source = source;
        this.problem = problem;
    }

    /** The file name or stream name the problem was found in. */
    public String source() {
        return source;
    }

    /** The problem (with its place in the model), without the source name. */
    public String problem() {
        return problem;
    }
}
