package dev.sparsekernels.bindings;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Objects;

/**
 * Checked facade over a {@link NativeKernels}: what the Java API calls, so it never sees a raw status code or
 * address arithmetic. Arguments are checked first (IllegalArgumentException naming the argument, expected and
 * actual), then the call is made, and any non-zero status becomes a {@link NativeException} carrying the
 * library's message.
 *
 * <p>Host buffers must be direct; each is used from its position to its limit, and positions are not moved.
 * Device memory and streams are plain {@code long} addresses; a stream of 0 is the default stream.
 *
 * <p>Out-parameters go through a small per-thread direct buffer, so nothing is allocated per call and nothing
 * is shared between threads (the last-error text is per thread on the C side too).
 */
public final class NativeCalls {
    private static final int NAME_CAPACITY = 256;
    /** Out-parameter slots: two int64 values, then room for a device name. */
    private static final int SLOT0 = 0;
    private static final int SLOT1 = 8;
    private static final int NAME = 16;

    private final NativeKernels kernels;
    private final ThreadLocal<Scratch> scratch;

    /** A direct buffer and its address (computed once per thread). */
    private static final class Scratch {
        final ByteBuffer buffer;
        final long address;

        Scratch(NativeKernels kernels) {
            buffer = ByteBuffer.allocateDirect(NAME + NAME_CAPACITY).order(ByteOrder.nativeOrder());
            address = kernels.addressOf(buffer);
        }

        Scratch cleared() {
            buffer.putLong(SLOT0, 0).putLong(SLOT1, 0).put(NAME, (byte) 0);
            return this;
        }
    }

    public NativeCalls(NativeKernels kernels) {
        this.kernels = Objects.requireNonNull(kernels, "kernels");
        this.scratch = ThreadLocal.withInitial(() -> new Scratch(kernels));
    }

    /** The raw binding underneath. */
    public NativeKernels kernels() {
        return kernels;
    }

    // ---- library and devices ----

    public String version() {
        return kernels.version();
    }

    public boolean cudaCompiled() {
        return kernels.cudaCompiled() != 0;
    }

    /** Number of usable CUDA devices; 0 without a driver or GPU, or in a host-only build. */
    public int deviceCount() {
        Scratch s = scratch();
        check("sk_device_count", kernels.deviceCount(s.address + SLOT0));
        return s.buffer.getInt(SLOT0);
    }

    public String deviceName(int ordinal) {
        Checks.nonNegative("ordinal", ordinal);
        Scratch s = scratch();
        check("sk_device_name", kernels.deviceName(ordinal, s.address + NAME, NAME_CAPACITY));
        byte[] bytes = new byte[NAME_CAPACITY];
        s.buffer.get(NAME, bytes);
        int length = 0;
        while (length < bytes.length && bytes[length] != 0) {
            length++;
        }
        return new String(bytes, 0, length, StandardCharsets.UTF_8);
    }

    /** Compute capability as major*10 + minor. */
    public int deviceCapability(int ordinal) {
        Checks.nonNegative("ordinal", ordinal);
        Scratch s = scratch();
        check("sk_device_capability", kernels.deviceCapability(ordinal, s.address + SLOT0));
        return s.buffer.getInt(SLOT0);
    }

    public void setDevice(int ordinal) {
        Checks.nonNegative("ordinal", ordinal);
        check("sk_set_device", kernels.setDevice(ordinal));
    }

    // ---- memory and streams ----

    /** Device allocation of {@code bytes} (> 0, as in cudaMalloc here); returns its address. */
    public long malloc(long bytes) {
        Checks.positive("bytes", bytes);
        Scratch s = scratch();
        check("sk_malloc", kernels.malloc(s.address + SLOT0, bytes));
        return s.buffer.getLong(SLOT0);
    }

    /** Frees device memory; 0 is a no-op. */
    public void free(long devicePtr) {
        check("sk_free", kernels.free(devicePtr));
    }

    /** Copies {@code bytes} from {@code src} (from its position) to device memory at {@code dst}. */
    public void memcpyH2d(long dst, ByteBuffer src, long bytes, long stream) {
        Checks.address("dst", dst);
        Checks.nonNegative("bytes", bytes);
        Checks.buffer("src", src, bytes, false);
        check("sk_memcpy_h2d", kernels.memcpyH2d(dst, hostAddress(src), bytes, stream));
    }

    /** Copies {@code bytes} from device memory at {@code src} into {@code dst} (from its position). */
    public void memcpyD2h(ByteBuffer dst, long src, long bytes, long stream) {
        Checks.address("src", src);
        Checks.nonNegative("bytes", bytes);
        Checks.buffer("dst", dst, bytes, true);
        check("sk_memcpy_d2h", kernels.memcpyD2h(hostAddress(dst), src, bytes, stream));
    }

    public void memcpyD2d(long dst, long src, long bytes, long stream) {
        Checks.address("dst", dst);
        Checks.address("src", src);
        Checks.nonNegative("bytes", bytes);
        check("sk_memcpy_d2d", kernels.memcpyD2d(dst, src, bytes, stream));
    }

    public long streamCreate() {
        Scratch s = scratch();
        check("sk_stream_create", kernels.streamCreate(s.address + SLOT0));
        return s.buffer.getLong(SLOT0);
    }

    public void streamDestroy(long stream) {
        Checks.address("stream", stream);
        check("sk_stream_destroy", kernels.streamDestroy(stream));
    }

    public void streamSynchronize(long stream) {
        check("sk_stream_synchronize", kernels.streamSynchronize(stream));
    }

    // ---- 2:4 sparsity, host side ----

    /** {valueCount (16-bit values), metaWords (32-bit words)} of the GPU layout of a [rows, cols] 2:4 matrix. */
    public long[] sparse24GpuSizes(long rows, long cols) {
        checkShape24(rows, cols);
        Scratch s = scratch();
        check("sk_sparse24_gpu_sizes", kernels.sparse24GpuSizes(rows, cols, s.address + SLOT0, s.address + SLOT1));
        return new long[] {s.buffer.getLong(SLOT0), s.buffer.getLong(SLOT1)};
    }

    /**
     * Packs the CPU 2:4 format into the GPU layout (see sparsekernels.h). Sizes in bytes: values16
     * rows*cols, indices rows*ceil(cols/8), gpuValues 2*valueCount, gpuMeta 4*metaWords.
     */
    public void sparse24Pack(ByteBuffer values16, ByteBuffer indices, long rows, long cols,
                             ByteBuffer gpuValues, ByteBuffer gpuMeta) {
        long[] sizes = sparse24GpuSizes(rows, cols); // also checks rows and cols
        Checks.buffer("values16", values16, Checks.product("values16 bytes", rows, cols), false);
        Checks.buffer("indices", indices, Checks.product("indices bytes", rows, (cols + 7) / 8), false);
        Checks.buffer("gpuValues", gpuValues, Checks.product("gpuValues bytes", sizes[0], 2), true);
        Checks.buffer("gpuMeta", gpuMeta, Checks.product("gpuMeta bytes", sizes[1], 4), true);
        long values = aligned("values16", values16, 2);
        long gv = aligned("gpuValues", gpuValues, 2);
        long gm = aligned("gpuMeta", gpuMeta, 4);
        check("sk_sparse24_pack", kernels.sparse24Pack(values, hostAddress(indices), rows, cols, gv, gm));
    }

    /**
     * Checks that a dense f32 matrix [rows, cols] (native byte order, from the buffer's position) is 2:4.
     *
     * @return null when it is, else {badRow, badGroup} of the first offending group
     */
    public long[] sparse24CheckF32(ByteBuffer w, long rows, long cols) {
        checkShape24(rows, cols);
        Checks.buffer("w", w, Checks.product("w bytes", Checks.product("w elements", rows, cols), 4), false);
        long address = aligned("w", w, 4);
        Scratch s = scratch();
        int status = kernels.sparse24CheckF32(address, rows, cols, s.address + SLOT0, s.address + SLOT1);
        if (status == NativeStatus.ERR_NOT_2_4) {
            return new long[] {s.buffer.getLong(SLOT0), s.buffer.getLong(SLOT1)};
        }
        check("sk_sparse24_check_f32", status);
        return null;
    }

    // ---- GEMM on the GPU (device addresses) ----

    /** Y[tokens, out] = X . W^T + bias with W packed by {@link #sparse24Pack}; bias may be 0; asynchronous. */
    public void sparse24Gemm(long x, int xDtype, long gpuValues, long gpuMeta, long bias, long y, int yDtype,
                             long tokens, long in, long out, long stream) {
        Checks.address("gpuValues", gpuValues);
        Checks.aligned("gpuValues", gpuValues, 16);
        Checks.address("gpuMeta", gpuMeta);
        Checks.aligned("gpuMeta", gpuMeta, 16);
        checkGemm(x, xDtype, bias, y, yDtype, tokens, in, out);
        check("sk_sparse24_gemm",
                kernels.sparse24Gemm(x, xDtype, gpuValues, gpuMeta, bias, y, yDtype, tokens, in, out, stream));
    }

    /** Dense twin of {@link #sparse24Gemm}: W dense [out, in] in xDtype. */
    public void denseGemm(long x, int xDtype, long w, long bias, long y, int yDtype,
                          long tokens, long in, long out, long stream) {
        Checks.address("w", w);
        Checks.aligned("w", w, 16);
        checkGemm(x, xDtype, bias, y, yDtype, tokens, in, out);
        check("sk_dense_gemm", kernels.denseGemm(x, xDtype, w, bias, y, yDtype, tokens, in, out, stream));
    }

    /**
     * Why cuBLAS cannot be used, or null when {@code sk_blas_status} found it (it is loaded at run time from the
     * host's CUDA toolkit: {@code SK_CUBLAS_LIBRARY}, else {@code libcublas.so.13/.12} on the loader path).
     */
    public String blasUnavailabilityCause() {
        int rc = kernels.blasStatus();
        return rc == 0 ? null : kernels.lastError();
    }

    /** {@link #denseGemm} computed by cuBLAS ({@code cublasGemmEx}, fp32 accumulation) on the same stream. */
    public void blasGemm(long x, int xDtype, long w, long bias, long y, int yDtype,
                         long tokens, long in, long out, long stream) {
        Checks.address("w", w);
        Checks.aligned("w", w, 16);
        checkGemm(x, xDtype, bias, y, yDtype, tokens, in, out);
        check("sk_blas_gemm", kernels.blasGemm(x, xDtype, w, bias, y, yDtype, tokens, in, out, stream));
    }

    // ---- block-sparse (BSR) ----

    /** Checks a BSR structure on the host: rowPtr [out/blockRows + 1] and colIdx [blocks] as int32 buffers. */
    public void bsrCheck(ByteBuffer rowPtr, ByteBuffer colIdx, long blocks, int blockRows, int blockCols, long out,
                         long in) {
        checkBsrShape(rowPtr, blocks, blockRows, blockCols, out);
        Checks.positive("in", in);
        Checks.buffer("colIdx", colIdx, Checks.product("colIdx bytes", blocks, 4), false);
        check("sk_bsr_check", kernels.bsrCheck(aligned("rowPtr", rowPtr, 4),
                blocks == 0 ? 0L : aligned("colIdx", colIdx, 4), blocks, blockRows, blockCols, out, in));
    }

    /**
     * The device workspace sk_bsr_gemm needs for this structure and token count, planned on the host: an empty
     * array when none is needed, else the bytes to copy to the device and pass as {@code workspace}.
     */
    public ByteBuffer bsrPlan(ByteBuffer rowPtr, long blocks, int blockRows, int blockCols, long tokens, long out) {
        checkBsrShape(rowPtr, blocks, blockRows, blockCols, out);
        Checks.positive("tokens", tokens);
        long rp = aligned("rowPtr", rowPtr, 4);
        Scratch s = scratch();
        check("sk_bsr_workspace_size", kernels.bsrWorkspaceSize(rp, blocks, blockRows, blockCols, tokens, out,
                s.address + SLOT0));
        long bytes = s.buffer.getLong(SLOT0);
        if (bytes < 0 || bytes > Integer.MAX_VALUE) {
            throw new NativeException("sk_bsr_workspace_size", NativeStatus.ERR_INVALID_ARGUMENT,
                    "workspace of " + bytes + " bytes is out of range");
        }
        ByteBuffer ws = ByteBuffer.allocateDirect((int) Math.max(bytes, 1)).order(java.nio.ByteOrder.nativeOrder());
        if (bytes > 0) {
            check("sk_bsr_plan", kernels.bsrPlan(rp, blocks, blockRows, blockCols, tokens, out, hostAddress(ws),
                    bytes));
        }
        ws.limit((int) bytes);
        return ws;
    }

    /** Y[tokens, out] = X . W^T + bias with W in BSR on the device; workspace from {@link #bsrPlan} (0 if empty). */
    public void bsrGemm(long x, int xDtype, long rowPtr, long colIdx, long values, long blocks, int blockRows,
                        int blockCols, long workspace, long bias, long y, int yDtype, long tokens, long in, long out,
                        long stream) {
        Checks.address("rowPtr", rowPtr);
        Checks.aligned("rowPtr", rowPtr, 4);
        Checks.nonNegative("blocks", blocks);
        if (blocks > 0) {
            Checks.address("colIdx", colIdx);
            Checks.address("values", values);
            Checks.aligned("values", values, 16);
        }
        Checks.aligned("colIdx", colIdx, 4);
        Checks.aligned("workspace", workspace, 16);
        checkGemm(x, xDtype, bias, y, yDtype, tokens, in, out);
        checkBlock("blockRows", blockRows);
        checkBlock("blockCols", blockCols);
        Checks.multipleOf("out", out, blockRows);
        Checks.multipleOf("in", in, blockCols);
        check("sk_bsr_gemm", kernels.bsrGemm(x, xDtype, rowPtr, colIdx, values, blocks, blockRows, blockCols,
                workspace, bias, y, yDtype, tokens, in, out, stream));
    }

    // ---- structured channel removal: activation statistics and compaction gathers ----

    /** Largest channel / row / column count the channel functions take (the C side's limit, INT32_MAX). */
    public static final long MAX_CHANNEL_DIM = Integer.MAX_VALUE;

    /**
     * Bytes of a channel-statistics state for {@code channels} channels: 3 * channels float64 values, laid out
     * count[channels], mean[channels], M2[channels] (see sparsekernels.h); all-zero bytes is the empty state.
     */
    public static long channelStatsStateBytes(long channels) {
        checkChannels("channels", channels);
        return channels * 3 * Double.BYTES;
    }

    /** Empties a device state (asynchronous memset on stream). */
    public void channelStatsReset(long state, long channels, long stream) {
        checkState("state", state);
        checkChannels("channels", channels);
        check("sk_channel_stats_reset", kernels.channelStatsReset(state, channels, stream));
    }

    /** Folds the device batch x [samples, channels] (F32, F16 or BF16) into the device state; asynchronous. */
    public void channelStatsUpdate(long x, int xDtype, long samples, long channels, long state, long stream) {
        Checks.address("x", x);
        Checks.dtype("xDtype", xDtype, NativeDType.F32, NativeDType.F16, NativeDType.BF16);
        Checks.aligned("x", x, NativeDType.byteSize(xDtype));
        Checks.positive("samples", samples);
        checkChannels("channels", channels);
        checkState("state", state);
        check("sk_channel_stats_update", kernels.channelStatsUpdate(x, xDtype, samples, channels, state, stream));
    }

    /** state = merge(state, other) on the device (Chan et al.); other is unchanged; asynchronous. */
    public void channelStatsMerge(long state, long other, long channels, long stream) {
        checkState("state", state);
        checkState("other", other);
        checkChannels("channels", channels);
        check("sk_channel_stats_merge", kernels.channelStatsMerge(state, other, channels, stream));
    }

    /**
     * Writes float32 mean, population variance and mean square [channels] from the device state; an output
     * address of 0 is not written, but at least one must be given. Asynchronous.
     */
    public void channelStatsFinalize(long state, long channels, long mean, long variance, long meanSquare,
                                     long stream) {
        checkState("state", state);
        checkChannels("channels", channels);
        if (mean == 0 && variance == 0 && meanSquare == 0) {
            throw new IllegalArgumentException(
                    "mean, variance, meanSquare: expected at least one non-null address, got all 0");
        }
        Checks.aligned("mean", mean, 4);
        Checks.aligned("variance", variance, 4);
        Checks.aligned("meanSquare", meanSquare, 4);
        check("sk_channel_stats_finalize",
                kernels.channelStatsFinalize(state, channels, mean, variance, meanSquare, stream));
    }

    /**
     * Checks kept indices on the host: {@code count} int64 values (native order, from the buffer's position), each
     * in [0, limit), strictly ascending. A bad list is a {@link NativeException} naming the first bad position.
     */
    public void gatherCheck(ByteBuffer idx, long count, long limit) {
        Checks.positive("limit", limit);
        Checks.positive("count", count);
        if (count > limit) {
            throw new IllegalArgumentException("count: expected <= limit (" + limit + "), got " + count);
        }
        Checks.buffer("idx", idx, Checks.product("idx bytes", count, 8), false);
        check("sk_gather_check", kernels.gatherCheck(aligned("idx", idx, 8), count, limit));
    }

    /** dst [count, cols] = rows idx (device int64 [count]) of src [rows, cols]; device pointers; asynchronous. */
    public void gatherRows(long src, int dtype, long rows, long cols, long idx, long count, long dst, long stream) {
        checkGather(src, dtype, rows, cols, idx, count, dst, rows, "rows");
        check("sk_gather_rows", kernels.gatherRows(src, dtype, rows, cols, idx, count, dst, stream));
    }

    /** dst [rows, count] = columns idx (device int64 [count]) of src [rows, cols]; device pointers; asynchronous. */
    public void gatherCols(long src, int dtype, long rows, long cols, long idx, long count, long dst, long stream) {
        checkGather(src, dtype, rows, cols, idx, count, dst, cols, "cols");
        check("sk_gather_cols", kernels.gatherCols(src, dtype, rows, cols, idx, count, dst, stream));
    }

    private static void checkChannels(String name, long value) {
        Checks.positive(name, value);
        if (value > MAX_CHANNEL_DIM) {
            throw new IllegalArgumentException(name + ": expected <= " + MAX_CHANNEL_DIM + ", got " + value);
        }
    }

    private static void checkState(String name, long state) {
        Checks.address(name, state);
        Checks.aligned(name, state, 8);
    }

    /** Same rules as native/src/channels_gather.cpp (overlap of src and dst is left to the C side). */
    private static void checkGather(long src, int dtype, long rows, long cols, long idx, long count, long dst,
                                    long limit, String limitName) {
        Checks.address("src", src);
        Checks.address("idx", idx);
        Checks.address("dst", dst);
        Checks.dtype("dtype", dtype, NativeDType.F32, NativeDType.F16, NativeDType.BF16);
        int size = NativeDType.byteSize(dtype);
        Checks.aligned("src", src, size);
        Checks.aligned("dst", dst, size);
        Checks.aligned("idx", idx, 8);
        checkChannels("rows", rows);
        checkChannels("cols", cols);
        Checks.positive("count", count);
        if (count > limit) {
            throw new IllegalArgumentException("count: expected <= " + limitName + " (" + limit + "), got " + count);
        }
        Checks.product("src bytes", Checks.product("src elements", rows, cols), size);
    }

    // ---- fused masked attention ----

    /** Largest head dimension the attention kernels take (sparsekernels.h); D is a multiple of 8 in [8, 256]. */
    public static final long MAX_ATTENTION_HEAD_DIM = 256;
    /** Largest Lq and Lk the attention kernels take, 2^30. */
    public static final long MAX_ATTENTION_LENGTH = 1L << 30;
    /** Largest batch * headsQ the attention kernels take (one grid dimension), 65535. */
    public static final long MAX_ATTENTION_BATCH_HEADS = 65535;
    /** Largest q / kv block of the block-sparse entry point, 2^20. */
    public static final int MAX_ATTENTION_BLOCK = 1 << 20;

    /**
     * O = softmax(scale * Q K^T + bias, masked) V on the device (sk_attention; see sparsekernels.h for the layouts
     * and the mask rules): q [B, Hq, Lq, D], k and v [B, Hkv, Lk, D] in dtype (F16 or BF16), o [B, Hq, Lq, D] in
     * oDtype (F32 or dtype). keyLengths (int32 [B]), bias (f32), mask (uint8) and headMask (uint8 [Hq]) are
     * optional device pointers (0 = none); a window side of -1 is unbounded. Asynchronous.
     */
    public void attention(long q, long k, long v, long o, int dtype, int oDtype, long batch, long headsQ,
                          long headsKv, long lq, long lk, long headDim, float scale, boolean causal, long windowLeft,
                          long windowRight, long keyLengths, long bias, long biasStrideB, long biasStrideH,
                          long biasStrideQ, long mask, long maskStrideB, long maskStrideH, long maskStrideQ,
                          long headMask, long stream) {
        checkAttention(q, k, v, o, dtype, oDtype, batch, headsQ, headsKv, lq, lk, headDim, scale, windowLeft,
                windowRight, keyLengths, bias, biasStrideB, biasStrideH, biasStrideQ, mask, maskStrideB, maskStrideH,
                maskStrideQ);
        check("sk_attention", kernels.attention(q, k, v, o, dtype, oDtype, batch, headsQ, headsKv, lq, lk, headDim,
                scale, causal ? 1 : 0, windowLeft, windowRight, keyLengths, bias, biasStrideB, biasStrideH,
                biasStrideQ, mask, maskStrideB, maskStrideH, maskStrideQ, headMask, stream));
    }

    /**
     * Block-sparse attention (sk_attention_block_sparse): {@link #attention}'s arguments plus, per (b, h) and query
     * block of qBlock rows, the list of key blocks (kvBlock keys) it attends. kvCount: device int32 at
     * (b * bsStrideB + h * bsStrideH + qb); kvIndex: device int32 with maxKvBlocks entries per query block; kvFull:
     * device uint8 in kvIndex's layout, or 0 (every listed block partial). Asynchronous.
     */
    public void attentionBlockSparse(long q, long k, long v, long o, int dtype, int oDtype, long batch, long headsQ,
                                     long headsKv, long lq, long lk, long headDim, float scale, boolean causal,
                                     long windowLeft, long windowRight, long keyLengths, long bias, long biasStrideB,
                                     long biasStrideH, long biasStrideQ, long mask, long maskStrideB,
                                     long maskStrideH, long maskStrideQ, long headMask, int qBlock, int kvBlock,
                                     long maxKvBlocks, long kvCount, long kvIndex, long kvFull, long bsStrideB,
                                     long bsStrideH, long stream) {
        checkAttention(q, k, v, o, dtype, oDtype, batch, headsQ, headsKv, lq, lk, headDim, scale, windowLeft,
                windowRight, keyLengths, bias, biasStrideB, biasStrideH, biasStrideQ, mask, maskStrideB, maskStrideH,
                maskStrideQ);
        checkAttentionBlock("qBlock", qBlock);
        checkAttentionBlock("kvBlock", kvBlock);
        long kvBlocks = (lk + kvBlock - 1) / kvBlock; // lk <= 2^30 and kvBlock <= 2^20: no overflow
        if (maxKvBlocks < 1 || maxKvBlocks > kvBlocks) {
            throw new IllegalArgumentException("maxKvBlocks: expected in [1, " + kvBlocks
                    + "] (ceil(lk / kvBlock)), got " + maxKvBlocks);
        }
        // Only kvFull may be NULL: a NULL kvCount would turn the call into dense attention on the C side.
        Checks.address("kvCount", kvCount);
        Checks.aligned("kvCount", kvCount, 4);
        Checks.address("kvIndex", kvIndex);
        Checks.aligned("kvIndex", kvIndex, 4);
        Checks.nonNegative("bsStrideB", bsStrideB);
        Checks.nonNegative("bsStrideH", bsStrideH);
        check("sk_attention_block_sparse", kernels.attentionBlockSparse(q, k, v, o, dtype, oDtype, batch, headsQ,
                headsKv, lq, lk, headDim, scale, causal ? 1 : 0, windowLeft, windowRight, keyLengths, bias,
                biasStrideB, biasStrideH, biasStrideQ, mask, maskStrideB, maskStrideH, maskStrideQ, headMask, qBlock,
                kvBlock, maxKvBlocks, kvCount, kvIndex, kvFull, bsStrideB, bsStrideH, stream));
    }

    /** Same rules as check_core in native/src/attention_launch.cpp. */
    private static void checkAttention(long q, long k, long v, long o, int dtype, int oDtype, long batch,
                                       long headsQ, long headsKv, long lq, long lk, long headDim, float scale,
                                       long windowLeft, long windowRight, long keyLengths, long bias,
                                       long biasStrideB, long biasStrideH, long biasStrideQ, long mask,
                                       long maskStrideB, long maskStrideH, long maskStrideQ) {
        Checks.address("q", q);
        Checks.address("k", k);
        Checks.address("v", v);
        Checks.address("o", o);
        Checks.dtype("dtype", dtype, NativeDType.F16, NativeDType.BF16);
        Checks.dtype("oDtype", oDtype, NativeDType.F32, dtype);
        Checks.positive("batch", batch);
        Checks.positive("headsQ", headsQ);
        Checks.positive("headsKv", headsKv);
        if (headsQ % headsKv != 0) {
            throw new IllegalArgumentException("headsQ: expected a multiple of headsKv (" + headsKv + "), got "
                    + headsQ);
        }
        checkAttentionLength("lq", lq);
        checkAttentionLength("lk", lk);
        if (headDim < 8 || headDim > MAX_ATTENTION_HEAD_DIM || headDim % 8 != 0) {
            throw new IllegalArgumentException("headDim: expected a multiple of 8 in [8, " + MAX_ATTENTION_HEAD_DIM
                    + "], got " + headDim);
        }
        long batchHeads = Checks.product("batch * headsQ", batch, headsQ);
        if (batchHeads > MAX_ATTENTION_BATCH_HEADS) {
            throw new IllegalArgumentException("batch * headsQ: expected <= " + MAX_ATTENTION_BATCH_HEADS + ", got "
                    + batchHeads + " (batch " + batch + ", headsQ " + headsQ + ")");
        }
        if (!Float.isFinite(scale)) {
            throw new IllegalArgumentException("scale: expected a finite number, got " + scale);
        }
        checkWindow("windowLeft", windowLeft);
        checkWindow("windowRight", windowRight);
        if (bias != 0) {
            Checks.nonNegative("biasStrideB", biasStrideB);
            Checks.nonNegative("biasStrideH", biasStrideH);
            Checks.nonNegative("biasStrideQ", biasStrideQ);
        }
        if (mask != 0) {
            Checks.nonNegative("maskStrideB", maskStrideB);
            Checks.nonNegative("maskStrideH", maskStrideH);
            Checks.nonNegative("maskStrideQ", maskStrideQ);
        }
        // 16-byte copies of Q/K/V rows; pairs of outputs stored together; int32 key lengths and f32 bias.
        Checks.aligned("q", q, 16);
        Checks.aligned("k", k, 16);
        Checks.aligned("v", v, 16);
        Checks.aligned("o", o, 2 * NativeDType.byteSize(oDtype));
        Checks.aligned("bias", bias, 4); // 0 (no bias) passes
        Checks.aligned("keyLengths", keyLengths, 4); // 0 (no key lengths) passes
    }

    private static void checkAttentionLength(String name, long value) {
        Checks.positive(name, value);
        if (value > MAX_ATTENTION_LENGTH) {
            throw new IllegalArgumentException(name + ": expected <= " + MAX_ATTENTION_LENGTH + " (2^30), got "
                    + value);
        }
    }

    private static void checkWindow(String name, long value) {
        if (value < -1) {
            throw new IllegalArgumentException(name + ": expected >= 0 or -1 (no bound), got " + value);
        }
    }

    private static void checkAttentionBlock(String name, int size) {
        if (size < 64 || size > MAX_ATTENTION_BLOCK || size % 64 != 0) {
            throw new IllegalArgumentException(name + ": expected a multiple of 64 in [64, " + MAX_ATTENTION_BLOCK
                    + "], got " + size);
        }
    }

    // ---- helpers ----

    private static void checkBlock(String name, int size) {
        if (size != 16 && size != 32 && size != 64) {
            throw new IllegalArgumentException(name + ": expected 16, 32 or 64 but got " + size);
        }
    }

    private static void checkBsrShape(ByteBuffer rowPtr, long blocks, int blockRows, int blockCols, long out) {
        checkBlock("blockRows", blockRows);
        checkBlock("blockCols", blockCols);
        Checks.positive("out", out);
        Checks.multipleOf("out", out, blockRows);
        Checks.nonNegative("blocks", blocks);
        Checks.buffer("rowPtr", rowPtr, Checks.product("rowPtr bytes", out / blockRows + 1, 4), false);
    }

    private static void checkShape24(long rows, long cols) {
        Checks.positive("rows", rows);
        Checks.positive("cols", cols);
        Checks.multipleOf("cols", cols, 4);
    }

    /** Same rules as the C side (sparsekernels.h, gemm_launch.cpp): kernels copy X and W in 16-byte chunks. */
    private static void checkGemm(long x, int xDtype, long bias, long y, int yDtype, long tokens, long in, long out) {
        Checks.address("x", x);
        Checks.aligned("x", x, 16);
        Checks.aligned("bias", bias, 4); // 0 (no bias) passes
        Checks.address("y", y);
        Checks.dtype("xDtype", xDtype, NativeDType.F16, NativeDType.BF16);
        Checks.dtype("yDtype", yDtype, NativeDType.F32, xDtype);
        Checks.aligned("y", y, NativeDType.byteSize(yDtype));
        Checks.positive("tokens", tokens);
        Checks.positive("in", in);
        Checks.multipleOf("in", in, 8);
        Checks.positive("out", out);
    }

    private Scratch scratch() {
        return scratch.get().cleared();
    }

    /** Address of a direct buffer's position (the checks have already made sure it is direct). */
    private long hostAddress(ByteBuffer buffer) {
        return kernels.addressOf(buffer) + buffer.position();
    }

    private long aligned(String name, ByteBuffer buffer, int alignment) {
        long address = hostAddress(buffer);
        Checks.aligned(name, address, alignment);
        return address;
    }

    /** Turns a status into an exception; reads the message at once, on this thread, as the C side requires. */
    private void check(String function, int status) {
        if (status != NativeStatus.OK) {
            throw new NativeException(function, status, kernels.lastError());
        }
    }
}
