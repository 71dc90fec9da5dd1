package dev.sparsekernels.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sparsekernels.io.Npy;
import dev.sparsekernels.io.NpyArray;
import dev.sparsekernels.io.NpyDType;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * `sparsekernels channels` in-process: outputs are the gathered rows/columns of the inputs at kept.npy, the kept set
 * follows the criterion, compensation moves b2 by W2[:, removed]·mean, and bad input exits 2 with one line.
 */
class ChannelsCommandTest extends CliHarness {
    static final int IN = 5;
    static final int HIDDEN = 12;
    static final int OUT = 3;
    float[] w1;
    float[] b1;
    float[] w2;
    float[] b2;
    float[] acts;

    private void saveLayers() throws Exception {
        Random r = new Random(7);
        w1 = random(r, HIDDEN * IN);
        // make row norms distinct and known: row j scaled by (j % 5 + 1)
        for (int j = 0; j < HIDDEN; j++) {
            for (int k = 0; k < IN; k++) {
                w1[j * IN + k] *= (j % 5) + 1;
            }
        }
        b1 = random(r, HIDDEN);
        w2 = random(r, OUT * HIDDEN);
        b2 = random(r, OUT);
        acts = random(r, 40 * HIDDEN);
        save("w1.npy", w1, HIDDEN, IN);
        save("b1.npy", b1, HIDDEN);
        save("w2.npy", w2, OUT, HIDDEN);
        save("b2.npy", b2, OUT);
        save("x.npy", acts, 40, HIDDEN);
    }

    private String p(String name) {
        return dir.resolve(name).toString();
    }

    private float[] read(String name, long... shape) throws Exception {
        NpyArray a = Npy.read(dir.resolve("out").resolve(name));
        assertArrayEquals(shape, a.shape(), name);
        return a.toFloatArray();
    }

    @Test
    void l2KeepsTheLargestRowsAndWritesConsistentLayers() throws Exception {
        saveLayers();
        assertEquals(0, run("channels", "--w1", p("w1.npy"), "--b1", p("b1.npy"), "--w2", p("w2.npy"), "--b2",
                p("b2.npy"), "--keep", "0.5", "--criterion", "l2", "--round-to", "2", "--out-dir", p("out")), err);
        assertTrue(out.contains("kept 6 of 12 channels"), out);
        NpyArray keptArr = Npy.read(dir.resolve("out/kept.npy"));
        assertEquals(NpyDType.I64, keptArr.dtype());
        long[] kept = keptArr.toLongArray();
        assertEquals(6, kept.length);
        for (int i = 1; i < kept.length; i++) {
            assertTrue(kept[i] > kept[i - 1], "ascending");
        }
        // every kept row's L2 norm >= every removed row's
        double minKept = Double.MAX_VALUE;
        double maxRemoved = 0;
        for (int j = 0; j < HIDDEN; j++) {
            double n = 0;
            for (int k = 0; k < IN; k++) {
                n += w1[j * IN + k] * w1[j * IN + k];
            }
            final int jj = j;
            boolean isKept = java.util.Arrays.stream(kept).anyMatch(v -> v == jj);
            if (isKept) {
                minKept = Math.min(minKept, n);
            } else {
                maxRemoved = Math.max(maxRemoved, n);
            }
        }
        assertTrue(minKept >= maxRemoved, minKept + " vs " + maxRemoved);
        float[] nw1 = read("W1.npy", 6, IN);
        float[] nb1 = read("b1.npy", 6);
        float[] nw2 = read("W2.npy", OUT, 6);
        float[] nb2 = read("b2.npy", OUT);
        for (int i = 0; i < 6; i++) {
            int j = (int) kept[i];
            for (int k = 0; k < IN; k++) {
                assertEquals(w1[j * IN + k], nw1[i * IN + k]);
            }
            assertEquals(b1[j], nb1[i]);
            for (int o = 0; o < OUT; o++) {
                assertEquals(w2[o * HIDDEN + j], nw2[o * 6 + i]);
            }
        }
        assertArrayEquals(b2, nb2); // no compensation for l2
    }

    @Test
    void flapCompensatesTheBiasWithTheRemovedMeans() throws Exception {
        saveLayers();
        assertEquals(0, run("channels", "--w1", p("w1.npy"), "--w2", p("w2.npy"), "--b2", p("b2.npy"), "--keep-count",
                "4", "--criterion", "flap", "--acts", p("x.npy"), "--round-to", "1", "--out-dir", p("out")), err);
        assertTrue(out.contains("bias compensated"), out);
        long[] kept = Npy.read(dir.resolve("out/kept.npy")).toLongArray();
        assertEquals(4, kept.length);
        float[] nb1 = read("b1.npy", 4);
        assertArrayEquals(new float[4], nb1); // absent b1 written as zeros
        float[] nb2 = read("b2.npy", OUT);
        for (int o = 0; o < OUT; o++) {
            double expected = b2[o];
            for (int j = 0; j < HIDDEN; j++) {
                final int jj = j;
                if (java.util.Arrays.stream(kept).noneMatch(v -> v == jj)) {
                    double mean = 0;
                    for (int s = 0; s < 40; s++) {
                        mean += acts[s * HIDDEN + j];
                    }
                    expected += w2[o * HIDDEN + j] * (mean / 40);
                }
            }
            assertEquals(expected, nb2[o], 1e-5 * (1 + Math.abs(expected)), "b2[" + o + "]");
        }
    }

    @Test
    void headsAreRemovedWhole() throws Exception {
        saveLayers();
        assertEquals(0, run("channels", "--w1", p("w1.npy"), "--w2", p("w2.npy"), "--keep", "0.5", "--criterion",
                "wanda", "--acts", p("x.npy"), "--head-dim", "3", "--out-dir", p("out")), err);
        assertTrue(out.contains("kept 2 of 4 heads of 3"), out);
        long[] kept = Npy.read(dir.resolve("out/kept.npy")).toLongArray();
        assertEquals(6, kept.length);
        for (int h = 0; h < 2; h++) {
            assertEquals(0, kept[3 * h] % 3);
            assertEquals(kept[3 * h] + 1, kept[3 * h + 1]);
            assertEquals(kept[3 * h] + 2, kept[3 * h + 2]);
        }
        read("W2.npy", OUT, 6);
        assertArrayEquals(new float[OUT], read("b2.npy", OUT)); // wanda: no compensation, no b2 given
    }

    private void assertBadInput(String expectedPart, String... args) {
        int code = run(args);
        assertEquals(2, code, "exit code; err = " + err);
        String[] lines = err.strip().split("\n");
        assertEquals(1, lines.length, "one line: " + err);
        assertTrue(err.contains(expectedPart), "'" + err.strip() + "' lacks '" + expectedPart + "'");
    }

    @Test
    void badInputExitsTwoWithOneLine() throws Exception {
        saveLayers();
        save("w2bad.npy", new float[OUT * 10], OUT, 10);
        save("b1bad.npy", new float[5], 5);
        save("xbad.npy", new float[40 * 11], 40, 11);
        String o = p("out");
        assertBadInput("--w2: expected shape [out, 12]", "channels", "--w1", p("w1.npy"), "--w2", p("w2bad.npy"),
                "--keep", "0.5", "--criterion", "l1", "--out-dir", o);
        assertBadInput("--b1: expected shape [12]", "channels", "--w1", p("w1.npy"), "--b1", p("b1bad.npy"), "--w2",
                p("w2.npy"), "--keep", "0.5", "--criterion", "l1", "--out-dir", o);
        assertBadInput("--keep: expected a ratio in (0, 1] but got 1.5", "channels", "--w1", p("w1.npy"), "--w2",
                p("w2.npy"), "--keep", "1.5", "--criterion", "l1", "--out-dir", o);
        assertBadInput("--keep: expected a ratio in (0, 1] but got 0.0", "channels", "--w1", p("w1.npy"), "--w2",
                p("w2.npy"), "--keep", "0", "--criterion", "l1", "--out-dir", o);
        assertBadInput("--keep-count: expected 1..12", "channels", "--w1", p("w1.npy"), "--w2", p("w2.npy"),
                "--keep-count", "13", "--criterion", "l1", "--out-dir", o);
        assertBadInput("--acts: criterion wanda needs", "channels", "--w1", p("w1.npy"), "--w2", p("w2.npy"),
                "--keep", "0.5", "--criterion", "wanda", "--out-dir", o);
        assertBadInput("--acts: criterion flap needs", "channels", "--w1", p("w1.npy"), "--w2", p("w2.npy"),
                "--keep", "0.5", "--criterion", "flap", "--out-dir", o);
        assertBadInput("--acts: expected shape [samples, 12]", "channels", "--w1", p("w1.npy"), "--w2", p("w2.npy"),
                "--keep", "0.5", "--criterion", "flap", "--acts", p("xbad.npy"), "--out-dir", o);
        assertBadInput("--head-dim: expected a divisor of hidden = 12 but got 5", "channels", "--w1", p("w1.npy"),
                "--w2", p("w2.npy"), "--keep", "0.5", "--criterion", "l1", "--head-dim", "5", "--out-dir", o);
        assertBadInput("--criterion: expected l1, l2, wanda or flap but got 'l3'", "channels", "--w1", p("w1.npy"),
                "--w2", p("w2.npy"), "--keep", "0.5", "--criterion", "l3", "--out-dir", o);
        assertBadInput("mutually exclusive", "channels", "--w1", p("w1.npy"), "--w2", p("w2.npy"), "--keep", "0.5",
                "--keep-count", "3", "--criterion", "l1", "--out-dir", o);
        assertBadInput("file not found", "channels", "--w1", p("nope.npy"), "--w2", p("w2.npy"), "--keep", "0.5",
                "--criterion", "l1", "--out-dir", o);
    }
}
