package dev.sparsekernels.cli.demo;

import java.lang.management.ManagementFactory;

/**
 * Bytes allocated on the Java heap by the calling thread and the CPU kernels' pool threads (named
 * {@code sparsekernels-cpu-N}), where the JVM counts them (HotSpot's {@code com.sun.management.ThreadMXBean}).
 *
 * <p>Why the demo measures it: a timed pass of our models allocates almost nothing (the embeddings it returns), and
 * the one slow mode seen in demos is the JIT leaving Vector API values boxed, which allocates gigabytes
 * (docs/reliability.md, "Speed that does not fall off a cliff"). A demo whose speeds fell that way now says so.
 */
final class AllocationMeter {
    private static final com.sun.management.ThreadMXBean BEAN = bean();

    private AllocationMeter() {
    }

    private static com.sun.management.ThreadMXBean bean() {
        try {
            java.lang.management.ThreadMXBean b = ManagementFactory.getThreadMXBean();
            if (b instanceof com.sun.management.ThreadMXBean s && s.isThreadAllocatedMemorySupported()) {
                if (!s.isThreadAllocatedMemoryEnabled()) {
                    s.setThreadAllocatedMemoryEnabled(true);
                }
                return s;
            }
        } catch (RuntimeException | LinkageError e) {
            // not HotSpot, or not allowed: the demo then reports no allocation figure
        }
        return null;
    }

    /** Whether {@link #bytes()} means anything on this JVM. */
    static boolean available() {
        return BEAN != null;
    }

    /** Bytes allocated so far by this thread and the kernels' pool threads alive now; -1 when not available. */
    static long bytes() {
        if (BEAN == null) {
            return -1;
        }
        long sum = Math.max(0, BEAN.getCurrentThreadAllocatedBytes());
        // the thread group tree, not Thread.getAllStackTraces: that stops every thread to walk its stack, right
        // before a timed run
        ThreadGroup root = Thread.currentThread().getThreadGroup();
        while (root.getParent() != null) {
            root = root.getParent();
        }
        Thread[] threads = new Thread[root.activeCount() + 16];
        int n = root.enumerate(threads, true);
        for (int i = 0; i < n; i++) {
            Thread t = threads[i];
            if (t != Thread.currentThread() && t.getName().startsWith("sparsekernels-cpu-")) {
                sum += Math.max(0, BEAN.getThreadAllocatedBytes(t.getId()));
            }
        }
        return sum;
    }
}
