package dev.sparsekernels.cli;

import dev.sparsekernels.DType;
import dev.sparsekernels.Tensor;
import dev.sparsekernels.io.Npy;
import dev.sparsekernels.io.NpyArray;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;

/** .npy files to tensors and back, with messages that name the option the file came from. */
final class NpyFiles {
    private NpyFiles() {
    }

    /** Reads a float array (f32, f16, f64 or integer .npy) as an F32 tensor. */
    static Tensor read(String option, Path path) throws IOException {
        NpyArray a;
        try {
            a = Npy.read(path);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(option + ": " + e.getMessage(), e);
        }
        return Tensor.of(a.toFloatArray(), a.shape());
    }

    static Tensor readMatrix(String option, Path path) throws IOException {
        Tensor t = read(option, path);
        if (t.rank() != 2) {
            t.close(); // not handed to the caller, so ours to close
            throw new IllegalArgumentException(option + " " + path + ": expected a 2-D array but got shape "
                    + Arrays.toString(t.shape()));
        }
        return t;
    }

    static void writeF32(Path path, Tensor t) throws IOException {
        try (Tensor f = t.dtype() == DType.F32 ? null : t.to(DType.F32)) {
            Tensor src = f == null ? t : f;
            Npy.write(path, NpyArray.ofFloats(src.toFloatArray(), src.shape()));
        }
    }
}
