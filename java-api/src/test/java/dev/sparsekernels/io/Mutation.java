package dev.sparsekernels.io;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.RandomDistribution;
import net.jqwik.api.Tuple;

/**
 * One edit of a file's bytes, as a fuzzer makes them: bit flips and random bytes anywhere, cuts, insertions, and the
 * edits that find bugs in parsers of sizes: integers replaced by extreme values, in binary (length fields) and in text
 * (shapes and offsets in headers), and header tokens swapped for others of the format's grammar.
 */
final class Mutation {
    enum Kind { FLIP_BIT, SET_BYTE, TRUNCATE, INSERT, DELETE, BINARY_INT, TEXT_NUMBER, TEXT_TOKEN }

    /** Values that sit on the edges of int, long and unsigned arithmetic. */
    static final long[] EXTREMES = {0, 1, 2, 7, 8, 255, 65535, 65536, Integer.MAX_VALUE, 1L << 31, 0xffffffffL,
        1L << 32, 1L << 40, Long.MAX_VALUE, Long.MIN_VALUE, -1, -2, -(1L << 31)};

    /** The same, as a header would spell them, plus what JSON and Python literals allow beyond a long. */
    static final String[] TEXT_NUMBERS = {"0", "1", "-1", "-0", "2147483647", "2147483648", "4294967296",
        "1099511627776", "9223372036854775807", "9223372036854775808", "18446744073709551616",
        "99999999999999999999999999", "1e9", "1.5", "1e400", "NaN", "0x10", "+1", "007"};

    final Kind kind;
    final int position;
    final int length;
    final long value;
    final int token;

    Mutation(Kind kind, int position, int length, long value, int token) {
        this.kind = kind;
        this.position = position;
        this.length = length;
        this.value = value;
        this.token = token;
    }

    static Arbitrary<Mutation> arbitrary() {
        // Edits of sizes and header text reach deeper into a parser than random bytes, which mostly break the magic.
        Arbitrary<Kind> kinds = Arbitraries.frequency(Tuple.of(1, Kind.FLIP_BIT), Tuple.of(1, Kind.SET_BYTE),
                Tuple.of(1, Kind.TRUNCATE), Tuple.of(1, Kind.INSERT), Tuple.of(1, Kind.DELETE),
                Tuple.of(2, Kind.BINARY_INT), Tuple.of(4, Kind.TEXT_NUMBER), Tuple.of(3, Kind.TEXT_TOKEN));
        // uniform, not jqwik's default bias towards small numbers, which would edit the first bytes (the magic) most
        return Combinators.combine(kinds,
                Arbitraries.integers().between(0, 1 << 16).withDistribution(RandomDistribution.uniform()),
                Arbitraries.integers().between(1, 64),
                Arbitraries.oneOf(Arbitraries.of(toObjects(EXTREMES)), Arbitraries.longs()),
                Arbitraries.integers().between(0, 1 << 10)).as(Mutation::new);
    }

    /** Applies this edit; {@code tokens} are the grammar's tokens for TEXT_TOKEN. */
    byte[] apply(byte[] in, String[] tokens) {
        int n = in.length;
        int at = n == 0 ? 0 : position % n;
        switch (kind) {
            case FLIP_BIT: {
                if (n == 0) {
                    return in;
                }
                byte[] out = in.clone();
                out[at] ^= (byte) (1 << (length & 7));
                return out;
            }
            case SET_BYTE: {
                if (n == 0) {
                    return in;
                }
                byte[] out = in.clone();
                out[at] = (byte) value;
                return out;
            }
            case TRUNCATE:
                return Arrays.copyOf(in, n == 0 ? 0 : position % (n + 1));
            case INSERT: {
                byte[] ins = new byte[length];
                new java.util.Random(value).nextBytes(ins);
                return splice(in, at, 0, ins);
            }
            case DELETE:
                return splice(in, at, Math.min(length, n - at), new byte[0]);
            case BINARY_INT: {
                // little-endian, as the length fields of .npy and .safetensors are; 2, 4 or 8 bytes wide
                int width = 2 << (length % 3);
                if (n < width) {
                    return in;
                }
                int p = position % (n - width + 1);
                byte[] out = in.clone();
                ByteBuffer b = ByteBuffer.wrap(out).order(ByteOrder.LITTLE_ENDIAN);
                if (width == 2) {
                    b.putShort(p, (short) value);
                } else if (width == 4) {
                    b.putInt(p, (int) value);
                } else {
                    b.putLong(p, value);
                }
                return out;
            }
            case TEXT_NUMBER: {
                int[] run = digitRun(in, at);
                if (run == null) {
                    return in;
                }
                byte[] num = TEXT_NUMBERS[token % TEXT_NUMBERS.length].getBytes(StandardCharsets.US_ASCII);
                return splice(in, run[0], run[1] - run[0], num);
            }
            case TEXT_TOKEN: {
                byte[] tok = tokens[token % tokens.length].getBytes(StandardCharsets.ISO_8859_1);
                return splice(in, at, Math.min(length % 4, n - at), tok);
            }
            default:
                throw new AssertionError(kind);
        }
    }

    /** The digit run at or after {@code from} (wrapping to the start), or null if the file has no digit. */
    private static int[] digitRun(byte[] in, int from) {
        for (int k = 0; k < in.length; k++) {
            int i = (from + k) % in.length;
            if (in[i] >= '0' && in[i] <= '9') {
                int s = i;
                while (s > 0 && in[s - 1] >= '0' && in[s - 1] <= '9') {
                    s--;
                }
                int e = i;
                while (e < in.length && in[e] >= '0' && in[e] <= '9') {
                    e++;
                }
                return new int[] {s, e};
            }
        }
        return null;
    }

    private static byte[] splice(byte[] in, int at, int remove, byte[] insert) {
        byte[] out = new byte[in.length - remove + insert.length];
        System.arraycopy(in, 0, out, 0, at);
        System.arraycopy(insert, 0, out, at, insert.length);
        System.arraycopy(in, at + remove, out, at + insert.length, in.length - at - remove);
        return out;
    }

    private static Long[] toObjects(long[] v) {
        Long[] out = new Long[v.length];
        for (int i = 0; i < v.length; i++) {
            out[i] = v[i];
        }
        return out;
    }

    @Override
    public String toString() {
        return kind + "@" + position + "(len " + length + ", value " + value + ", token " + token + ")";
    }
}
