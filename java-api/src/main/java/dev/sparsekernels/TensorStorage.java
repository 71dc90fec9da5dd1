package dev.sparsekernels;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Direct buffers of closed tensors, kept for the next tensors of the same byte size. Why: a direct buffer is freed
 * only when the collector finds it unreachable, which with little heap garbage (the CPU backend's calls make almost
 * none) comes thousands of calls later, so every new one was memory never touched before: from glibc's mmap
 * threshold up (128 KiB at first) a fresh mapping, zeroed and then written page fault by page fault, about 14 µs a
 * 4 KiB page on this project's VMs. {@code Kernels.linear} of 1,024 tokens, 64 -> 1,024 spent 13 of its 13.5 ms
 * there (CliffProbe denseapi, session 24, the launcher's JVM flags).
 *
 * <p>Only a tensor that never handed its buffer out ({@link Tensor#buffer()}) gives it back at close: a view someone
 * still holds must never see another tensor's elements. At most {@link Allowance#KEEP_BYTES} are kept in all (the
 * property {@code sparsekernels.tensorPoolMiB}, 0 to turn this off, and never more than an eighth of the JVM's
 * direct-memory limit): a buffer that would go past it empties the pool first (the
 * sizes in use come back at once; sizes no longer used then stop holding memory), and a buffer larger than the whole
 * allowance is left to the collector, as before. Thread-safe.
 */
final class TensorStorage {
    private TensorStorage() {}

    /** Smaller buffers come from malloc's free lists, memory already touched. */
    static final int MIN_BYTES = 128 << 10;
    /** The allowance, worked out at the first give-back (the JVM query costs some 20 ms; plain takes never pay it). */
    static final class Allowance {
        private Allowance() {}

        static final long KEEP_BYTES = Math.min(bytesOfMiB(Long.getLong("sparsekernels.tensorPoolMiB", 256)),
                maxDirectMemory() / 8);
    }

    /** The property's MiB as bytes: 0 or below turns the pool off; sizes past 2^43 MiB mean no limit of its own. */
    static long bytesOfMiB(long mib) {
        return mib <= 0 ? 0 : Math.min(mib, Long.MAX_VALUE >> 20) << 20;
    }

    /** {@link Allowance#KEEP_BYTES}, except where a test sets another (-1: not set). */
    static volatile long keepBytes = -1;

    private static final Map<Integer, ConcurrentLinkedDeque<ByteBuffer>> FREE = new ConcurrentHashMap<>();
    private static final AtomicLong KEPT = new AtomicLong();

    /**
     * A little-endian direct buffer of exactly {@code bytes}, position 0: all zeros when {@code zeroed}, else with
     * arbitrary contents.
     */
    static ByteBuffer take(int bytes, boolean zeroed) {
        if (bytes >= MIN_BYTES) {
            ConcurrentLinkedDeque<ByteBuffer> q = FREE.get(bytes);
            ByteBuffer b = q == null ? null : q.pollFirst();
            if (b != null) {
                KEPT.addAndGet(-bytes);
                b.clear().order(ByteOrder.LITTLE_ENDIAN);
                if (zeroed) {
                    zero(b);
                }
                return b;
            }
        }
        try {
            return ByteBuffer.allocateDirect(bytes).order(ByteOrder.LITTLE_ENDIAN); // zeroed by the JDK
        } catch (OutOfMemoryError e) {
            // the kept buffers count against -XX:MaxDirectMemorySize: let them go, then try once more
            clear();
            return ByteBuffer.allocateDirect(bytes).order(ByteOrder.LITTLE_ENDIAN);
        }
    }

    /**
     * The JVM's direct-memory limit: -XX:MaxDirectMemorySize, or the maximum heap when that is 0 (the default). The
     * pool keeps at most an eighth of it, so that memory it holds is never what another direct allocation lacks.
     */
    private static long maxDirectMemory() {
        try {
            com.sun.management.HotSpotDiagnosticMXBean vm = java.lang.management.ManagementFactory
                    .getPlatformMXBean(com.sun.management.HotSpotDiagnosticMXBean.class);
            long flag = Long.parseLong(vm.getVMOption("MaxDirectMemorySize").getValue());
            if (flag > 0) {
                return flag;
            }
        } catch (RuntimeException | LinkageError e) {
            // not HotSpot, or no management module: the heap bound below
        }
        return Runtime.getRuntime().maxMemory();
    }

    private static final ByteBuffer ZEROS = ByteBuffer.allocateDirect(64 << 10);

    /** Zeros over all of b, by bulk copies from a zero buffer. */
    private static void zero(ByteBuffer b) {
        ByteBuffer d = b.duplicate().clear();
        while (d.hasRemaining()) {
            ByteBuffer z = ZEROS.duplicate();
            z.limit(Math.min(z.capacity(), d.remaining()));
            d.put(z);
        }
    }

    /** Keeps b (a closed tensor's own buffer, never handed out) for a later {@link #take}, room permitting. */
    static void giveBack(ByteBuffer b) {
        int bytes = b.capacity();
        long keep = keepBytes >= 0 ? keepBytes : Allowance.KEEP_BYTES;
        if (bytes < MIN_BYTES || bytes > keep) {
            return;
        }
        if (KEPT.addAndGet(bytes) > keep) {
            clear(); // b stays counted: it goes in next
        }
        FREE.computeIfAbsent(bytes, n -> new ConcurrentLinkedDeque<>()).addFirst(b);
    }

    /** Drops every kept buffer (to the collector). */
    static void clear() {
        for (ConcurrentLinkedDeque<ByteBuffer> q : FREE.values()) {
            for (ByteBuffer b; (b = q.pollFirst()) != null; ) {
                KEPT.addAndGet(-b.capacity());
            }
        }
    }

    /** Bytes kept now, for tests. */
    static long keptBytes() {
        return KEPT.get();
    }
}
