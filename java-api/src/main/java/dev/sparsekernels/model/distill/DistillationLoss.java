package dev.sparsekernels.model.distill;

import java.util.List;

/**
 * What the student is trained to match, with its gradient: for every layer output, the mean squared difference to
 * the teacher's states (per value, over the batch's real tokens), times {@code hiddenWeight}; plus, times
 * {@code embeddingWeight}, the mean over sentences of 1 − cos(student, teacher) of the sentence embeddings (mean
 * pooled last states, as the model's head). Matching every layer gives far more signal per sentence than the
 * embeddings alone, which matters with a few hundred calibration sentences; the cosine term is the quality the
 * evaluation measures.
 */
final class DistillationLoss {
    private DistillationLoss() {
    }

    /**
     * Returns the loss; gradients.get(l) gets dLoss/d(student.get(l)) (arrays of the students' sizes, overwritten).
     *
     * @param teacherEmbeddings the teacher's unit-norm sentence embeddings [sequences, hidden]
     */
    static double compute(List<float[]> student, List<float[]> teacher, float[] teacherEmbeddings, int[] lengths,
            int[] offsets, int hidden, double hiddenWeight, double embeddingWeight, List<float[]> gradients) {
        int tokens = student.get(0).length / hidden;
        double loss = 0;
        double perValue = hiddenWeight / ((double) tokens * hidden);
        for (int l = 0; l < student.size(); l++) {
            float[] s = student.get(l);
            float[] t = teacher.get(l);
            float[] g = gradients.get(l);
            double sum = 0;
            float twice = (float) (2 * perValue);
            for (int i = 0; i < s.length; i++) {
                float d = s[i] - t[i];
                sum += (double) d * d;
                g[i] = twice * d;
            }
            loss += perValue * sum;
        }
        if (embeddingWeight != 0) {
            loss += embeddingTerm(student.get(student.size() - 1), teacherEmbeddings, lengths, offsets, hidden,
                    embeddingWeight, gradients.get(gradients.size() - 1));
        }
        return loss;
    }

    /** weight · mean_b (1 − cos(pool_b, t_b)); adds its gradient to g over each sequence's rows. */
    private static double embeddingTerm(float[] last, float[] teacherEmbeddings, int[] lengths, int[] offsets,
            int hidden, double weight, float[] g) {
        int batch = lengths.length;
        double loss = 0;
        double[] pooled = new double[hidden];
        for (int b = 0; b < batch; b++) {
            java.util.Arrays.fill(pooled, 0);
            for (int r = offsets[b]; r < offsets[b] + lengths[b]; r++) {
                for (int c = 0; c < hidden; c++) {
                    pooled[c] += last[r * hidden + c];
                }
            }
            double norm = 0;
            for (int c = 0; c < hidden; c++) {
                pooled[c] /= lengths[b];
                norm += pooled[c] * pooled[c];
            }
            norm = Math.max(Math.sqrt(norm), 1e-12);
            double cos = 0;
            for (int c = 0; c < hidden; c++) {
                cos += pooled[c] / norm * teacherEmbeddings[b * hidden + c];
            }
            loss += weight * (1 - cos) / batch;
            // d(−cos)/dp = −(t − cos·e)/|p|, spread evenly over the sequence's rows by the mean
            double k = -weight / batch / norm / lengths[b];
            for (int c = 0; c < hidden; c++) {
                float d = (float) (k * (teacherEmbeddings[b * hidden + c] - cos * pooled[c] / norm));
                for (int r = offsets[b]; r < offsets[b] + lengths[b]; r++) {
                    g[r * hidden + c] += d;
                }
            }
        }
        return loss;
    }
}
