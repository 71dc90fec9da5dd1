package dev.sparsekernels.model;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.sparsekernels.DType;
import dev.sparsekernels.Kernels;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * GPU group (ci/gpu-check.sh; needs a CUDA device): the same oracle as {@link BertEncoderMatchesOnnxRuntimeTest},
 * with every linear and the attention on CUDA in f16 (f32 accumulation). The bar is the one the f16 CPU run meets.
 * The model and ONNX Runtime's embeddings come from the model jar where it is on the class path, else from the
 * {@link MiniLmOracleFolder} named by {@code -Dsparsekernels.minilm.oracle} (what the GPU-host pack carries). With
 * neither, the test is skipped (aborted) with that reason; a missing CUDA device still fails.
 */
@Tag("gpu")
class BertEncoderOnCudaMatchesOnnxRuntimeTest {

    @Test
    void cudaEmbeddingsMatchLangchain4jOnOnnxRuntime() {
        Path folder = MiniLmOracleFolder.fromProperty();
        boolean jar = MiniLmFixture.modelOnClassPath();
        assumeTrue(jar || folder != null && Files.isRegularFile(folder.resolve(MiniLmOracleFolder.WEIGHTS)),
                MiniLmFixture.MODEL_MISSING + "; nor does -D" + MiniLmOracleFolder.PROPERTY + " name an oracle folder"
                        + (folder == null ? "" : " (" + folder + " has no " + MiniLmOracleFolder.WEIGHTS + ")"));
        try (Kernels cuda = Kernels.cuda()) {
            // BertEncoderMatchesOnnxRuntimeTest names ONNX Runtime's classes: touched only when the jar is here
            double[] cos = jar ? BertEncoderMatchesOnnxRuntimeTest.cosines(cuda, DType.F16)
                    : MiniLmOracle.cosines(cuda, DType.F16, MiniLmOracleFolder.weights(folder),
                            MiniLmOracleFolder.tokenizer(folder), MiniLmOracleFolder.reference(folder));
            System.out.println("MiniLM on " + cuda.describe() + " vs ONNX Runtime ("
                    + (jar ? "live" : "oracle folder " + folder) + "): " + MiniLmOracle.summary(cos));
            for (int i = 0; i < cos.length; i++) {
                assertTrue(cos[i] >= MiniLmOracle.MIN_COSINE, "cosine " + cos[i] + " for: "
                        + MiniLmOracle.SENTENCES.get(i));
            }
        }
    }
}
