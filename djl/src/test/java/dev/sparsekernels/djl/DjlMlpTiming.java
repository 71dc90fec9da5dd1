package dev.sparsekernels.djl;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.SequentialBlock;
import dev.sparsekernels.Kernels;
import dev.sparsekernels.prune.KeepAmount;
import java.util.Arrays;

/**
 * A one-run measurement, not a test: forward time of a DJL MLP (in → hidden → ReLU → in) on the PyTorch engine,
 * dense against the same model sparsified to 2:4, to 32x32 blocks at 25% and to half its hidden channels (L2, the
 * two layers compacted into smaller dense ones on {@code DenseMatrix}), both sides on the same number of threads,
 * interleaved. Prints a markdown table of medians. Run from djl/ after {@code mvn test-compile}:
 *
 * <pre>
 * mvn -q dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile=target/test.cp
 * java --add-modules jdk.incubator.vector -Dai.djl.offline=true -DDJL_CACHE_DIR=target/djl-cache \
 *   -DENGINE_CACHE_DIR=target/djl-cache -Dai.djl.pytorch.num_threads=2 -Dai.djl.pytorch.num_interop_threads=1 \
 *   -cp target/test-classes:target/classes:../java-api/target/classes:../bindings/target/classes:$(cat target/test.cp) \
 *   dev.sparsekernels.djl.DjlMlpTiming [threads] [in] [hidden] [tokens...]
 * </pre>
 */
public final class DjlMlpTiming {
    private DjlMlpTiming() {
    }

    public static void main(String[] args) {
        int threads = args.length > 0 ? Integer.parseInt(args[0]) : 2;
        int in = args.length > 1 ? Integer.parseInt(args[1]) : 1024;
        int hidden = args.length > 2 ? Integer.parseInt(args[2]) : 4096;
        int[] tokens = args.length > 3 ? Arrays.stream(args, 3, args.length).mapToInt(Integer::parseInt).toArray()
                : new int[] {1, 16, 256};
        System.out.println("DJL MLP " + in + " -> " + hidden + " -> ReLU -> " + in + ", PyTorch intra-op threads "
                + System.getProperty("ai.djl.pytorch.num_threads", "default") + ", our kernels " + threads
                + " threads; medians, ms per forward");
        System.out.println();
        System.out.println("| tokens | dense (libtorch) | 2:4 (ours) | bsr 32x32 25% (ours) | half channels (ours)"
                + " | dense / 2:4 | dense / bsr | dense / half channels |");
        System.out.println("|---|---|---|---|---|---|---|---|");
        try (NDManager m = Mlp.manager(); Kernels kernels = Kernels.cpu(threads)) {
            SequentialBlock dense = Mlp.reluMlp(m, 1, in, hidden, in);
            SequentialBlock twoFour = Mlp.reluMlp(m, 1, in, hidden, in);
            Sparsifier.of(kernels, SparsePattern.twoFour()).sparsify(twoFour);
            SequentialBlock blocks = Mlp.reluMlp(m, 1, in, hidden, in);
            Sparsifier.of(kernels, SparsePattern.blocks(32, 32, 0.25)).sparsify(blocks);
            SequentialBlock half = Mlp.reluMlp(m, 1, in, hidden, in);
            Sparsifier.of(kernels, SparsePattern.channels(KeepAmount.ratio(0.5))).sparsify(half);
            SequentialBlock[] models = {dense, twoFour, blocks, half};
            for (int t : tokens) {
                NDArray x = Mlp.input(m, 2, t, in, null);
                double[] ms = medianMs(models, m, x);
                System.out.printf("| %d | %.3f | %.3f | %.3f | %.3f | %.2fx | %.2fx | %.2fx |%n", t, ms[0], ms[1], ms[2],
                        ms[3], ms[0] / ms[1], ms[0] / ms[2], ms[0] / ms[3]);
            }
        }
    }

    /**
     * Median per model of 21 rounds, each round running every model once, so that load from elsewhere on the machine
     * falls on all of them alike. Before that, each model warms up for at least 2 s and 20 runs: the Java kernels
     * need the JIT (the first calls of the 1-token 2:4 path take 7 ms, warm ones 0.5 ms).
     */
    private static double[] medianMs(SequentialBlock[] models, NDManager m, NDArray x) {
        for (SequentialBlock mlp : models) {
            long warmEnd = System.nanoTime() + 2_000_000_000L;
            for (int i = 0; i < 20 || System.nanoTime() < warmEnd; i++) {
                runOnce(mlp, m, x);
            }
        }
        double[][] ms = new double[models.length][21];
        for (int r = 0; r < 21; r++) {
            for (int k = 0; k < models.length; k++) {
                ms[k][r] = runOnce(models[k], m, x);
            }
        }
        double[] median = new double[models.length];
        for (int k = 0; k < models.length; k++) {
            Arrays.sort(ms[k]);
            median[k] = ms[k][ms[k].length / 2];
        }
        return median;
    }

    /** One forward pass in ms; its intermediates land on a sub-manager and are freed with it. */
    private static double runOnce(SequentialBlock mlp, NDManager m, NDArray x) {
        try (NDManager run = m.newSubManager()) {
            x.tempAttach(run);
            long t0 = System.nanoTime();
            Mlp.run(mlp, run, x);
            return (System.nanoTime() - t0) / 1e6;
        }
    }
}
