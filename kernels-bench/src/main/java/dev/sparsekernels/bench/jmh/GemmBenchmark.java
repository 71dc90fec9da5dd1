package dev.sparsekernels.bench.jmh;

import dev.sparsekernels.Sparse24Matrix;
import dev.sparsekernels.Tensor;
import dev.sparsekernels.bench.BenchData;
import dev.sparsekernels.bench.GemmPeer;
import dev.sparsekernels.bench.OpenBlasPeer;
import dev.sparsekernels.bench.peers.OpenBlasSgemm;
import dev.sparsekernels.cpu.DenseGemm;
import dev.sparsekernels.cpu.Sparse24Gemm;
import dev.sparsekernels.cpu.Sparse24Weights;
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
 * Y = X·Wᵀ + b on the CPU, F32: our dense kernel, our 2:4 kernel and OpenBLAS sgemm/sgemv on the same data.
 * Run: java -jar kernels-bench/target/benchmarks.jar GemmBenchmark -p tokens=512
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
// the launcher's JIT flags (see ./sparsekernels): every kernel reaches C2 through fully profiled C1 code
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED",
    "-XX:-ProfileInterpreter", "-XX:Tier3DelayOn=1000000"})
public class GemmBenchmark {
    @Param({"1", "512", "2048"})
    public int tokens;

    @Param({"4096"})
    public int in;

    @Param({"4096"})
    public int out;

    @Param({"2"})
    public int threads;

    private float[] x;
    private float[] w;
    private float[] bias;
    private float[] y;
    private Sparse24Weights sparse;
    private GemmPeer openblas;

    @Setup(Level.Trial)
    public void setUp() {
        Random r = new Random(1);
        x = BenchData.uniform(r, tokens * in);
        w = BenchData.uniform(r, out * in);
        bias = BenchData.uniform(r, out);
        y = new float[tokens * out];
        try (Tensor wt = Tensor.of(w, out, in); Sparse24Matrix s = Sparse24Matrix.prune(wt)) {
            sparse = s.cpuWeights();
        }
        if (OpenBlasSgemm.isAvailable()) {
            openblas = new OpenBlasPeer(x, tokens, in, w, out, bias, threads);
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        if (openblas != null) {
            openblas.close();
        }
    }

    @Benchmark
    public float[] dense() {
        DenseGemm.linear(x, tokens, in, w, out, bias, y, threads);
        return y;
    }

    @Benchmark
    public float[] sparse24() {
        Sparse24Gemm.linear(x, tokens, in, sparse, bias, y, threads);
        return y;
    }

    @Benchmark
    public float[] openblasDense() {
        if (openblas == null) {
            throw new IllegalStateException("OpenBLAS unavailable: " + OpenBlasSgemm.unavailabilityCause());
        }
        openblas.run();
        return openblas.result();
    }
}
