package dev.sparsekernels.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sparsekernels.io.onnx.OnnxFormatException;
import dev.sparsekernels.io.onnx.OnnxModel;
import java.nio.ByteBuffer;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Weights come out under their PyTorch names, as W [out, in], from both layouts torch.onnx writes. */
class OnnxBertWeightsTest {
    private static final BertConfig C = TinyBert.CONFIG;
    private final Map<String, float[]> params = TinyBert.parameters(C, 11);

    private static OnnxModel parse(byte[] bytes) throws OnnxFormatException {
        return OnnxModel.parse(ByteBuffer.wrap(bytes), "tiny.onnx");
    }

    private void assertAllEqual(BertWeights w) {
        assertTrue(w.tensors().keySet().containsAll(params.keySet()));
        for (Map.Entry<String, float[]> e : params.entrySet()) {
            assertArrayEquals(e.getValue(), w.tensor(e.getKey()).toFloatArray(), e.getKey());
            assertArrayEquals(BertWeights.expectedShapes(C).get(e.getKey()), w.tensor(e.getKey()).shape());
        }
    }

    @Test
    void foldedMatMulWeightsAreFoundThroughTheirBiasesAndTransposed() throws Exception {
        try (BertWeights w = BertWeights.fromOnnx(parse(TinyBert.onnxFolded(C, params)), C)) {
            assertAllEqual(w);
        }
    }

    @Test
    void namedWeightsAreTakenAsOutIn() throws Exception {
        try (BertWeights w = BertWeights.fromOnnx(parse(TinyBert.onnxNamed(C, params)), C)) {
            assertAllEqual(w);
        }
    }

    @Test
    void missingTensorIsNamed() throws Exception {
        Map<String, float[]> less = new LinkedHashMap<>(params);
        less.remove("encoder.layer.1.output.LayerNorm.bias");
        OnnxFormatException e = assertThrows(OnnxFormatException.class,
                () -> BertWeights.fromOnnx(parse(TinyBert.onnxFolded(C, less)), C));
        assertTrue(e.getMessage().startsWith("tiny.onnx: no initializer named 'encoder.layer.1.output.LayerNorm.bias'"),
                e.getMessage());
    }

    @Test
    void linearWeightWithNeitherNameNorMatMulIsNamed() throws Exception {
        Map<String, float[]> less = new LinkedHashMap<>(params);
        less.remove("encoder.layer.0.intermediate.dense.weight");
        // the named layout has no MatMul nodes, so nothing leads to the weight
        OnnxFormatException e = assertThrows(OnnxFormatException.class,
                () -> BertWeights.fromOnnx(parse(TinyBert.onnxNamed(C, less)), C));
        assertTrue(e.getMessage().contains("no initializer named 'encoder.layer.0.intermediate.dense.weight' and no"
                + " MatMul whose output is added to 'encoder.layer.0.intermediate.dense.bias'"), e.getMessage());
    }

    @Test
    void shapesThatDoNotFitTheConfigAreRefused() throws Exception {
        BertConfig wider = new BertConfig(2, 32, 4, 128, 40, 20, 2, 1e-12f);
        OnnxFormatException e = assertThrows(OnnxFormatException.class,
                () -> BertWeights.fromOnnx(parse(TinyBert.onnxFolded(C, params)), wider));
        assertTrue(e.getMessage().contains("encoder.layer.0.intermediate.dense.weight (as MatMul weight"
                + " 'onnx::MatMul_704', [in, out]) has shape [32, 64] but the config needs [32, 128]"), e.getMessage());
    }
}
