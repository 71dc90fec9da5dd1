package dev.sparsekernels.djl;

import ai.djl.nn.Block;
import java.util.Collections;
import java.util.List;

/** What a {@link Sparsifier} did: the (possibly new) root, each Linear it replaced, and each it left and why. */
public final class SparsifyReport {
    /** A Linear replaced by a SparseLinear; path is DJL's child names joined by '/' ("" for the root). */
    public static final class Replaced {
        private final String path;
        private final SparseLinear block;

        Replaced(String path, SparseLinear block) {
            this.path = path;
            this.block = block;
        }

        public String path() {
            return path;
        }

        public SparseLinear block() {
            return block;
        }

        @Override
        public String toString() {
            return (path.isEmpty() ? "(root)" : path) + " -> " + block;
        }
    }

    /** A Linear left as it was, with the reason. */
    public static final class Skipped {
        private final String path;
        private final String reason;

        Skipped(String path, String reason) {
            this.path = path;
            this.reason = reason;
        }

        public String path() {
            return path;
        }

        public String reason() {
            return reason;
        }

        @Override
        public String toString() {
            return (path.isEmpty() ? "(root)" : path) + " kept dense: " + reason;
        }
    }

    private final Block root;
    private final List<Replaced> replaced;
    private final List<Skipped> skipped;

    SparsifyReport(Block root, List<Replaced> replaced, List<Skipped> skipped) {
        this.root = root;
        this.replaced = Collections.unmodifiableList(replaced);
        this.skipped = Collections.unmodifiableList(skipped);
    }

    /** The root to run: the same block that was passed in, unless that was itself a Linear that got replaced. */
    public Block root() {
        return root;
    }

    public List<Replaced> replaced() {
        return replaced;
    }

    public List<Skipped> skipped() {
        return skipped;
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("replaced ").append(replaced.size()).append(", kept dense ")
                .append(skipped.size());
        for (Replaced r : replaced) {
            sb.append("\n  ").append(r);
        }
        for (Skipped s : skipped) {
            sb.append("\n  ").append(s);
        }
        return sb.toString();
    }
}
