package dev.sparsekernels.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The one vector shape every Vector API kernel here is written for (8 floats), checked once per kernel set: on a
 * machine whose preferred width is narrower, 256-bit vectors would be emulated slowly, so the scalar kernels win.
 */
final class VectorWidth {
    static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_256;

    private VectorWidth() {
    }

    /** Throws (making the loader fall back to the scalar kernels) when 256-bit vectors are not native here. */
    static void require() {
        if (FloatVector.SPECIES_PREFERRED.vectorBitSize() < 256) {
            throw new UnsupportedOperationException("preferred vector width is "
                    + FloatVector.SPECIES_PREFERRED.vectorBitSize() + " bits, kernels need 256");
        }
    }

    /** Throws (making the loader take the 256-bit kernels) when 512-bit vectors are not native here. */
    static void require512() {
        if (FloatVector.SPECIES_PREFERRED.vectorBitSize() < 512) {
            throw new UnsupportedOperationException("preferred vector width is "
                    + FloatVector.SPECIES_PREFERRED.vectorBitSize() + " bits, 512-bit kernels need 512");
        }
    }

    static String describe() {
        return "Vector API, " + SPECIES.vectorBitSize() + "-bit (" + SPECIES.length() + " floats)";
    }
}
