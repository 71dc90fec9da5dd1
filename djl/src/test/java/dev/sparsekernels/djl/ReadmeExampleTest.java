package dev.sparsekernels.djl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Model;
import ai.djl.inference.Predictor;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.core.Linear;
import ai.djl.translate.NoopTranslator;
import dev.sparsekernels.Kernels;
import org.junit.jupiter.api.Test;

/** The README's DJL example, line for line but for the lines marked "test only", so it is known to compile and run. */
class ReadmeExampleTest {
    @Test
    void readmeExampleRuns() throws Exception {
        Shape outputShape; // test only
        SparsifyReport kept; // test only
        try (Kernels kernels = Kernels.cpu();
             Model model = Model.newInstance("mlp", "PyTorch")) {
            NDManager manager = model.getNDManager();
            SequentialBlock mlp = new SequentialBlock()
                    .add(Linear.builder().setUnits(4096).build())
                    .add(Activation.reluBlock())
                    .add(Linear.builder().setUnits(1024).build());
            model.setBlock(mlp);
            mlp.initialize(manager, DataType.FLOAT32, new Shape(1, 1024)); // or model.load(...)

            NDArray calibration = manager.randomNormal(new Shape(64, 1024)); // inputs like the real ones
            SparsifyReport report = Sparsifier.of(kernels, SparsePattern.twoFour()) // or blocks(32, 32, 0.25)
                    .criterion(Criterion.WANDA, new NDList(calibration)) // optional: MAGNITUDE by default
                    .sparsify(model.getBlock());                         // in place
            model.setBlock(report.root());  // needed only when the root itself was a Linear
            System.out.println(report);     // what was replaced, what stayed dense and why

            try (Predictor<NDList, NDList> predictor = model.newPredictor(new NoopTranslator())) {
                NDList y = predictor.predict(new NDList(manager.randomNormal(new Shape(8, 1024))));
                System.out.println(y.head().getShape()); // (8, 1024)
                outputShape = y.head().getShape(); // test only
            }
            kept = report; // test only
        }
        assertEquals(new Shape(8, 1024), outputShape);
        assertEquals(2, kept.replaced().size());
        assertTrue(kept.skipped().isEmpty());
        assertEquals("2:4", kept.replaced().get(0).block().format());
    }
}
