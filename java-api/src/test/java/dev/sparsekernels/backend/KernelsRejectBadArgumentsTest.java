package dev.sparsekernels.backend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sparsekernels.AttentionMask;
import dev.sparsekernels.BlockSparseMatrix;
import dev.sparsekernels.DType;
import dev.sparsekernels.DenseMatrix;
import dev.sparsekernels.Kernels;
import dev.sparsekernels.Sparse24Matrix;
import dev.sparsekernels.Tensor;
import dev.sparsekernels.bindings.NativeCalls;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BiConsumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every method of {@link Kernels}, given a null, closed, mis-shaped, mistyped or out-of-range argument, throws
 * IllegalArgumentException (IllegalStateException for a closed object) naming it, on the CPU backend and on the CUDA
 * backend; for CUDA, over a {@link RecordingBinding}, which shows that no native call was made before the refusal.
 */
class KernelsRejectBadArgumentsTest {

    /** Tensors made for one case, closed after it. */
    static final class Fixture implements AutoCloseable {
        private final List<AutoCloseable> made = new ArrayList<>();

        Tensor t(DType dtype, long... shape) {
            Tensor t = Tensor.allocate(dtype, shape);
            made.add(t);
            return t;
        }

        Tensor t(long... shape) {
            return t(DType.F32, shape);
        }

        Tensor closed(long... shape) {
            Tensor t = Tensor.allocate(DType.F32, shape);
            t.close();
            return t;
        }

        Sparse24Matrix sparse24(int rows, int cols) {
            try (Tensor w = Tensor.of(new float[rows * cols], rows, cols)) {
                Sparse24Matrix m = Sparse24Matrix.fromPruned(w);
                made.add(m);
                return m;
            }
        }

        DenseMatrix dense(int rows, int cols) {
            DenseMatrix m = DenseMatrix.of(new float[rows * cols], rows, cols);
            made.add(m);
            return m;
        }

        BlockSparseMatrix bsr(int rows, int cols) {
            try (Tensor w = Tensor.allocate(DType.F32, rows, cols)) {
                BlockSparseMatrix m = BlockSparseMatrix.fromDense(w, 16, 16);
                made.add(m);
                return m;
            }
        }

        @Override
        public void close() throws Exception {
            for (AutoCloseable a : made) {
                a.close();
            }
        }
    }

    /** One bad call: what must be thrown and what its message must name. */
    static final class Case {
        final String name;
        final Class<? extends RuntimeException> type;
        final String fragment;
        final BiConsumer<Kernels, Fixture> call;

        Case(String name, Class<? extends RuntimeException> type, String fragment, BiConsumer<Kernels, Fixture> call) {
            this.name = name;
            this.type = type;
            this.fragment = fragment;
            this.call = call;
        }

        @Override
        public String toString() {
            return name;
        }
    }

    private static Case bad(String name, String fragment, BiConsumer<Kernels, Fixture> call) {
        return new Case(name, IllegalArgumentException.class, fragment, call);
    }

    private static Case closed(String name, String fragment, BiConsumer<Kernels, Fixture> call) {
        return new Case(name, IllegalStateException.class, fragment, call);
    }

    static List<Case> everyBackend() {
        List<Case> c = new ArrayList<>();
        // linear with a dense W
        c.add(bad("linear: x null", "x:", (k, f) -> k.linear(null, f.t(4, 8), null)));
        c.add(bad("linear: W null", "W:", (k, f) -> k.linear(f.t(2, 8), (Tensor) null, null)));
        c.add(closed("linear: x closed", "x: tensor is closed", (k, f) -> k.linear(f.closed(2, 8), f.t(4, 8), null)));
        c.add(closed("linear: W closed", "W: tensor is closed", (k, f) -> k.linear(f.t(2, 8), f.closed(4, 8), null)));
        c.add(closed("linear: bias closed", "bias: tensor is closed",
                (k, f) -> k.linear(f.t(2, 8), f.t(4, 8), f.closed(4))));
        c.add(bad("linear: x scalar", "scalar", (k, f) -> k.linear(f.t(), f.t(4, 8), null)));
        c.add(bad("linear: x in != W in", "W's in = 8", (k, f) -> k.linear(f.t(2, 16), f.t(4, 8), null)));
        c.add(bad("linear: no tokens", "at least one token", (k, f) -> k.linear(f.t(0, 8), f.t(4, 8), null)));
        c.add(bad("linear: bias of the wrong length", "bias: expected shape [4]",
                (k, f) -> k.linear(f.t(2, 8), f.t(4, 8), f.t(5))));
        c.add(bad("linear: W of rank 3", "rank 2", (k, f) -> k.linear(f.t(2, 8), f.t(1, 4, 8), null)));
        c.add(bad("linear: W with no rows", "non-empty", (k, f) -> k.linear(f.t(2, 8), f.t(0, 8), null)));
        c.add(bad("linear: output of 2.8e9 elements (int overflow)", "exceeds 2^31-1",
                (k, f) -> k.linear(f.t(DType.F16, 70_000, 8), f.t(DType.F16, 40_000, 8), null)));
        // linear with a prepared dense W
        c.add(bad("linear DenseMatrix: W null", "W:", (k, f) -> k.linear(f.t(2, 8), (DenseMatrix) null, null)));
        c.add(closed("linear DenseMatrix: W closed", "W: dense matrix is closed", (k, f) -> {
            DenseMatrix w = f.dense(4, 8);
            w.close();
            k.linear(f.t(DType.F16, 2, 8), w, null);
        }));
        c.add(bad("linear DenseMatrix: x in != W in", "W's in = 16",
                (k, f) -> k.linear(f.t(DType.F16, 2, 8), f.dense(4, 16), null)));
        c.add(bad("linear DenseMatrix: bias of the wrong length", "bias: expected shape [4]",
                (k, f) -> k.linear(f.t(DType.F16, 2, 8), f.dense(4, 8), f.t(8))));
        c.add(closed("linear DenseMatrix: x closed", "x: tensor is closed",
                (k, f) -> k.linear(f.closed(2, 8), f.dense(4, 8), null)));
        // linear with 2:4 and block-sparse weights
        c.add(bad("linear 2:4: W null", "W:", (k, f) -> k.linear(f.t(2, 8), (Sparse24Matrix) null, null)));
        c.add(closed("linear 2:4: W closed", "is closed", (k, f) -> {
            Sparse24Matrix w = f.sparse24(4, 8);
            w.close();
            k.linear(f.t(DType.F16, 2, 8), w, null);
        }));
        c.add(bad("linear 2:4: x in != W in", "W's in = 16",
                (k, f) -> k.linear(f.t(2, 8), f.sparse24(4, 16), null)));
        c.add(bad("linear BSR: W null", "W:", (k, f) -> k.linear(f.t(2, 8), (BlockSparseMatrix) null, null)));
        c.add(closed("linear BSR: W closed", "closed", (k, f) -> {
            BlockSparseMatrix w = f.bsr(16, 32);
            w.close();
            k.linear(f.t(DType.F16, 2, 32), w, null);
        }));
        c.add(bad("linear BSR: bias of the wrong length", "bias: expected shape [16]",
                (k, f) -> k.linear(f.t(2, 32), f.bsr(16, 32), f.t(32))));
        // gathers
        c.add(bad("gatherRows: src null", "src:", (k, f) -> k.gatherRows(null, new int[] {0})));
        c.add(closed("gatherRows: src closed", "src: tensor is closed",
                (k, f) -> k.gatherRows(f.closed(4, 4), new int[] {0})));
        c.add(bad("gatherRows: idx null", "idx:", (k, f) -> k.gatherRows(f.t(4, 4), null)));
        c.add(bad("gatherRows: no idx", "at least one index", (k, f) -> k.gatherRows(f.t(4, 4), new int[0])));
        c.add(bad("gatherRows: idx past the end", "idx[1]: expected 0..3 but got 4",
                (k, f) -> k.gatherRows(f.t(4, 4), new int[] {0, 4})));
        c.add(bad("gatherRows: negative idx", "idx[0]", (k, f) -> k.gatherRows(f.t(4, 4), new int[] {-1})));
        c.add(bad("gatherRows: idx not ascending", "strictly ascending",
                (k, f) -> k.gatherRows(f.t(4, 4), new int[] {2, 1})));
        c.add(bad("gatherRows: src of rank 1", "rank 2", (k, f) -> k.gatherRows(f.t(4), new int[] {0})));
        c.add(bad("gatherColumns: idx past the end", "idx[0]: expected 0..2",
                (k, f) -> k.gatherColumns(f.t(4, 3), new int[] {3})));
        // channel statistics
        c.add(bad("channelStatistics: null", "activations:", (k, f) -> k.channelStatistics(null)));
        c.add(closed("channelStatistics: closed", "activations: tensor is closed",
                (k, f) -> k.channelStatistics(f.closed(2, 3))));
        c.add(bad("channelStatistics: scalar", "non-empty", (k, f) -> k.channelStatistics(f.t())));
        c.add(bad("channelStatistics: no samples", "non-empty", (k, f) -> k.channelStatistics(f.t(0, 3))));
        // attention
        c.add(bad("attention: Q null", "Q:", (k, f) -> k.attention(null, f.t(1, 1, 4, 8), f.t(1, 1, 4, 8), null,
                null)));
        c.add(closed("attention: K closed", "K: tensor is closed",
                (k, f) -> k.attention(f.t(1, 1, 4, 8), f.closed(1, 1, 4, 8), f.t(1, 1, 4, 8), null, null)));
        c.add(bad("attention: Q of rank 3", "rank 4",
                (k, f) -> k.attention(f.t(1, 4, 8), f.t(1, 1, 4, 8), f.t(1, 1, 4, 8), null, null)));
        c.add(bad("attention: V shaped unlike K", "V: expected the shape of K",
                (k, f) -> k.attention(f.t(1, 1, 4, 8), f.t(1, 1, 4, 8), f.t(1, 1, 5, 8), null, null)));
        c.add(bad("attention: batch of K unlike Q", "batch",
                (k, f) -> k.attention(f.t(2, 1, 4, 8), f.t(1, 1, 4, 8), f.t(1, 1, 4, 8), null, null)));
        c.add(bad("attention: head dim of K unlike Q", "head dim",
                (k, f) -> k.attention(f.t(1, 1, 4, 8), f.t(1, 1, 4, 16), f.t(1, 1, 4, 16), null, null)));
        c.add(bad("attention: Hq not a multiple of Hkv", "multiple of Hkv",
                (k, f) -> k.attention(f.t(1, 3, 4, 8), f.t(1, 2, 4, 8), f.t(1, 2, 4, 8), null, null)));
        c.add(bad("attention: K dtype unlike Q", "dtype",
                (k, f) -> k.attention(f.t(1, 1, 4, 8), f.t(DType.F16, 1, 1, 4, 8), f.t(1, 1, 4, 8), null, null)));
        for (double s : new double[] {Double.NaN, 0.0, Double.POSITIVE_INFINITY}) {
            c.add(bad("attention: scale " + s, "scale", (k, f) -> k.attention(f.t(1, 1, 4, 8), f.t(1, 1, 4, 8),
                    f.t(1, 1, 4, 8), null, s)));
        }
        c.add(bad("attention: key lengths for 1 batch entry of 2", "keyLengths: expected 2 entries",
                (k, f) -> k.attention(f.t(2, 1, 4, 8), f.t(2, 1, 4, 8), f.t(2, 1, 4, 8),
                        AttentionMask.builder().keyLengths(3).build(), null)));
        c.add(bad("attention: key length beyond Lk", "keyLengths[0]: expected 0..4",
                (k, f) -> k.attention(f.t(1, 1, 4, 8), f.t(1, 1, 4, 8), f.t(1, 1, 4, 8),
                        AttentionMask.builder().keyLengths(5).build(), null)));
        c.add(bad("attention: head mask of the wrong length", "headMask",
                (k, f) -> k.attention(f.t(1, 2, 4, 8), f.t(1, 2, 4, 8), f.t(1, 2, 4, 8),
                        AttentionMask.builder().headMask(true).build(), null)));
        c.add(bad("attention: dense mask not broadcastable", "mask",
                (k, f) -> k.attention(f.t(1, 1, 4, 8), f.t(1, 1, 4, 8), f.t(1, 1, 4, 8),
                        AttentionMask.builder().dense(new boolean[15], 3, 5).build(), null)));
        return c;
    }

    /** What only the CUDA kernels refuse: the CPU computes these. */
    static List<Case> cudaOnly() {
        List<Case> c = new ArrayList<>();
        c.add(bad("linear: f32 x on CUDA", "f16 or bf16", (k, f) -> k.linear(f.t(2, 8), f.t(4, 8), null)));
        c.add(bad("linear DenseMatrix: f32 x on CUDA", "f16 or bf16",
                (k, f) -> k.linear(f.t(2, 8), f.dense(4, 8), null)));
        c.add(bad("linear: in not a multiple of 8 on CUDA", "multiple of 8",
                (k, f) -> k.linear(f.t(DType.F16, 2, 4), f.t(DType.F16, 4, 4), null)));
        c.add(bad("attention: f32 on CUDA", "f16 or bf16",
                (k, f) -> k.attention(f.t(1, 1, 4, 8), f.t(1, 1, 4, 8), f.t(1, 1, 4, 8), null, null)));
        c.add(bad("attention: head dim 4 on CUDA", "multiple of 8", (k, f) -> k.attention(f.t(DType.F16, 1, 1, 4, 4),
                f.t(DType.F16, 1, 1, 4, 4), f.t(DType.F16, 1, 1, 4, 4), null, null)));
        return c;
    }

    static Stream<Arguments> cases() {
        Stream<Arguments> both = everyBackend().stream().flatMap(c -> Stream.of(Arguments.of(c, "cpu"),
                Arguments.of(c, "cuda")));
        return Stream.concat(both, cudaOnly().stream().map(c -> Arguments.of(c, "cuda")));
    }

    @ParameterizedTest(name = "{1}: {0}")
    @MethodSource("cases")
    void aBadArgumentIsNamedAndNeverReachesNativeCode(Case c, String backend) throws Exception {
        RecordingBinding binding = new RecordingBinding();
        try (Kernels k = backend.equals("cpu") ? Kernels.cpu(2)
                : CudaBackend.overBinding(new NativeCalls(binding.kernels), 0, 1L);
                Fixture f = new Fixture()) {
            RuntimeException e = assertThrows(c.type, () -> c.call.accept(k, f));
            assertTrue(e.getMessage() != null && e.getMessage().contains(c.fragment),
                    () -> "'" + c.fragment + "' not in: " + e.getMessage());
            assertEquals(List.of(), binding.calls, "native calls made before the argument was refused");
        }
    }

    /** The recorder does see native calls: without this, an empty record above would prove nothing. */
    @Test
    void aValidCallDoesReachTheRecordingBinding() throws Exception {
        RecordingBinding binding = new RecordingBinding();
        try (Kernels k = CudaBackend.overBinding(new NativeCalls(binding.kernels), 0, 1L);
                Fixture f = new Fixture()) {
            try {
                k.linear(f.t(DType.F16, 2, 8), f.t(DType.F16, 4, 8), null).close();
            } catch (IllegalArgumentException expected) {
                // the fake hands out null device addresses, which the checked facade refuses after sk_malloc
            }
            assertFalse(binding.calls.isEmpty(), "a valid linear made no native call");
            assertTrue(binding.calls.contains("malloc"), binding.calls.toString());
        }
    }

    @Test
    void backendFactoriesRefuseBadThreadCountsAndOrdinalsOnAnyMachine() {
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Kernels.cpu(0)).getMessage()
                .contains("threads"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Kernels.cuda(-1)).getMessage()
                .contains("cuda ordinal: expected >= 0 but got -1"));
    }
}
