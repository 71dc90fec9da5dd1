package dev.sparsekernels.bench;

import dev.sparsekernels.AttentionMask;
import dev.sparsekernels.bench.peers.TorchSdpa;
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

        for (String kind : new String[] {"none", "causal"}) {
            AttentionMask m = kind.equals("none") ? AttentionMask.none() : AttentionMask.causal();
            progress.apply(name + ": " + kind);
            float[][] ours = new float[1][];
            double ms = Timing.medianMs(() -> ours[0] = FlashAttention.attention(q, k, v, b, h, h, l, l, d, m, scale,
                    threads), 2, 3, budgetMs);
            String peer = noTorch();
            Double peerMs = null;
            if (TorchSdpa.isAvailable()) {
                progress.apply(name + ": " + kind + ", libtorch");
                try (TorchSdpa t = new TorchSdpa(q, k, v, b, h, l, l, d, kind.equals("causal"), null, scale, threads)) {
                    peerMs = timePeer(t, ours[0], kind, budgetMs);
                    peer = t.name();
                }
            }
            records.add(new BenchRecord("attention", "fused", "cpu", shapeMap, "f32", ms, peer, peerMs, threads)
                    .withMask(kind));
        }

        // the same 25% block pattern (per head), once as block-sparse and once as a dense boolean mask
        int bs = 64;
        int nb = (l + bs - 1) / bs;
        byte[] grid = new byte[h * nb * nb];
        boolean[] dense = new boolean[h * l * l];
        for (int hh = 0; hh < h; hh++) {
            for (int qb = 0; qb < nb; qb++) {
                for (int kb = 0; kb < nb; kb++) {
                    // the diagonal block always, so no row is empty; about 25% of all blocks kept
                    boolean keep = kb == qb || rnd.nextDouble() < (0.25 * nb - 1) / (nb - 1.0);
                    grid[(hh * nb + qb) * nb + kb] = keep ? AttentionMask.BlockSparse.FULL
                            : AttentionMask.BlockSparse.SKIP;
                }
            }
            for (int i = 0; i < l; i++) {
                for (int j = 0; j < l; j++) {
                    dense[(hh * l + i) * l + j] = grid[(hh * nb + i / bs) * nb + j / bs] != 0;
                }
            }
        }
        AttentionMask.BlockSparse layout = AttentionMask.BlockSparse.fromGrid(bs, bs, 1, h, nb, nb, grid);
        AttentionMask blockMask = AttentionMask.builder().blockSparse(layout).build();
        AttentionMask denseMask = AttentionMask.builder().dense(dense, 1, h, l, l).build();
        progress.apply(name + ": dense-mask");
        float[][] oursDense = new float[1][];
        double denseMs = Timing.medianMs(() -> oursDense[0] = FlashAttention.attention(q, k, v, b, h, h, l, l, d,
                denseMask, scale, threads), 2, 3, budgetMs);
        String peer = noTorch();
        Double peerMs = null;
        if (TorchSdpa.isAvailable()) {
            progress.apply(name + ": dense-mask, libtorch");
            try (TorchSdpa t = new TorchSdpa(q, k, v, b, h, l, l, d, false, dense, scale, threads)) {
                peerMs = timePeer(t, oursDense[0], "dense-mask", budgetMs);
                peer = t.name();
            }
        }
        records.add(new BenchRecord("attention", "fused", "cpu", shapeMap, "f32", denseMs, peer, peerMs, threads,
                layout.density()).withMask("dense-mask"));
        progress.apply(name + ": block:0.25");
        double blockMs = Timing.medianMs(
                () -> FlashAttention.attention(q, k, v, b, h, h, l, l, d, blockMask, scale, threads), 2, 3, budgetMs);
        records.add(new BenchRecord("attention", "fused", "cpu", shapeMap, "f32", blockMs, "ours-dense-mask", denseMs,
                threads, layout.density()).withMask("block:0.25")); // the target; "density" has the exact share
        return records;
    }

    /** Checks the peer's answer against ours (F32 both sides, same inputs), then times it like ours. */
    private static double timePeer(TorchSdpa t, float[] ours, String kind, double budgetMs) {
        t.run();
        float[] theirs = t.result();
        for (int i = 0; i < ours.length; i++) {
            if (!(Math.abs(ours[i] - theirs[i]) <= 1e-4)) {
                throw new IllegalStateException("attention " + kind + ": libtorch differs from ours at " + i + ": "
                        + theirs[i] + " vs " + ours[i]);
            }
        }
        return Timing.medianMs(t::run, 2, 3, budgetMs);
    }
}
