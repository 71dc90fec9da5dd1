// Fused masked attention, FlashAttention-2 style (sparsekernels.h, "fused masked attention"; issue 5).
//
// One CTA per (query block of 64 rows, b * Hq + h): 4 warps, each owning 16 query rows for the whole key loop.
// Per key tile (BK = 64 keys, 32 for the D 256 kernel):
//   S = Q K^T   mma.sync m16n8k16, Q as A (registers for DP <= 128, reloaded from smem for DP 256), K as the
//               non-trans B operand straight from its [key][d] smem tile (ldmatrix.x4);
//   masking     only in tiles that causal / window / key lengths cut, or when a dense mask or bias is given;
//               masked scores become -inf;
//   softmax     online, in registers: scores pre-multiplied by scale * log2(e), exp2; row max over the quad
//               (shuffle-xor 1, 2); the row sum stays per lane and is reduced once at the end; a row whose max is
//               still -inf uses 0 as reference so exp2 gives 0, never NaN (such rows end with l = 0 -> zeros);
//   non-finite  in tiles with masked weights, a NaN/Inf in V is kept from rows whose weight for its key is 0
//               (attention_nonfinite.cuh; one smem scan per such tile, a slow path only when one is found);
//   O += P V    the S accumulators repacked as the A operand (ptx-fragments.md 2.3), V via ldmatrix.x4.trans.
// K and V tiles flow through a 2-stage cp.async ring (tile i+1 loads while tile i computes); Q comes with the
// first tile. Key tiles outside the range causal / window / key length allow are never visited, nor are key
// blocks a block-sparse list leaves out; a masked head (head_mask) visits no tile and writes zeros.
// Head dims: kernels for DP = 32, 64, 128, 256; a D below DP is zero-filled in smem (D % 8 == 0).
// All index math: attention_index.cuh.
#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_runtime.h>
#include <math.h>
#include <stdint.h>

#include "attention_index.cuh"
#include "attention_launch.cuh"
#include "attention_nonfinite.cuh"
#include "cp_async.cuh"
#include "mma_fragments.cuh"
#include "pairs.cuh"
#include "sparsekernels.h"

namespace skcuda {
namespace {

constexpr float kLog2e = 1.4426950408889634f;

template <class T, class OutT, int DP>
__global__ void __launch_bounds__(AttCfg<DP>::THREADS) attention_kernel(const AttentionArgs a, float scale_log2) {
  using C = AttCfg<DP>;
  extern __shared__ __align__(16) uint8_t smem_raw[];
  T* sm = reinterpret_cast<T*>(smem_raw);
  const T* __restrict__ Q = static_cast<const T*>(a.q);
  const T* __restrict__ K = static_cast<const T*>(a.k);
  const T* __restrict__ V = static_cast<const T*>(a.v);
  OutT* __restrict__ O = static_cast<OutT*>(a.o);

  const int tid = threadIdx.x, lane = tid & 31, warp = tid >> 5;
  const int nqb = att_num_qblocks(a.lq);
  const int q0 = att_qblock_of(blockIdx.x, nqb) * C::BQ;
  const int q1 = min(q0 + C::BQ, a.lq);
  const int bh = blockIdx.y, b = bh / a.hq, h = bh % a.hq;
  const int64_t q_base = (int64_t)bh * a.lq * a.d;
  const int64_t kv_base = ((int64_t)b * a.hkv + att_kv_head(h, a.hq, a.hkv)) * a.lk * a.d;
  const bool causal = a.causal != 0;

  const bool head_on = a.head_mask == nullptr || __ldg(a.head_mask + h) != 0;
  const int klen = head_on ? att_klen(a.key_lengths ? a.key_lengths + b : nullptr, a.lk) : 0;
  const AttTileSeq seq = att_make_seq(q0, q1, b, h, klen, a.lq, a.lk, causal, a.window_left, a.window_right,
                                      C::BK, a.kv_count, a.kv_index, a.kv_full, a.bs_sb, a.bs_sh, a.q_block,
                                      a.kv_block, a.max_kv_blocks);

  const uint32_t sQ = smem_u32(sm + C::Q_OFF);
  const uint32_t sK = smem_u32(sm + C::K_OFF);
  const uint32_t sV = smem_u32(sm + C::V_OFF);
  constexpr uint32_t KV_BYTES = C::KV_ELEMS * 2;

  auto load_kv = [&](int kt, int stage) {
#pragma unroll
    for (int c = tid; c < C::BK * C::CH; c += C::THREADS) {
      const CopyPlan p = att_copy<C>(c, kt * C::BK, klen, a.d, kv_base);
      cp_async16(sK + stage * KV_BYTES + p.dst * 2, K + p.src, p.ok);
      cp_async16(sV + stage * KV_BYTES + p.dst * 2, V + p.src, p.ok);
    }
  };

  float acc[C::DT][4];
#pragma unroll
  for (int i = 0; i < C::DT; ++i) acc[i][0] = acc[i][1] = acc[i][2] = acc[i][3] = 0.f;
  float m_i[2] = {-INFINITY, -INFINITY}, l_i[2] = {0.f, 0.f};
  uint32_t qf[C::Q_IN_REGS ? DP / 16 : 1][4];

  const int row_g = q0 + warp * 16 + (lane >> 2);  // rows row_g and row_g + 8
  const bool elementwise = a.mask != nullptr || a.bias != nullptr;

  int cur = seq.next(0);
  if (cur < seq.n) {
#pragma unroll
    for (int c = tid; c < C::BQ * C::CH; c += C::THREADS) {
      const CopyPlan p = att_copy<C>(c, q0, a.lq, a.d, q_base);
      cp_async16(sQ + p.dst * 2, Q + p.src, p.ok);
    }
    load_kv(seq.tile(cur), 0);
    cp_async_commit();
  }
  int stage = 0;
  bool first = true;
  while (cur < seq.n) {
    const int kt = seq.tile(cur);
    const bool full_blk = seq.is_full(cur);
    const int nxt = seq.next(cur + 1);
    if (nxt < seq.n) {
      load_kv(seq.tile(nxt), stage ^ 1);
      cp_async_commit();
      cp_async_wait<1>();
    } else {
      cp_async_wait<0>();
    }
    __syncthreads();
    if constexpr (C::Q_IN_REGS) {
      if (first) {
#pragma unroll
        for (int kk = 0; kk < DP / 16; ++kk) ldmatrix_x4(qf[kk], sQ + att_ldsm_q<C>(warp, kk, lane) * 2);
      }
    }
    first = false;

    // ---- S = Q K^T ----
    float s[C::NT][4];
#pragma unroll
    for (int i = 0; i < C::NT; ++i) s[i][0] = s[i][1] = s[i][2] = s[i][3] = 0.f;
    const uint32_t kst = sK + stage * KV_BYTES, vst = sV + stage * KV_BYTES;
#pragma unroll
    for (int kk = 0; kk < DP / 16; ++kk) {
      uint32_t af[4];
      if constexpr (C::Q_IN_REGS) {
        af[0] = qf[kk][0];
        af[1] = qf[kk][1];
        af[2] = qf[kk][2];
        af[3] = qf[kk][3];
      } else {
        ldmatrix_x4(af, sQ + att_ldsm_q<C>(warp, kk, lane) * 2);
      }
#pragma unroll
      for (int np = 0; np < C::NT / 2; ++np) {
        uint32_t bf[4];
        ldmatrix_x4(bf, kst + att_ldsm_k<C>(np, kk, lane) * 2);
        const uint32_t b0[2] = {bf[0], bf[1]}, b1[2] = {bf[2], bf[3]};
        mma_m16n8k16<T>(s[2 * np], af, b0);
        mma_m16n8k16<T>(s[2 * np + 1], af, b1);
      }
    }

    // ---- scale, masks ----
    const int k0 = kt * C::BK;
    const bool partial = att_tile_partial(k0, C::BK, q0, q1, klen, a.lq, a.lk, causal, a.window_left,
                                          a.window_right);
    if (partial || elementwise) {
#pragma unroll
      for (int nt = 0; nt < C::NT; ++nt)
#pragma unroll
        for (int r = 0; r < 4; ++r) {
          const int i = row_g + 8 * (r >> 1);
          const int j = k0 + nt * 8 + 2 * (lane & 3) + (r & 1);
          bool vis = !partial || att_visible(i, j, klen, a.lq, a.lk, causal, a.window_left, a.window_right);
          float x = s[nt][r] * scale_log2;
          if (vis && i < a.lq) {
            if (a.mask != nullptr && !full_blk)
              vis = __ldg(a.mask + att_bcast_offset(b, h, i, j, a.mask_sb, a.mask_sh, a.mask_sq)) != 0;
            if (a.bias != nullptr) {
              // A bias of -inf masks the key outright: adding it to a NaN score (NaN in Q or K) would give NaN.
              const float bv = __ldg(a.bias + att_bcast_offset(b, h, i, j, a.bias_sb, a.bias_sh, a.bias_sq));
              if (bv == -INFINITY) vis = false;
              x += bv * kLog2e;
            }
          }
          s[nt][r] = vis ? x : -INFINITY;
        }
    } else {
#pragma unroll
      for (int nt = 0; nt < C::NT; ++nt)
#pragma unroll
        for (int r = 0; r < 4; ++r) s[nt][r] *= scale_log2;
    }

    // ---- online softmax (rows g: r 0,1; g + 8: r 2,3) ----
#pragma unroll
    for (int hr = 0; hr < 2; ++hr) {
      float mx = -INFINITY;
#pragma unroll
      for (int nt = 0; nt < C::NT; ++nt) mx = fmaxf(mx, fmaxf(s[nt][2 * hr], s[nt][2 * hr + 1]));
      mx = fmaxf(mx, __shfl_xor_sync(0xffffffffu, mx, 1));
      mx = fmaxf(mx, __shfl_xor_sync(0xffffffffu, mx, 2));
      const float m_new = fmaxf(m_i[hr], mx);
      const float m_use = m_new == -INFINITY ? 0.f : m_new;
      const float alpha = exp2f(m_i[hr] - m_use);
      m_i[hr] = m_new;
      float sum = 0.f;
#pragma unroll
      for (int nt = 0; nt < C::NT; ++nt) {
        s[nt][2 * hr] = exp2f(s[nt][2 * hr] - m_use);
        s[nt][2 * hr + 1] = exp2f(s[nt][2 * hr + 1] - m_use);
        sum += s[nt][2 * hr] + s[nt][2 * hr + 1];
      }
      l_i[hr] = l_i[hr] * alpha + sum;
#pragma unroll
      for (int dt = 0; dt < C::DT; ++dt) {
        acc[dt][2 * hr] *= alpha;
        acc[dt][2 * hr + 1] *= alpha;
      }
    }

    // ---- non-finite V where masking zeroed some weights (attention_nonfinite.cuh) ----
    if (partial || elementwise) {
      T* vtile = sm + C::V_OFF + stage * C::KV_ELEMS;
      if (att_tile_v_nonfinite<C, T>(vtile, tid)) {
        att_add_nonfinite_v<C, T>(vtile, s, acc, lane);
        __syncthreads();
        att_zero_nonfinite_v<C, T>(vtile, tid);
        __syncthreads();
      }
    }

    // ---- O += P V ----
#pragma unroll
    for (int kk = 0; kk < C::BK / 16; ++kk) {
      const uint32_t pa[4] = {pack2<T>(s[2 * kk][0], s[2 * kk][1]), pack2<T>(s[2 * kk][2], s[2 * kk][3]),
                              pack2<T>(s[2 * kk + 1][0], s[2 * kk + 1][1]),
                              pack2<T>(s[2 * kk + 1][2], s[2 * kk + 1][3])};
#pragma unroll
      for (int dp = 0; dp < DP / 16; ++dp) {
        uint32_t bf[4];
        ldmatrix_x4_trans(bf, vst + att_ldsm_v<C>(kk, dp, lane) * 2);
        const uint32_t b0[2] = {bf[0], bf[1]}, b1[2] = {bf[2], bf[3]};
        mma_m16n8k16<T>(acc[2 * dp], pa, b0);
        mma_m16n8k16<T>(acc[2 * dp + 1], pa, b1);
      }
    }
    __syncthreads();  // this stage is refilled by the next iteration's prefetch
    cur = nxt;
    stage ^= 1;
  }

  // ---- epilogue: O / l (0 for rows that saw no key) ----
#pragma unroll
  for (int hr = 0; hr < 2; ++hr) {
    float l = l_i[hr];
    l += __shfl_xor_sync(0xffffffffu, l, 1);
    l += __shfl_xor_sync(0xffffffffu, l, 2);
    const float inv = l > 0.f ? 1.f / l : 0.f;
    const int i = row_g + 8 * hr;
    if (i >= a.lq) continue;
    OutT* orow = O + q_base + (int64_t)i * a.d;
#pragma unroll
    for (int dt = 0; dt < C::DT; ++dt) {
      const int d = dt * 8 + 2 * (lane & 3);
      if (d < a.d) store2<OutT>(orow + d, acc[dt][2 * hr] * inv, acc[dt][2 * hr + 1] * inv);
    }
  }
}

template <class T, class OutT, int DP>
cudaError_t launch(const AttentionArgs& a, cudaStream_t stream) {
  using C = AttCfg<DP>;
  auto kern = attention_kernel<T, OutT, DP>;
  if (C::SMEM_BYTES > 48 * 1024) {
    cudaError_t e = cudaFuncSetAttribute(kern, cudaFuncAttributeMaxDynamicSharedMemorySize, C::SMEM_BYTES);
    if (e != cudaSuccess) return e;
  }
  const dim3 grid((unsigned)att_num_qblocks(a.lq), (unsigned)(a.batch * a.hq));
  kern<<<grid, C::THREADS, C::SMEM_BYTES, stream>>>(a, a.scale * kLog2e);
  return cudaGetLastError();
}

template <class T, class OutT>
cudaError_t dispatch_d(const AttentionArgs& a, cudaStream_t stream) {
  switch (att_padded_dim(a.d)) {
    case 32: return launch<T, OutT, 32>(a, stream);
    case 64: return launch<T, OutT, 64>(a, stream);
    case 128: return launch<T, OutT, 128>(a, stream);
    case 256: return launch<T, OutT, 256>(a, stream);
    default: return cudaErrorInvalidValue;
  }
}

template <class T>
cudaError_t dispatch_out(const AttentionArgs& a, cudaStream_t stream) {
  return a.o_dtype == SK_DTYPE_F32 ? dispatch_d<T, float>(a, stream) : dispatch_d<T, T>(a, stream);
}

}  // namespace

int attention_smem_bytes(int d) {
  switch (att_padded_dim(d)) {
    case 32: return AttCfg<32>::SMEM_BYTES;
    case 64: return AttCfg<64>::SMEM_BYTES;
    case 128: return AttCfg<128>::SMEM_BYTES;
    case 256: return AttCfg<256>::SMEM_BYTES;
    default: return 0;
  }
}

cudaError_t attention(const AttentionArgs& a, cudaStream_t stream) {
  return a.dtype == SK_DTYPE_F16 ? dispatch_out<__half>(a, stream) : dispatch_out<__nv_bfloat16>(a, stream);
}

}  // namespace skcuda
