package dev.sparsekernels.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
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
        // one job holds the workers at a time; the others run on their own threads (with any free ones), and every
        // call must still see each of its tasks exactly once, call after call (workers tell jobs apart by generation)
        onThreads(4, () -> {
            for (int call = 0; call < 300; call++) {
                int tasks = 1 + call % 37;
                AtomicIntegerArray hits = new AtomicIntegerArray(tasks);
                CpuThreads.parallelFor(3, tasks, hits::incrementAndGet);
                for (int i = 0; i < tasks; i++) {
                    assertEquals(1, hits.get(i), "call " + call + " task " + i);
                }
            }
        });
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

    @Test
    void aThreadDoneWithItsTaskHelpsWithCallsMadeInsideAnotherOne() {
        // a model's batch groups: one task per thread, the calls inside them run inline; when one task ends early,
        // its thread must take part in the other task's calls (one vCPU of our VMs often runs 10-20% slower). A free
        // thread waits only SPIN_NANOS for a first shared call, which a cold JVM (class loading, the inner lambda's
        // bootstrap) can miss, so this tries a few times and asks that one try shares.
        int inner = 64;
        Set<Thread> innerThreads = ConcurrentHashMap.newKeySet();
        for (int attempt = 0; attempt < 10 && innerThreads.size() < 2; attempt++) {
            innerThreads.clear();
            AtomicIntegerArray hits = new AtomicIntegerArray(inner);
            AtomicReference<Thread> longTask = new AtomicReference<>();
            CpuThreads.parallelFor(2, 2, task -> {
                if (task == 0) {
                    return; // its thread becomes free at once
                }
                longTask.set(Thread.currentThread());
                long deadline = System.nanoTime() + 2_000_000_000L;
                while (CpuThreads.idleThreads() == 0 && System.nanoTime() < deadline) {
                    Thread.onSpinWait();
                }
                CpuThreads.parallelFor(2, inner, i -> {
                    innerThreads.add(Thread.currentThread());
                    hits.incrementAndGet(i);
                    sleepMillis(1);
                });
            });
            for (int i = 0; i < inner; i++) {
                assertEquals(1, hits.get(i), "inner task " + i);
            }
            assertTrue(innerThreads.contains(longTask.get()), "the posting thread works on its own call");
        }
        assertEquals(2, innerThreads.size(), "threads that ran the inner call: " + innerThreads);
    }

    @Test
    void sharedCallsStillRunEveryTaskOnceAndPassFailuresOn() throws InterruptedException {
        // groups of unequal length whose tasks make many small calls, from several application threads at once
        onThreads(3, () -> {
            for (int call = 0; call < 40; call++) {
                int groups = 2 + call % 3;
                AtomicIntegerArray hits = new AtomicIntegerArray(groups * 100);
                CpuThreads.parallelFor(2, groups, g -> {
                    for (int op = 0; op < 5 * (g + 1); op++) {
                        int o = op;
                        CpuThreads.parallelFor(2, 20, i -> {
                            if (o < 5) {
                                hits.incrementAndGet(g * 100 + o * 20 + i);
                            }
                        });
                    }
                });
                for (int i = 0; i < groups * 100; i++) {
                    assertEquals(1, hits.get(i), "call " + call + " slot " + i);
                }
                IllegalStateException e = assertThrows(IllegalStateException.class,
                        () -> CpuThreads.parallelFor(2, 2, g -> {
                            for (int op = 0; op < 3 * (g + 1); op++) {
                                CpuThreads.parallelFor(2, 10, i -> {
                                    if (g == 1 && i == 7) {
                                        throw new IllegalStateException("inner");
                                    }
                                });
                            }
                        }));
                assertEquals("inner", e.getMessage());
            }
        });
    }

    private static void sleepMillis(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Runs body on count new threads at once; the first failure of any is thrown here once all have ended. */
    private static void onThreads(int count, Runnable body) throws InterruptedException {
        AtomicReference<Throwable> failure = new AtomicReference<>();
        List<Thread> threads = new ArrayList<>();
        for (int c = 0; c < count; c++) {
            Thread t = new Thread(() -> {
                try {
                    body.run();
                } catch (Throwable e) {
                    failure.compareAndSet(null, e);
                }
            });
            threads.add(t);
            t.start();
        }
        for (Thread t : threads) {
            t.join();
        }
        if (failure.get() != null) {
            throw new AssertionError(failure.get());
        }
    }
}
