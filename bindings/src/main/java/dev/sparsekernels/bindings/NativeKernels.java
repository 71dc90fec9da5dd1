package dev.sparsekernels.bindings;

import java.nio.ByteBuffer;

/**
 * The C ABI of {@code native/include/sparsekernels.h}, one method per {@code sk_} function, nothing more.
 *
 * <p>Names are the C names in camelCase without the prefix; every pointer is a {@code long} address (host or
 * device), {@code int} stays {@code int}, {@code int64_t}/{@code size_t} become {@code long}, and each method
 * returns the C status unchanged ({@link NativeStatus}). No argument is checked here: this is the raw layer, and
 * {@link NativeCalls} is the checked facade everyone else should use. Out-parameters are addresses of
 * caller-owned memory (see {@link #addressOf}).
 *
 * <p>Two implementations exist, {@code PanamaKernels} (Java 22+) and {@link JavaCppKernels} (Java 17+); both are
 * obtained through {@link NativeLibrary}, which loads {@code libsparsekernels.so} first.
 */
public interface NativeKernels {

    /** "panama" or "javacpp". */
    String bindingName();

    /**
     * Native address of element 0 of a direct buffer (its position and limit are ignored).
     *
     * @throws IllegalArgumentException for a heap buffer, which has no stable native address
     */
    long addressOf(ByteBuffer direct);

    /** {@code sk_version}: "MAJOR.MINOR.PATCH". */
    String version();

    /** {@code sk_cuda_compiled}: 1 when the library carries CUDA kernels, 0 for a host-only build. */
    int cudaCompiled();

    /** {@code sk_last_error}: last failure on the calling thread, "" if none. */
    String lastError();

    /** {@code sk_device_count(int*)}. */
    int deviceCount(long countPtr);

    /** {@code sk_device_name(int, char*, size_t)}. */
    int deviceName(int ordinal, long buf, long capacity);

    /** {@code sk_device_capability(int, int*)}. */
    int deviceCapability(int ordinal, long capabilityPtr);

    /** {@code sk_set_device(int)}. */
    int setDevice(int ordinal);

    /** {@code sk_malloc(void**, size_t)}. */
    int malloc(long devicePtrPtr, long bytes);

    /** {@code sk_free(void*)}. */
    int free(long devicePtr);

    /** {@code sk_memcpy_h2d(void*, const void*, size_t, void*)}. */
    int memcpyH2d(long deviceDst, long hostSrc, long bytes, long stream);

    /** {@code sk_memcpy_d2h(void*, const void*, size_t, void*)}. */
    int memcpyD2h(long hostDst, long deviceSrc, long bytes, long stream);

    /** {@code sk_memcpy_d2d(void*, const void*, size_t, void*)}. */
    int memcpyD2d(long deviceDst, long deviceSrc, long bytes, long stream);

    /** {@code sk_stream_create(void**)}. */
    int streamCreate(long streamPtr);

    /** {@code sk_stream_destroy(void*)}. */
    int streamDestroy(long stream);

    /** {@code sk_stream_synchronize(void*)}. */
    int streamSynchronize(long stream);

    /** {@code sk_sparse24_gpu_sizes(int64_t, int64_t, int64_t*, int64_t*)}. */
    int sparse24GpuSizes(long rows, long cols, long valueCountPtr, long metaWordsPtr);

    /** {@code sk_sparse24_pack(const uint16_t*, const uint8_t*, int64_t, int64_t, uint16_t*, uint32_t*)}. */
    int sparse24Pack(long values, long indices, long rows, long cols, long gpuValues, long gpuMeta);

    /** {@code sk_sparse24_check_f32(const float*, int64_t, int64_t, int64_t*, int64_t*)}. */
    int sparse24CheckF32(long w, long rows, long cols, long badRowPtr, long badGroupPtr);

    /** {@code sk_sparse24_gemm(x, x_dtype, gpu_values, gpu_meta, bias, y, y_dtype, tokens, in, out, stream)}. */
    int sparse24Gemm(long x, int xDtype, long gpuValues, long gpuMeta, long bias, long y, int yDtype,
                     long tokens, long in, long out, long stream);

    /** {@code sk_dense_gemm(x, x_dtype, w, bias, y, y_dtype, tokens, in, out, stream)}. */
    int denseGemm(long x, int xDtype, long w, long bias, long y, int yDtype,
                  long tokens, long in, long out, long stream);

    /** {@code sk_blas_status()}: 0 when cuBLAS was found at run time. */
    int blasStatus();

    /** {@code sk_blas_gemm(x, x_dtype, w, bias, y, y_dtype, tokens, in, out, stream)}. */
    int blasGemm(long x, int xDtype, long w, long bias, long y, int yDtype,
                 long tokens, long in, long out, long stream);

    /** {@code sk_bsr_check(row_ptr, col_idx, blocks, block_rows, block_cols, out, in)}; host pointers. */
    int bsrCheck(long rowPtr, long colIdx, long blocks, int blockRows, int blockCols, long out, long in);

    /** {@code sk_bsr_workspace_size(host_row_ptr, blocks, block_rows, block_cols, tokens, out, bytes*)}. */
    int bsrWorkspaceSize(long hostRowPtr, long blocks, int blockRows, int blockCols, long tokens, long out,
                         long bytesPtr);

    /** {@code sk_bsr_plan(host_row_ptr, blocks, block_rows, block_cols, tokens, out, host_workspace, bytes)}. */
    int bsrPlan(long hostRowPtr, long blocks, int blockRows, int blockCols, long tokens, long out,
                long hostWorkspace, long bytes);

    /** {@code sk_bsr_gemm(x, x_dtype, row_ptr, col_idx, values, blocks, block_rows, block_cols, workspace, bias, y,
     * y_dtype, tokens, in, out, stream)}; device pointers. */
    int bsrGemm(long x, int xDtype, long rowPtr, long colIdx, long values, long blocks, int blockRows,
                int blockCols, long workspace, long bias, long y, int yDtype, long tokens, long in, long out,
                long stream);

    /** {@code sk_channel_stats_reset(state, channels, stream)}; device state. */
    int channelStatsReset(long state, long channels, long stream);

    /** {@code sk_channel_stats_update(x, x_dtype, samples, channels, state, stream)}; device pointers. */
    int channelStatsUpdate(long x, int xDtype, long samples, long channels, long state, long stream);

    /** {@code sk_channel_stats_merge(state, other, channels, stream)}; device states. */
    int channelStatsMerge(long state, long other, long channels, long stream);

    /** {@code sk_channel_stats_finalize(state, channels, mean, variance, mean_square, stream)}; device pointers. */
    int channelStatsFinalize(long state, long channels, long mean, long variance, long meanSquare, long stream);

    /** {@code sk_gather_check(idx, count, limit)}; host pointer. */
    int gatherCheck(long idx, long count, long limit);

    /** {@code sk_gather_rows(src, dtype, rows, cols, idx, count, dst, stream)}; device pointers. */
    int gatherRows(long src, int dtype, long rows, long cols, long idx, long count, long dst, long stream);

    /** {@code sk_gather_cols(src, dtype, rows, cols, idx, count, dst, stream)}; device pointers. */
    int gatherCols(long src, int dtype, long rows, long cols, long idx, long count, long dst, long stream);

    /** {@code sk_attention(q, k, v, o, dtype, o_dtype, batch, heads_q, heads_kv, lq, lk, head_dim, scale, causal,
     * window_left, window_right, key_lengths, bias, bias_stride_b, bias_stride_h, bias_stride_q, mask,
     * mask_stride_b, mask_stride_h, mask_stride_q, head_mask, stream)}; device pointers. */
    int attention(long q, long k, long v, long o, int dtype, int oDtype, long batch, long headsQ, long headsKv,
                  long lq, long lk, long headDim, float scale, int causal, long windowLeft, long windowRight,
                  long keyLengths, long bias, long biasStrideB, long biasStrideH, long biasStrideQ, long mask,
                  long maskStrideB, long maskStrideH, long maskStrideQ, long headMask, long stream);

    /** {@code sk_attention_block_sparse(<sk_attention's arguments up to head_mask>, q_block, kv_block,
     * max_kv_blocks, kv_count, kv_index, kv_full, bs_stride_b, bs_stride_h, stream)}; device pointers. */
    int attentionBlockSparse(long q, long k, long v, long o, int dtype, int oDtype, long batch, long headsQ,
                             long headsKv, long lq, long lk, long headDim, float scale, int causal, long windowLeft,
                             long windowRight, long keyLengths, long bias, long biasStrideB, long biasStrideH,
                             long biasStrideQ, long mask, long maskStrideB, long maskStrideH, long maskStrideQ,
                             long headMask, int qBlock, int kvBlock, long maxKvBlocks, long kvCount, long kvIndex,
                             long kvFull, long bsStrideB, long bsStrideH, long stream);
}
