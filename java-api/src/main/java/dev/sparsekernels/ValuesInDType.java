package dev.sparsekernels;

import dev.sparsekernels.cpu.Halfs;

/**
 * The check behind the sparse formats' rule that values held as floats are exactly representable in the matrix's
 * dtype: the CPU twin computes with the floats as given and the GPU with them converted, so a value that an F16 or
 * BF16 conversion would round makes the two disagree.
 */
final class ValuesInDType {
    private ValuesInDType() {
    }

    /** Throws naming the first of {@code values} that {@code dtype} cannot hold exactly (NaN passes as NaN). */
    static void check(String what, DType dtype, float[] values) {
        if (dtype == null) {
            throw new IllegalArgumentException("dtype: expected f32, f16 or bf16 but got null");
        }
        if (dtype == DType.F32) {
            return;
        }
        for (int i = 0; i < values.length; i++) {
            float v = values[i];
            float r = dtype == DType.F16 ? Halfs.f16ToF32(Halfs.f32ToF16(v)) : Halfs.bf16ToF32(Halfs.f32ToBf16(v));
            if (Float.compare(r, v) != 0 && !(Float.isNaN(r) && Float.isNaN(v))) {
                throw new IllegalArgumentException(what + "[" + i + "]: " + v + " is not exactly representable in "
                        + dtype + " (nearest " + r + "); round the values to " + dtype + " first");
            }
        }
    }
}
