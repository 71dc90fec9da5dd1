package dev.sparsekernels.channels;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntConsumer;

/**
 * Runs independent tasks on up to {@code threads} threads of the common fork-join pool, the caller working too.
 * Tasks are pulled from a shared counter, so the caller alone finishes everything if the pool is busy.
 */
final class Parallel {
    private Parallel() {
    }

    static void forEach(int threads, int tasks, IntConsumer body) {
        int helpers = Math.min(threads, tasks) - 1;
        if (helpers <= 0) {
            for (int i = 0; i < tasks; i++) {
                body.accept(i);
            }
            return;
        }
        AtomicInteger next = new AtomicInteger();
        Runnable loop = () -> {
            for (int i; (i = next.getAndIncrement()) < tasks; ) {
                body.accept(i);
            }
        };
        List<CompletableFuture<Void>> started = new ArrayList<>(helpers);
        for (int h = 0; h < helpers; h++) {
            started.add(CompletableFuture.runAsync(loop, ForkJoinPool.commonPool()));
        }
        RuntimeException failure = null;
        try {
            loop.run();
        } catch (RuntimeException e) {
            next.set(tasks);
            failure = e;
        }
        for (CompletableFuture<Void> f : started) {
            try {
                f.join();
            } catch (RuntimeException e) {
                if (failure == null) {
                    failure = e.getCause() instanceof RuntimeException ? (RuntimeException) e.getCause() : e;
                }
            }
        }
        if (failure != null) {
            throw failure;
        }
    }
}
