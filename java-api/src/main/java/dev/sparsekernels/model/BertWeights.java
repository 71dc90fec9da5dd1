package dev.sparsekernels.model;

import dev.sparsekernels.DType;
import dev.sparsekernels.Tensor;
import dev.sparsekernels.io.Safetensors;
import dev.sparsekernels.io.SafetensorsFile;
import dev.sparsekernels.io.SafetensorsTensor;
import dev.sparsekernels.io.onnx.OnnxFormatException;
import dev.sparsekernels.io.onnx.OnnxModel;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The trained tensors of a BERT encoder by their Hugging Face names ({@code embeddings.word_embeddings.weight},
 * {@code encoder.layer.3.intermediate.dense.weight}, ...), every linear weight in the PyTorch nn.Linear convention
 * W [out, in] whatever layout the file had. The set of names and every shape is checked against the
 * {@link BertConfig} when loaded. Owns the tensors; closing closes them.
 */
public final class BertWeights implements AutoCloseable {
    /** The six linear layers of one encoder layer, as name suffixes after {@code encoder.layer.N.}. */
    static final String QUERY = "attention.self.query";
    static final String KEY = "attention.self.key";
    static final String VALUE = "attention.self.value";
    static final String ATTENTION_OUTPUT = "attention.output.dense";
    static final String INTERMEDIATE = "intermediate.dense";
    static final String OUTPUT = "output.dense";
    static final String ATTENTION_NORM = "attention.output.LayerNorm";
    static final String OUTPUT_NORM = "output.LayerNorm";

    private final BertConfig config;
    private final Map<String, Tensor> tensors;

    BertWeights(BertConfig config, Map<String, Tensor> tensors) {
        this.config = config;
        this.tensors = Collections.unmodifiableMap(new LinkedHashMap<>(tensors));
    }

    /**
     * Reads the weights from an ONNX export of a Hugging Face BertModel (named initializers, or anonymous MatMul
     * weights [in, out] found through their named biases; see {@link OnnxBertWeights}).
     */
    public static BertWeights fromOnnx(OnnxModel model, BertConfig config) throws OnnxFormatException {
        return OnnxBertWeights.read(model, config);
    }

    /**
     * Reads the weights from a {@code .safetensors} file with Hugging Face BERT names, as {@code model.safetensors} of
     * a BertModel has them, or with the {@code bert.} prefix a BertFor... model adds. Tensors in F32, F16, BF16 or F64
     * are read as F32; other tensors in the file (a pooler, a task head) are ignored.
     *
     * @throws IllegalArgumentException naming the first tensor that is missing, has the wrong shape or is not floating
     *                                  point
     */
    public static BertWeights fromSafetensors(SafetensorsFile file, BertConfig config) {
        Map<String, Tensor> out = new LinkedHashMap<>();
        try {
            for (Map.Entry<String, long[]> e : expectedShapes(config).entrySet()) {
                String name = e.getKey();
                String stored = file.contains(name) ? name : "bert." + name;
                if (!file.contains(stored)) {
                    throw new IllegalArgumentException("weights: missing '" + name + "' (nor 'bert." + name + "') in "
                            + file);
                }
                SafetensorsTensor t = file.get(stored);
                if (!Arrays.equals(t.shape(), e.getValue())) {
                    throw new IllegalArgumentException("weights: '" + stored + "' has shape " + Arrays.toString(t.shape())
                            + " but the config needs " + Arrays.toString(e.getValue()));
                }
                if (t.dtype().isIntegral()) {
                    throw new IllegalArgumentException("weights: '" + stored + "' is " + t.dtype()
                            + ", not floating point");
                }
                out.put(name, Tensor.of(t.toFloatArray(), e.getValue()));
            }
        } catch (RuntimeException e) {
            out.values().forEach(Tensor::close);
            throw e;
        }
        return new BertWeights(config, out);
    }

    /**
     * Writes every tensor to {@code file} in {@code dtype} (F32, F16 or BF16) under its Hugging Face name, readable by
     * {@link #fromSafetensors} and by the {@code safetensors} Python package.
     */
    public void writeSafetensors(Path file, DType dtype) throws IOException {
        Map<String, Tensor> converted = new LinkedHashMap<>();
        List<Tensor> made = new ArrayList<>();
        try {
            for (Map.Entry<String, Tensor> e : tensors.entrySet()) {
                Tensor t = e.getValue();
                if (t.dtype() != dtype) {
                    t = t.to(dtype);
                    made.add(t);
                }
                converted.put(e.getKey(), t);
            }
            Safetensors.write(file, converted, Map.of("format", "pt"));
        } finally {
            made.forEach(Tensor::close);
        }
    }

    public BertConfig config() {
        return config;
    }

    /** All tensors by name, in load order. */
    public Map<String, Tensor> tensors() {
        return tensors;
    }

    /** The tensor with this name; IllegalArgumentException naming it when absent. */
    public Tensor tensor(String name) {
        Tensor t = tensors.get(name);
        if (t == null) {
            throw new IllegalArgumentException("weights: no tensor named '" + name + "'");
        }
        return t;
    }

    /** Name of a tensor of encoder layer i, e.g. {@code layer(2, "intermediate.dense.weight")}. */
    static String layer(int i, String suffix) {
        return "encoder.layer." + i + "." + suffix;
    }

    /** Every name and shape a model of this config has, in load order. */
    static Map<String, long[]> expectedShapes(BertConfig c) {
        Map<String, long[]> m = new LinkedHashMap<>();
        m.put("embeddings.word_embeddings.weight", new long[] {c.vocabularySize(), c.hidden()});
        m.put("embeddings.position_embeddings.weight", new long[] {c.maxPositions(), c.hidden()});
        m.put("embeddings.token_type_embeddings.weight", new long[] {c.typeVocabularySize(), c.hidden()});
        m.put("embeddings.LayerNorm.weight", new long[] {c.hidden()});
        m.put("embeddings.LayerNorm.bias", new long[] {c.hidden()});
        for (int i = 0; i < c.layers(); i++) {
            for (String lin : new String[] {QUERY, KEY, VALUE, ATTENTION_OUTPUT}) {
                m.put(layer(i, lin + ".weight"), new long[] {c.hidden(), c.hidden()});
                m.put(layer(i, lin + ".bias"), new long[] {c.hidden()});
            }
            m.put(layer(i, ATTENTION_NORM + ".weight"), new long[] {c.hidden()});
            m.put(layer(i, ATTENTION_NORM + ".bias"), new long[] {c.hidden()});
            m.put(layer(i, INTERMEDIATE + ".weight"), new long[] {c.intermediate(), c.hidden()});
            m.put(layer(i, INTERMEDIATE + ".bias"), new long[] {c.intermediate()});
            m.put(layer(i, OUTPUT + ".weight"), new long[] {c.hidden(), c.intermediate()});
            m.put(layer(i, OUTPUT + ".bias"), new long[] {c.hidden()});
            m.put(layer(i, OUTPUT_NORM + ".weight"), new long[] {c.hidden()});
            m.put(layer(i, OUTPUT_NORM + ".bias"), new long[] {c.hidden()});
        }
        return m;
    }

    /** Checks names and shapes against the config; IllegalArgumentException naming the first mismatch. */
    static void check(BertConfig config, Map<String, Tensor> tensors) {
        for (Map.Entry<String, long[]> e : expectedShapes(config).entrySet()) {
            Tensor t = tensors.get(e.getKey());
            if (t == null) {
                throw new IllegalArgumentException("weights: missing '" + e.getKey() + "'");
            }
            if (!Arrays.equals(t.shape(), e.getValue())) {
                throw new IllegalArgumentException("weights: '" + e.getKey() + "' has shape "
                        + Arrays.toString(t.shape()) + " but the config needs " + Arrays.toString(e.getValue()));
            }
        }
    }

    @Override
    public void close() {
        tensors.values().forEach(Tensor::close);
    }
}
