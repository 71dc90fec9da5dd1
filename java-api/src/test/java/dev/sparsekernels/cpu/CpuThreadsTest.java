package dev.sparsekernels.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.concurrent.atomic.AtomicIntegerArray;
import org.junit.jupiter.api.Test;

class CpuThreadsTest {
    @Test
    void everyTaskRunsOnce() {
        for (int threads = 1; threads <= 4; threads++) {
            AtomicIntegerArray hits = new AtomicIntegerArray(100);
            CpuThreads.parallelFor(threads, 100, hits::incrementAndGet);
            for (int i = 0; i < 100; i++) {
                assertEquals(1, hits.get(i));
            }
        }
    }

    @Test
    void nestedCallsDoNotDeadlock() {
        AtomicIntegerArray hits = new AtomicIntegerArray(64);
        CpuThreads.parallelFor(4, 8, i -> CpuThreads.parallelFor(4, 8, j -> hits.incrementAndGet(i * 8 + j)));
        for (int i = 0; i < 64; i++) {
            assertEquals(1, hits.get(i));
        }
    }

    @Test
    void failuresPropagate() {
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> CpuThreads.parallelFor(2, 10, i -> {
            if (i == 7) {
                throw new IllegalStateException("boom");
            }
        }));
        assertEquals("boom", e.getMessage());
    }
}
