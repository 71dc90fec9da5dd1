package dev.sparsekernels.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import jdk.incubator.vector.FloatVector;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * The 512-bit 2:4 kernels against the 256-bit ones, call by call on the shared sub-panel layout: every panel width
 * a last partial panel can have, kept-element counts odd and even (the pair loop's tail), and C^T offsets that are
 * not 16-float aligned. Sums differ only in order (two accumulator sets), so the bound is relative to |terms|.
 */
class VectorKernels512Test {
    private static final int NB = CpuKernels.SPARSE_NB;

    @Test
    void sparsePanelsMatchThe256BitKernels() {
        CpuKernels wide = KernelSets.named("512");
        CpuKernels narrow = KernelSets.named("256");
        Assumptions.assumeTrue(wide != null && narrow != null, "needs both Vector API widths");
        Random r = new Random(512);
        int rows = 40; // X^T sub-panel rows (inputs of the K block)
        float[] xt = Oracle.random(r, 8 + rows * NB);
        for (int n : new int[] {0, 1, 2, 3, 8, 31, 40}) {
            float[] vals = Oracle.random(r, 5 + n);
            int[] kidx = new int[5 + n];
            for (int e = 0; e < kidx.length; e++) {
                kidx[e] = r.nextInt(rows) * NB;
            }
            for (int vecs = 1; vecs <= 12; vecs++) {
                int ca = 3 + r.nextInt(5);
                float[] c0 = Oracle.random(r, ca + NB + 7);
                float[] a = c0.clone();
                float[] b = c0.clone();
                if (vecs == 12) {
                    wide.sparse12(xt, 8, vals, kidx, 5, n & ~1, a, ca);
                    narrow.sparse12(xt, 8, vals, kidx, 5, n & ~1, b, ca);
                } else {
                    wide.sparseNarrow(xt, 8, vals, kidx, 5, n, a, ca, vecs);
                    narrow.sparseNarrow(xt, 8, vals, kidx, 5, n, b, ca, vecs);
                }
                for (int j = 0; j < c0.length; j++) {
                    boolean written = j >= ca && j < ca + 8 * vecs;
                    if (!written) {
                        assertEquals(c0[j], a[j], 0f, "512-bit kernel wrote outside its panel at " + j);
                        continue;
                    }
                    double mag = Math.abs(c0[j]);
                    for (int e = 5; e < 5 + (vecs == 12 ? n & ~1 : n); e++) {
                        mag += Math.abs(vals[e] * xt[8 + kidx[e] + j - ca]);
                    }
                    assertEquals(b[j], a[j], 4 * (n + 2) * Oracle.U * mag + 1e-30,
                            "n=" + n + " vecs=" + vecs + " lane " + (j - ca));
                }
            }
        }
    }

    @Test
    void chosenOnlyWhereThePreferredSpeciesIs512Bits() {
        boolean wideHere = FloatVector.SPECIES_PREFERRED.vectorBitSize() >= 512;
        boolean chosen = CpuVectorization.describe().startsWith("Vector API, 512-bit");
        String forced = System.getProperty("sparsekernels.cpu.vectorBits", "auto");
        if (chosen) {
            assertTrue(wideHere, "512-bit kernels chosen on a JVM whose preferred width is narrower");
        }
        if (forced.equals("auto") && CpuVectorization.isActive()) {
            assertEquals(wideHere && Runtime.version().feature() >= 21, chosen, CpuVectorization.describe());
        }
    }
}
