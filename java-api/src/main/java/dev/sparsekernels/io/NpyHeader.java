package dev.sparsekernels.io;

import java.util.Arrays;

/**
 * What the header of a {@code .npy} file says: format version, element type, byte order and shape, and where the
 * data starts. Obtained with {@link Npy#readHeader(java.nio.file.Path)} without reading the data.
 */
public final class NpyHeader {
    private final int majorVersion;
    private final int minorVersion;
    private final NpyDType dtype;
    private final boolean bigEndian;
    private final long[] shape;
    private final long dataOffset;

    NpyHeader(int majorVersion, int minorVersion, NpyDType dtype, boolean bigEndian, long[] shape, long dataOffset) {
        this.majorVersion = majorVersion;
        this.minorVersion = minorVersion;
        this.dtype = dtype;
        this.bigEndian = bigEndian;
        this.shape = shape.clone();
        this.dataOffset = dataOffset;
    }

    /** Format major version: 1, 2 or 3. */
    public int majorVersion() {
        return majorVersion;
    }

    /** Format minor version (always 0 for the supported versions). */
    public int minorVersion() {
        return minorVersion;
    }

    /** Element type. */
    public NpyDType dtype() {
        return dtype;
    }

    /** True if the file stores the data big-endian (the reader byte-swaps it). */
    public boolean bigEndian() {
        return bigEndian;
    }

    /** The dimensions (a copy); empty for a scalar. */
    public long[] shape() {
        return shape.clone();
    }

    /** Byte offset of the first data byte from the start of the file. */
    public long dataOffset() {
        return dataOffset;
    }

    /** Product of the dimensions (1 for a scalar); at most {@link NpyArray#MAX_ELEMENTS}. */
    public long elementCount() {
        long n = 1;
        for (long d : shape) {
            n *= d;
        }
        return n;
    }

    /** Number of data bytes the header promises. */
    public long dataBytes() {
        return elementCount() * dtype.byteSize();
    }

    @Override
    public String toString() {
        return "NpyHeader[v" + majorVersion + "." + minorVersion + " " + dtype + (bigEndian ? " big-endian " : " ")
                + NpyArray.shapeString(shape) + " data@" + dataOffset + "]";
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof NpyHeader h && h.majorVersion == majorVersion && h.minorVersion == minorVersion
                && h.dtype == dtype && h.bigEndian == bigEndian && Arrays.equals(h.shape, shape)
                && h.dataOffset == dataOffset;
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(shape) * 31 + dtype.hashCode() + (int) dataOffset + majorVersion;
    }
}
