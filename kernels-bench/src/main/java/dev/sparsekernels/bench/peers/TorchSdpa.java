package dev.sparsekernels.bench.peers;

import org.bytedeco.javacpp.BoolPointer;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.pytorch.DoubleOptional;
import org.bytedeco.pytorch.InferenceMode;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptional;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch;

/**
 * Peer: libtorch's CPU {@code scaled_dot_product_attention} (via {@code org.bytedeco:pytorch}) on the same F32
 * Q [B, H, Lq, D], K and V [B, H, Lk, D] as our {@code FlashAttention}, with no mask, {@code is_causal} or a dense
 * boolean mask broadcast over the batch ([1, H, Lq, Lk], true = may attend, our convention and torch's).
 *
 * <p>Fair by construction: inputs live in off-heap buffers wrapped once by {@code from_blob} (no copies per call);
 * {@link #run()}, what a benchmark times, is one SDPA call under {@code InferenceMode} (no autograd bookkeeping) with
 * libtorch's intra-op thread count set to ours. Torch's causal mask is aligned top-left, ours bottom-right; they agree
 * when Lq == Lk, the only shape the bench uses ({@link #TorchSdpa} refuses others with a causal mask).
 *
 * <p>Optional at run time, like OpenBLAS: {@link #isAvailable()} / {@link #unavailabilityCause()}.
 */
public final class TorchSdpa implements AutoCloseable {
    private static final String CAUSE;

    static {
        String cause = null;
        try {
            torch.get_num_threads(); // loads libtorch (extracted from the platform jar on first use)
        } catch (UnsatisfiedLinkError | NoClassDefFoundError | ExceptionInInitializerError e) {
            cause = e.toString();
        } catch (RuntimeException e) {
            cause = e + (e.getCause() != null ? " (" + e.getCause() + ")" : "");
        }
        CAUSE = cause;
    }

    /** True when the libtorch classes and native libraries load. */
    public static boolean isAvailable() {
        return CAUSE == null;
    }

    /** Why libtorch is unusable, or null when it is available. */
    public static String unavailabilityCause() {
        return CAUSE;
    }

    private final int threads;
    private final boolean causal;
    private final double scale;
    private final FloatPointer qp, kp, vp;
    private final BoolPointer maskp;
    private final Tensor q, k, v, mask;
    private final long outElements;
    private Tensor out;
    private boolean closed;

    /**
     * Copies the inputs off-heap once.
     *
     * @param mask null, or booleans [heads, lq, lk] (broadcast over the batch)
     */
    public TorchSdpa(float[] qd, float[] kd, float[] vd, int batch, int heads, int lq, int lk, int d, boolean causal,
                     boolean[] mask, double scale, int threads) {
        if (!isAvailable()) {
            throw new IllegalStateException("libtorch unavailable: " + CAUSE);
        }
        if (batch < 1 || heads < 1 || lq < 1 || lk < 1 || d < 1 || threads < 1) {
            throw new IllegalArgumentException("batch, heads, lq, lk, d, threads: expected >= 1, got " + batch + ", "
                    + heads + ", " + lq + ", " + lk + ", " + d + ", " + threads);
        }
        if (causal && lq != lk) {
            throw new IllegalArgumentException("causal: torch aligns top-left and we align bottom-right; expected lq == lk,"
                    + " got " + lq + " and " + lk);
        }
        long qn = (long) batch * heads * lq * d, kn = (long) batch * heads * lk * d;
        check("q", qd, qn);
        check("k", kd, kn);
        check("v", vd, kn);
        if (mask != null) {
            check("mask", mask.length, (long) heads * lq * lk);
        }
        this.threads = threads;
        this.causal = causal;
        this.scale = scale;
        this.outElements = qn;
        qp = new FloatPointer(qd);
        kp = new FloatPointer(kd);
        vp = new FloatPointer(vd);
        q = torch.from_blob(qp, batch, heads, lq, d);
        k = torch.from_blob(kp, batch, heads, lk, d);
        v = torch.from_blob(vp, batch, heads, lk, d);
        if (mask != null) {
            maskp = new BoolPointer(mask.length);
            for (int i = 0; i < mask.length; i++) {
                maskp.put(i, mask[i]);
            }
            this.mask = torch.from_blob(maskp, new long[] {1, heads, lq, lk},
                    new TensorOptions(torch.ScalarType.Bool));
        } else {
            maskp = null;
            this.mask = null;
        }
    }

    private static void check(String name, float[] a, long n) {
        if (a == null) {
            throw new IllegalArgumentException(name + ": null");
        }
        check(name, a.length, n);
    }

    private static void check(String name, long length, long n) {
        if (length != n) {
            throw new IllegalArgumentException(name + ": expected " + n + " elements, got " + length);
        }
    }

    public String name() {
        return "libtorch-sdpa";
    }

    /** One SDPA call; the result is kept until the next call or {@link #close()}. */
    public void run() {
        if (closed) {
            throw new IllegalStateException("TorchSdpa is closed");
        }
        torch.set_num_threads(threads);
        try (InferenceMode guard = new InferenceMode();
             TensorOptional m = mask == null ? new TensorOptional() : new TensorOptional(mask);
             DoubleOptional s = new DoubleOptional(scale)) {
            Tensor o = torch.scaled_dot_product_attention(q, k, v, m, 0.0, causal, s, false);
            if (out != null) {
                out.close();
            }
            out = o;
        }
    }

    /** The last result [B, H, Lq, D] copied into a new array (for the correctness check, not timed). */
    public float[] result() {
        if (out == null) {
            throw new IllegalStateException("run() first");
        }
        float[] r = new float[(int) outElements];
        try (Tensor c = out.contiguous()) {
            new FloatPointer(c.data_ptr()).get(r);
        }
        return r;
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (out != null) {
            out.close();
        }
        for (Tensor t : new Tensor[] {q, k, v, mask}) {
            if (t != null) {
                t.close();
            }
        }
        qp.close();
        kp.close();
        vp.close();
        if (maskp != null) {
            maskp.close();
        }
    }
}
