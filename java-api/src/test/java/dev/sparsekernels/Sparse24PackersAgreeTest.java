package dev.sparsekernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import dev.sparsekernels.bindings.NativeCalls;
import dev.sparsekernels.bindings.NativeKernels;
import dev.sparsekernels.bindings.NativeLibrary;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The Java packer (Sparse24GpuLayout) and the native one (sk_sparse24_pack) give identical bytes. */
class Sparse24PackersAgreeTest {
    private static final int[][] SHAPES = {{1, 4}, {5, 12}, {33, 36}, {70, 100}, {32, 64}, {64, 264}};

    @ParameterizedTest
    @ValueSource(strings = {NativeLibrary.PANAMA, NativeLibrary.JAVACPP})
    void javaAndNativePackersGiveIdenticalBytes(String binding) {
        NativeKernels kernels = NativeLibrary.binding(binding);
        assertNotNull(kernels, () -> binding + " binding unavailable: " + NativeLibrary.bindingCause(binding));
        NativeCalls calls = new NativeCalls(kernels);
        Random rnd = new Random(11);
        for (DType dt : new DType[] {DType.F16, DType.BF16}) {
            for (int[] s : SHAPES) {
                int rows = s[0];
                int cols = s[1];
                float[] w = new float[rows * cols];
                for (int i = 0; i < w.length; i++) {
                    // some exact zeros so groups with 0 or 1 non-zeros occur
                    w[i] = rnd.nextInt(3) == 0 ? 0 : (float) rnd.nextGaussian();
                }
                try (Tensor t = Tensor.of(dt, w, rows, cols); Sparse24Matrix m = Sparse24Matrix.prune(t)) {
                    Sparse24GpuLayout java = m.gpuLayout(dt);
                    try (Tensor vals = Tensor.of(dt, m.values(), m.values().length)) {
                        byte[] idx = m.indices();
                        ByteBuffer ib = ByteBuffer.allocateDirect(idx.length).put(idx);
                        ib.clear();
                        long[] sizes = calls.sparse24GpuSizes(rows, cols);
                        ByteBuffer gv = ByteBuffer.allocateDirect((int) sizes[0] * 2).order(ByteOrder.LITTLE_ENDIAN);
                        ByteBuffer gm = ByteBuffer.allocateDirect((int) sizes[1] * 4).order(ByteOrder.LITTLE_ENDIAN);
                        calls.sparse24Pack(vals.buffer(), ib, rows, cols, gv, gm);
                        short[] nv = new short[(int) sizes[0]];
                        gv.asShortBuffer().get(nv);
                        int[] nm = new int[(int) sizes[1]];
                        gm.asIntBuffer().get(nm);
                        String where = binding + " " + dt + " [" + rows + ", " + cols + "]";
                        assertArrayEquals(java.values(), nv, "values differ: " + where);
                        assertArrayEquals(java.meta(), nm, "metadata differs: " + where);
                    }
                }
            }
        }
    }
}
