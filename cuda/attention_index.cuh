// Index arithmetic of the fused attention kernel (cuda/attention.cu) as plain __host__ __device__ functions:
// tile config per head-dim kernel, cp.async copy plans for Q/K/V tiles, ldmatrix lane addresses (Q as A, K as
// non-trans B, V as .trans B), key-tile ranges that causal / window / key lengths leave, and the per-element
// visibility rule. Plain C++ (compiles with g++ via gemm_index.cuh's SK_HD) so host code and a CPU emulator can
// run the very same math.
#pragma once
#include <stdint.h>

#include "gemm_index.cuh"

namespace skcuda {

// Kernel for padded head dim DP (32, 64, 128, 256): BQ = 64 query rows per CTA (4 warps x 16 rows), BK keys per
// tile (64, or 32 for DP 256 to fit ~99 KB smem), 2-stage K+V ring, rows padded by 8 halves (16 B): pitch
// (DP + 8) * 2 bytes is an odd multiple of 16, so the 8 rows of an ldmatrix phase hit distinct bank groups.
template <int DP_>
struct AttCfg {
  static constexpr int DP = DP_;
  static constexpr int BQ = 64;
  static constexpr int BK = DP_ >= 256 ? 32 : 64;
  static constexpr int WARPS = 4;
  static constexpr int THREADS = 32 * WARPS;
  static constexpr int PITCH = DP + 8;              // halves per smem row
  static constexpr int CH = DP / 8;                 // 16-byte chunks per row
  static constexpr int Q_ELEMS = BQ * PITCH;        // halves
  static constexpr int KV_ELEMS = BK * PITCH;       // halves of one K (or V) tile
  static constexpr int STAGES = 2;
  static constexpr int Q_OFF = 0;                                  // halves
  static constexpr int K_OFF = Q_ELEMS;                            // + stage * KV_ELEMS
  static constexpr int V_OFF = Q_ELEMS + STAGES * KV_ELEMS;        // + stage * KV_ELEMS
  static constexpr int SMEM_BYTES = (Q_ELEMS + 2 * STAGES * KV_ELEMS) * 2;
  static constexpr int NT = BK / 8;                 // n8 score tiles per warp per key tile
  static constexpr int DT = DP / 8;                 // n8 output tiles per warp
  static constexpr bool Q_IN_REGS = DP <= 128;      // DP 256 reloads Q fragments from smem per key tile
  static_assert(DP % 32 == 0 && DP >= 32 && DP <= 256, "padded head dim 32..256, multiple of 32");
  static_assert(((PITCH * 2) / 16) % 2 == 1, "odd number of 16-byte units per row");
  static_assert((BQ * CH) % THREADS == 0 && (BK * CH) % THREADS == 0, "copies spread evenly");
};

// Padded head dim (the kernel) for a head dim D (multiple of 8, 8..256); 0 when unsupported.
SK_HD int att_padded_dim(int64_t d) {
  if (d < 8 || d > 256 || d % 8 != 0) return 0;
  return d <= 32 ? 32 : d <= 64 ? 64 : d <= 128 ? 128 : 256;
}

constexpr int64_t kAttMaxLen = (int64_t)1 << 30;
constexpr int64_t kAttMaxBH = 65535;  // gridDim.y = B * Hq

// Grid: x = query blocks (heaviest causal blocks first: blockIdx.x 0 is the last query block), y = b * Hq + h.
SK_HD int att_num_qblocks(int64_t lq) { return (int)((lq + 63) / 64); }
SK_HD int att_qblock_of(int bx, int nqb) { return nqb - 1 - bx; }

// GQA: query head h reads kv head h / (Hq / Hkv).
SK_HD int att_kv_head(int h, int hq, int hkv) { return h / (hq / hkv); }

// Effective key count of batch b (key_lengths clamped to [0, Lk]).
SK_HD int att_klen(const int32_t* key_lengths_value_or_null, int lk) {
  if (key_lengths_value_or_null == nullptr) return lk;
  const int v = *key_lengths_value_or_null;
  return v < 0 ? 0 : v > lk ? lk : v;
}

// Per-element visibility from the structural masks (not the dense mask / bias): key j for query i.
SK_HD bool att_visible(int i, int j, int klen, int lq, int lk, bool causal, int64_t window_left,
                       int64_t window_right) {
  if (j >= klen) return false;
  const int64_t diag = (int64_t)i + (lk - lq);
  if (causal && j > diag) return false;
  if (window_left >= 0 && j < diag - window_left) return false;
  if (window_right >= 0 && j > diag + window_right) return false;
  return true;
}

// Key-tile range [lo, hi) that can hold a visible key for any query in [q0, q1) (q1 exclusive, q1 <= lq),
// from klen, causal and the window (left / right bounds, -1 = none). Empty when hi <= lo.
SK_HD void att_tile_range(int q0, int q1, int klen, int lq, int lk, bool causal, int64_t window_left,
                          int64_t window_right, int bk, int& lo, int& hi) {
  int64_t kmax = klen;  // exclusive key bound
  if (causal || window_right >= 0) {
    const int64_t right = causal ? 0 : window_right;
    const int64_t last = (int64_t)(q1 - 1) + (lk - lq) + right + 1;
    if (last < kmax) kmax = last;
  }
  int64_t kmin = 0;
  if (window_left >= 0) {
    const int64_t first = (int64_t)q0 + (lk - lq) - window_left;
    if (first > kmin) kmin = first;
  }
  if (kmax <= kmin) {
    lo = hi = 0;
    return;
  }
  lo = (int)(kmin / bk);
  hi = (int)((kmax + bk - 1) / bk);
}

// A tile [k0, k0 + bk) needs per-element structural masking for queries [q0, q1) unless every key is visible to
// every query: k0 + bk <= klen, causal: k0 + bk - 1 <= q0 + (lk - lq), window: k0 >= (q1 - 1) + (lk - lq) - wl
// and k0 + bk - 1 <= q0 + (lk - lq) + wr.
SK_HD bool att_tile_partial(int k0, int bk, int q0, int q1, int klen, int lq, int lk, bool causal,
                            int64_t window_left, int64_t window_right) {
  if (k0 + bk > klen) return true;
  if (causal && (int64_t)k0 + bk - 1 > (int64_t)q0 + (lk - lq)) return true;
  if (window_right >= 0 && (int64_t)k0 + bk - 1 > (int64_t)q0 + (lk - lq) + window_right) return true;
  if (window_left >= 0 && (int64_t)k0 < (int64_t)(q1 - 1) + (lk - lq) - window_left) return true;
  return false;
}

// cp.async copy c (0 <= c < rows * CH) of a [rows][DP] tile: smem row r = c / CH, chunk ch; source row
// row0 + r of a [nrows][D] matrix at base offset (halves), zero-filled past nrows or past D.
template <class C>
SK_HD CopyPlan att_copy(int c, int row0, int nrows, int d, int64_t base) {
  const int r = c / C::CH, ch = c % C::CH;
  CopyPlan p;
  p.dst = r * C::PITCH + ch * 8;
  p.ok = row0 + r < nrows && ch * 8 < d;
  p.src = p.ok ? base + (int64_t)(row0 + r) * d + ch * 8 : 0;
  return p;
}

// ldmatrix.x4 lane addresses (halves into the tile), shared/notes/ptx-fragments.md 2.3.
// Q as A (16x16 at warp rows, d chunk kk): row l % 16, col 8 * (l / 16).
template <class C>
SK_HD int att_ldsm_q(int warp, int kk, int lane) {
  return (warp * 16 + (lane & 15)) * C::PITCH + kk * 16 + (lane >> 4) * 8;
}
// K as non-trans B for score tiles 2np, 2np+1 (keys 16np..16np+15) at d chunk kk: key (l%8) + 8(l/16),
// d 8((l/8)%2). Registers 0,1 -> tile 2np, 2,3 -> tile 2np+1.
template <class C>
SK_HD int att_ldsm_k(int np, int kk, int lane) {
  return (np * 16 + (lane & 7) + ((lane >> 4) << 3)) * C::PITCH + kk * 16 + ((lane >> 3) & 1) * 8;
}
// V as .trans B for PV step kk (keys 16kk..16kk+15) and output tiles 2dp, 2dp+1: key (l%8) + 8((l/8)%2),
// d 8(l/16) + 16dp.
template <class C>
SK_HD int att_ldsm_v(int kk, int dp, int lane) {
  return (kk * 16 + (lane & 7) + (((lane >> 3) & 1) << 3)) * C::PITCH + dp * 16 + (lane >> 4) * 8;
}

// The key tiles one CTA visits, in order: the dense range [lo, hi), or the tiles of a block-sparse list (each
// listed key block is rep = kv_block / BK tiles), restricted to [lo, hi). tile(i) is -1 for list entries that
// fall outside (out-of-range block index, or removed by causal / window / key length); next(i) skips those.
// The list is read through plain loads (uniform across the CTA; L1-cached).
struct AttTileSeq {
  int lo, hi, n, rep, nkb;
  const int32_t* list;
  const uint8_t* full;
  SK_HD int tile(int i) const {
    if (list == nullptr) return lo + i;
    const int blk = list[i / rep];
    if (blk < 0 || blk >= nkb) return -1;
    const int kt = blk * rep + i % rep;
    return kt >= lo && kt < hi ? kt : -1;
  }
  SK_HD bool is_full(int i) const { return full != nullptr && full[i / rep] != 0; }
  SK_HD int next(int i) const {
    while (i < n && tile(i) < 0) ++i;
    return i;
  }
};

// The sequence of CTA (query rows [q0, q1), batch b, query head h). kv_count NULL: dense range.
SK_HD AttTileSeq att_make_seq(int q0, int q1, int b, int h, int klen, int lq, int lk, bool causal,
                              int64_t window_left, int64_t window_right, int bk, const int32_t* kv_count,
                              const int32_t* kv_index, const uint8_t* kv_full, int64_t bs_sb, int64_t bs_sh,
                              int q_block, int kv_block, int max_kv_blocks) {
  AttTileSeq seq;
  att_tile_range(q0, q1, klen, lq, lk, causal, window_left, window_right, bk, seq.lo, seq.hi);
  seq.list = nullptr;
  seq.full = nullptr;
  seq.rep = 1;
  seq.nkb = 0;
  seq.n = seq.hi > seq.lo ? seq.hi - seq.lo : 0;
  if (kv_count != nullptr && seq.n > 0) {
    const int64_t row = (int64_t)b * bs_sb + (int64_t)h * bs_sh + q0 / q_block;
    int cnt = kv_count[row];
    cnt = cnt < 0 ? 0 : cnt > max_kv_blocks ? max_kv_blocks : cnt;
    seq.list = kv_index + row * max_kv_blocks;
    seq.full = kv_full != nullptr ? kv_full + row * max_kv_blocks : nullptr;
    seq.rep = kv_block / bk;
    seq.nkb = (lk + kv_block - 1) / kv_block;
    seq.n = cnt * seq.rep;
  }
  return seq;
}

// Offset of element (b, h, i, j) of a broadcast-strided [.., Lk] mask / bias.
SK_HD int64_t att_bcast_offset(int b, int h, int i, int j, int64_t sb, int64_t sh, int64_t sq) {
  return (int64_t)b * sb + (int64_t)h * sh + (int64_t)i * sq + j;
}

}  // namespace skcuda
