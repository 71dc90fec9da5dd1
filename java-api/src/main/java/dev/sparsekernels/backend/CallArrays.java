package dev.sparsekernels.backend;

import dev.sparsekernels.Tensor;
import java.lang.ref.SoftReference;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The heap arrays one CPU backend call works in (its input tensors copied out as floats, the kernel's output before it
 * is copied into the result tensor), kept on the calling thread for its later calls. Take them inside one call,
 * {@link #close()} at its end: every array taken then goes back, holding anything.
 *
 * <p>Why: the kernels read and write float arrays, and a new array per call of a megabyte or more is a G1 humongous
 * object. Under the launcher's fixed 6 GiB heap G1 keeps placing those in regions never touched before until the
 * whole heap has been used once, and first touches cost about 14 µs per 4 KiB page on this project's VMs: a linear
 * layer of 1,024 tokens, 64 -> 1,024 through {@code Kernels.linear} took 24.8 ms for 0.76 ms of GEMM (CliffProbe
 * denseapi, session 24; docs/reliability.md, "Fresh memory").
 *
 * <p>Kept per thread, softly (the collector may take them back), every length taken recently, up to
 * {@link #KEEP_BYTES} (least recently taken lengths go first), so that a model's layers of different widths taking
 * turns on one thread all find theirs. They stay only softly reachable during a call too: only the arrays the call
 * took are held, so a call that needs arrays of new lengths never runs out of heap for arrays it does not use (it
 * did, when a call held the whole kept set). Arrays under {@link #MIN_FLOATS} are not kept: the young generation
 * serves those from memory already touched.
 */
final class CallArrays implements AutoCloseable {
    /** Bytes of kept arrays per thread. */
    static final long KEEP_BYTES = 256L << 20;
    /** Smallest array kept (64 KiB). */
    static final int MIN_FLOATS = 16 << 10;

    private static final ThreadLocal<SoftReference<Map<Integer, ArrayDeque<float[]>>>> KEPT = new ThreadLocal<>();

    /** Free arrays by length, least recently taken length first; null when the thread kept none. */
    private final SoftReference<Map<Integer, ArrayDeque<float[]>>> free;
    private final List<float[]> taken = new ArrayList<>(4);

    private CallArrays(SoftReference<Map<Integer, ArrayDeque<float[]>>> free) {
        this.free = free;
    }

    /** Starts a call on this thread. A call opened inside another gets arrays of its own. */
    static CallArrays open() {
        SoftReference<Map<Integer, ArrayDeque<float[]>>> ref = KEPT.get();
        KEPT.remove();
        return new CallArrays(ref);
    }

    /** An array of exactly n floats with arbitrary contents: the caller writes every element before reading it. */
    float[] take(int n) {
        float[] a = null;
        Map<Integer, ArrayDeque<float[]>> kept = free == null ? null : free.get();
        if (n >= MIN_FLOATS && kept != null) {
            ArrayDeque<float[]> q = kept.get(n); // also marks n as recently taken
            a = q == null ? null : q.poll();
        }
        kept = null; // not held while a new array is made: the collector may need the kept ones' room
        if (a == null) {
            a = new float[n];
        }
        taken.add(a);
        return a;
    }

    /** t's elements as floats (converted from F16/BF16) in an array taken here. */
    float[] copyOf(Tensor t) {
        float[] a = take(Math.toIntExact(t.elementCount()));
        t.copyTo(a);
        return a;
    }

    /** Whether this thread keeps a free array of exactly n floats (for tests). */
    static boolean keeps(int n) {
        SoftReference<Map<Integer, ArrayDeque<float[]>>> ref = KEPT.get();
        Map<Integer, ArrayDeque<float[]>> kept = ref == null ? null : ref.get();
        ArrayDeque<float[]> q = kept == null ? null : kept.get(n);
        return q != null && !q.isEmpty();
    }

    /** Gives every array taken back and keeps them for the thread's next call. */
    @Override
    public void close() {
        Map<Integer, ArrayDeque<float[]>> kept = free == null ? null : free.get();
        Map<Integer, ArrayDeque<float[]>> map = kept != null ? kept : new LinkedHashMap<>(16, 0.75f, true);
        for (float[] a : taken) {
            if (a.length >= MIN_FLOATS) {
                map.computeIfAbsent(a.length, n -> new ArrayDeque<>(2)).push(a);
            }
        }
        taken.clear();
        long bytes = 0;
        for (ArrayDeque<float[]> q : map.values()) {
            for (float[] a : q) {
                bytes += 4L * a.length;
            }
        }
        for (Iterator<ArrayDeque<float[]>> it = map.values().iterator(); bytes > KEEP_BYTES && it.hasNext(); ) {
            ArrayDeque<float[]> q = it.next();
            for (float[] a : q) {
                bytes -= 4L * a.length;
            }
            it.remove();
        }
        KEPT.set(kept == map ? free : new SoftReference<>(map));
    }
}
