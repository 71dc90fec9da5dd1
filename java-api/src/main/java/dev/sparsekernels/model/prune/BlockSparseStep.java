package dev.sparsekernels.model.prune;

import dev.sparsekernels.BlockSparseMatrix;
import dev.sparsekernels.model.BertEncoder;
import dev.sparsekernels.model.BertLayer;
import dev.sparsekernels.model.BlockSparseLinear;
import dev.sparsekernels.model.DenseLinear;
import dev.sparsekernels.model.LinearSlot;
import java.util.EnumSet;
import java.util.Locale;
import java.util.Set;

/**
 * Block-sparse (BSR) pruning of chosen linears in every layer: square blocks of the weight, the given share of them
 * with the largest L2 norm kept per matrix, the rest dropped, so the BSR kernel skips whole blocks.
 */
public final class BlockSparseStep implements PruningStep {
    private final int block;
    private final double density;
    private final EnumSet<LinearSlot> slots;

    /**
     * @param block   block side: one of {@link BlockSparseMatrix#BLOCK_SIZES}
     * @param density share of blocks kept, in (0, 1]
     */
    public BlockSparseStep(int block, double density, LinearSlot... slots) {
        boolean sizeOk = false;
        for (int b : BlockSparseMatrix.BLOCK_SIZES) {
            sizeOk |= b == block;
        }
        if (!sizeOk) {
            throw new IllegalArgumentException("block: expected 16, 32 or 64 but got " + block);
        }
        if (!(density > 0 && density <= 1)) {
            throw new IllegalArgumentException("density: expected a share of blocks in (0, 1] but got " + density);
        }
        this.block = block;
        this.density = density;
        this.slots = Layers.slots("slots", slots);
    }

    public int block() {
        return block;
    }

    public double density() {
        return density;
    }

    public Set<LinearSlot> slots() {
        return EnumSet.copyOf(slots);
    }

    @Override
    public String describe() {
        return String.format(Locale.ROOT, "BSR %dx%d density %.2f on %s", block, block, density, Layers.names(slots));
    }

    @Override
    public boolean needsStatistics() {
        return false;
    }

    @Override
    public void apply(BertEncoder encoder, CalibrationStatistics stats) {
        for (int i = 0; i < encoder.layers().size(); i++) {
            BertLayer layer = encoder.layers().get(i);
            for (LinearSlot slot : slots) {
                DenseLinear dense = Layers.dense(layer, i, slot, describe());
                layer.replaceLinear(slot, BlockSparseLinear.pruneByBlockNorm(dense, block, block, density)).close();
            }
        }
    }

    @Override
    public String toString() {
        return describe();
    }
}
