package dev.sparsekernels.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sparsekernels.DType;
import dev.sparsekernels.Tensor;
import dev.sparsekernels.io.Safetensors;
import dev.sparsekernels.io.SafetensorsFile;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** BERT weights to and from {@code .safetensors} under Hugging Face's names, as model.safetensors files have them. */
class BertWeightsSafetensorsTest {
    private static final BertConfig C = TinyBert.CONFIG;

    @Test
    void f32RoundTripKeepsEveryTensorBitForBit(@TempDir Path dir) throws Exception {
        Map<String, float[]> params = TinyBert.parameters(C, 5);
        Path file = dir.resolve("model.safetensors");
        try (BertWeights w = TinyBert.weights(C, params)) {
            w.writeSafetensors(file, DType.F32);
        }
        try (BertWeights back = BertWeights.fromSafetensors(Safetensors.read(file), C)) {
            assertEquals(params.keySet(), back.tensors().keySet());
            for (Map.Entry<String, float[]> e : params.entrySet()) {
                assertArrayEquals(e.getValue(), back.tensor(e.getKey()).toFloatArray(), 0f, e.getKey());
            }
        }
    }

    @Test
    void halfPrecisionFilesReadAsTheirRoundedValues(@TempDir Path dir) throws Exception {
        Map<String, float[]> params = TinyBert.parameters(C, 6);
        Path file = dir.resolve("model.safetensors");
        try (BertWeights w = TinyBert.weights(C, params)) {
            w.writeSafetensors(file, DType.BF16);
        }
        SafetensorsFile f = Safetensors.read(file);
        assertEquals("BF16", f.get("encoder.layer.1.intermediate.dense.weight").dtype().name());
        try (BertWeights back = BertWeights.fromSafetensors(f, C)) {
            String name = "encoder.layer.1.intermediate.dense.weight";
            float[] want = params.get(name);
            float[] got = back.tensor(name).toFloatArray();
            for (int i = 0; i < want.length; i++) {
                assertEquals(want[i], got[i], Math.abs(want[i]) / 128, name + "[" + i + "]");
            }
        }
    }

    @Test
    void aBertForPrefixAndExtraTensorsAreAccepted(@TempDir Path dir) throws Exception {
        Map<String, float[]> params = TinyBert.parameters(C, 7);
        Map<String, Tensor> named = new LinkedHashMap<>();
        try (BertWeights w = TinyBert.weights(C, params)) {
            w.tensors().forEach((k, v) -> named.put("bert." + k, v));
            try (Tensor head = Tensor.of(new float[] {1f, 2f}, 2)) {
                named.put("classifier.bias", head);
                Safetensors.write(dir.resolve("m.safetensors"), named, null);
            }
        }
        try (BertWeights back = BertWeights.fromSafetensors(Safetensors.read(dir.resolve("m.safetensors")), C)) {
            assertArrayEquals(params.get("embeddings.LayerNorm.bias"),
                    back.tensor("embeddings.LayerNorm.bias").toFloatArray(), 0f);
            assertEquals(params.size(), back.tensors().size());
        }
    }

    @Test
    void missingOrMisshapenTensorsAreNamed(@TempDir Path dir) throws Exception {
        Map<String, float[]> params = TinyBert.parameters(C, 8);
        Map<String, Tensor> all = new LinkedHashMap<>();
        try (BertWeights w = TinyBert.weights(C, params)) {
            all.putAll(w.tensors());
            Map<String, Tensor> missing = new LinkedHashMap<>(all);
            missing.remove("encoder.layer.1.output.dense.bias");
            Safetensors.write(dir.resolve("missing.safetensors"), missing, null);
            Map<String, Tensor> misshapen = new LinkedHashMap<>(all);
            try (Tensor wrong = Tensor.of(new float[C.hidden() * 3], 3, C.hidden())) {
                misshapen.put("embeddings.token_type_embeddings.weight", wrong);
                Safetensors.write(dir.resolve("misshapen.safetensors"), misshapen, null);
            }
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> BertWeights.fromSafetensors(Safetensors.read(dir.resolve("missing.safetensors")), C));
        assertTrue(e.getMessage().contains("encoder.layer.1.output.dense.bias"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> BertWeights.fromSafetensors(Safetensors.read(dir.resolve("misshapen.safetensors")), C));
        assertTrue(e.getMessage().contains("embeddings.token_type_embeddings.weight")
                && e.getMessage().contains("[3, 32]"), e.getMessage());
    }
}
