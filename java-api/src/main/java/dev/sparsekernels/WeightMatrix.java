package dev.sparsekernels;

/**
 * What the weight formats share: W's shape [out, in] and dtype, a lifetime, and the device copies backends tie to it ({@link Attachments}: closing
 * the matrix frees them, and a matrix nobody closed is counted as leaked when collected). Each format keeps its own
 * values and its cached CPU form, which {@link #close()} drops.
 */
public abstract sealed class WeightMatrix implements AutoCloseable permits DenseMatrix, Sparse24Matrix,
        BlockSparseMatrix {
    /** W's shape [out, in] and the precision of its values (F16/BF16 values are exactly representable there). */
    final int rows, cols;
    final DType dtype;
    private final Attachments attachments;
    private volatile Object cpuForm;

    WeightMatrix(String owner, int rows, int cols, DType dtype) {
        this.rows = rows;
        this.cols = cols;
        this.dtype = dtype;
        this.attachments = new Attachments(owner);
    }

    public int rows() {
        return rows;
    }

    public int cols() {
        return cols;
    }

    /** out = rows of W. */
    public int outFeatures() {
        return rows;
    }

    /** in = columns of W. */
    public int inFeatures() {
        return cols;
    }

    public DType dtype() {
        return dtype;
    }

    /** Ties a resource (a device copy) to this matrix's lifetime. Used by backends. */
    public void attach(AutoCloseable resource) {
        attachments.attach(resource);
    }

    /** A resource attached earlier of the given type matching the predicate, or null. */
    public <T> T attachment(Class<T> type, java.util.function.Predicate<T> match) {
        return attachments.find(type, match);
    }

    public boolean isClosed() {
        return attachments.isClosed();
    }

    /** Drops the cached CPU form and frees every device copy; closing again does nothing. */
    @Override
    public void close() {
        cpuForm = null;
        attachments.close();
    }

    /**
     * The format's prepared CPU form, made by {@code make} on first use (once, however many threads ask) and kept
     * until {@link #close()}; refused once closed.
     */
    @SuppressWarnings("unchecked")
    final <T> T cpuForm(java.util.function.Supplier<T> make) {
        Object form = cpuForm;
        if (form == null) {
            synchronized (this) {
                checkOpen();
                form = cpuForm;
                if (form == null) {
                    form = make.get();
                    cpuForm = form;
                }
            }
        }
        return (T) form;
    }

    /** Throws IllegalStateException naming the matrix once it is closed. */
    final void checkOpen() {
        attachments.checkOpen();
    }
}
