package dev.sparsekernels.bench;

import dev.sparsekernels.AttentionMask;
import java.util.Random;

/**
 * The bench's block-sparse attention pattern, B = 1: per head, a random share of the square key blocks kept (the
 * diagonal always, so no row is empty), given both as a block-sparse layout and as the same pattern in a dense
 * boolean mask, so that the two runs differ only in whether whole tiles are skipped.
 */
public final class BlockPattern {
    public final AttentionMask.BlockSparse layout;
    public final boolean[] dense;
    private final int heads, len;

    private BlockPattern(AttentionMask.BlockSparse layout, boolean[] dense, int heads, int len) {
        this.layout = layout;
        this.dense = dense;
        this.heads = heads;
        this.len = len;
    }

    /** About {@code keep} of the {@code block} x {@code block} tiles of every head, drawn from {@code rnd}. */
    public static BlockPattern random(Random rnd, int heads, int len, int block, double keep) {
        int nb = (len + block - 1) / block;
        byte[] grid = new byte[heads * nb * nb];
        boolean[] dense = new boolean[heads * len * len];
        for (int hh = 0; hh < heads; hh++) {
            for (int qb = 0; qb < nb; qb++) {
                for (int kb = 0; kb < nb; kb++) {
                    boolean kept = kb == qb || rnd.nextDouble() < (keep * nb - 1) / (nb - 1.0);
                    grid[(hh * nb + qb) * nb + kb] = kept ? AttentionMask.BlockSparse.FULL
                            : AttentionMask.BlockSparse.SKIP;
                }
            }
            for (int i = 0; i < len; i++) {
                for (int j = 0; j < len; j++) {
                    dense[(hh * len + i) * len + j] = grid[(hh * nb + i / block) * nb + j / block] != 0;
                }
            }
        }
        return new BlockPattern(AttentionMask.BlockSparse.fromGrid(block, block, 1, heads, nb, nb, grid), dense,
                heads, len);
    }

    public AttentionMask blockMask() {
        return AttentionMask.builder().blockSparse(layout).build();
    }

    public AttentionMask denseMask() {
        return AttentionMask.builder().dense(dense, 1, heads, len, len).build();
    }
}
