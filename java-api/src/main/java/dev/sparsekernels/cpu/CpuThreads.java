package dev.sparsekernels.cpu;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntConsumer;

/**
 * One shared pool of daemon worker threads for all CPU kernels, created lazily and grown to the largest
 * {@code threads} requested so far (minus one: the calling thread always works too). No thread is created per call.
 *
 * <p>Work is a range of task indices pulled from a shared counter, so the caller alone can finish everything if the
 * workers are busy; workers that have not started by then are cancelled. That makes nested use (a kernel called from
 * inside another parallel region) safe from deadlock.
 */
final class CpuThreads {
    private CpuThreads() {}

    private static final Object LOCK = new Object();
    private static ThreadPoolExecutor pool;

    private static ThreadPoolExecutor pool(int workers) {
        synchronized (LOCK) {
            if (pool == null) {
                AtomicInteger n = new AtomicInteger();
                pool = new ThreadPoolExecutor(workers, workers, 60, TimeUnit.SECONDS, new LinkedBlockingQueue<>(), r -> {
                    Thread t = new Thread(r, "sparsekernels-cpu-" + n.incrementAndGet());
                    t.setDaemon(true);
                    return t;
                });
                pool.allowCoreThreadTimeOut(true);
            } else if (pool.getMaximumPoolSize() < workers) {
                pool.setMaximumPoolSize(workers);
                pool.setCorePoolSize(workers);
            }
            return pool;
        }
    }

    /** Runs {@code body.accept(i)} for every {@code i} in {@code [0, tasks)} on up to {@code threads} threads. */
    static void parallelFor(int threads, int tasks, IntConsumer body) {
        int workers = Math.min(threads, tasks) - 1;
        if (workers <= 0) {
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
        ThreadPoolExecutor p = pool(workers);
        List<Future<?>> futures = new ArrayList<>(workers);
        for (int w = 0; w < workers; w++) {
            futures.add(p.submit(loop));
        }
        Throwable failure = null;
        try {
            loop.run();
        } catch (Throwable t) {
            failure = t;
            next.set(tasks); // stop handing out work
        }
        for (Future<?> f : futures) {
            f.cancel(false); // only succeeds for workers that never started
        }
        for (Future<?> f : futures) {
            if (f.isCancelled()) {
                continue;
            }
            boolean interrupted = false;
            while (true) {
                try {
                    f.get();
                    break;
                } catch (InterruptedException e) {
                    interrupted = true;
                } catch (ExecutionException e) {
                    if (failure == null) {
                        failure = e.getCause();
                    }
                    break;
                } catch (java.util.concurrent.CancellationException e) {
                    break;
                }
            }
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
        if (failure instanceof RuntimeException) {
            throw (RuntimeException) failure;
        }
        if (failure instanceof Error) {
            throw (Error) failure;
        }
        if (failure != null) {
            throw new RuntimeException(failure);
        }
    }
}
