package dev.sparsekernels.cli;

import dev.sparsekernels.BlockSparseMatrix;
import dev.sparsekernels.Sparse24Matrix;
import dev.sparsekernels.Tensor;
import dev.sparsekernels.prune.BlockPruner;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "prune", mixinStandardHelpOptions = true,
        description = "Prunes a dense W [out, in] and writes it back dense, with the pruned zeros.")
final class PruneCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--pattern", required = true,
            description = "Sparsity pattern: 2:4, or block:RxC (block:32 = 32x32; sizes 16, 32, 64).")
    String pattern;

    @Option(names = "--density", description = "block patterns: fraction of blocks kept, in (0, 1].")
    Double density;

    @Option(names = "--balanced", description = "block patterns: keep the same number of blocks in every block row.")
    boolean balanced;

    @Option(names = "--in", required = true, description = "Dense weights W [out, in] (.npy).")
    Path in;

    @Option(names = "--out", required = true, description = "Output .npy (float32).")
    Path out;

    @Override
    public Integer call() throws Exception {
        int[] block = Patterns.blockShape("--pattern", pattern, "block");
        if (block != null) {
            double d = Patterns.density(density);
            try (Tensor w = NpyFiles.readMatrix("--in", in);
                    BlockSparseMatrix m = BlockSparseMatrix.prune(w, block[0], block[1], d,
                            balanced ? BlockPruner.Balance.PER_BLOCK_ROW : BlockPruner.Balance.GLOBAL);
                    Tensor dense = m.toDense()) {
                NpyFiles.writeF32(out, dense);
                spec.commandLine().getOut().println("pruned " + w.dim(0) + "x" + w.dim(1) + " to " + m + " -> "
                        + out);
            }
            return 0;
        }
        if (!"2:4".equals(pattern)) {
            throw new IllegalArgumentException("--pattern: expected 2:4 or block:RxC but got '" + pattern + "'");
        }
        if (density != null || balanced) {
            throw new IllegalArgumentException("--density and --balanced apply to block patterns only");
        }
        try (Tensor w = NpyFiles.readMatrix("--in", in);
                Sparse24Matrix s = Sparse24Matrix.prune(w);
                Tensor dense = s.toDense()) {
            NpyFiles.writeF32(out, dense);
            PrintWriter o = spec.commandLine().getOut();
            o.println("pruned " + w.dim(0) + "x" + w.dim(1) + " to 2:4 -> " + out);
        }
        return 0;
    }
}
