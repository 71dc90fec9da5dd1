package dev.sparsekernels.model;

import java.lang.ref.SoftReference;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * Activation arrays recycled across the layers of one forward pass on the calling thread. Every layer makes arrays
 * of the same few sizes ([tokens, hidden], [tokens, 3·hidden], [tokens, ffn]); allocating them anew meant the JVM
 * zeroed tens of megabytes per layer (about 5% of MiniLM's time, each array a G1 humongous object) only for the
 * kernels to overwrite every element. Within a scope ({@link #open()}, by {@link BertEncoder}), {@link #take} returns
 * an array given back earlier, holding anything; outside one it is {@code new float[n]} and {@link #giveBack} does
 * nothing. Only arrays whose every element the taker overwrites may be taken; only arrays nobody reads any more may
 * be given back.
 *
 * <p>When a scope closes, the arrays given back in it of the sizes it took are kept for the thread's next scope,
 * softly (the collector may take them back): batches of one shape, as an inference loop sends, then allocate nothing
 * after the first. Fresh arrays for every pass were 4% of the demo's forward pass (zeroing and page clearing, in a
 * profile of its speed phase, session 15). Sizes a scope did not take are dropped, so batches of ever-new lengths do
 * not pile up arrays.
 */
final class ScratchArrays implements AutoCloseable {
    private static final ThreadLocal<ScratchArrays> CURRENT = new ThreadLocal<>();
    /** The arrays the thread's last scope left, for its next one. */
    private static final ThreadLocal<SoftReference<Map<Integer, ArrayDeque<float[]>>>> KEPT = new ThreadLocal<>();

    private final Map<Integer, ArrayDeque<float[]>> free;
    private final Set<Integer> taken = new HashSet<>();
    private final boolean owner;

    private ScratchArrays(boolean owner, Map<Integer, ArrayDeque<float[]>> free) {
        this.owner = owner;
        this.free = free;
    }

    /** Opens a scope on this thread (or joins the one already open); close it when the pass ends. */
    static ScratchArrays open() {
        ScratchArrays s = CURRENT.get();
        if (s != null) {
            return new ScratchArrays(false, null); // nested: the outer scope keeps the arrays
        }
        SoftReference<Map<Integer, ArrayDeque<float[]>>> ref = KEPT.get();
        Map<Integer, ArrayDeque<float[]>> kept = ref == null ? null : ref.get();
        KEPT.remove();
        s = new ScratchArrays(true, kept == null ? new HashMap<>() : kept);
        CURRENT.set(s);
        return s;
    }

    /** An array of n floats with arbitrary contents inside a scope, zeros outside one. */
    static float[] take(int n) {
        ScratchArrays s = CURRENT.get();
        if (s != null) {
            s.taken.add(n);
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
            free.keySet().retainAll(taken);
            KEPT.set(new SoftReference<>(free));
        }
    }
}
