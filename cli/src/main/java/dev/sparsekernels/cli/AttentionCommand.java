package dev.sparsekernels.cli;

import dev.sparsekernels.AttentionMask;
import dev.sparsekernels.DType;
import dev.sparsekernels.Kernels;
import dev.sparsekernels.Tensor;
import dev.sparsekernels.io.Npy;
import dev.sparsekernels.io.NpyArray;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "attention", mixinStandardHelpOptions = true,
        description = "Fused masked attention softmax(scale·Q·Kᵀ + mask)·V; writes O [B, Hq, Lq, D] as float32 .npy.")
final class AttentionCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--q", required = true, description = "Queries Q [B, Hq, Lq, D] (.npy).")
    Path q;

    @Option(names = "--k", required = true, description = "Keys K [B, Hkv, Lk, D] (.npy); Hq a multiple of Hkv.")
    Path k;

    @Option(names = "--v", required = true, description = "Values V [B, Hkv, Lk, D] (.npy).")
    Path v;

    @Option(names = "--causal", description = "Causal mask, aligned bottom-right (query i sees keys <= i + Lk - Lq).")
    boolean causal;

    @Option(names = "--window", description = "Sliding window W: keys within W - 1 positions of the aligned query.")
    Integer window;

    @Option(names = "--key-lengths", description = "Valid keys per batch entry, int32/int64 [B] (.npy).")
    Path keyLengths;

    @Option(names = "--mask", description = "Boolean or 0/1 array broadcastable to [B, Hq, Lq, Lk]; true = may "
            + "attend (.npy).")
    Path mask;

    @Option(names = "--bias", description = "Additive float bias broadcastable to [B, Hq, Lq, Lk] (.npy).")
    Path bias;

    @Option(names = "--head-mask", description = "Boolean or 0/1 [Hq]; false = pruned head, outputs zeros (.npy).")
    Path headMask;

    @Option(names = "--scale", description = "Score scale (default 1/sqrt(D)).")
    Double scale;

    @Option(names = "--dtype", defaultValue = "auto",
            description = "f32, f16 or bf16: Q, K, V are rounded to it (default: f32 on cpu, f16 on cuda).")
    String dtype;

    @Option(names = "--device", defaultValue = "auto", description = "auto, cpu, cuda or cuda:N.")
    String device;

    @Option(names = "--out", required = true, description = "Output O [B, Hq, Lq, D] (.npy, float32).")
    Path out;

    @Override
    public Integer call() throws Exception {
        AttentionMask.Builder m = AttentionMask.builder().causal(causal);
        if (window != null) {
            if (window < 1) {
                throw new IllegalArgumentException("--window: expected >= 1 but got " + window);
            }
            m.window(window);
        }
        if (keyLengths != null) {
            NpyArray a = readArray("--key-lengths", keyLengths);
            if (!a.dtype().isInteger() || a.rank() != 1) {
                throw new IllegalArgumentException("--key-lengths " + keyLengths + ": expected an int32/int64 array [B]"
                        + " but got " + a.dtype().descr() + " " + Arrays.toString(a.shape()));
            }
            long[] l = a.toLongArray();
            int[] lengths = new int[l.length];
            for (int i = 0; i < l.length; i++) {
                if (l[i] < 0 || l[i] > Integer.MAX_VALUE) {
                    throw new IllegalArgumentException("--key-lengths[" + i + "]: expected 0..Lk but got " + l[i]);
                }
                lengths[i] = (int) l[i];
            }
            m.keyLengths(lengths);
        }
        if (mask != null) {
            NpyArray a = readArray("--mask", mask);
            m.dense(booleans("--mask", a), a.shape());
        }
        if (bias != null) {
            NpyArray a = readArray("--bias", bias);
            try {
                m.bias(a.toFloatArray(), a.shape());
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("--" + e.getMessage(), e);
            }
        }
        if (headMask != null) {
            NpyArray a = readArray("--head-mask", headMask);
            if (a.rank() != 1) {
                throw new IllegalArgumentException("--head-mask " + headMask + ": expected a 1-D array [Hq] but got "
                        + "shape " + Arrays.toString(a.shape()));
            }
            m.headMask(booleans("--head-mask", a));
        }
        AttentionMask built = m.build();
        try (Tensor q32 = NpyFiles.read("--q", q);
                Tensor k32 = NpyFiles.read("--k", k);
                Tensor v32 = NpyFiles.read("--v", v);
                Kernels kernels = Backends.open(device)) {
            DType dt = "auto".equalsIgnoreCase(dtype)
                    ? (kernels.device().isCuda() ? DType.F16 : DType.F32) : DType.parse(dtype);
            try (Tensor qd = q32.to(dt); Tensor kd = k32.to(dt); Tensor vd = v32.to(dt)) {
                Tensor o;
                try {
                    o = kernels.attention(qd, kd, vd, built, scale);
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException(cliNames(e.getMessage()), e);
                }
                try (Tensor result = o) {
                    NpyFiles.writeF32(out, result);
                }
            }
            PrintWriter w = spec.commandLine().getOut();
            w.println("O " + Arrays.toString(q32.shape()) + " (" + built + ", " + dt + ", " + kernels.device()
                    + ") -> " + out);
        }
        return 0;
    }

    /** API argument names to the options they came from. */
    private static String cliNames(String msg) {
        if (msg.startsWith("Q:")) {
            return "--q: " + msg.substring(2).trim();
        }
        if (msg.startsWith("K:") || msg.startsWith("V:") || msg.startsWith("K, V:")) {
            return "--" + msg.toLowerCase(java.util.Locale.ROOT).charAt(0) + msg.substring(1);
        }
        if (msg.startsWith("scale:")) { // the API's null is the option left out
            return "--" + msg.replace(" or null (1/sqrt(D))", " (leave --scale out for 1/sqrt(D))");
        }
        for (String[] p : new String[][] {{"keyLengths", "--key-lengths"}, {"mask:", "--mask:"},
                {"bias:", "--bias:"}, {"headMask", "--head-mask"}}) {
            if (msg.startsWith(p[0])) {
                return p[1] + msg.substring(p[0].length());
            }
        }
        return msg;
    }

    private static NpyArray readArray(String option, Path path) throws IOException {
        try {
            return Npy.read(path);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(option + ": " + e.getMessage(), e);
        }
    }

    private static boolean[] booleans(String option, NpyArray a) {
        float[] f = a.toFloatArray();
        boolean[] b = new boolean[f.length];
        for (int i = 0; i < f.length; i++) {
            if (f[i] != 0f && f[i] != 1f) {
                throw new IllegalArgumentException(option + ": expected a boolean or 0/1 array but element " + i
                        + " is " + f[i]);
            }
            b[i] = f[i] != 0f;
        }
        return b;
    }
}
