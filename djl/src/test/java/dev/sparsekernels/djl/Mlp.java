package dev.sparsekernels.djl;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.Block;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.core.Linear;
import ai.djl.training.ParameterStore;
import java.util.Random;

/** Test support: DJL MLPs on the PyTorch engine with weights we choose, run for inference. */
final class Mlp {
    private Mlp() {
    }

    /** A base manager of the PyTorch engine (loaded offline from the Maven jars; see the pom). */
    static NDManager manager() {
        return Engine.getEngine("PyTorch").newBaseManager();
    }

    /** Linear(hidden) → ReLU → Linear(out), initialized for inputs [1, in], random weights and biases. */
    static SequentialBlock reluMlp(NDManager m, long seed, int in, int hidden, int out) {
        SequentialBlock mlp = new SequentialBlock()
                .add(Linear.builder().setUnits(hidden).build())
                .add(Activation.reluBlock())
                .add(Linear.builder().setUnits(out).build());
        mlp.initialize(m, DataType.FLOAT32, new Shape(1, in));
        randomize(mlp, new Random(seed));
        return mlp;
    }

    /** Every parameter of the tree set to uniform values in [-1, 1). */
    static void randomize(Block block, Random rnd) {
        block.getParameters().values().forEach(p -> {
            NDArray a = p.getArray();
            float[] v = new float[Math.toIntExact(a.size())];
            for (int i = 0; i < v.length; i++) {
                v[i] = rnd.nextFloat() * 2 - 1;
            }
            a.set(v);
        });
    }

    /** An array [rows, cols] of uniform values in [-1, 1) times scale[col]. */
    static NDArray input(NDManager m, long seed, int rows, int cols, float[] scale) {
        Random rnd = new Random(seed);
        float[] v = new float[rows * cols];
        for (int i = 0; i < v.length; i++) {
            v[i] = (rnd.nextFloat() * 2 - 1) * (scale == null ? 1f : scale[i % cols]);
        }
        return m.create(v, new Shape(rows, cols));
    }

    /** One inference forward pass. */
    static NDArray run(Block block, NDManager m, NDArray x) {
        return block.forward(new ParameterStore(m, false), new NDList(x), false).singletonOrThrow();
    }

    static Linear linear(SequentialBlock mlp, int index) {
        return (Linear) mlp.getChildren().get(index).getValue();
    }

    static float[] weight(Linear l) {
        return l.getParameters().get("weight").getArray().toFloatArray();
    }

    static float[] bias(Linear l) {
        return l.getParameters().get("bias").getArray().toFloatArray();
    }

    /** Sets a Linear's weight (and bias, when not null) to the given values. */
    static void set(Linear l, float[] weight, float[] bias) {
        l.getParameters().get("weight").getArray().set(weight);
        if (bias != null) {
            l.getParameters().get("bias").getArray().set(bias);
        }
    }
}
