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
 *
 * <p>Why a thread with nothing left of a job helps with the calls made inside its other tasks: a model splits a batch
 * into one group of sequences per thread (one task each) whose layers then run inline, and on the shared VMs this
 * project is measured on one vCPU often runs 10-20% slower than the other for minutes (docs/performance.md, sessions
 * 6, 17 and 21), so the fast thread used to finish its group and wait. Now, while a job's last tasks are running, the
 * threads that are done with it stay available ({@link #IDLE}); a call made inside a running task then posts its
 * tasks as a shared sub-job ({@link #NESTED}, one at a time) that they join. The sub-job's tasks are the same
 * indices a plain call would run, so results do not depend on who runs them.
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
    /**
     * How long a thread done with a job waits for a sub-job to join beyond {@link #SPIN_NANOS}: the call running when
     * it became free may have been posted before it could be (one sub-job at a time) and last 10-15 ms (a GEMM of a
     * MiniLM group's 2,048 tokens); the next one is shared.
     */
    static final long HELP_NANOS = 20_000_000L;
    /**
     * Threads done with the running job's tasks that wait for its last ones and would join a sub-job (calls post
     * theirs whether or not one waits yet, so that a thread freed in the middle of a call joins the next).
     */
    private static final AtomicInteger IDLE = new AtomicInteger();
    /** A call made while a job runs, shared with the {@link #IDLE} threads; null when there is none. */
    private static final AtomicReference<Job> NESTED = new AtomicReference<>();

    private static final class Job {
        final long gen;
        final IntConsumer body;
        final int tasks;
        final int workers;
        final AtomicInteger next = new AtomicInteger();
        final AtomicInteger done = new AtomicInteger();
        final AtomicReference<Throwable> failure = new AtomicReference<>();
        /** Whether calls made inside this job's tasks have been shared: only then do its idle threads wait long. */
        volatile boolean nests;
        /** Helpers that joined this job as a sub-job; at most {@link #workers} of them work on it. */
        final AtomicInteger joined = new AtomicInteger();
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
                    helpUntilDone(j);
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
        if (workers <= 0) {
            runInline(tasks, body);
            return;
        }
        if (!BUSY.compareAndSet(false, true)) {
            if (!runShared(tasks, body, workers)) {
                runInline(tasks, body);
            }
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
            // What is left are tasks that workers are running now: help with the calls they make, else spin as an
            // idle worker does, then park until the worker that finishes the last one unparks us, so that a long
            // wait does not hold a core that another runnable thread (on a loaded machine, the very worker we wait
            // for) could use.
            helpUntilDone(job);
            awaitDone(job);
        } finally {
            current = null; // no worker starts it any more, and its body is not kept reachable
            BUSY.set(false);
        }
        rethrow(job.failure.get());
    }

    /**
     * A call made while a job runs: when no other call is shared, posts this one as the shared sub-job (so a thread
     * that becomes free of the job even in the middle of it can join), works on it, and waits for the helpers'
     * tasks. Returns false (nothing run) when another call holds the place.
     */
    private static boolean runShared(int tasks, IntConsumer body, int workers) {
        if (NESTED.get() != null) {
            return false;
        }
        Job running = current;
        if (running != null && !running.nests) {
            running.nests = true;
        }
        Job sub = new Job(0, body, tasks, workers);
        if (!NESTED.compareAndSet(null, sub)) {
            return false;
        }
        try {
            sub.work();
            awaitDone(sub);
        } finally {
            NESTED.compareAndSet(sub, null);
        }
        rethrow(sub.failure.get());
        return true;
    }

    /**
     * For a thread done with its share of job: while the job's last tasks run elsewhere, joins the sub-jobs those
     * tasks post. Returns when the job is done, or after {@link #SPIN_NANOS} without a sub-job to join ({@link
     * #HELP_NANOS} more once the job's tasks have shared calls); the caller then parks or goes back to waiting for
     * jobs, as before.
     */
    private static void helpUntilDone(Job job) {
        IDLE.incrementAndGet();
        try {
            long spinUntil = System.nanoTime() + SPIN_NANOS;
            while (job.done.get() < job.tasks) {
                Job sub = NESTED.get();
                if (sub != null && sub.next.get() < sub.tasks) {
                    if (sub.joined.incrementAndGet() <= sub.workers) {
                        sub.work();
                    }
                    spinUntil = System.nanoTime() + SPIN_NANOS;
                    continue;
                }
                long over = System.nanoTime() - spinUntil;
                if (over >= 0 && (!job.nests || SPIN_NANOS == 0 || over >= HELP_NANOS)) { // spinMicros=0: no spin
                    return;
                }
                Thread.onSpinWait();
            }
        } finally {
            IDLE.decrementAndGet();
        }
    }

    /** Spins, then parks until the thread that finishes job's last task unparks it. */
    private static void awaitDone(Job job) {
        long spinUntil = System.nanoTime() + SPIN_NANOS;
        while (job.done.get() < job.tasks && System.nanoTime() - spinUntil < 0) {
            Thread.onSpinWait();
        }
        if (job.done.get() < job.tasks) {
            job.waiter = Thread.currentThread();
            while (job.done.get() < job.tasks) {
                LockSupport.park(job);
            }
        }
    }

    /** Threads now waiting to join a sub-job (for tests). */
    static int idleThreads() {
        return IDLE.get();
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
