package dev.sparsekernels.bench;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;

/** Inputs and record fields shared by the bench cases and the JMH benchmarks. */
public final class BenchData {
    private BenchData() {
    }

    /** n values uniform in [-1, 1). */
    public static float[] uniform(Random rnd, int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = rnd.nextFloat() * 2 - 1;
        }
        return a;
    }

    /** n standard normal values. */
    public static float[] gaussian(Random rnd, int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = (float) rnd.nextGaussian();
        }
        return a;
    }

    /** The "shape" of a GEMM record: {"tokens", "in", "out"}. */
    public static Map<String, Object> gemmShape(int tokens, int in, int out) {
        Map<String, Object> shape = new LinkedHashMap<>();
        shape.put("tokens", tokens);
        shape.put("in", in);
        shape.put("out", out);
        return shape;
    }
}
