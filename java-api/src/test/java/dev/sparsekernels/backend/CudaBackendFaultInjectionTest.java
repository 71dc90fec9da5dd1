package dev.sparsekernels.backend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.sparsekernels.AttentionMask;
import dev.sparsekernels.BlockSparseMatrix;
import dev.sparsekernels.DType;
import dev.sparsekernels.DenseMatrix;
import dev.sparsekernels.Resources;
import dev.sparsekernels.Sparse24Matrix;
import dev.sparsekernels.Tensor;
import dev.sparsekernels.bindings.NativeCalls;
import dev.sparsekernels.bindings.NativeException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every public method of {@link CudaBackend}, over a {@link FaultyDeviceBinding} where one native call fails: first a
 * fault-free run records the sequence of {@code sk_} calls the method makes, then for each call of that sequence a
 * fresh backend runs the method with that one call failing. Each case checks that
 * <ol>
 * <li>the method throws a RuntimeException (NativeException or IllegalStateException) naming the failing C function:
 * never an NPE, never an Error (a failed sk_free may instead be tolerated, with a correct result returned; a failed
 * sk_blas_status only means "no cuBLAS": our own GEMM must run);</li>
 * <li>no device allocation made by the call is left live (except a complete device copy attached to a weight matrix
 * that is still open), and Resources.openDeviceBytes() is back where it was;</li>
 * <li>no tensor is left open (Resources.openTensors());</li>
 * <li>a cached weight copy is complete or absent: the same call without the fault then works on the same backend and
 * the matrix's close frees everything;</li>
 * <li>no device pointer was used after its free (or freed twice), the backend still works and closes cleanly.</li>
 * </ol>
 * Allocations whose sk_free itself was made to fail are excused: nothing can free them.
 */
class CudaBackendFaultInjectionTest {
    static final int TOKENS = 3, IN = 16, OUT = 8;
    static final int BSR_DIM = 32;

    /** What one case made; closed at its end. */
    static final class Inputs implements AutoCloseable {
        final List<Tensor> tensors = new ArrayList<>();
        /** The weight matrix holding device copies, or null. */
        AutoCloseable matrix;

        Tensor t(DType dtype, long... shape) {
            int n = 1;
            for (long d : shape) {
                n *= (int) d;
            }
            float[] v = new float[n];
            for (int i = 0; i < n; i++) {
                v[i] = ((i * 7) % 11 - 5) / 8f;
            }
            Tensor t = Tensor.of(dtype, v, shape);
            tensors.add(t);
            return t;
        }

        <M extends AutoCloseable> M matrix(M m) {
            matrix = m;
            return m;
        }

        @Override
        public void close() throws Exception {
            for (Tensor t : tensors) {
                t.close();
            }
            if (matrix != null) {
                matrix.close();
            }
        }
    }

    interface Op {
        Object run(CudaBackend backend);
    }

    interface Setup {
        Op make(Inputs in, FaultyDeviceBinding fake);
    }

    /** One public call with valid inputs; warm: the call is made once fault-free first (weights already cached). */
    record Scenario(String name, boolean warm, Setup setup) {
        @Override
        public String toString() {
            return name;
        }
    }

    static List<Scenario> scenarios() {
        List<Scenario> s = new ArrayList<>();
        for (boolean bias : new boolean[] {false, true}) {
            String b = bias ? " + bias" : "";
            s.add(new Scenario("linear(Tensor W, cuBLAS)" + b, false, (in, f) -> {
                Tensor x = in.t(DType.F16, TOKENS, IN), w = in.t(DType.F32, OUT, IN);
                Tensor bt = bias ? in.t(DType.F32, OUT) : null;
                return k -> k.linear(x, w, bt);
            }));
            s.add(new Scenario("linearOnOurKernel(Tensor W)" + b, false, (in, f) -> {
                Tensor x = in.t(DType.F16, TOKENS, IN), w = in.t(DType.F16, OUT, IN);
                Tensor bt = bias ? in.t(DType.F16, OUT) : null;
                return k -> k.linearOnOurKernel(x, w, bt);
            }));
            for (boolean warm : new boolean[] {false, true}) {
                String wm = warm ? ", cached" : "";
                s.add(new Scenario("linear(DenseMatrix" + wm + ")" + b, warm, (in, f) -> {
                    Tensor x = in.t(DType.F16, TOKENS, IN);
                    Tensor bt = bias ? in.t(DType.F32, OUT) : null;
                    DenseMatrix w;
                    try (Tensor wt = Tensor.of(values(OUT * IN), OUT, IN)) {
                        w = in.matrix(DenseMatrix.of(wt));
                    }
                    return k -> k.linear(x, w, bt);
                }));
                s.add(new Scenario("linear(Sparse24Matrix" + wm + ")" + b, warm, (in, f) -> {
                    Tensor x = in.t(DType.BF16, TOKENS, IN);
                    Tensor bt = bias ? in.t(DType.F32, OUT) : null;
                    Sparse24Matrix w = in.matrix(sparse24(OUT, IN));
                    return k -> k.linear(x, w, bt);
                }));
                s.add(new Scenario("linear(BlockSparseMatrix" + wm + ")" + b, warm, (in, f) -> {
                    Tensor x = in.t(DType.F16, TOKENS, BSR_DIM);
                    Tensor bt = bias ? in.t(DType.F32, BSR_DIM) : null;
                    BlockSparseMatrix w = in.matrix(bsr(true));
                    return k -> k.linear(x, w, bt);
                }));
            }
        }
        s.add(new Scenario("linearOnOurKernel(DenseMatrix) + bias", false, (in, f) -> {
            Tensor x = in.t(DType.F16, TOKENS, IN);
            Tensor bt = in.t(DType.F32, OUT);
            DenseMatrix w = in.matrix(DenseMatrix.of(values(OUT * IN), OUT, IN));
            return k -> k.linearOnOurKernel(x, w, bt);
        }));
        s.add(new Scenario("linear(BlockSparseMatrix, no plan workspace)", false, (in, f) -> {
            f.bsrWorkspaceBytes = 0;
            Tensor x = in.t(DType.F16, TOKENS, BSR_DIM);
            BlockSparseMatrix w = in.matrix(bsr(true));
            return k -> k.linear(x, w, null);
        }));
        s.add(new Scenario("linear(BlockSparseMatrix, no blocks)", false, (in, f) -> {
            Tensor x = in.t(DType.F16, TOKENS, BSR_DIM);
            BlockSparseMatrix w = in.matrix(bsr(false));
            return k -> k.linear(x, w, null);
        }));

        Map<String, AttentionMask> masks = new java.util.LinkedHashMap<>();
        masks.put("no mask", null);
        masks.put("causal", AttentionMask.causal());
        masks.put("window", AttentionMask.builder().window(2).build());
        masks.put("key lengths", AttentionMask.builder().keyLengths(5).build());
        masks.put("dense mask", AttentionMask.builder().dense(allowed(4 * 8), 4, 8).build());
        masks.put("bias", AttentionMask.builder().bias(values(4 * 8), 4, 8).build());
        masks.put("head mask", AttentionMask.builder().headMask(true, false).build());
        masks.put("causal + key lengths + dense + bias + head mask", AttentionMask.builder().causal().keyLengths(6)
                .dense(allowed(4 * 8), 1, 1, 4, 8).bias(values(2 * 4 * 8), 1, 2, 4, 8).headMask(true, true).build());
        AttentionMask.BlockSparse grid = AttentionMask.BlockSparse.fromGrid(64, 64, 1, 1, 1, 1,
                new byte[] {AttentionMask.BlockSparse.PARTIAL});
        masks.put("block-sparse", AttentionMask.builder().blockSparse(grid).build());
        masks.put("block-sparse + key lengths + dense + bias + head mask", AttentionMask.builder().blockSparse(grid)
                .keyLengths(7).dense(allowed(4 * 8), 4, 8).bias(values(4 * 8), 4, 8).headMask(false, true).build());
        masks.forEach((name, mask) -> s.add(new Scenario("attention, " + name, false, (in, f) -> {
            Tensor q = in.t(DType.F16, 1, 2, 4, 8), kk = in.t(DType.F16, 1, 1, 8, 8), v = in.t(DType.F16, 1, 1, 8, 8);
            return k -> k.attention(q, kk, v, mask, null);
        })));

        s.add(new Scenario("gatherRows", false, (in, f) -> {
            Tensor src = in.t(DType.F16, 4, 8);
            return k -> k.gatherRows(src, new int[] {0, 2, 3});
        }));
        s.add(new Scenario("gatherColumns", false, (in, f) -> {
            Tensor src = in.t(DType.BF16, 4, 8);
            return k -> k.gatherColumns(src, new int[] {1, 5});
        }));
        s.add(new Scenario("channelStatistics", false, (in, f) -> {
            Tensor a = in.t(DType.F32, 2, 3, 8);
            return k -> k.channelStatistics(a);
        }));
        s.add(new Scenario("denseOnCublas", false, (in, f) -> k -> k.denseOnCublas()));
        s.add(new Scenario("describe", false, (in, f) -> k -> k.describe()));
        return s;
    }

    static float[] values(int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = ((i * 5) % 9 - 4) / 4f;
        }
        return v;
    }

    static boolean[] allowed(int n) {
        boolean[] a = new boolean[n];
        for (int i = 0; i < n; i++) {
            a[i] = i % 3 != 1;
        }
        return a;
    }

    static Sparse24Matrix sparse24(int rows, int cols) {
        float[] v = values(rows * cols);
        for (int i = 0; i < v.length; i++) {
            if (i % 4 >= 2) {
                v[i] = 0;
            }
        }
        try (Tensor w = Tensor.of(v, rows, cols)) {
            return Sparse24Matrix.fromPruned(w);
        }
    }

    /** 32 x 32 in 16 x 16 blocks: the two diagonal blocks stored, or none. */
    static BlockSparseMatrix bsr(boolean blocks) {
        float[] v = new float[BSR_DIM * BSR_DIM];
        if (blocks) {
            for (int r = 0; r < BSR_DIM; r++) {
                for (int c = 0; c < BSR_DIM; c++) {
                    if (r / 16 == c / 16) {
                        v[r * BSR_DIM + c] = ((r + c) % 5 - 2) / 2f;
                    }
                }
            }
        }
        try (Tensor w = Tensor.of(v, BSR_DIM, BSR_DIM)) {
            return BlockSparseMatrix.fromDense(w, 16, 16);
        }
    }

    // ---------------------------------------------------------------- the sweep

    /** A fresh binding, backend and inputs for one scenario, warmed up if it asks to be. */
    static final class Run implements AutoCloseable {
        final FaultyDeviceBinding fake = new FaultyDeviceBinding();
        final CudaBackend backend = CudaBackend.overBinding(new NativeCalls(fake.kernels), 0,
                FaultyDeviceBinding.STREAM);
        final Inputs in = new Inputs();
        final Op op;

        Run(Scenario sc) {
            op = sc.setup().make(in, fake);
            if (sc.warm()) {
                closeResult(op.run(backend));
            }
        }

        @Override
        public void close() throws Exception {
            in.close();
        }
    }

    /** The status-returning calls one fault-free run of the scenario makes (after the warm-up). */
    static List<String> baseline(Scenario sc) {
        try (Run r = new Run(sc)) {
            int mark = r.fake.calls.size();
            closeResult(r.op.run(r.backend));
            List<String> seq = r.fake.callsSince(mark);
            r.backend.close();
            return seq;
        } catch (Exception e) {
            throw new AssertionError("fault-free run of " + sc + " failed", e);
        }
    }

    static Stream<Arguments> faults() {
        List<Arguments> cases = new ArrayList<>();
        for (Scenario sc : scenarios()) {
            List<String> seq = baseline(sc);
            Map<String, Integer> nth = new HashMap<>();
            for (int i = 0; i < seq.size(); i++) {
                String m = seq.get(i);
                int n = nth.merge(m, 1, Integer::sum);
                cases.add(Arguments.of(sc, i, m, n));
            }
        }
        return cases.stream();
    }

    @ParameterizedTest(name = "{0}: call #{1} fails ({2}, occurrence {3})")
    @MethodSource("faults")
    void aFailingNativeCallLeavesNothingBehind(Scenario sc, int index, String method, int nth) throws Exception {
        Problems.check(() -> faultCase(sc, method, nth));
    }

    private static Problems faultCase(Scenario sc, String method, int nth) throws Exception {
        String cName = FaultyDeviceBinding.cName(method);
        Problems problems = new Problems(sc + " with " + cName + " (occurrence " + nth + ") failing");
        long tensorsAtStart = Resources.openTensors();
        long deviceBytesAtStart = Resources.openDeviceBytes();
        Run r = new Run(sc);
        FaultyDeviceBinding fake = r.fake;
        Set<Long> liveBefore = new HashSet<>(fake.live.keySet());
        List<DeviceBuffer> copyBefore = copies(r.in.matrix);
        long tensorsBefore = Resources.openTensors();
        long deviceBytesBefore = Resources.openDeviceBytes();
        int mark = fake.calls.size();

        fake.failOn(method, nth);
        Object result = null;
        Throwable thrown = null;
        try {
            result = r.op.run(r.backend);
        } catch (Throwable t) {
            thrown = t;
        }
        fake.disarm();
        if (!cName.equals(fake.failed)) {
            fail("the fault was not injected (" + cName + " occurrence " + nth + "); calls: " + fake.callsSince(mark));
        }

        // 1. a clear exception naming the C function
        if (method.equals("blasStatus")) {
            if (thrown != null) {
                problems.add("a failed sk_blas_status should fall back to our GEMM, but threw " + describe(thrown));
            } else if (sc.name().startsWith("linear(Tensor W, cuBLAS)")
                    && !fake.callsSince(mark).contains("denseGemm")) {
                problems.add("a failed sk_blas_status did not fall back to sk_dense_gemm: " + fake.callsSince(mark));
            }
        } else if (thrown == null) {
            if (!method.equals("free")) {
                problems.add("returned " + result + " although " + cName + " failed");
            }
        } else if (!(thrown instanceof NativeException || thrown instanceof IllegalStateException)) {
            problems.add("threw " + describe(thrown) + ", expected NativeException or IllegalStateException");
        } else if (!names(thrown, cName)) {
            problems.add("the exception does not name " + cName + ": " + describe(thrown));
        }
        try {
            closeResult(result);
        } catch (RuntimeException e) {
            problems.add("closing the result failed: " + describe(e));
        }

        // 2. + 4. device memory: only a complete copy attached to the still open matrix may have appeared
        List<DeviceBuffer> copyAfter;
        try {
            copyAfter = copies(r.in.matrix);
        } catch (RuntimeException e) {
            problems.add("the matrix's device copy is unusable: " + describe(e));
            copyAfter = List.of();
        }
        Set<Long> attached = new HashSet<>();
        long attachedBytes = 0;
        if (copyBefore.isEmpty()) {
            for (DeviceBuffer b : copyAfter) {
                attached.add(b.address());
                attachedBytes += b.bytes();
                if (!fake.live.containsKey(b.address())) {
                    problems.add("the cached device copy holds " + Long.toHexString(b.address())
                            + ", which is no longer allocated (half-made copy)");
                }
            }
        } else if (!sameBuffers(copyBefore, copyAfter)) {
            problems.add("the cached device copy changed during a failed call");
        }
        Set<Long> grown = new TreeSet<>(fake.leaked());
        grown.removeAll(liveBefore);
        grown.removeAll(attached);
        if (!grown.isEmpty()) {
            problems.add(grown.size() + " device allocation(s) leaked: " + sizes(fake, grown));
        }
        problems.count(Resources.openDeviceBytes() - deviceBytesBefore - attachedBytes,
                "Resources.openDeviceBytes() up by %d");

        // 3. tensors
        problems.count(Resources.openTensors() - tensorsBefore, "%d tensor(s) left open");

        // 4. + 5. the same backend works again, with the same (possibly cached) weights
        try {
            closeResult(r.op.run(r.backend));
        } catch (RuntimeException e) {
            problems.add("the same call without the fault then failed: " + describe(e));
        }
        try {
            if (!copyAfter.isEmpty() && !sameBuffers(copyAfter, copies(r.in.matrix))) {
                problems.add("the cached device copy was replaced by the next call");
            }
        } catch (RuntimeException e) {
            problems.add("the matrix's device copy is unusable after the next call: " + describe(e));
        }
        try {
            r.close();
        } catch (Exception e) {
            problems.add("closing the inputs (matrix) failed: " + describe(e));
        }
        try {
            r.backend.close();
        } catch (RuntimeException e) {
            problems.add("closing the backend failed: " + describe(e));
        }
        if (!fake.leaked().isEmpty()) {
            problems.add("after closing everything, device allocations still live: " + sizes(fake, fake.leaked()));
        }
        problems.count(Resources.openDeviceBytes() - deviceBytesAtStart,
                "after closing everything, Resources.openDeviceBytes() up by %d");
        problems.count(Resources.openTensors() - tensorsAtStart, "after closing everything, %d tensor(s) open");
        problems.addAll(fake.violations);
        problems.thrown = thrown;
        return problems;
    }

    static Stream<Arguments> doubleFaults() {
        return faults().filter(a -> !a.get()[2].equals("free") && !a.get()[2].equals("blasStatus"));
    }

    /**
     * A failing call whose cleanup then meets failing sk_frees (a CUDA error that keeps failing): the exception must
     * still name the call that failed first (the sk_free failures may be suppressed exceptions), and no tensor may be
     * left open. Device memory is excused here: nothing can free it.
     */
    @ParameterizedTest(name = "{0}: call #{1} fails ({2}, occurrence {3}), then every sk_free")
    @MethodSource("doubleFaults")
    void aFailureWhoseCleanupAlsoFailsStillNamesTheFirst(Scenario sc, int index, String method, int nth)
            throws Exception {
        Problems.check(() -> doubleFaultCase(sc, method, nth));
    }

    private static Problems doubleFaultCase(Scenario sc, String method, int nth) throws Exception {
        String cName = FaultyDeviceBinding.cName(method);
        Problems problems = new Problems(sc + " with " + cName + " (occurrence " + nth
                + ") failing, then every sk_free");
        Run r = new Run(sc);
        long tensorsBefore = Resources.openTensors();
        r.fake.failOn(method, nth);
        r.fake.failFreesAfterFault = true;
        Throwable thrown = null;
        try {
            closeResult(r.op.run(r.backend));
        } catch (Throwable t) {
            thrown = t;
        }
        r.fake.disarm();
        assertEquals(cName, r.fake.failed, "the fault was not injected");
        if (thrown == null) {
            problems.add("returned normally although " + cName + " failed");
        } else if (!(thrown instanceof RuntimeException) || !names(thrown, cName)) {
            problems.add("the exception does not name " + cName + ", which failed first: " + describe(thrown));
        }
        problems.count(Resources.openTensors() - tensorsBefore, "%d tensor(s) left open");
        for (String v : r.fake.violations) {
            if (!v.contains("garbage collector")) {
                problems.add(v);
            }
        }
        r.fake.failedFrees.addAll(r.fake.live.keySet()); // the rest is excused: sk_free kept failing
        try {
            r.close();
            r.backend.close();
        } catch (RuntimeException e) {
            problems.add("closing the inputs or the backend afterwards failed: " + describe(e));
        }
        problems.thrown = thrown;
        return problems;
    }

    /** Every scenario, fault-free, leaves nothing behind and makes only valid device accesses. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("scenarios")
    void aFaultFreeCallLeavesNothingBehind(Scenario sc) throws Exception {
        long tensors = Resources.openTensors();
        long bytes = Resources.openDeviceBytes();
        Run r = new Run(sc);
        closeResult(r.op.run(r.backend));
        r.close();
        r.backend.close();
        assertEquals(Set.of(), r.fake.leaked());
        assertEquals(List.of(), r.fake.violations);
        assertNoGrowth(bytes, Resources.openDeviceBytes(), "Resources.openDeviceBytes()");
        assertNoGrowth(tensors, Resources.openTensors(), "Resources.openTensors()");
    }

    // ---------------------------------------------------------------- closing matrices and the backend

    static Stream<Arguments> matrixCloseFaults() {
        List<Arguments> cases = new ArrayList<>();
        for (String kind : new String[] {"dense", "dense, two dtypes", "2:4", "block-sparse"}) {
            FaultyDeviceBinding fake = new FaultyDeviceBinding();
            AutoCloseable m = withCopies(kind, fake);
            int mark = fake.calls.size();
            try {
                m.close();
            } catch (Exception e) {
                throw new AssertionError(e);
            }
            List<String> seq = fake.callsSince(mark);
            for (int n = 1; n <= seq.size(); n++) {
                assertEquals("free", seq.get(n - 1));
                cases.add(Arguments.of(kind, n));
            }
        }
        return cases.stream();
    }

    /** A matrix of that kind with device copies made by a backend over the fake. */
    static AutoCloseable withCopies(String kind, FaultyDeviceBinding fake) {
        try (CudaBackend k = CudaBackend.overBinding(new NativeCalls(fake.kernels), 0, FaultyDeviceBinding.STREAM);
                Inputs in = new Inputs()) {
            Tensor x = in.t(DType.F16, TOKENS, kind.equals("block-sparse") ? BSR_DIM : IN);
            Tensor xb = in.t(DType.BF16, TOKENS, IN);
            switch (kind) {
                case "dense": {
                    DenseMatrix w = DenseMatrix.of(values(OUT * IN), OUT, IN);
                    k.linear(x, w, null).close();
                    return w;
                }
                case "dense, two dtypes": {
                    DenseMatrix w = DenseMatrix.of(values(OUT * IN), OUT, IN);
                    k.linear(x, w, null).close();
                    k.linear(xb, w, null).close();
                    return w;
                }
                case "2:4": {
                    Sparse24Matrix w = sparse24(OUT, IN);
                    k.linear(x, w, null).close();
                    return w;
                }
                default: {
                    BlockSparseMatrix w = bsr(true);
                    k.linear(x, w, null).close();
                    return w;
                }
            }
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    /** A matrix whose close meets a failing sk_free still frees its other copies, says why, and is closed. */
    @ParameterizedTest(name = "{0} matrix: sk_free #{1} fails")
    @MethodSource("matrixCloseFaults")
    void aFailingFreeInAMatrixCloseFreesTheRest(String kind, int nth) throws Exception {
        Problems.check(() -> matrixCloseCase(kind, nth));
    }

    private static Problems matrixCloseCase(String kind, int nth) {
        long bytes = Resources.openDeviceBytes();
        FaultyDeviceBinding fake = new FaultyDeviceBinding();
        AutoCloseable m = withCopies(kind, fake);
        fake.failOn("free", nth);
        Exception e = assertThrows(Exception.class, m::close, "closing with a failing sk_free");
        fake.disarm();
        Problems problems = new Problems(kind + " matrix close with sk_free #" + nth + " failing");
        if (!(e instanceof RuntimeException) || !names(e, "sk_free")) {
            problems.add("not a RuntimeException naming sk_free: " + describe(e));
        }
        if (!fake.leaked().isEmpty()) {
            problems.add("device copies left allocated: " + sizes(fake, fake.leaked()));
        }
        problems.count(Resources.openDeviceBytes() - bytes, "Resources.openDeviceBytes() up by %d");
        boolean closed = m instanceof DenseMatrix d ? d.isClosed() : m instanceof Sparse24Matrix s ? s.isClosed()
                : ((BlockSparseMatrix) m).isClosed();
        if (!closed) {
            problems.add("the matrix is not closed");
        }
        problems.addAll(fake.violations);
        return problems;
    }

    @Test
    void aFailingStreamDestroyStillClosesTheBackend() throws Exception {
        FaultyDeviceBinding fake = new FaultyDeviceBinding();
        CudaBackend k = CudaBackend.overBinding(new NativeCalls(fake.kernels), 0, FaultyDeviceBinding.STREAM);
        fake.failOn("streamDestroy", 1);
        NativeException e = assertThrows(NativeException.class, k::close);
        assertEquals("sk_stream_destroy", e.function());
        fake.disarm();
        k.close(); // closing again does nothing
        assertEquals(List.of("streamDestroy"), fake.calls);
        try (Inputs in = new Inputs()) {
            Tensor x = in.t(DType.F16, TOKENS, IN), w = in.t(DType.F16, OUT, IN);
            IllegalStateException closed = assertThrows(IllegalStateException.class, () -> k.linear(x, w, null));
            assertTrue(closed.getMessage().contains("closed"), closed.getMessage());
        }
        assertEquals(Set.of(), fake.leaked());
    }

    /**
     * A matrix closed (by another thread) while a linear call is making its device copy: the call may fail with
     * IllegalStateException, but the copy it was making must not outlive the matrix (the fake closes the matrix right
     * after the last host-to-device copy of W's arrays, before the copy is attached).
     */
    @ParameterizedTest(name = "{0}")
    @org.junit.jupiter.params.provider.ValueSource(strings = {"dense", "2:4", "block-sparse"})
    void aMatrixClosedWhileItsDeviceCopyIsMadeKeepsNoCopy(String kind) throws Exception {
        FaultyDeviceBinding fake = new FaultyDeviceBinding();
        long tensors = Resources.openTensors();
        try (CudaBackend k = CudaBackend.overBinding(new NativeCalls(fake.kernels), 0, FaultyDeviceBinding.STREAM);
                Inputs in = new Inputs()) {
            Tensor x = in.t(DType.F16, TOKENS, kind.equals("block-sparse") ? BSR_DIM : IN);
            AutoCloseable w = kind.equals("dense") ? DenseMatrix.of(values(OUT * IN), OUT, IN)
                    : kind.equals("2:4") ? sparse24(OUT, IN) : bsr(true);
            // the last host-to-device copy of W's device copy: dense 1 array, 2:4 2, block-sparse 3
            fake.after("memcpyH2d", kind.equals("dense") ? 1 : kind.equals("2:4") ? 2 : 3, () -> {
                try {
                    w.close();
                } catch (Exception e) {
                    throw new AssertionError(e);
                }
            });
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> {
                if (w instanceof DenseMatrix d) {
                    k.linear(x, d, null).close();
                } else if (w instanceof Sparse24Matrix s) {
                    k.linear(x, s, null).close();
                } else {
                    k.linear(x, (BlockSparseMatrix) w, null).close();
                }
            });
            assertTrue(e.getMessage().contains("closed"), e.getMessage());
        }
        assertEquals(Set.of(), fake.leaked(), "device memory of the copy made for the closed " + kind + " matrix");
        assertEquals(List.of(), fake.violations);
        assertNoGrowth(tensors, Resources.openTensors(), "Resources.openTensors()");
    }

    /**
     * Closing a backend leaves the device copies it made with their matrices: they stay allocated until the matrix is
     * closed (or another backend on the same device reuses them), and the matrix's close still frees them.
     */
    @Test
    void closingTheBackendLeavesDeviceCopiesToTheirMatrices() throws Exception {
        FaultyDeviceBinding fake = new FaultyDeviceBinding();
        NativeCalls calls = new NativeCalls(fake.kernels);
        CudaBackend k = CudaBackend.overBinding(calls, 0, FaultyDeviceBinding.STREAM);
        long bytes = Resources.openDeviceBytes();
        try (Inputs in = new Inputs()) {
            Tensor x = in.t(DType.F16, TOKENS, IN);
            Tensor xb = in.t(DType.F16, TOKENS, BSR_DIM);
            DenseMatrix d = DenseMatrix.of(values(OUT * IN), OUT, IN);
            Sparse24Matrix s = sparse24(OUT, IN);
            BlockSparseMatrix b = bsr(true);
            k.linear(x, d, null).close();
            k.linear(x, s, null).close();
            k.linear(xb, b, null).close();
            int copies = copies(d).size() + copies(s).size() + copies(b).size();
            assertEquals(1 + 2 + 3, copies);
            assertEquals(copies, fake.live.size());
            k.close();
            assertEquals(copies, fake.live.size(), "backend.close() leaves the matrices' device copies allocated");
            assertThrows(IllegalStateException.class, () -> k.linear(x, d, null));
            assertThrows(IllegalStateException.class, () -> k.linear(x, s, null));
            assertThrows(IllegalStateException.class, () -> k.linear(xb, b, null));
            assertEquals(copies, fake.live.size(), "refused calls on a closed backend leave nothing behind");

            // a new backend on the same device reuses the copies: no new upload of W
            CudaBackend k2 = CudaBackend.overBinding(calls, 0, FaultyDeviceBinding.STREAM + 1);
            int mark = fake.calls.size();
            k2.linear(x, d, null).close();
            assertEquals(1, java.util.Collections.frequency(fake.callsSince(mark), "memcpyH2d"),
                    "only X is uploaded, W's copy is reused: " + fake.callsSince(mark));
            k2.close();
            d.close();
            s.close();
            b.close();
        }
        assertEquals(Set.of(), fake.leaked());
        assertNoGrowth(bytes, Resources.openDeviceBytes(), "Resources.openDeviceBytes()");
        assertEquals(List.of(), fake.violations);
    }

    /** On a closed backend every computing method refuses with IllegalStateException and leaves nothing behind. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("scenarios")
    void aClosedBackendRefusesEveryCall(Scenario sc) throws Exception {
        if (sc.name().equals("describe") || sc.name().equals("denseOnCublas")) {
            return; // not computing methods
        }
        long tensors = Resources.openTensors();
        long bytes = Resources.openDeviceBytes();
        Run r = new Run(sc);
        Set<Long> live = new HashSet<>(r.fake.live.keySet());
        r.backend.close();
        int mark = r.fake.calls.size();
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> r.op.run(r.backend));
        assertTrue(e.getMessage().contains("closed"), e.getMessage());
        List<String> after = r.fake.callsSince(mark);
        if (!after.isEmpty()) {
            System.out.println("closed backend, " + sc + ": native calls before the refusal: " + after);
        }
        assertEquals(live, new HashSet<>(r.fake.live.keySet()));
        r.close();
        assertEquals(Set.of(), r.fake.leaked());
        assertNoGrowth(bytes, Resources.openDeviceBytes(), "Resources.openDeviceBytes()");
        assertNoGrowth(tensors, Resources.openTensors(), "Resources.openTensors()");
    }

    /**
     * A block-sparse attention layout the CUDA kernel cannot take (blocks not multiples of 64) is refused without a
     * leak and, as Kernels promises ("every method validates shapes and dtypes before any native code runs"), before
     * any native call.
     */
    @Test
    void aRefusedBlockSparseLayoutLeavesNothingBehindAndTouchesNoDevice() throws Exception {
        FaultyDeviceBinding fake = new FaultyDeviceBinding();
        long tensors = Resources.openTensors();
        long bytes = Resources.openDeviceBytes();
        try (CudaBackend k = CudaBackend.overBinding(new NativeCalls(fake.kernels), 0, FaultyDeviceBinding.STREAM);
                Inputs in = new Inputs()) {
            Tensor q = in.t(DType.F16, 1, 1, 4, 8), kk = in.t(DType.F16, 1, 1, 8, 8), v = in.t(DType.F16, 1, 1, 8, 8);
            AttentionMask m = AttentionMask.builder().blockSparse(AttentionMask.BlockSparse.fromGrid(32, 32, 1, 1, 1,
                    1, new byte[] {AttentionMask.BlockSparse.FULL})).build();
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> k.attention(q, kk, v, m, null));
            assertTrue(e.getMessage().contains("multiples of 64"), e.getMessage());
        }
        assertEquals(Set.of(), fake.leaked());
        assertNoGrowth(bytes, Resources.openDeviceBytes(), "Resources.openDeviceBytes()");
        assertNoGrowth(tensors, Resources.openTensors(), "Resources.openTensors()");
        assertEquals(List.of("streamDestroy"), fake.calls, "native calls made before the layout was refused");
    }

    // ---------------------------------------------------------------- helpers

    /**
     * What one attempt at a case found. The open-tensor and device-byte counters are global, and what an earlier
     * failed case leaked is closed by a Cleaner whenever the garbage collector gets to it, which lowers them: a
     * counter that went down means such a Cleaner ran during the attempt, so the attempt is noisy and is repeated (a
     * leak of the case itself only ever raises them).
     */
    static final class Problems {
        final String header;
        final List<String> list = new ArrayList<>();
        boolean noisy;
        Throwable thrown;

        Problems(String header) {
            this.header = header;
        }

        void add(String problem) {
            list.add(problem);
        }

        void addAll(List<String> problems) {
            list.addAll(problems);
        }

        /** A change of a global counter that should be 0; format has one %d for it. */
        void count(long delta, String format) {
            if (delta < 0) {
                noisy = true;
            } else if (delta > 0) {
                list.add(String.format(format, delta));
            }
        }

        interface Attempt {
            Problems run() throws Exception;
        }

        /** Runs the case up to three times while it is noisy, then fails with what it found. */
        static void check(Attempt attempt) throws Exception {
            Problems p = attempt.run();
            for (int i = 0; i < 2 && p.noisy; i++) {
                p = attempt.run();
            }
            if (!p.list.isEmpty()) {
                fail(p.header + ":\n  - " + String.join("\n  - ", p.list)
                        + (p.thrown == null ? "" : "\n  thrown: " + describe(p.thrown)));
            }
        }
    }

    /**
     * A global counter is not above where it was (it may be below: a Cleaner may close what an earlier failed case
     * leaked at any time; device memory is checked exactly on the binding).
     */
    static void assertNoGrowth(long before, long after, String what) {
        assertTrue(after <= before, what + " went up by " + (after - before));
    }

    /** The device buffers attached to a matrix by the CUDA backend (empty for none or no matrix). */
    static List<DeviceBuffer> copies(AutoCloseable matrix) {
        List<DeviceBuffer> out = new ArrayList<>();
        if (matrix instanceof DenseMatrix d) {
            CudaBackend.DeviceDense c = d.attachment(CudaBackend.DeviceDense.class, x -> true);
            if (c != null) {
                out.add(c.values);
            }
        } else if (matrix instanceof Sparse24Matrix s) {
            CudaBackend.DeviceSparse24 c = s.attachment(CudaBackend.DeviceSparse24.class, x -> true);
            if (c != null) {
                out.add(c.values);
                out.add(c.meta);
            }
        } else if (matrix instanceof BlockSparseMatrix b) {
            CudaBackend.DeviceBsr c = b.attachment(CudaBackend.DeviceBsr.class, x -> true);
            if (c != null) {
                for (DeviceBuffer x : new DeviceBuffer[] {c.rowPointers, c.columnIndices, c.values}) {
                    if (x != null) {
                        out.add(x);
                    } else if (x == c.rowPointers || b.blockCount() > 0) {
                        throw new IllegalStateException("the attached block-sparse copy lacks an array");
                    }
                }
            }
        }
        for (DeviceBuffer b : out) {
            b.address(); // throws if the attached buffer was closed
        }
        return out;
    }

    private static boolean sameBuffers(List<DeviceBuffer> a, List<DeviceBuffer> b) {
        if (a.size() != b.size()) {
            return false;
        }
        for (int i = 0; i < a.size(); i++) {
            if (a.get(i) != b.get(i)) {
                return false;
            }
        }
        return true;
    }

    static void closeResult(Object result) {
        if (result instanceof Tensor t) {
            assertFalse(t.isClosed(), "a returned tensor must be open");
            t.close();
        } else if (result instanceof String s) {
            assertNotNull(s);
        }
    }

    /** True when the message of t or of one of its causes or suppressed exceptions names the C function. */
    static boolean names(Throwable t, String cName) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (c.getMessage() != null && c.getMessage().contains(cName)) {
                return c == t || t instanceof IllegalStateException;
            }
        }
        return false;
    }

    static String describe(Throwable t) {
        StringBuilder b = new StringBuilder(t.toString());
        for (Throwable c = t.getCause(); c != null; c = c.getCause()) {
            b.append(" <- caused by ").append(c);
        }
        for (Throwable s : t.getSuppressed()) {
            b.append(" [suppressed ").append(s).append(']');
        }
        return b.toString();
    }

    private static String sizes(FaultyDeviceBinding fake, Set<Long> addresses) {
        List<String> out = new ArrayList<>();
        for (long a : new TreeSet<>(addresses)) {
            out.add(fake.live.get(a) + " B");
        }
        return out.toString();
    }
}
