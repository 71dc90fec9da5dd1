package dev.sparsekernels.model.distill;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sparsekernels.Kernels;
import dev.sparsekernels.model.BertEncoder;
import dev.sparsekernels.model.BertLayer;
import dev.sparsekernels.model.TinyBert;
import dev.sparsekernels.model.text.TokenBatch;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Every parameter's analytic gradient (the backward passes of LayerNorm, GELU, attention, the linears, and both loss
 * terms) against central finite differences of the loss, on a tiny two-layer BERT student trained towards a teacher
 * with other weights and narrower FFN and attention, with sequences of different lengths in one batch.
 */
class DistillationGradientsMatchFiniteDifferencesTest {

    @Test
    void everyParameterGradientMatchesFiniteDifferences() {
        try (Kernels kernels = Kernels.cpu(2);
                BertEncoder teacher = DistillationFixture.encoder(kernels, 1);
                BertEncoder student = DistillationFixture.encoder(kernels, 2)) {
            DistillationFixture.narrow(student, 40, 3); // widths the teacher does not have
            TokenBatch batch = DistillationFixture.batch(3, 9, 7);
            int hidden = TinyBert.CONFIG.hidden();
            List<TrainableLayer> teacherLayers = layers(teacher);
            List<TrainableLayer> layers = layers(student);
            Distiller.Targets t = Distiller.Targets.of(batch, student.inputStates(batch), teacherLayers, hidden, 1);
            Distiller.Options options = new Distiller.Options(1, 1e-3, 0, 1.0, 0.7, 1, 1);
            Distiller.step(layers, t, options, hidden, 1);
            Random r = new Random(3);
            int checked = 0;
            double worst = 0;
            for (TrainableLayer layer : layers) {
                for (Parameter p : layer.parameters()) {
                    float[] analytic = p.grad.clone();
                    for (int k = 0; k < 4; k++) {
                        int i = r.nextInt(p.size());
                        float saved = p.value[i];
                        float eps = 1e-2f;
                        p.value[i] = saved + eps;
                        double up = Distiller.step(layers, t, options, hidden, 1);
                        p.value[i] = saved - eps;
                        double down = Distiller.step(layers, t, options, hidden, 1);
                        p.value[i] = saved;
                        double numeric = (up - down) / (2 * eps);
                        double err = Math.abs(numeric - analytic[i]);
                        double allowed = 2e-4 + 0.02 * Math.abs(numeric);
                        worst = Math.max(worst, err / allowed);
                        assertTrue(err <= allowed, p.name + "[" + i + "]: analytic " + analytic[i] + ", numeric "
                                + numeric);
                        checked++;
                    }
                }
            }
            System.out.println("checked " + checked + " gradients, worst error / allowed " + worst);
        }
    }

    private static List<TrainableLayer> layers(BertEncoder e) {
        List<TrainableLayer> out = new ArrayList<>();
        List<BertLayer> layers = e.layers();
        for (int l = 0; l < layers.size(); l++) {
            out.add(TrainableLayer.of(layers.get(l), l));
        }
        return out;
    }
}
