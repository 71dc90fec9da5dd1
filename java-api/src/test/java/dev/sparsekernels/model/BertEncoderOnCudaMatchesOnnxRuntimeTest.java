package dev.sparsekernels.model;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.sparsekernels.DType;
import dev.sparsekernels.Kernels;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * GPU group (ci/gpu-check.sh; needs a CUDA device): the same oracle as {@link BertEncoderMatchesOnnxRuntimeTest},
 * with every linear and the attention on CUDA in f16 (f32 accumulation). The bar is the one the f16 CPU run meets.
 * Skipped (aborted, with the reason) where the model jar is not on the class path: the GPU-host pack leaves it out.
 */
@Tag("gpu")
class BertEncoderOnCudaMatchesOnnxRuntimeTest {

    @Test
    void cudaEmbeddingsMatchLangchain4jOnOnnxRuntime() {
        // Only a missing model jar skips (the GPU-host pack has no room for it); a missing CUDA device still fails.
        // Checked before anything touches BertEncoderMatchesOnnxRuntimeTest, whose oracle classes are absent there.
        assumeTrue(MiniLmFixture.modelOnClassPath(), MiniLmFixture.MODEL_MISSING);
        try (Kernels cuda = Kernels.cuda()) {
            double[] cos = BertEncoderMatchesOnnxRuntimeTest.cosines(cuda, DType.F16);
            System.out.println("MiniLM on " + cuda.describe() + " vs ONNX Runtime: "
                    + BertEncoderMatchesOnnxRuntimeTest.summary(cos));
            for (int i = 0; i < cos.length; i++) {
                assertTrue(cos[i] >= 0.9999, "cosine " + cos[i] + " for: "
                        + BertEncoderMatchesOnnxRuntimeTest.SENTENCES.get(i));
            }
        }
    }
}
