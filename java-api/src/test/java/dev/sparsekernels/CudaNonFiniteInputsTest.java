package dev.sparsekernels;

import org.junit.jupiter.api.Tag;

/**
 * GPU group: the NaN and infinity policy (docs/reliability.md, "Numbers") on the CUDA kernels, with every case of
 * {@link NonFiniteInputsTest} on F16 inputs. The clean and the poisoned run use the same kernels on the same shapes,
 * so everything away from the poison must come out the same.
 */
@Tag("gpu")
class CudaNonFiniteInputsTest extends NonFiniteInputsTest {
    @Override
    Kernels open() {
        return Kernels.cuda();
    }

    @Override
    DType dtype() {
        return DType.F16;
    }
}
