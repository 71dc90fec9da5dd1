package dev.sparsekernels.bindings;

import java.nio.ByteBuffer;

/**
 * Argument checks run before anything reaches C. Every failure names the argument, what was expected and what
 * was given, as the project rules ask.
 */
final class Checks {
    private Checks() {
    }

    static void positive(String name, long value) {
        if (value <= 0) {
            throw new IllegalArgumentException(name + ": expected > 0, got " + value);
        }
    }

    static void nonNegative(String name, long value) {
        if (value < 0) {
            throw new IllegalArgumentException(name + ": expected >= 0, got " + value);
        }
    }

    static void multipleOf(String name, long value, int divisor) {
        if (value % divisor != 0) {
            throw new IllegalArgumentException(name + ": expected a multiple of " + divisor + ", got " + value);
        }
    }

    /** Device (or host) addresses the C side dereferences: 0 is NULL. */
    static void address(String name, long address) {
        if (address == 0) {
            throw new IllegalArgumentException(name + ": expected a non-null address, got 0");
        }
    }

    static void dtype(String name, int dtype, int... allowed) {
        for (int a : allowed) {
            if (dtype == a) {
                return;
            }
        }
        StringBuilder expected = new StringBuilder();
        for (int a : allowed) {
            expected.append(expected.length() == 0 ? "" : " or ").append(NativeDType.name(a)).append(" (").append(a).append(')');
        }
        throw new IllegalArgumentException(name + ": expected " + expected + ", got " + NativeDType.name(dtype));
    }

    /** A direct buffer with at least {@code bytes} remaining; writable when the C side writes to it. */
    static void buffer(String name, ByteBuffer buffer, long bytes, boolean written) {
        if (buffer == null) {
            throw new IllegalArgumentException(name + ": expected a direct ByteBuffer, got null");
        }
        if (!buffer.isDirect()) {
            throw new IllegalArgumentException(name + ": expected a direct ByteBuffer, got a heap buffer");
        }
        if (written && buffer.isReadOnly()) {
            throw new IllegalArgumentException(name + ": expected a writable buffer, got a read-only one");
        }
        if (buffer.remaining() < bytes) {
            throw new IllegalArgumentException(name + ": expected at least " + bytes + " bytes remaining, got "
                    + buffer.remaining());
        }
    }

    /** The C side reads uint16_t/uint32_t/float/int64_t through these pointers. */
    static void aligned(String name, long address, int alignment) {
        if (address % alignment != 0) {
            throw new IllegalArgumentException(name + ": expected an address aligned to " + alignment
                    + " bytes, got 0x" + Long.toHexString(address));
        }
    }

    static long product(String what, long a, long b) {
        try {
            return Math.multiplyExact(a, b);
        } catch (ArithmeticException e) {
            throw new IllegalArgumentException(what + ": " + a + " * " + b + " overflows a long", e);
        }
    }
}
