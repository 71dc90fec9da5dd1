package dev.sparsekernels.bench;

/** A dense GEMM peer computing Y = X·Wᵀ + b on inputs it was given once (so copies are not timed). */
public interface GemmPeer extends AutoCloseable {
    /** Name used in bench records, e.g. "openblas". */
    String name();

    /** Runs one Y = X·Wᵀ + b on the prepared inputs. */
    void run();

    /** The last result, for a correctness check beside the timing. */
    float[] result();

    @Override
    void close();
}
