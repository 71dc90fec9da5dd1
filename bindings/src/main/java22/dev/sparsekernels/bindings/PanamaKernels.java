package dev.sparsekernels.bindings;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.nio.ByteBuffer;

/**
 * Panama (FFM, Java 22+) binding: one hand-written {@code static final} downcall handle per {@code sk_} symbol
 * (jextract is not on Maven Central, and the ABI is small). Compiled with release 22 into META-INF/versions/22 and
 * instantiated reflectively by {@link NativeLibrary}, after it has loaded the library, so its path is known here.
 *
 * <p>C pointers are {@code ADDRESS} in the descriptors (not {@code JAVA_LONG}, even though x86-64 passes both the
 * same way) so the descriptors say what the header says; the {@code long} addresses of {@link NativeKernels} are
 * wrapped with {@link MemorySegment#ofAddress}, which escape analysis removes.
 */
final class PanamaKernels implements NativeKernels {
    private static final Linker LINKER = Linker.nativeLinker();
    private static final MemoryLayout SIZE_T = LINKER.canonicalLayouts().get("size_t");
    private static final SymbolLookup LIBRARY = SymbolLookup.libraryLookup(NativeLibrary.libraryPath(), Arena.global());

    private static final MethodHandle VERSION = downcall("sk_version", FunctionDescriptor.of(ADDRESS));
    private static final MethodHandle CUDA_COMPILED = downcall("sk_cuda_compiled", FunctionDescriptor.of(JAVA_INT));
    private static final MethodHandle LAST_ERROR = downcall("sk_last_error", FunctionDescriptor.of(ADDRESS));
    private static final MethodHandle DEVICE_COUNT = downcall("sk_device_count", FunctionDescriptor.of(JAVA_INT, ADDRESS));
    private static final MethodHandle DEVICE_NAME =
            downcall("sk_device_name", FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, SIZE_T));
    private static final MethodHandle DEVICE_CAPABILITY =
            downcall("sk_device_capability", FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS));
    private static final MethodHandle SET_DEVICE = downcall("sk_set_device", FunctionDescriptor.of(JAVA_INT, JAVA_INT));
    private static final MethodHandle MALLOC = downcall("sk_malloc", FunctionDescriptor.of(JAVA_INT, ADDRESS, SIZE_T));
    private static final MethodHandle FREE = downcall("sk_free", FunctionDescriptor.of(JAVA_INT, ADDRESS));
    private static final FunctionDescriptor MEMCPY = FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, SIZE_T, ADDRESS);
    private static final MethodHandle MEMCPY_H2D = downcall("sk_memcpy_h2d", MEMCPY);
    private static final MethodHandle MEMCPY_D2H = downcall("sk_memcpy_d2h", MEMCPY);
    private static final MethodHandle MEMCPY_D2D = downcall("sk_memcpy_d2d", MEMCPY);
    private static final MethodHandle STREAM_CREATE = downcall("sk_stream_create", FunctionDescriptor.of(JAVA_INT, ADDRESS));
    private static final MethodHandle STREAM_DESTROY = downcall("sk_stream_destroy", FunctionDescriptor.of(JAVA_INT, ADDRESS));
    private static final MethodHandle STREAM_SYNCHRONIZE =
            downcall("sk_stream_synchronize", FunctionDescriptor.of(JAVA_INT, ADDRESS));
    private static final MethodHandle SPARSE24_GPU_SIZES = downcall("sk_sparse24_gpu_sizes",
            FunctionDescriptor.of(JAVA_INT, JAVA_LONG, JAVA_LONG, ADDRESS, ADDRESS));
    private static final MethodHandle SPARSE24_PACK = downcall("sk_sparse24_pack",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, JAVA_LONG, JAVA_LONG, ADDRESS, ADDRESS));
    private static final MethodHandle SPARSE24_CHECK_F32 = downcall("sk_sparse24_check_f32",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG, JAVA_LONG, ADDRESS, ADDRESS));
    private static final MethodHandle SPARSE24_GEMM = downcall("sk_sparse24_gemm",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, ADDRESS, ADDRESS, ADDRESS, ADDRESS, JAVA_INT,
                    JAVA_LONG, JAVA_LONG, JAVA_LONG, ADDRESS));
    private static final MethodHandle DENSE_GEMM = downcall("sk_dense_gemm",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, ADDRESS, ADDRESS, ADDRESS, JAVA_INT,
                    JAVA_LONG, JAVA_LONG, JAVA_LONG, ADDRESS));

    private static final MethodHandle BLAS_STATUS = downcall("sk_blas_status", FunctionDescriptor.of(JAVA_INT));
    private static final MethodHandle BLAS_GEMM = downcall("sk_blas_gemm",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, ADDRESS, ADDRESS, ADDRESS, JAVA_INT,
                    JAVA_LONG, JAVA_LONG, JAVA_LONG, ADDRESS));

    private static final MethodHandle BSR_CHECK = downcall("sk_bsr_check",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, JAVA_LONG, JAVA_INT, JAVA_INT, JAVA_LONG, JAVA_LONG));
    private static final MethodHandle BSR_WORKSPACE_SIZE = downcall("sk_bsr_workspace_size",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT, JAVA_INT, JAVA_LONG, JAVA_LONG, ADDRESS));
    private static final MethodHandle BSR_PLAN = downcall("sk_bsr_plan",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT, JAVA_INT, JAVA_LONG, JAVA_LONG, ADDRESS,
                    JAVA_LONG));
    private static final MethodHandle BSR_GEMM = downcall("sk_bsr_gemm",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, ADDRESS, ADDRESS, ADDRESS, JAVA_LONG, JAVA_INT,
                    JAVA_INT, ADDRESS, ADDRESS, ADDRESS, JAVA_INT, JAVA_LONG, JAVA_LONG, JAVA_LONG, ADDRESS));

    private static final MethodHandle CHANNEL_STATS_RESET = downcall("sk_channel_stats_reset",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG, ADDRESS));
    private static final MethodHandle CHANNEL_STATS_UPDATE = downcall("sk_channel_stats_update",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_LONG, JAVA_LONG, ADDRESS, ADDRESS));
    private static final MethodHandle CHANNEL_STATS_MERGE = downcall("sk_channel_stats_merge",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, JAVA_LONG, ADDRESS));
    private static final MethodHandle CHANNEL_STATS_FINALIZE = downcall("sk_channel_stats_finalize",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG, ADDRESS, ADDRESS, ADDRESS, ADDRESS));
    private static final MethodHandle GATHER_CHECK = downcall("sk_gather_check",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG, JAVA_LONG));
    private static final FunctionDescriptor GATHER =
            FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_LONG, JAVA_LONG, ADDRESS, JAVA_LONG, ADDRESS, ADDRESS);
    private static final MethodHandle GATHER_ROWS = downcall("sk_gather_rows", GATHER);
    private static final MethodHandle GATHER_COLS = downcall("sk_gather_cols", GATHER);

    private static final MemoryLayout[] ATTENTION_ARGS = {
            ADDRESS, ADDRESS, ADDRESS, ADDRESS, JAVA_INT, JAVA_INT,          // q, k, v, o, dtype, o_dtype
            JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, // batch, heads_q, heads_kv, lq, lk, head_dim
            JAVA_FLOAT, JAVA_INT, JAVA_LONG, JAVA_LONG,                      // scale, causal, window_left, window_right
            ADDRESS, ADDRESS, JAVA_LONG, JAVA_LONG, JAVA_LONG,                // key_lengths, bias, bias strides b, h, q
            ADDRESS, JAVA_LONG, JAVA_LONG, JAVA_LONG,                         // mask, mask strides b, h, q
            ADDRESS};                                                         // head_mask
    private static final MethodHandle ATTENTION = downcall("sk_attention",
            FunctionDescriptor.of(JAVA_INT, ATTENTION_ARGS).appendArgumentLayouts(ADDRESS));
    private static final MethodHandle ATTENTION_BLOCK_SPARSE = downcall("sk_attention_block_sparse",
            FunctionDescriptor.of(JAVA_INT, ATTENTION_ARGS).appendArgumentLayouts(
                    JAVA_INT, JAVA_INT, JAVA_LONG,     // q_block, kv_block, max_kv_blocks
                    ADDRESS, ADDRESS, ADDRESS,         // kv_count, kv_index, kv_full
                    JAVA_LONG, JAVA_LONG, ADDRESS));   // bs_stride_b, bs_stride_h, stream

    PanamaKernels() {
    }

    private static MethodHandle downcall(String name, FunctionDescriptor descriptor) {
        MemorySegment symbol = LIBRARY.find(name).orElseThrow(() -> new UnsatisfiedLinkError(
                "symbol " + name + " not found in " + NativeLibrary.libraryPath()));
        return LINKER.downcallHandle(symbol, descriptor);
    }

    private static MemorySegment ptr(long address) {
        return MemorySegment.ofAddress(address);
    }

    /** A const char* with static or thread-local storage on the C side, copied into a Java String. */
    private static String string(MemorySegment cString) {
        return cString.equals(MemorySegment.NULL) ? "" : cString.reinterpret(Long.MAX_VALUE).getString(0);
    }

    /** invokeExact declares Throwable; downcalls only throw unchecked ones, anything else is a bug here. */
    private static RuntimeException rethrow(Throwable t) {
        if (t instanceof RuntimeException r) {
            throw r;
        }
        if (t instanceof Error e) {
            throw e;
        }
        throw new IllegalStateException("unexpected checked exception from a downcall", t);
    }

    @Override public String bindingName() { return "panama"; }

    @Override public long addressOf(ByteBuffer direct) {
        if (!direct.isDirect()) {
            throw new IllegalArgumentException("buffer: expected a direct ByteBuffer, got a heap buffer");
        }
        // ofBuffer starts at the position; a cleared duplicate makes that element 0 without touching the caller's.
        return MemorySegment.ofBuffer(direct.duplicate().clear()).address();
    }

    @Override public String version() {
        try { return string((MemorySegment) VERSION.invokeExact()); } catch (Throwable t) { throw rethrow(t); }
    }

    @Override public int cudaCompiled() {
        try { return (int) CUDA_COMPILED.invokeExact(); } catch (Throwable t) { throw rethrow(t); }
    }

    @Override public String lastError() {
        try { return string((MemorySegment) LAST_ERROR.invokeExact()); } catch (Throwable t) { throw rethrow(t); }
    }

    @Override public int deviceCount(long countPtr) {
        try { return (int) DEVICE_COUNT.invokeExact(ptr(countPtr)); } catch (Throwable t) { throw rethrow(t); }
    }

    @Override public int deviceName(int ordinal, long buf, long capacity) {
        try { return (int) DEVICE_NAME.invokeExact(ordinal, ptr(buf), capacity); } catch (Throwable t) { throw rethrow(t); }
    }

    @Override public int deviceCapability(int ordinal, long capabilityPtr) {
        try { return (int) DEVICE_CAPABILITY.invokeExact(ordinal, ptr(capabilityPtr)); } catch (Throwable t) { throw rethrow(t); }
    }

    @Override public int setDevice(int ordinal) {
        try { return (int) SET_DEVICE.invokeExact(ordinal); } catch (Throwable t) { throw rethrow(t); }
    }

    @Override public int malloc(long devicePtrPtr, long bytes) {
        try { return (int) MALLOC.invokeExact(ptr(devicePtrPtr), bytes); } catch (Throwable t) { throw rethrow(t); }
    }

    @Override public int free(long devicePtr) {
        try { return (int) FREE.invokeExact(ptr(devicePtr)); } catch (Throwable t) { throw rethrow(t); }
    }

    @Override public int memcpyH2d(long dst, long src, long bytes, long stream) {
        try { return (int) MEMCPY_H2D.invokeExact(ptr(dst), ptr(src), bytes, ptr(stream)); } catch (Throwable t) { throw rethrow(t); }
    }

    @Override public int memcpyD2h(long dst, long src, long bytes, long stream) {
        try { return (int) MEMCPY_D2H.invokeExact(ptr(dst), ptr(src), bytes, ptr(stream)); } catch (Throwable t) { throw rethrow(t); }
    }

    @Override public int memcpyD2d(long dst, long src, long bytes, long stream) {
        try { return (int) MEMCPY_D2D.invokeExact(ptr(dst), ptr(src), bytes, ptr(stream)); } catch (Throwable t) { throw rethrow(t); }
    }

    @Override public int streamCreate(long streamPtr) {
        try { return (int) STREAM_CREATE.invokeExact(ptr(streamPtr)); } catch (Throwable t) { throw rethrow(t); }
    }

    @Override public int streamDestroy(long stream) {
        try { return (int) STREAM_DESTROY.invokeExact(ptr(stream)); } catch (Throwable t) { throw rethrow(t); }
    }

    @Override public int streamSynchronize(long stream) {
        try { return (int) STREAM_SYNCHRONIZE.invokeExact(ptr(stream)); } catch (Throwable t) { throw rethrow(t); }
    }

    @Override public int sparse24GpuSizes(long rows, long cols, long valueCountPtr, long metaWordsPtr) {
        try {
            return (int) SPARSE24_GPU_SIZES.invokeExact(rows, cols, ptr(valueCountPtr), ptr(metaWordsPtr));
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    @Override public int sparse24Pack(long values, long indices, long rows, long cols, long gpuValues, long gpuMeta) {
        try {
            return (int) SPARSE24_PACK.invokeExact(ptr(values), ptr(indices), rows, cols, ptr(gpuValues), ptr(gpuMeta));
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    @Override public int sparse24CheckF32(long w, long rows, long cols, long badRowPtr, long badGroupPtr) {
        try {
            return (int) SPARSE24_CHECK_F32.invokeExact(ptr(w), rows, cols, ptr(badRowPtr), ptr(badGroupPtr));
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    @Override public int sparse24Gemm(long x, int xDtype, long gpuValues, long gpuMeta, long bias, long y, int yDtype,
                                      long tokens, long in, long out, long stream) {
        try {
            return (int) SPARSE24_GEMM.invokeExact(ptr(x), xDtype, ptr(gpuValues), ptr(gpuMeta), ptr(bias), ptr(y),
                    yDtype, tokens, in, out, ptr(stream));
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    @Override public int denseGemm(long x, int xDtype, long w, long bias, long y, int yDtype,
                                   long tokens, long in, long out, long stream) {
        try {
            return (int) DENSE_GEMM.invokeExact(ptr(x), xDtype, ptr(w), ptr(bias), ptr(y), yDtype, tokens, in, out,
                    ptr(stream));
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    @Override public int blasStatus() {
        try { return (int) BLAS_STATUS.invokeExact(); } catch (Throwable t) { throw rethrow(t); }
    }

    @Override public int blasGemm(long x, int xDtype, long w, long bias, long y, int yDtype,
                                  long tokens, long in, long out, long stream) {
        try {
            return (int) BLAS_GEMM.invokeExact(ptr(x), xDtype, ptr(w), ptr(bias), ptr(y), yDtype, tokens, in, out,
                    ptr(stream));
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    @Override public int bsrCheck(long rowPtr, long colIdx, long blocks, int blockRows, int blockCols, long out,
                                  long in) {
        try {
            return (int) BSR_CHECK.invokeExact(ptr(rowPtr), ptr(colIdx), blocks, blockRows, blockCols, out, in);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    @Override public int bsrWorkspaceSize(long hostRowPtr, long blocks, int blockRows, int blockCols, long tokens,
                                          long out, long bytesPtr) {
        try {
            return (int) BSR_WORKSPACE_SIZE.invokeExact(ptr(hostRowPtr), blocks, blockRows, blockCols, tokens, out,
                    ptr(bytesPtr));
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    @Override public int bsrPlan(long hostRowPtr, long blocks, int blockRows, int blockCols, long tokens, long out,
                                 long hostWorkspace, long bytes) {
        try {
            return (int) BSR_PLAN.invokeExact(ptr(hostRowPtr), blocks, blockRows, blockCols, tokens, out,
                    ptr(hostWorkspace), bytes);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    @Override public int bsrGemm(long x, int xDtype, long rowPtr, long colIdx, long values, long blocks,
                                 int blockRows, int blockCols, long workspace, long bias, long y, int yDtype,
                                 long tokens, long in, long out, long stream) {
        try {
            return (int) BSR_GEMM.invokeExact(ptr(x), xDtype, ptr(rowPtr), ptr(colIdx), ptr(values), blocks,
                    blockRows, blockCols, ptr(workspace), ptr(bias), ptr(y), yDtype, tokens, in, out, ptr(stream));
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    @Override public int channelStatsReset(long state, long channels, long stream) {
        try {
            return (int) CHANNEL_STATS_RESET.invokeExact(ptr(state), channels, ptr(stream));
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    @Override public int channelStatsUpdate(long x, int xDtype, long samples, long channels, long state,
                                            long stream) {
        try {
            return (int) CHANNEL_STATS_UPDATE.invokeExact(ptr(x), xDtype, samples, channels, ptr(state), ptr(stream));
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    @Override public int channelStatsMerge(long state, long other, long channels, long stream) {
        try {
            return (int) CHANNEL_STATS_MERGE.invokeExact(ptr(state), ptr(other), channels, ptr(stream));
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    @Override public int channelStatsFinalize(long state, long channels, long mean, long variance, long meanSquare,
                                              long stream) {
        try {
            return (int) CHANNEL_STATS_FINALIZE.invokeExact(ptr(state), channels, ptr(mean), ptr(variance),
                    ptr(meanSquare), ptr(stream));
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    @Override public int gatherCheck(long idx, long count, long limit) {
        try {
            return (int) GATHER_CHECK.invokeExact(ptr(idx), count, limit);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    @Override public int gatherRows(long src, int dtype, long rows, long cols, long idx, long count, long dst,
                                    long stream) {
        try {
            return (int) GATHER_ROWS.invokeExact(ptr(src), dtype, rows, cols, ptr(idx), count, ptr(dst), ptr(stream));
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    @Override public int gatherCols(long src, int dtype, long rows, long cols, long idx, long count, long dst,
                                    long stream) {
        try {
            return (int) GATHER_COLS.invokeExact(ptr(src), dtype, rows, cols, ptr(idx), count, ptr(dst), ptr(stream));
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    @Override public int attention(long q, long k, long v, long o, int dtype, int oDtype, long batch, long headsQ,
                                   long headsKv, long lq, long lk, long headDim, float scale, int causal,
                                   long windowLeft, long windowRight, long keyLengths, long bias, long biasStrideB,
                                   long biasStrideH, long biasStrideQ, long mask, long maskStrideB, long maskStrideH,
                                   long maskStrideQ, long headMask, long stream) {
        try {
            return (int) ATTENTION.invokeExact(ptr(q), ptr(k), ptr(v), ptr(o), dtype, oDtype, batch, headsQ, headsKv,
                    lq, lk, headDim, scale, causal, windowLeft, windowRight, ptr(keyLengths), ptr(bias), biasStrideB,
                    biasStrideH, biasStrideQ, ptr(mask), maskStrideB, maskStrideH, maskStrideQ, ptr(headMask),
                    ptr(stream));
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    @Override public int attentionBlockSparse(long q, long k, long v, long o, int dtype, int oDtype, long batch,
                                              long headsQ, long headsKv, long lq, long lk, long headDim, float scale,
                                              int causal, long windowLeft, long windowRight, long keyLengths,
                                              long bias, long biasStrideB, long biasStrideH, long biasStrideQ,
                                              long mask, long maskStrideB, long maskStrideH, long maskStrideQ,
                                              long headMask, int qBlock, int kvBlock, long maxKvBlocks, long kvCount,
                                              long kvIndex, long kvFull, long bsStrideB, long bsStrideH,
                                              long stream) {
        try {
            return (int) ATTENTION_BLOCK_SPARSE.invokeExact(ptr(q), ptr(k), ptr(v), ptr(o), dtype, oDtype, batch,
                    headsQ, headsKv, lq, lk, headDim, scale, causal, windowLeft, windowRight, ptr(keyLengths),
                    ptr(bias), biasStrideB, biasStrideH, biasStrideQ, ptr(mask), maskStrideB, maskStrideH,
                    maskStrideQ, ptr(headMask), qBlock, kvBlock, maxKvBlocks, ptr(kvCount), ptr(kvIndex),
                    ptr(kvFull), bsStrideB, bsStrideH, ptr(stream));
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }
}
