package dev.sparsekernels.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.sparsekernels.DType;
import dev.sparsekernels.Kernels;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The oracle folder that GPU hosts carry gives, on the CPU in F16 (the precision the CUDA run uses), the embeddings
 * the model jar gives: what the GPU test then checks there rests on this.
 */
class MiniLmOracleFolderTest {

    @Test
    void theFolderReproducesTheJarsOracleInHalfPrecision(@TempDir Path dir) throws Exception {
        assumeTrue(MiniLmFixture.modelOnClassPath(), MiniLmFixture.MODEL_MISSING);
        MiniLmOracleFolder.write(dir);
        List<float[]> ref = MiniLmOracleFolder.reference(dir);
        assertEquals(MiniLmOracle.SENTENCES.size(), ref.size());
        for (int i = 0; i < ref.size(); i++) {
            assertArrayEquals(BertEncoderMatchesOnnxRuntimeTest.reference().get(i), ref.get(i), 0f);
        }
        try (Kernels cpu = Kernels.cpu(2); BertWeights w = MiniLmOracleFolder.weights(dir)) {
            double[] cos = MiniLmOracle.cosines(cpu, DType.F16, w, MiniLmOracleFolder.tokenizer(dir), ref);
            System.out.println("MiniLM f16 from the oracle folder vs ONNX Runtime: " + MiniLmOracle.summary(cos));
            for (int i = 0; i < cos.length; i++) {
                assertTrue(cos[i] >= MiniLmOracle.MIN_COSINE, "cosine " + cos[i] + " for: "
                        + MiniLmOracle.SENTENCES.get(i));
            }
        }
    }
}
