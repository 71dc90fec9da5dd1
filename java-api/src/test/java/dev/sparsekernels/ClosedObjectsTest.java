package dev.sparsekernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/**
 * A closed tensor or matrix refuses every method that reads its data with IllegalStateException saying it is closed,
 * still answers what it was (shape, dtype, sizes, toString), and closing it again is harmless.
 */
class ClosedObjectsTest {

    private static void assertAllClosed(Map<String, Executable> calls) {
        for (Map.Entry<String, Executable> e : calls.entrySet()) {
            IllegalStateException x = assertThrows(IllegalStateException.class, e.getValue(), e.getKey());
            assertTrue(x.getMessage().contains("closed"), () -> e.getKey() + ": " + x.getMessage());
        }
    }

    @Test
    void aClosedTensorRefusesItsDataButKeepsItsDescription() {
        Tensor t = Tensor.of(DType.F16, new float[] {1, 2, 3, 4, 5, 6}, 2, 3);
        t.close();
        Map<String, Executable> calls = new LinkedHashMap<>();
        calls.put("buffer", t::buffer);
        calls.put("toFloatArray", t::toFloatArray);
        calls.put("toBits", t::toBits);
        calls.put("to", () -> t.to(DType.F32));
        calls.put("reshape", () -> t.reshape(3, 2));
        calls.put("matrixShape", () -> t.matrixShape("W"));
        assertAllClosed(calls);
        assertArrayEquals(new long[] {2, 3}, t.shape());
        assertEquals(DType.F16, t.dtype());
        assertEquals(6, t.elementCount());
        assertTrue(t.isClosed());
        assertTrue(t.toString().contains("closed"));
        assertDoesNotThrow(t::close);
    }

    @Test
    void aClosedTwoFourMatrixRefusesItsDataButKeepsItsDescription() {
        Sparse24Matrix m = Sparse24Matrix.fromCompressed(DType.F32, 1, 8, new float[] {1, 2, 3, 4},
                new byte[] {(byte) 0x84});
        m.cpuWeights(); // built and cached while open: close must drop it too
        m.close();
        Map<String, Executable> calls = new LinkedHashMap<>();
        calls.put("values", m::values);
        calls.put("indices", m::indices);
        calls.put("toDenseArray", m::toDenseArray);
        calls.put("toDense", m::toDense);
        calls.put("gpuLayout", () -> m.gpuLayout(DType.F16));
        calls.put("cpuWeights", m::cpuWeights);
        calls.put("attach", () -> m.attach(() -> { }));
        calls.put("attachment", () -> m.attachment(Object.class, o -> true));
        assertAllClosed(calls);
        assertEquals(1, m.rows());
        assertEquals(8, m.cols());
        assertTrue(m.isClosed());
        assertDoesNotThrow(m::close);
    }

    @Test
    void aClosedBlockSparseMatrixRefusesItsDataButKeepsItsDescription() {
        BlockSparseMatrix m = BlockSparseMatrix.fromArrays(DType.BF16, 16, 32, 16, 16, new int[] {0, 1},
                new int[] {1}, new float[256]);
        m.close();
        Map<String, Executable> calls = new LinkedHashMap<>();
        calls.put("rowPointers", m::rowPointers);
        calls.put("columnIndices", m::columnIndices);
        calls.put("values", m::values);
        calls.put("rowPointersView", m::rowPointersView);
        calls.put("columnIndicesView", m::columnIndicesView);
        calls.put("valuesView", m::valuesView);
        calls.put("toDenseArray", m::toDenseArray);
        calls.put("toDense", m::toDense);
        calls.put("attach", () -> m.attach(() -> { }));
        assertAllClosed(calls);
        assertEquals(1, m.blockCount());
        assertTrue(m.toString().contains("closed"));
        assertDoesNotThrow(m::close);
    }

    @Test
    void closingAMatrixClosesWhatWasAttachedOnceEvenWhenClosedTwice() {
        int[] closes = {0};
        BlockSparseMatrix m = BlockSparseMatrix.fromArrays(DType.F32, 16, 16, 16, 16, new int[] {0, 0}, new int[0],
                new float[0]);
        m.attach(() -> closes[0]++);
        m.close();
        m.close();
        assertEquals(1, closes[0]);
    }

    /** As the CUDA backend: a closed CPU backend refuses work (it had kept computing), and still describes itself. */
    @Test
    void aClosedCpuBackendRefusesWorkButKeepsItsDescription() {
        Kernels k = Kernels.cpu(1);
        Tensor x = Tensor.of(new float[8], 1, 8);
        Tensor w = Tensor.of(new float[16], 2, 8);
        Tensor q = Tensor.of(new float[8], 1, 1, 1, 8);
        assertEquals(1, k.linear(x, w, null).shape()[0]); // works while open
        k.close();
        Map<String, Executable> calls = new LinkedHashMap<>();
        calls.put("linear", () -> k.linear(x, w, null));
        calls.put("attention", () -> k.attention(q, q, q, null, null));
        calls.put("gatherRows", () -> k.gatherRows(w, new int[] {0}));
        calls.put("gatherColumns", () -> k.gatherColumns(w, new int[] {0}));
        calls.put("channelStatistics", () -> k.channelStatistics(x));
        calls.put("threads", () -> ((dev.sparsekernels.backend.CpuBackend) k).threads());
        assertAllClosed(calls);
        assertTrue(k.describe().startsWith("cpu"));
        k.close(); // again: harmless
    }
}
