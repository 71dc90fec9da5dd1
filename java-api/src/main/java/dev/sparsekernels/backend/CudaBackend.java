package dev.sparsekernels.backend;

import dev.sparsekernels.AttentionMask;
import dev.sparsekernels.BlockSparseMatrix;
import dev.sparsekernels.DType;
import dev.sparsekernels.DenseMatrix;
import dev.sparsekernels.Device;
import dev.sparsekernels.Kernels;
import dev.sparsekernels.Sparse24GpuLayout;
import dev.sparsekernels.Sparse24Matrix;
import dev.sparsekernels.Tensor;
import dev.sparsekernels.bindings.NativeCalls;
import dev.sparsekernels.channels.ChannelStatistics;
import dev.sparsekernels.bindings.NativeLibrary;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Runs the CUDA kernels of libsparsekernels on one device. Inputs are host tensors: each call uploads X, launches on
 * this backend's own stream, and downloads Y. 2:4 weights are uploaded once per (device, dtype) and kept with the
 * matrix until it is closed.
 *
 * <p>One backend instance owns one stream; calls on one instance are serialised, so it is safe to share across
 * threads (each thread may also open its own backend for concurrency).
 */
public final class CudaBackend implements Kernels {
    private final NativeCalls calls;
    private final int ordinal;
    private final String reason;
    private final String deviceName;
    /** Why dense layers do not run on cuBLAS ("" : they do); null until first asked (looking cuBLAS up loads it). */
    private String blasWhy;
    private long stream;

    private CudaBackend(NativeCalls calls, int ordinal, String reason, String deviceName, long stream) {
        this.calls = calls;
        this.ordinal = ordinal;
        this.reason = reason;
        this.deviceName = deviceName;
        this.stream = stream;
    }

    /**
     * Dense layers (and layers left dense after channel removal) run on cuBLAS when the host has it: it is the
     * fastest dense GEMM there is, and ours is a twin for tests. {@code -Dsparsekernels.cublas=false} keeps ours.
     */
    private synchronized String blasWhy() {
        if (blasWhy == null) {
            String why = Boolean.parseBoolean(System.getProperty("sparsekernels.cublas", "true"))
                    ? calls.blasUnavailabilityCause() : "disabled by -Dsparsekernels.cublas=false";
            blasWhy = why == null ? "" : why;
        }
        return blasWhy;
    }

    /** True when dense {@link #linear(Tensor, Tensor, Tensor)} runs on cuBLAS, false when on our own kernel. */
    public boolean denseOnCublas() {
        return blasWhy().isEmpty();
    }

    public static CudaBackend open(int ordinal, String reason) {
        if (ordinal < 0) { // a bad argument whatever the machine: say so before asking the driver anything
            throw new IllegalArgumentException("cuda ordinal: expected >= 0 but got " + ordinal);
        }
        String why = BackendSelector.cudaUnavailableReason();
        if (why != null) {
            throw new IllegalStateException("CUDA backend unavailable: " + why);
        }
        NativeCalls calls = new NativeCalls(NativeLibrary.kernels());
        int count = calls.deviceCount();
        if (ordinal < 0 || ordinal >= count) {
            throw new IllegalArgumentException("cuda ordinal: expected 0.." + (count - 1) + " but got " + ordinal);
        }
        calls.setDevice(ordinal);
        return new CudaBackend(calls, ordinal, reason, calls.deviceName(ordinal), calls.streamCreate());
    }

    /**
     * A backend over a given binding, without asking it for a device: lets tests on machines without a GPU run every
     * argument check of this class against a recording binding, to show that bad input never reaches native code.
     */
    static CudaBackend overBinding(NativeCalls calls, int ordinal, long stream) {
        return new CudaBackend(calls, ordinal, "test binding", "test device", stream);
    }

    @Override
    public Device device() {
        return Device.cuda(ordinal);
    }

    @Override
    public String describe() {
        return "cuda:" + ordinal + " (" + reason + "): " + deviceName + ", sm_" + calls.deviceCapability(ordinal)
                + ", binding " + calls.kernels().bindingName() + ", dense GEMM "
                + (denseOnCublas() ? "cuBLAS" : "ours (cuBLAS: " + blasWhy() + ")");
    }

    @Override
    public Tensor linear(Tensor x, Tensor w, Tensor bias) {
        return linearDense(x, w, bias, null);
    }

    /** Dense linear on our own GEMM kernel even when cuBLAS is there: the twin check verifies both. */
    public Tensor linearOnOurKernel(Tensor x, Tensor w, Tensor bias) {
        return linearDense(x, w, bias, Boolean.FALSE);
    }

    /** cublas: null = cuBLAS when available, decided after the arguments passed their checks. */
    private synchronized Tensor linearDense(Tensor x, Tensor w, Tensor bias, Boolean cublas) {
        int[] oi = LinearShapes.weightShape(w);
        LinearShapes s = LinearShapes.check(x, oi[0], oi[1], bias);
        DType dt = computeType(x, s);
        live();
        Tensor y = null;
        try (Tensor wc = w.to(dt); DeviceBuffer dw = upload(wc.buffer(), wc.byteSize())) {
            y = denseGemm(x, dw, bias, s, dt, cublas);
            return y;
        } catch (RuntimeException e) { // freeing W failed after the product: the result must not stay open
            throw Closing.closeInto(y, e);
        }
    }

    @Override
    public Tensor linear(Tensor x, DenseMatrix w, Tensor bias) {
        return linearDense(x, w, bias, null);
    }

    /** As {@link #linearOnOurKernel(Tensor, Tensor, Tensor)} for a prepared W. */
    public Tensor linearOnOurKernel(Tensor x, DenseMatrix w, Tensor bias) {
        return linearDense(x, w, bias, Boolean.FALSE);
    }

    private synchronized Tensor linearDense(Tensor x, DenseMatrix w, Tensor bias, Boolean cublas) {
        if (w == null) {
            throw new IllegalArgumentException("W: expected a dense matrix but got null");
        }
        if (w.isClosed()) {
            throw new IllegalStateException("W: dense matrix is closed");
        }
        LinearShapes s = LinearShapes.check(x, w.rows(), w.cols(), bias);
        DType dt = computeType(x, s);
        live();
        return denseGemm(x, deviceCopy(w, dt).values, bias, s, dt, cublas);
    }

    /** Y = X · Wᵀ + b for a W already on the device in the compute dtype. */
    private Tensor denseGemm(Tensor x, DeviceBuffer dw, Tensor bias, LinearShapes s, DType dt, Boolean cublas) {
        boolean useBlas = cublas == null ? denseOnCublas() : cublas;
        Tensor y = null;
        try (DeviceBuffer dx = upload(x.buffer(), x.byteSize());
                DeviceBuffer db = bias == null ? null : uploadBias(bias);
                DeviceBuffer dy = DeviceBuffer.allocate(calls, 4L * s.tokens * s.out)) {
            if (useBlas) {
                calls.blasGemm(dx.address(), dt.nativeCode(), dw.address(), db == null ? 0L : db.address(),
                        dy.address(), DType.F32.nativeCode(), s.tokens, s.in, s.out, live());
            } else {
                calls.denseGemm(dx.address(), dt.nativeCode(), dw.address(), db == null ? 0L : db.address(),
                        dy.address(), DType.F32.nativeCode(), s.tokens, s.in, s.out, live());
            }
            y = download(dy, s);
            return y;
        } catch (RuntimeException e) { // a free failing after the download: the result must not stay open
            throw Closing.closeInto(y, e);
        }
    }

    /** W in the compute dtype on this device: uploaded on first use, kept until the matrix is closed. */
    private DeviceDense deviceCopy(DenseMatrix w, DType dt) {
        DeviceDense existing = w.attachment(DeviceDense.class, d -> d.ordinal == ordinal && d.dtype == dt);
        if (existing != null) {
            return existing;
        }
        // rounded to dt as the tensor overload's w.to(dt) rounds, so both overloads compute with the same W
        try (Tensor f32 = Tensor.of(w.valuesView(), w.rows(), w.cols()); Tensor wc = f32.to(dt)) {
            DeviceDense copy = new DeviceDense(ordinal, dt, uploadSync(wc.buffer(), wc.byteSize()));
            attachOrClose(w::attach, copy);
            return copy;
        }
    }

    @Override
    public synchronized Tensor linear(Tensor x, Sparse24Matrix w, Tensor bias) {
        if (w == null) {
            throw new IllegalArgumentException("W: expected a 2:4 matrix but got null");
        }
        if (w.isClosed()) {
            throw new IllegalStateException("W: 2:4 matrix is closed");
        }
        LinearShapes s = LinearShapes.check(x, w.rows(), w.cols(), bias);
        DType dt = computeType(x, s);
        live();
        DeviceSparse24 dw = deviceCopy(w, dt);
        Tensor y = null;
        try (DeviceBuffer dx = upload(x.buffer(), x.byteSize());
                DeviceBuffer db = bias == null ? null : uploadBias(bias);
                DeviceBuffer dy = DeviceBuffer.allocate(calls, 4L * s.tokens * s.out)) {
            calls.sparse24Gemm(dx.address(), dt.nativeCode(), dw.values.address(), dw.meta.address(),
                    db == null ? 0L : db.address(), dy.address(), DType.F32.nativeCode(), s.tokens, s.in, s.out,
                    live());
            y = download(dy, s);
            return y;
        } catch (RuntimeException e) {
            throw Closing.closeInto(y, e);
        }
    }

    @Override
    public synchronized Tensor linear(Tensor x, BlockSparseMatrix w, Tensor bias) {
        if (w == null) {
            throw new IllegalArgumentException("W: expected a block-sparse matrix but got null");
        }
        if (w.isClosed()) {
            throw new IllegalStateException("W: block-sparse matrix is closed");
        }
        LinearShapes s = LinearShapes.check(x, w.rows(), w.cols(), bias);
        DType dt = computeType(x, s);
        live();
        DeviceBsr dw = deviceCopy(w, dt);
        // The plan balances long block rows for this token count; it is small and cheap to make, so it is made
        // per call rather than cached (a plan for more tokens would still be valid but less balanced).
        ByteBuffer plan = calls.bsrPlan(dw.hostRowPointers, w.blockCount(), w.blockRows(), w.blockCols(),
                s.tokens, s.out);
        Tensor y = null;
        try (DeviceBuffer dx = upload(x.buffer(), x.byteSize());
                DeviceBuffer ws = plan.limit() == 0 ? null : uploadSync(plan, plan.limit());
                DeviceBuffer db = bias == null ? null : uploadBias(bias);
                DeviceBuffer dy = DeviceBuffer.allocate(calls, 4L * s.tokens * s.out)) {
            calls.bsrGemm(dx.address(), dt.nativeCode(), dw.rowPointers.address(),
                    dw.columnIndices == null ? 0L : dw.columnIndices.address(),
                    dw.values == null ? 0L : dw.values.address(), w.blockCount(), w.blockRows(), w.blockCols(),
                    ws == null ? 0L : ws.address(), db == null ? 0L : db.address(), dy.address(),
                    DType.F32.nativeCode(), s.tokens, s.in, s.out, live());
            y = download(dy, s);
            return y;
        } catch (RuntimeException e) {
            throw Closing.closeInto(y, e);
        }
    }

    private DeviceBsr deviceCopy(BlockSparseMatrix w, DType dt) {
        DeviceBsr existing = w.attachment(DeviceBsr.class, d -> d.ordinal == ordinal && d.dtype == dt);
        if (existing != null) {
            return existing;
        }
        ByteBuffer rp = intBuffer(w.rowPointersView());
        ByteBuffer ci = intBuffer(w.columnIndicesView());
        calls.bsrCheck(rp, ci, w.blockCount(), w.blockRows(), w.blockCols(), w.rows(), w.cols());
        DeviceBsr copy = new DeviceBsr(ordinal, dt, rp);
        try {
            copy.rowPointers = uploadSync(rp, rp.capacity());
            if (w.blockCount() > 0) {
                copy.columnIndices = uploadSync(ci, ci.capacity());
                try (Tensor values = Tensor.of(dt, w.valuesView(), w.valuesView().length)) {
                    copy.values = uploadSync(values.buffer(), values.byteSize());
                }
            }
        } catch (RuntimeException e) {
            throw Closing.closeInto(copy, e);
        }
        attachOrClose(w::attach, copy);
        return copy;
    }

    /**
     * Ties a finished device copy to its matrix, or frees it when that fails (the matrix was closed meanwhile by
     * another thread): the copy must not outlive its matrix, waiting for the GC.
     */
    private static void attachOrClose(java.util.function.Consumer<AutoCloseable> attach, AutoCloseable copy) {
        try {
            attach.accept(copy);
        } catch (RuntimeException e) {
            throw Closing.closeInto(copy, e);
        }
    }

    private static ByteBuffer intBuffer(int[] values) {
        ByteBuffer b = ByteBuffer.allocateDirect(Math.max(4 * values.length, 4)).order(ByteOrder.nativeOrder());
        b.asIntBuffer().put(values);
        b.limit(4 * values.length);
        return b;
    }

    /** Upload whose host buffer may be dropped as soon as this returns. */
    private DeviceBuffer uploadSync(ByteBuffer host, long bytes) {
        DeviceBuffer d = upload(host, bytes);
        try {
            calls.streamSynchronize(live());
        } catch (RuntimeException e) {
            throw Closing.closeInto(d, e);
        }
        return d;
    }

    @Override
    public synchronized ChannelStatistics channelStatistics(Tensor activations) {
        int channels = CpuBackend.channelsOf(activations);
        long samples = activations.elementCount() / channels;
        long stateBytes = NativeCalls.channelStatsStateBytes(channels);
        if (stateBytes > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("activations: " + channels + " channels exceed the 2 GiB state limit");
        }
        Tensor x = activations;
        live();
        try (DeviceBuffer dx = upload(x.buffer(), x.byteSize());
                DeviceBuffer state = DeviceBuffer.allocate(calls, stateBytes)) {
            calls.channelStatsReset(state.address(), channels, live());
            calls.channelStatsUpdate(dx.address(), x.dtype().nativeCode(), samples, channels, state.address(),
                    live());
            ByteBuffer host = ByteBuffer.allocateDirect((int) stateBytes).order(ByteOrder.nativeOrder());
            calls.memcpyD2h(host, state.address(), stateBytes, live());
            calls.streamSynchronize(live());
            // state layout (sparsekernels.h): n[C], mean[C], M2[C] as float64; every channel saw every sample
            double[] mean = new double[channels];
            double[] m2 = new double[channels];
            for (int j = 0; j < channels; j++) {
                mean[j] = host.getDouble(8 * (channels + j));
                m2[j] = host.getDouble(8 * (2 * channels + j));
            }
            return ChannelStatistics.fromState(samples, mean, m2);
        }
    }

    @Override
    public synchronized Tensor attention(Tensor q, Tensor k, Tensor v, AttentionMask mask, Double scale) {
        AttentionShapes s = AttentionShapes.check(q, k, v, mask, scale);
        DType dt = q.dtype();
        if (!LinearShapes.isHalf(dt) || k.dtype() != dt || v.dtype() != dt) {
            throw new IllegalArgumentException("q, k, v: the CUDA attention kernel takes f16 or bf16, all the same,"
                    + " but got " + q.dtype() + ", " + k.dtype() + ", " + v.dtype()
                    + "; convert with to(DType.F16) or to(DType.BF16)");
        }
        if (s.d % 8 != 0 || s.d > 256) {
            throw new IllegalArgumentException("q: the CUDA attention kernel needs a head dim that is a multiple of 8"
                    + " up to 256 but D = " + s.d);
        }
        AttentionMask m = s.mask;
        AttentionMask.Views views = m.views();
        // Java's window W keeps |j - p| < W (with causal: p - W < j <= p); the kernel takes both bounds.
        long window = m.window() > 0 ? m.window() - 1 : -1;
        AttentionMask.BlockSparse bs = m.blockSparse();
        if (bs != null && (bs.blockQ() % 64 != 0 || bs.blockK() % 64 != 0)) { // refused before anything native runs
            throw new IllegalArgumentException("mask: the CUDA block-sparse attention needs blocks that are"
                    + " multiples of 64 but got " + bs.blockQ() + "x" + bs.blockK());
        }
        live();
        Tensor o = Tensor.allocate(DType.F32, s.outputShape());
        java.util.List<DeviceBuffer> held = new java.util.ArrayList<>();
        RuntimeException failure = null;
        try {
            long dq = track(held, upload(q.buffer(), q.byteSize())).address();
            long dk = track(held, upload(k.buffer(), k.byteSize())).address();
            long dv = track(held, upload(v.buffer(), v.byteSize())).address();
            long dOut = track(held, DeviceBuffer.allocate(calls, o.byteSize())).address();
            long keyLengths = 0;
            if (views.keyLengths() != null) {
                keyLengths = track(held, uploadSync(intBuffer(views.keyLengths()), 4L * s.batch)).address();
            }
            long bias = 0;
            AttentionMaskLayout bl = null;
            if (views.bias() != null) {
                bl = AttentionMaskLayout.of(views.biasShape(), s.lk);
                float[] b = bl.expand(views.bias(), views.biasShape());
                ByteBuffer bb = ByteBuffer.allocateDirect(4 * b.length).order(ByteOrder.nativeOrder());
                bb.asFloatBuffer().put(b);
                bias = track(held, uploadSync(bb, bb.capacity())).address();
            }
            long dense = 0;
            AttentionMaskLayout ml = null;
            if (views.dense() != null) {
                ml = AttentionMaskLayout.of(views.denseShape(), s.lk);
                byte[] d = ml.expand(views.dense(), views.denseShape());
                ByteBuffer db = ByteBuffer.allocateDirect(d.length).put(d);
                db.flip();
                dense = track(held, uploadSync(db, d.length)).address();
            }
            long headMask = 0;
            if (views.headMask() != null) {
                boolean[] hm = views.headMask();
                ByteBuffer hb = ByteBuffer.allocateDirect(hm.length);
                for (boolean keep : hm) {
                    hb.put((byte) (keep ? 1 : 0));
                }
                hb.flip();
                headMask = track(held, uploadSync(hb, hm.length)).address();
            }
            long bsb = bl == null ? 0 : bl.strideB;
            long bsh = bl == null ? 0 : bl.strideH;
            long bsq = bl == null ? 0 : bl.strideQ;
            long msb = ml == null ? 0 : ml.strideB;
            long msh = ml == null ? 0 : ml.strideH;
            long msq = ml == null ? 0 : ml.strideQ;
            if (bs == null) {
                calls.attention(dq, dk, dv, dOut, dt.nativeCode(), DType.F32.nativeCode(), s.batch, s.hq, s.hkv, s.lq,
                        s.lk, s.d, s.scale, m.isCausal(), window, window, keyLengths, bias, bsb, bsh, bsq, dense, msb,
                        msh, msq, headMask, live());
            } else {
                long counts = track(held, uploadSync(intBuffer(bs.kvCounts()), 4L * bs.kvCounts().length))
                        .address();
                int[] kvIdx = bs.kvIndices();
                long indices = track(held, uploadSync(intBuffer(kvIdx), 4L * kvIdx.length)).address();
                byte[] full = bs.kvFull();
                ByteBuffer fb = ByteBuffer.allocateDirect(full.length).put(full);
                fb.flip();
                long fullAddr = track(held, uploadSync(fb, full.length)).address();
                long strideH = bs.heads() == 1 ? 0 : bs.qBlocks();
                long strideB = bs.batches() == 1 ? 0 : (long) bs.heads() * bs.qBlocks();
                calls.attentionBlockSparse(dq, dk, dv, dOut, dt.nativeCode(), DType.F32.nativeCode(), s.batch, s.hq,
                        s.hkv, s.lq, s.lk, s.d, s.scale, m.isCausal(), window, window, keyLengths, bias, bsb, bsh,
                        bsq, dense, msb, msh, msq, headMask, bs.blockQ(), bs.blockK(), bs.kBlocks(), counts, indices,
                        fullAddr, strideB, strideH, live());
            }
            calls.memcpyD2h(o.buffer(), dOut, o.byteSize(), live());
            calls.streamSynchronize(live());
        } catch (RuntimeException e) {
            failure = e;
        }
        // every buffer freed even when a free fails; the first failure thrown, and then the output closed
        failure = Closing.closeAll(failure, held.toArray(new AutoCloseable[0]));
        if (failure != null) {
            throw Closing.closeInto(o, failure);
        }
        return o;
    }

    private static DeviceBuffer track(java.util.List<DeviceBuffer> held, DeviceBuffer b) {
        held.add(b);
        return b;
    }

    @Override
    public synchronized Tensor gatherRows(Tensor src, int[] idx) {
        GatherArgs a = GatherArgs.check(src, idx, true);
        return gather(src, idx, a, idx.length, a.cols, true);
    }

    @Override
    public synchronized Tensor gatherColumns(Tensor src, int[] idx) {
        GatherArgs a = GatherArgs.check(src, idx, false);
        return gather(src, idx, a, a.rows, idx.length, false);
    }

    private Tensor gather(Tensor src, int[] idx, GatherArgs a, int outRows, int outCols, boolean rows) {
        live();
        ByteBuffer ib = ByteBuffer.allocateDirect(8 * idx.length).order(ByteOrder.nativeOrder());
        for (int i : idx) {
            ib.putLong(i);
        }
        ib.flip();
        Tensor out = Tensor.allocate(src.dtype(), outRows, outCols);
        try (DeviceBuffer ds = upload(src.buffer(), src.byteSize());
                DeviceBuffer di = uploadSync(ib, ib.limit());
                DeviceBuffer dd = DeviceBuffer.allocate(calls, out.byteSize())) {
            if (rows) {
                calls.gatherRows(ds.address(), src.dtype().nativeCode(), a.rows, a.cols, di.address(), idx.length,
                        dd.address(), live());
            } else {
                calls.gatherCols(ds.address(), src.dtype().nativeCode(), a.rows, a.cols, di.address(), idx.length,
                        dd.address(), live());
            }
            calls.memcpyD2h(out.buffer(), dd.address(), out.byteSize(), live());
            calls.streamSynchronize(live());
            return out;
        } catch (RuntimeException e) {
            throw Closing.closeInto(out, e);
        }
    }

    @Override
    public synchronized void close() {
        if (stream != 0) {
            long st = stream;
            stream = 0;
            calls.streamDestroy(st);
        }
    }

    private long live() {
        if (stream == 0) {
            throw new IllegalStateException("CUDA backend on device " + ordinal + " is closed");
        }
        calls.setDevice(ordinal);
        return stream;
    }

    private static DType computeType(Tensor x, LinearShapes s) {
        if (!LinearShapes.isHalf(x.dtype())) {
            throw new IllegalArgumentException("x: the CUDA kernels take f16 or bf16 inputs but x is " + x.dtype()
                    + "; convert with x.to(DType.F16) or x.to(DType.BF16)");
        }
        if (s.in % 8 != 0) {
            throw new IllegalArgumentException("in: the CUDA kernels need in to be a multiple of 8 but in = " + s.in);
        }
        return x.dtype();
    }

    private DeviceSparse24 deviceCopy(Sparse24Matrix w, DType dt) {
        DeviceSparse24 existing = w.attachment(DeviceSparse24.class, d -> d.ordinal == ordinal && d.dtype == dt);
        if (existing != null) {
            return existing;
        }
        Sparse24GpuLayout layout = w.gpuLayout(dt);
        short[] v = layout.values();
        int[] m = layout.meta();
        ByteBuffer vb = ByteBuffer.allocateDirect(2 * v.length).order(ByteOrder.LITTLE_ENDIAN);
        vb.asShortBuffer().put(v);
        ByteBuffer mb = ByteBuffer.allocateDirect(4 * m.length).order(ByteOrder.LITTLE_ENDIAN);
        mb.asIntBuffer().put(m);
        DeviceBuffer dv = upload(vb, vb.capacity());
        DeviceBuffer dm;
        try {
            dm = upload(mb, mb.capacity());
        } catch (RuntimeException e) {
            throw Closing.closeInto(dv, e);
        }
        DeviceSparse24 copy = new DeviceSparse24(ordinal, dt, dv, dm);
        attachOrClose(w::attach, copy);
        return copy;
    }

    private DeviceBuffer upload(ByteBuffer host, long bytes) {
        long st = live(); // a closed backend refuses before it allocates
        DeviceBuffer d = DeviceBuffer.allocate(calls, bytes);
        try {
            calls.memcpyH2d(d.address(), host, bytes, st);
        } catch (RuntimeException e) {
            throw Closing.closeInto(d, e);
        }
        return d;
    }

    private DeviceBuffer uploadBias(Tensor bias) {
        try (Tensor b = bias.to(DType.F32)) {
            return uploadSync(b.buffer(), b.byteSize());
        }
    }

    private Tensor download(DeviceBuffer dy, LinearShapes s) {
        Tensor y = Tensor.allocate(DType.F32, s.outputShape);
        try {
            calls.memcpyD2h(y.buffer(), dy.address(), 4L * s.tokens * s.out, live());
            calls.streamSynchronize(live());
        } catch (RuntimeException e) { // a failed copy must not leave an open tensor behind
            throw Closing.closeInto(y, e);
        }
        return y;
    }

    /** A BSR matrix's arrays on one device (row pointers kept on the host too, for planning). */
    static final class DeviceBsr implements AutoCloseable {
        final int ordinal;
        final DType dtype;
        final ByteBuffer hostRowPointers;
        DeviceBuffer rowPointers;
        DeviceBuffer columnIndices;
        DeviceBuffer values;

        DeviceBsr(int ordinal, DType dtype, ByteBuffer hostRowPointers) {
            this.ordinal = ordinal;
            this.dtype = dtype;
            this.hostRowPointers = hostRowPointers;
        }

        @Override
        public void close() {
            Closing.closeAllOrThrow(rowPointers, columnIndices, values);
        }
    }

    /** A dense matrix's values on one device in one dtype, freed when the matrix is closed. */
    static final class DeviceDense implements AutoCloseable {
        final int ordinal;
        final DType dtype;
        final DeviceBuffer values;

        DeviceDense(int ordinal, DType dtype, DeviceBuffer values) {
            this.ordinal = ordinal;
            this.dtype = dtype;
            this.values = values;
        }

        @Override
        public void close() {
            values.close();
        }
    }

    /** A 2:4 matrix's GPU layout on one device, freed when the matrix is closed. */
    static final class DeviceSparse24 implements AutoCloseable {
        final int ordinal;
        final DType dtype;
        final DeviceBuffer values;
        final DeviceBuffer meta;

        DeviceSparse24(int ordinal, DType dtype, DeviceBuffer values, DeviceBuffer meta) {
            this.ordinal = ordinal;
            this.dtype = dtype;
            this.values = values;
            this.meta = meta;
        }

        @Override
        public void close() {
            Closing.closeAllOrThrow(values, meta);
        }
    }
}
