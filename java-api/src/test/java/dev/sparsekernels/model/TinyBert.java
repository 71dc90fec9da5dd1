package dev.sparsekernels.model;

import dev.sparsekernels.Tensor;
import dev.sparsekernels.io.onnx.ProtoWriter;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;

/**
 * A small random BERT (2 layers, width 32, 4 heads of 8, FFN 64) and ONNX files holding it, for exact tests (public
 * for the tests of other packages, e.g. model.prune).
 */
public final class TinyBert {
    public static final BertConfig CONFIG = new BertConfig(2, 32, 4, 64, 40, 20, 2, 1e-12f);

    private TinyBert() {
    }

    /** Parameters by Hugging Face name, linear weights [out, in]; LayerNorm gains near 1 so states stay lively. */
    public static Map<String, float[]> parameters(BertConfig c, long seed) {
        Random rnd = new Random(seed);
        Map<String, float[]> p = new LinkedHashMap<>();
        for (Map.Entry<String, long[]> e : BertWeights.expectedShapes(c).entrySet()) {
            long n = 1;
            for (long d : e.getValue()) {
                n *= d;
            }
            float[] v = new float[(int) n];
            boolean gain = e.getKey().endsWith("LayerNorm.weight");
            boolean bias = e.getKey().endsWith(".bias");
            double scale = e.getValue().length == 2 ? 1.0 / Math.sqrt(e.getValue()[1]) * 1.5 : 0.1;
            for (int i = 0; i < v.length; i++) {
                double g = rnd.nextGaussian();
                v[i] = (float) (gain ? 1 + 0.1 * g : bias ? 0.1 * g : scale * g);
            }
            if (e.getKey().startsWith("embeddings.") && e.getValue().length == 2) {
                for (int i = 0; i < v.length; i++) {
                    v[i] = (float) rnd.nextGaussian();
                }
            }
            p.put(e.getKey(), v);
        }
        return p;
    }

    public static BertWeights weights(BertConfig c, Map<String, float[]> params) {
        Map<String, Tensor> t = new LinkedHashMap<>();
        Map<String, long[]> shapes = BertWeights.expectedShapes(c);
        for (Map.Entry<String, float[]> e : params.entrySet()) {
            t.put(e.getKey(), Tensor.of(e.getValue(), shapes.get(e.getKey())));
        }
        return new BertWeights(c, t);
    }

    /**
     * The model as torch.onnx exports it after constant folding: linear weights as anonymous MatMul initializers
     * holding Wᵀ [in, out], added to their named biases by Add nodes (bias first, as in the MiniLM export).
     */
    static byte[] onnxFolded(BertConfig c, Map<String, float[]> params) {
        ProtoWriter g = ProtoWriter.message().string(2, "tiny");
        Map<String, long[]> shapes = BertWeights.expectedShapes(c);
        int anonymous = 700;
        for (Map.Entry<String, float[]> e : params.entrySet()) {
            String name = e.getKey();
            long[] shape = shapes.get(name);
            if (name.startsWith("encoder.layer.") && name.endsWith(".weight") && shape.length == 2) {
                String module = name.substring(0, name.length() - ".weight".length());
                String w = "onnx::MatMul_" + anonymous++;
                int out = (int) shape[0];
                int in = (int) shape[1];
                g.message(5, ProtoWriter.floatTensor(w, OnnxBertWeights.transpose(e.getValue(), out, in), in, out));
                String mm = "/" + module + "/MatMul_output_0";
                g.message(1, ProtoWriter.node("MatMul", "/" + module + "/MatMul", new String[] {"x_" + module, w},
                        new String[] {mm}));
                g.message(1, ProtoWriter.node("Add", "/" + module + "/Add", new String[] {module + ".bias", mm},
                        new String[] {"/" + module + "/Add_output_0"}));
            } else {
                g.message(5, ProtoWriter.floatTensor(name, e.getValue(), shape));
            }
        }
        return ProtoWriter.model(g).toBytes();
    }

    /** The model with every tensor under its PyTorch name, linear weights [out, in] (an unfolded export). */
    static byte[] onnxNamed(BertConfig c, Map<String, float[]> params) {
        ProtoWriter g = ProtoWriter.message().string(2, "tiny");
        Map<String, long[]> shapes = BertWeights.expectedShapes(c);
        for (Map.Entry<String, float[]> e : params.entrySet()) {
            g.message(5, ProtoWriter.floatTensor(e.getKey(), e.getValue(), shapes.get(e.getKey())));
        }
        return ProtoWriter.model(g).toBytes();
    }
}
