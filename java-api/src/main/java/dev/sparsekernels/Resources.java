package dev.sparsekernels;

import dev.sparsekernels.backend.DeviceBuffer;

/**
 * What this library holds open right now, in this JVM: a way for tests and for users chasing a leak to check that
 * every tensor, matrix and device buffer they made was closed. Counters change when objects are created and closed
 * (or, for objects nobody closed, when the garbage collector frees them).
 */
public final class Resources {
    private Resources() {
    }

    /** Tensors created and not yet closed (nor collected). */
    public static long openTensors() {
        return Tracker.OPEN_TENSORS.get();
    }

    /** Off-heap bytes held by those tensors. */
    public static long openTensorBytes() {
        return Tracker.OPEN_TENSOR_BYTES.get();
    }

    /** 2:4, block-sparse and dense matrices created and not yet closed (nor collected). */
    public static long openMatrices() {
        return Tracker.OPEN_MATRICES.get();
    }

    /** Device bytes held by open CUDA buffers (weights uploaded to a GPU, buffers of a running call). */
    public static long openDeviceBytes() {
        return DeviceBuffer.liveBytes();
    }

    /**
     * Tensors and matrices that were never closed and were freed by the garbage collector instead. The first one is
     * reported once through System.Logger "dev.sparsekernels" (level WARNING); this count has them all.
     */
    public static long collectedUnclosed() {
        return Tracker.COLLECTED_UNCLOSED.get();
    }
}
