package dev.sparsekernels.bench.peers;

import java.nio.FloatBuffer;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.openblas.global.openblas;

/**
 * Peer: OpenBLAS (via {@code org.bytedeco:openblas}) computing the same {@code Y[tokens, out] = X · Wᵀ + b} as our
 * CPU kernels (PyTorch {@code nn.Linear} convention, row-major).
 *
 * <p>Fair by construction: X, W, b and Y live in off-heap buffers allocated once in the constructor and filled once
 * ({@link #setInput}, {@link #setWeights}, {@link #setBias}); {@link #run()} is what a benchmark times and copies no
 * Java arrays. {@link #run()} includes the bias: it first broadcasts b into every row of Y (a bulk copy, or zeros
 * when there is no bias) and then calls {@code cblas_sgemm} (or {@code cblas_sgemv} when tokens == 1) with
 * beta = 1, so Y = X·Wᵀ + b comes out of the call, as it does from ours. OpenBLAS's thread count is set to the
 * requested one before every call ({@code openblas_set_num_threads}, a global setting).
 *
 * <p>Optional at run time: {@link #isAvailable()} / {@link #unavailabilityCause()} report a missing jar or native
 * library instead of throwing.
 */
public final class OpenBlasSgemm implements AutoCloseable {
    private static final String CAUSE;

    static {
        String cause = null;
        try {
            openblas.blas_get_num_threads(); // loads the native library
            new FloatPointer(1).close();     // and JavaCPP's own (org.bytedeco:javacpp:<platform> on the class path)
        } catch (UnsatisfiedLinkError | NoClassDefFoundError | ExceptionInInitializerError e) {
            cause = e.toString();
        } catch (RuntimeException e) {
            cause = e + (e.getCause() != null ? " (" + e.getCause() + ")" : "");
        }
        CAUSE = cause;
    }

    /** True when the OpenBLAS classes and native library load. */
    public static boolean isAvailable() {
        return CAUSE == null;
    }

    /** Why OpenBLAS is unusable, or null when it is available. */
    public static String unavailabilityCause() {
        return CAUSE;
    }

    private final int tokens, in, out, threads;
    private final FloatPointer x, w, bias, y;
    private boolean hasBias;
    private boolean closed;

    /** Allocates off-heap X [tokens, in], W [out, in], b [out], Y [tokens, out]. */
    public OpenBlasSgemm(int tokens, int in, int out, int threads) {
        if (!isAvailable()) {
            throw new IllegalStateException("OpenBLAS unavailable: " + CAUSE);
        }
        if (tokens < 1 || in < 1 || out < 1 || threads < 1) {
            throw new IllegalArgumentException("tokens, in, out, threads: expected >= 1, got " + tokens + ", " + in
                    + ", " + out + ", " + threads);
        }
        this.tokens = tokens;
        this.in = in;
        this.out = out;
        this.threads = threads;
        this.x = new FloatPointer((long) tokens * in);
        this.w = new FloatPointer((long) out * in);
        this.bias = new FloatPointer(out);
        this.y = new FloatPointer((long) tokens * out);
    }

    public void setInput(float[] xs) {
        check("x", xs.length, (long) tokens * in);
        x.put(xs, 0, xs.length);
    }

    public void setWeights(float[] ws) {
        check("w", ws.length, (long) out * in);
        w.put(ws, 0, ws.length);
    }

    /** b [out], or null for no bias. */
    public void setBias(float[] b) {
        if (b == null) {
            hasBias = false;
            bias.fill(0);
            return;
        }
        check("bias", b.length, out);
        bias.put(b, 0, b.length);
        hasBias = true;
    }

    /** Y = X·Wᵀ + b in the off-heap buffers (the timed part). */
    public void run() {
        if (closed) {
            throw new IllegalStateException("closed");
        }
        openblas.blas_set_num_threads(threads);
        FloatBuffer yb = y.asBuffer();
        if (hasBias) {
            FloatBuffer bb = bias.asBuffer();
            for (int t = 0; t < tokens; t++) {
                yb.put(t * out, bb, 0, out);
            }
        } else {
            y.zero();
        }
        if (tokens == 1) {
            openblas.cblas_sgemv(openblas.CblasRowMajor, openblas.CblasNoTrans, out, in, 1f, w, in, x, 1, 1f, y, 1);
        } else {
            openblas.cblas_sgemm(openblas.CblasRowMajor, openblas.CblasNoTrans, openblas.CblasTrans, tokens, out, in,
                    1f, x, in, w, in, 1f, y, out);
        }
    }

    public void getOutput(float[] ys) {
        check("y", ys.length, (long) tokens * out);
        y.get(ys, 0, ys.length);
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            x.close();
            w.close();
            bias.close();
            y.close();
        }
    }

    private static void check(String name, int actual, long expected) {
        if (actual != expected) {
            throw new IllegalArgumentException(name + ".length: expected " + expected + ", got " + actual);
        }
    }
}
