package dev.sparsekernels.cli;

import dev.sparsekernels.BlockSparseMatrix;
import dev.sparsekernels.DType;
import dev.sparsekernels.Kernels;
import dev.sparsekernels.Sparse24Matrix;
import dev.sparsekernels.Tensor;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "gemm", mixinStandardHelpOptions = true,
        description = "Computes Y = X·Wᵀ + b with a dense or 2:4 W and writes Y as float32 .npy.")
final class GemmCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--format", required = true,
            description = "dense, 2:4 or bsr:RxC (bsr:32 = 32x32 blocks; sizes 16, 32, 64).")
    String format;

    @Option(names = "--w", required = true, description = "Weights W [out, in] (.npy).")
    Path w;

    @Option(names = "--x", required = true, description = "Inputs X [tokens, in] (.npy).")
    Path x;

    @Option(names = "--bias", description = "Bias b [out] (.npy).")
    Path bias;

    @Option(names = "--prune", description = "2:4: prune W by magnitude first (else W must already be 2:4); "
            + "bsr: prune blocks by L2 norm to --density (else the stored blocks are W's non-zero blocks).")
    boolean prune;

    @Option(names = "--density", description = "bsr with --prune: fraction of blocks kept, in (0, 1].")
    Double density;

    @Option(names = "--dtype", defaultValue = "auto",
            description = "f32, f16 or bf16: X and W are rounded to it (default: f32 on cpu, f16 on cuda).")
    String dtype;

    @Option(names = "--device", defaultValue = "auto", description = "auto, cpu, cuda or cuda:N.")
    String device;

    @Option(names = "--out", required = true, description = "Output Y [tokens, out] (.npy, float32).")
    Path out;

    @Override
    public Integer call() throws Exception {
        boolean sparse;
        int[] block = Patterns.blockShape("--format", format, "bsr");
        if (block != null) {
            sparse = false;
        } else if ("dense".equals(format)) {
            sparse = false;
        } else if ("2:4".equals(format)) {
            sparse = true;
        } else {
            throw new IllegalArgumentException("--format: expected dense, 2:4 or bsr:RxC but got '" + format + "'");
        }
        if (prune && !sparse && block == null) {
            throw new IllegalArgumentException("--prune applies to --format 2:4 and bsr:RxC only");
        }
        if (density != null && (block == null || !prune)) {
            throw new IllegalArgumentException("--density applies to --format bsr:RxC with --prune only");
        }
        double keep = block != null && prune ? Patterns.density(density) : 1.0;
        try (Tensor w32 = NpyFiles.readMatrix("--w", w);
                Tensor x32 = NpyFiles.read("--x", x);
                Tensor b = bias == null ? null : NpyFiles.read("--bias", bias);
                Kernels kernels = Backends.open(device)) {
            if (x32.rank() != 2) {
                throw new IllegalArgumentException("--x " + x + ": expected a 2-D array [tokens, in] but got shape "
                        + java.util.Arrays.toString(x32.shape()));
            }
            if (x32.dim(1) != w32.dim(1)) {
                throw new IllegalArgumentException("--x has in = " + x32.dim(1) + " but --w has in = " + w32.dim(1)
                        + " (W is [out, in])");
            }
            DType dt = "auto".equalsIgnoreCase(dtype)
                    ? (kernels.device().isCuda() ? DType.F16 : DType.F32) : DType.parse(dtype);
            try (Tensor xd = x32.to(dt); Tensor wd = w32.to(dt)) {
                Tensor y;
                if (block != null) {
                    try (BlockSparseMatrix m = prune ? BlockSparseMatrix.prune(wd, block[0], block[1], keep)
                            : BlockSparseMatrix.fromDense(wd, block[0], block[1])) {
                        y = kernels.linear(xd, m, b);
                    }
                } else if (sparse) {
                    if (wd.dim(1) % 4 != 0) {
                        throw new IllegalArgumentException("--w: 2:4 needs in to be a multiple of 4 but in = "
                                + wd.dim(1));
                    }
                    try (Sparse24Matrix s = prune ? Sparse24Matrix.prune(wd) : Sparse24Matrix.fromPruned(wd)) {
                        y = kernels.linear(xd, s, b);
                    }
                } else {
                    y = kernels.linear(xd, wd, b);
                }
                try (Tensor result = y) {
                    NpyFiles.writeF32(out, result);
                }
            }
            PrintWriter o = spec.commandLine().getOut();
            o.println("Y [" + x32.dim(0) + ", " + w32.dim(0) + "] (" + format + ", " + dt + ", "
                    + kernels.device() + ") -> " + out);
        }
        return 0;
    }
}
