package dev.sparsekernels.model.distill;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sparsekernels.Kernels;
import dev.sparsekernels.BlockSparseMatrix;
import dev.sparsekernels.Tensor;
import dev.sparsekernels.model.BertEncoder;
import dev.sparsekernels.model.BertLayer;
import dev.sparsekernels.model.BlockSparseLinear;
import dev.sparsekernels.model.DenseLinear;
import dev.sparsekernels.model.LinearSlot;
import dev.sparsekernels.model.Sparse24Linear;
import dev.sparsekernels.model.TinyBert;
import dev.sparsekernels.model.prune.Progress;
import dev.sparsekernels.model.text.TokenBatch;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * Distillation end to end on the tiny BERT: a student cut to fewer FFN channels and heads moves towards its teacher
 * on batches it never trained on, keeps its pruned widths, and is deterministic; bad arguments are refused by name.
 */
class DistillerRecoversPrunedModelTest {

    @Test
    void distillationBringsAPrunedStudentCloserToItsTeacherOnUnseenText() {
        try (Kernels kernels = Kernels.cpu(2);
                BertEncoder teacher = DistillationFixture.encoder(kernels, 21);
                BertEncoder student = DistillationFixture.encoder(kernels, 21)) {
            DistillationFixture.narrow(student, 32, 2);
            List<TokenBatch> unseen = batches(6, 900);
            double before = meanCosineGap(teacher, student, unseen);
            AtomicLong steps = new AtomicLong();
            Distiller.Report r = Distiller.distill(teacher, student, batches(40, 100),
                    new Distiller.Options(4, 3e-3, 0.1, 1, 1, 7, 2), steps::addAndGet);
            double after = meanCosineGap(teacher, student, unseen);
            System.out.println("1 - cos on unseen batches: " + before + " -> " + after + ", " + r);
            assertEquals(160, r.steps());
            assertEquals(160, steps.get());
            assertTrue(r.lastEpochLoss() < 0.5 * r.firstEpochLoss(), r.toString());
            assertTrue(after < 0.5 * before, "1 - cos on unseen batches: before " + before + ", after " + after);
            assertEquals(2, student.layers().get(0).heads());
            assertEquals(32, student.layers().get(1).intermediateWidth());
        }
    }

    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(doubles = {0, 0.2})
    void sameSeedSameThreadsGiveTheSameWeights(double tokenNoise) {
        float[][] runs = new float[2][];
        for (int run = 0; run < 2; run++) {
            try (Kernels kernels = Kernels.cpu(2);
                    BertEncoder teacher = DistillationFixture.encoder(kernels, 3);
                    BertEncoder student = DistillationFixture.encoder(kernels, 3)) {
                DistillationFixture.narrow(student, 48, 3);
                Distiller.distill(teacher, student, batches(5, 40),
                        new Distiller.Options(2, 1e-3, 0, 1, 1, tokenNoise, 9, 2), Progress.NONE);
                try (Tensor t = student.embed(DistillationFixture.batch(4, 10, 77))) {
                    runs[run] = t.toFloatArray();
                }
            }
        }
        org.junit.jupiter.api.Assertions.assertArrayEquals(runs[0], runs[1]);
    }

    @Test
    void asAPruningStepItTrainsAndReportsOneUnitPerTrainingStep() {
        try (Kernels kernels = Kernels.cpu(2);
                BertEncoder teacher = DistillationFixture.encoder(kernels, 4);
                BertEncoder student = DistillationFixture.encoder(kernels, 4)) {
            DistillationFixture.narrow(student, 40, 3);
            DistillationStep step = new DistillationStep(teacher, batches(3, 50),
                    new Distiller.Options(2, 1e-3, 0, 1, 1, 1, 2));
            assertEquals(6, step.progressUnits());
            assertTrue(!step.needsStatistics());
            assertTrue(step.describe().contains("2 epochs over 24 calibration sentences"), step.describe());
            double before = meanCosineGap(teacher, student, batches(2, 500));
            AtomicLong units = new AtomicLong();
            step.apply(student, null, units::addAndGet);
            assertEquals(6, units.get());
            assertTrue(meanCosineGap(teacher, student, batches(2, 500)) < before);
        }
    }

    @Test
    void aDivergingRunIsReportedAndLeavesTheStudentAsItWas() {
        try (Kernels kernels = Kernels.cpu(2);
                BertEncoder teacher = DistillationFixture.encoder(kernels, 8);
                BertEncoder student = DistillationFixture.encoder(kernels, 9)) {
            TokenBatch probe = DistillationFixture.batch(3, 8, 61);
            float[] before;
            try (Tensor t = student.embed(probe)) {
                before = t.toFloatArray();
            }
            IllegalStateException e = assertThrows(IllegalStateException.class,
                    () -> Distiller.distill(teacher, student, batches(4, 70),
                            new Distiller.Options(50, 1e30, 0, 1, 1, 1, 2), Progress.NONE));
            assertTrue(e.getMessage().startsWith("distillation diverged"), e.getMessage());
            try (Tensor t = student.embed(probe)) {
                org.junit.jupiter.api.Assertions.assertArrayEquals(before, t.toFloatArray());
            }
        }
    }

    @Test
    void learningRateWarmsUpLinearlyThenDecaysToZero() {
        Distiller.Options o = new Distiller.Options(1, 1e-3, 0.1, 1, 1, 1, 1);
        assertEquals(1e-4, Distiller.rate(o, 0, 100), 1e-12);
        assertEquals(1e-3, Distiller.rate(o, 9, 100), 1e-12);
        assertEquals(1e-3, Distiller.rate(o, 10, 100), 1e-12);
        assertEquals(0.5e-3, Distiller.rate(o, 55, 100), 1e-12);
        assertEquals(1e-3 / 90, Distiller.rate(o, 99, 100), 1e-12);
    }

    @Test
    void badArgumentsAreRefusedByName() {
        assertThrows(IllegalArgumentException.class, () -> new Distiller.Options(0, 1e-3, 0, 1, 1, 1, 1), "epochs");
        IllegalArgumentException lr = assertThrows(IllegalArgumentException.class,
                () -> new Distiller.Options(1, Double.NaN, 0, 1, 1, 1, 1));
        assertTrue(lr.getMessage().startsWith("learningRate"), lr.getMessage());
        IllegalArgumentException w = assertThrows(IllegalArgumentException.class,
                () -> new Distiller.Options(1, 1e-3, 0, 0, 0, 1, 1));
        assertTrue(w.getMessage().startsWith("hiddenWeight"), w.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new Distiller.Options(1, 1e-3, 1, 1, 1, 1, 1));
        IllegalArgumentException noise = assertThrows(IllegalArgumentException.class,
                () -> new Distiller.Options(1, 1e-3, 0, 1, 1, 1.0, 1, 1));
        assertTrue(noise.getMessage().startsWith("tokenNoise"), noise.getMessage());
        try (Kernels kernels = Kernels.cpu(1);
                BertEncoder teacher = DistillationFixture.encoder(kernels, 3);
                BertEncoder student = DistillationFixture.encoder(kernels, 3)) {
            student.layers().get(1).replaceLinear(LinearSlot.INTERMEDIATE,
                    new UnknownFormat(student.layers().get(1).linear(LinearSlot.INTERMEDIATE))).close();
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> Distiller.distill(teacher, student, batches(1, 5),
                            new Distiller.Options(1, 1e-3, 0, 1, 1, 1, 1), Progress.NONE));
            assertTrue(e.getMessage().contains("layer 1 INTERMEDIATE"), e.getMessage());
            List<TokenBatch> withNull = new ArrayList<>(batches(2, 5));
            withNull.add(null);
            IllegalArgumentException n = assertThrows(IllegalArgumentException.class,
                    () -> Distiller.distill(teacher, teacher, withNull, new Distiller.Options(1, 1e-3, 0, 1, 1, 1, 1),
                            Progress.NONE));
            assertTrue(n.getMessage().startsWith("batches[2]"), n.getMessage());
        }
    }

    @Test
    void sparseLayersAreTrainedWithinTheirPatternAndKeepTheirFormats() {
        try (Kernels kernels = Kernels.cpu(2);
                BertEncoder teacher = DistillationFixture.encoder(kernels, 31);
                BertEncoder student = DistillationFixture.encoder(kernels, 31)) {
            BertLayer first = student.layers().get(0);
            BertLayer second = student.layers().get(1);
            first.replaceLinear(LinearSlot.INTERMEDIATE,
                    Sparse24Linear.pruneByMagnitude((DenseLinear) first.linear(LinearSlot.INTERMEDIATE))).close();
            first.replaceLinear(LinearSlot.KEY,
                    Sparse24Linear.pruneByMagnitude((DenseLinear) first.linear(LinearSlot.KEY))).close();
            second.replaceLinear(LinearSlot.OUTPUT, BlockSparseLinear.pruneByBlockNorm(
                    (DenseLinear) second.linear(LinearSlot.OUTPUT), 16, 16, 0.5)).close();
            float[] w1 = ((Sparse24Linear) first.linear(LinearSlot.INTERMEDIATE)).weight().toDenseArray();
            float[] k = ((Sparse24Linear) first.linear(LinearSlot.KEY)).weight().toDenseArray();
            BlockSparseMatrix bsr = ((BlockSparseLinear) second.linear(LinearSlot.OUTPUT)).weight();
            float[] w2 = bsr.toDenseArray();
            int blocks = bsr.blockCount();
            List<TokenBatch> unseen = batches(6, 900);
            double before = meanCosineGap(teacher, student, unseen);

            Distiller.distill(teacher, student, batches(30, 100), new Distiller.Options(4, 3e-3, 0.1, 1, 1, 7, 2),
                    Progress.NONE);

            assertTrue(meanCosineGap(teacher, student, unseen) < 0.5 * before);
            float[] w1After = ((Sparse24Linear) first.linear(LinearSlot.INTERMEDIATE)).weight().toDenseArray();
            float[] kAfter = ((Sparse24Linear) first.linear(LinearSlot.KEY)).weight().toDenseArray();
            BlockSparseMatrix bsrAfter = ((BlockSparseLinear) second.linear(LinearSlot.OUTPUT)).weight();
            assertEquals(blocks, bsrAfter.blockCount());
            assertEquals(16, bsrAfter.blockRows());
            float[] w2After = bsrAfter.toDenseArray();
            int changed = 0;
            for (float[][] pair : new float[][][] {{w1, w1After}, {k, kAfter}, {w2, w2After}}) {
                for (int i = 0; i < pair[0].length; i++) {
                    if (pair[0][i] == 0f) {
                        assertEquals(0f, pair[1][i], "a pruned weight stayed pruned at " + i);
                    }
                    changed += pair[0][i] != pair[1][i] ? 1 : 0;
                }
            }
            assertTrue(changed > w1.length / 4, "kept weights were trained: " + changed + " changed");
            assertTrue(student.layers().get(0).linear(LinearSlot.QUERY) instanceof DenseLinear);
        }
    }

    /** A linear in a format distillation does not know. */
    private static final class UnknownFormat implements dev.sparsekernels.model.LinearLayer {
        private final int in;
        private final int out;

        UnknownFormat(dev.sparsekernels.model.LinearLayer shape) {
            this.in = shape.inFeatures();
            this.out = shape.outFeatures();
        }

        @Override
        public int inFeatures() {
            return in;
        }

        @Override
        public int outFeatures() {
            return out;
        }

        @Override
        public Tensor forward(Kernels kernels, Tensor x) {
            throw new UnsupportedOperationException();
        }

        @Override
        public long parameterCount() {
            return 0;
        }

        @Override
        public String format() {
            return "unknown";
        }

        @Override
        public void close() {
        }
    }

    private static List<TokenBatch> batches(int n, long seed) {
        List<TokenBatch> b = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            b.add(DistillationFixture.batch(8, 14, seed + i));
        }
        return b;
    }

    private static double meanCosineGap(BertEncoder teacher, BertEncoder student, List<TokenBatch> batches) {
        double gap = 0;
        int n = 0;
        int hidden = TinyBert.CONFIG.hidden();
        for (TokenBatch b : batches) {
            try (Tensor t = teacher.embed(b); Tensor s = student.embed(b)) {
                float[] x = t.toFloatArray();
                float[] y = s.toFloatArray();
                for (int r = 0; r < b.size(); r++) {
                    double dot = 0;
                    for (int c = 0; c < hidden; c++) {
                        dot += x[r * hidden + c] * y[r * hidden + c];
                    }
                    gap += 1 - dot;
                    n++;
                }
            }
        }
        return gap / n;
    }
}
