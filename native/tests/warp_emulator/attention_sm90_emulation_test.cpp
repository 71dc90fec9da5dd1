// CPU emulation of the EXPERIMENTAL Hopper attention kernel (cuda/attention_sm90.cu), no GPU, no nvcc: every CTA of
// small problems runs through the kernel's own index math (cuda/attention_sm90_index.cuh: copy plans into the
// 128B-swizzled d-block tiles, descriptor start offsets per k16 step, accumulator (row, column) map, P register
// packing; attention_index.cuh: tile range, partial tiles, visibility) on the warp emulator's cp.async pipeline
// model, with wgmma modelled here from the PTX ISA text rather than from the kernel's formulas:
//   - descriptors decoded field by field (start >> 4 in bits 0-13, LBO bits 16-29, SBO bits 32-45, base offset
//     bits 49-51 must be 0, swizzle mode bits 62-63 must be 1 = 128B);
//   - shared-memory operands through the PTX "canonical layouts" (9.7.15.5.1.2.1.3) for 16-bit elements (T = 8):
//       K-major  ((8,m),(T,2k)):((8T,SBO),(1,T))        element (row r, k)  = start + (r%8)*128 + (r/8)*SBO + 2k
//       MN-major ((T,8,m),(8,k)):((1,T,LBO),(8T,SBO))    element (n, k)      = start + 2(n%64) + (n/64)*LBO
//                                                                              + (k%8)*128 + (k/8)*SBO
//     then the 128B swizzle on the byte address (Swizzle<3,4,3>: bits 4-6 ^= bits 7-9);
//   - register fragments per CUTLASS's SM90 layouts: A (m64k16) element e of lane l in warp w = row 16w + l/4 +
//     8((e/2)%2), k 2(l%4) + e%2 + 8(e/4); f32 accumulator i = row 16w + l/4 + 8((i/2)%2), column 8(i/4) + 2(l%4) + i%2.
// The online softmax is re-written step by step as in the kernel (quad shuffles, -inf handling, P rounded to the
// input dtype). Results against an fp64 reference of the documented semantics; rows with no visible key must be 0.
// What this cannot check: that the hardware agrees with the PTX text as read here (the GPU run's job).
//   cmake --build <dir> --target sk_attention_sm90_emulation_test && <dir>/sk_attention_sm90_emulation_test
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <algorithm>
#include <array>
#include <random>
#include <string>
#include <vector>

#include "attention_mask_bits.cuh"
#include "attention_sm90_index.cuh"
#include "warp_emulator.h"

using namespace skcuda;

namespace {

// ---- wgmma model ----
// Host copies of the descriptor encoders of cuda/wgmma.cuh (desc_sw128, desc_sw128_mn).
uint64_t enc_desc(uint32_t addr, uint32_t lbo) {
  uint64_t d = 0;
  d |= (uint64_t)((addr & 0x3FFFFu) >> 4);
  d |= (uint64_t)((lbo & 0x3FFFFu) >> 4) << 16;
  d |= (uint64_t)(1024u >> 4) << 32;
  d |= (uint64_t)1u << 62;
  return d;
}
uint64_t desc_sw128(uint32_t addr) { return enc_desc(addr, 16); }
uint64_t desc_sw128_mn(uint32_t addr, uint32_t lbo) { return enc_desc(addr, lbo); }

struct Desc {
  uint32_t start, lbo, sbo;
};
Desc decode(uint64_t d) {
  EMU_CHECK(((d >> 62) & 3u) == 1u, "descriptor swizzle mode %u, want 1 (128B)", (unsigned)((d >> 62) & 3u));
  EMU_CHECK(((d >> 49) & 7u) == 0u, "descriptor base offset %u, want 0", (unsigned)((d >> 49) & 7u));
  return {(uint32_t)(d & 0x3FFFu) << 4, (uint32_t)((d >> 16) & 0x3FFFu) << 4, (uint32_t)((d >> 32) & 0x3FFFu) << 4};
}
uint32_t swz(uint32_t addr) { return addr ^ (((addr >> 7) & 7u) << 4); }
// ex2.approx.ftz.f32: results below 2^-126 (subnormal) flush to +0. (The hardware's approximation error, 2 ulp at
// most, is left to the GPU run; the fp64 reference's tolerance covers it.)
float ex2_ftz(float x) {
  const float r = exp2f(x);
  return r < 1.17549435e-38f ? 0.f : r;
}
// qk_mma_lean / pv_mma_lean (attention_sm90_mma.cuh): the base descriptor's low word plus offset / 16, high word kept.
// Checked against the direct encoding at every shared-window base the kernel can have (1024-aligned, the whole ring
// below 2^18), then used.
uint64_t lean_desc(uint64_t base_desc, uint32_t base, uint32_t off, uint32_t lbo, uint32_t smem_bytes) {
  const uint64_t d = ((uint64_t)(uint32_t)(base_desc >> 32) << 32) | (uint32_t)((uint32_t)base_desc + (off >> 4));
  for (uint32_t w = 0; w + smem_bytes <= (1u << 18); w += 1024) {
    const uint64_t bw = enc_desc(w + base, lbo);
    const uint64_t lw = ((uint64_t)(uint32_t)(bw >> 32) << 32) | (uint32_t)((uint32_t)bw + (off >> 4));
    EMU_CHECK(lw == enc_desc(w + base + off, lbo), "lean descriptor differs at window base %u, offset %u", w, off);
  }
  EMU_CHECK(d == enc_desc(base + off, lbo), "lean descriptor differs at offset %u", off);
  return d;
}

float smem_elem(emu::Block& blk, uint32_t addr, int tag, int dt, const char* what) {
  const uint32_t a = swz(addr);
  EMU_CHECK(a % 2 == 0, "%s: odd address %u", what, a);
  const int word = (int)(a & ~3u);
  const uint32_t v = blk.ld32(word, tag, what);
  return emu::to_float((uint16_t)((a & 2u) ? v >> 16 : v & 0xFFFFu), dt);
}
// K-major element (row r, k) of a descriptor's tile (k < 16).
float kmajor(emu::Block& blk, const Desc& d, int r, int k, int tag, int dt, const char* what) {
  return smem_elem(blk, d.start + (uint32_t)(r % 8) * 128u + (uint32_t)(r / 8) * d.sbo + 2u * (uint32_t)k, tag, dt, what);
}
// MN-major element (n, k) of a descriptor's tile (k < 16).
float mnmajor(emu::Block& blk, const Desc& d, int n, int k, int tag, int dt, const char* what) {
  return smem_elem(blk, d.start + 2u * (uint32_t)(n % 64) + (uint32_t)(n / 64) * d.lbo + (uint32_t)(k % 8) * 128u +
                            (uint32_t)(k / 8) * d.sbo,
                   tag, dt, what);
}
int acc_row(int w, int l, int i) { return 16 * w + l / 4 + 8 * ((i / 2) % 2); }
int acc_col(int l, int i) { return 8 * (i / 4) + 2 * (l % 4) + i % 2; }
int a_row(int w, int l, int e) { return 16 * w + l / 4 + 8 * ((e / 2) % 2); }
int a_col(int l, int e) { return 2 * (l % 4) + e % 2 + 8 * (e / 4); }

// SS m64nNk16, both K-major: d[thread][i] += sum_k A(row, k) B(col, k), threads 0..127 of one warpgroup.
// scale_d 0 (PTX: D = A . B): the accumulators' old values are ignored, as qk_mma_lean's first step asks.
void wgmma_ss(std::vector<std::vector<float>>& d, int n, uint64_t da, uint64_t db, emu::Block& blk, int tag_a,
              int tag_b, int dt, bool scale_d = true) {
  const Desc A = decode(da), B = decode(db);
  std::vector<float> a(64 * 16), b((size_t)n * 16);
  for (int r = 0; r < 64; ++r)
    for (int k = 0; k < 16; ++k) a[(size_t)r * 16 + k] = kmajor(blk, A, r, k, tag_a, dt, "wgmma A (Q)");
  for (int c = 0; c < n; ++c)
    for (int k = 0; k < 16; ++k) b[(size_t)c * 16 + k] = kmajor(blk, B, c, k, tag_b, dt, "wgmma B (K)");
  for (int t = 0; t < 128; ++t)
    for (int i = 0; i < n / 2; ++i) {
      const int r = acc_row(t / 32, t % 32, i), c = acc_col(t % 32, i);
      float s = 0.f;
      for (int k = 0; k < 16; ++k) s += a[(size_t)r * 16 + k] * b[(size_t)c * 16 + k];
      d[(size_t)t][(size_t)i] = (scale_d ? d[(size_t)t][(size_t)i] : 0.f) + s;
    }
}
// RS m64n64k16, B MN-major (imm-trans-b = 1): A from the threads' 4 registers each.
void wgmma_rs_transb(std::vector<std::vector<float>>& d, const std::vector<std::array<uint32_t, 4>>& regs, uint64_t db,
                     emu::Block& blk, int tag_b, int dt) {
  const Desc B = decode(db);
  std::vector<float> a(64 * 16, NAN), b(64 * 16);
  for (int t = 0; t < 128; ++t)
    for (int e = 0; e < 8; ++e) {
      const uint32_t reg = regs[(size_t)t][(size_t)(e / 2)];
      a[(size_t)a_row(t / 32, t % 32, e) * 16 + a_col(t % 32, e)] =
          emu::to_float((uint16_t)(e % 2 ? reg >> 16 : reg & 0xFFFFu), dt);
    }
  for (float x : a) EMU_CHECK(x == x, "A fragment does not cover the 64x16 tile");
  for (int c = 0; c < 64; ++c)
    for (int k = 0; k < 16; ++k) b[(size_t)c * 16 + k] = mnmajor(blk, B, c, k, tag_b, dt, "wgmma B (V, trans)");
  for (int t = 0; t < 128; ++t)
    for (int i = 0; i < 32; ++i) {
      const int r = acc_row(t / 32, t % 32, i), c = acc_col(t % 32, i);
      float s = 0.f;
      for (int k = 0; k < 16; ++k) s += a[(size_t)r * 16 + k] * b[(size_t)c * 16 + k];
      d[(size_t)t][(size_t)i] = d[(size_t)t][(size_t)i] + s;
    }
}

struct Prob {
  int B, Hq, Hkv, Lq, Lk, D, dt;
  bool causal;
  std::vector<uint16_t> q, k, v;
  std::vector<int32_t> klen;  // empty: none
  // 0: the lockstep pipeline (a __syncthreads per tile); 1-3: the decoupled (mbarrier) pipeline with warpgroup 0
  // running ahead as far as the barriers allow, warpgroup 1 ahead, or the two alternating step by step; 4: the
  // software-pipelined kernel (attention_sm90_overlap.cu; causal and key lengths only); 5: the same loaded by TMA;
  // 6-8: that TMA kernel with its warpgroups in ping-pong (PINGPONG): warpgroup 0 ahead, 1 ahead, a random order
  int pipeline = 0;
  // Pipeline 5 with the lean MMAs and folded softmax (LEAN_ALONE, $SPARSEKERNELS_ATTENTION_LEAN=1); 6-8 have them too,
  // and so has pipeline 5 with a dense mask alone (BITS)
  bool lean = false;
  // MASKED kernel: a dense mask and / or bias [Lq][Lk], broadcast over batch and heads (empty: none)
  std::vector<uint8_t> mask;
  std::vector<float> bias;
  // MASKED kernel too: sliding window (-1: none on that side) and head mask [Hq] (empty: none)
  int64_t wl = -1, wr = -1;
  std::vector<uint8_t> hmask;
};

// One CTA of the kernel, thread by thread where the kernel's threads differ (the 256 threads = 2 warpgroups).
template <int D, int STAGES = 2>
void emu_cta(const Prob& p, int bx, int bh, std::vector<float>& out) {
  constexpr int BK = 128;
  using C = AttSm90Cfg<D, BK, STAGES>;
  emu::Block blk(C::SMEM_BYTES - 1024, C::THREADS);  // offset 0 = the kernel's 1024-aligned base
  const int nqb = att90_num_qblocks(p.Lq);
  const int q0 = att90_qblock_of(bx, nqb) * C::BQ;
  const int q1 = std::min(q0 + C::BQ, p.Lq);
  const int b = bh / p.Hq, h = bh % p.Hq;
  const int64_t q_base = (int64_t)bh * p.Lq * D;
  const int64_t kv_base = ((int64_t)b * p.Hkv + att_kv_head(h, p.Hq, p.Hkv)) * p.Lk * D;
  const int klen = att_klen(p.klen.empty() ? nullptr : &p.klen[(size_t)b], p.Lk);
  // The MASKED instantiation (any of mask, bias, window, head mask) takes the windows; the other runs with none.
  const bool masked = !p.mask.empty() || !p.bias.empty() || !p.hmask.empty() || p.wl != -1 || p.wr != -1;
  const int64_t wl = masked ? p.wl : -1, wr = masked ? p.wr : -1;
  int lo = 0, hi = 0;
  att_tile_range(q0, q1, klen, p.Lq, p.Lk, p.causal, wl, wr, BK, lo, hi);
  if (masked && !p.hmask.empty() && p.hmask[(size_t)h] == 0) hi = lo;  // a pruned head: zeros, no work
  const float scale_log2 = (1.0f / sqrtf((float)D)) * 1.4426950408889634f;
  const int QTAG = 1 << 20;
  // The lean MMAs and folded softmax (session 26; attention_sm90_mma.cuh): the PINGPONG instantiation's, the BITS one's
  // (a dense mask alone on the TMA ring) and LEAN_ALONE's
  const bool mask_alone = !p.mask.empty() && p.bias.empty() && p.hmask.empty() && p.wl == -1 && p.wr == -1;
  const bool folded = p.pipeline >= 6 || p.lean || (p.pipeline == 5 && mask_alone);

  auto load_kv_threads = [&](int kt, int stage, int tag, int t0, int t1) {
    for (int tid = t0; tid < t1; ++tid)
      for (int i = 0; i < BK * C::CH / C::THREADS; ++i) {
        const CopyPlan pl = att90_copy<C>(tid + i * C::THREADS, BK, kt * BK, klen, kv_base);
        blk.cp_async16(tid, C::K_OFF + stage * C::KV_BYTES + pl.dst, pl.ok ? &p.k[(size_t)pl.src] : nullptr, pl.ok, tag);
        blk.cp_async16(tid, C::V_OFF + stage * C::KV_BYTES + pl.dst, pl.ok ? &p.v[(size_t)pl.src] : nullptr, pl.ok, tag);
      }
  };
  auto load_kv = [&](int kt, int stage, int tag) { load_kv_threads(kt, stage, tag, 0, C::THREADS); };
  auto load_q_threads = [&](int t0, int t1) {
    for (int tid = t0; tid < t1; ++tid)
      for (int i = 0; i < C::BQ * C::CH / C::THREADS; ++i) {
        const CopyPlan pl = att90_copy<C>(tid + i * C::THREADS, C::BQ, q0, p.Lq, q_base);
        blk.cp_async16(tid, C::Q_OFF + pl.dst, pl.ok ? &p.q[(size_t)pl.src] : nullptr, pl.ok, QTAG);
      }
  };
  auto commit_all = [&]() {
    for (int tid = 0; tid < C::THREADS; ++tid) blk.commit(tid);
  };
  auto wait_all = [&](int n) {
    for (int tid = 0; tid < C::THREADS; ++tid) blk.wait_group(tid, n);
  };

  // Per warpgroup, per thread of it (128): O accumulators per d-block, m and l for the two rows.
  std::vector<std::vector<std::vector<float>>> o(2, std::vector<std::vector<float>>((size_t)C::DB * 128, std::vector<float>(32, 0.f)));
  float m_i[2][128][2], l_i[2][128][2];
  for (int g = 0; g < 2; ++g)
    for (int t = 0; t < 128; ++t) m_i[g][t][0] = m_i[g][t][1] = -INFINITY, l_i[g][t][0] = l_i[g][t][1] = 0.f;

  // Tile kt of warpgroup wg from ring stage `stage`: S = Q K^T, masks, online softmax, O += P V (the kernel's body
  // between the waits; its MMA groups are drained, so they read shared memory here).
  const bool elementwise = masked;
  // The MASKED kernel reads the dense mask bit-packed, as attention_sm90 builds it (attention_mask_bits.cuh's
  // functions, the ones the build kernels run; the mask is one [Lq][Lk] slice broadcast over batch and heads).
  const MaskBits mb = mask_bits_shape(p.B, p.Hq, p.Lq, p.Lk, 0, 0, p.Lk);
  std::vector<uint64_t> bits;
  std::vector<uint8_t> classes;
  if (!p.mask.empty()) {
    bits.resize((size_t)mask_bits_words(mb));
    for (int64_t w = 0; w < (int64_t)bits.size(); ++w) bits[(size_t)w] = mask_pack_word(p.mask.data(), 0, 0, p.Lk, mb, w);
    classes.resize((size_t)mask_bits_classes(mb));
    for (int64_t c = 0; c < (int64_t)classes.size(); ++c) {
      uint64_t any, missing;
      mask_tile_scan(bits.data(), mb, c, 0, 1, any, missing);
      classes[(size_t)c] = mask_tile_class(any, missing);
    }
  }
  const int64_t mslice = mask_bits_slice(mb, b, h);
  if (!classes.empty()) {  // the kernel's trim of hidden tiles at the range's ends
    const int lo0 = lo, hi0 = hi;
    mask_trim_tile_range(&classes[(size_t)mask_bits_class_row(mb, mslice, q0 / kMaskTile)], lo, hi);
    for (int kt = lo0; kt < hi0; ++kt)
      if (kt < lo || kt >= hi)
        EMU_CHECK(classes[(size_t)(mask_bits_class_row(mb, mslice, q0 / kMaskTile) + kt)] == 0,
                  "trimmed tile %d of [%d,%d) is not hidden", kt, lo0, hi0);
    if (lo < hi)
      EMU_CHECK(classes[(size_t)(mask_bits_class_row(mb, mslice, q0 / kMaskTile) + lo)] != 0 &&
                    classes[(size_t)(mask_bits_class_row(mb, mslice, q0 / kMaskTile) + hi - 1)] != 0,
                "trimmed range [%d,%d) still starts or ends on a hidden tile", lo, hi);
  }
  auto tile_class = [&](int kt) {
    return classes.empty() ? 1 : (int)classes[(size_t)(mask_bits_class_row(mb, mslice, q0 / kMaskTile) + kt)];
  };
  // The MASKED kernel's visibility of score (row, key j) in a tile: structure, row < Lq, mask bit (by the tile's
  // class), bias != -inf.
  auto elem_visible = [&](int row, int j, bool partial) {
    const int kt = j / BK, cls = tile_class(kt);
    if (cls == 0) return false;
    bool vis = (!partial || att_visible(row, j, klen, p.Lq, p.Lk, p.causal, wl, wr)) && row < p.Lq;
    if (vis) EMU_CHECK(j < p.Lk, "mask / bias read past Lk (key %d)", j);
    if (vis && cls == 2) {
      const uint64_t* w = &bits[(size_t)(mask_bits_row(mb, mslice, std::min(row, p.Lq - 1)) + 2 * kt)];
      vis = mask_bit(w[0], w[1], j - kt * BK);
    }
    if (vis && !p.bias.empty()) vis = p.bias[(size_t)row * p.Lk + j] != -INFINITY;
    return vis;
  };
  // ... and the kernel's block-wide skip: the tile's class says the mask hides it, or no score of the CTA's 128
  // rows in tile kt is visible.
  auto tile_skipped = [&](int kt) {
    if (tile_class(kt) == 0) return true;
    const int k0 = kt * BK;
    const bool partial = att_tile_partial(k0, BK, q0, q1, klen, p.Lq, p.Lk, p.causal, wl, wr);
    for (int r = 0; r < C::BQ; ++r)
      for (int c = 0; c < BK; ++c)
        if (elem_visible(q0 + r, k0 + c, partial)) return false;
    return true;
  };
  // The kernels' per-tile steps, each run at the point where its MMA group retires (its wait), which is when the
  // hardware may read the registers and shared memory an in-flight wgmma names:
  //   qk_scaled: S = Q K^T of tile kt from ring stage `stage` (Q: tag QTAG; K: tag kt), then the masking step;
  //   softmax:   the online softmax of S in place, m and l updated; alpha per thread and row half (O untouched);
  //   rescale:   O *= alpha;   pack: P registers [kk][thread] from S;
  //   pv:        O += P V of tile `tag` from ring stage `stage`.
  using Scores = std::vector<std::vector<float>>;                   // [thread][accumulator]
  using PRegs = std::vector<std::vector<std::array<uint32_t, 4>>>;  // [k16 step][thread]
  auto qk_scaled = [&](int wg, int kt, int stage) {
    const uint32_t kst = C::K_OFF + stage * C::KV_BYTES;
    const int k0 = kt * BK;
    const bool partial = att_tile_partial(k0, BK, q0, q1, klen, p.Lq, p.Lk, p.causal, wl, wr);
    // PINGPONG (folded): S starts as garbage, which the first step's scale-d 0 must ignore; descriptors the lean way
    Scores s(128, std::vector<float>(C::NS, folded ? NAN : 0.f));
    for (int ks = 0; ks < D / 16; ++ks) {
      if (folded) {
        wgmma_ss(s, BK, lean_desc(desc_sw128(C::Q_OFF), C::Q_OFF, att90_q_desc_offset<C>(wg, ks), 16, C::SMEM_BYTES),
                 lean_desc(desc_sw128(kst), kst, att90_k_desc_offset<C>(ks), 16, C::SMEM_BYTES), blk, QTAG, kt, p.dt,
                 ks != 0);
      } else {
        wgmma_ss(s, BK, desc_sw128(C::Q_OFF + att90_q_desc_offset<C>(wg, ks)),
                 desc_sw128(kst + att90_k_desc_offset<C>(ks)), blk, QTAG, kt, p.dt);
      }
    }
    for (int t = 0; t < 128; ++t) {
      const int w = t / 32, lane = t % 32;
      const int row_g = q0 + 64 * wg + 16 * w + (lane >> 2);
      for (int i = 0; i < C::NS; ++i) {
        const int row = row_g + 8 * ((i >> 1) & 1), j = k0 + att90_acc_col(lane, i);
        EMU_CHECK(row - q0 - 64 * wg == acc_row(w, lane, i) && j - k0 == acc_col(lane, i),
                  "att90_acc_row/col disagree with the accumulator layout at i %d", i);
        // The kernel's masking step: elementwise (visibility bits, bias added to visible scores) or structural.
        // PINGPONG (folded): masking only; the softmax scales
        float x = folded ? s[(size_t)t][(size_t)i] : s[(size_t)t][(size_t)i] * scale_log2;
        bool vis;
        if (elementwise) {
          vis = elem_visible(row, j, partial);
          if (vis && !p.bias.empty()) x += p.bias[(size_t)row * p.Lk + j] * 1.4426950408889634f;
        } else {
          vis = !partial || att_visible(row, j, klen, p.Lq, p.Lk, p.causal, wl, wr);
        }
        s[(size_t)t][(size_t)i] = vis ? x : -INFINITY;
      }
    }
    return s;
  };
  auto softmax = [&](int wg, Scores& s, float (&alpha)[128][2]) {
    for (int hr = 0; hr < 2; ++hr) {
      float mx[128], t1[128];
      for (int t = 0; t < 128; ++t) {
        mx[t] = -INFINITY;
        for (int j = 0; j < C::NS / 4; ++j)
          mx[t] = fmaxf(mx[t], fmaxf(s[(size_t)t][(size_t)(4 * j + 2 * hr)], s[(size_t)t][(size_t)(4 * j + 2 * hr + 1)]));
      }
      for (int t = 0; t < 128; ++t) t1[t] = fmaxf(mx[t], mx[t ^ 1]);  // shuffle-xor within a warp: lanes differ
      for (int t = 0; t < 128; ++t) mx[t] = fmaxf(t1[t], t1[t ^ 2]);  // in bits 0-1 only
      for (int t = 0; t < 128; ++t) {
        // PINGPONG (folded, softmax_half_folded): maxima of unscaled scores, then scaled; ex2.approx.ftz of one fma
        const float m_new = fmaxf(m_i[wg][t][hr], folded ? mx[t] * scale_log2 : mx[t]);
        const float m_use = m_new == -INFINITY ? 0.f : m_new;
        alpha[t][hr] = folded ? ex2_ftz(m_i[wg][t][hr] - m_use) : exp2f(m_i[wg][t][hr] - m_use);
        m_i[wg][t][hr] = m_new;
        float sum = 0.f;
        for (int j = 0; j < C::NS / 4; ++j)
          for (int e = 0; e < 2; ++e) {
            float& x = s[(size_t)t][(size_t)(4 * j + 2 * hr + e)];
            x = folded ? ex2_ftz(fmaf(x, scale_log2, -m_use)) : exp2f(x - m_use);
            sum += x;
          }
        l_i[wg][t][hr] = l_i[wg][t][hr] * alpha[t][hr] + sum;
      }
    }
  };
  auto rescale = [&](int wg, const float (&alpha)[128][2]) {
    for (int t = 0; t < 128; ++t)
      for (int hr = 0; hr < 2; ++hr)
        for (int db = 0; db < C::DB; ++db)
          for (int j = 0; j < 8; ++j)
            for (int e = 0; e < 2; ++e) o[(size_t)wg][(size_t)db * 128 + t][(size_t)(4 * j + 2 * hr + e)] *= alpha[t][hr];
  };
  auto pack = [&](const Scores& s) {
    PRegs regs((size_t)BK / 16, std::vector<std::array<uint32_t, 4>>(128));
    for (int kk = 0; kk < BK / 16; ++kk)
      for (int t = 0; t < 128; ++t)
        for (int r = 0; r < 4; ++r)
          regs[(size_t)kk][(size_t)t][(size_t)r] =
              (uint32_t)emu::from_float(s[(size_t)t][(size_t)att90_p_acc_index(kk, r, 0)], p.dt) |
              ((uint32_t)emu::from_float(s[(size_t)t][(size_t)att90_p_acc_index(kk, r, 1)], p.dt) << 16);
    return regs;
  };
  auto pv = [&](int wg, const PRegs& regs, int stage, int tag) {
    const uint32_t vst = C::V_OFF + stage * C::KV_BYTES;
    for (int kk = 0; kk < BK / 16; ++kk)
      for (int db = 0; db < C::DB; ++db) {
        std::vector<std::vector<float>> acc(128);
        for (int t = 0; t < 128; ++t) acc[(size_t)t] = o[(size_t)wg][(size_t)db * 128 + t];
        const uint64_t dv =
            folded ? lean_desc(desc_sw128_mn(vst, C::KV_DBLOCK), vst, att90_v_desc_offset<C>(kk, db), C::KV_DBLOCK,
                               C::SMEM_BYTES)
                   : desc_sw128_mn(vst + att90_v_desc_offset<C>(kk, db), C::KV_DBLOCK);
        wgmma_rs_transb(acc, regs[(size_t)kk], dv, blk, tag, p.dt);
        for (int t = 0; t < 128; ++t) o[(size_t)wg][(size_t)db * 128 + t] = acc[(size_t)t];
      }
  };
  // Tile kt of warpgroup wg in attention_sm90.cu's kernel (its MMA groups are drained at once).
  auto tile = [&](int wg, int kt, int stage) {
    if (elementwise && tile_skipped(kt)) return;  // nothing read, nothing changed
    Scores s = qk_scaled(wg, kt, stage);
    float alpha[128][2];
    softmax(wg, s, alpha);
    rescale(wg, alpha);
    pv(wg, pack(s), stage, kt);
  };

  // The TMA kernels' load of tile kt (and Q with the first) into ring stage `stage`, issued by thread tid: the K and V
  // boxes of every d-block, the byte count checked against the kernel's expect_tx, then the stage's full barrier.
  const TmaMap2d qmap = att90t_map<C>((int64_t)p.B * p.Hq * p.Lq, C::BQ),
                 kvmap = att90t_map<C>((int64_t)p.B * p.Hkv * p.Lk, C::BK);
  auto tma_issue = [&](std::vector<emu::Mbarrier>& full, int kt, int stage, bool with_q, int tid) {
    int bytes = 0;
    for (int db = 0; db < C::DB; ++db) {
      if (with_q)
        bytes += tma_box_load(blk, tid, C::Q_OFF + db * C::Q_DBLOCK, p.q, qmap, 64 * db, att90t_q_row<C>(q_base, q0),
                              QTAG);
      const int row = att90t_kv_row<C>(kv_base, kt);
      bytes += tma_box_load(blk, tid, C::K_OFF + stage * C::KV_BYTES + db * C::KV_DBLOCK, p.k, kvmap, 64 * db, row, kt);
      bytes += tma_box_load(blk, tid, C::V_OFF + stage * C::KV_BYTES + db * C::KV_DBLOCK, p.v, kvmap, 64 * db, row, kt);
    }
    EMU_CHECK(bytes == 2 * C::KV_BYTES + (with_q ? C::Q_BYTES : 0), "TMA tile %d: %d bytes, expect_tx says %d", kt,
              bytes, 2 * C::KV_BYTES + (with_q ? C::Q_BYTES : 0));
    full[(size_t)stage].arrive_on_copies(blk, tid);
  };

  if (p.pipeline == 4 || p.pipeline == 5) {
    // attention_sm90_overlap.cu: a 3-stage ring; per tile, S of this tile retires (wait_group 1) before the softmax,
    // the previous tile's P V (issued after it) retires (wait_group 0) after the softmax and before O is rescaled
    // and P rewritten; the stage of tile kt - 1 is refilled with tile kt + 2 after the barrier.
    // Pipeline 5 (the TMA kernel): thread 0 issues each tile's boxes (Q's with the first) on its stage's full
    // barrier (1 arrival + the announced bytes, checked here); every thread waits on it for the (i / 3)-th phase.
    // Masks: only a dense mask alone, and only in the TMA kernel (its BITS instantiation), which masks as
    // elem_visible does: structure, then the tile's class and the score's bit.
    const bool mask_only = !p.mask.empty() && p.bias.empty() && p.hmask.empty() && p.wl == -1 && p.wr == -1;
    EMU_CHECK((!masked || (mask_only && p.pipeline == 5)) && STAGES == 3,
              "the overlap kernel takes causal / key lengths, or a dense mask alone by TMA, on a 3-stage ring");
    const bool tma = p.pipeline == 5;
    std::vector<emu::Mbarrier> full(3);
    for (auto& f : full) f.expected = 1;
    auto issue = [&](int kt, int stage, bool with_q) { tma_issue(full, kt, stage, with_q, 0); };
    if (tma) {
      if (lo < hi) issue(lo, 0, true);
      if (lo + 1 < hi) issue(lo + 1, 1, false);
    } else {
      if (lo < hi) {
        load_q_threads(0, C::THREADS);
        load_kv(lo, 0, lo);
      }
      commit_all();
      if (lo + 1 < hi) load_kv(lo + 1, 1, lo + 1);
      commit_all();
    }
    PRegs prev_p[2];  // per warpgroup: P of the previous tile
    for (int kt = lo; kt < hi; ++kt) {
      const int i = kt - lo, stage = i % 3, prev = (i + 2) % 3;
      if (tma) {
        EMU_CHECK(full[(size_t)stage].passed((i / 3) & 1), "TMA: tile %d's phase of stage %d not complete", kt, stage);
      } else {
        wait_all(1);
        blk.syncthreads();
      }
      for (int wg = 0; wg < 2; ++wg) {
        Scores s = qk_scaled(wg, kt, stage);  // issued first, retired by wait_group 1
        float alpha[128][2];
        softmax(wg, s, alpha);
        if (i > 0) pv(wg, prev_p[wg], prev, kt - 1);  // issued second, retired by wait_group 0
        rescale(wg, alpha);
        prev_p[wg] = pack(s);
      }
      blk.syncthreads();
      if (tma) {
        if (kt + 2 < hi) issue(kt + 2, prev, false);
      } else {
        if (kt + 2 < hi) load_kv(kt + 2, prev, kt + 2);
        commit_all();
      }
    }
    if (lo < hi)
      for (int wg = 0; wg < 2; ++wg) pv(wg, prev_p[wg], (hi - 1 - lo) % 3, hi - 1);
    if (!tma) wait_all(0);
    EMU_CHECK(!blk.any_inflight(), "overlap kernel: a copy still in flight when the CTA exits");
  } else if (p.pipeline >= 6) {
    // attention_sm90_overlap.cu's PINGPONG ring (TMA, unmasked): no block barrier per tile. Per warpgroup and tile i:
    // the full barrier of the tile's stage and this warpgroup's named barrier (the other's signal); S issued and
    // retired, the previous tile's PV issued, the signal to the other; the softmax; the PV retires, its V read only
    // now (the latest the hardware may read it, so an early refill of its stage is caught); O rescaled, P packed;
    // each thread's arrival on the empty barrier of the previous tile's stage; thread 128 (warpgroup 1) then waits
    // for that stage's release by all 256 threads and refills it with tile kt + 2. Schedules (below): warpgroup 0
    // ahead, warpgroup 1 ahead, random; a state where neither can move is a deadlock, and every named-barrier
    // arrival must be met by the end.
    EMU_CHECK(!masked && STAGES == 3, "ping-pong: unmasked calls on the 3-stage ring");
    std::vector<emu::Mbarrier> full(3), empty(3);
    for (auto& f : full) f.expected = 1;
    for (auto& e : empty) e.expected = C::THREADS;
    auto issue = [&](int kt, int stage, bool with_q, int tid) { tma_issue(full, kt, stage, with_q, tid); };
    if (lo < hi) issue(lo, 0, true, 0);
    if (lo + 1 < hi) issue(lo + 1, 1, false, 0);
    const int n = hi - lo;
    struct Wg {
      int i = 0, phase = 0;  // phase 0: start; 1: turn and issue; 2: softmax, PV retired; 3: refill; 4: after the loop
      bool done = false;
      PRegs prev_p;
      Scores s;
      float alpha[128][2];
    } st[2];
    int arrivals[2] = {0, 0}, syncs[2] = {0, 0};  // per named barrier kPingBar + g: signals given, waits passed
    auto step = [&](int wg) -> bool {
      Wg& w = st[wg];
      if (w.done) return false;
      const int i = w.i, kt = lo + i, stage = i % 3, prev = (i + 2) % 3;
      switch (w.phase) {
        case 0:
          if (wg == 1) ++arrivals[0];  // warpgroup 0 issues first
          w.phase = n > 0 ? 1 : 4;
          return true;
        case 1:
          if (!full[(size_t)stage].passed((i / 3) & 1) || arrivals[wg] <= syncs[wg]) return false;
          ++syncs[wg];
          w.s = qk_scaled(wg, kt, stage);
          ++arrivals[wg ^ 1];
          w.phase = 2;
          return true;
        case 2:
          softmax(wg, w.s, w.alpha);
          if (i > 0) pv(wg, w.prev_p, prev, kt - 1);
          rescale(wg, w.alpha);
          w.prev_p = pack(w.s);
          if (i > 0)
            for (int t = 0; t < 128; ++t) empty[(size_t)prev].arrive(blk);
          if (wg == 1 && kt + 2 < hi) {
            w.phase = 3;
          } else {
            w.phase = ++w.i < n ? 1 : 4;
          }
          return true;
        case 3:
          if (i > 0 && !empty[(size_t)prev].passed(((i - 1) / 3) & 1)) return false;
          issue(kt + 2, prev, false, 128);
          w.phase = ++w.i < n ? 1 : 4;
          return true;
        default:
          if (wg == 0 && arrivals[0] <= syncs[0]) return false;  // warpgroup 1's last signal
          if (wg == 0) ++syncs[0];
          if (n > 0) pv(wg, w.prev_p, (hi - 1 - lo) % 3, hi - 1);
          w.done = true;
          return true;
      }
    };
    // Schedules 0 and 1: one warpgroup as far as it can go, the other a single step whenever it is stuck (so the
    // ahead one issues, retires and refills between two steps of the other); 2: random single steps, seeded per CTA.
    const int order = p.pipeline - 6;
    std::mt19937 pick((uint32_t)(bx * 7919 + bh * 104729 + 17));
    while (!st[0].done || !st[1].done) {
      const int first = order == 0 ? 0 : order == 1 ? 1 : (int)(pick() & 1);
      bool moved = false;
      for (int k = 0; k < 2 && !moved; ++k) {
        const int wg = (first + k) % 2;
        if (order < 2 && k == 0) {
          while (step(wg)) moved = true;
        } else {
          moved = step(wg);
        }
      }
      EMU_CHECK(moved, "ping-pong deadlock in CTA %d/%d: warpgroups at tiles %d (phase %d) and %d (phase %d) of %d",
                bx, bh, st[0].i, st[0].phase, st[1].i, st[1].phase, n);
      if (!moved) break;
    }
    EMU_CHECK(arrivals[0] == syncs[0] && arrivals[1] == syncs[1],
              "ping-pong: named barrier signals %d / %d against waits %d / %d at the end", arrivals[0], arrivals[1],
              syncs[0], syncs[1]);
    EMU_CHECK(!blk.any_inflight(), "ping-pong kernel: a copy still in flight when the CTA exits");
  } else if (p.pipeline == 0) {
    if (lo < hi) {
      load_q_threads(0, C::THREADS);
      load_kv(lo, 0, lo);
      commit_all();
    }
    int stage = 0;
    for (int kt = lo; kt < hi; ++kt) {
      if (kt + 1 < hi) {
        load_kv(kt + 1, stage ^ 1, kt + 1);
        commit_all();
        wait_all(1);
      } else {
        wait_all(0);
      }
      blk.syncthreads();
      for (int wg = 0; wg < 2; ++wg) tile(wg, kt, stage);
      blk.syncthreads();
      stage ^= 1;
    }
  } else {
    // The decoupled pipeline: full / empty mbarriers per stage (256 arrivals), each warpgroup on its own.
    emu::Mbarrier full[C::STAGES], empty[C::STAGES];
    for (int st = 0; st < C::STAGES; ++st) full[st].expected = empty[st].expected = C::THREADS;
    if (lo < hi)
      for (int wg = 0; wg < 2; ++wg) {
        load_q_threads(128 * wg, 128 * wg + 128);
        load_kv_threads(lo, 0, lo, 128 * wg, 128 * wg + 128);
        for (int tid = 128 * wg; tid < 128 * wg + 128; ++tid) full[0].arrive_on_copies(blk, tid);
      }
    const int n = hi - lo;
    int next[2] = {0, 0}, refilled[2] = {0, 0};  // per warpgroup: tile index i = kt - lo it consumes next
    auto step = [&](int wg) -> bool {
      const int i = next[wg];
      if (i >= n) return false;
      const int kt = lo + i, stage = i & 1;
      if (!refilled[wg]) {
        if (kt + 1 < hi) {
          if (i >= 1 && !empty[stage ^ 1].passed(att90d_parity(i - 1))) return false;
          load_kv_threads(kt + 1, stage ^ 1, kt + 1, 128 * wg, 128 * wg + 128);
          for (int tid = 128 * wg; tid < 128 * wg + 128; ++tid) full[stage ^ 1].arrive_on_copies(blk, tid);
        }
        refilled[wg] = 1;
        return true;
      }
      if (!full[stage].passed(att90d_parity(i))) return false;
      tile(wg, kt, stage);
      for (int t = 0; t < 128; ++t) empty[stage].arrive(blk);
      ++next[wg];
      refilled[wg] = 0;
      return true;
    };
    const int order = p.pipeline - 1;
    int turn = 0;
    while (next[0] < n || next[1] < n) {
      const int first = order == 0 ? 0 : order == 1 ? 1 : turn;
      bool moved = false;
      for (int k = 0; k < 2 && !moved; ++k) {
        const int wg = (first + k) % 2;
        if (order < 2) {
          while (step(wg)) moved = true;
        } else {
          moved = step(wg);
        }
      }
      turn ^= 1;
      EMU_CHECK(moved, "decoupled pipeline deadlock in CTA %d/%d: warpgroups at tiles %d and %d of %d", bx, bh,
                next[0], next[1], n);
      if (!moved) break;
    }
  }
  EMU_CHECK(!blk.any_inflight(), "copies still in flight at the end of CTA %d/%d", bx, bh);
  for (int wg = 0; wg < 2; ++wg)
    for (int hr = 0; hr < 2; ++hr) {
      float l1[128];
      for (int t = 0; t < 128; ++t) l1[t] = l_i[wg][t][hr] + l_i[wg][t ^ 1][hr];
      for (int t = 0; t < 128; ++t) {
        const float lsum = l1[t] + l1[t ^ 2];
        const float inv = lsum > 0.f ? 1.f / lsum : 0.f;
        const int lane = t % 32;
        const int i = q0 + 64 * wg + 16 * (t / 32) + (lane >> 2) + 8 * hr;
        if (i >= p.Lq) continue;
        for (int db = 0; db < C::DB; ++db)
          for (int j = 0; j < 8; ++j) {
            const int d = 64 * db + att90_acc_col(lane, 4 * j);
            out[(size_t)(q_base + (int64_t)i * D + d)] = o[(size_t)wg][(size_t)db * 128 + t][(size_t)(4 * j + 2 * hr)] * inv;
            out[(size_t)(q_base + (int64_t)i * D + d + 1)] =
                o[(size_t)wg][(size_t)db * 128 + t][(size_t)(4 * j + 2 * hr + 1)] * inv;
          }
      }
    }
}

bool run(std::mt19937& rng, Prob p, const char* name) {
  std::uniform_real_distribution<float> uni(-1.f, 1.f);
  const size_t nq = (size_t)p.B * p.Hq * p.Lq * p.D, nk = (size_t)p.B * p.Hkv * p.Lk * p.D;
  p.q.resize(nq);
  p.k.resize(nk);
  p.v.resize(nk);
  for (auto& x : p.q) x = emu::from_float(uni(rng), p.dt);
  for (auto& x : p.k) x = emu::from_float(uni(rng), p.dt);
  for (auto& x : p.v) x = emu::from_float(uni(rng), p.dt);
  std::vector<float> out(nq, NAN);
  const long before = emu::failures().count;
  // Every CTA of the 1-D grid in the kernels' order (cta_of): heads grouped as att90_group_heads chooses.
  const int nqb_all = att90_num_qblocks(p.Lq), bhs = p.B * p.Hq;
  const int group = att90_group_heads(bhs, p.Lk, p.D, 2);
  for (int64_t cta = 0; cta < (int64_t)nqb_all * bhs; ++cta) {
    const Att90CtaPos pos = att90_cta_at(cta, nqb_all, bhs, group);
    const int bx = pos.rank, bh = pos.bh;
    if (p.pipeline >= 4) {
      if (p.D == 64) emu_cta<64, 3>(p, bx, bh, out);
      else emu_cta<128, 3>(p, bx, bh, out);
    } else if (p.D == 64) {
      emu_cta<64>(p, bx, bh, out);
    } else {
      emu_cta<128>(p, bx, bh, out);
    }
  }
  const double scale = 1.0 / sqrt((double)p.D);
  double worst = 0;
  long bad_zero = 0, nan_count = 0, empty = 0;
  std::vector<double> ref((size_t)p.D), sc((size_t)p.Lk);
  for (int b = 0; b < p.B; ++b)
    for (int h = 0; h < p.Hq; ++h)
      for (int i = 0; i < p.Lq; ++i) {
        const int kvh = h / (p.Hq / p.Hkv);
        const int kl = p.klen.empty() ? p.Lk : std::min(std::max(p.klen[(size_t)b], 0), p.Lk);
        double mx = -INFINITY;
        for (int j = 0; j < p.Lk; ++j) {
          sc[(size_t)j] = -INFINITY;
          if (j >= kl || (p.causal && j > i + p.Lk - p.Lq)) continue;
          // windows (sparsekernels.h): j >= i + (Lk - Lq) - wl and j <= i + (Lk - Lq) + wr; a pruned head sees nothing
          if (p.wl >= 0 && j < i + p.Lk - p.Lq - p.wl) continue;
          if (p.wr >= 0 && j > i + p.Lk - p.Lq + p.wr) continue;
          if (!p.hmask.empty() && p.hmask[(size_t)h] == 0) continue;
          if (!p.mask.empty() && p.mask[(size_t)i * p.Lk + j] == 0) continue;
          const double bv = p.bias.empty() ? 0.0 : p.bias[(size_t)i * p.Lk + j];
          if (bv == -INFINITY) continue;
          double d = 0;
          for (int x = 0; x < p.D; ++x)
            d += (double)emu::to_float(p.q[(((size_t)b * p.Hq + h) * p.Lq + i) * p.D + x], p.dt) *
                 emu::to_float(p.k[(((size_t)b * p.Hkv + kvh) * p.Lk + j) * p.D + x], p.dt);
          sc[(size_t)j] = d * scale + bv;
          mx = std::max(mx, sc[(size_t)j]);
        }
        std::fill(ref.begin(), ref.end(), 0.0);
        if (mx != -INFINITY) {
          double l = 0;
          for (int j = 0; j < p.Lk; ++j) {
            if (sc[(size_t)j] == -INFINITY) continue;
            const double e = exp(sc[(size_t)j] - mx);
            l += e;
            for (int x = 0; x < p.D; ++x)
              ref[(size_t)x] += e * emu::to_float(p.v[(((size_t)b * p.Hkv + kvh) * p.Lk + j) * p.D + x], p.dt);
          }
          for (auto& r : ref) r /= l;
        } else {
          ++empty;
        }
        for (int x = 0; x < p.D; ++x) {
          const float g = out[(((size_t)b * p.Hq + h) * p.Lq + i) * p.D + x];
          if (g != g) {
            ++nan_count;
            continue;
          }
          if (mx == -INFINITY && g != 0.f) ++bad_zero;
          worst = std::max(worst, fabs((double)g - ref[(size_t)x]));
        }
      }
  const double tol = p.dt == emu::F16 ? 4e-3 : 2.5e-2;
  const bool ok = worst <= tol && nan_count == 0 && bad_zero == 0 && emu::failures().count == before;
  printf("%s sm90 %-28s B%d Hq%d Hkv%d Lq%d Lk%d D%d %s: max err %.2e (tol %.0e), %ld empty rows%s\n",
         ok ? "PASS" : "FAIL", name, p.B, p.Hq, p.Hkv, p.Lq, p.Lk, p.D, p.dt == emu::F16 ? "f16" : "bf16", worst, tol,
         empty, nan_count ? ", NaN/unwritten" : "");
  return ok;
}

Prob base(int B, int Hq, int Hkv, int Lq, int Lk, int D, int dt, bool causal) {
  Prob p;
  p.B = B, p.Hq = Hq, p.Hkv = Hkv, p.Lq = Lq, p.Lk = Lk, p.D = D, p.dt = dt, p.causal = causal;
  return p;
}

// The CTA order (att90_cta_at): every (query block rank, head) exactly once; within a group of heads the ranks never
// decrease (heaviest query blocks first across the group); a group of 1 is the order before session 16 (query blocks
// of one head, heaviest first, then the next head); and the group sizes att90_group_heads picks for the bench shapes.
void check_cta_order() {
  for (int nqb : {1, 3, 32, 64})
    for (int bhs : {1, 5, 32, 33})
      for (int group : {1, 2, 3, 4, 8, 32, 40}) {
        std::vector<int> seen((size_t)nqb * bhs, 0);
        int last_group = -1, last_rank = -1;
        for (int64_t i = 0; i < (int64_t)nqb * bhs; ++i) {
          const Att90CtaPos p = att90_cta_at(i, nqb, bhs, group);
          EMU_CHECK(p.rank >= 0 && p.rank < nqb && p.bh >= 0 && p.bh < bhs, "cta %lld: rank %d bh %d out of range",
                    (long long)i, p.rank, p.bh);
          if (p.rank < 0 || p.rank >= nqb || p.bh < 0 || p.bh >= bhs) return;
          ++seen[(size_t)p.rank * bhs + p.bh];
          const int g = p.bh / group;
          EMU_CHECK(g >= last_group, "cta %lld: group %d after group %d", (long long)i, g, last_group);
          if (g != last_group) last_rank = -1;
          EMU_CHECK(p.rank >= last_rank, "cta %lld: rank %d after %d in group %d", (long long)i, p.rank, last_rank, g);
          last_group = g, last_rank = p.rank;
          if (group == 1)
            EMU_CHECK(p.rank == (int)(i % nqb) && p.bh == (int)(i / nqb), "group 1: cta %lld is not the old order",
                      (long long)i);
        }
        for (size_t k = 0; k < seen.size(); ++k)
          EMU_CHECK(seen[k] == 1, "nqb %d heads %d group %d: (rank %d, head %d) started %d times", nqb, bhs, group,
                    (int)(k / bhs), (int)(k % bhs), seen[k]);
      }
  EMU_CHECK(att90_group_heads(32, 4096, 128, 2) == 8 && att90_group_heads(16, 8192, 128, 2) == 4 &&
                att90_group_heads(16, 16384, 128, 2) == 2 && att90_group_heads(3, 4096, 128, 2) == 3 &&
                att90_group_heads(16, 1 << 20, 128, 2) == 1,
            "att90_group_heads: unexpected group sizes");
}

// Brute force for this kernel's blocking (128 query rows, 128-key tiles, causal / key lengths only): the tile range
// holds exactly the tiles with a visible key, and a tile is "not partial" only when every key is visible to every row.
void check_tile_math() {
  const int bk = 128;
  for (int lq = 1; lq <= 400; lq += 57)
    for (int lk = 1; lk <= 520; lk += 61)
      for (int causal = 0; causal < 2; ++causal)
        for (int klen : {lk, lk / 2, lk / 3 + 1, 0})
          for (int q0 = 0; q0 < lq; q0 += 128) {
            const int q1 = std::min(q0 + 128, lq);
            int lo, hi;
            att_tile_range(q0, q1, klen, lq, lk, causal, -1, -1, bk, lo, hi);
            int first = -1, last = -1;
            for (int t = 0; t < (lk + bk - 1) / bk; ++t) {
              bool any = false, all = true;
              for (int i = q0; i < q1; ++i)
                for (int j = t * bk; j < t * bk + bk; ++j) {
                  const bool v = j < lk && att_visible(i, j, klen, lq, lk, causal, -1, -1);
                  any |= v;
                  all &= v;
                }
              if (any) {
                if (first < 0) first = t;
                last = t;
              }
              if (!att_tile_partial(t * bk, bk, q0, q1, klen, lq, lk, causal, -1, -1))
                EMU_CHECK(all, "tile %d not partial but not all visible (lq %d lk %d klen %d causal %d q0 %d)", t, lq,
                          lk, klen, causal, q0);
            }
            if (first < 0) EMU_CHECK(hi <= lo, "range [%d,%d) with no visible key (lq %d lk %d klen %d)", lo, hi, lq, lk, klen);
            else EMU_CHECK(lo == first && hi == last + 1, "range [%d,%d), visible tiles [%d,%d] (lq %d lk %d klen %d causal %d q0 %d)",
                           lo, hi, first, last, lq, lk, klen, causal, q0);
          }
  // GQA head mapping: query head h reads kv head h / (Hq / Hkv), every kv head serves exactly Hq / Hkv heads.
  for (int hkv = 1; hkv <= 8; ++hkv)
    for (int g = 1; g <= 6; ++g) {
      std::vector<int> served((size_t)hkv, 0);
      for (int h = 0; h < hkv * g; ++h) {
        const int kv = att_kv_head(h, hkv * g, hkv);
        EMU_CHECK(kv >= 0 && kv < hkv && kv == h / g, "h %d Hq %d Hkv %d -> %d", h, hkv * g, hkv, kv);
        if (kv >= 0 && kv < hkv) ++served[(size_t)kv];
      }
      for (int c : served) EMU_CHECK(c == g, "a kv head serves %d query heads, want %d", c, g);
    }
  // Copy plans: every 16-byte chunk of every tile written exactly once, inside the tile, 16-byte aligned.
  auto plans = [](auto cfg, int rows) {
    using C = decltype(cfg);
    std::vector<int> hits((size_t)rows * C::D * 2 / 16, 0);
    for (int c = 0; c < rows * C::CH; ++c) {
      const CopyPlan pl = att90_copy<C>(c, rows, 0, rows, 0);
      EMU_CHECK(pl.dst % 16 == 0 && pl.dst >= 0 && pl.dst < rows * C::D * 2, "copy %d dst %d", c, pl.dst);
      if (pl.dst % 16 == 0 && pl.dst >= 0 && pl.dst < rows * C::D * 2) ++hits[(size_t)pl.dst / 16];
      const int r = c / C::CH, ch = c % C::CH;
      EMU_CHECK(pl.src == (int64_t)r * C::D + ch * 8, "copy %d src %lld", c, (long long)pl.src);
    }
    for (int x : hits) EMU_CHECK(x == 1, "a 16-byte chunk written %d times", x);
  };
  plans(AttSm90Cfg<64, 128>(), 128);
  plans(AttSm90Cfg<128, 128>(), 128);
  plans(AttSm90Cfg<128, 64>(), 64);
}

// The bit-packed mask (attention_mask_bits.cuh) against the byte mask it comes from: every bit of every row of every
// slice, padding bits zero, and each tile's class against a brute-force scan, for masks with and without batch, head
// and row strides, at aligned (8 bytes at a time) and unaligned (byte by byte) addresses, with the class scan split
// over 32 lanes as the build kernel splits it and over 1 as here.
void check_mask_bits(std::mt19937& rng) {
  for (int t = 0; t < 20000; ++t) {  // the byte-to-bit step alone
    uint64_t x = 0;
    for (int k = 0; k < 8; ++k) {
      const uint32_t r = rng() % 6;
      const uint64_t byte = r < 3 ? 0 : r == 3 ? 0x80 : r == 4 ? 1 + rng() % 0x7F : rng() % 256;
      x |= byte << (8 * k);
    }
    uint32_t want = 0;
    for (int k = 0; k < 8; ++k) want |= (uint32_t)(((x >> (8 * k)) & 0xFF) != 0) << k;
    EMU_CHECK(mask_byte_bits(x) == want, "mask_byte_bits(%016llx) = %02x, want %02x", (unsigned long long)x,
              mask_byte_bits(x), want);
  }
  struct Shape { int B, Hq, lq, lk; bool bstride, hstride, rowbcast; int offset; int density; };
  const Shape shapes[] = {
      {1, 1, 1, 1, false, false, false, 0, 2},      {2, 3, 77, 200, true, true, false, 0, 2},
      {2, 3, 129, 64, false, true, false, 8, 2},    {1, 2, 300, 65, true, false, false, 3, 1},
      {2, 1, 128, 128, true, false, false, 0, 0},   {1, 1, 200, 300, false, false, true, 5, 2},
      {3, 2, 260, 130, true, true, false, 16, 3},   {1, 1, 257, 512, false, false, false, 0, 4},
      {1, 2, 200, 300, false, true, false, 0, 5},   {2, 1, 130, 257, true, false, false, 1, 6},
  };
  for (const Shape& s : shapes) {
    // Layout [B][Hq][lq][lk] (or [lk] rows broadcast over lq), then the strides that read it; `offset` bytes in.
    const int64_t sq = s.rowbcast ? 0 : s.lk, sh = s.hstride ? (s.rowbcast ? 1 : s.lq) * (int64_t)s.lk : 0;
    const int64_t sb = s.bstride ? (s.hstride ? s.Hq : 1) * (s.rowbcast ? 1 : s.lq) * (int64_t)s.lk : 0;
    const size_t n = (size_t)(s.bstride ? s.B : 1) * (s.hstride ? s.Hq : 1) * (s.rowbcast ? 1 : s.lq) * s.lk;
    std::vector<uint8_t> store(n + (size_t)s.offset + 8);
    uint8_t* mask = store.data() + s.offset;
    // density 0: all hidden, 1: all set, 2: random, 3: causal pattern, 4: whole 128-key blocks on or off, 5: all set
    // but each tile's first key in one row, 6: all set but the last row's last key (a tile one bit short of full)
    for (size_t e = 0; e < n; ++e) {
      const int j = (int)(e % (size_t)s.lk), i = (int)((e / (size_t)s.lk) % (size_t)s.lq);
      const uint32_t r = rng();
      mask[e] = s.density == 0 ? 0 : s.density == 1 ? (uint8_t)(1 + r % 200)
              : s.density == 2 ? (uint8_t)(r % 3 == 0 ? 0 : 1 + (r >> 8) % 255)
              : s.density == 3 ? (uint8_t)(j <= i) : s.density == 4 ? (uint8_t)(((i / 128 + j / 128) % 3) != 0)
              : s.density == 5 ? (uint8_t)!(i % 128 == 5 && j % 128 == 0)
                               : (uint8_t)!(i == s.lq - 1 && j == s.lk - 1);
    }
    const MaskBits m = mask_bits_shape(s.B, s.Hq, s.lq, s.lk, sb, sh, sq);
    EMU_CHECK(m.slices_b == (s.bstride ? s.B : 1) && m.slices_h == (s.hstride ? s.Hq : 1), "slices %d x %d",
              m.slices_b, m.slices_h);
    // a mask broadcast over queries is stored once per slice, not once per query row
    EMU_CHECK(mask_bits_words(m) == (int64_t)m.slices_b * m.slices_h * (s.rowbcast ? 1 : s.lq) * 2 * m.ntk &&
                  mask_bits_classes(m) == (int64_t)m.slices_b * m.slices_h * (s.rowbcast ? 1 : m.ntq) * m.ntk,
              "stored rows (lq %d, row broadcast %d): %lld words", s.lq, (int)s.rowbcast,
              (long long)mask_bits_words(m));
    std::vector<uint64_t> bits((size_t)mask_bits_words(m));
    for (int64_t w = 0; w < (int64_t)bits.size(); ++w) bits[(size_t)w] = mask_pack_word(mask, sb, sh, sq, m, w);
    for (int b = 0; b < s.B; ++b)
      for (int h = 0; h < s.Hq; ++h) {
        const int64_t slice = mask_bits_slice(m, b, h);
        for (int i = 0; i < s.lq; ++i) {
          const uint64_t* row = &bits[(size_t)mask_bits_row(m, slice, i)];
          for (int j = 0; j < (int)m.words * 64; ++j) {
            const bool want = j < s.lk && mask[att_bcast_offset(b, h, i, j, sb, sh, sq)] != 0;
            const bool got = ((row[j / 64] >> (j % 64)) & 1) != 0;
            const int kt = j / 128;
            EMU_CHECK(got == want && (j >= 128 * m.ntk || mask_bit(row[2 * kt], row[2 * kt + 1], j % 128) == want),
                      "bit (b %d h %d i %d j %d) = %d, want %d (lq %d lk %d)", b, h, i, j, got, want, s.lq, s.lk);
            if (got != want) return;
          }
        }
        for (int qt = 0; qt < m.ntq; ++qt)
          for (int kt = 0; kt < m.ntk; ++kt) {
            bool any = false, all = true;
            for (int i = qt * 128; i < std::min(qt * 128 + 128, s.lq); ++i)
              for (int j = kt * 128; j < std::min(kt * 128 + 128, s.lk); ++j) {
                const bool v = mask[att_bcast_offset(b, h, i, j, sb, sh, sq)] != 0;
                any |= v;
                all &= v;
              }
            const int want = !any ? 0 : all ? 1 : 2;
            const int64_t idx = mask_bits_class_row(m, slice, qt) + kt;
            uint64_t any1, miss1, any32 = 0, miss32 = 0;
            mask_tile_scan(bits.data(), m, idx, 0, 1, any1, miss1);
            for (int lane = 0; lane < 32; ++lane) {
              uint64_t a, mi;
              mask_tile_scan(bits.data(), m, idx, lane, 32, a, mi);
              any32 |= a;
              miss32 |= mi;
            }
            const int got1 = mask_tile_class(any1, miss1), got32 = mask_tile_class(any32, miss32);
            EMU_CHECK(got1 == want && got32 == want, "class (b %d h %d qt %d kt %d) = %d / %d, want %d (lq %d lk %d)",
                      b, h, qt, kt, got1, got32, want, s.lq, s.lk);
          }
      }
  }
}

}  // namespace

int main() {
  std::mt19937 rng(9090);
  int total = 0, failed = 0;
  const long f0 = emu::failures().count;
  check_tile_math();
  check_cta_order();
  ++total;
  if (emu::failures().count != f0) ++failed;
  printf("%s sm90 tile range / partial tiles / GQA heads / copy plans / CTA order against brute force\n",
         emu::failures().count == f0 ? "PASS" : "FAIL");
  const long f1 = emu::failures().count;
  check_mask_bits(rng);
  ++total;
  if (emu::failures().count != f1) ++failed;
  printf("%s bit-packed dense masks and tile classes against the byte masks\n",
         emu::failures().count == f1 ? "PASS" : "FAIL");
  // Every case under the lockstep pipeline and the decoupled one's three schedules.
  // Cases without windows, dense masks, bias or head masks also through the software-pipelined kernel.
  auto go = [&](const Prob& p0, const char* name) {
    static const char* const tags[] = {"",
                                       " [decoupled, wg0 ahead]",
                                       " [decoupled, wg1 ahead]",
                                       " [decoupled, alternating]",
                                       " [overlap]",
                                       " [overlap, TMA]",
                                       " [overlap, TMA, ping-pong, wg0 ahead]",
                                       " [overlap, TMA, ping-pong, wg1 ahead]",
                                       " [overlap, TMA, ping-pong, random]"};
    const bool masked = !p0.mask.empty() || !p0.bias.empty() || !p0.hmask.empty() || p0.wl != -1 || p0.wr != -1;
    const bool mask_only = !p0.mask.empty() && p0.bias.empty() && p0.hmask.empty() && p0.wl == -1 && p0.wr == -1;
    for (int pipeline = 0; pipeline < (masked && !mask_only ? 4 : masked ? 6 : 9); ++pipeline) {
      if (mask_only && pipeline == 4) continue;  // a dense mask reaches the overlap kernel only by TMA
      Prob p = p0;
      p.pipeline = pipeline;
      const std::string label = std::string(name) + tags[pipeline];
      ++total;
      if (!run(rng, p, label.c_str())) ++failed;
    }
    if (!masked) {  // the lean instantiation alone, on the plain TMA ring
      Prob p = p0;
      p.pipeline = 5;
      p.lean = true;
      ++total;
      if (!run(rng, p, (std::string(name) + " [overlap, TMA, lean]").c_str())) ++failed;
    }
  };
  go(base(1, 1, 1, 1, 1, 64, emu::F16, false), "L1");
  go(base(1, 2, 1, 77, 77, 64, emu::BF16, false), "tails 77 gqa");
  go(base(1, 1, 1, 130, 130, 128, emu::F16, true), "causal 130");
  go(base(1, 2, 2, 77, 260, 128, emu::BF16, true), "causal lq<lk");
  go(base(1, 2, 1, 200, 90, 64, emu::F16, true), "causal lq>lk (empty rows)");
  go(base(1, 1, 1, 300, 300, 64, emu::BF16, false), "none 3 tiles");
  // Five and six key tiles: every stage of the 3-stage ring (overlap kernel) refilled at least once.
  go(base(1, 1, 1, 130, 600, 128, emu::F16, false), "none 5 tiles");
  go(base(1, 1, 1, 700, 700, 64, emu::BF16, true), "causal 6 tiles");
  {
    Prob p = base(3, 2, 1, 70, 190, 128, emu::F16, false);
    p.klen = {0, 37, 190};
    go(p, "key lengths (one empty)");
    p = base(2, 1, 1, 260, 257, 64, emu::BF16, true);
    p.klen = {129, 300};
    go(p, "causal + key lengths");
  }
  {
    // The MASKED kernel (experimental): a dense mask with fully masked rows, a bias with -inf entries, both.
    std::mt19937 mr(77);
    Prob p = base(1, 2, 1, 150, 200, 128, emu::F16, false);
    p.mask.resize((size_t)150 * 200);
    for (auto& m : p.mask) m = mr() % 3 != 0;
    for (int j = 0; j < 200; ++j) p.mask[(size_t)9 * 200 + j] = 0;  // row 9 sees nothing
    go(p, "dense mask");
    p = base(2, 2, 2, 130, 140, 64, emu::BF16, true);
    p.klen = {140, 70};
    p.bias.resize((size_t)130 * 140);
    for (auto& x : p.bias) x = (float)(mr() % 100) / 25.0f - 2.0f;
    for (int i = 0; i < 130; ++i) p.bias[(size_t)i * 140 + (i % 7)] = -INFINITY;
    go(p, "bias causal + key lengths");
    p = base(1, 1, 1, 64, 300, 64, emu::F16, false);
    p.mask.assign((size_t)64 * 300, 1);
    for (int i = 0; i < 64; ++i)
      for (int j = 0; j < 300; j += 3) p.mask[(size_t)i * 300 + j] = 0;
    p.bias.resize((size_t)64 * 300);
    for (auto& x : p.bias) x = (float)(mr() % 50) / 25.0f - 1.0f;
    go(p, "mask + bias");
    // The causal pattern as a dense mask over 3 x 3 tiles: the tiles above the diagonal are skipped whole.
    p = base(1, 2, 1, 300, 300, 128, emu::BF16, false);
    p.mask.assign((size_t)300 * 300, 0);
    for (int i = 0; i < 300; ++i)
      for (int j = 0; j <= i; ++j) p.mask[(size_t)i * 300 + j] = 1;
    go(p, "causal as a dense mask");
    // Every row sees the first 10 keys and its own 128-row block: for query blocks 2 and 3 an interior key tile is
    // hidden (the MASKED kernel skips it; the overlap kernel runs it with every score hidden), and the tiles after
    // the diagonal leave the range (trimmed).
    p = base(1, 1, 1, 400, 400, 64, emu::F16, false);
    p.mask.assign((size_t)400 * 400, 0);
    for (int i = 0; i < 400; ++i)
      for (int j = 0; j < 400; ++j) p.mask[(size_t)i * 400 + j] = j < 10 || j / 128 == i / 128;
    go(p, "global keys + block diagonal");
    // Windows (with and without causal) and a head mask, on the MASKED instantiation.
    p = base(1, 3, 1, 260, 260, 64, emu::F16, true);
    p.wl = 100;
    p.hmask = {1, 0, 1};
    go(p, "causal window 101 + head mask");
    p = base(2, 2, 2, 200, 330, 128, emu::BF16, false);
    p.wl = 40;
    p.wr = 70;
    p.klen = {330, 150};
    go(p, "two-sided window + key lengths");
  }
  printf("%s: %d of %d sm90 attention emulation cases passed\n", failed ? "FAIL" : "PASS", total - failed, total);
  return failed ? 1 : 0;
}
