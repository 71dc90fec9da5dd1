package dev.sparsekernels;

import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Test helper for concurrency checks: runs a body on n threads released together by a barrier, fails on the first
 * assertion or exception any of them throws, and fails if they are not all done by the deadline (a deadlock).
 */
public final class AllAtOnce {
    private AllAtOnce() {
    }

    /** What one thread does; returns how many checks it made. */
    @FunctionalInterface
    public interface Body {
        int run(int thread) throws Exception;
    }

    /** Runs body(0..threads-1) at once; returns the sum of the checks they report. */
    public static int run(int threads, Duration deadline, Body body) {
        CyclicBarrier start = new CyclicBarrier(threads);
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            return assertTimeoutPreemptively(deadline, () -> {
                List<Future<Integer>> futures = new ArrayList<>();
                for (int t = 0; t < threads; t++) {
                    final int thread = t;
                    futures.add(pool.submit(() -> {
                        start.await();
                        return body.run(thread);
                    }));
                }
                int total = 0;
                for (Future<Integer> f : futures) {
                    total += f.get();
                }
                return total;
            });
        } finally {
            pool.shutdownNow();
        }
    }
}
