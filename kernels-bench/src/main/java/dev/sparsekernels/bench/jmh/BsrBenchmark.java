package dev.sparsekernels.bench.jmh;

import dev.sparsekernels.BlockSparseMatrix;
import dev.sparsekernels.Tensor;
import dev.sparsekernels.bench.BenchData;
import dev.sparsekernels.bench.GemmPeer;
import dev.sparsekernels.bench.OpenBlasPeer;
import dev.sparsekernels.bench.peers.OpenBlasSgemm;
import dev.sparsekernels.cpu.BsrGemm;
import dev.sparsekernels.cpu.BsrWeights;
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
 * Block-sparse Y = X·Wᵀ + b on the CPU, F32: our BSR kernel (W block-norm pruned to a density) against OpenBLAS dense
 * sgemm on the unpruned W of the same shape. Run:
 * java -jar kernels-bench/target/benchmarks.jar BsrBenchmark -p block=32 -p density=0.1
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
// the launcher's JIT flags (see ./sparsekernels): every kernel reaches C2 through fully profiled C1 code
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED",
    "-XX:-ProfileInterpreter", "-XX:Tier3DelayOn=1000000"})
public class BsrBenchmark {
    @Param({"1", "512"})
    public int tokens;

    @Param({"4096"})
    public int in;

    @Param({"4096"})
    public int out;

    @Param({"16", "32", "64"})
    public int block;

    @Param({"0.5", "0.3", "0.1", "0.05"})
    public double density;

    @Param({"2"})
    public int threads;

    private float[] x;
    private float[] bias;
    private float[] y;
    private int[] rowPointers;
    private int[] columnIndices;
    private float[] values;
    private BsrWeights prepared;
    private GemmPeer openblas;

    @Setup(Level.Trial)
    public void setUp() {
        Random r = new Random(1);
        x = BenchData.uniform(r, tokens * in);
        float[] w = BenchData.uniform(r, out * in);
        bias = BenchData.uniform(r, out);
        y = new float[tokens * out];
        try (Tensor wt = Tensor.of(w, out, in); BlockSparseMatrix m = BlockSparseMatrix.prune(wt, block, block, density)) {
            rowPointers = m.rowPointers();
            columnIndices = m.columnIndices();
            values = m.values();
            prepared = m.cpuWeights();
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
    public float[] bsr() {
        BsrGemm.linear(x, tokens, in, out, block, block, rowPointers, columnIndices, values, bias, y, threads);
        return y;
    }

    /** W prepared once ({@code BsrWeights}, as a model layer or the CPU backend runs it). */
    @Benchmark
    public float[] bsrPrepared() {
        BsrGemm.linear(x, tokens, prepared, bias, y, threads);
        return y;
    }

    /** The dense peer does not depend on block or density: compare it within one (tokens, in, out). */
    @Benchmark
    public float[] openblasDense() {
        if (openblas == null) {
            throw new IllegalStateException("OpenBLAS unavailable: " + OpenBlasSgemm.unavailabilityCause());
        }
        openblas.run();
        return openblas.result();
    }
}
