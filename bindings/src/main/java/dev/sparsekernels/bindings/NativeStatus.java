package dev.sparsekernels.bindings;

/** The {@code SK_} status codes of sparsekernels.h; keep in step with the header. */
public final class NativeStatus {
    public static final int OK = 0;
    /** A null pointer, a bad size or dtype: nothing was touched. */
    public static final int ERR_INVALID_ARGUMENT = 1;
    /** No usable CUDA device or driver. */
    public static final int ERR_NO_DEVICE = 2;
    /** A CUDA call failed; the last error carries cudaGetErrorString. */
    public static final int ERR_CUDA = 3;
    /** Built without CUDA, or a shape/dtype this kernel does not take. */
    public static final int ERR_UNSUPPORTED = 4;
    /** A matrix that should be 2:4 is not. */
    public static final int ERR_NOT_2_4 = 5;

    private NativeStatus() {
    }

    /** The C macro name of a status, e.g. "SK_ERR_NO_DEVICE", or "SK_UNKNOWN(42)". */
    public static String name(int status) {
        switch (status) {
            case OK: return "SK_OK";
            case ERR_INVALID_ARGUMENT: return "SK_ERR_INVALID_ARGUMENT";
            case ERR_NO_DEVICE: return "SK_ERR_NO_DEVICE";
            case ERR_CUDA: return "SK_ERR_CUDA";
            case ERR_UNSUPPORTED: return "SK_ERR_UNSUPPORTED";
            case ERR_NOT_2_4: return "SK_ERR_NOT_2_4";
            default: return "SK_UNKNOWN(" + status + ")";
        }
    }
}
