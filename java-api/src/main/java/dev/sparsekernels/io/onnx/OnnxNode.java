package dev.sparsekernels.io.onnx;

import java.util.List;
import java.util.Map;

/** One node of the graph ({@code NodeProto}): operator, input and output value names, attributes by name. */
public final class OnnxNode {
    private final String name;
    private final String opType;
    private final String domain;
    private final List<String> inputs;
    private final List<String> outputs;
    private final Map<String, OnnxAttribute> attributes;

    OnnxNode(String name, String opType, String domain, List<String> inputs, List<String> outputs,
            Map<String, OnnxAttribute> attributes) {
        this.name = name;
        this.opType = opType;
        this.domain = domain;
        this.inputs = List.copyOf(inputs);
        this.outputs = List.copyOf(outputs);
        this.attributes = Map.copyOf(attributes);
    }

    /** The node's name; may be empty. */
    public String name() {
        return name;
    }

    public String opType() {
        return opType;
    }

    /** The operator domain; empty for the default ONNX domain. */
    public String domain() {
        return domain;
    }

    /** Input value names in order; an empty name marks an omitted optional input. */
    public List<String> inputs() {
        return inputs;
    }

    public List<String> outputs() {
        return outputs;
    }

    public Map<String, OnnxAttribute> attributes() {
        return attributes;
    }

    /** The attribute, or null when absent. */
    public OnnxAttribute attribute(String attributeName) {
        return attributes.get(attributeName);
    }

    @Override
    public String toString() {
        return opType + (name.isEmpty() ? "" : " '" + name + "'") + " " + inputs + " -> " + outputs;
    }
}
