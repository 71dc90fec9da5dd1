package dev.sparsekernels.check;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sparsekernels.Kernels;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * GPU group: needs a CUDA device; run by ci/gpu-check.sh (ci/gpu/junit-gpu.sh) or under Maven with
 * -Dsk.test.groups=gpu -Dsk.test.excludedGroups=.
 */
@Tag("gpu")
class CudaMatchesCpuTwinTest {
    @Test
    void everyKernelMatchesItsCpuTwinOnRandomOddAndEdgeShapes() {
        try (Kernels cuda = Kernels.cuda(); Kernels cpu = Kernels.cpu()) {
            List<TwinCheck.Result> results = TwinCheck.run(cuda, cpu, 20261126L);
            String failures = results.stream().filter(r -> !r.pass).map(Object::toString)
                    .collect(Collectors.joining("\n"));
            assertTrue(failures.isEmpty(), failures);
        }
    }
}
