package dev.sparsekernels.djl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.sparsekernels.DType;
import dev.sparsekernels.Tensor;
import java.lang.reflect.Proxy;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** NDArray ↔ Tensor on the PyTorch engine: shared memory both ways on the CPU, clear errors otherwise. */
class TensorBridgeTest {
    private static NDManager m;

    @BeforeAll
    static void open() {
        m = Mlp.manager();
    }

    @AfterAll
    static void close() {
        m.close();
    }

    @Test
    void borrowedTensorIsAViewOfTheArraysMemory() {
        NDArray a = m.create(new float[] {1, 2, 3, 4, 5, 6}, new Shape(2, 3));
        try (TensorBridge.Borrowed b = TensorBridge.borrow(a)) {
            assertTrue(b.shared(), "PyTorch exposes a direct buffer for a contiguous CPU array");
            assertArrayEquals(new long[] {2, 3}, b.tensor().shape());
            assertEquals(DType.F32, b.tensor().dtype());
            assertArrayEquals(new float[] {1, 2, 3, 4, 5, 6}, b.tensor().toFloatArray());
            a.addi(10); // an in-place torch op writes the array's storage ...
            assertArrayEquals(new float[] {11, 12, 13, 14, 15, 16}, b.tensor().toFloatArray()); // ... the view sees it
            b.tensor().buffer().putFloat(0, -1f); // and a write through the tensor reaches torch
            assertEquals(-1f, a.toFloatArray()[0]);
        }
    }

    @Test
    void nonContiguousArraysAreReadInLogicalOrder() {
        NDArray t = m.create(new float[] {1, 2, 3, 4, 5, 6}, new Shape(2, 3)).transpose();
        try (TensorBridge.Borrowed b = TensorBridge.borrow(t)) {
            assertArrayEquals(new long[] {3, 2}, b.tensor().shape());
            assertArrayEquals(new float[] {1, 4, 2, 5, 3, 6}, b.tensor().toFloatArray());
        }
    }

    @Test
    void halfPrecisionKeepsItsDType() {
        NDArray h = m.create(new float[] {0.5f, -2f, 1024f}).toType(DataType.FLOAT16, false);
        try (TensorBridge.Borrowed b = TensorBridge.borrow(h)) {
            assertEquals(DType.F16, b.tensor().dtype());
            assertArrayEquals(new float[] {0.5f, -2f, 1024f}, b.tensor().toFloatArray());
        }
    }

    /** An NDArray as an engine without direct buffers shows it: toByteBuffer gives a heap buffer in some order. */
    private static NDArray heapBacked(float[] values, ByteOrder order) {
        return (NDArray) Proxy.newProxyInstance(NDArray.class.getClassLoader(), new Class<?>[] {NDArray.class},
                (proxy, method, args) -> {
                    switch (method.getName()) {
                        case "toByteBuffer": {
                            ByteBuffer b = ByteBuffer.allocate(4 * values.length).order(order);
                            for (float v : values) {
                                b.putFloat(v);
                            }
                            return b.flip();
                        }
                        case "getDataType":
                            return DataType.FLOAT32;
                        case "getShape":
                            return new Shape(values.length);
                        case "isReleased":
                            return false;
                        default:
                            throw new UnsupportedOperationException(method.getName());
                    }
                });
    }

    @Test
    void heapBuffersAreCopiedOnceInEitherByteOrder() {
        float[] v = {1.5f, -2f, 3.25f};
        for (ByteOrder order : new ByteOrder[] {ByteOrder.LITTLE_ENDIAN, ByteOrder.BIG_ENDIAN}) {
            try (TensorBridge.Borrowed b = TensorBridge.borrow(heapBacked(v, order))) {
                assertFalse(b.shared(), "a heap buffer cannot be shared with native code");
                assertArrayEquals(v, b.tensor().toFloatArray(), order.toString());
            }
        }
    }

    @Test
    void mapsTheThreeFloatingTypesBothWays() {
        for (DType t : DType.values()) {
            assertEquals(t, TensorBridge.dtypeOf(TensorBridge.dataTypeOf(t)));
        }
    }

    @Test
    void refusesBfloat16ArraysOnPyTorchInsteadOfLettingTheJvmAbort() {
        // DJL 0.36's PyTorch JNI has no bfloat16 case and calls std::terminate: a clear exception instead.
        try (Tensor y = Tensor.of(DType.BF16, new float[] {1f}, 1)) {
            UnsupportedOperationException e = assertThrows(UnsupportedOperationException.class,
                    () -> TensorBridge.toNDArray(m, y, DataType.BFLOAT16));
            assertTrue(e.getMessage().contains("bfloat16"), e.getMessage());
        }
    }

    @Test
    void resultArrayOwnsItsMemory() {
        Tensor y = Tensor.of(new float[] {1, 2, 3, 4}, 2, 2);
        NDArray a = TensorBridge.toNDArray(m, y, DataType.FLOAT32);
        assertEquals(new Shape(2, 2), a.getShape());
        y.buffer().putFloat(4, 20f); // the array is a copy in the engine's memory: the tensor no longer reaches it
        y.close();
        assertArrayEquals(new float[] {1, 2, 3, 4}, a.toFloatArray());
    }

    /**
     * Found by a robustness sweep (session 18): the array was built on our direct buffer, which only the array kept
     * reachable; a view of it outlived it and, after a GC, read freed memory (every value garbage), where views of
     * arrays the engine computed stay valid.
     */
    @Test
    void viewsOfAResultOutliveTheResultAndAGarbageCollection() throws InterruptedException {
        float[] values = new float[64 * 64];
        for (int i = 0; i < values.length; i++) {
            values[i] = i * 0.25f - 7f;
        }
        NDArray view;
        NDArray row;
        try (NDManager sub = m.newSubManager(); Tensor y = Tensor.of(values, 64, 64)) {
            NDArray a = TensorBridge.toNDArray(sub, y, DataType.FLOAT32);
            view = a.reshape(-1);
            view.attach(m);
            row = a.get(1);
            row.attach(m);
        } // closes a
        java.util.List<ByteBuffer> churn = new java.util.ArrayList<>();
        for (int round = 0; round < 5; round++) { // let the GC free what is unreachable and new buffers take it over
            System.gc();
            Thread.sleep(50);
            for (int i = 0; i < 500; i++) {
                ByteBuffer b = ByteBuffer.allocateDirect(values.length * 4);
                while (b.remaining() >= 4) {
                    b.putFloat(12345f);
                }
                churn.add(b);
            }
        }
        assertArrayEquals(values, view.toFloatArray());
        assertArrayEquals(java.util.Arrays.copyOfRange(values, 64, 128), row.toFloatArray());
        view.close();
        row.close();
    }

    @Test
    void resultIsConvertedToTheRequestedDataType() {
        try (Tensor y = Tensor.of(new float[] {1.5f, -2f}, 2)) {
            NDArray a = TensorBridge.toNDArray(m, y, DataType.FLOAT16);
            assertEquals(DataType.FLOAT16, a.getDataType());
            assertArrayEquals(new float[] {1.5f, -2f}, a.toType(DataType.FLOAT32, false).toFloatArray());
        }
    }

    @Test
    void rejectsWhatItCannotCarryNamingTheProblem() {
        NDArray ints = m.create(new int[] {1, 2});
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> TensorBridge.borrow(ints));
        assertTrue(e.getMessage().contains("int32"), e.getMessage());
        NDArray closed = m.create(new float[] {1});
        closed.close();
        IllegalStateException s = assertThrows(IllegalStateException.class, () -> TensorBridge.borrow(closed));
        assertTrue(s.getMessage().contains("closed"), s.getMessage());
        assertThrows(IllegalArgumentException.class, () -> TensorBridge.borrow(null));
        try (Tensor t = Tensor.of(new float[] {1}, 1)) {
            assertThrows(IllegalArgumentException.class, () -> TensorBridge.toNDArray(null, t, DataType.FLOAT32));
            IllegalArgumentException f = assertThrows(IllegalArgumentException.class,
                    () -> TensorBridge.toNDArray(m, t, DataType.FLOAT64));
            assertTrue(f.getMessage().contains("float64"), f.getMessage());
        }
    }
}
