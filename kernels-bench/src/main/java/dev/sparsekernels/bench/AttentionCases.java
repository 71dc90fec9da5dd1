package dev.sparsekernels.bench;

import dev.sparsekernels.AttentionMask;
import dev.sparsekernels.cpu.FlashAttention;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Function;

/**
 * Fused masked attention on the CPU (F32, {@link FlashAttention}) on one shape {batch, heads, L, D} (Lq = Lk = L):
 * no mask and causal, with the libtorch SDPA peer recorded as missing until org.bytedeco:pytorch is on the class
 * path; then a block-sparse mask keeping 25% of the 64x64 blocks against the same pattern given as a dense boolean
 * mask to our own kernel (peer "ours-dense-mask": the speedup is what skipping whole tiles buys).
 * Records: "op":"attention","format":"fused","mask":...,"shape":{"batch","heads","lq","lk","d"}.
 */
final class AttentionCases {
    private AttentionCases() {
    }

    static final String NO_TORCH = "none: libtorch SDPA not measured (needs org.bytedeco:pytorch on the class path)";

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
            double ms = Timing.medianMs(() -> FlashAttention.attention(q, k, v, b, h, h, l, l, d, m, scale, threads),
                    2, 3, budgetMs);
            records.add(new BenchRecord("attention", "fused", "cpu", shapeMap, "f32", ms, NO_TORCH, null, threads)
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
        double denseMs = Timing.medianMs(
                () -> FlashAttention.attention(q, k, v, b, h, h, l, l, d, denseMask, scale, threads), 2, 3, budgetMs);
        records.add(new BenchRecord("attention", "fused", "cpu", shapeMap, "f32", denseMs, NO_TORCH, null, threads,
                layout.density()).withMask("dense-mask"));
        progress.apply(name + ": block:0.25");
        double blockMs = Timing.medianMs(
                () -> FlashAttention.attention(q, k, v, b, h, h, l, l, d, blockMask, scale, threads), 2, 3, budgetMs);
        records.add(new BenchRecord("attention", "fused", "cpu", shapeMap, "f32", blockMs, "ours-dense-mask", denseMs,
                threads, layout.density()).withMask("block:0.25")); // the target; "density" has the exact share
        return records;
    }
}
