package dev.sparsekernels.djl;

import ai.djl.MalformedModelException;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import dev.sparsekernels.BlockSparseMatrix;
import dev.sparsekernels.DenseMatrix;
import dev.sparsekernels.Kernels;
import dev.sparsekernels.Sparse24Matrix;
import dev.sparsekernels.Tensor;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.util.List;

/**
 * A drop-in for DJL's {@code Linear} that runs our kernels on a 2:4, block-sparse (BSR) or dense (e.g. channel-
 * compacted) weight W [out, in]: input [..., in] → output [..., out], {@code Y = X · Wᵀ + b}, like {@code Linear}.
 *
 * <p>Data path on the CPU with the PyTorch engine: the input array's memory is read in place (a {@link Tensor#wrap}
 * view through {@link TensorBridge}); the result tensor's buffer becomes the output array's memory. Nothing is copied
 * between DJL and the kernels. (The CPU backend itself reads X into a float[] and builds Y from one, as for every
 * caller of {@link Kernels}.) With engines that expose no direct buffer, the input is copied once more. The output
 * has the input's data type (float32, float16, or bfloat16 where the engine allows it: our kernels compute in F32 and
 * a 16-bit result is converted, one extra copy) and lives on the input's manager.
 *
 * <p>Inference only: the weight is a fixed sparse format with no DJL parameters and no gradients, so a forward pass
 * with {@code training = true} throws {@link UnsupportedOperationException}; train the dense model, then sparsify.
 * For the same reason the block cannot be saved with the model's parameters: save the dense model and sparsify
 * after loading.
 *
 * <p>The block owns its weight and bias; {@link #clear()} closes them. The {@link Kernels} stay the caller's.
 */
public final class SparseLinear extends AbstractBlock {
    private static final byte VERSION = 1;

    private final Kernels kernels;
    private final LinearWeight weight;
    private final Tensor bias;

    private SparseLinear(Kernels kernels, LinearWeight weight, Tensor bias) {
        super(VERSION);
        if (kernels == null) {
            weight.close();
            throw new IllegalArgumentException("kernels: expected a backend (e.g. Kernels.cpu()) but got null");
        }
        if (bias != null && (bias.isClosed() || bias.rank() != 1 || bias.dim(0) != weight.out())) {
            weight.close();
            throw new IllegalArgumentException("bias: expected shape [" + weight.out() + "] but got " + bias);
        }
        this.kernels = kernels;
        this.weight = weight;
        this.bias = bias;
        // Built from an initialized layer, this block has nothing to initialize: record the input shape it accepts
        // so that containers asking isInitialized() see it as ready.
        this.inputShapes = new Shape[] {new Shape(-1, weight.in())};
    }

    /** A layer running a 2:4 weight; bias [out] may be null. Takes ownership of both. */
    public static SparseLinear of(Kernels kernels, Sparse24Matrix weight, Tensor bias) {
        return new SparseLinear(kernels, LinearWeight.of(weight), bias);
    }

    /** A layer running a block-sparse weight; bias [out] may be null. Takes ownership of both. */
    public static SparseLinear of(Kernels kernels, BlockSparseMatrix weight, Tensor bias) {
        return new SparseLinear(kernels, LinearWeight.of(weight), bias);
    }

    /** A layer running a dense weight [out, in] (a compacted one after channel removal). Takes ownership. */
    public static SparseLinear dense(Kernels kernels, Tensor weight, Tensor bias) {
        return new SparseLinear(kernels, LinearWeight.dense(weight), bias);
    }

    /** A layer running a dense weight already prepared as a {@link DenseMatrix}. Takes ownership of both. */
    public static SparseLinear of(Kernels kernels, DenseMatrix weight, Tensor bias) {
        return new SparseLinear(kernels, LinearWeight.of(weight), bias);
    }

    public int inFeatures() {
        return weight.in();
    }

    public int outFeatures() {
        return weight.out();
    }

    /** "2:4", "bsr:RxC" or "dense". */
    public String format() {
        return weight.format();
    }

    /** Fraction of W's out · in entries the format stores. */
    public double density() {
        return weight.density();
    }

    /** The effective W [out, in] as dense floats (zeros where pruned): what the layer computes with. */
    public float[] denseWeight() {
        return weight.toDenseArray();
    }

    /** A copy of the bias [out], or null. */
    public float[] bias() {
        return bias == null ? null : bias.toFloatArray();
    }

    /**
     * Takes the input shapes of the Linear this block replaces, with the last dimension set to this block's in (which
     * differs after channel removal); null keeps [-1, in].
     */
    void adoptInputShapes(Shape[] shapes) {
        if (shapes != null && shapes.length == 1 && shapes[0].dimension() >= 1) {
            Shape s = shapes[0];
            this.inputShapes = new Shape[] {s.slice(0, s.dimension() - 1).add(inFeatures())};
        }
    }

    @Override
    protected NDList forwardInternal(ParameterStore parameterStore, NDList inputs, boolean training,
            PairList<String, Object> params) {
        if (training) {
            throw new UnsupportedOperationException("SparseLinear is inference-only: its " + format()
                    + " weight has no gradients; train the dense model, then sparsify it");
        }
        if (inputs == null || inputs.size() != 1) {
            throw new IllegalArgumentException("inputs: expected one array [..., " + inFeatures() + "] but got "
                    + (inputs == null ? "null" : inputs.size() + " arrays"));
        }
        NDArray x = inputs.get(0);
        checkInput(x.getShape());
        if (x.getShape().size() == 0) { // no rows, as DJL's Linear answers: an empty [..., out] (the kernels take none)
            Shape s = x.getShape();
            return new NDList(x.getManager().zeros(s.slice(0, s.dimension() - 1).add(outFeatures()),
                    x.getDataType()));
        }
        try (TensorBridge.Borrowed bx = TensorBridge.borrow(x);
             Tensor y = weight.linear(kernels, bx.tensor(), bias)) {
            return new NDList(TensorBridge.toNDArray(x.getManager(), y, x.getDataType()));
        }
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputs) {
        if (inputs == null || inputs.length != 1) {
            throw new IllegalArgumentException("input shapes: expected one shape [..., " + inFeatures() + "] but got "
                    + (inputs == null ? "null" : inputs.length));
        }
        checkInput(inputs[0]);
        Shape s = inputs[0];
        return new Shape[] {s.slice(0, s.dimension() - 1).add(outFeatures())};
    }

    /** One input, as Linear describes it (the inherited version pairs no names with the shape and throws). */
    @Override
    public PairList<String, Shape> describeInput() {
        return new PairList<>(List.of("linearInput"), List.of(inputShapes[0]));
    }

    @Override
    protected void beforeInitialize(Shape... shapes) {
        getOutputShapes(shapes); // validates: nothing to initialize, but a wrong input width should fail here
        super.beforeInitialize(shapes);
    }

    /** [..., in]; an unknown last dimension (-1) passes, as DJL uses -1 for "any". */
    private void checkInput(Shape s) {
        if (s == null || s.dimension() < 1) {
            throw new IllegalArgumentException("input: expected shape [..., " + inFeatures() + "] but got "
                    + (s == null ? "null" : "a scalar"));
        }
        long last = s.get(s.dimension() - 1);
        if (last != inFeatures() && last != -1) {
            throw new IllegalArgumentException("input: expected last dimension " + inFeatures()
                    + " (the layer's in features) but got shape " + s);
        }
    }

    @Override
    public void saveParameters(DataOutputStream os) {
        throw new UnsupportedOperationException("SparseLinear cannot be saved with DJL parameters: save the dense model"
                + " and sparsify it after loading");
    }

    @Override
    public void loadParameters(NDManager manager, DataInputStream is) throws MalformedModelException {
        throw new MalformedModelException("SparseLinear cannot be loaded from DJL parameters: load the dense model"
                + " and sparsify it");
    }

    /** Closes the weight and bias (device copies included); the block must not run afterwards. */
    @Override
    public void clear() {
        weight.close();
        if (bias != null) {
            bias.close();
        }
    }

    @Override
    public String toString() {
        return "SparseLinear(" + format() + ", " + inFeatures() + " -> " + outFeatures()
                + (bias == null ? ", no bias" : "") + ")";
    }
}
