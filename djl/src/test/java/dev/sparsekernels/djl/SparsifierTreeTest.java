package dev.sparsekernels.djl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Model;
import ai.djl.inference.Predictor;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.Block;
import ai.djl.nn.ParallelBlock;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.core.Linear;
import ai.djl.training.ParameterStore;
import ai.djl.translate.NoopTranslator;
import dev.sparsekernels.Kernels;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** How the sparsifier walks a nested tree, what it can and cannot replace, and what it refuses. */
class SparsifierTreeTest {
    private static NDManager m;
    private static Kernels kernels;

    @BeforeAll
    static void open() {
        m = Mlp.manager();
        kernels = Kernels.cpu(2);
    }

    @AfterAll
    static void close() {
        m.close();
        kernels.close();
    }

    /**
     * in 64 → 01 Sequential[Linear 32, ReLU] → 02 Parallel[Linear 16, Linear 16] concatenated → 03 Linear 6 →
     * 04 Linear 4 (in = 6: no 2:4). Same seed, same weights.
     */
    private static SequentialBlock tree(long seed) {
        SequentialBlock inner = new SequentialBlock().add(Linear.builder().setUnits(32).build())
                .add(Activation.reluBlock());
        ParallelBlock parallel = new ParallelBlock(
                list -> new NDList(NDArrays.concat(new NDList(list.get(0).head(), list.get(1).head()), -1)),
                Arrays.asList(Linear.builder().setUnits(16).build(), Linear.builder().setUnits(16).build()));
        SequentialBlock root = new SequentialBlock().add(inner).add(parallel)
                .add(Linear.builder().setUnits(6).build()).add(Linear.builder().setUnits(4).build());
        root.initialize(m, DataType.FLOAT32, new Shape(1, 64));
        Mlp.randomize(root, new Random(seed));
        return root;
    }

    private static List<String> paths(List<?> entries) {
        return entries.stream().map(e -> e instanceof SparsifyReport.Replaced ? ((SparsifyReport.Replaced) e).path()
                : ((SparsifyReport.Skipped) e).path()).collect(Collectors.toList());
    }

    @Test
    void replacesLinearsInNestedSequentialBlocksAndReportsTheRest() {
        SequentialBlock root = tree(1);
        Block inner = root.getChildren().get(0).getValue();

        SparsifyReport r = Sparsifier.of(kernels, SparsePattern.twoFour()).sparsify(root);

        assertEquals(List.of("01SequentialBlock/01Linear", "03Linear"), paths(r.replaced()), r.toString());
        assertEquals(List.of("02ParallelBlock/01Linear", "02ParallelBlock/02Linear", "04Linear"), paths(r.skipped()));
        assertTrue(r.skipped().get(0).reason().contains("ParallelBlock"), r.skipped().get(0).reason());
        assertTrue(r.skipped().get(2).reason().contains("in = 6 is not a multiple of 4"), r.skipped().get(2).reason());
        assertSame(inner, root.getChildren().get(0).getValue(), "the nested SequentialBlock is changed in place");
        assertTrue(inner.getChildren().get(0).getValue() instanceof SparseLinear);
        assertTrue(root.getChildren().get(1).getValue() instanceof ParallelBlock);
        assertTrue(root.isInitialized(), "containers stay initialized, so DJL does not initialize them again");

        // against the same tree (same seed) with the two replaced Linears' weights 2:4-masked in place
        SequentialBlock twin = tree(1);
        Linear a = (Linear) ((SequentialBlock) twin.getChildren().get(0).getValue()).getChildren().get(0).getValue();
        Mlp.set(a, Masks.twoFour(Mlp.weight(a), 32, 64, Masks.ones(64)), null);
        Linear c = (Linear) twin.getChildren().get(2).getValue();
        Mlp.set(c, Masks.twoFour(Mlp.weight(c), 6, 32, Masks.ones(32)), null);
        NDArray x = Mlp.input(m, 2, 5, 64, null);
        NDArray expected = Mlp.run(twin, m, x);
        NDArray actual = Mlp.run(root, m, x);
        assertEquals(new Shape(5, 4), actual.getShape());
        float[] e = expected.toFloatArray();
        float[] g = actual.toFloatArray();
        for (int i = 0; i < e.length; i++) {
            assertEquals(e[i], g[i], 1e-4f * Math.max(1f, Math.abs(e[i])));
        }
        assertEquals(new Shape(3, 4), root.getOutputShapes(new Shape[] {new Shape(3, 64)})[0]);
    }

    @Test
    void blockPatternSkipsLayersWhoseShapeDoesNotTile() {
        SequentialBlock root = tree(3);
        SparsifyReport r = Sparsifier.of(kernels, SparsePattern.blocks(16, 16, 0.5)).sparsify(root);
        assertEquals(List.of("01SequentialBlock/01Linear"), paths(r.replaced()));
        String reason = r.skipped().get(2).reason();
        assertTrue(reason.contains("out = 6 is not a multiple of the block rows 16"), reason);
    }

    @Test
    void pathFilterLimitsWhatIsReplaced() {
        SequentialBlock root = tree(4);
        SparsifyReport r = Sparsifier.of(kernels, SparsePattern.twoFour()).only(p -> !p.startsWith("03"))
                .sparsify(root);
        assertEquals(List.of("01SequentialBlock/01Linear"), paths(r.replaced()));
        assertTrue(r.skipped().stream().anyMatch(s -> s.path().equals("03Linear")
                && s.reason().equals("excluded by the path filter")), r.toString());
    }

    @Test
    void channelPatternReportsLinearsWithoutAPartner() {
        SequentialBlock root = tree(5);
        SparsifyReport r = Sparsifier.of(kernels, SparsePattern.channels(
                dev.sparsekernels.prune.KeepAmount.ratio(0.5))).sparsify(root);
        assertTrue(r.replaced().isEmpty(), r.toString()); // no Linear → activation → Linear chain in this tree
        assertTrue(r.skipped().stream().anyMatch(s -> s.path().equals("03Linear")
                && s.reason().contains("no partner")), r.toString());
    }

    @Test
    void runsThroughDjlsPredictorAndRefusesTraining() throws Exception {
        SequentialBlock mlp = Mlp.reluMlp(m, 6, 64, 128, 32);
        Sparsifier.of(kernels, SparsePattern.twoFour()).sparsify(mlp);
        NDArray x = Mlp.input(m, 7, 4, 64, null);
        float[] direct = Mlp.run(mlp, m, x).toFloatArray();
        try (Model model = Model.newInstance("sparse-mlp", "PyTorch")) {
            model.setBlock(mlp);
            try (Predictor<NDList, NDList> p = model.newPredictor(new NoopTranslator())) {
                NDList out = p.predict(new NDList(x));
                assertEquals(new Shape(4, 32), out.head().getShape());
                float[] viaPredictor = out.head().toFloatArray();
                for (int i = 0; i < direct.length; i++) {
                    assertEquals(direct[i], viaPredictor[i], 0f); // the same kernels on the same data
                }
            }
        }
        UnsupportedOperationException t = assertThrows(UnsupportedOperationException.class,
                () -> mlp.forward(new ParameterStore(m, false), new NDList(x), true));
        assertTrue(t.getMessage().contains("inference-only"), t.getMessage());
    }

    @Test
    void refusesUninitializedModelsAndBadConfigurationNamingTheProblem() {
        SequentialBlock fresh = new SequentialBlock().add(Linear.builder().setUnits(8).build());
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> Sparsifier.of(kernels, SparsePattern.twoFour()).sparsify(fresh));
        assertTrue(e.getMessage().contains("01Linear") && e.getMessage().contains("not initialized"), e.getMessage());

        assertThrows(IllegalArgumentException.class, () -> Sparsifier.of(kernels, SparsePattern.twoFour())
                .sparsify(null));
        assertThrows(IllegalArgumentException.class, () -> Sparsifier.of(null, SparsePattern.twoFour()));
        assertThrows(IllegalArgumentException.class, () -> Sparsifier.of(kernels, null));
        IllegalArgumentException wanda = assertThrows(IllegalArgumentException.class,
                () -> Sparsifier.of(kernels, SparsePattern.twoFour()).criterion(Criterion.WANDA, null));
        assertTrue(wanda.getMessage().contains("calibration"), wanda.getMessage());
        IllegalArgumentException flap = assertThrows(IllegalArgumentException.class,
                () -> Sparsifier.of(kernels, SparsePattern.twoFour()).criterion(Criterion.FLAP, new NDList(
                        m.zeros(new Shape(1, 4)))));
        assertTrue(flap.getMessage().contains("channels pattern"), flap.getMessage());
        IllegalArgumentException block = assertThrows(IllegalArgumentException.class,
                () -> SparsePattern.blocks(8, 16, 0.5));
        assertTrue(block.getMessage().contains("16, 32 or 64"), block.getMessage());
        IllegalArgumentException density = assertThrows(IllegalArgumentException.class,
                () -> SparsePattern.blocks(16, 16, 0));
        assertTrue(density.getMessage().contains("density"), density.getMessage());
    }

    @Test
    void aFailedCalibrationLeavesTheTreeAsItWas() {
        SequentialBlock mlp = Mlp.reluMlp(m, 8, 64, 128, 32);
        Block first = mlp.getChildren().get(0).getValue();
        NDArray wrongWidth = Mlp.input(m, 9, 4, 48, null);
        Sparsifier s = Sparsifier.of(kernels, SparsePattern.twoFour()).criterion(Criterion.WANDA,
                new NDList(wrongWidth));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> s.sparsify(mlp));
        assertTrue(e.getMessage().contains("01Linear expects inputs [..., 64]"), e.getMessage());
        assertSame(first, mlp.getChildren().get(0).getValue(), "the recorders are taken out again");
        assertTrue(mlp.getChildren().get(0).getValue() instanceof Linear);
    }
}
