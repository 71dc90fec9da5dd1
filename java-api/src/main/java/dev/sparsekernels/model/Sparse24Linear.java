package dev.sparsekernels.model;

import dev.sparsekernels.DType;
import dev.sparsekernels.Kernels;
import dev.sparsekernels.Sparse24Matrix;
import dev.sparsekernels.Tensor;
import dev.sparsekernels.cpu.Sparse24Gemm;
import dev.sparsekernels.cpu.Sparse24Panels;

/** A linear layer whose weight is 2:4 sparse (2 of every 4 along {@code in} kept); owns weight and bias. */
public final class Sparse24Linear implements LinearLayer {
    /** Below this many rows a call keeps the one-off path (its few-token kernels); from it on, the panels. */
    static final int PANEL_MIN_ROWS = 16;

    private final Sparse24Matrix weight;
    private final LayerBias bias;
    /** 16-row panels for many-row calls where they pay ({@link Sparse24Gemm#panelsPay}), made on first use. */
    private volatile Sparse24Panels panels;

    /** Takes ownership of weight and bias [out] (null for none). */
    public Sparse24Linear(Sparse24Matrix weight, Tensor bias) {
        if (weight == null) {
            throw new IllegalArgumentException("weight: expected a 2:4 matrix but got null");
        }
        this.bias = new LayerBias(bias, weight.outFeatures());
        this.weight = weight;
    }

    /**
     * Magnitude 2:4 pruning of a dense layer (the 2 largest |w| of every 4); the dense layer is left as it was and
     * the bias is copied, so either can be closed without the other.
     */
    public static Sparse24Linear pruneByMagnitude(DenseLinear dense) {
        return new Sparse24Linear(Sparse24Matrix.prune(dense.weight()), Biases.copy(dense.bias()));
    }

    /**
     * Wanda 2:4 pruning of a dense layer: keeps the 2 largest |w[o][j]| · inputNorm[j] of every 4 along in, where
     * inputNorm is the size of input j over calibration data (its RMS or L2 norm: only the ranking within a group
     * matters). The dense layer is left as it was and the bias is copied.
     */
    public static Sparse24Linear pruneByWanda(DenseLinear dense, float[] inputNorm) {
        return new Sparse24Linear(Sparse24Matrix.prune(dense.weight(), inputNorm), Biases.copy(dense.bias()));
    }

    public Sparse24Matrix weight() {
        return weight;
    }

    public Tensor bias() {
        return bias.tensor();
    }

    @Override
    public int inFeatures() {
        return weight.inFeatures();
    }

    @Override
    public int outFeatures() {
        return weight.outFeatures();
    }

    @Override
    public Tensor forward(Kernels kernels, Tensor x) {
        return kernels.linear(x, weight, bias.tensor());
    }

    @Override
    public float[] forward(Kernels kernels, DType activations, float[] x, int rows) {
        return CpuPath.forward(this, kernels, activations, x, rows, weight.isClosed(), "Sparse24Linear",
                (y, threads) -> {
                    if (rows >= PANEL_MIN_ROWS && Sparse24Gemm.panelsPay()) {
                        Sparse24Gemm.linear(x, rows, panels(), bias.array(), y, threads);
                    } else {
                        Sparse24Gemm.linear(x, rows, inFeatures(), weight.cpuWeights(), bias.array(), y, threads);
                    }
                });
    }

    private Sparse24Panels panels() {
        Sparse24Panels p = panels;
        if (p == null) {
            synchronized (this) {
                p = panels;
                if (p == null) {
                    p = Sparse24Panels.of(weight.cpuWeights());
                    panels = p;
                }
            }
        }
        return p;
    }

    @Override
    public long parameterCount() {
        return (long) outFeatures() * inFeatures() / 2 + bias.parameters(outFeatures());
    }

    @Override
    public String format() {
        return "2:4";
    }

    @Override
    public void close() {
        weight.close();
        bias.close();
    }

    @Override
    public String toString() {
        return "Sparse24Linear[" + outFeatures() + ", " + inFeatures() + "]";
    }
}
