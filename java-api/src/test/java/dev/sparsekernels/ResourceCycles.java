package dev.sparsekernels;

import java.lang.management.BufferPoolMXBean;
import java.lang.management.ManagementFactory;

/**
 * Runs in a JVM of its own (started by {@link ResourceLeaksTest}), because its counts must not be disturbed by the
 * garbage of other tests being collected meanwhile. Prints one {@code key=value} line per figure; the test decides.
 *
 * <p>Phase 1: 100,000 create/close cycles each of tensors (every dtype, up to 1 KiB), 2:4 matrices and block-sparse
 * matrices, every seventh closed twice; the counters before and after, and the JVM's direct memory after a GC.
 * Phase 2: 1,000 tensors and 1,000 matrices made and dropped without close; the garbage collector is asked to run
 * until the Cleaner has seen them all (or 20 s pass); the counters after.
 */
public final class ResourceCycles {
    static final int CYCLES = 100_000;
    static final int LEAKED = 1_000;

    private ResourceCycles() {
    }

    public static void main(String[] args) throws Exception {
        print("direct_before", directAfterGc());
        print("tensors_before", Resources.openTensors());
        print("tensor_bytes_before", Resources.openTensorBytes());
        print("matrices_before", Resources.openMatrices());
        long maxOpen = 0;
        DType[] types = DType.values();
        long start = System.nanoTime();
        for (int i = 0; i < CYCLES; i++) {
            Tensor t = Tensor.allocate(types[i % types.length], 16, 1 + i % 16);
            maxOpen = Math.max(maxOpen, Resources.openTensors());
            t.close();
            if (i % 7 == 0) {
                t.close();
            }
        }
        float[] values = {1, 2, 3, 4};
        byte[] nibbles = {(byte) 0x84}; // group 0 keeps positions 0 and 1; group 1 keeps 0 and 2
        for (int i = 0; i < CYCLES; i++) {
            Sparse24Matrix m = Sparse24Matrix.fromCompressed(DType.F32, 1, 8, values, nibbles);
            maxOpen = Math.max(maxOpen, Resources.openMatrices());
            m.close();
            if (i % 7 == 0) {
                m.close();
            }
        }
        int[] rowPointers = {0, 1};
        int[] columns = {0};
        float[] block = new float[16 * 16];
        for (int i = 0; i < CYCLES; i++) {
            BlockSparseMatrix m = BlockSparseMatrix.fromArrays(DType.F16, 16, 32, 16, 16, rowPointers, columns,
                    block);
            maxOpen = Math.max(maxOpen, Resources.openMatrices());
            m.close();
            if (i % 7 == 0) {
                m.close();
            }
        }
        print("cycles_ms", (System.nanoTime() - start) / 1_000_000);
        print("max_open_during_cycles", maxOpen);
        print("tensors_after", Resources.openTensors());
        print("tensor_bytes_after", Resources.openTensorBytes());
        print("matrices_after", Resources.openMatrices());
        print("collected_unclosed_after_cycles", Resources.collectedUnclosed());
        print("direct_after", directAfterGc());

        for (int i = 0; i < LEAKED; i++) {
            Tensor.allocate(DType.F32, 4, 4); // dropped without close: the Cleaner's job
            BlockSparseMatrix.fromArrays(DType.F32, 16, 16, 16, 16, rowPointers, columns, block);
        }
        print("open_tensors_while_leaked", Resources.openTensors());
        long deadline = System.nanoTime() + 20_000_000_000L;
        while (Resources.collectedUnclosed() < 2L * LEAKED && System.nanoTime() < deadline) {
            System.gc();
            Thread.sleep(20);
        }
        print("collected_unclosed", Resources.collectedUnclosed());
        print("tensors_after_gc", Resources.openTensors());
        print("tensor_bytes_after_gc", Resources.openTensorBytes());
        print("matrices_after_gc", Resources.openMatrices());
        System.out.flush();
        System.err.flush();
    }

    /** Direct-buffer bytes in use once the collector has freed what is unreachable (a few rounds, as it is lazy). */
    private static long directAfterGc() throws InterruptedException {
        BufferPoolMXBean direct = ManagementFactory.getPlatformMXBeans(BufferPoolMXBean.class).stream()
                .filter(b -> b.getName().equals("direct")).findFirst().orElseThrow();
        long used = Long.MAX_VALUE;
        for (int i = 0; i < 5; i++) {
            System.gc();
            Thread.sleep(50);
            used = Math.min(used, direct.getMemoryUsed());
        }
        return used;
    }

    private static void print(String key, long value) {
        System.out.println(key + "=" + value);
    }
}
