package dev.sparsekernels.djl;

import ai.djl.nn.Block;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.core.Linear;
import ai.djl.util.Pair;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * Finding {@code Linear} blocks in a DJL block tree and swapping them in place.
 *
 * <p>DJL offers no setter for a child: {@code getChildren()} returns a copy, and the children list is protected.
 * What it does offer is {@link SequentialBlock#removeLastBlock()} and {@link SequentialBlock#add(Block)}, so a
 * SequentialBlock is rebuilt in place: all children popped, then added back with the replacements. The container
 * keeps its identity (its parent and the Model still hold it, its subclass and flags stay). A Linear whose parent is
 * any other block (a ParallelBlock, a custom block that keeps the Linear in a field and calls it in its forward)
 * cannot be swapped from outside; such sites are reported, not changed. The root itself may be a Linear: the caller
 * then uses the returned root.
 */
final class BlockTree {
    private BlockTree() {
    }

    /** Where a Linear (or a subclass) sits: its parent, when that parent is a SequentialBlock, and its index. */
    static final class Site {
        final String path;
        final Block block;
        final SequentialBlock parent;
        final int index;
        /** Why the site cannot be swapped, or null. */
        final String obstacle;

        Site(String path, Block block, SequentialBlock parent, int index, String obstacle) {
            this.path = path;
            this.block = block;
            this.parent = parent;
            this.index = index;
            this.obstacle = obstacle;
        }

        boolean isRoot() {
            return path.isEmpty();
        }

        Linear linear() {
            return (Linear) block;
        }
    }

    /** Every Linear in the tree, depth first in child order; paths are DJL child names joined by '/'. */
    static List<Site> linears(Block root) {
        List<Site> sites = new ArrayList<>();
        visit(root, "", null, -1, "", sites, new IdentityHashMap<>());
        return sites;
    }

    private static void visit(Block block, String path, Block parent, int index, String parentName, List<Site> sites,
            Map<Block, Boolean> seen) {
        if (block instanceof Linear) {
            String obstacle = null;
            if (block.getClass() != Linear.class) {
                obstacle = "a subclass of Linear (" + block.getClass().getName() + "), whose forward may differ";
            } else if (parent != null && !(parent instanceof SequentialBlock)) {
                obstacle = "its parent " + parentName + " offers no way to replace a child (only a SequentialBlock"
                        + " does); put the Linear in a SequentialBlock to have it replaced";
            }
            sites.add(new Site(path, block, parent instanceof SequentialBlock ? (SequentialBlock) parent : null,
                    index, obstacle));
            return;
        }
        if (seen.put(block, Boolean.TRUE) != null) {
            return; // a container shared by several parents: its Linears are already listed
        }
        int i = 0;
        for (Pair<String, Block> child : block.getChildren()) {
            String childPath = path.isEmpty() ? child.getKey() : path + "/" + child.getKey();
            visit(child.getValue(), childPath, block, i++, block.getClass().getSimpleName(), sites, seen);
        }
    }

    /**
     * Replaces children in place: for each SequentialBlock, index → new block. Every child is popped and added back
     * (in order, the replacements in place of the originals).
     */
    static void replace(Map<SequentialBlock, Map<Integer, Block>> replacements) {
        for (Map.Entry<SequentialBlock, Map<Integer, Block>> e : replacements.entrySet()) {
            SequentialBlock parent = e.getKey();
            List<Block> children = new ArrayList<>(parent.getChildren().values());
            for (int i = children.size(); i > 0; i--) {
                parent.removeLastBlock();
            }
            for (int i = 0; i < children.size(); i++) {
                Block replacement = e.getValue().get(i);
                parent.add(replacement != null ? replacement : children.get(i));
            }
        }
    }

    /** An identity map keyed by parent, as SequentialBlock has no value equality. */
    static Map<SequentialBlock, Map<Integer, Block>> newReplacementMap() {
        return new IdentityHashMap<>();
    }
}
