package dev.sparsekernels.djl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.MalformedModelException;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import dev.sparsekernels.BlockSparseMatrix;
import dev.sparsekernels.DenseMatrix;
import dev.sparsekernels.Kernels;
import dev.sparsekernels.Sparse24Matrix;
import dev.sparsekernels.Tensor;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.ByteArrayInputStream;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** SparseLinear as a DJL block: results against a plain double-precision X·Wᵀ + b, shapes, and refusals. */
class SparseLinearTest {
    private static final int IN = 32;
    private static final int OUT = 16;
    private static NDManager m;
    private static Kernels kernels;

    @BeforeAll
    static void open() {
        m = Mlp.manager();
        kernels = Kernels.cpu(2);
    }

    @AfterAll
    static void close() {
        m.close();
        kernels.close();
    }

    /** Random W [OUT, IN] with the 2 middle weights of every group of 4 zeroed: 2:4 by construction. */
    private static float[] twoFourWeight(long seed) {
        Random rnd = new Random(seed);
        float[] w = new float[OUT * IN];
        for (int i = 0; i < w.length; i++) {
            w[i] = (i % 4 == 1 || i % 4 == 2) ? 0f : rnd.nextFloat() * 2 - 1;
        }
        return w;
    }

    private static float[] randomBias(long seed) {
        Random rnd = new Random(seed);
        float[] b = new float[OUT];
        for (int i = 0; i < OUT; i++) {
            b[i] = rnd.nextFloat() - 0.5f;
        }
        return b;
    }

    /** The reference, in double: y[t][o] = b[o] + Σ_i x[t][i]·w[o][i]. */
    private static float[] reference(float[] x, float[] w, float[] b) {
        int tokens = x.length / IN;
        float[] y = new float[tokens * OUT];
        for (int t = 0; t < tokens; t++) {
            for (int o = 0; o < OUT; o++) {
                double s = b == null ? 0 : b[o];
                for (int i = 0; i < IN; i++) {
                    s += (double) x[t * IN + i] * w[o * IN + i];
                }
                y[t * OUT + o] = (float) s;
            }
        }
        return y;
    }

    private static void assertClose(float[] expected, float[] actual, float tol) {
        assertEquals(expected.length, actual.length);
        for (int i = 0; i < expected.length; i++) {
            int k = i;
            assertEquals(expected[i], actual[i], tol * Math.max(1f, Math.abs(expected[i])), () -> "element " + k);
        }
    }

    private static SparseLinear twoFourLayer(float[] w, float[] b) {
        try (Tensor wt = Tensor.of(w, OUT, IN)) {
            return SparseLinear.of(kernels, Sparse24Matrix.fromPruned(wt), b == null ? null : Tensor.of(b, OUT));
        }
    }

    private static NDArray forward(SparseLinear layer, NDArray x) {
        return layer.forward(new ParameterStore(m, false), new NDList(x), false).singletonOrThrow();
    }

    @Test
    void computesXTimesWTransposedPlusBiasOverLeadingDimensions() {
        float[] w = twoFourWeight(1);
        float[] b = randomBias(2);
        SparseLinear layer = twoFourLayer(w, b);
        NDArray x = Mlp.input(m, 3, 6, IN, null).reshape(2, 3, IN);
        NDArray y = forward(layer, x);
        assertEquals(new Shape(2, 3, OUT), y.getShape()); // [..., in] → [..., out]
        assertEquals(DataType.FLOAT32, y.getDataType());
        assertClose(reference(x.toFloatArray(), w, b), y.toFloatArray(), 1e-5f); // F32 sums of 32 terms
        assertEquals(x.getManager(), y.getManager()); // on the input's manager, as DJL ops
        assertArrayEquals(w, layer.denseWeight());
        assertEquals("2:4", layer.format());
    }

    /** As DJL's Linear: no rows in, an empty [..., out] out (it was refused; a robustness sweep, session 18). */
    @Test
    void anInputWithNoRowsGivesAnEmptyOutput() {
        SparseLinear layer = twoFourLayer(twoFourWeight(1), randomBias(2));
        NDArray none = forward(layer, m.zeros(new Shape(0, IN)));
        assertEquals(new Shape(0, OUT), none.getShape());
        assertEquals(new Shape(2, 0, OUT), forward(layer, m.zeros(new Shape(2, 0, IN))).getShape());
        assertEquals(DataType.FLOAT32, none.getDataType());
    }

    @Test
    void runsBlockSparseAndDenseWeightsToo() {
        Random rnd = new Random(4);
        float[] w = new float[OUT * IN];
        for (int r = 0; r < OUT; r++) {
            for (int c = 16; c < IN; c++) { // only the second 16x16 block is stored
                w[r * IN + c] = rnd.nextFloat() * 2 - 1;
            }
        }
        NDArray x = Mlp.input(m, 5, 4, IN, null);
        float[] expected = reference(x.toFloatArray(), w, null);
        try (Tensor wt = Tensor.of(w, OUT, IN)) {
            SparseLinear bsr = SparseLinear.of(kernels, BlockSparseMatrix.fromDense(wt, 16, 16), null);
            assertEquals("bsr:16x16", bsr.format());
            assertEquals(0.5, bsr.density());
            assertClose(expected, forward(bsr, x).toFloatArray(), 1e-5f);
            Tensor owned = Tensor.of(w, OUT, IN);
            SparseLinear dense = SparseLinear.dense(kernels, owned, null);
            assertTrue(owned.isClosed(), "the layer copies W into a DenseMatrix and closes the tensor it took");
            assertEquals("dense", dense.format());
            assertClose(expected, forward(dense, x).toFloatArray(), 1e-5f);
            SparseLinear prepared = SparseLinear.of(kernels, DenseMatrix.of(w, OUT, IN), null);
            assertClose(expected, forward(prepared, x).toFloatArray(), 1e-5f);
        }
    }

    @Test
    void halfPrecisionInputGivesHalfPrecisionOutput() {
        float[] w = twoFourWeight(6);
        SparseLinear layer = twoFourLayer(w, null);
        NDArray x16 = Mlp.input(m, 7, 3, IN, null).toType(DataType.FLOAT16, false);
        NDArray y = forward(layer, x16);
        assertEquals(DataType.FLOAT16, y.getDataType());
        // inputs are exact in F16, sums in F32; the result rounds to F16: relative error up to 2^-11
        assertClose(reference(x16.toType(DataType.FLOAT32, false).toFloatArray(), w, null),
                y.toType(DataType.FLOAT32, false).toFloatArray(), 2e-3f);
    }

    @Test
    void outputShapesFollowLinear() {
        SparseLinear layer = twoFourLayer(twoFourWeight(8), null);
        assertEquals(new Shape(5, 7, OUT), layer.getOutputShapes(new Shape[] {new Shape(5, 7, IN)})[0]);
        assertEquals(new Shape(OUT), layer.getOutputShapes(new Shape[] {new Shape(IN)})[0]);
        assertEquals(new Shape(-1, IN), layer.describeInput().get("linearInput"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> layer.getOutputShapes(new Shape[] {new Shape(5, IN + 1)}));
        assertTrue(e.getMessage().contains("expected last dimension " + IN), e.getMessage());
    }

    @Test
    void refusesTrainingBadInputsAndSaving() {
        SparseLinear layer = twoFourLayer(twoFourWeight(9), randomBias(10));
        NDArray x = Mlp.input(m, 11, 2, IN, null);
        UnsupportedOperationException t = assertThrows(UnsupportedOperationException.class,
                () -> layer.forward(new ParameterStore(m, false), new NDList(x), true));
        assertTrue(t.getMessage().contains("inference-only"), t.getMessage());

        IllegalArgumentException wide = assertThrows(IllegalArgumentException.class,
                () -> forward(layer, Mlp.input(m, 12, 2, IN + 4, null)));
        assertTrue(wide.getMessage().contains("expected last dimension " + IN), wide.getMessage());
        IllegalArgumentException two = assertThrows(IllegalArgumentException.class,
                () -> layer.forward(new ParameterStore(m, false), new NDList(x, x), false));
        assertTrue(two.getMessage().contains("2 arrays"), two.getMessage());
        IllegalArgumentException ints = assertThrows(IllegalArgumentException.class,
                () -> forward(layer, m.zeros(new Shape(2, IN), DataType.INT32)));
        assertTrue(ints.getMessage().contains("int32"), ints.getMessage());

        assertThrows(UnsupportedOperationException.class,
                () -> layer.saveParameters(new DataOutputStream(new ByteArrayOutputStream())));
        assertThrows(MalformedModelException.class,
                () -> layer.loadParameters(m, new DataInputStream(new ByteArrayInputStream(new byte[0]))));
    }

    @Test
    void refusesMismatchedConstructionArguments() {
        try (Tensor w = Tensor.of(twoFourWeight(13), OUT, IN)) {
            IllegalArgumentException bias = assertThrows(IllegalArgumentException.class,
                    () -> SparseLinear.of(kernels, Sparse24Matrix.fromPruned(w),
                            Tensor.of(new float[OUT + 1], OUT + 1)));
            assertTrue(bias.getMessage().contains("bias: expected shape [" + OUT + "]"), bias.getMessage());
            assertThrows(IllegalArgumentException.class,
                    () -> SparseLinear.of(null, Sparse24Matrix.fromPruned(w), null));
            assertThrows(IllegalArgumentException.class, () -> SparseLinear.of(kernels, (Sparse24Matrix) null, null));
        }
    }
}
