package dev.sparsekernels.bench;

import dev.sparsekernels.AttentionMask;
import dev.sparsekernels.bench.peers.TorchSdpa;
import dev.sparsekernels.cpu.AttentionLayout;
import dev.sparsekernels.cpu.FlashAttention;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Function;

/**
 * Fused masked attention on the CPU (F32, {@link FlashAttention}) on one shape {batch, heads, L, D} (Lq = Lk = L):
 * no mask, causal and a dense boolean mask against libtorch's CPU {@code scaled_dot_product_attention} ({@link TorchSdpa},
 * same inputs, same thread count; recorded as missing with the reason when org.bytedeco:pytorch is not on the class
 * path); then a block-sparse mask keeping 25% of the 64x64 blocks against the same pattern given as a dense boolean
 * mask to our own kernel (peer "ours-dense-mask": the speedup is what skipping whole tiles buys). Every peer's output
 * is compared with ours before anything is timed.
 * Records: "op":"attention","format":"fused","mask":...,"shape":{"batch","heads","lq","lk","d"}.
 */
final class AttentionCases {
    private AttentionCases() {
    }

    static String noTorch() {
        return "none: libtorch SDPA unavailable (" + TorchSdpa.unavailabilityCause() + ")";
    }

    static List<BenchRecord> run(int[] shape, int threads, double budgetMs, Function<String, Void> progress) {
        int b = shape[0];
        int h = shape[1];
        int l = shape[2];
        int d = shape[3];
        Random rnd = new Random(45);
        float[] q = BenchData.gaussian(rnd, b * h * l * d);
        float[] k = BenchData.gaussian(rnd, b * h * l * d);
        float[] v = BenchData.gaussian(rnd, b * h * l * d);
        float scale = (float) (1 / Math.sqrt(d));
        Map<String, Object> shapeMap = new LinkedHashMap<>();
        shapeMap.put("batch", b);
        shapeMap.put("heads", h);
        shapeMap.put("lq", l);
        shapeMap.put("lk", l);
        shapeMap.put("d", d);
        String name = "attention " + b + "x" + h + "x" + l + "x" + d;
        List<BenchRecord> records = new ArrayList<>();

        BlockPattern pattern = BlockPattern.random(rnd, h, l, 64, 0.25); // drawn after Q, K and V, as always
        AttentionMask.BlockSparse layout = pattern.layout;
        boolean[] dense = pattern.dense;
        AttentionMask blockMask = pattern.blockMask();
        AttentionMask denseMask = pattern.denseMask();

        // Every mask a few times before any timing. C2 compiles the tile loop for the masks it has seen, and the
        // first call with a mask it has not seen deoptimises it: slower code runs for a second or two while it is
        // recompiled (causal medians up to 1.5x the best in AttentionProbe before it warmed up this way; the
        // block-sparse call 6-21 ms in quick suites against 4.5-5 in BlockMaskProbe, session 17, when only the
        // unmasked and causal calls were warmed).
        // Ours writes into an output made once, as the GEMM cases do (Y given), so that the times are the kernel's:
        // a new 3 MiB output per call is a humongous array, which G1 places in a heap region not used before until
        // the whole heap has been once (6 GiB under the launcher's flags, 1,500 calls), and those first touches cost
        // about 1 ms a call on this VM (BlockMaskProbe with the launcher's heap flags: block:0.25 best 4.76-4.82 ms,
        // 3.45-3.70 once G1 reclaimed them early; docs/reliability.md, "Fresh memory"). libtorch allocates its own.
        float[] outNone = new float[b * h * l * d];
        float[] outCausal = new float[outNone.length];
        float[] outDense = new float[outNone.length];
        float[] outBlock = new float[outNone.length];
        AttentionLayout lay = AttentionLayout.heads(b, h, l, d);
        for (int i = 0; i < 3; i++) {
            ours(q, k, v, lay, outNone, AttentionMask.none(), shape, scale, threads).run();
            ours(q, k, v, lay, outCausal, AttentionMask.causal(), shape, scale, threads).run();
            ours(q, k, v, lay, outDense, denseMask, shape, scale, threads).run();
            ours(q, k, v, lay, outBlock, blockMask, shape, scale, threads).run();
        }
        for (String kind : new String[] {"none", "causal"}) {
            AttentionMask m = kind.equals("none") ? AttentionMask.none() : AttentionMask.causal();
            progress.apply(name + ": " + kind);
            float[] out = kind.equals("none") ? outNone : outCausal;
            Runnable run = ours(q, k, v, lay, out, m, shape, scale, threads);
            double ms;
            String peer = noTorch();
            Double peerMs = null;
            if (TorchSdpa.isAvailable()) {
                try (TorchSdpa t = new TorchSdpa(q, k, v, b, h, l, l, d, kind.equals("causal"), null, scale, threads)) {
                    double[] t2 = withPeer(run, out, t, kind, budgetMs);
                    ms = t2[0];
                    peerMs = t2[1];
                    peer = t.name();
                }
            } else {
                ms = Timing.roundRobinMediansMs(List.of(run), 1, 3, budgetMs)[0];
            }
            records.add(new BenchRecord("attention", "fused", "cpu", shapeMap, "f32", ms, peer, peerMs, threads)
                    .withMask(kind));
        }

        progress.apply(name + ": dense-mask");
        Runnable runDense = ours(q, k, v, lay, outDense, denseMask, shape, scale, threads);
        Runnable runBlock = ours(q, k, v, lay, outBlock, blockMask, shape, scale, threads);
        double denseMs;
        String peer = noTorch();
        Double peerMs = null;
        if (TorchSdpa.isAvailable()) {
            try (TorchSdpa t = new TorchSdpa(q, k, v, b, h, l, l, d, false, dense, scale, threads)) {
                double[] t2 = withPeer(runDense, outDense, t, "dense-mask", budgetMs);
                denseMs = t2[0];
                peerMs = t2[1];
                peer = t.name();
            }
        } else {
            denseMs = Timing.roundRobinMediansMs(List.of(runDense), 1, 3, budgetMs)[0];
        }
        records.add(new BenchRecord("attention", "fused", "cpu", shapeMap, "f32", denseMs, peer, peerMs, threads,
                layout.density()).withMask("dense-mask"));
        progress.apply(name + ": block:0.25 against the dense mask, round-robin");
        // Back to back, no pause: both calls are ours, and no peer's threads spin after them. With the 150 ms pauses
        // this VM ran the 6 ms block-sparse call bimodally (BlockMaskProbe, session 16: best 5.3, median 12.9 ms;
        // the dense mask 16.1 / 23.9), so the ratio swung between 1.9x and 3.0x from run to run; back to back both
        // run steadily slower (8.5 / 8.9 and 27.3 / 28.5 ms) and the ratio held at 3.2-3.3x.
        double[] bd = Timing.roundRobinMediansMs(List.of(runBlock, runDense), 1, 3, budgetMs, 0);
        double blockMs = bd[0];
        denseMs = bd[1]; // the block-sparse record's peer: our dense mask timed in the same rounds
        records.add(new BenchRecord("attention", "fused", "cpu", shapeMap, "f32", blockMs, "ours-dense-mask", denseMs,
                threads, layout.density()).withMask("block:0.25")); // the target; "density" has the exact share
        return records;
    }

    /**
     * Runs ours once and checks the peer's answer against it (F32 both sides, same inputs), then times both
     * round-robin: {ours ms, peer ms}.
     */
    /** One call of ours with {@code mask}, Q, K, V and the output all in {@code lay}, written into {@code out}. */
    private static Runnable ours(float[] q, float[] k, float[] v, AttentionLayout lay, float[] out, AttentionMask mask,
            int[] shape, float scale, int threads) {
        int b = shape[0];
        int h = shape[1];
        int l = shape[2];
        int d = shape[3];
        return () -> FlashAttention.attention(q, lay, k, lay, v, lay, out, lay, b, h, h, l, l, d, mask, scale, threads);
    }

    private static double[] withPeer(Runnable run, float[] ours, TorchSdpa t, String kind, double budgetMs) {
        run.run();
        check(t, ours, kind);
        return Timing.roundRobinMediansMs(List.of(run, t::run), 1, 3, budgetMs);
    }

    private static void check(TorchSdpa t, float[] ours, String kind) {
        t.run();
        float[] theirs = t.result();
        for (int i = 0; i < ours.length; i++) {
            if (!(Math.abs(ours[i] - theirs[i]) <= 1e-4)) {
                throw new IllegalStateException("attention " + kind + ": libtorch differs from ours at " + i + ": "
                        + theirs[i] + " vs " + ours[i]);
            }
        }
    }
}
