package dev.sparsekernels.djl;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Block;
import ai.djl.nn.LambdaBlock;
import ai.djl.nn.Parameter;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.core.Linear;
import ai.djl.training.ParameterStore;
import dev.sparsekernels.BlockSparseMatrix;
import dev.sparsekernels.Kernels;
import dev.sparsekernels.Sparse24Matrix;
import dev.sparsekernels.Tensor;
import dev.sparsekernels.channels.ChannelPlan;
import dev.sparsekernels.channels.ChannelStatistics;
import dev.sparsekernels.channels.CompactedLayers;
import dev.sparsekernels.prune.BlockPruner;
import dev.sparsekernels.prune.ChannelCriterion;
import dev.sparsekernels.prune.ChannelPruner;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;

/**
 * Walks a DJL block tree and replaces its {@code Linear} blocks by {@link SparseLinear}s of a {@link SparsePattern},
 * chosen by a {@link Criterion}. The tree is changed in place (see {@link BlockTree} for what DJL allows and what is
 * therefore left alone); every Linear not replaced is listed in the {@link SparsifyReport} with the reason.
 *
 * <p>Criteria with calibration (Wanda, FLAP) run the dense model once on the given inputs with a recorder in front of
 * each Linear, so every layer's statistics come from dense activations; the tree is then restored and sparsified.
 *
 * <pre>{@code
 * SparsifyReport r = Sparsifier.of(kernels, SparsePattern.twoFour()).sparsify(model.getBlock());
 * }</pre>
 *
 * Instances are immutable; the configuring methods return new ones.
 */
public final class Sparsifier {
    /** Activations (DJL's LambdaBlock names) that act per element and map 0 to 0, so a removed channel stays 0. */
    private static final Set<String> ZERO_PRESERVING = Set.of("ReLU", "ReLU6", "LeakyReLU", "ELU", "SELU", "GELU",
            "Swish", "Mish", "Tanh", "softSign");

    private final Kernels kernels;
    private final SparsePattern pattern;
    private final Criterion criterion;
    private final NDList calibration;
    private final Predicate<String> include;

    private Sparsifier(Kernels kernels, SparsePattern pattern, Criterion criterion, NDList calibration,
            Predicate<String> include) {
        this.kernels = kernels;
        this.pattern = pattern;
        this.criterion = criterion;
        this.calibration = calibration;
        this.include = include;
    }

    /** Magnitude pruning to pattern; the SparseLinears will run on kernels (which stay the caller's). */
    public static Sparsifier of(Kernels kernels, SparsePattern pattern) {
        if (kernels == null) {
            throw new IllegalArgumentException("kernels: expected a backend (e.g. Kernels.cpu()) but got null");
        }
        if (pattern == null) {
            throw new IllegalArgumentException("pattern: expected 2:4, blocks or channels but got null");
        }
        return new Sparsifier(kernels, pattern, Criterion.MAGNITUDE, null, path -> true);
    }

    /**
     * Another criterion; calibration holds the model's inputs for one forward pass (needed by WANDA and FLAP,
     * ignored by MAGNITUDE). The arrays stay the caller's; they must be open when {@link #sparsify} runs.
     */
    public Sparsifier criterion(Criterion criterion, NDList calibration) {
        if (criterion == null) {
            throw new IllegalArgumentException("criterion: expected MAGNITUDE, WANDA or FLAP but got null");
        }
        if (criterion.needsCalibration() && (calibration == null || calibration.isEmpty())) {
            throw new IllegalArgumentException("calibration: criterion " + criterion
                    + " needs the model's inputs for a calibration pass but got "
                    + (calibration == null ? "null" : "no arrays"));
        }
        if (criterion == Criterion.FLAP && pattern.kind() != SparsePattern.Kind.CHANNELS) {
            throw new IllegalArgumentException("criterion: FLAP ranks channels, so it needs the channels pattern but"
                    + " the pattern is " + pattern);
        }
        return new Sparsifier(kernels, pattern, criterion, criterion.needsCalibration() ? calibration : null, include);
    }

    /** Replaces only the Linears whose path (DJL child names joined by '/') matches; the others are reported. */
    public Sparsifier only(Predicate<String> pathFilter) {
        if (pathFilter == null) {
            throw new IllegalArgumentException("pathFilter: expected a predicate on block paths but got null");
        }
        return new Sparsifier(kernels, pattern, criterion, calibration, pathFilter);
    }

    /**
     * Replaces the Linears of the tree under root, in place. Returns the report; its root is root itself unless
     * root was a Linear. Every Linear to replace must have initialized parameters.
     *
     * @throws IllegalStateException naming the first Linear whose parameters are not initialized
     */
    public SparsifyReport sparsify(Block root) {
        if (root == null) {
            throw new IllegalArgumentException("root: expected a DJL block but got null");
        }
        List<SparsifyReport.Skipped> skipped = new ArrayList<>();
        List<BlockTree.Site> sites = new ArrayList<>();
        for (BlockTree.Site s : BlockTree.linears(root)) {
            String reason = s.obstacle != null ? s.obstacle : !include.test(s.path) ? "excluded by the path filter" : null;
            if (reason == null) {
                Shape2 w = weightShape(s);
                reason = pattern.misfit(w.out, w.in);
            }
            if (reason != null) {
                skipped.add(new SparsifyReport.Skipped(s.path, reason));
            } else {
                sites.add(s);
            }
        }
        Map<BlockTree.Site, ChannelStatistics> stats = criterion.needsCalibration() ? calibrate(root, sites)
                : new HashMap<>();
        Map<BlockTree.Site, SparseLinear> made = pattern.kind() == SparsePattern.Kind.CHANNELS
                ? compactPairs(sites, stats, skipped) : pruneEach(sites, stats);

        List<SparsifyReport.Replaced> replaced = new ArrayList<>();
        Map<SequentialBlock, Map<Integer, Block>> swaps = BlockTree.newReplacementMap();
        Block newRoot = root;
        for (BlockTree.Site s : sites) {
            SparseLinear b = made.get(s);
            if (b == null) {
                continue;
            }
            replaced.add(new SparsifyReport.Replaced(s.path, b));
            if (s.isRoot()) {
                newRoot = b;
            } else {
                swaps.computeIfAbsent(s.parent, p -> new HashMap<>()).put(s.index, b);
            }
        }
        BlockTree.replace(swaps);
        return new SparsifyReport(newRoot, replaced, skipped);
    }

    // ------------------------------------------------------------------------------------------ one layer each

    private Map<BlockTree.Site, SparseLinear> pruneEach(List<BlockTree.Site> sites,
            Map<BlockTree.Site, ChannelStatistics> stats) {
        Map<BlockTree.Site, SparseLinear> made = new IdentityHashMap<>();
        Map<Linear, SparseLinear> byLinear = new IdentityHashMap<>(); // a Linear shared by two parents: one block
        for (BlockTree.Site s : sites) {
            SparseLinear b = byLinear.get(s.linear());
            if (b == null) {
                b = withPath(s.path, () -> prune(s, stats.get(s)));
                byLinear.put(s.linear(), b);
            }
            made.put(s, b);
        }
        return made;
    }

    private SparseLinear prune(BlockTree.Site s, ChannelStatistics st) {
        try (TensorBridge.Borrowed w = TensorBridge.borrow(array(s, "weight"))) {
            Tensor bias = copyBias(s);
            SparseLinear b;
            if (pattern.kind() == SparsePattern.Kind.TWO_FOUR) {
                Sparse24Matrix m = st == null ? Sparse24Matrix.prune(w.tensor())
                        : Sparse24Matrix.prune(w.tensor(), toFloats(st.rms()));
                b = SparseLinear.of(kernels, m, bias);
            } else {
                BlockSparseMatrix m = st == null
                        ? BlockSparseMatrix.prune(w.tensor(), pattern.blockRows(), pattern.blockCols(),
                                pattern.density(), pattern.balance())
                        : wandaBlocks(w.tensor(), st.rms());
                b = SparseLinear.of(kernels, m, bias);
            }
            b.adoptInputShapes(s.linear().isInitialized() ? s.linear().getInputShapes() : null);
            return b;
        }
    }

    /** Blocks ranked by the L2 norm of W · diag(rms of the inputs); the kept blocks hold the original weights. */
    private BlockSparseMatrix wandaBlocks(Tensor w, double[] rms) {
        int out = (int) w.dim(0);
        int in = (int) w.dim(1);
        int br = pattern.blockRows();
        int bc = pattern.blockCols();
        float[] dense = w.toFloatArray();
        float[] scaled = new float[dense.length];
        for (int r = 0; r < out; r++) {
            for (int c = 0; c < in; c++) {
                scaled[r * in + c] = (float) (dense[r * in + c] * rms[c]);
            }
        }
        boolean[] keep = BlockPruner.select(BlockPruner.blockNorms(scaled, out, in, br, bc), out / br, in / bc,
                pattern.density(), pattern.balance());
        int nbc = in / bc;
        for (int r = 0; r < out; r++) {
            for (int c = 0; c < in; c++) {
                if (!keep[(r / br) * nbc + c / bc]) {
                    dense[r * in + c] = 0f;
                }
            }
        }
        try (Tensor masked = Tensor.of(w.dtype(), dense, out, in)) {
            return BlockSparseMatrix.fromDense(masked, br, bc);
        }
    }

    // ------------------------------------------------------------------------------------------ channel pairs

    /**
     * Pairs producer and consumer Linears that sit at i and i + 2 of one SequentialBlock with a 0-preserving
     * activation at i + 1, first come first paired, and compacts each pair; unpaired Linears are reported.
     */
    private Map<BlockTree.Site, SparseLinear> compactPairs(List<BlockTree.Site> sites,
            Map<BlockTree.Site, ChannelStatistics> stats, List<SparsifyReport.Skipped> skipped) {
        Map<BlockTree.Site, SparseLinear> made = new IdentityHashMap<>();
        for (BlockTree.Site p : sites) {
            if (made.containsKey(p) || p.parent == null) {
                continue;
            }
            BlockTree.Site c = consumerOf(p, sites, made);
            if (c == null) {
                continue;
            }
            SparseLinear[] pair = withPath(p.path + " + " + c.path, () -> compact(p, c, stats.get(c)));
            made.put(p, pair[0]);
            made.put(c, pair[1]);
        }
        for (BlockTree.Site s : sites) {
            if (!made.containsKey(s)) {
                skipped.add(new SparsifyReport.Skipped(s.path, "channel removal needs Linear → activation mapping 0"
                        + " to 0 (one of " + ZERO_PRESERVING + ") → Linear in one SequentialBlock; no partner here"));
            }
        }
        return made;
    }

    private static BlockTree.Site consumerOf(BlockTree.Site p, List<BlockTree.Site> sites,
            Map<BlockTree.Site, SparseLinear> made) {
        List<Block> siblings = p.parent.getChildren().values();
        if (p.index + 2 >= siblings.size()) {
            return null;
        }
        Block between = siblings.get(p.index + 1);
        if (!(between instanceof LambdaBlock) || !ZERO_PRESERVING.contains(((LambdaBlock) between).getName())) {
            return null;
        }
        for (BlockTree.Site c : sites) {
            if (c.parent == p.parent && c.index == p.index + 2 && c.block != p.block && !made.containsKey(c)) {
                return c;
            }
        }
        return null;
    }

    private SparseLinear[] compact(BlockTree.Site p, BlockTree.Site c, ChannelStatistics st) {
        ChannelCriterion cc = criterion == Criterion.WANDA ? ChannelCriterion.WANDA
                : criterion == Criterion.FLAP ? ChannelCriterion.FLAP : ChannelCriterion.L2;
        try (TensorBridge.Borrowed w1 = TensorBridge.borrow(array(p, "weight"));
             TensorBridge.Borrowed w2 = TensorBridge.borrow(array(c, "weight"));
             Tensor b1 = copyBias(p);
             Tensor b2 = copyBias(c)) {
            ChannelPlan plan = ChannelPruner.plan(cc, w1.tensor(), w2.tensor(), st, pattern.keep(), 1, 1);
            CompactedLayers layers = plan.apply(w1.tensor(), b1, w2.tensor(), b2,
                    criterion == Criterion.FLAP ? st.mean() : null);
            SparseLinear producer = SparseLinear.dense(kernels, layers.w1(), layers.b1());
            SparseLinear consumer = SparseLinear.dense(kernels, layers.w2(), layers.b2());
            producer.adoptInputShapes(p.linear().isInitialized() ? p.linear().getInputShapes() : null);
            consumer.adoptInputShapes(c.linear().isInitialized() ? c.linear().getInputShapes() : null);
            return new SparseLinear[] {producer, consumer};
        }
    }

    // ------------------------------------------------------------------------------------------ calibration

    /** One dense forward pass with a recorder in front of every site; the tree is restored afterwards. */
    private Map<BlockTree.Site, ChannelStatistics> calibrate(Block root, List<BlockTree.Site> sites) {
        Map<BlockTree.Site, ActivationRecorder> recorders = new IdentityHashMap<>();
        Map<SequentialBlock, Map<Integer, Block>> install = BlockTree.newReplacementMap();
        Map<SequentialBlock, Map<Integer, Block>> restore = BlockTree.newReplacementMap();
        Block top = root;
        for (BlockTree.Site s : sites) {
            ActivationRecorder r = new ActivationRecorder(s.block, s.path, Math.toIntExact(weightShape(s).in));
            recorders.put(s, r);
            if (s.isRoot()) {
                top = r;
            } else {
                install.computeIfAbsent(s.parent, p -> new HashMap<>()).put(s.index, r);
                restore.computeIfAbsent(s.parent, p -> new HashMap<>()).put(s.index, s.block);
            }
        }
        BlockTree.replace(install);
        NDManager owner = calibration.head().getManager();
        try (NDManager scratch = owner.newSubManager()) {
            calibration.tempAttach(scratch); // outputs land on scratch and die with it; inputs go back to owner
            top.forward(new ParameterStore(scratch, false), calibration, false);
        } finally {
            BlockTree.replace(restore);
        }
        Map<BlockTree.Site, ChannelStatistics> stats = new IdentityHashMap<>();
        recorders.forEach((s, r) -> stats.put(s, r.statistics()));
        return stats;
    }

    // ------------------------------------------------------------------------------------------ helpers

    private static final class Shape2 {
        final long out;
        final long in;

        Shape2(long out, long in) {
            this.out = out;
            this.in = in;
        }
    }

    /** W's [out, in]; a Linear with uninitialized parameters is a usage error, not something to skip. */
    private static Shape2 weightShape(BlockTree.Site s) {
        NDArray w = array(s, "weight");
        long[] d = w.getShape().getShape();
        if (d.length != 2) {
            throw new IllegalStateException(s.path + ": expected a weight [out, in] but got shape " + w.getShape());
        }
        return new Shape2(d[0], d[1]);
    }

    private static NDArray array(BlockTree.Site s, String name) {
        Parameter p = s.linear().getDirectParameters().get(name);
        if (p == null || !p.isInitialized()) {
            throw new IllegalStateException((s.path.isEmpty() ? "root Linear" : s.path) + ": parameter '" + name
                    + "' is not initialized; initialize or load the model before sparsifying");
        }
        return p.getArray();
    }

    /** A copy of the Linear's bias (the SparseLinear owns its own), or null when it has none. */
    private static Tensor copyBias(BlockTree.Site s) {
        if (s.linear().getDirectParameters().get("bias") == null) {
            return null;
        }
        try (TensorBridge.Borrowed b = TensorBridge.borrow(array(s, "bias"))) {
            return b.tensor().to(b.tensor().dtype());
        }
    }

    private static float[] toFloats(double[] v) {
        float[] f = new float[v.length];
        for (int i = 0; i < v.length; i++) {
            f[i] = (float) v[i];
        }
        return f;
    }

    /** Runs one layer's work, prefixing the message of a bad-input exception with the layer's path. */
    private static <T> T withPath(String path, java.util.function.Supplier<T> work) {
        try {
            return work.get();
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException((path.isEmpty() ? "root Linear" : path) + ": " + e.getMessage(), e);
        }
    }
}
