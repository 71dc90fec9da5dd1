package dev.sparsekernels.cpu;

/**
 * A dense weight matrix W [out, in] prepared once for repeated {@link DenseGemm#linear(float[], int, DenseWeights,
 * float[], float[], int)} calls (a model's linear layers); immutable.
 *
 * <p>Prepared form: Wᵀ in panels of {@link CpuKernels#DENSE_NB} = 16 outputs, {@code [panel][in][16]}, the last panel
 * zero-padded: the layout the dense driver packs X into for one-off GEMMs, with the roles of X and W swapped. The
 * 6 x 16 microkernel then broadcasts X straight from its row-major rows and accumulates a [6 tokens][16 outputs] tile
 * of Y in place, so a call neither packs X nor transposes a C^T tile back into Y. Measured against the one-off path
 * on the MiniLM shapes (4096 tokens, 2 threads, one process, alternating): in/out 384/1536 1.17-1.34x, 1536/384
 * 1.08-1.25x, 384/384 1.39-1.59x. Memory: the panels, {@code ceil(out/16)*16*in} floats (W itself is not kept).
 */
public final class DenseWeights {
    private final int out;
    private final int in;
    private final float[] panels;

    private DenseWeights(int out, int in, float[] panels) {
        this.out = out;
        this.in = in;
        this.panels = panels;
    }

    /**
     * Prepares W [out, in] (row-major; copied, not kept).
     *
     * @throws IllegalArgumentException naming the argument when a size is not positive or w has the wrong length
     */
    public static DenseWeights of(float[] w, int out, int in) {
        Checks.positive("out", out);
        Checks.positive("in", in);
        Checks.notNull("w", w);
        Checks.length("w", w.length, out, in, "out*in");
        final int nb = CpuKernels.DENSE_NB;
        int panelCount = GemmDriver.ceilDiv(out, nb);
        float[] p = panels("w", out, in);
        GemmDriver.pack(w, out, in, 0, panelCount, nb, p, 0, 1);
        return new DenseWeights(out, in, p);
    }

    /**
     * Prepares W = Aᵀ for A [rows, cols] (row-major; copied, not kept), so W is [cols, rows]: a product with a
     * transposed matrix, such as the input gradient dY · W of a linear layer, without transposing it element by
     * element. Each panel row is 16 consecutive values of one row of A, so this is a copy of 64-byte runs.
     *
     * @throws IllegalArgumentException naming the argument when a size is not positive or a has the wrong length
     */
    public static DenseWeights ofTransposed(float[] a, int rows, int cols) {
        Checks.positive("rows", rows);
        Checks.positive("cols", cols);
        Checks.notNull("a", a);
        Checks.length("a", a.length, rows, cols, "rows*cols");
        final int nb = CpuKernels.DENSE_NB;
        int panelCount = GemmDriver.ceilDiv(cols, nb);
        float[] p = panels("a", cols, rows);
        for (int panel = 0; panel < panelCount; panel++) {
            int c0 = panel * nb;
            int width = Math.min(nb, cols - c0);
            int dst = panel * nb * rows;
            for (int r = 0; r < rows; r++, dst += nb) {
                System.arraycopy(a, r * cols + c0, p, dst, width);
            }
        }
        return new DenseWeights(cols, rows, p);
    }

    /** Zeroed panels for a prepared W [out, in]; name is the argument blamed when they would not fit an array. */
    private static float[] panels(String name, int out, int in) {
        long n = (long) GemmDriver.ceilDiv(out, CpuKernels.DENSE_NB) * CpuKernels.DENSE_NB * in;
        if (n > Integer.MAX_VALUE - 16) {
            throw new IllegalArgumentException(name + ": " + out + " x " + in + " is too large for one prepared"
                    + " weight (" + n + " floats, at most " + (Integer.MAX_VALUE - 16) + ")");
        }
        return new float[(int) n];
    }

    public int outFeatures() {
        return out;
    }

    public int inFeatures() {
        return in;
    }

    float[] panels() {
        return panels;
    }
}
