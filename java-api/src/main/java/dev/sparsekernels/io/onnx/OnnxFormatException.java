package dev.sparsekernels.io.onnx;

import java.io.IOException;

/**
 * An ONNX file could not be read: missing, truncated, malformed protobuf, or using a feature this reader does not
 * support (external data, sparse initializers).
 *
 * <p>An {@link IOException} so callers handle every failure of {@link OnnxModel#read} with one {@code catch}. The
 * message starts with the file (or stream) name, then where in the model the problem was found, then the problem, and
 * is meant to be shown to a user as is: one line, control characters in quoted names escaped as {@code \xNN}.
 */
public class OnnxFormatException extends IOException {
    private static final long serialVersionUID = 1L;

    private final String source;
    private final String problem;

    public OnnxFormatException(String source, String problem) {
        this(source, problem, null);
    }

    public OnnxFormatException(String source, String problem, Throwable cause) {
        super(source + ": " + printable(problem), cause);
        this.source = source;
        this.problem = printable(problem);
    }

    /** The file name or stream name the problem was found in. */
    public String source() {
        return source;
    }

    /** The problem (with its place in the model), without the source name. */
    public String problem() {
        return problem;
    }

    /**
     * {@code s} with control characters escaped as \xNN, as the .npy and .safetensors exceptions do: problems quote
     * names from the file, and a NUL, newline or escape sequence in one must not break the one-line message a CLI
     * prints, nor garble a terminal.
     */
    private static String printable(String s) {
        if (s == null || s.chars().noneMatch(OnnxFormatException::isControl)) {
            return s;
        }
        StringBuilder b = new StringBuilder(s.length() + 16);
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            b.append(isControl(c) ? String.format("\\x%02x", (int) c) : String.valueOf(c));
        }
        return b.toString();
    }

    private static boolean isControl(int c) {
        return c < 0x20 || (c >= 0x7f && c < 0xa0);
    }
}
