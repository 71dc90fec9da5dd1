package dev.sparsekernels.bench.probe;

import dev.sparsekernels.cpu.DenseGemm;
import dev.sparsekernels.cpu.DenseWeights;
import java.util.Arrays;
import java.util.Random;

/**
 * Our dense CPU GEMM two ways on the same data, alternating in one process so that load on a shared machine hits
 * both: the one-off path ({@code DenseGemm.linear(x, tokens, in, w, out, ...)}: X packed into X^T panels, a C^T tile
 * written back into Y) and the prepared path ({@code DenseGemm.linear(x, tokens, DenseWeights, ...)}: Wᵀ panels made
 * once, Y written in place), as a model's linear layers call it. Shapes default to MiniLM's (4,096 tokens; in/out
 * 384/1536, 1536/384, 384/384); {@code -Dprobe.tokens=4096 -Dprobe.shapes=384x1536,1536x384 -Dprobe.threads=2
 * -Dprobe.reps=9}. Prints best and median per path and their ratio. Run with {@code --add-modules
 * jdk.incubator.vector}.
 */
public final class DensePreparedProbe {
    private DensePreparedProbe() {}

    public static void main(String[] args) {
        int tokens = Integer.getInteger("probe.tokens", 4096);
        int threads = Integer.getInteger("probe.threads", 2);
        int reps = Integer.getInteger("probe.reps", 9);
        String[] shapes = System.getProperty("probe.shapes", "384x1536,1536x384,384x384").split(",");
        Random r = new Random(1);
        System.out.printf("tokens=%d threads=%d, %d alternating rounds, ratio = one-off time / prepared time%n",
                tokens, threads, reps);
        for (String shape : shapes) {
            String[] io = shape.trim().split("x");
            int in = Integer.parseInt(io[0]);
            int out = Integer.parseInt(io[1]);
            float[] x = gaussian(r, tokens * in);
            float[] w = gaussian(r, out * in);
            float[] b = gaussian(r, out);
            float[] y1 = new float[tokens * out];
            float[] y2 = new float[tokens * out];
            DenseWeights dw = DenseWeights.of(w, out, in);
            for (int i = 0; i < 3; i++) {
                DenseGemm.linear(x, tokens, in, w, out, b, y1, threads);
                DenseGemm.linear(x, tokens, dw, b, y2, threads);
            }
            double worst = 0;
            for (int i = 0; i < y1.length; i++) {
                worst = Math.max(worst, Math.abs(y1[i] - y2[i]) / (1 + Math.abs(y1[i])));
            }
            double[] oneOff = new double[reps];
            double[] prepared = new double[reps];
            for (int i = 0; i < reps; i++) {
                long t0 = System.nanoTime();
                DenseGemm.linear(x, tokens, in, w, out, b, y1, threads);
                oneOff[i] = (System.nanoTime() - t0) / 1e6;
                t0 = System.nanoTime();
                DenseGemm.linear(x, tokens, dw, b, y2, threads);
                prepared[i] = (System.nanoTime() - t0) / 1e6;
            }
            Arrays.sort(oneOff);
            Arrays.sort(prepared);
            System.out.printf("in %5d out %5d: one-off best %7.2f median %7.2f ms | prepared best %7.2f median %7.2f ms"
                    + " | ratio best %.2fx median %.2fx (largest difference %.1e relative)%n", in, out, oneOff[0],
                    oneOff[reps / 2], prepared[0], prepared[reps / 2], oneOff[0] / prepared[0],
                    oneOff[reps / 2] / prepared[reps / 2], worst);
        }
    }

    static float[] gaussian(Random r, int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = (float) r.nextGaussian();
        }
        return a;
    }
}
