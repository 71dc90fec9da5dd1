package dev.sparsekernels.bindings;

import java.nio.ByteBuffer;
import org.bytedeco.javacpp.Loader;
import org.bytedeco.javacpp.annotation.Cast;
import org.bytedeco.javacpp.annotation.Platform;

/**
 * JavaCPP binding (Java 17+). JavaCPP's Builder runs at Maven build time (process-classes) over this class and
 * sparsekernels.h and puts {@code libjniJavaCppKernels.so} next to it in the jar
 * ({@code dev/sparsekernels/bindings/linux-x86_64/}); that JNI library has a DT_NEEDED on
 * {@code libsparsekernels.so}, which {@link NativeLibrary} has already loaded by then, so glibc resolves it by
 * soname without LD_LIBRARY_PATH.
 *
 * <p>The static natives are the generated JNI entry points (named exactly like the C functions, which is how
 * JavaCPP finds the function to call); pointers travel as {@code long} and are cast in the generated C++. The
 * instance methods implement {@link NativeKernels}. {@code skj_address} comes from
 * {@code src/main/cpp/sparsekernels_javacpp.h}: JavaCPP's generated code turns a direct buffer argument into its
 * address, which gives {@link #addressOf} without JavaCPP's own {@code Pointer} natives (libjnijavacpp).
 */
@Platform(value = "linux-x86_64", include = {"sparsekernels.h", "sparsekernels_javacpp.h"}, link = "sparsekernels")
public final class JavaCppKernels implements NativeKernels {

    /** Loads the JNI library; call only after libsparsekernels.so is loaded (see {@link NativeLibrary}). */
    static JavaCppKernels load() {
        Loader.load(JavaCppKernels.class);
        return new JavaCppKernels();
    }

    private JavaCppKernels() {
    }

    // ---- generated JNI entry points, one per sk_ function ----
    static native @Cast("const char*") String sk_version();
    static native int sk_cuda_compiled();
    static native @Cast("const char*") String sk_last_error();
    static native int sk_device_count(@Cast("int*") long count);
    static native int sk_device_name(int ordinal, @Cast("char*") long buf, @Cast("size_t") long capacity);
    static native int sk_device_capability(int ordinal, @Cast("int*") long capability);
    static native int sk_set_device(int ordinal);
    static native int sk_malloc(@Cast("void**") long devicePtr, @Cast("size_t") long bytes);
    static native int sk_free(@Cast("void*") long devicePtr);
    static native int sk_memcpy_h2d(@Cast("void*") long dst, @Cast("const void*") long src,
                                    @Cast("size_t") long bytes, @Cast("void*") long stream);
    static native int sk_memcpy_d2h(@Cast("void*") long dst, @Cast("const void*") long src,
                                    @Cast("size_t") long bytes, @Cast("void*") long stream);
    static native int sk_memcpy_d2d(@Cast("void*") long dst, @Cast("const void*") long src,
                                    @Cast("size_t") long bytes, @Cast("void*") long stream);
    static native int sk_stream_create(@Cast("void**") long stream);
    static native int sk_stream_destroy(@Cast("void*") long stream);
    static native int sk_stream_synchronize(@Cast("void*") long stream);
    static native int sk_sparse24_gpu_sizes(@Cast("int64_t") long rows, @Cast("int64_t") long cols,
                                            @Cast("int64_t*") long valueCount, @Cast("int64_t*") long metaWords);
    static native int sk_sparse24_pack(@Cast("const uint16_t*") long values, @Cast("const uint8_t*") long indices,
                                       @Cast("int64_t") long rows, @Cast("int64_t") long cols,
                                       @Cast("uint16_t*") long gpuValues, @Cast("uint32_t*") long gpuMeta);
    static native int sk_sparse24_check_f32(@Cast("const float*") long w, @Cast("int64_t") long rows,
                                            @Cast("int64_t") long cols, @Cast("int64_t*") long badRow,
                                            @Cast("int64_t*") long badGroup);
    static native int sk_sparse24_gemm(@Cast("const void*") long x, int xDtype, @Cast("const void*") long gpuValues,
                                       @Cast("const uint32_t*") long gpuMeta, @Cast("const float*") long bias,
                                       @Cast("void*") long y, int yDtype, @Cast("int64_t") long tokens,
                                       @Cast("int64_t") long in, @Cast("int64_t") long out,
                                       @Cast("void*") long stream);
    static native int sk_dense_gemm(@Cast("const void*") long x, int xDtype, @Cast("const void*") long w,
                                    @Cast("const float*") long bias, @Cast("void*") long y, int yDtype,
                                    @Cast("int64_t") long tokens, @Cast("int64_t") long in,
                                    @Cast("int64_t") long out, @Cast("void*") long stream);
    static native int sk_blas_status();
    static native int sk_blas_gemm(@Cast("const void*") long x, int xDtype, @Cast("const void*") long w,
                                   @Cast("const float*") long bias, @Cast("void*") long y, int yDtype,
                                   @Cast("int64_t") long tokens, @Cast("int64_t") long in,
                                   @Cast("int64_t") long out, @Cast("void*") long stream);
    static native int sk_bsr_check(@Cast("const int32_t*") long rowPtr, @Cast("const int32_t*") long colIdx,
                                   @Cast("int64_t") long blocks, int blockRows, int blockCols,
                                   @Cast("int64_t") long out, @Cast("int64_t") long in);
    static native int sk_bsr_workspace_size(@Cast("const int32_t*") long rowPtr, @Cast("int64_t") long blocks,
                                            int blockRows, int blockCols, @Cast("int64_t") long tokens,
                                            @Cast("int64_t") long out, @Cast("int64_t*") long bytes);
    static native int sk_bsr_plan(@Cast("const int32_t*") long rowPtr, @Cast("int64_t") long blocks,
                                  int blockRows, int blockCols, @Cast("int64_t") long tokens,
                                  @Cast("int64_t") long out, @Cast("void*") long workspace,
                                  @Cast("int64_t") long bytes);
    static native int sk_bsr_gemm(@Cast("const void*") long x, int xDtype, @Cast("const int32_t*") long rowPtr,
                                  @Cast("const int32_t*") long colIdx, @Cast("const void*") long values,
                                  @Cast("int64_t") long blocks, int blockRows, int blockCols,
                                  @Cast("void*") long workspace, @Cast("const float*") long bias,
                                  @Cast("void*") long y, int yDtype, @Cast("int64_t") long tokens,
                                  @Cast("int64_t") long in, @Cast("int64_t") long out, @Cast("void*") long stream);
    static native int sk_channel_stats_reset(@Cast("double*") long state, @Cast("int64_t") long channels,
                                             @Cast("void*") long stream);
    static native int sk_channel_stats_update(@Cast("const void*") long x, int xDtype, @Cast("int64_t") long samples,
                                              @Cast("int64_t") long channels, @Cast("double*") long state,
                                              @Cast("void*") long stream);
    static native int sk_channel_stats_merge(@Cast("double*") long state, @Cast("const double*") long other,
                                             @Cast("int64_t") long channels, @Cast("void*") long stream);
    static native int sk_channel_stats_finalize(@Cast("const double*") long state, @Cast("int64_t") long channels,
                                                @Cast("float*") long mean, @Cast("float*") long variance,
                                                @Cast("float*") long meanSquare, @Cast("void*") long stream);
    static native int sk_gather_check(@Cast("const int64_t*") long idx, @Cast("int64_t") long count,
                                      @Cast("int64_t") long limit);
    static native int sk_gather_rows(@Cast("const void*") long src, int dtype, @Cast("int64_t") long rows,
                                     @Cast("int64_t") long cols, @Cast("const int64_t*") long idx,
                                     @Cast("int64_t") long count, @Cast("void*") long dst, @Cast("void*") long stream);
    static native int sk_gather_cols(@Cast("const void*") long src, int dtype, @Cast("int64_t") long rows,
                                     @Cast("int64_t") long cols, @Cast("const int64_t*") long idx,
                                     @Cast("int64_t") long count, @Cast("void*") long dst, @Cast("void*") long stream);
    static native int sk_attention(@Cast("const void*") long q, @Cast("const void*") long k,
                                   @Cast("const void*") long v, @Cast("void*") long o, int dtype, int oDtype,
                                   @Cast("int64_t") long batch, @Cast("int64_t") long headsQ,
                                   @Cast("int64_t") long headsKv, @Cast("int64_t") long lq,
                                   @Cast("int64_t") long lk, @Cast("int64_t") long headDim, float scale,
                                   int causal, @Cast("int64_t") long windowLeft, @Cast("int64_t") long windowRight,
                                   @Cast("const int32_t*") long keyLengths, @Cast("const float*") long bias,
                                   @Cast("int64_t") long biasStrideB, @Cast("int64_t") long biasStrideH,
                                   @Cast("int64_t") long biasStrideQ, @Cast("const uint8_t*") long mask,
                                   @Cast("int64_t") long maskStrideB, @Cast("int64_t") long maskStrideH,
                                   @Cast("int64_t") long maskStrideQ, @Cast("const uint8_t*") long headMask,
                                   @Cast("void*") long stream);
    static native int sk_attention_block_sparse(@Cast("const void*") long q, @Cast("const void*") long k,
                                                @Cast("const void*") long v, @Cast("void*") long o, int dtype,
                                                int oDtype, @Cast("int64_t") long batch,
                                                @Cast("int64_t") long headsQ, @Cast("int64_t") long headsKv,
                                                @Cast("int64_t") long lq, @Cast("int64_t") long lk,
                                                @Cast("int64_t") long headDim, float scale, int causal,
                                                @Cast("int64_t") long windowLeft, @Cast("int64_t") long windowRight,
                                                @Cast("const int32_t*") long keyLengths,
                                                @Cast("const float*") long bias, @Cast("int64_t") long biasStrideB,
                                                @Cast("int64_t") long biasStrideH, @Cast("int64_t") long biasStrideQ,
                                                @Cast("const uint8_t*") long mask, @Cast("int64_t") long maskStrideB,
                                                @Cast("int64_t") long maskStrideH, @Cast("int64_t") long maskStrideQ,
                                                @Cast("const uint8_t*") long headMask, int qBlock, int kvBlock,
                                                @Cast("int64_t") long maxKvBlocks,
                                                @Cast("const int32_t*") long kvCount,
                                                @Cast("const int32_t*") long kvIndex,
                                                @Cast("const uint8_t*") long kvFull, @Cast("int64_t") long bsStrideB,
                                                @Cast("int64_t") long bsStrideH, @Cast("void*") long stream);
    static native @Cast("jlong") long skj_address(@Cast("void*") ByteBuffer direct);

    // ---- NativeKernels ----
    @Override public String bindingName() { return "javacpp"; }

    @Override public long addressOf(ByteBuffer direct) {
        if (!direct.isDirect()) {
            throw new IllegalArgumentException("buffer: expected a direct ByteBuffer, got a heap buffer");
        }
        // JavaCPP adds the buffer's position to the address it passes; clear() on a duplicate makes that 0.
        ByteBuffer whole = direct.duplicate();
        whole.clear();
        return skj_address(whole);
    }

    @Override public String version() { return sk_version(); }
    @Override public int cudaCompiled() { return sk_cuda_compiled(); }
    @Override public String lastError() { return sk_last_error(); }
    @Override public int deviceCount(long countPtr) { return sk_device_count(countPtr); }
    @Override public int deviceName(int ordinal, long buf, long capacity) { return sk_device_name(ordinal, buf, capacity); }
    @Override public int deviceCapability(int ordinal, long capabilityPtr) { return sk_device_capability(ordinal, capabilityPtr); }
    @Override public int setDevice(int ordinal) { return sk_set_device(ordinal); }
    @Override public int malloc(long devicePtrPtr, long bytes) { return sk_malloc(devicePtrPtr, bytes); }
    @Override public int free(long devicePtr) { return sk_free(devicePtr); }
    @Override public int memcpyH2d(long dst, long src, long bytes, long stream) { return sk_memcpy_h2d(dst, src, bytes, stream); }
    @Override public int memcpyD2h(long dst, long src, long bytes, long stream) { return sk_memcpy_d2h(dst, src, bytes, stream); }
    @Override public int memcpyD2d(long dst, long src, long bytes, long stream) { return sk_memcpy_d2d(dst, src, bytes, stream); }
    @Override public int streamCreate(long streamPtr) { return sk_stream_create(streamPtr); }
    @Override public int streamDestroy(long stream) { return sk_stream_destroy(stream); }
    @Override public int streamSynchronize(long stream) { return sk_stream_synchronize(stream); }

    @Override public int sparse24GpuSizes(long rows, long cols, long valueCountPtr, long metaWordsPtr) {
        return sk_sparse24_gpu_sizes(rows, cols, valueCountPtr, metaWordsPtr);
    }

    @Override public int sparse24Pack(long values, long indices, long rows, long cols, long gpuValues, long gpuMeta) {
        return sk_sparse24_pack(values, indices, rows, cols, gpuValues, gpuMeta);
    }

    @Override public int sparse24CheckF32(long w, long rows, long cols, long badRowPtr, long badGroupPtr) {
        return sk_sparse24_check_f32(w, rows, cols, badRowPtr, badGroupPtr);
    }

    @Override public int sparse24Gemm(long x, int xDtype, long gpuValues, long gpuMeta, long bias, long y, int yDtype,
                                      long tokens, long in, long out, long stream) {
        return sk_sparse24_gemm(x, xDtype, gpuValues, gpuMeta, bias, y, yDtype, tokens, in, out, stream);
    }

    @Override public int denseGemm(long x, int xDtype, long w, long bias, long y, int yDtype,
                                   long tokens, long in, long out, long stream) {
        return sk_dense_gemm(x, xDtype, w, bias, y, yDtype, tokens, in, out, stream);
    }

    @Override public int blasStatus() {
        return sk_blas_status();
    }

    @Override public int blasGemm(long x, int xDtype, long w, long bias, long y, int yDtype,
                                  long tokens, long in, long out, long stream) {
        return sk_blas_gemm(x, xDtype, w, bias, y, yDtype, tokens, in, out, stream);
    }

    @Override public int bsrCheck(long rowPtr, long colIdx, long blocks, int blockRows, int blockCols, long out,
                                  long in) {
        return sk_bsr_check(rowPtr, colIdx, blocks, blockRows, blockCols, out, in);
    }

    @Override public int bsrWorkspaceSize(long hostRowPtr, long blocks, int blockRows, int blockCols, long tokens,
                                          long out, long bytesPtr) {
        return sk_bsr_workspace_size(hostRowPtr, blocks, blockRows, blockCols, tokens, out, bytesPtr);
    }

    @Override public int bsrPlan(long hostRowPtr, long blocks, int blockRows, int blockCols, long tokens, long out,
                                 long hostWorkspace, long bytes) {
        return sk_bsr_plan(hostRowPtr, blocks, blockRows, blockCols, tokens, out, hostWorkspace, bytes);
    }

    @Override public int bsrGemm(long x, int xDtype, long rowPtr, long colIdx, long values, long blocks,
                                 int blockRows, int blockCols, long workspace, long bias, long y, int yDtype,
                                 long tokens, long in, long out, long stream) {
        return sk_bsr_gemm(x, xDtype, rowPtr, colIdx, values, blocks, blockRows, blockCols, workspace, bias, y,
                yDtype, tokens, in, out, stream);
    }

    @Override public int channelStatsReset(long state, long channels, long stream) {
        return sk_channel_stats_reset(state, channels, stream);
    }

    @Override public int channelStatsUpdate(long x, int xDtype, long samples, long channels, long state,
                                            long stream) {
        return sk_channel_stats_update(x, xDtype, samples, channels, state, stream);
    }

    @Override public int channelStatsMerge(long state, long other, long channels, long stream) {
        return sk_channel_stats_merge(state, other, channels, stream);
    }

    @Override public int channelStatsFinalize(long state, long channels, long mean, long variance, long meanSquare,
                                              long stream) {
        return sk_channel_stats_finalize(state, channels, mean, variance, meanSquare, stream);
    }

    @Override public int gatherCheck(long idx, long count, long limit) {
        return sk_gather_check(idx, count, limit);
    }

    @Override public int gatherRows(long src, int dtype, long rows, long cols, long idx, long count, long dst,
                                    long stream) {
        return sk_gather_rows(src, dtype, rows, cols, idx, count, dst, stream);
    }

    @Override public int gatherCols(long src, int dtype, long rows, long cols, long idx, long count, long dst,
                                    long stream) {
        return sk_gather_cols(src, dtype, rows, cols, idx, count, dst, stream);
    }

    @Override public int attention(long q, long k, long v, long o, int dtype, int oDtype, long batch, long headsQ,
                                   long headsKv, long lq, long lk, long headDim, float scale, int causal,
                                   long windowLeft, long windowRight, long keyLengths, long bias, long biasStrideB,
                                   long biasStrideH, long biasStrideQ, long mask, long maskStrideB, long maskStrideH,
                                   long maskStrideQ, long headMask, long stream) {
        return sk_attention(q, k, v, o, dtype, oDtype, batch, headsQ, headsKv, lq, lk, headDim, scale, causal,
                windowLeft, windowRight, keyLengths, bias, biasStrideB, biasStrideH, biasStrideQ, mask, maskStrideB,
                maskStrideH, maskStrideQ, headMask, stream);
    }

    @Override public int attentionBlockSparse(long q, long k, long v, long o, int dtype, int oDtype, long batch,
                                              long headsQ, long headsKv, long lq, long lk, long headDim, float scale,
                                              int causal, long windowLeft, long windowRight, long keyLengths,
                                              long bias, long biasStrideB, long biasStrideH, long biasStrideQ,
                                              long mask, long maskStrideB, long maskStrideH, long maskStrideQ,
                                              long headMask, int qBlock, int kvBlock, long maxKvBlocks, long kvCount,
                                              long kvIndex, long kvFull, long bsStrideB, long bsStrideH,
                                              long stream) {
        return sk_attention_block_sparse(q, k, v, o, dtype, oDtype, batch, headsQ, headsKv, lq, lk, headDim, scale,
                causal, windowLeft, windowRight, keyLengths, bias, biasStrideB, biasStrideH, biasStrideQ, mask,
                maskStrideB, maskStrideH, maskStrideQ, headMask, qBlock, kvBlock, maxKvBlocks, kvCount, kvIndex,
                kvFull, bsStrideB, bsStrideH, stream);
    }
}
