package dev.sparsekernels.djl;

/** How a {@link Sparsifier} ranks the weights (2:4, blocks) or channels it keeps. */
public enum Criterion {
    /** Weight size alone: |w| for 2:4, block L2 norm for blocks, producer-row L2 norm for channels. */
    MAGNITUDE(false),
    /**
     * Wanda (Sun et al. 2023): weights times the RMS of their input over calibration data; for 2:4 |w|·rms_j, for
     * blocks the L2 norm of w·rms_j per tile, for channels rms_j · Σ_i |W2[i,j]| on the consumer.
     */
    WANDA(true),
    /** FLAP (An et al. 2024), channels only: fluctuation scores plus bias compensation with the channel means. */
    FLAP(true);

    private final boolean needsCalibration;

    Criterion(boolean needsCalibration) {
        this.needsCalibration = needsCalibration;
    }

    /** Whether the criterion reads statistics of calibration activations. */
    public boolean needsCalibration() {
        return needsCalibration;
    }
}
