package dev.sparsekernels.model;

import dev.sparsekernels.Tensor;
import dev.sparsekernels.io.onnx.OnnxFormatException;
import dev.sparsekernels.io.onnx.OnnxGraph;
import dev.sparsekernels.io.onnx.OnnxModel;
import dev.sparsekernels.io.onnx.OnnxNode;
import dev.sparsekernels.io.onnx.OnnxTensor;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Maps the initializers of an ONNX export of a Hugging Face BertModel to {@link BertWeights} names.
 *
 * <p>Embeddings, LayerNorm parameters and biases keep their PyTorch names in the export. Linear weights may not:
 * torch.onnx folds {@code x @ W.T} into {@code MatMul(x, Wt)} with a new, anonymous initializer
 * ({@code onnx::MatMul_787}) holding Wᵀ [in, out]. Such a weight is found through the graph, not through its name:
 * the named bias {@code <module>.bias} is added (Add node) to the output of a MatMul whose second input is the
 * weight; it is then transposed to [out, in]. A weight still named {@code <module>.weight} is taken as [out, in].
 */
final class OnnxBertWeights {
    private final OnnxModel model;
    private final OnnxGraph graph;

    private OnnxBertWeights(OnnxModel model) {
        this.model = model;
        this.graph = model.graph();
    }

    static BertWeights read(OnnxModel model, BertConfig config) throws OnnxFormatException {
        OnnxBertWeights r = new OnnxBertWeights(model);
        Map<String, Tensor> out = new LinkedHashMap<>();
        try {
            for (Map.Entry<String, long[]> e : BertWeights.expectedShapes(config).entrySet()) {
                String name = e.getKey();
                long[] shape = e.getValue();
                boolean linearWeight = name.startsWith("encoder.layer.") && name.endsWith(".weight")
                        && shape.length == 2;
                out.put(name, linearWeight ? r.linearWeight(name, shape) : r.named(name, shape));
            }
        } catch (OnnxFormatException | RuntimeException e) {
            out.values().forEach(Tensor::close);
            throw e;
        }
        return new BertWeights(config, out);
    }

    /** A tensor stored under its own name. */
    private Tensor named(String name, long[] shape) throws OnnxFormatException {
        OnnxTensor t = graph.constant(name);
        if (t == null) {
            throw fail("no initializer named '" + name + "'");
        }
        checkShape(name, t, shape);
        return Tensor.of(floats(name, t), shape);
    }

    private Tensor linearWeight(String name, long[] outIn) throws OnnxFormatException {
        OnnxTensor direct = graph.constant(name);
        if (direct != null) {
            checkShape(name, direct, outIn);
            return Tensor.of(floats(name, direct), outIn);
        }
        String module = name.substring(0, name.length() - ".weight".length());
        String bias = module + ".bias";
        OnnxNode matMul = null;
        for (OnnxNode add : graph.consumers(bias)) {
            if (!add.opType().equals("Add") || add.inputs().size() != 2) {
                continue;
            }
            String other = add.inputs().get(0).equals(bias) ? add.inputs().get(1) : add.inputs().get(0);
            OnnxNode producer = graph.producer(other);
            if (producer != null && producer.opType().equals("MatMul")) {
                matMul = producer;
                break;
            }
        }
        if (matMul == null) {
            throw fail("no initializer named '" + name + "' and no MatMul whose output is added to '" + bias
                    + "' (not a Hugging Face BertModel export?)");
        }
        List<String> in = matMul.inputs();
        OnnxTensor wt = in.size() == 2 ? graph.constant(in.get(1)) : null;
        if (wt == null) {
            throw fail("MatMul " + matMul.name() + " feeding '" + bias + "' has no constant weight as input 2");
        }
        long[] inOut = {outIn[1], outIn[0]};
        checkShape(name + " (as MatMul weight '" + in.get(1) + "', [in, out])", wt, inOut);
        return Tensor.of(transpose(floats(name, wt), (int) outIn[1], (int) outIn[0]), outIn);
    }

    private void checkShape(String what, OnnxTensor t, long[] shape) throws OnnxFormatException {
        if (!Arrays.equals(t.dims(), shape)) {
            throw fail(what + " has shape " + Arrays.toString(t.dims()) + " but the config needs "
                    + Arrays.toString(shape));
        }
    }

    private float[] floats(String name, OnnxTensor t) throws OnnxFormatException {
        if (t.dataType() == null || !t.dataType().isFloating()) {
            throw fail("'" + name + "' holds " + (t.dataType() == null ? "an unknown type" : t.dataType())
                    + ", not floating-point weights");
        }
        return t.toFloatArray();
    }

    /** [rows, cols] row-major to [cols, rows]. */
    static float[] transpose(float[] a, int rows, int cols) {
        float[] t = new float[a.length];
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                t[c * rows + r] = a[r * cols + c];
            }
        }
        return t;
    }

    private OnnxFormatException fail(String problem) {
        return new OnnxFormatException(model.source(), problem);
    }
}
