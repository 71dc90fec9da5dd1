package dev.sparsekernels.cpu;

import java.lang.management.ManagementFactory;

/**
 * Float arrays in which element {@link #OFFSET} starts a 64-byte cache line, as far as the JVM lets plain Java know.
 *
 * <p>Why: the 2:4 kernels load 12 vectors of 8 floats per kept weight from packed X^T rows and keep C^T row segments
 * in vectors; when those rows start 16 bytes into a line (where G1 puts the data of a large array), every second
 * 32-byte load and store crosses a cache line, and a split access costs about twice. Measured on Zen 3, one thread,
 * 512 x 4096 x 4096: 260-270 ms with the default placement, 172-206 ms with X^T and C^T rows on line starts.
 *
 * <p>How: Java never tells an array's address, but G1 (the default collector on any machine with 2 or more CPUs)
 * places every humongous array (at least half a heap region) at the start of a region, so its data starts at the
 * array header size, which follows from the object-header flags. {@link #allocate} therefore returns arrays of at
 * least half a region (when regions are at most 8 MiB; bigger heaps only get the placement for arrays that large
 * anyway). With another collector, or flags we do not know, the arrays are still correct, just not known to be
 * aligned: nothing but speed depends on this.
 */
final class CacheAligned {
    private CacheAligned() {}

    /** Floats per 64-byte cache line. */
    static final int LINE_FLOATS = 16;
    /** Index of the first element on a cache-line start in arrays from {@link #allocate}. */
    static final int OFFSET;
    /** Smallest length {@link #allocate} returns, so that G1 places the array at a region start (0: no minimum). */
    static final int MIN_FLOATS;

    static {
        int headerBytes = 16; // mark word + compressed class pointer + length: HotSpot's default on 64-bit
        int minFloats = 0;
        try {
            com.sun.management.HotSpotDiagnosticMXBean vm =
                    ManagementFactory.getPlatformMXBean(com.sun.management.HotSpotDiagnosticMXBean.class);
            if (flag(vm, "UseCompactObjectHeaders")) {
                headerBytes = 12;
            } else if (!flag(vm, "UseCompressedClassPointers")) {
                headerBytes = 20;
            }
            if (flag(vm, "UseG1GC")) {
                long region = Long.parseLong(vm.getVMOption("G1HeapRegionSize").getValue());
                if (region > 0 && region <= (8L << 20)) {
                    minFloats = (int) (region / 2 / Float.BYTES);
                }
            }
        } catch (RuntimeException | LinkageError e) {
            // no management module or an unknown flag: keep the defaults (correct either way, maybe slower)
        }
        OFFSET = ((64 - headerBytes) & 63) / Float.BYTES;
        MIN_FLOATS = minFloats;
    }

    /** Whether packed operands are known to start cache lines here, for `info` and bench records. */
    static String describe() {
        if (MIN_FLOATS > 0) {
            return "on cache-line starts (G1: buffers of " + (MIN_FLOATS >> 8) + " KiB or more start a heap region)";
        }
        return "not known to be on cache-line starts (the collector is not G1, or its regions exceed 8 MiB): the 2:4,"
                + " BSR and attention kernels run slower";
    }

    private static boolean flag(com.sun.management.HotSpotDiagnosticMXBean vm, String name) {
        try {
            return Boolean.parseBoolean(vm.getVMOption(name).getValue());
        } catch (IllegalArgumentException unknownOnThisJdk) {
            return false;
        }
    }

    /**
     * An array with room for {@code n} floats from index {@link #OFFSET} on (zeroed, as every new array).
     *
     * @throws IllegalArgumentException when that does not fit one Java array
     */
    static float[] allocate(long n) {
        long len = Math.max(n + OFFSET + LINE_FLOATS, MIN_FLOATS);
        if (n < 0 || len > Integer.MAX_VALUE - 16) {
            throw new IllegalArgumentException("buffer of " + n + " floats does not fit one Java array");
        }
        return new float[(int) len];
    }

    /**
     * As {@link #allocate} for an array made once per call: below a quarter of {@link #MIN_FLOATS} it skips the
     * minimum (zeroing half a region every call would cost more than split loads on so little data), so only larger
     * arrays are known to be aligned.
     */
    static float[] allocatePerCall(long n) {
        if (n >= 0 && n < MIN_FLOATS / 4) {
            return new float[(int) n + OFFSET];
        }
        return allocate(n);
    }
}
