package dev.sparsekernels.model;

import java.lang.ref.SoftReference;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;

/**
 * Activation arrays recycled across the layers of one forward pass on the calling thread. Every layer makes arrays
 * of the same few sizes ([tokens, hidden], [tokens, 3·hidden], [tokens, ffn]); allocating them anew meant the JVM
 * zeroed tens of megabytes per layer (about 5% of MiniLM's time, each array a G1 humongous object) only for the
 * kernels to overwrite every element. Within a scope ({@link #open()}, by {@link BertEncoder}), {@link #take} returns
 * an array given back earlier, holding anything; outside one it is {@code new float[n]} and {@link #giveBack} does
 * nothing. Only arrays whose every element the taker overwrites may be taken; only arrays nobody reads any more may
 * be given back.
 *
 * <p>When a scope closes, the arrays given back in it stay with the thread for its next scopes, softly (the collector
 * may take them back), for every size one of the last {@link #KEEP_SCOPES} scopes took, up to {@link #KEEP_BYTES}
 * per thread (the sizes least recently taken go first). Why several scopes and not only the last: fresh arrays cost
 * page faults on this project's VMs (about 14 µs per 4 KiB page), and models of different widths taking turns on
 * one thread (the demo times seven of them in turn) had each pass drop the other models' sizes and fault in its own
 * again, up to 5,000 faults and 70 ms of a 32 x 128 batch. Sizes no recent scope took are dropped, so batches of
 * ever-new lengths do not pile up arrays.
 */
final class ScratchArrays implements AutoCloseable {
    /** Scopes a size may go untaken and still be kept: more than the models a caller is likely to take turns with. */
    static final int KEEP_SCOPES = 16;
    /** Bytes of kept arrays per thread, beyond which the least recently taken sizes are dropped. */
    static final long KEEP_BYTES = 512L << 20;

    private static final ThreadLocal<ScratchArrays> CURRENT = new ThreadLocal<>();
    /** The arrays the thread's last scope left, for its next one. */
    private static final ThreadLocal<SoftReference<Pool>> KEPT = new ThreadLocal<>();

    /** A thread's arrays by size, with the scope count at which each size was last taken. */
    static final class Pool {
        final Map<Integer, ArrayDeque<float[]>> free = new HashMap<>();
        final Map<Integer, Long> lastTaken = new HashMap<>();
        long scopes;
    }

    private final Pool pool;
    private final boolean owner;

    private ScratchArrays(boolean owner, Pool pool) {
        this.owner = owner;
        this.pool = pool;
    }

    /** Opens a scope on this thread (or joins the one already open); close it when the pass ends. */
    static ScratchArrays open() {
        ScratchArrays s = CURRENT.get();
        if (s != null) {
            return new ScratchArrays(false, null); // nested: the outer scope keeps the arrays
        }
        SoftReference<Pool> ref = KEPT.get();
        Pool kept = ref == null ? null : ref.get();
        KEPT.remove();
        Pool pool = kept == null ? new Pool() : kept;
        pool.scopes++;
        s = new ScratchArrays(true, pool);
        CURRENT.set(s);
        return s;
    }

    /** An array of n floats with arbitrary contents inside a scope, zeros outside one. */
    static float[] take(int n) {
        ScratchArrays s = CURRENT.get();
        if (s != null) {
            s.pool.lastTaken.put(n, s.pool.scopes);
            ArrayDeque<float[]> q = s.pool.free.get(n);
            if (q != null && !q.isEmpty()) {
                return q.pop();
            }
        }
        return new float[n];
    }

    /** Offers an array nobody reads any more for a later {@link #take} of its size on this thread. */
    static void giveBack(float[] a) {
        ScratchArrays s = CURRENT.get();
        if (s != null && a != null) {
            ArrayDeque<float[]> q = s.pool.free.computeIfAbsent(a.length, k -> new ArrayDeque<>());
            for (float[] held : q) {
                if (held == a) {
                    return; // given back twice: keep one entry, or two takers would share it
                }
            }
            q.push(a);
        }
    }

    @Override
    public void close() {
        if (owner && CURRENT.get() == this) {
            CURRENT.remove();
            trim(pool, KEEP_SCOPES, KEEP_BYTES);
            KEPT.set(new SoftReference<>(pool));
        }
    }

    /** Drops sizes no recent scope took (or none ever took), then the least recently taken beyond the byte budget. */
    static void trim(Pool pool, int keepScopes, long keepBytes) {
        pool.free.keySet().removeIf(n -> {
            Long t = pool.lastTaken.get(n);
            return t == null || pool.scopes - t >= keepScopes;
        });
        pool.lastTaken.keySet().retainAll(pool.free.keySet());
        long bytes = 0;
        for (Map.Entry<Integer, ArrayDeque<float[]>> e : pool.free.entrySet()) {
            bytes += 4L * e.getKey() * e.getValue().size();
        }
        while (bytes > keepBytes) {
            Integer oldest = null;
            for (Integer n : pool.free.keySet()) {
                if (oldest == null || pool.lastTaken.get(n) < pool.lastTaken.get(oldest)) {
                    oldest = n;
                }
            }
            bytes -= 4L * oldest * pool.free.remove(oldest).size();
            pool.lastTaken.remove(oldest);
        }
    }
}
