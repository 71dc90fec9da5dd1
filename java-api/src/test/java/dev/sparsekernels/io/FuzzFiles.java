package dev.sparsekernels.io;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/** The scratch folder of a jqwik fuzz class (jqwik has no @TempDir): one file rewritten per try, removed at the end. */
final class FuzzFiles {
    private FuzzFiles() {
    }

    static Path createDir(String prefix) {
        try {
            return Files.createTempDirectory(prefix);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * One scratch file rewritten in place through a channel kept open: opening and truncating a file per try costs
     * more than the read under test. The channel's descriptor stays open the whole time, so the probe's count of open
     * descriptors before and after a read is unaffected by it.
     */
    static final class Scratch implements AutoCloseable {
        final Path path;
        private final FileChannel channel;

        Scratch(Path dir, String name) {
            path = dir.resolve(name);
            try {
                channel = FileChannel.open(path, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        Path write(byte[] bytes) {
            try {
                channel.truncate(0);
                ByteBuffer b = ByteBuffer.wrap(bytes);
                while (b.hasRemaining()) {
                    channel.write(b, b.position());
                }
                return path;
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        @Override
        public void close() throws IOException {
            channel.close();
        }
    }

    static void delete(Path dir) throws IOException {
        if (dir == null) {
            return;
        }
        try (Stream<Path> s = Files.walk(dir)) {
            List<Path> all = s.sorted(Comparator.reverseOrder()).toList();
            for (Path p : all) {
                Files.deleteIfExists(p);
            }
        }
    }

    /** Counts of one fuzz property's tries, printed at the end as the figures docs/reliability.md quotes. */
    static final class Tally {
        private final String what;
        private long files;
        private long read;
        private long refused;
        private long worstAllocated;
        private long worstSize;

        Tally(String what) {
            this.what = what;
        }

        synchronized void add(boolean ok, long allocated, long fileSize) {
            files++;
            if (ok) {
                read++;
            } else {
                refused++;
            }
            if (allocated > worstAllocated) {
                worstAllocated = allocated;
                worstSize = fileSize;
            }
        }

        @Override
        public synchronized String toString() {
            return String.format("%s: %d files, %d read, %d refused with a format error naming the file, 0 other"
                    + " outcomes; largest allocation of one try: %d bytes, for a %d-byte file", what, files, read,
                    refused, worstAllocated, worstSize);
        }
    }

    /** Applies the mutations in turn. */
    static byte[] mutate(byte[] seed, List<Mutation> mutations, String[] tokens) {
        byte[] b = seed;
        for (Mutation m : mutations) {
            b = m.apply(b, tokens);
        }
        return b;
    }

    /**
     * A short label of an error message for jqwik's statistics: quoted text and numbers blanked so messages of one
     * kind share a label, after the tensor name when the message starts with one.
     */
    static String label(String problem) {
        String p = problem.startsWith("tensor '") && problem.contains("': ")
                ? problem.substring(problem.indexOf("': ") + 3) : problem;
        p = p.replaceAll("'[^']*'", "'_'").replaceAll("[0-9]+", "N");
        return p.length() > 48 ? p.substring(0, 48) : p;
    }
}
