package dev.sparsekernels;

import dev.sparsekernels.backend.BackendSelector;
import dev.sparsekernels.backend.CpuBackend;
import dev.sparsekernels.backend.CudaBackend;

/**
 * The entry point: a backend that runs our kernels. {@link #auto()} picks CUDA when a device is usable and the CPU
 * otherwise, and says why in {@link #describe()}; {@code -Dsparsekernels.backend=cpu|cuda} forces one.
 *
 * <p>Every method validates shapes and dtypes before any native code runs. Results are new F32 tensors owned by the
 * caller. Backends hold native resources (streams), so close them when done.
 *
 * <p>NaN and infinities in inputs reach exactly the outputs whose arithmetic uses them, and no other
 * (docs/reliability.md): a whole output row for a dense x element, only stored weights for 2:4 and block-sparse W, only
 * keys a query may see in attention (a -inf bias masks like any other mask).
 */
public interface Kernels extends AutoCloseable {

    /** CUDA device 0 when usable, else the CPU; the reason is in {@link #describe()}. */
    static Kernels auto() {
        return BackendSelector.select();
    }

    /** The CPU backend with one thread per available processor (or -Dsparsekernels.threads). */
    static Kernels cpu() {
        return new CpuBackend(CpuBackend.defaultThreads(), "requested explicitly");
    }

    /** The CPU backend with a given number of threads. */
    static Kernels cpu(int threads) {
        return new CpuBackend(threads, "requested explicitly with " + threads + " threads");
    }

    /** CUDA device 0; throws IllegalStateException with the cause when no device is usable. */
    static Kernels cuda() {
        return cuda(0);
    }

    static Kernels cuda(int ordinal) {
        return CudaBackend.open(ordinal, "requested explicitly");
    }

    /** The device the kernels run on. */
    Device device();

    /** One line: the backend, why it was chosen, and what it runs on (binding, library, threads, vectors). */
    String describe();

    /**
     * Y = X · Wᵀ + b with a dense W [out, in]. X is [..., in] (any leading dims, rank 1 = one token); the result is
     * F32 [..., out]. bias may be null.
     */
    Tensor linear(Tensor x, Tensor w, Tensor bias);

    /**
     * Y = X · Wᵀ + b with a dense W [out, in] copied once into a {@link DenseMatrix}: as the tensor overload, without
     * reading W out of a tensor (CPU) or uploading it (CUDA) on every call.
     */
    Tensor linear(Tensor x, DenseMatrix w, Tensor bias);

    /** Y = X · Wᵀ + b with a 2:4 sparse W [out, in]. */
    Tensor linear(Tensor x, Sparse24Matrix w, Tensor bias);

    /**
     * Y = X · Wᵀ + b with a block-sparse (BSR) W [out, in]: only the stored blocks are computed, so rows of block rows
     * without blocks get exactly the bias (or 0). X is [..., in] as for the dense linear.
     */
    Tensor linear(Tensor x, BlockSparseMatrix w, Tensor bias);

    /**
     * Rows idx of src [rows, cols] (idx strictly ascending, in range), same dtype: the compaction step of channel
     * removal on the producer side (W1 rows, b1 as a [n, 1] matrix).
     */
    Tensor gatherRows(Tensor src, int[] idx);

    /** Columns idx of src [rows, cols], same dtype: compaction on the consumer side (W2 columns). */
    Tensor gatherColumns(Tensor src, int[] idx);

    /**
     * Per-channel statistics (count, mean, variance, mean square) of activations [..., channels], as accumulated by
     * {@link dev.sparsekernels.channels.ChannelStatistics}; merge the results of several batches with its merge().
     */
    dev.sparsekernels.channels.ChannelStatistics channelStatistics(Tensor activations);

    /**
     * Fused masked attention {@code softmax(scale · Q Kᵀ + mask) · V}: Q [B, Hq, Lq, D], K and V [B, Hkv, Lk, D] of one
     * dtype, Hq a multiple of Hkv (MHA, GQA, MQA: query head h reads key/value head h / (Hq/Hkv), no copies). The
     * result is F32 [B, Hq, Lq, D]; a query row that sees no key gives zeros, never NaN.
     *
     * @param mask  which keys each query sees ({@link AttentionMask}); null = none
     * @param scale multiplies the scores; null = 1/sqrt(D)
     */
    Tensor attention(Tensor q, Tensor k, Tensor v, AttentionMask mask, Double scale);

    /**
     * Releases what the backend holds (the CUDA stream; nothing native on the CPU). Device copies of weights belong
     * to their matrices ({@link DenseMatrix}, {@link Sparse24Matrix}, {@link BlockSparseMatrix}): they stay until the
     * matrix is closed, and another backend on the same device reuses them. Afterwards every computing method throws
     * IllegalStateException saying the backend is closed, on every backend, before any native call; closing again
     * does nothing.
     */
    @Override
    void close();
}
