package dev.sparsekernels.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sparsekernels.AttentionMask;
import dev.sparsekernels.DType;
import dev.sparsekernels.Tensor;
import dev.sparsekernels.cpu.AttentionReference;
import dev.sparsekernels.io.Npy;
import dev.sparsekernels.io.NpyArray;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * {@code sparsekernels attention} on .npy files against {@link AttentionReference}; tolerance 2e-5 + 2e-4 |ref| (F32)
 * and the one-line exit-2 contract for bad input.
 */
class AttentionCommandTest extends CliHarness {
    static final int B = 2, HQ = 4, HKV = 2, LQ = 7, LK = 11, D = 16;
    float[] q, k, v;

    private List<String> base() throws Exception {
        Random r = new Random(7);
        q = random(r, B * HQ * LQ * D);
        k = random(r, B * HKV * LK * D);
        v = random(r, B * HKV * LK * D);
        return new ArrayList<>(List.of("attention", "--q", save("q.npy", NpyArray.ofFloats(q, B, HQ, LQ, D)).toString(),
                "--k", save("k.npy", NpyArray.ofFloats(k, B, HKV, LK, D)).toString(),
                "--v", save("v.npy", NpyArray.ofFloats(v, B, HKV, LK, D)).toString(),
                "--device", "cpu", "--out", dir.resolve("o.npy").toString()));
    }

    private void assertMatches(AttentionMask m, double scale) throws Exception {
        float[] ref = AttentionReference.attention(q, k, v, B, HQ, HKV, LQ, LK, D, m, scale);
        NpyArray got = Npy.read(dir.resolve("o.npy"));
        assertArrayEquals(new long[] {B, HQ, LQ, D}, got.shape());
        float[] g = got.toFloatArray();
        for (int i = 0; i < ref.length; i++) {
            assertTrue(Math.abs(g[i] - ref[i]) <= 2e-5 + 2e-4 * Math.abs(ref[i]),
                    "element " + i + ": expected " + ref[i] + " but got " + g[i]);
        }
    }

    @Test
    void plainCausalAndWindowMatchTheReference() throws Exception {
        List<String> a = base();
        assertEquals(0, run(a.toArray(new String[0])), err);
        assertTrue(out.contains("-> "), out);
        assertMatches(AttentionMask.none(), 1 / Math.sqrt(D));

        a.addAll(List.of("--causal", "--window", "4", "--scale", "0.5"));
        assertEquals(0, run(a.toArray(new String[0])), err);
        assertMatches(AttentionMask.builder().causal().window(4).build(), 0.5);
    }

    @Test
    void everyMaskFileTogether() throws Exception {
        List<String> a = base();
        Random r = new Random(3);
        boolean[] mask = new boolean[LQ * LK];
        for (int i = 0; i < mask.length; i++) {
            mask[i] = r.nextDouble() < 0.7;
        }
        float[] bias = random(r, HQ * LQ * LK);
        a.addAll(List.of("--key-lengths", save("l.npy", NpyArray.ofLongs(new long[] {LK, 5}, B)).toString(),
                "--mask", save("m.npy", NpyArray.ofBooleans(mask, LQ, LK)).toString(),
                "--bias", save("b.npy", NpyArray.ofFloats(bias, HQ, LQ, LK)).toString(),
                "--head-mask", save("h.npy", NpyArray.ofInts(new int[] {1, 0, 1, 1}, HQ)).toString(), "--causal"));
        assertEquals(0, run(a.toArray(new String[0])), err);
        assertMatches(AttentionMask.builder().causal().keyLengths(LK, 5).dense(mask, LQ, LK)
                .bias(bias, HQ, LQ, LK).headMask(true, false, true, true).build(), 1 / Math.sqrt(D));
    }

    @Test
    void f16AndBf16Run() throws Exception {
        for (String dt : new String[] {"f16", "bf16"}) {
            List<String> a = base();
            a.addAll(List.of("--dtype", dt));
            assertEquals(0, run(a.toArray(new String[0])), err);
            // the CLI rounds Q, K, V to dt and computes in F32: the reference runs on the rounded values
            DType t = DType.parse(dt);
            q = round(q, t);
            k = round(k, t);
            v = round(v, t);
            assertMatches(AttentionMask.none(), 1 / Math.sqrt(D));
        }
    }

    private static float[] round(float[] a, DType t) {
        try (Tensor x = Tensor.of(t, a, a.length)) {
            return x.toFloatArray();
        }
    }

    private void assertBad(List<String> a, String fragment) {
        assertEquals(2, run(a.toArray(new String[0])), out + err);
        assertEquals(1, err.trim().lines().count(), err);
        assertTrue(err.startsWith("error: "), err);
        assertTrue(err.contains(fragment), "expected '" + fragment + "' in: " + err);
    }

    @Test
    void badInputExitsWithTwoAndOneLine() throws Exception {
        List<String> a = base();
        // Hq not a multiple of Hkv
        Path k3 = save("k3.npy", NpyArray.ofFloats(new float[B * 3 * LK * D], B, 3, LK, D));
        List<String> x = new ArrayList<>(a);
        x.set(x.indexOf("--k") + 1, k3.toString());
        x.set(x.indexOf("--v") + 1, k3.toString());
        assertBad(x, "Hq a multiple of Hkv = 3");
        // K and V shapes differ
        Path v2 = save("v2.npy", NpyArray.ofFloats(new float[B * HKV * 5 * D], B, HKV, 5, D));
        x = new ArrayList<>(a);
        x.set(x.indexOf("--v") + 1, v2.toString());
        assertBad(x, "--v: expected the shape of K");
        // Q of rank 3
        Path q3 = save("q3.npy", NpyArray.ofFloats(new float[HQ * LQ * D], HQ, LQ, D));
        x = new ArrayList<>(a);
        x.set(x.indexOf("--q") + 1, q3.toString());
        assertBad(x, "--q: expected rank 4");
        // a mask that does not broadcast
        x = new ArrayList<>(a);
        x.addAll(List.of("--mask", save("m.npy", NpyArray.ofBooleans(new boolean[3 * LK], 3, LK)).toString()));
        assertBad(x, "--mask: shape [1, 1, 3, 11] does not broadcast");
        // a mask that is not 0/1
        x = new ArrayList<>(a);
        x.addAll(List.of("--mask", save("m2.npy", NpyArray.ofFloats(new float[] {0.5f}, 1)).toString()));
        assertBad(x, "--mask: expected a boolean or 0/1 array");
        // key lengths: float, wrong count, too long
        x = new ArrayList<>(a);
        x.addAll(List.of("--key-lengths", save("l.npy", NpyArray.ofFloats(new float[] {1, 2}, 2)).toString()));
        assertBad(x, "--key-lengths");
        x = new ArrayList<>(a);
        x.addAll(List.of("--key-lengths", save("l2.npy", NpyArray.ofInts(new int[] {1, 2, 3}, 3)).toString()));
        assertBad(x, "--key-lengths: expected 2 entries (one per batch entry) but got 3");
        x = new ArrayList<>(a);
        x.addAll(List.of("--key-lengths", save("l3.npy", NpyArray.ofInts(new int[] {1, 12}, 2)).toString()));
        assertBad(x, "--key-lengths[1]: expected 0..11 (Lk) but got 12");
        // head mask of the wrong length, bias with NaN, bad window, dtype, device
        x = new ArrayList<>(a);
        x.addAll(List.of("--head-mask", save("h.npy", NpyArray.ofInts(new int[] {1, 0}, 2)).toString()));
        assertBad(x, "--head-mask: expected 4 entries (Hq) but got 2");
        x = new ArrayList<>(a);
        x.addAll(List.of("--bias", save("b.npy", NpyArray.ofFloats(new float[] {Float.NaN}, 1)).toString()));
        assertBad(x, "--bias[0]: expected a finite value or -inf but got NaN");
        x = new ArrayList<>(a);
        x.addAll(List.of("--window", "0"));
        assertBad(x, "--window: expected >= 1 but got 0");
        x = new ArrayList<>(a);
        x.addAll(List.of("--dtype", "f8"));
        assertBad(x, "f8");
        x = new ArrayList<>(a);
        x.set(x.indexOf("--device") + 1, "tpu");
        assertBad(x, "--device");
        // missing file
        x = new ArrayList<>(a);
        x.set(x.indexOf("--q") + 1, dir.resolve("nope.npy").toString());
        assertBad(x, "nope.npy");
    }
}
