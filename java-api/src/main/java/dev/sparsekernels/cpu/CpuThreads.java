package dev.sparsekernels.cpu;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import java.util.function.IntConsumer;

/**
 * One shared set of daemon worker threads for all CPU kernels, created lazily and grown to the largest
 * {@code threads} requested so far (minus one: the calling thread always works too). No thread is created per call.
 *
 * <p>Work is a range of task indices pulled from a shared counter, so the caller alone can finish everything if the
 * workers are late; a worker that arrives after the last index was handed out has nothing to do. One job runs at a
 * time: a call made while another is running (from inside a task, or from a second application thread) runs its
 * tasks on its own thread, so nested use cannot deadlock.
 *
 * <p>Why workers spin before they sleep: waking a parked thread took 0.7 to 2 ms on the 2-vCPU VMs this project is
 * measured on (a futex wake-up through the hypervisor), while a model's forward pass makes a parallel call every
 * few hundred microseconds and issue 5's block-sparse attention call lasts 6 ms. Through a thread pool's queue the
 * worker joined most calls late or not at all. An idle worker now polls for the next job for
 * {@code sparsekernels.cpu.spinMicros} (default 1000; 0 parks at once) before it parks, so calls that follow each
 * other closely find it awake, as the OpenMP and ONNX Runtime pools do. A parked worker is woken only when a job
 * needs it.
 */
final class CpuThreads {
    private CpuThreads() {}

    static final long SPIN_NANOS = Math.max(0, Long.getLong("sparsekernels.cpu.spinMicros", 1000)) * 1000;

    /** Held by the caller whose job the workers may take; a call that cannot take it runs inline. */
    private static final AtomicBoolean BUSY = new AtomicBoolean();
    /** The running job, or null; workers tell a new one from one they have done by its generation. */
    private static volatile Job current;
    private static long generation; // written only under BUSY
    private static final List<Worker> WORKERS = new ArrayList<>(); // grown only under BUSY

    private static final class Job {
        final long gen;
        final IntConsumer body;
        final int tasks;
        final int workers;
        final AtomicInteger next = new AtomicInteger();
        final AtomicInteger done = new AtomicInteger();
        final AtomicReference<Throwable> failure = new AtomicReference<>();
        /** The caller once it parks to wait for the last tasks; the worker that finishes the last one unparks it. */
        volatile Thread waiter;

        Job(long gen, IntConsumer body, int tasks, int workers) {
            this.gen = gen;
            this.body = body;
            this.tasks = tasks;
            this.workers = workers;
        }

        /**
         * Runs tasks until none is left. Every index handed out counts as done, run or not, so the caller's wait
         * ends; after a failure the remaining indices are handed out but not run.
         */
        void work() {
            for (int i; (i = next.getAndIncrement()) < tasks; ) {
                try {
                    if (failure.get() == null) {
                        body.accept(i);
                    }
                } catch (Throwable t) {
                    failure.compareAndSet(null, t);
                } finally {
                    if (done.incrementAndGet() == tasks) {
                        Thread w = waiter;
                        if (w != null) {
                            LockSupport.unpark(w);
                        }
                    }
                }
            }
        }
    }

    private static final class Worker extends Thread {
        final int index;
        final AtomicBoolean sleeping = new AtomicBoolean();
        private long seen;

        Worker(int index) {
            super("sparsekernels-cpu-" + (index + 1));
            this.index = index;
            setDaemon(true);
        }

        @Override
        public void run() {
            while (true) {
                Job j = awaitJob();
                if (index < j.workers) {
                    j.work();
                }
            }
        }

        private Job awaitJob() {
            long spinUntil = System.nanoTime() + SPIN_NANOS;
            while (true) {
                Job j = current;
                if (j != null && j.gen != seen) {
                    seen = j.gen;
                    return j;
                }
                if (System.nanoTime() - spinUntil < 0) {
                    Thread.onSpinWait();
                    continue;
                }
                // Publish that we sleep, then look once more: a caller either sees the flag and unparks us, or
                // published its job before the flag and we see it here.
                sleeping.set(true);
                j = current;
                if (j != null && j.gen != seen) {
                    sleeping.set(false);
                    continue;
                }
                LockSupport.park(this);
                sleeping.set(false);
                spinUntil = System.nanoTime() + SPIN_NANOS;
            }
        }
    }

    /** Runs {@code body.accept(i)} for every {@code i} in {@code [0, tasks)} on up to {@code threads} threads. */
    static void parallelFor(int threads, int tasks, IntConsumer body) {
        int workers = Math.min(threads, tasks) - 1;
        if (workers <= 0 || !BUSY.compareAndSet(false, true)) {
            runInline(tasks, body);
            return;
        }
        Job job;
        try {
            while (WORKERS.size() < workers) {
                Worker w = new Worker(WORKERS.size());
                WORKERS.add(w);
                w.start();
            }
            job = new Job(++generation, body, tasks, workers);
            current = job;
            for (int w = 0; w < workers; w++) {
                Worker wk = WORKERS.get(w);
                if (wk.sleeping.compareAndSet(true, false)) {
                    LockSupport.unpark(wk);
                }
            }
            job.work();
            // What is left are tasks that workers are running now: spin as an idle worker does, then park until the
            // worker that finishes the last one unparks us, so that a long wait does not hold a core that another
            // runnable thread (on a loaded machine, the very worker we wait for) could use.
            long spinUntil = System.nanoTime() + SPIN_NANOS;
            while (job.done.get() < tasks && System.nanoTime() - spinUntil < 0) {
                Thread.onSpinWait();
            }
            if (job.done.get() < tasks) {
                job.waiter = Thread.currentThread();
                while (job.done.get() < tasks) {
                    LockSupport.park(job);
                }
            }
        } finally {
            current = null; // no worker starts it any more, and its body is not kept reachable
            BUSY.set(false);
        }
        rethrow(job.failure.get());
    }

    private static void runInline(int tasks, IntConsumer body) {
        for (int i = 0; i < tasks; i++) {
            body.accept(i);
        }
    }

    private static void rethrow(Throwable f) {
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
