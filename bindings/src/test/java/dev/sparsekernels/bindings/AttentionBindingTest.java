package dev.sparsekernels.bindings;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.function.Consumer;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * sk_attention and sk_attention_block_sparse through each binding: without a device a valid call is a
 * NativeException (the C side checks everything before touching memory, so fake addresses never fault), and bad
 * arguments are refused in Java with a message naming them.
 */
class AttentionBindingTest {
    /** 16-byte aligned and never dereferenced. */
    private static final long FAKE = 1L << 20;

    /** One call's arguments, valid by default: B 2, Hq 8, Hkv 2 (GQA), Lq 100, Lk 300, D 64, every mask kind. */
    private static final class Args {
        long q = FAKE, k = FAKE + 0x1000, v = FAKE + 0x2000, o = FAKE + 0x3000;
        int dtype = NativeDType.F16, oDtype = NativeDType.F32;
        long batch = 2, headsQ = 8, headsKv = 2, lq = 100, lk = 300, headDim = 64;
        float scale = 0.125f;
        boolean causal = true;
        long windowLeft = 63, windowRight = -1;
        long keyLengths = FAKE + 0x4000;
        long bias = FAKE + 0x5000, biasStrideB = 8 * 100 * 300, biasStrideH = 100 * 300, biasStrideQ = 300;
        long mask = FAKE + 0x6001, maskStrideB = 300, maskStrideH = 0, maskStrideQ = 0; // uint8: any address
        long headMask = FAKE + 0x7003;
        int qBlock = 64, kvBlock = 128;
        long maxKvBlocks = 3, kvCount = FAKE + 0x8000, kvIndex = FAKE + 0x9000, kvFull = FAKE + 0xa001;
        long bsStrideB = 8 * 2, bsStrideH = 2;
        long stream = 0;

        static Args with(Consumer<Args> change) {
            Args a = new Args();
            change.accept(a);
            return a;
        }

        void attention(NativeCalls calls) {
            calls.attention(q, k, v, o, dtype, oDtype, batch, headsQ, headsKv, lq, lk, headDim, scale, causal,
                    windowLeft, windowRight, keyLengths, bias, biasStrideB, biasStrideH, biasStrideQ, mask,
                    maskStrideB, maskStrideH, maskStrideQ, headMask, stream);
        }

        void blockSparse(NativeCalls calls) {
            calls.attentionBlockSparse(q, k, v, o, dtype, oDtype, batch, headsQ, headsKv, lq, lk, headDim, scale,
                    causal, windowLeft, windowRight, keyLengths, bias, biasStrideB, biasStrideH, biasStrideQ, mask,
                    maskStrideB, maskStrideH, maskStrideQ, headMask, qBlock, kvBlock, maxKvBlocks, kvCount, kvIndex,
                    kvFull, bsStrideB, bsStrideH, stream);
        }
    }

    private static NativeCalls callsWithoutDevice(String binding) {
        NativeCalls calls = Bindings.calls(binding);
        int devices = calls.deviceCount();
        assumeTrue(devices == 0, () -> "skipped: this host has " + devices + " CUDA device(s), so fake addresses"
                + " would reach a real kernel launch; the no-device path is only testable without a GPU");
        return calls;
    }

    private static void assertNoDevice(NativeException e) {
        assertTrue(e.status() == NativeStatus.ERR_UNSUPPORTED || e.status() == NativeStatus.ERR_NO_DEVICE,
                e.getMessage());
    }

    @ParameterizedTest
    @MethodSource("dev.sparsekernels.bindings.Bindings#names")
    void validAttentionWithoutADeviceIsANativeException(String binding) {
        NativeCalls calls = callsWithoutDevice(binding);
        for (Args a : new Args[] {
                new Args(),
                // the minimal call: no optional pointer, no window, bf16 in and out, MHA, D 8 and D 256
                Args.with(x -> {
                    x.dtype = NativeDType.BF16;
                    x.oDtype = NativeDType.BF16;
                    x.o = FAKE + 4; // a bf16 output only needs 4-byte alignment (pairs of outputs)
                    x.headsKv = x.headsQ;
                    x.headDim = 8;
                    x.causal = false;
                    x.windowLeft = -1;
                    x.keyLengths = 0;
                    x.bias = 0;
                    x.biasStrideB = -5; // ignored without a bias
                    x.mask = 0;
                    x.maskStrideQ = -5; // ignored without a mask
                    x.headMask = 0;
                }),
                Args.with(x -> {
                    x.headDim = 256;
                    x.headsKv = 1;
                    x.scale = -0.5f; // any finite scale, as on the C side
                })}) {
            NativeException e = assertThrows(NativeException.class, () -> a.attention(calls));
            assertNoDevice(e);
            assertTrue(e.function().equals("sk_attention"), e.getMessage());
        }
    }

    @ParameterizedTest
    @MethodSource("dev.sparsekernels.bindings.Bindings#names")
    void validBlockSparseAttentionWithoutADeviceIsANativeException(String binding) {
        NativeCalls calls = callsWithoutDevice(binding);
        for (Args a : new Args[] {
                new Args(),
                Args.with(x -> {
                    x.kvFull = 0;
                    x.qBlock = 128;
                    x.kvBlock = 64;
                    x.maxKvBlocks = 5; // ceil(300 / 64)
                    x.bsStrideB = 0;
                    x.bsStrideH = 0;
                })}) {
            NativeException e = assertThrows(NativeException.class, () -> a.blockSparse(calls));
            assertNoDevice(e);
            assertTrue(e.function().equals("sk_attention_block_sparse"), e.getMessage());
        }
    }

    private static void assertRefused(NativeCalls calls, Args a, boolean sparse, String... fragments) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> {
                    if (sparse) {
                        a.blockSparse(calls);
                    } else {
                        a.attention(calls);
                    }
                });
        for (String fragment : fragments) {
            assertTrue(e.getMessage().contains(fragment), () -> "expected '" + fragment + "' in: " + e.getMessage());
        }
    }

    /** Refused in Java by both entry points (these never reach native code, so they run with or without a GPU). */
    private static void assertRefusedBoth(NativeCalls calls, Consumer<Args> change, String... fragments) {
        assertRefused(calls, Args.with(change), false, fragments);
        assertRefused(calls, Args.with(change), true, fragments);
    }

    @ParameterizedTest
    @MethodSource("dev.sparsekernels.bindings.Bindings#names")
    void badArgumentsAreRefusedInJavaNamingThem(String binding) {
        NativeCalls calls = Bindings.calls(binding);
        assertRefusedBoth(calls, a -> a.q = 0, "q", "non-null", "got 0");
        assertRefusedBoth(calls, a -> a.k = 0, "k", "non-null");
        assertRefusedBoth(calls, a -> a.v = 0, "v", "non-null");
        assertRefusedBoth(calls, a -> a.o = 0, "o", "non-null");
        assertRefusedBoth(calls, a -> a.q = FAKE + 8, "q", "aligned to 16", "0x100008");
        assertRefusedBoth(calls, a -> a.k = FAKE + 2, "k", "aligned to 16");
        assertRefusedBoth(calls, a -> a.v = FAKE + 4, "v", "aligned to 16");
        assertRefusedBoth(calls, a -> a.o = FAKE + 4, "o", "aligned to 8"); // f32 output
        assertRefusedBoth(calls, a -> {
            a.oDtype = NativeDType.F16;
            a.o = FAKE + 2;
        }, "o", "aligned to 4");
        assertRefusedBoth(calls, a -> a.bias = FAKE + 2, "bias", "aligned to 4");
        assertRefusedBoth(calls, a -> a.keyLengths = FAKE + 1, "keyLengths", "aligned to 4");
        assertRefusedBoth(calls, a -> a.dtype = NativeDType.F32, "dtype", "F16", "BF16", "got F32");
        assertRefusedBoth(calls, a -> a.dtype = 7, "dtype", "got ?(7)");
        assertRefusedBoth(calls, a -> a.oDtype = NativeDType.BF16, "oDtype", "F32", "F16", "got BF16");
        assertRefusedBoth(calls, a -> a.batch = 0, "batch", "> 0", "got 0");
        assertRefusedBoth(calls, a -> a.headsQ = -1, "headsQ", "> 0", "got -1");
        assertRefusedBoth(calls, a -> a.headsKv = 0, "headsKv", "> 0", "got 0");
        assertRefusedBoth(calls, a -> a.headsKv = 3, "headsQ", "multiple of headsKv (3)", "got 8");
        assertRefusedBoth(calls, a -> a.lq = 0, "lq", "> 0", "got 0");
        assertRefusedBoth(calls, a -> a.lk = -3, "lk", "> 0", "got -3");
        assertRefusedBoth(calls, a -> a.lk = (1L << 30) + 1, "lk", "<= 1073741824");
        assertRefusedBoth(calls, a -> a.headDim = 60, "headDim", "multiple of 8 in [8, 256]", "got 60");
        assertRefusedBoth(calls, a -> a.headDim = 0, "headDim", "got 0");
        assertRefusedBoth(calls, a -> a.headDim = 264, "headDim", "got 264");
        assertRefusedBoth(calls, a -> a.batch = 8192, "batch * headsQ", "<= 65535", "got 65536");
        assertRefusedBoth(calls, a -> a.batch = Long.MAX_VALUE, "batch * headsQ", "overflows");
        assertRefusedBoth(calls, a -> a.scale = Float.NaN, "scale", "finite", "NaN");
        assertRefusedBoth(calls, a -> a.scale = Float.POSITIVE_INFINITY, "scale", "finite", "Infinity");
        assertRefusedBoth(calls, a -> a.windowLeft = -2, "windowLeft", ">= 0 or -1", "got -2");
        assertRefusedBoth(calls, a -> a.windowRight = -7, "windowRight", ">= 0 or -1", "got -7");
        assertRefusedBoth(calls, a -> a.biasStrideB = -1, "biasStrideB", ">= 0", "got -1");
        assertRefusedBoth(calls, a -> a.biasStrideH = -1, "biasStrideH", ">= 0");
        assertRefusedBoth(calls, a -> a.biasStrideQ = -1, "biasStrideQ", ">= 0");
        assertRefusedBoth(calls, a -> a.maskStrideB = -1, "maskStrideB", ">= 0", "got -1");
        assertRefusedBoth(calls, a -> a.maskStrideH = -1, "maskStrideH", ">= 0");
        assertRefusedBoth(calls, a -> a.maskStrideQ = -1, "maskStrideQ", ">= 0");
    }

    @ParameterizedTest
    @MethodSource("dev.sparsekernels.bindings.Bindings#names")
    void badBlockSparseArgumentsAreRefusedInJavaNamingThem(String binding) {
        NativeCalls calls = Bindings.calls(binding);
        assertRefused(calls, Args.with(a -> a.qBlock = 32), true, "qBlock", "multiple of 64", "got 32");
        assertRefused(calls, Args.with(a -> a.qBlock = 96), true, "qBlock", "got 96");
        assertRefused(calls, Args.with(a -> a.qBlock = (1 << 20) + 64), true, "qBlock", "1048576");
        assertRefused(calls, Args.with(a -> a.kvBlock = 0), true, "kvBlock", "multiple of 64", "got 0");
        assertRefused(calls, Args.with(a -> a.kvBlock = 100), true, "kvBlock", "got 100");
        assertRefused(calls, Args.with(a -> a.maxKvBlocks = 0), true, "maxKvBlocks", "[1, 3]", "got 0");
        assertRefused(calls, Args.with(a -> a.maxKvBlocks = 4), true, "maxKvBlocks", "[1, 3]", "got 4");
        assertRefused(calls, Args.with(a -> a.kvCount = 0), true, "kvCount", "non-null");
        assertRefused(calls, Args.with(a -> a.kvCount = FAKE + 2), true, "kvCount", "aligned to 4");
        assertRefused(calls, Args.with(a -> a.kvIndex = 0), true, "kvIndex", "non-null");
        assertRefused(calls, Args.with(a -> a.kvIndex = FAKE + 1), true, "kvIndex", "aligned to 4");
        assertRefused(calls, Args.with(a -> a.bsStrideB = -1), true, "bsStrideB", ">= 0", "got -1");
        assertRefused(calls, Args.with(a -> a.bsStrideH = -2), true, "bsStrideH", ">= 0", "got -2");
    }

    /** A raw (unchecked) call whose C-side message must contain every fragment: proves the argument reached its slot. */
    private static void assertRawInvalid(NativeKernels kernels, Args a, boolean sparse, String... fragments) {
        int status = sparse
                ? kernels.attentionBlockSparse(a.q, a.k, a.v, a.o, a.dtype, a.oDtype, a.batch, a.headsQ, a.headsKv,
                        a.lq, a.lk, a.headDim, a.scale, a.causal ? 1 : 0, a.windowLeft, a.windowRight, a.keyLengths,
                        a.bias, a.biasStrideB, a.biasStrideH, a.biasStrideQ, a.mask, a.maskStrideB, a.maskStrideH,
                        a.maskStrideQ, a.headMask, a.qBlock, a.kvBlock, a.maxKvBlocks, a.kvCount, a.kvIndex,
                        a.kvFull, a.bsStrideB, a.bsStrideH, a.stream)
                : kernels.attention(a.q, a.k, a.v, a.o, a.dtype, a.oDtype, a.batch, a.headsQ, a.headsKv, a.lq, a.lk,
                        a.headDim, a.scale, a.causal ? 1 : 0, a.windowLeft, a.windowRight, a.keyLengths, a.bias,
                        a.biasStrideB, a.biasStrideH, a.biasStrideQ, a.mask, a.maskStrideB, a.maskStrideH,
                        a.maskStrideQ, a.headMask, a.stream);
        String message = kernels.lastError();
        assertTrue(status == NativeStatus.ERR_INVALID_ARGUMENT, () -> "status " + status + ": " + message);
        for (String fragment : fragments) {
            assertTrue(message.contains(fragment), () -> "expected '" + fragment + "' in: " + message);
        }
    }

    /**
     * The C side checks every argument before anything else (also with a GPU), so raw calls with one bad value
     * show that the binding passes each argument, the float scale included, in its place.
     */
    @ParameterizedTest
    @MethodSource("dev.sparsekernels.bindings.Bindings#names")
    void rawBindingPassesEveryArgumentInItsPlace(String binding) {
        NativeKernels kernels = Bindings.kernels(binding);
        for (boolean sparse : new boolean[] {false, true}) {
            String fn = sparse ? "sk_attention_block_sparse: " : "sk_attention: ";
            assertRawInvalid(kernels, Args.with(a -> a.o = 0), sparse, fn + "o is NULL");
            assertRawInvalid(kernels, Args.with(a -> a.oDtype = 5), sparse, "o_dtype", "got 5");
            assertRawInvalid(kernels, Args.with(a -> a.batch = -11), sparse, "batch", "got -11");
            assertRawInvalid(kernels, Args.with(a -> a.headsKv = 3), sparse, "heads_q (8)", "heads_kv (3)");
            assertRawInvalid(kernels, Args.with(a -> a.lk = -13), sparse, "lk must be >= 1, got -13");
            assertRawInvalid(kernels, Args.with(a -> a.headDim = 12), sparse, "head_dim", "got 12");
            assertRawInvalid(kernels, Args.with(a -> a.scale = Float.NaN), sparse, "scale must be finite");
            assertRawInvalid(kernels, Args.with(a -> a.windowLeft = -3), sparse, "window_left", "got -3");
            assertRawInvalid(kernels, Args.with(a -> a.windowRight = -5), sparse, "window_right", "got -5");
            assertRawInvalid(kernels, Args.with(a -> a.biasStrideQ = -6), sparse, "bias strides", "(240000, 30000, -6)");
            assertRawInvalid(kernels, Args.with(a -> a.maskStrideH = -7), sparse, "mask strides", "(300, -7, 0)");
            assertRawInvalid(kernels, Args.with(a -> a.keyLengths = FAKE + 2), sparse, "key_lengths");
        }
        assertRawInvalid(kernels, Args.with(a -> a.qBlock = 96), true, "q_block", "got 96");
        assertRawInvalid(kernels, Args.with(a -> a.kvBlock = 160), true, "kv_block", "got 160");
        assertRawInvalid(kernels, Args.with(a -> a.maxKvBlocks = 9), true, "max_kv_blocks", "[1, 3]", "got 9");
        assertRawInvalid(kernels, Args.with(a -> a.kvIndex = 0), true, "kv_index is NULL");
        assertRawInvalid(kernels, Args.with(a -> a.bsStrideH = -4), true, "(16, -4)");
        assertRawInvalid(kernels, Args.with(a -> a.kvCount = FAKE + 2), true, "kv_count and kv_index");
    }
}
