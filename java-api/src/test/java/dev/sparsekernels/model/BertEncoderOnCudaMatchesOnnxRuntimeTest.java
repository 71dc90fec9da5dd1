package dev.sparsekernels.model;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sparsekernels.DType;
import dev.sparsekernels.Kernels;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * GPU group (ci/gpu-check.sh; needs a CUDA device): the same oracle as {@link BertEncoderMatchesOnnxRuntimeTest},
 * with every linear and the attention on CUDA in f16 (f32 accumulation). The bar is the one the f16 CPU run meets.
 */
@Tag("gpu")
class BertEncoderOnCudaMatchesOnnxRuntimeTest {

    @Test
    void cudaEmbeddingsMatchLangchain4jOnOnnxRuntime() {
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
