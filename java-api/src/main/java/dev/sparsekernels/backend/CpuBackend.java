package dev.sparsekernels.backend;

import dev.sparsekernels.AttentionMask;
import dev.sparsekernels.BlockSparseMatrix;
import dev.sparsekernels.DenseMatrix;
import dev.sparsekernels.Device;
import dev.sparsekernels.Kernels;
import dev.sparsekernels.Sparse24Matrix;
import dev.sparsekernels.Tensor;
import dev.sparsekernels.channels.ChannelStatistics;
import dev.sparsekernels.channels.Gather;
import dev.sparsekernels.cpu.AttentionLayout;
import dev.sparsekernels.cpu.BsrGemm;
import dev.sparsekernels.cpu.CpuVectorization;
import dev.sparsekernels.cpu.DenseGemm;
import dev.sparsekernels.cpu.FlashAttention;
import dev.sparsekernels.cpu.Sparse24Gemm;

/**
 * The pure-Java backend: Vector API kernels (scalar fallback) over F32, multi-threaded. F16/BF16 inputs are widened
 * to F32 exactly, so results match the GPU kernel up to its accumulation order.
 */
public final class CpuBackend implements Kernels {
    private final int threads;
    private volatile boolean closed; // as the CUDA backend: a closed backend refuses work, so a use after close shows
    private final String reason;

    public CpuBackend(int threads, String reason) {
        if (threads < 1) {
            throw new IllegalArgumentException("threads: expected >= 1 but got " + threads);
        }
        this.threads = threads;
        this.reason = reason;
    }

    /** -Dsparsekernels.threads, else the number of available processors. */
    public static int defaultThreads() {
        String p = System.getProperty("sparsekernels.threads");
        if (p != null && !p.isBlank()) {
            try {
                int n = Integer.parseInt(p.trim());
                if (n >= 1) {
                    return n;
                }
            } catch (NumberFormatException e) {
                // fall through
            }
            throw new IllegalArgumentException("sparsekernels.threads: expected a positive integer but got '" + p
                    + "'");
        }
        return Runtime.getRuntime().availableProcessors();
    }

    /** The threads a call uses; refused once closed, as the model's direct CPU path asks it before each call. */
    public int threads() {
        live();
        return threads;
    }

    @Override
    public Device device() {
        return Device.cpu();
    }

    @Override
    public String describe() {
        return "cpu (" + reason + "): " + threads + " threads, " + CpuVectorization.describe();
    }

    @Override
    public Tensor linear(Tensor x, Tensor w, Tensor bias) {
        live();
        int[] oi = LinearShapes.weightShape(w);
        LinearShapes s = LinearShapes.check(x, oi[0], oi[1], bias);
        try (CallArrays a = CallArrays.open()) {
            float[] y = a.take(s.tokens * s.out);
            DenseGemm.linear(a.copyOf(x), s.tokens, s.in, a.copyOf(w), s.out, bias == null ? null : a.copyOf(bias), y,
                    threads);
            return Tensor.of(y, s.outputShape);
        }
    }

    @Override
    public Tensor linear(Tensor x, DenseMatrix w, Tensor bias) {
        live();
        if (w == null) {
            throw new IllegalArgumentException("W: expected a dense matrix but got null");
        }
        if (w.isClosed()) {
            throw new IllegalStateException("W: dense matrix is closed");
        }
        LinearShapes s = LinearShapes.check(x, w.rows(), w.cols(), bias);
        try (CallArrays a = CallArrays.open()) {
            float[] y = a.take(s.tokens * s.out);
            float[] xa = a.copyOf(x);
            float[] b = bias == null ? null : a.copyOf(bias);
            if (DenseGemm.preparedPays(s.tokens, s.in, s.out)) {
                DenseGemm.linear(xa, s.tokens, w.cpuWeights(), b, y, threads);
            } else {
                DenseGemm.linear(xa, s.tokens, s.in, w.valuesView(), s.out, b, y, threads);
            }
            return Tensor.of(y, s.outputShape);
        }
    }

    @Override
    public Tensor linear(Tensor x, Sparse24Matrix w, Tensor bias) {
        live();
        if (w == null) {
            throw new IllegalArgumentException("W: expected a 2:4 matrix but got null");
        }
        LinearShapes s = LinearShapes.check(x, w.rows(), w.cols(), bias);
        try (CallArrays a = CallArrays.open()) {
            float[] y = a.take(s.tokens * s.out);
            Sparse24Gemm.linear(a.copyOf(x), s.tokens, s.in, w.cpuWeights(), bias == null ? null : a.copyOf(bias), y,
                    threads);
            return Tensor.of(y, s.outputShape);
        }
    }

    @Override
    public Tensor linear(Tensor x, BlockSparseMatrix w, Tensor bias) {
        live();
        if (w == null) {
            throw new IllegalArgumentException("W: expected a block-sparse matrix but got null");
        }
        if (w.isClosed()) {
            throw new IllegalStateException("W: block-sparse matrix is closed");
        }
        LinearShapes s = LinearShapes.check(x, w.rows(), w.cols(), bias);
        try (CallArrays a = CallArrays.open()) {
            float[] y = a.take(s.tokens * s.out);
            BsrGemm.linear(a.copyOf(x), s.tokens, w.cpuWeights(), bias == null ? null : a.copyOf(bias), y, threads);
            return Tensor.of(y, s.outputShape);
        }
    }

    @Override
    public ChannelStatistics channelStatistics(Tensor activations) {
        live();
        int channels = channelsOf(activations);
        try (CallArrays a = CallArrays.open()) { // calibration loops call this per batch: no new copy each time
            return new ChannelStatistics(channels, threads).accept(a.copyOf(activations));
        }
    }

    static int channelsOf(Tensor activations) {
        if (activations == null) {
            throw new IllegalArgumentException("activations: expected a [..., channels] tensor but got null");
        }
        if (activations.isClosed()) {
            throw new IllegalStateException("activations: tensor is closed");
        }
        if (activations.rank() < 1 || activations.dim(-1) < 1 || activations.dim(-1) > Integer.MAX_VALUE
                || activations.elementCount() == 0) {
            throw new IllegalArgumentException("activations: expected a non-empty [..., channels] tensor but got "
                    + java.util.Arrays.toString(activations.shape()));
        }
        return (int) activations.dim(-1);
    }

    @Override
    public Tensor gatherRows(Tensor src, int[] idx) {
        live();
        GatherArgs a = GatherArgs.check(src, idx, true);
        // one direct allocation, in src's dtype (exact: the values came from it); a second, through an F32 tensor
        // and to(), cost a page-faulting allocation more per call for outputs of 32 MiB and up (session 18)
        try (CallArrays c = CallArrays.open()) {
            float[] dst = c.take(Math.multiplyExact(idx.length, a.cols));
            Gather.rows(c.copyOf(src), a.rows, a.cols, idx, dst);
            return Tensor.of(src.dtype(), dst, idx.length, a.cols);
        }
    }

    @Override
    public Tensor gatherColumns(Tensor src, int[] idx) {
        live();
        GatherArgs a = GatherArgs.check(src, idx, false);
        try (CallArrays c = CallArrays.open()) {
            float[] dst = c.take(Math.multiplyExact(a.rows, idx.length));
            Gather.columns(c.copyOf(src), a.rows, a.cols, idx, dst);
            return Tensor.of(src.dtype(), dst, a.rows, idx.length);
        }
    }

    @Override
    public Tensor attention(Tensor q, Tensor k, Tensor v, AttentionMask mask, Double scale) {
        live();
        AttentionShapes s = AttentionShapes.check(q, k, v, mask, scale);
        try (CallArrays a = CallArrays.open()) {
            AttentionLayout ql = AttentionLayout.heads(s.batch, s.hq, s.lq, s.d);
            AttentionLayout kvl = AttentionLayout.heads(s.batch, s.hkv, s.lk, s.d);
            float[] o = a.take(Math.toIntExact(q.elementCount()));
            FlashAttention.attention(a.copyOf(q), ql, a.copyOf(k), kvl, a.copyOf(v), kvl, o, ql, s.batch, s.hq, s.hkv,
                    s.lq, s.lk, s.d, s.mask, s.scale, threads);
            return Tensor.of(o, s.outputShape());
        }
    }

    @Override
    public void close() {
        // nothing native to release (the thread pool is shared and daemon); later calls are refused
        closed = true;
    }

    private void live() {
        if (closed) {
            throw new IllegalStateException("CPU backend is closed");
        }
    }

    @Override
    public String toString() {
        return describe();
    }
}
