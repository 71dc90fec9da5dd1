package dev.sparsekernels.djl;

import dev.sparsekernels.BlockSparseMatrix;
import dev.sparsekernels.prune.BlockPruner;
import dev.sparsekernels.prune.KeepAmount;

/**
 * What a {@link Sparsifier} turns each {@code Linear} into: 2:4 ({@link #twoFour()}), block-sparse
 * ({@link #blocks}) or fewer hidden channels between two coupled layers ({@link #channels}).
 */
public final class SparsePattern {
    /** The three families our kernels run. */
    public enum Kind {
        /** 2 of every 4 weights along in: half the weights, 2:4 kernels. */
        TWO_FOUR,
        /** Whole blockRows x blockCols tiles kept or dropped: BSR kernels. */
        BLOCKS,
        /** Hidden channels removed from a Linear → activation → Linear chain: two smaller dense layers. */
        CHANNELS
    }

    private final Kind kind;
    private final int blockRows;
    private final int blockCols;
    private final double density;
    private final BlockPruner.Balance balance;
    private final KeepAmount keep;

    private SparsePattern(Kind kind, int blockRows, int blockCols, double density, BlockPruner.Balance balance,
            KeepAmount keep) {
        this.kind = kind;
        this.blockRows = blockRows;
        this.blockCols = blockCols;
        this.density = density;
        this.balance = balance;
        this.keep = keep;
    }

    /** 2:4 along the input dimension; needs in % 4 == 0. */
    public static SparsePattern twoFour() {
        return new SparsePattern(Kind.TWO_FOUR, 0, 0, 0.5, null, null);
    }

    /** Keeps round(density · blocks) tiles of the whole matrix (GLOBAL balance). */
    public static SparsePattern blocks(int blockRows, int blockCols, double density) {
        return blocks(blockRows, blockCols, density, BlockPruner.Balance.GLOBAL);
    }

    /**
     * Block-sparse with tiles of blockRows x blockCols (16, 32 or 64 each; out and in must be multiples).
     *
     * @param density fraction of tiles kept, in (0, 1]
     */
    public static SparsePattern blocks(int blockRows, int blockCols, double density, BlockPruner.Balance balance) {
        BlockSparseMatrix.parseBlockShape(blockRows + "x" + blockCols); // validates the sizes the kernels have
        if (!(density > 0 && density <= 1)) {
            throw new IllegalArgumentException("density: expected a fraction of blocks in (0, 1] but got " + density);
        }
        if (balance == null) {
            throw new IllegalArgumentException("balance: expected GLOBAL or PER_BLOCK_ROW but got null");
        }
        return new SparsePattern(Kind.BLOCKS, blockRows, blockCols, density, balance, null);
    }

    /**
     * Removes hidden channels between a producer Linear and the consumer Linear after it (one activation between,
     * one that maps 0 to 0): both become smaller dense layers.
     */
    public static SparsePattern channels(KeepAmount keep) {
        if (keep == null) {
            throw new IllegalArgumentException("keep: expected a ratio or count of channels but got null");
        }
        return new SparsePattern(Kind.CHANNELS, 0, 0, Double.NaN, null, keep);
    }

    public Kind kind() {
        return kind;
    }

    int blockRows() {
        return blockRows;
    }

    int blockCols() {
        return blockCols;
    }

    double density() {
        return density;
    }

    BlockPruner.Balance balance() {
        return balance;
    }

    KeepAmount keep() {
        return keep;
    }

    /** Why W [out, in] cannot take this pattern, or null when it can. */
    String misfit(long out, long in) {
        switch (kind) {
            case TWO_FOUR:
                return in % 4 == 0 ? null : "in = " + in + " is not a multiple of 4";
            case BLOCKS:
                if (out % blockRows != 0) {
                    return "out = " + out + " is not a multiple of the block rows " + blockRows;
                }
                return in % blockCols == 0 ? null : "in = " + in + " is not a multiple of the block cols " + blockCols;
            default:
                return null;
        }
    }

    @Override
    public String toString() {
        switch (kind) {
            case TWO_FOUR:
                return "2:4";
            case BLOCKS:
                return "bsr:" + blockRows + "x" + blockCols + " density " + density + " " + balance;
            default:
                return "channels " + keep;
        }
    }
}
