package dev.sparsekernels.bench.jmh;

import dev.sparsekernels.AttentionMask;
import dev.sparsekernels.bench.BenchData;
import dev.sparsekernels.bench.BlockPattern;
import dev.sparsekernels.bench.peers.TorchSdpa;
import dev.sparsekernels.cpu.AttentionLayout;
import dev.sparsekernels.cpu.FlashAttention;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Fused masked attention on the CPU, F32, B = 1, Lq = Lk: ours against libtorch's CPU
 * {@code scaled_dot_product_attention} (org.bytedeco:pytorch) on the same inputs and mask. Masks: {@code none},
 * {@code causal}, {@code dense-mask} (the bench's random 25% of 64 x 64 blocks as a boolean [H, L, L] mask) and
 * {@code block} (the same pattern as a block-sparse mask: compare ours here with ours at {@code dense-mask}, issue
 * 5's 3x; libtorch gets the dense mask, which is what it would be given). Ours writes into an output made once, as
 * the GEMM benchmarks give Y, so that G1's placement of a new humongous array per call does not enter the time
 * (docs/reliability.md, "Fresh memory"). Run:
 * java -jar kernels-bench/target/benchmarks.jar AttentionBenchmark -p mask=block,dense-mask
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
// the launcher's JIT flags (see ./sparsekernels): every kernel reaches C2 through fully profiled C1 code
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED",
    "-XX:-ProfileInterpreter", "-XX:Tier3DelayOn=1000000"})
public class AttentionBenchmark {
    @Param({"none", "causal", "dense-mask", "block"})
    public String mask;

    @Param({"12"})
    public int heads;

    @Param({"1024"})
    public int length;

    @Param({"64"})
    public int dim;

    @Param({"2"})
    public int threads;

    private float[] q;
    private float[] k;
    private float[] v;
    private float[] out;
    private AttentionLayout layout;
    private AttentionMask ours;
    private float scale;
    private TorchSdpa torch;
    private boolean[] torchMask;
    private boolean torchCausal;

    @Setup(Level.Trial)
    public void setUp() {
        Random r = new Random(45); // Q, K, V, then the pattern: the bench suite's draws
        int n = heads * length * dim;
        q = BenchData.gaussian(r, n);
        k = BenchData.gaussian(r, n);
        v = BenchData.gaussian(r, n);
        BlockPattern pattern = BlockPattern.random(r, heads, length, 64, 0.25);
        out = new float[n];
        layout = AttentionLayout.heads(1, heads, length, dim);
        scale = (float) (1 / Math.sqrt(dim));
        switch (mask) {
            case "none" -> ours = AttentionMask.none();
            case "causal" -> {
                ours = AttentionMask.causal();
                torchCausal = true;
            }
            case "dense-mask" -> {
                ours = pattern.denseMask();
                torchMask = pattern.dense;
            }
            case "block" -> {
                ours = pattern.blockMask();
                torchMask = pattern.dense;
            }
            default -> throw new IllegalArgumentException("mask: expected none, causal, dense-mask or block, got "
                    + mask);
        }
        if (TorchSdpa.isAvailable()) {
            torch = new TorchSdpa(q, k, v, 1, heads, length, length, dim, torchCausal, torchMask, scale, threads);
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        if (torch != null) {
            torch.close();
        }
    }

    @Benchmark
    public float[] ours() {
        FlashAttention.attention(q, layout, k, layout, v, layout, out, layout, 1, heads, heads, length, length, dim,
                ours, scale, threads);
        return out;
    }

    @Benchmark
    public void libtorchSdpa() {
        if (torch == null) {
            throw new IllegalStateException("libtorch unavailable: " + TorchSdpa.unavailabilityCause());
        }
        torch.run();
    }
}
