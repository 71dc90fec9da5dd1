package dev.sparsekernels.model;

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
 */
final class ScratchArrays implements AutoCloseable {
    private static final ThreadLocal<ScratchArrays> CURRENT = new ThreadLocal<>();

    private final Map<Integer, ArrayDeque<float[]>> free = new HashMap<>();
    private final boolean owner;

    private ScratchArrays(boolean owner) {
        this.owner = owner;
    }

    /** Opens a scope on this thread (or joins the one already open); close it when the pass ends. */
    static ScratchArrays open() {
        ScratchArrays s = CURRENT.get();
        if (s != null) {
            return new ScratchArrays(false); // nested: the outer scope keeps the arrays
        }
        s = new ScratchArrays(true);
        CURRENT.set(s);
        return s;
    }

    /** An array of n floats with arbitrary contents inside a scope, zeros outside one. */
    static float[] take(int n) {
        ScratchArrays s = CURRENT.get();
        if (s != null) {
            ArrayDeque<float[]> q = s.free.get(n);
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
            ArrayDeque<float[]> q = s.free.computeIfAbsent(a.length, k -> new ArrayDeque<>());
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
            free.clear();
        }
    }
}
