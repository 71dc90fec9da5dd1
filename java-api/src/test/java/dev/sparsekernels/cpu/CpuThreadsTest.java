package dev.sparsekernels.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicReference;
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

    @Test
    void callsFromSeveralApplicationThreadsEachRunEveryTaskOnce() throws InterruptedException {
        // one job holds the workers at a time; the others run inline on their own threads, and every call must
        // still see each of its tasks exactly once, call after call (workers tell jobs apart by generation)
        AtomicReference<Throwable> failure = new AtomicReference<>();
        List<Thread> callers = new ArrayList<>();
        for (int c = 0; c < 4; c++) {
            Thread t = new Thread(() -> {
                try {
                    for (int call = 0; call < 300; call++) {
                        int tasks = 1 + call % 37;
                        AtomicIntegerArray hits = new AtomicIntegerArray(tasks);
                        CpuThreads.parallelFor(3, tasks, hits::incrementAndGet);
                        for (int i = 0; i < tasks; i++) {
                            assertEquals(1, hits.get(i), "call " + call + " task " + i);
                        }
                    }
                } catch (Throwable e) {
                    failure.compareAndSet(null, e);
                }
            });
            callers.add(t);
            t.start();
        }
        for (Thread t : callers) {
            t.join();
        }
        if (failure.get() != null) {
            throw new AssertionError(failure.get());
        }
    }

    @Test
    void theWorkersServeTheNextCallAfterAFailure() {
        assertThrows(IllegalStateException.class, () -> CpuThreads.parallelFor(2, 50, i -> {
            if (i % 5 == 3) {
                throw new IllegalStateException("boom " + i);
            }
        }));
        AtomicIntegerArray hits = new AtomicIntegerArray(50);
        CpuThreads.parallelFor(2, 50, hits::incrementAndGet);
        for (int i = 0; i < 50; i++) {
            assertEquals(1, hits.get(i));
        }
    }
}
