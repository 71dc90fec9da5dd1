package dev.sparsekernels.djl;

import ai.djl.ndarray.NDList;
import ai.djl.nn.Block;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.core.Linear;
import dev.sparsekernels.Kernels;
import dev.sparsekernels.channels.ChannelStatistics;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
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
            String reason = s.obstacle != null ? s.obstacle
                    : !include.test(s.path) ? "excluded by the path filter" : null;
            if (reason == null) {
                long[] w = LinearParameters.weightShape(s.linear(), s.path);
                reason = pattern.misfit(w[0], w[1]);
            }
            if (reason != null) {
                skipped.add(new SparsifyReport.Skipped(s.path, reason));
            } else {
                sites.add(s);
            }
        }
        Map<BlockTree.Site, ChannelStatistics> stats = criterion.needsCalibration()
                ? Calibration.run(root, sites, calibration) : new HashMap<>();
        Map<BlockTree.Site, SparseLinear> made;
        if (pattern.kind() == SparsePattern.Kind.CHANNELS) {
            made = new ChannelPairs(kernels, pattern.keep(), criterion).compact(sites, stats);
            for (BlockTree.Site s : sites) {
                if (!made.containsKey(s)) {
                    skipped.add(new SparsifyReport.Skipped(s.path, ChannelPairs.noPartnerReason()));
                }
            }
        } else {
            made = pruneEach(sites, stats);
        }

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

    private Map<BlockTree.Site, SparseLinear> pruneEach(List<BlockTree.Site> sites,
            Map<BlockTree.Site, ChannelStatistics> stats) {
        LayerPruner pruner = new LayerPruner(kernels, pattern);
        Map<BlockTree.Site, SparseLinear> made = new IdentityHashMap<>();
        Map<Linear, SparseLinear> byLinear = new IdentityHashMap<>(); // a Linear shared by two parents: one block
        for (BlockTree.Site s : sites) {
            SparseLinear b = byLinear.get(s.linear());
            if (b == null) {
                b = Paths.prefixed(s.path, () -> pruner.prune(s, stats.get(s)));
                byLinear.put(s.linear(), b);
            }
            made.put(s, b);
        }
        return made;
    }
}
