package dev.sparsekernels.djl;

import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Block;
import ai.djl.nn.SequentialBlock;
import ai.djl.training.ParameterStore;
import dev.sparsekernels.channels.ChannelStatistics;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * One dense forward pass over calibration inputs with an {@link ActivationRecorder} in front of every site, so each
 * layer's input statistics come from the dense model's activations (not from already-pruned layers before it). The
 * tree is restored afterwards, also when the pass fails.
 */
final class Calibration {
    private Calibration() {
    }

    static Map<BlockTree.Site, ChannelStatistics> run(Block root, List<BlockTree.Site> sites, NDList inputs) {
        Map<BlockTree.Site, ActivationRecorder> recorders = new IdentityHashMap<>();
        Map<SequentialBlock, Map<Integer, Block>> install = BlockTree.newReplacementMap();
        Map<SequentialBlock, Map<Integer, Block>> restore = BlockTree.newReplacementMap();
        Block top = root;
        for (BlockTree.Site s : sites) {
            int in = Math.toIntExact(LinearParameters.weightShape(s.linear(), s.path)[1]);
            ActivationRecorder r = new ActivationRecorder(s.block, s.path, in);
            recorders.put(s, r);
            if (s.isRoot()) {
                top = r;
            } else {
                install.computeIfAbsent(s.parent, p -> new HashMap<>()).put(s.index, r);
                restore.computeIfAbsent(s.parent, p -> new HashMap<>()).put(s.index, s.block);
            }
        }
        BlockTree.replace(install);
        NDManager owner = inputs.head().getManager();
        try (NDManager scratch = owner.newSubManager()) {
            inputs.tempAttach(scratch); // outputs land on scratch and die with it; the inputs go back to owner
            top.forward(new ParameterStore(scratch, false), inputs, false);
        } finally {
            BlockTree.replace(restore);
        }
        Map<BlockTree.Site, ChannelStatistics> stats = new IdentityHashMap<>();
        recorders.forEach((s, r) -> {
            if (r.statistics().count() == 0) { // an empty batch: say so here, not as statistics with no samples later
                throw new IllegalArgumentException("calibration: no activation rows reached " + s.path
                        + " (inputs of shape " + inputs.head().getShape() + "); give at least one row");
            }
            stats.put(s, r.statistics());
        });
        return stats;
    }
}
