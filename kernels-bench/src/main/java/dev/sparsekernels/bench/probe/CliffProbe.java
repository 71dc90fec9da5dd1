package dev.sparsekernels.bench.probe;

import dev.sparsekernels.AttentionMask;
import dev.sparsekernels.BlockSparseMatrix;
import dev.sparsekernels.DenseMatrix;
import dev.sparsekernels.Kernels;
import dev.sparsekernels.Sparse24Matrix;
import dev.sparsekernels.Tensor;
import dev.sparsekernels.cpu.DenseGemm;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Performance cliffs of the CPU kernels (session 18's scan, docs/performance.md): shapes whose time per unit of work
 * jumps over their neighbours'. Give a shape and its neighbours; their rounds alternate, so a slow phase of the
 * machine hits them alike. Usage: {@code CliffProbe FAMILY SPEC...} with {@code --add-modules jdk.incubator.vector}
 * and the bench classpath (as the other probes), e.g. {@code CliffProbe bsr32 5x1024x4096 6x1024x4096}:
 * <pre>
 *   FAMILY linear: dense | denseapi | densemat | s24 | bsr32 | bsr16   SPEC = tokens x in x out, e.g. 8x1024x4096
 *   FAMILY attn: SPEC = L x D [c] (B=1, H=-Dh=8), e.g. 128x64 or 128x64c (causal)
 *   FAMILY gcol | grow: SPEC = kept (of [4096,4096]; -Dn=4096)
 * </pre>
 * All shapes warmed (>= 20 calls and >= -Dwarm=1.0 s each), then -Drounds=5 rounds interleaved over the shapes;
 * each round one sample per shape of enough calls to last >= -Dsample=0.05 s. Prints best / median per call.
 */
public final class CliffProbe {
    private CliffProbe() {}

    interface Call { void run(); }

    static final Kernels K = Kernels.cpu(Integer.getInteger("threads", 2));
    static final Random R = new Random(42);

    static float[] rnd(int n) { float[] a = new float[n]; for (int i = 0; i < n; i++) a[i] = (float) R.nextGaussian(); return a; }

    static final Map<String, Object> WCACHE = new HashMap<>();

    static Call make(String fam, String spec) {
        int N = Integer.getInteger("n", 4096);
        switch (fam) {
            case "gcol", "grow" -> {
                int keep = Integer.parseInt(spec);
                Tensor src = Tensor.of(rnd(N * N), N, N);
                int[] idx = new int[keep];
                // spread evenly, ascending
                for (int i = 0; i < keep; i++) idx[i] = (int) ((long) i * N / keep);
                if (Boolean.getBoolean("shuffle")) { List<Integer> l = new ArrayList<>(); for (int v : idx) l.add(v); Collections.shuffle(l, R); for (int i = 0; i < keep; i++) idx[i] = l.get(i); }
                return fam.equals("gcol") ? () -> K.gatherColumns(src, idx).close() : () -> K.gatherRows(src, idx).close();
            }
            case "attn" -> {
                boolean causal = spec.endsWith("c");
                String s = causal ? spec.substring(0, spec.length() - 1) : spec;
                String[] p = s.split("x");
                int L = Integer.parseInt(p[0]), D = Integer.parseInt(p[1]), H = Integer.getInteger("h", 8);
                Tensor q = Tensor.of(rnd(H * L * D), 1, H, L, D), k = Tensor.of(rnd(H * L * D), 1, H, L, D),
                        v = Tensor.of(rnd(H * L * D), 1, H, L, D);
                AttentionMask m = causal ? AttentionMask.causal() : AttentionMask.none();
                return () -> K.attention(q, k, v, m, null).close();
            }
            default -> {
                String[] p = spec.split("x");
                int t = Integer.parseInt(p[0]), in = Integer.parseInt(p[1]), out = Integer.parseInt(p[2]);
                String wkey = fam + in + "x" + out;
                float[] x = rnd(t * in);
                Tensor xt = Tensor.of(x, t, in);
                Object w = WCACHE.computeIfAbsent(wkey, kk -> {
                    float[] wa = rnd(out * in);
                    Tensor wt = Tensor.of(wa, out, in);
                    return switch (fam) {
                        case "dense" -> wa;
                        case "denseapi" -> wt;
                        case "densemat" -> DenseMatrix.of(wt);
                        case "s24" -> Sparse24Matrix.prune(wt);
                        case "bsr32" -> BlockSparseMatrix.prune(wt, 32, 32, 0.25);
                        case "bsr16" -> BlockSparseMatrix.prune(wt, 16, 16, 0.25);
                        default -> throw new IllegalArgumentException(fam);
                    };
                });
                return switch (fam) {
                    case "dense" -> { float[] y = new float[t * out]; float[] wa = (float[]) w;
                        yield () -> DenseGemm.linear(x, t, in, wa, out, null, y, Integer.getInteger("threads", 2)); }
                    case "denseapi" -> () -> K.linear(xt, (Tensor) w, null).close();
                    case "densemat" -> () -> K.linear(xt, (DenseMatrix) w, null).close();
                    case "s24" -> () -> K.linear(xt, (Sparse24Matrix) w, null).close();
                    default -> () -> K.linear(xt, (BlockSparseMatrix) w, null).close();
                };
            }
        }
    }

    public static void main(String[] a) {
        String fam = a[0];
        String[] specs = Arrays.copyOfRange(a, 1, a.length);
        double warm = Double.parseDouble(System.getProperty("warm", "1.0"));
        double sample = Double.parseDouble(System.getProperty("sample", "0.05"));
        int rounds = Integer.getInteger("rounds", 5);
        Call[] calls = new Call[specs.length];
        int[] per = new int[specs.length];
        for (int i = 0; i < specs.length; i++) {
            try {
                calls[i] = make(fam, specs[i]);
                long t0 = System.nanoTime(); int n = 0;
                while (n < 20 || System.nanoTime() - t0 < warm * 1e9) { calls[i].run(); n++; }
                double perCall = (System.nanoTime() - t0) / 1e9 / n;
                per[i] = Math.max(1, (int) Math.ceil(sample / perCall));
            } catch (RuntimeException e) {
                System.out.println(specs[i] + ": " + e);
                calls[i] = null;
            }
        }
        double[][] s = new double[specs.length][rounds];
        for (int r = 0; r < rounds; r++) {
            for (int i = 0; i < specs.length; i++) {
                if (calls[i] == null) continue;
                long t0 = System.nanoTime();
                for (int j = 0; j < per[i]; j++) calls[i].run();
                s[i][r] = (System.nanoTime() - t0) / 1e6 / per[i];
            }
        }
        System.out.printf("%-16s %10s %10s %12s  %s%n", fam, "best ms", "median ms", "best/unit", "samples");
        for (int i = 0; i < specs.length; i++) {
            if (calls[i] == null) continue;
            double[] v = s[i].clone(); Arrays.sort(v);
            double units = units(fam, specs[i]);
            StringBuilder sb = new StringBuilder();
            for (double d : s[i]) sb.append(String.format("%.3f ", d));
            System.out.printf("%-16s %10.4f %10.4f %12.4f  %s%n", specs[i], v[0], v[v.length / 2], v[0] / units, sb);
        }
    }

    /** linear: per token; attn: per (L*L*D/1e6) (causal counted as full); gather: per MB written. */
    static double units(String fam, String spec) {
        switch (fam) {
            case "gcol", "grow": return Integer.parseInt(spec) * 4096 * 4 / 1e6;
            case "attn": { String s = spec.replace("c", ""); String[] p = s.split("x"); double L = Integer.parseInt(p[0]); return L * L * Integer.parseInt(p[1]) / 1e6; }
            default: return Integer.parseInt(spec.split("x")[0]);
        }
    }
}
