package dev.sparsekernels.io.onnx;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The main graph of a model ({@code GraphProto}): nodes in file order (ONNX requires topological order),
 * initializers by name, and the names of the graph inputs and outputs.
 */
public final class OnnxGraph {
    private final String name;
    private final List<OnnxNode> nodes;
    private final Map<String, OnnxTensor> initializers;
    private final List<String> inputs;
    private final List<String> outputs;

    OnnxGraph(String name, List<OnnxNode> nodes, Map<String, OnnxTensor> initializers, List<String> inputs,
            List<String> outputs) {
        this.name = name;
        this.nodes = List.copyOf(nodes);
        this.initializers = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(initializers));
        this.inputs = List.copyOf(inputs);
        this.outputs = List.copyOf(outputs);
    }

    public String name() {
        return name;
    }

    public List<OnnxNode> nodes() {
        return nodes;
    }

    /** Initializers by name, in file order. */
    public Map<String, OnnxTensor> initializers() {
        return initializers;
    }

    /** Graph input names, including those that have an initializer (older exports list weights as inputs). */
    public List<String> inputs() {
        return inputs;
    }

    public List<String> outputs() {
        return outputs;
    }

    /**
     * The constant value with this name: an initializer, or the {@code value} of the Constant node producing it
     * (constant-folded exports keep some weights there). Null when no constant has the name.
     */
    public OnnxTensor constant(String valueName) {
        OnnxTensor t = initializers.get(valueName);
        if (t != null) {
            return t;
        }
        OnnxNode producer = producer(valueName);
        if (producer != null && producer.opType().equals("Constant")) {
            OnnxAttribute value = producer.attribute("value");
            if (value != null && value.kind() == OnnxAttribute.Kind.TENSOR) {
                return value.tensorValue();
            }
        }
        return null;
    }

    /** The node with this value among its outputs, or null (graph inputs and initializers have no producer). */
    public OnnxNode producer(String valueName) {
        for (OnnxNode n : nodes) {
            if (n.outputs().contains(valueName)) {
                return n;
            }
        }
        return null;
    }

    /** The nodes reading this value, in file order. */
    public List<OnnxNode> consumers(String valueName) {
        return nodes.stream().filter(n -> n.inputs().contains(valueName)).toList();
    }
}
