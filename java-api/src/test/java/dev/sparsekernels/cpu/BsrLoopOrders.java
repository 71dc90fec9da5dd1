package dev.sparsekernels.cpu;

import java.util.Arrays;
import java.util.Random;

/**
 * A measurement, not a test: the three loop orders of {@link BsrPreparedDriver} on one prepared W, each timed in
 * turn within every round (each on its second call), medians of 9, 2 threads; the evidence behind the driver's
 * choice. 512 x 4096 x 4096, blocks kept at random ({@code -Dd=0.1 -Db=32 -Dtok=512}). Run from the repository root
 * after a build, with the test class path (as {@code MiniLmThroughput}):
 * {@code java --add-modules jdk.incubator.vector -cp java-api/target/classes:java-api/target/test-classes
 * -Dd=0.2 dev.sparsekernels.cpu.BsrLoopOrders}.
 */
public final class BsrLoopOrders {
    private BsrLoopOrders() {
    }

    public static void main(String[] args) {
        int tokens = Integer.getInteger("tok", 512), in = 4096, out = 4096, bs = Integer.getInteger("b", 32);
        double density = Double.parseDouble(System.getProperty("d", "0.1"));
        int threads = Integer.getInteger("threads", 2);
        Random r = new Random(3);
        float[] x = new float[tokens * in];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) r.nextGaussian();
        }
        BsrGemmTest.Bsr m = BsrGemmTest.Bsr.random(r, out, in, bs, bs, density, -1);
        float[] bias = new float[out];
        float[] y = new float[tokens * out];
        BsrWeights bw = BsrWeights.of(out, in, bs, bs, m.rp, m.cols, m.values);
        CpuKernels k = CpuVectorization.kernels();
        BsrPreparedDriver.Order[] orders = BsrPreparedDriver.Order.values();
        int reps = 9;
        double[][] ms = new double[orders.length][reps];
        for (int rep = -2; rep < reps; rep++) {
            for (int o = 0; o < orders.length; o++) {
                BsrPreparedDriver.run(k, x, tokens, bw, bias, y, threads, orders[o]);
                long t0 = System.nanoTime();
                BsrPreparedDriver.run(k, x, tokens, bw, bias, y, threads, orders[o]);
                if (rep >= 0) {
                    ms[o][rep] = (System.nanoTime() - t0) / 1e6;
                }
            }
        }
        StringBuilder line = new StringBuilder(String.format("%dx%d density %.2f, %d tokens, %d threads, default %s:",
                bs, bs, density, tokens, threads, BsrPreparedDriver.order(bw, tokens)));
        for (int o = 0; o < orders.length; o++) {
            Arrays.sort(ms[o]);
            line.append(String.format("  %s %.1f ms", orders[o], ms[o][reps / 2]));
        }
        System.out.println(line);
    }
}
