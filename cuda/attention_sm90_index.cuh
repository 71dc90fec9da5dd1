// Index arithmetic of the EXPERIMENTAL Hopper attention kernel (cuda/attention_sm90.cu) as plain __host__ __device__
// functions, so host code (native/tests) can check it on the CPU: tile configuration, 128-byte-swizzled shared-memory
// placement of Q / K / V chunks, the wgmma descriptor start addresses per k16 step, and the accumulator element ->
// (row, column) map the online softmax and the epilogue rely on. Masks and tile ranges reuse attention_index.cuh
// (att_tile_range, att_tile_partial, att_visible, att_kv_head, att_klen) with this kernel's BQ / BK.
#pragma once
#include <stdint.h>

#include "attention_index.cuh"

namespace skcuda {

// Kernel for head dim D (64 or 128), BK keys per tile. CTA = 2 warpgroups (256 threads), 128 query rows (64 per
// warpgroup). Every operand tile is stored as D / 64 "d-blocks" of rows x 128 bytes (64 16-bit elements per row,
// one 128B swizzle row), each d-block rows * 128 bytes, 1024-aligned (rows is a multiple of 8):
//   Q  [128 rows][D]            K-major A of S = Q K^T (D contiguous)
//   K  [BK keys][D] x STAGES     K-major B of S (D contiguous: "K-major" in wgmma terms, as stored in memory)
//   V  [BK keys][D] x STAGES     B of O = P V, N = d contiguous: MN-major, read with imm-trans-b = 1
// STAGES: 2 for attention_sm90.cu's kernels, 3 for the software-pipelined one (attention_sm90_overlap.cu), whose PV
// of a tile runs while the next tile's K is in use and the one after that loads.
template <int D_, int BK_, int STAGES_ = 2>
struct AttSm90Cfg {
  static constexpr int D = D_;
  static constexpr int BK = BK_;
  static constexpr int BQ = 128;
  static constexpr int THREADS = 256;
  static constexpr int DB = D / 64;                    // d-blocks of 64 columns
  static constexpr int CH = D / 8;                     // 16-byte chunks per row
  static constexpr int Q_BYTES = BQ * D * 2;
  static constexpr int KV_BYTES = BK * D * 2;          // one K (or V) tile
  static constexpr int Q_DBLOCK = BQ * 128;            // bytes between d-blocks of Q
  static constexpr int KV_DBLOCK = BK * 128;           // bytes between d-blocks of a K / V tile
  static constexpr int STAGES = STAGES_;
  static constexpr int Q_OFF = 0;
  static constexpr int K_OFF = Q_BYTES;                              // + stage * KV_BYTES
  static constexpr int V_OFF = Q_BYTES + STAGES * KV_BYTES;          // + stage * KV_BYTES
  // The decoupled pipeline's mbarriers after the tiles: full[STAGES], then empty[STAGES], 8 bytes each.
  static constexpr int BAR_OFF = V_OFF + STAGES * KV_BYTES;
  static constexpr int SMEM_BYTES = BAR_OFF + 2 * STAGES * 8 + 1024;  // + slack to align the base to 1024
  static constexpr int NS = BK / 2;                    // S accumulators per thread (m64 x BK f32)
  static constexpr int NO = 32;                        // O accumulators per thread per 64-column d-block
  static_assert(D == 64 || D == 128, "head dim 64 or 128");
  static_assert(BK == 64 || BK == 128, "64 or 128 keys per tile");
  static_assert(Q_BYTES % 1024 == 0 && KV_BYTES % 1024 == 0, "every tile stays 1024-aligned");
  static_assert((BQ * CH) % THREADS == 0 && (BK * CH) % THREADS == 0, "copies spread evenly");
  static_assert(STAGES == 2 || STAGES == 3, "a 2- or 3-stage K / V ring");
  static_assert(SMEM_BYTES <= 227 * 1024, "within the 227 KB opt-in shared memory of an sm_90 SM");
};

// Decoupled pipeline (attention_sm90.cu, experimental): tile index i = kt - lo of a CTA's key loop uses ring stage
// i % 2, for the (i / 2)-th time; waiting for that use's full or empty phase is mbarrier.try_wait.parity with this
// parity. Every waiter stays within one phase of its barrier (the next phase needs the waiter's own progress).
SK_HD int att90d_parity(int i) { return (i >> 1) & 1; }

// The software-pipelined kernel loaded by TMA (attention_sm90_overlap.cu, experimental): Q, K and V seen as 2-D
// tensors of [rows][D] (Q: B * Hq * Lq rows, K and V: B * Hkv * Lk rows, D contiguous), boxes of 64 columns x 128 rows
// with the 128-byte swizzle: one box per d-block of a tile, exactly the d-block layout above (att90_chunk_offset). A
// tile's rows past its head's Lk (and a Q block's past Lq) come from the next head or, past the tensor, are zeros:
// those keys are masked (the tile is partial, so its scores are selected to -inf and the non-finite V guard runs on
// it), those query rows are never stored, so neither changes a result. Row coordinates are int32 (the host falls back
// to the cp.async kernel above 2^31 - 256 rows).
template <class C>
SK_HD TmaMap2d att90t_map(int64_t rows, int box_rows) { return {C::D, rows, (int64_t)C::D * 2, 64, box_rows}; }
// First row of the CTA's Q block, and of its K / V head, in those 2-D views.
template <class C>
SK_HD int att90t_q_row(int64_t q_base, int q0) { return (int)(q_base / C::D) + q0; }
template <class C>
SK_HD int att90t_kv_row(int64_t kv_base, int kt) { return (int)(kv_base / C::D) + kt * C::BK; }

// Query blocks of 128 rows, ranked heaviest (last) first for causal, as attention.cu: rank 0 is the last block.
SK_HD int att90_num_qblocks(int64_t lq) { return (int)((lq + 127) / 128); }
SK_HD int att90_qblock_of(int bx, int nqb) { return nqb - 1 - bx; }

// The CTA order (session 16). A 1-D grid of nqb x B*Hq CTAs, which the GPU starts in index order: heads (b * Hq + h)
// in groups, each group's CTAs ranked heaviest query block first across all of its heads. The earlier order (grid x =
// query blocks of one head, y = heads) ran every head's heaviest block only when that head's turn came, so causal
// calls ended with heavy blocks started in the last wave: a list-scheduling model of 132 SMs (one CTA each, cost =
// key tiles seen) gives 146 units against an ideal 128 at B2 H16 L4096, 282 against 252 at L8192, 1010 against
// 1001 at L16384, the pattern the H200 measured (383, 423 and 467 TFLOP/s). Groups of heads whose K and V fit
// kAtt90GroupBytes keep the tiles that concurrent CTAs reread in L2; the model gives 128 / 253 / 1003 with them.
// A group of 1 is the earlier order.
constexpr int64_t kAtt90GroupBytes = (int64_t)16 << 20;
SK_HD int att90_group_heads(int bh_count, int64_t lk, int d, int elem_bytes) {
  const int64_t per_head = 2 * lk * (int64_t)d * elem_bytes;  // K and V of one head
  int64_t g = per_head > 0 ? kAtt90GroupBytes / per_head : bh_count;
  if (g < 1) g = 1;
  if (g > bh_count) g = bh_count;
  return (int)g;
}
struct Att90CtaPos {
  int rank;  // the query block's rank (att90_qblock_of)
  int bh;    // b * Hq + h
};
// CTA i of nqb x bh_count, heads in groups of `group` (the last group may be smaller).
SK_HD Att90CtaPos att90_cta_at(int64_t i, int nqb, int bh_count, int group) {
  const int64_t per_group = (int64_t)nqb * group;
  const int g = (int)(i / per_group);
  const int64_t j = i - (int64_t)g * per_group;
  const int first = g * group;
  const int gg = bh_count - first < group ? bh_count - first : group;
  Att90CtaPos p;
  p.rank = (int)(j / gg);
  p.bh = first + (int)(j % gg);
  return p;
}

// Byte offset (from the tile start) of 16-byte chunk `ch` (0 .. D/8-1) of row r in a tile of `rows` rows stored as
// d-blocks: d-block ch / 8, swizzle128 chunk ch % 8 (wgmma.cuh: chunk c of row r at r * 128 + ((c ^ (r & 7)) << 4)).
SK_HD uint32_t att90_chunk_offset(int r, int ch, int rows) {
  const uint32_t kb = (uint32_t)ch >> 3, c = (uint32_t)ch & 7u, rr = (uint32_t)r;
  return kb * (uint32_t)rows * 128u + rr * 128u + ((c ^ (rr & 7u)) << 4);
}

// cp.async copy c (0 <= c < rows * D/8) of a [rows][D] tile: tile row c / (D/8), chunk c % (D/8); source row
// row0 + r of a [nrows][D] matrix at element offset base; zero-filled (ok = false) past nrows.
template <class C>
SK_HD CopyPlan att90_copy(int c, int rows, int row0, int nrows, int64_t base) {
  const int r = c / C::CH, ch = c % C::CH;
  CopyPlan p;
  p.dst = (int)att90_chunk_offset(r, ch, rows);  // bytes here (attention.cu's plans count halves)
  p.ok = row0 + r < nrows;
  p.src = p.ok ? base + (int64_t)(row0 + r) * C::D + ch * 8 : 0;
  return p;
}

// Descriptor start addresses (bytes from the tile start) for the k16 step ks of S = Q K^T (ks < D / 16): d-block
// ks / 4, 32 bytes per k16 step inside the 128-byte row (the hardware applies the swizzle to the final address, as
// in the GEMM kernels). Q: this warpgroup's 64 rows start 64 * 128 bytes into each d-block.
template <class C>
SK_HD uint32_t att90_q_desc_offset(int wg, int ks) {
  return (uint32_t)(ks >> 2) * C::Q_DBLOCK + (uint32_t)wg * 64u * 128u + (uint32_t)(ks & 3) * 32u;
}
template <class C>
SK_HD uint32_t att90_k_desc_offset(int ks) {
  return (uint32_t)(ks >> 2) * C::KV_DBLOCK + (uint32_t)(ks & 3) * 32u;
}
// V for the PV step kk (keys 16 kk .. 16 kk + 15, kk < BK / 16) and d-block db (64 output columns): MN-major, so
// 16 keys = 2 rows groups of 8 keys x 128 B = 2048 bytes per step; whole swizzle atoms, base offset 0.
template <class C>
SK_HD uint32_t att90_v_desc_offset(int kk, int db) {
  return (uint32_t)db * C::KV_DBLOCK + (uint32_t)kk * 2048u;
}

// wgmma m64nN f32 accumulator element i of lane `lane` in warp w (= warp index % 4 in its warpgroup): row
// 16 w + lane / 4 + 8 ((i / 2) % 2), column 8 (i / 4) + 2 (lane % 4) + i % 2 (the mma.sync m16n8 C layout repeated
// over the N / 8 column groups; the BSR kernel's epilogue relies on it and passed on the GPU).
SK_HD int att90_acc_row(int w, int lane, int i) { return 16 * w + (lane >> 2) + 8 * ((i >> 1) & 1); }
SK_HD int att90_acc_col(int lane, int i) { return 8 * (i >> 2) + 2 * (lane & 3) + (i & 1); }

// P as the register A operand of the PV step kk: register r (0..3) packs S accumulators 8 kk + 2 r (low half) and
// 8 kk + 2 r + 1 (high half). A fragment of m64nNk16 (CUTLASS SM90 ALayout_64x16, the mma.m16n8k16 A layout per
// warp): reg 0 = (row g, k 2t, 2t+1), reg 1 = (g + 8, 2t..), reg 2 = (g, 8 + 2t..), reg 3 = (g + 8, 8 + 2t..),
// g = lane / 4, t = lane % 4, rows 16 w + ... ; the S accumulators 8 kk .. 8 kk + 7 are n8 groups 2 kk and
// 2 kk + 1, i.e. exactly those (row, key) pairs for keys 16 kk .. 16 kk + 15.
SK_HD int att90_p_acc_index(int kk, int reg, int half) { return 8 * kk + 2 * reg + half; }
// The (row, k) of A element e (0..7, a0..a7: reg e / 2, half e % 2) of the m64nNk16 register fragment.
SK_HD int att90_a_row(int w, int lane, int e) { return 16 * w + (lane >> 2) + 8 * ((e >> 1) & 1); }
SK_HD int att90_a_col(int lane, int e) { return 2 * (lane & 3) + (e & 1) + 8 * (e >> 2); }

}  // namespace skcuda
