package dev.sparsekernels;

/**
 * What the weight formats share: a lifetime, and the device copies backends tie to it ({@link Attachments}: closing
 * the matrix frees them, and a matrix nobody closed is counted as leaked when collected). Each format keeps its own
 * values and its cached CPU form, which {@link #close()} drops.
 */
public abstract sealed class WeightMatrix implements AutoCloseable permits DenseMatrix, Sparse24Matrix,
        BlockSparseMatrix {
    private final Attachments attachments;

    WeightMatrix(String owner) {
        this.attachments = new Attachments(owner);
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
        dropCpuForm();
        attachments.close();
    }

    /** Forgets the format's cached CPU form (on close). */
    abstract void dropCpuForm();

    /** Throws IllegalStateException naming the matrix once it is closed. */
    final void checkOpen() {
        attachments.checkOpen();
    }
}
