// Warpgroup-level pieces of the Hopper attention kernels (attention_sm90.cu: the verified kernel and its decoupled /
// masked instantiations; attention_sm90_overlap.cu: the experimental software-pipelined one): the register pins of
// the wgmma protocol, the two MMAs (S = Q K^T from shared memory, O += P V with P from registers), and the per-tile
// register arithmetic both kernels share (scale and structural masks, online softmax, O rescale, epilogue). sm_90a
// device code only; the index math they use is attention_sm90_index.cuh.
#pragma once
#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <math.h>
#include <stdint.h>

#include <type_traits>

#include "attention_index.cuh"
#include "attention_launch.cuh"
#include "attention_nonfinite.cuh"
#include "attention_sm90_index.cuh"
#include "cp_async.cuh"
#include "pairs.cuh"
#include "wgmma.cuh"

namespace skcuda {
namespace att90 {

#if SK_SM90A  // used only by the sm_90a kernel bodies (other passes would warn about unreferenced functions)
// Where a CTA sits and who this thread is: query rows [q0, q1) of head h in batch b (a 1-D grid in att90_cta_at's
// order: heads in groups, heaviest query blocks of a group first), the batch's key length, this thread's warpgroup wg
// and warp w of it, and the element
// offsets of the CTA's Q / O rows and of its K / V head. Kernels unpack it with a structured binding, so their bodies
// read plain names.
struct Cta {
  int tid, lane, wg, w, q0, q1, b, h, klen;
  int64_t q_base, kv_base;
  bool causal;
};
template <class C>
__device__ __forceinline__ Cta cta_of(const AttentionArgs& a) {
  Cta c;
  c.tid = threadIdx.x, c.lane = c.tid & 31, c.wg = c.tid >> 7, c.w = (c.tid >> 5) & 3;
  const int nqb = att90_num_qblocks(a.lq), bhs = a.batch * a.hq;
  const int group = a.cta_group > 0 ? a.cta_group : att90_group_heads(bhs, a.lk, C::D, 2);
  const Att90CtaPos pos = att90_cta_at(blockIdx.x, nqb, bhs, group);
  c.q0 = att90_qblock_of(pos.rank, nqb) * C::BQ;
  c.q1 = min(c.q0 + C::BQ, a.lq);
  const int bh = pos.bh;
  c.b = bh / a.hq, c.h = bh % a.hq;
  c.q_base = (int64_t)bh * a.lq * C::D;
  c.kv_base = ((int64_t)c.b * a.hkv + att_kv_head(c.h, a.hq, a.hkv)) * a.lk * C::D;
  c.causal = a.causal != 0;
  c.klen = att_klen(a.key_lengths ? a.key_lengths + c.b : nullptr, a.lk);
  return c;
}

// K and V tile kt (C::BK keys) into ring stage `stage` (sK / sV: the rings' shared-memory addresses); keys at or past
// klen are zero-filled (never read from memory), so P = 0 meets finite V there.
template <class C, class T>
__device__ __forceinline__ void load_kv(const T* __restrict__ K, const T* __restrict__ V, uint32_t sK, uint32_t sV,
                                        int tid, int klen, int64_t kv_base, int kt, int stage) {
  const uint32_t dk = sK + stage * C::KV_BYTES, dv = sV + stage * C::KV_BYTES;
#pragma unroll
  for (int i = 0; i < C::BK * C::CH / C::THREADS; ++i) {
    const CopyPlan p = att90_copy<C>(tid + i * C::THREADS, C::BK, kt * C::BK, klen, kv_base);
    cp_async16(dk + p.dst, K + p.src, p.ok);
    cp_async16(dv + p.dst, V + p.src, p.ok);
  }
}

// The CTA's Q rows into sQ; rows past lq are zero-filled, never stored.
template <class C, class T>
__device__ __forceinline__ void load_q(const T* __restrict__ Q, uint32_t sQ, int tid, int q0, int lq, int64_t q_base) {
#pragma unroll
  for (int i = 0; i < C::BQ * C::CH / C::THREADS; ++i) {
    const CopyPlan p = att90_copy<C>(tid + i * C::THREADS, C::BQ, q0, lq, q_base);
    cp_async16(sQ + p.dst, Q + p.src, p.ok);
  }
}

// Pins registers in program order around the wgmma protocol (an empty asm that "reads and writes" each one, as
// CUTLASS's warpgroup_fence_operand): ordinary instructions that write an operand may not sink below wgmma.fence,
// and reads of an accumulator may not be hoisted above wgmma.wait_group (the compiler sees the wgmma asm itself as
// producing the accumulators, not the wait).
template <int N>
__device__ __forceinline__ void pin(float (&r)[N]) {
#pragma unroll
  for (int i = 0; i < N; ++i) asm volatile("" : "+f"(r[i])::"memory");
}
template <int N>
__device__ __forceinline__ void pin(uint32_t (&r)[N][4]) {
#pragma unroll
  for (int i = 0; i < N; ++i)
#pragma unroll
    for (int j = 0; j < 4; ++j) asm volatile("" : "+r"(r[i][j])::"memory");
}

// S[64 x BK] = Q[64 rows of warpgroup wg] . K^T, D / 16 k16 steps; s zeroed by the caller (scale-d 1 throughout,
// as the GEMM kernels).
template <class T, class C>
__device__ __forceinline__ void qk_mma(float (&s)[C::NS], uint32_t sq, uint32_t sk, int wg) {
#pragma unroll
  for (int ks = 0; ks < C::D / 16; ++ks) {
    const uint64_t da = sm90::desc_sw128(sq + att90_q_desc_offset<C>(wg, ks));
    const uint64_t db = sm90::desc_sw128(sk + att90_k_desc_offset<C>(ks));
    if constexpr (C::BK == 128) {
      if constexpr (std::is_same<T, __nv_bfloat16>::value) sm90::wgmma_m64n128k16_bf16(s, da, db, 1);
      else sm90::wgmma_m64n128k16_f16(s, da, db, 1);
    } else {
      if constexpr (std::is_same<T, __nv_bfloat16>::value) sm90::wgmma_m64n64k16_bf16(s, da, db, 1);
      else sm90::wgmma_m64n64k16_f16(s, da, db, 1);
    }
  }
}

// O[64 x D] += P[64 x BK] . V[BK x D]: per k16 step kk, one m64n64k16 per 64-column d-block, P from registers.
template <class T, class C>
__device__ __forceinline__ void pv_mma(float (&o)[C::DB][C::NO], const uint32_t (&p)[C::BK / 16][4], uint32_t sv) {
#pragma unroll
  for (int kk = 0; kk < C::BK / 16; ++kk) {
#pragma unroll
    for (int db = 0; db < C::DB; ++db) {
      const uint64_t dv = sm90::desc_sw128_mn(sv + att90_v_desc_offset<C>(kk, db), C::KV_DBLOCK);
      if constexpr (std::is_same<T, __nv_bfloat16>::value) sm90::wgmma_rs_m64n64k16_transb_bf16(o[db], p[kk], dv, 1);
      else sm90::wgmma_rs_m64n64k16_transb_f16(o[db], p[kk], dv, 1);
    }
  }
}

// The same two MMAs with fewer instructions around them (session 26, experimental: the PINGPONG kernel's; written
// without a GPU). In the SASS of qk_mma / pv_mma each wgmma costs about eleven instructions of descriptor arithmetic
// (mask, shift, or, four R2URs): 268 of the roughly 710 a warp issues per unmasked tile, besides 32 CS2Rs that zero S.
// Here each tile's base descriptors are made once and every k step adds its offset to the low word: desc(a + off) =
// desc(a) + off / 16 because a and off are multiples of 16 and a + off stays below 2^18 (shared-memory window
// addresses, static_assert below), so the 14-bit start field never carries. And the first QK step runs with scale-d
// 0 (D = A . B, the accumulators' old values ignored), so S needs no zeroing.
// A descriptor from its two 32-bit words: the step offsets go into the low word only (a 32-bit add; a 64-bit one
// compiled to an add with carry and a handful of moves per wgmma).
__device__ __forceinline__ uint64_t att90_desc(uint32_t lo, uint32_t hi) {
  uint64_t d;
  asm("mov.b64 %0, {%1, %2};" : "=l"(d) : "r"(lo), "r"(hi));
  return d;
}
template <class T, class C>
__device__ __forceinline__ void qk_mma_lean(float (&s)[C::NS], uint32_t sq, uint32_t sk, int wg) {
  static_assert(C::SMEM_BYTES + 1024 <= (1 << 18), "descriptor start fields may not carry (shared window < 256 KB)");
  const uint64_t qa = sm90::desc_sw128(sq), kb = sm90::desc_sw128(sk);
  const uint32_t qlo = (uint32_t)qa, klo = (uint32_t)kb, hi = (uint32_t)(qa >> 32);  // same high word for both
#pragma unroll
  for (int ks = 0; ks < C::D / 16; ++ks) {
    const uint64_t da = att90_desc(qlo + (att90_q_desc_offset<C>(wg, ks) >> 4), hi);
    const uint64_t db = att90_desc(klo + (att90_k_desc_offset<C>(ks) >> 4), hi);
    if constexpr (C::BK == 128) {
      if constexpr (std::is_same<T, __nv_bfloat16>::value) sm90::wgmma_m64n128k16_bf16(s, da, db, ks != 0);
      else sm90::wgmma_m64n128k16_f16(s, da, db, ks != 0);
    } else {
      if constexpr (std::is_same<T, __nv_bfloat16>::value) sm90::wgmma_m64n64k16_bf16(s, da, db, ks != 0);
      else sm90::wgmma_m64n64k16_f16(s, da, db, ks != 0);
    }
  }
}
template <class T, class C>
__device__ __forceinline__ void pv_mma_lean(float (&o)[C::DB][C::NO], const uint32_t (&p)[C::BK / 16][4],
                                            uint32_t sv) {
  const uint64_t vb = sm90::desc_sw128_mn(sv, C::KV_DBLOCK);
  const uint32_t vlo = (uint32_t)vb, hi = (uint32_t)(vb >> 32);
#pragma unroll
  for (int kk = 0; kk < C::BK / 16; ++kk) {
#pragma unroll
    for (int db = 0; db < C::DB; ++db) {
      const uint64_t dv = att90_desc(vlo + (att90_v_desc_offset<C>(kk, db) >> 4), hi);
      if constexpr (std::is_same<T, __nv_bfloat16>::value) sm90::wgmma_rs_m64n64k16_transb_bf16(o[db], p[kk], dv, 1);
      else sm90::wgmma_rs_m64n64k16_transb_f16(o[db], p[kk], dv, 1);
    }
  }
}

// Scale, and in a tile that cuts them (partial) the causal / key-length masks: -inf outside. row_g is this thread's
// first row (the second is row_g + 8), k0 the tile's first key.
template <class C>
__device__ __forceinline__ void scale_structural(float (&s)[C::NS], bool partial, int row_g, int k0, int lane,
                                                 int klen, int64_t lq, int64_t lk, bool causal, float scale_log2) {
  if (partial) {
#pragma unroll
    for (int i = 0; i < C::NS; ++i) {
      const int row = row_g + 8 * ((i >> 1) & 1), j = k0 + att90_acc_col(lane, i);
      s[i] = att_visible(row, j, klen, lq, lk, causal, -1, -1) ? s[i] * scale_log2 : -INFINITY;
    }
  } else {
#pragma unroll
    for (int i = 0; i < C::NS; ++i) s[i] *= scale_log2;
  }
}

// The maximum of row half hr (accumulators 4 j + 2 hr, 4 j + 2 hr + 1), over the 4 lanes of a quad.
template <int NS>
__device__ __forceinline__ float row_half_max(const float (&s)[NS], int hr) {
  float mx = -INFINITY;
#pragma unroll
  for (int j = 0; j < NS / 4; ++j) mx = fmaxf(mx, fmaxf(s[4 * j + 2 * hr], s[4 * j + 2 * hr + 1]));
  mx = fmaxf(mx, __shfl_xor_sync(0xffffffffu, mx, 1));
  return fmaxf(mx, __shfl_xor_sync(0xffffffffu, mx, 2));
}

// Online softmax of row half hr (row row_g + 8 hr: accumulators 4 j + 2 hr, 4 j + 2 hr + 1; the row's columns are
// spread over the 4 lanes of a quad): exp2 in place against the new running maximum m_i, l_i = l_i alpha + this
// lane's sum; returns alpha, the factor O must be multiplied by. A row whose maximum is still -inf uses 0 as its
// reference, so exp2 gives 0, never NaN.
template <int NS>
__device__ __forceinline__ float softmax_half(float (&s)[NS], int hr, float& m_i, float& l_i) {
  const float mx = row_half_max(s, hr);
  const float m_new = fmaxf(m_i, mx);
  const float m_use = m_new == -INFINITY ? 0.f : m_new;
  const float alpha = exp2f(m_i - m_use);
  m_i = m_new;
  float sum = 0.f;
#pragma unroll
  for (int j = 0; j < NS / 4; ++j) {
    s[4 * j + 2 * hr] = exp2f(s[4 * j + 2 * hr] - m_use);
    s[4 * j + 2 * hr + 1] = exp2f(s[4 * j + 2 * hr + 1] - m_use);
    sum += s[4 * j + 2 * hr] + s[4 * j + 2 * hr + 1];
  }
  l_i = l_i * alpha + sum;
  return alpha;
}

// The folded softmax (session 26, experimental: the PINGPONG kernel's; written without a GPU). The SASS of the softmax
// above, read here with nvdisasm, spends per score an FMUL (scale), an FADD (minus the maximum) and, around each
// MUFU.EX2, the FSETP and two predicated FMULs that make exp2f exact for subnormal results: five FP32-pipe
// instructions beside the MUFU, where FlashAttention's softmax (built with --use_fast_math) has one FFMA. With two
// warps per scheduler issuing about a thousand instructions each per tile, the softmax's issue slots, not the tensor
// cores, can set a tile's pace, and the ping-pong's premise is that one warpgroup's softmax fits in the other's MMAs.
// Here:
//   - scores stay unscaled; masking writes -inf as before (mask_structural);
//   - the row maximum is taken on unscaled scores: the order is the scaled one only for scale > 0, which the host
//     requires of this path (attention_sm90_overlap falls back to the plain kernel otherwise);
//   - the running maximum m_i stays in the scaled log2 domain, so alpha and l_i mean what they meant;
//   - each weight is ex2.approx.ftz(fma(s, scale_log2, -m)): one FFMA and the MUFU. ftz flushes weights below 2^-126
//     to 0, each at most 2^-126 of the row's largest weight (1), far below what P in f16 / bf16 keeps.
// Same -inf rules: a masked score gives fma(-inf, c, -m) = -inf and weight 0; a row with no visible key keeps m = -inf
// and uses 0 as its reference. +inf and NaN scores propagate as in softmax_half.
__device__ __forceinline__ float att90_ex2_ftz(float x) {
  float y;
  asm("ex2.approx.ftz.f32 %0, %1;" : "=f"(y) : "f"(x));
  return y;
}
// The causal / key-length masks of a partial tile, without scaling (the folded softmax scales).
template <class C>
__device__ __forceinline__ void mask_structural(float (&s)[C::NS], bool partial, int row_g, int k0, int lane,
                                                int klen, int64_t lq, int64_t lk, bool causal) {
  if (!partial) return;
#pragma unroll
  for (int i = 0; i < C::NS; ++i) {
    const int row = row_g + 8 * ((i >> 1) & 1), j = k0 + att90_acc_col(lane, i);
    if (!att_visible(row, j, klen, lq, lk, causal, -1, -1)) s[i] = -INFINITY;
  }
}
template <int NS>
__device__ __forceinline__ float softmax_half_folded(float (&s)[NS], int hr, float& m_i, float& l_i,
                                                     float scale_log2) {
  const float mx = row_half_max(s, hr);
  const float m_new = fmaxf(m_i, mx * scale_log2);  // -inf * (c > 0) = -inf
  const float m_use = m_new == -INFINITY ? 0.f : m_new;
  const float alpha = att90_ex2_ftz(m_i - m_use);
  m_i = m_new;
  float sum = 0.f;
#pragma unroll
  for (int j = 0; j < NS / 4; ++j) {
    s[4 * j + 2 * hr] = att90_ex2_ftz(fmaf(s[4 * j + 2 * hr], scale_log2, -m_use));
    s[4 * j + 2 * hr + 1] = att90_ex2_ftz(fmaf(s[4 * j + 2 * hr + 1], scale_log2, -m_use));
    sum += s[4 * j + 2 * hr] + s[4 * j + 2 * hr + 1];
  }
  l_i = l_i * alpha + sum;
  return alpha;
}

// O accumulators of row half hr times alpha.
template <int DB, int NO>
__device__ __forceinline__ void rescale_half(float (&o)[DB][NO], int hr, float alpha) {
#pragma unroll
  for (int db = 0; db < DB; ++db)
#pragma unroll
    for (int j = 0; j < NO / 4; ++j) {
      o[db][4 * j + 2 * hr] *= alpha;
      o[db][4 * j + 2 * hr + 1] *= alpha;
    }
}

// The non-finite V guard of one tile whose masks zeroed some weights (attention_nonfinite.cuh's att90_* steps): scan
// the V tile once; only if it holds a non-finite value, add those values to O for the keys whose weight is above 0,
// then zero them in shared memory and fence the writes for the wgmma that reads V. Block-uniform: every thread calls
// it for the same tiles.
template <class C, class T>
__device__ __forceinline__ void guard_nonfinite_v(uint8_t* vtile, const float (&s)[C::NS], float (&o)[C::DB][C::NO],
                                                  int tid, int lane) {
  if (att90_tile_v_nonfinite<C, T>(vtile, tid)) {
    att90_add_nonfinite_v<C, T>(vtile, s, o, lane);
    __syncthreads();
    att90_zero_nonfinite_v<C, T>(vtile, tid);
    sm90::fence_proxy_async_smem();  // the generic-proxy writes, visible to the wgmma that reads V
    __syncthreads();
  }
}

// P (the softmax weights in the S accumulators) repacked as the register A operand of the PV MMAs.
template <class T, class C>
__device__ __forceinline__ void pack_p(uint32_t (&p)[C::BK / 16][4], const float (&s)[C::NS]) {
#pragma unroll
  for (int kk = 0; kk < C::BK / 16; ++kk)
#pragma unroll
    for (int r = 0; r < 4; ++r)
      p[kk][r] = pack2<T>(s[att90_p_acc_index(kk, r, 0)], s[att90_p_acc_index(kk, r, 1)]);
}

// Epilogue: O / l (0 for rows that saw no key) for this thread's two rows, the l partial sums reduced over the quad.
template <class C, class OutT>
__device__ __forceinline__ void store_o(OutT* __restrict__ O, int64_t q_base, int row_g, int lq, int lane,
                                        const float (&o)[C::DB][C::NO], const float (&l_i)[2]) {
#pragma unroll
  for (int hr = 0; hr < 2; ++hr) {
    float l = l_i[hr];
    l += __shfl_xor_sync(0xffffffffu, l, 1);
    l += __shfl_xor_sync(0xffffffffu, l, 2);
    const float inv = l > 0.f ? 1.f / l : 0.f;
    const int i = row_g + 8 * hr;
    if (i >= lq) continue;
    OutT* orow = O + q_base + (int64_t)i * C::D;
#pragma unroll
    for (int db = 0; db < C::DB; ++db)
#pragma unroll
      for (int j = 0; j < C::NO / 4; ++j)
        store2<OutT>(orow + 64 * db + att90_acc_col(lane, 4 * j), o[db][4 * j + 2 * hr] * inv,
                     o[db][4 * j + 2 * hr + 1] * inv);
  }
}
#endif

}  // namespace att90
}  // namespace skcuda
