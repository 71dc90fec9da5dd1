package dev.sparsekernels.cpu;

/**
 * Reads ahead by hand: one float of every cache line of a row, so that rows a kernel will read in a pattern the
 * hardware prefetchers do not follow come in as a stream first (see the callers for the measurements). The bits are
 * XOR-folded, not added: an XOR is one cycle and nothing waits on it, where a float add chain (4 cycles a link) would
 * pace the loads.
 */
final class CacheTouch {
    private CacheTouch() {}

    private static final int FLOATS_PER_LINE = 16;

    /** Written by callers once per pass, so that the reads are not optimised away. */
    static int sink;

    /** The XOR of one float's bits per cache line of {@code a[o .. o + n)}, n >= 1 (the last float too). */
    static int row(float[] a, int o, int n) {
        int bits = 0;
        for (int i = 0; i < n; i += FLOATS_PER_LINE) {
            bits ^= Float.floatToRawIntBits(a[o + i]);
        }
        return bits ^ Float.floatToRawIntBits(a[o + n - 1]); // a row that does not start a line ends in one more
    }
}
