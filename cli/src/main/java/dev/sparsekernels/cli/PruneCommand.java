package dev.sparsekernels.cli;

import dev.sparsekernels.Sparse24Matrix;
import dev.sparsekernels.Tensor;
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

    @Option(names = "--pattern", required = true, description = "Sparsity pattern: 2:4.")
    String pattern;

    @Option(names = "--in", required = true, description = "Dense weights W [out, in] (.npy).")
    Path in;

    @Option(names = "--out", required = true, description = "Output .npy (float32).")
    Path out;

    @Override
    public Integer call() throws Exception {
        if (!"2:4".equals(pattern)) {
            throw new IllegalArgumentException("--pattern: expected 2:4 but got '" + pattern + "'");
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
