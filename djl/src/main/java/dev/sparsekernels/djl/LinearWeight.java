package dev.sparsekernels.djl;

import dev.sparsekernels.BlockSparseMatrix;
import dev.sparsekernels.DenseMatrix;
import dev.sparsekernels.Kernels;
import dev.sparsekernels.Sparse24Matrix;
import dev.sparsekernels.Tensor;

/** The weight W [out, in] a {@link SparseLinear} runs, in one of the formats our kernels take. */
abstract class LinearWeight implements AutoCloseable {
    abstract int out();

    abstract int in();

    /** Y = X · Wᵀ + b, a new F32 tensor. */
    abstract Tensor linear(Kernels kernels, Tensor x, Tensor bias);

    /** W as dense floats [out, in], zeros where the format stores none. */
    abstract float[] toDenseArray();

    /** Short name of the format, for toString and reports. */
    abstract String format();

    /** Stored weight values over out · in: what the kernel reads. */
    abstract double density();

    @Override
    public abstract void close();

    static LinearWeight of(Sparse24Matrix w) {
        if (w == null) {
            throw new IllegalArgumentException("weight: expected a 2:4 matrix but got null");
        }
        return new LinearWeight() {
            int out() {
                return w.rows();
            }

            int in() {
                return w.cols();
            }

            Tensor linear(Kernels kernels, Tensor x, Tensor bias) {
                return kernels.linear(x, w, bias);
            }

            float[] toDenseArray() {
                return w.toDenseArray();
            }

            String format() {
                return "2:4";
            }

            double density() {
                return 0.5;
            }

            public void close() {
                w.close();
            }
        };
    }

    static LinearWeight of(BlockSparseMatrix w) {
        if (w == null) {
            throw new IllegalArgumentException("weight: expected a block-sparse matrix but got null");
        }
        return new LinearWeight() {
            int out() {
                return w.rows();
            }

            int in() {
                return w.cols();
            }

            Tensor linear(Kernels kernels, Tensor x, Tensor bias) {
                return kernels.linear(x, w, bias);
            }

            float[] toDenseArray() {
                return w.toDenseArray();
            }

            String format() {
                return "bsr:" + w.blockRows() + "x" + w.blockCols();
            }

            double density() {
                return w.density();
            }

            public void close() {
                w.close();
            }
        };
    }

    /**
     * A dense W, e.g. a layer made smaller by channel removal, copied once into a {@link DenseMatrix} so calls neither
     * read it out of the tensor nor upload it again; the tensor is closed (the layer took ownership of it).
     */
    static LinearWeight dense(Tensor w) {
        if (w == null) {
            throw new IllegalArgumentException("weight: expected a dense [out, in] tensor but got null");
        }
        DenseMatrix m;
        try {
            m = DenseMatrix.of(w);
        } finally {
            w.close();
        }
        return of(m);
    }

    static LinearWeight of(DenseMatrix w) {
        if (w == null) {
            throw new IllegalArgumentException("weight: expected a dense matrix but got null");
        }
        return new LinearWeight() {
            int out() {
                return w.rows();
            }

            int in() {
                return w.cols();
            }

            Tensor linear(Kernels kernels, Tensor x, Tensor bias) {
                return kernels.linear(x, w, bias);
            }

            float[] toDenseArray() {
                return w.toDenseArray();
            }

            String format() {
                return "dense";
            }

            double density() {
                return 1.0;
            }

            public void close() {
                w.close();
            }
        };
    }
}
