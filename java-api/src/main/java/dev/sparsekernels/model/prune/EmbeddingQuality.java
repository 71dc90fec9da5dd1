package dev.sparsekernels.model.prune;

/**
 * How close a pruned model's sentence embeddings stay to the dense model's on the same sentences:
 * <ul>
 *   <li>cosine of each sentence's two embeddings (mean and worst over the sentences);</li>
 *   <li>top-1 nearest-neighbour agreement: the share of sentences whose nearest neighbour among the other sentences
 *       (by cosine, the sentence itself excluded) is the same sentence under both models, which is what a search
 *       over these embeddings would return.</li>
 * </ul>
 * Embeddings are rows of [n, dim] arrays; cosines are computed in double and do not assume unit rows.
 *
 * @param cosineMean     mean over sentences of cos(reference_i, candidate_i)
 * @param cosineMin      the smallest of them
 * @param top1Agreement  share of sentences, in [0, 1], with the same nearest neighbour under both
 */
public record EmbeddingQuality(double cosineMean, double cosineMin, double top1Agreement) {

    /** Compares candidate [n, dim] with reference [n, dim], row i of each being sentence i. */
    public static EmbeddingQuality compare(float[] reference, float[] candidate, int dim) {
        double[] cos = rowCosines(reference, candidate, dim);
        double sum = 0;
        double min = Double.POSITIVE_INFINITY;
        for (double c : cos) {
            sum += c;
            min = Math.min(min, c);
        }
        double agreement = cos.length < 2 ? Double.NaN
                : agreement(nearestNeighbours(reference, dim), nearestNeighbours(candidate, dim));
        return new EmbeddingQuality(sum / cos.length, min, agreement);
    }

    /** cos(a_i, b_i) for every row i of a and b [n, dim]; a zero row gives NaN (no direction to compare). */
    public static double[] rowCosines(float[] a, float[] b, int dim) {
        int n = rows("a", a, dim);
        if (b == null || b.length != a.length) {
            throw new IllegalArgumentException("b: expected " + a.length + " values, as a, but got "
                    + (b == null ? "null" : b.length));
        }
        double[] cos = new double[n];
        for (int i = 0; i < n; i++) {
            double dot = 0;
            double na = 0;
            double nb = 0;
            for (int c = i * dim, end = c + dim; c < end; c++) {
                dot += (double) a[c] * b[c];
                na += (double) a[c] * a[c];
                nb += (double) b[c] * b[c];
            }
            cos[i] = dot / Math.sqrt(na * nb);
        }
        return cos;
    }

    /**
     * For every row i of e [n, dim] (n >= 2), the other row j with the largest cosine to it; ties go to the lower j.
     */
    public static int[] nearestNeighbours(float[] e, int dim) {
        int n = rows("e", e, dim);
        if (n < 2) {
            throw new IllegalArgumentException("e: expected at least 2 rows to have neighbours but got " + n);
        }
        double[] unit = new double[e.length];
        for (int i = 0; i < n; i++) {
            double sq = 0;
            for (int c = i * dim; c < (i + 1) * dim; c++) {
                sq += (double) e[c] * e[c];
            }
            double inv = sq > 0 ? 1 / Math.sqrt(sq) : 0;
            for (int c = i * dim; c < (i + 1) * dim; c++) {
                unit[c] = e[c] * inv;
            }
        }
        int[] nn = new int[n];
        for (int i = 0; i < n; i++) {
            double best = Double.NEGATIVE_INFINITY;
            int arg = -1;
            for (int j = 0; j < n; j++) {
                if (j == i) {
                    continue;
                }
                double dot = 0;
                for (int c = 0; c < dim; c++) {
                    dot += unit[i * dim + c] * unit[j * dim + c];
                }
                if (dot > best || arg < 0) {
                    best = dot;
                    arg = j;
                }
            }
            nn[i] = arg;
        }
        return nn;
    }

    /** Share of positions where a and b hold the same index. */
    public static double agreement(int[] a, int[] b) {
        if (a == null || b == null || a.length != b.length || a.length == 0) {
            throw new IllegalArgumentException("a, b: expected two non-empty arrays of one length but got "
                    + (a == null ? "null" : a.length) + " and " + (b == null ? "null" : b.length));
        }
        int same = 0;
        for (int i = 0; i < a.length; i++) {
            if (a[i] == b[i]) {
                same++;
            }
        }
        return (double) same / a.length;
    }

    private static int rows(String name, float[] e, int dim) {
        if (dim < 1) {
            throw new IllegalArgumentException("dim: expected >= 1 but got " + dim);
        }
        if (e == null || e.length == 0 || e.length % dim != 0) {
            throw new IllegalArgumentException(name + ": expected rows of " + dim + " values but got "
                    + (e == null ? "null" : e.length + " values"));
        }
        return e.length / dim;
    }
}
