package dev.sparsekernels.djl;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Block;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import dev.sparsekernels.channels.ChannelStatistics;

/**
 * Stands in for a layer during a calibration pass: accumulates per-channel statistics of the layer's input
 * [..., in] (read in place through {@link TensorBridge}), then runs the layer itself, so the rest of the model sees
 * the dense activations.
 */
final class ActivationRecorder extends AbstractBlock {
    private final Block layer;
    private final String path;
    private final ChannelStatistics statistics;

    ActivationRecorder(Block layer, String path, int in) {
        this.layer = addChildBlock("recorded", layer);
        this.path = path.isEmpty() ? "root Linear" : path;
        this.statistics = new ChannelStatistics(in);
    }

    Block layer() {
        return layer;
    }

    ChannelStatistics statistics() {
        return statistics;
    }

    @Override
    protected NDList forwardInternal(ParameterStore parameterStore, NDList inputs, boolean training,
            PairList<String, Object> params) {
        NDArray input = inputs.singletonOrThrow();
        Shape s = input.getShape();
        if (s.dimension() < 1 || s.get(s.dimension() - 1) != statistics.channels()) {
            throw new IllegalArgumentException("calibration: " + path + " expects inputs [..., "
                    + statistics.channels() + "] but the calibration pass gave it " + s);
        }
        try (TensorBridge.Borrowed x = TensorBridge.borrow(input)) {
            statistics.accept(x.tensor());
        }
        return layer.forward(parameterStore, inputs, training, params);
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return layer.getOutputShapes(inputShapes);
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
        layer.initialize(manager, dataType, inputShapes);
    }

    @Override
    public boolean isInitialized() {
        return layer.isInitialized();
    }
}
