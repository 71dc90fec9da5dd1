package dev.sparsekernels.bindings;

/** A non-zero status from an {@code sk_} function, with the library's {@code sk_last_error()} text. */
public final class NativeException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final String function;
    private final int status;
    private final String nativeMessage;

    public NativeException(String function, int status, String nativeMessage) {
        super(function + " failed with " + NativeStatus.name(status) + " (" + status + ")"
                + (nativeMessage == null || nativeMessage.isEmpty() ? "" : ": " + nativeMessage));
        this.function = function;
        this.status = status;
        this.nativeMessage = nativeMessage == null ? "" : nativeMessage;
    }

    /** The C function that failed, e.g. "sk_malloc". */
    public String function() {
        return function;
    }

    /** The {@link NativeStatus} code. */
    public int status() {
        return status;
    }

    /** The library's own description of the failure ("" if it gave none). */
    public String nativeMessage() {
        return nativeMessage;
    }
}
