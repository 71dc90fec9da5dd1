package dev.sparsekernels.cpu;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.IntConsumer;

/**
 * One shared pool of daemon worker threads for all CPU kernels, created lazily and grown to the largest
 * {@code threads} requested so far (minus one: the calling thread always works too). No thread is created per call.
 *
 * <p>Work is a range of task indices pulled from a shared counter, so the caller alone can finish everything if the
 * workers are busy; workers that have not started by then are skipped. That makes nested use (a kernel called from
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
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Runnable loop = () -> {
            try {
                for (int i; (i = next.getAndIncrement()) < tasks; ) {
                    body.accept(i);
                }
            } catch (Throwable t) {
                failure.compareAndSet(null, t);
                next.set(tasks); // stop handing out work
            }
        };
        // Each worker slot is claimed once: by the worker when it starts, or by the caller once it has run out of
        // work (then the worker, if it ever runs, returns at once). The caller waits only for workers that started.
        AtomicIntegerArray claimed = new AtomicIntegerArray(workers);
        CountDownLatch done = new CountDownLatch(workers);
        ThreadPoolExecutor p = pool(workers);
        for (int w = 0; w < workers; w++) {
            final int slot = w;
            p.execute(() -> {
                if (!claimed.compareAndSet(slot, 0, 1)) {
                    return;
                }
                try {
                    loop.run();
                } finally {
                    done.countDown();
                }
            });
        }
        loop.run();
        for (int w = 0; w < workers; w++) {
            if (claimed.compareAndSet(w, 0, 2)) {
                done.countDown();
            }
        }
        boolean interrupted = false;
        while (true) {
            try {
                done.await();
                break;
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
        Throwable f = failure.get();
        if (f instanceof RuntimeException) {
            throw (RuntimeException) f;
        }
        if (f instanceof Error) {
            throw (Error) f;
        }
        if (f != null) {
            throw new RuntimeException(f);
        }
    }
}
