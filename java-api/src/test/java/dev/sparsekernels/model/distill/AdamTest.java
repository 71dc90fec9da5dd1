package dev.sparsekernels.model.distill;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class AdamTest {

    @Test
    void firstStepMovesEveryWeightByTheLearningRateWhateverTheGradientScale() {
        Parameter p = new Parameter("w", new float[] {1, 1, 1, 1});
        float[] g = {1e-4f, -3f, 250f, -0.02f};
        System.arraycopy(g, 0, p.grad, 0, 4);
        new Adam(0.9, 0.999, 1e-12).step(List.of(p), 0.01);
        for (int i = 0; i < 4; i++) {
            assertEquals(1 - 0.01 * Math.signum(g[i]), p.value[i], 1e-6, "weight " + i);
        }
    }

    @Test
    void stepsMinimiseAQuadratic() {
        Parameter p = new Parameter("w", new float[] {3, -2});
        Adam adam = new Adam(0.9, 0.999, 1e-8);
        for (int s = 0; s < 2000; s++) {
            p.grad[0] = 2 * (p.value[0] - 0.5f);
            p.grad[1] = 8 * (p.value[1] + 1);
            adam.step(List.of(p), 0.01);
        }
        assertEquals(2000, adam.steps());
        assertTrue(Math.abs(p.value[0] - 0.5) < 1e-2 && Math.abs(p.value[1] + 1) < 1e-2,
                p.value[0] + ", " + p.value[1]);
    }
}
