package dev.sparsekernels.cli;

import dev.sparsekernels.DType;
import dev.sparsekernels.Tensor;
import dev.sparsekernels.channels.ChannelPlan;
import dev.sparsekernels.channels.ChannelStatistics;
import dev.sparsekernels.channels.CompactedLayers;
import dev.sparsekernels.io.Npy;
import dev.sparsekernels.io.NpyArray;
import dev.sparsekernels.prune.ChannelCriterion;
import dev.sparsekernels.prune.ChannelPruner;
import dev.sparsekernels.prune.KeepAmount;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "channels", mixinStandardHelpOptions = true,
        description = {"Removes hidden channels (or whole heads) between a producer W1 [hidden, in] and a consumer "
                + "W2 [out, hidden], and writes the smaller dense layers.",
            "Writes W1.npy [kept, in], b1.npy [kept], W2.npy [out, kept], b2.npy [out] (float32; absent biases as "
                + "zeros) and kept.npy (kept channel indices, ascending, int64) into --out-dir. See docs/pruning.md."})
final class ChannelsCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--w1", required = true, description = "Producer weights W1 [hidden, in] (.npy).")
    Path w1;

    @Option(names = "--b1", description = "Producer bias b1 [hidden] (.npy).")
    Path b1;

    @Option(names = "--w2", required = true, description = "Consumer weights W2 [out, hidden] (.npy).")
    Path w2;

    @Option(names = "--b2", description = "Consumer bias b2 [out] (.npy).")
    Path b2;

    static final class Keep {
        @Option(names = "--keep", required = true, description = "Fraction of channels (or heads) kept, in (0, 1].")
        Double ratio;

        @Option(names = "--keep-count", required = true, description = "Number of channels (or heads) kept.")
        Integer count;
    }

    @ArgGroup(exclusive = true, multiplicity = "1")
    Keep keep;

    @Option(names = "--criterion", required = true, description = "l1, l2 (producer rows), wanda or flap "
            + "(consumer columns with activation statistics).")
    String criterion;

    @Option(names = "--acts", description = "Activations entering W2, [samples, hidden] (.npy); needed by wanda "
            + "and flap.")
    Path acts;

    @Option(names = "--head-dim", defaultValue = "1", description = "Remove whole heads of this many channels "
            + "(hidden must be a multiple); 1 = single channels (default).")
    int headDim;

    @Option(names = "--round-to", description = "Round the kept count to a multiple of this many units (channels, "
            + "or heads with --head-dim): nearest multiple, ties up, at least one. Default 8 for channels, 1 for "
            + "heads.")
    Integer roundTo;

    @Option(names = "--compensate", negatable = true, description = "Bias compensation: b2 += W2[:, removed] · "
            + "mean(x[removed]) from --acts. Default: on for flap, off otherwise.")
    Boolean compensate;

    @Option(names = "--out-dir", required = true, description = "Directory for the outputs (created if missing).")
    Path outDir;

    @Override
    public Integer call() throws Exception {
        ChannelCriterion c = parseCriterion();
        if (headDim < 1) {
            throw new IllegalArgumentException("--head-dim: expected >= 1 but got " + headDim);
        }
        int multiple = roundTo == null ? (headDim == 1 ? 8 : 1) : roundTo;
        if (multiple < 1) {
            throw new IllegalArgumentException("--round-to: expected >= 1 but got " + multiple);
        }
        KeepAmount amount = keepAmount();
        boolean comp = compensate == null ? c == ChannelCriterion.FLAP : compensate;
        if ((c.needsActivations() || comp) && acts == null) {
            throw new IllegalArgumentException("--acts: criterion " + c.cliName()
                    + (c.needsActivations() ? "" : " with --compensate")
                    + " needs the activations entering W2 ([samples, hidden] .npy) but none was given");
        }
        try (Tensor tw1 = NpyFiles.readMatrix("--w1", w1); Tensor tw2 = NpyFiles.readMatrix("--w2", w2);
                Tensor tb1 = b1 == null ? null : NpyFiles.read("--b1", b1);
                Tensor tb2 = b2 == null ? null : NpyFiles.read("--b2", b2)) {
            int hidden = (int) tw1.dim(0);
            int out = (int) tw2.dim(0);
            if (tw2.dim(1) != hidden) {
                throw new IllegalArgumentException("--w2: expected shape [out, " + hidden + "] (hidden = rows of --w1 "
                        + Arrays.toString(tw1.shape()) + ") but got " + Arrays.toString(tw2.shape()));
            }
            checkVector("--b1", tb1, hidden, "hidden = rows of --w1");
            checkVector("--b2", tb2, out, "out = rows of --w2");
            if (hidden % headDim != 0) {
                throw new IllegalArgumentException("--head-dim: expected a divisor of hidden = " + hidden
                        + " but got " + headDim);
            }
            int units = hidden / headDim;
            if (keep.count != null && keep.count > units) {
                throw new IllegalArgumentException("--keep-count: expected 1.." + units + " (the " + units + " "
                        + (headDim == 1 ? "channels" : "heads") + " there are) but got " + keep.count);
            }
            ChannelStatistics stats = null;
            if (acts != null) {
                try (Tensor x = NpyFiles.read("--acts", acts)) {
                    if (x.rank() != 2 || x.dim(1) != hidden || x.dim(0) < 1) {
                        throw new IllegalArgumentException("--acts: expected shape [samples, " + hidden
                                + "] (hidden = rows of --w1) but got " + Arrays.toString(x.shape()));
                    }
                    stats = new ChannelStatistics(hidden, Runtime.getRuntime().availableProcessors()).accept(x);
                }
            }
            ChannelPlan plan = ChannelPruner.plan(c, tw1, tw2, stats, amount, multiple, headDim);
            try {
                Files.createDirectories(outDir);
            } catch (java.nio.file.FileAlreadyExistsException | java.nio.file.AccessDeniedException e) {
                throw e; // said as such by Failures: "exists and is not a directory", "permission denied"
            } catch (IOException e) {
                throw new IllegalArgumentException("--out-dir " + outDir + ": cannot create the directory ("
                        + e.getClass().getSimpleName().replace("Exception", "") + ": "
                        + (e.getMessage() == null ? "" : e.getMessage()) + ")", e);
            }
            try (CompactedLayers r = plan.apply(tw1, tb1, tw2, tb2, comp ? stats.mean() : null);
                    Tensor zb1 = r.b1() == null ? Tensor.allocate(DType.F32, plan.keptCount()) : null;
                    Tensor zb2 = r.b2() == null ? Tensor.allocate(DType.F32, out) : null) {
                NpyFiles.writeF32(outDir.resolve("W1.npy"), r.w1());
                NpyFiles.writeF32(outDir.resolve("b1.npy"), r.b1() == null ? zb1 : r.b1());
                NpyFiles.writeF32(outDir.resolve("W2.npy"), r.w2());
                NpyFiles.writeF32(outDir.resolve("b2.npy"), r.b2() == null ? zb2 : r.b2());
                long[] kept = Arrays.stream(plan.kept()).asLongStream().toArray();
                Npy.write(outDir.resolve("kept.npy"), NpyArray.ofLongs(kept, kept.length));
            }
            String unit = headDim == 1 ? "channels" : "heads of " + headDim;
            int k = plan.keptCount();
            spec.commandLine().getOut().println("kept " + k / headDim + " of " + units + " " + unit + " ("
                    + c.cliName() + (comp ? ", bias compensated" : "") + "): W1 [" + k + ", " + tw1.dim(1)
                    + "], W2 [" + out + ", " + k + "] -> " + outDir);
        }
        return 0;
    }

    private ChannelCriterion parseCriterion() {
        try {
            return ChannelCriterion.parse(criterion);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--" + e.getMessage(), e);
        }
    }

    private KeepAmount keepAmount() {
        if (keep.ratio != null) {
            if (!(keep.ratio > 0 && keep.ratio <= 1)) {
                throw new IllegalArgumentException("--keep: expected a ratio in (0, 1] but got " + keep.ratio);
            }
            return KeepAmount.ratio(keep.ratio);
        }
        if (keep.count < 1) {
            throw new IllegalArgumentException("--keep-count: expected >= 1 but got " + keep.count);
        }
        return KeepAmount.count(keep.count);
    }

    private static void checkVector(String option, Tensor t, int length, String why) {
        if (t != null && (t.rank() != 1 || t.dim(0) != length)) {
            throw new IllegalArgumentException(option + ": expected shape [" + length + "] (" + why + ") but got "
                    + Arrays.toString(t.shape()));
        }
    }
}
