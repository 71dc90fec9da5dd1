package dev.sparsekernels.model.text;

import java.io.IOException;

/**
 * A tokenizer.json could not be used: missing, not JSON, malformed, or configuring a tokenizer this reader does not
 * implement (anything but a BERT WordPiece pipeline). The message starts with the file (or stream) name, then the
 * problem, and is meant to be shown to a user as is.
 */
public class TokenizerFormatException extends IOException {
    private static final long serialVersionUID = 1L;

    private final String source;
    private final String problem;

    public TokenizerFormatException(String source, String problem) {
        this(source, problem, null);
    }

    public TokenizerFormatException(String source, String problem, Throwable cause) {
        super(source + ": " + problem, cause);
        this.source = source;
        this.problem = problem;
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
