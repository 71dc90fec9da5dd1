// Hopper fused attention on warpgroup MMAs (wgmma, sm_90a): what sk_attention runs on sm_90 (sk_hopper_kernels not
// off) for head dims 64 and 128 with causal and key-length masks only; windows, dense masks, bias, head masks and
// block lists stay on the mma.sync kernel (attention.cu). sk_experimental_attention_sm90 calls it directly (and
// answers SK_ERR_UNSUPPORTED for the rest). Verified on an H200 (2026-11-27): its self-test 22/22 against an fp64
// reference (poisoned V included), sk_attention's self-test through it, the JUnit gpu group; 1.7x the mma.sync
// kernel (320-390 TFLOP/s at D 128 bf16).
//
// FlashAttention-2 structure, no warp specialisation. One CTA per (128 query rows, b * Hq + h): two warpgroups
// (256 threads), warpgroup g owns rows q0 + 64 g .. q0 + 64 g + 63 for the whole key loop. Per key tile of BK = 128
// keys (the tiles att_tile_range leaves for causal / key lengths; whole tiles past the diagonal or past klen(b) are
// never loaded):
//   S = Q K^T   wgmma m64n{BK}k16, A = this warpgroup's 64 Q rows, B = the K tile [keys][D]: both K-major from
//               128B-swizzled shared memory (desc_sw128, the GEMM kernels' proven idiom: D is the MMA's K, stored
//               contiguous, D / 64 d-blocks of rows x 128 B), D / 16 k16 steps, accumulators zeroed first;
//   masks       only in tiles att_tile_partial flags (causal diagonal, key-length tail): -inf scores;
//   softmax     online, in registers, on the m64nN f32 accumulator layout: thread (warp w of the warpgroup, lane)
//               holds rows 16 w + lane / 4 and + 8; accumulator i is row + 8 ((i / 2) % 2), column 8 (i / 4) +
//               2 (lane % 4) + i % 2 (attention_sm90_index.cuh). A row's columns are spread over the 4 lanes of a
//               quad: max reduced with shuffle-xor 1, 2; the sum stays per lane and is reduced once at the end.
//               Scores pre-multiplied by scale * log2(e), exp2; a row whose max is still -inf uses 0 as reference,
//               so exp2 gives 0, never NaN; such rows end with l = 0 and store zeros;
//   O += P V    P from REGISTERS as the wgmma A operand (the "RS" form), converted to the input dtype. The register
//               correspondence (written down in attention_sm90_index.cuh, att90_p_acc_index): the m64nNk16 A fragment
//               per warp is the mma.m16n8k16 A layout (a0,a1 = (g, 2t..2t+1), a2,a3 = (g+8, 2t..), a4,a5 = (g, 8+2t..),
//               a6,a7 = (g+8, 8+2t..); CUTLASS SM90 ALayout_64x16), and the S accumulators 8 kk .. 8 kk + 7 are
//               n8 groups 2 kk, 2 kk + 1 = (g, 16 kk + 2t..), (g+8, ..), (g, 16 kk + 8 + 2t..), (g+8, ..): so A
//               register r of PV step kk is pack(s[8 kk + 2 r], s[8 kk + 2 r + 1]), the same trick as attention.cu's
//               mma.sync repack (ptx-fragments.md 2.3) and FlashAttention-3's "rs" GEMM.
//               V is the B operand [keys][D] as stored (d contiguous = N-major), read with imm-trans-b = 1 (allowed
//               for f16/bf16; FlashAttention-3 reads V the same way) rather than staging V^T: a transposing copy
//               would need a register round trip per element and its own unverified layout, while the transposed
//               read only needs the MN-major descriptor (desc_sw128_mn: 8-key row groups 1024 B apart = stride byte
//               offset; the tile is stored exactly like K, one 128-byte swizzle row per key). Each PV MMA is
//               m64n64k16 per 64-column d-block, so the MN repeat (leading byte offset) is never exercised; it is
//               still set to the d-block distance, the value PTX defines for it.
// K and V tiles flow through a 2-stage cp.async ring (tile i+1 loads while tile i computes), Q comes with the first
// tile; every thread fences its landed copies for the async proxy (fence_proxy_async_smem) before the barrier that
// precedes the wgmmas, and each wgmma group is waited for (wait_group 0) before its registers are read or its stage is
// refilled; the registers involved are pinned around fence / wait (pin) so the compiler cannot move their ordinary
// reads and writes across the protocol. No MMA overlap across tiles (attention_sm90_overlap.cu, experimental, has
// it), no warp specialisation: cuDNN's SDPA is still ~1.6x faster on the same shapes.
// Non-finite V in tiles that the masks cut: attention_nonfinite.cuh's guard (one smem scan per such tile).
// Smem: Q 128 x D + 2 stages x (K + V) BK x D, 16-bit: 80 KB (D 64) / 160 KB (D 128), + 1 KB alignment slack.
#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_runtime.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include <algorithm>
#include <type_traits>

#include "attention_index.cuh"
#include "attention_launch.cuh"
#include "attention_nonfinite.cuh"
#include "attention_sm90_index.cuh"
#include "attention_sm90_mma.cuh"
#include "cp_async.cuh"
#include "mbarrier.cuh"
#include "pairs.cuh"
#include "sm90_support.cuh"
#include "sparsekernels.h"
#include "wgmma.cuh"

namespace skcuda {
namespace {

constexpr float kLog2e = 1.4426950408889634f;
constexpr int kBK = 128;  // keys per tile, both head dims

using namespace att90;  // pin, qk_mma, pv_mma and the per-tile arithmetic (attention_sm90_mma.cuh)


// DECOUPLED (experimental, not yet run on a GPU): the two warpgroups are not held together by a __syncthreads per tile;
// per ring stage a full mbarrier (every thread's copies of the tile landed: cp.async.mbarrier.arrive.noinc) and an
// empty one (every thread done with the tile) order the refills, so one warpgroup's softmax can overlap the other's
// MMAs (FlashAttention-3's ping-pong, left to arise from the tensor cores' queue order rather than forced). The
// non-finite V guard keeps its block-wide barriers: both warpgroups meet there on the same (partial) tile.
// MASKED (verified on an H200 in session 12 with the byte mask, in session 16 with the bit-packed form, now the
// default): the rest of sk_attention's masks but block-sparse lists. A dense boolean mask comes in the bit-packed
// form attention_sm90 builds per call (where it cannot have the scratch, the mma.sync kernel runs the call; the
// per-byte read with BITS false is no longer dispatched to, kept while the bit form has run on one host only)
// (attention_mask_bits.cuh: a class per 128 x 128 tile, skipped when the mask hides it from every row, taken whole
// when it hides nothing); an additive bias is read per score as attention.cu does (a bias of -inf masks its key
// whatever the score); the non-finite V guard runs on tiles where some score may be hidden (since session 12 not on
// whole tiles of windows-only calls); sliding windows go through the same tile-range and visibility helpers as
// causal; a head the head mask prunes runs no tile and stores zeros. Without them (MASKED false) it is the verified
// kernel's source, unchanged.
// BITS (MASKED only): a.mask in the bit-packed form (a.mask_bits, a.mask_classes), not per byte.
template <class T, class OutT, int D, int BK, bool DECOUPLED, bool MASKED, bool BITS = false>
__global__ void __launch_bounds__(256, 1) attention_sm90_kernel(const AttentionArgs a, float scale_log2) {
#if SK_SM90A
  using C = AttSm90Cfg<D, BK>;
  extern __shared__ uint8_t smem_raw[];
  const uint32_t base = (smem_u32(smem_raw) + 1023u) & ~1023u;  // swizzle atoms need 1024-byte alignment
  const uint32_t sQ = base + C::Q_OFF, sK = base + C::K_OFF, sV = base + C::V_OFF;
  uint8_t* const smem = smem_raw + (base - smem_u32(smem_raw));  // generic pointer to the aligned base
  const T* __restrict__ Q = static_cast<const T*>(a.q);
  const T* __restrict__ K = static_cast<const T*>(a.k);
  const T* __restrict__ V = static_cast<const T*>(a.v);
  OutT* __restrict__ O = static_cast<OutT*>(a.o);

  const auto [tid, lane, wg, w, q0, q1, b, h, klen, q_base, kv_base, causal] = cta_of<C>(a);
  int lo = 0, hi = 0;  // key tiles [lo, hi) that hold a visible key for some row of [q0, q1)
  // Windows only in the MASKED instantiation; the other keeps its literal "no window", so it stays the code that ran.
  if constexpr (MASKED) {
    att_tile_range(q0, q1, klen, a.lq, a.lk, causal, a.window_left, a.window_right, BK, lo, hi);
    if (a.head_mask != nullptr && __ldg(a.head_mask + h) == 0) hi = lo;  // a pruned head: zeros, no work
    // Session 16: the causal pattern given as a mask ran at 1.49 ms against 0.44 for causal (H200, B2 H16 L4096
    // D128), loading every hidden tile only to skip it.
    if constexpr (BITS)
      mask_trim_tile_range(a.mask_classes + mask_bits_class_row(a.mask_shape, mask_bits_slice(a.mask_shape, b, h),
                                                                q0 / kMaskTile),
                           lo, hi);
  } else {
    att_tile_range(q0, q1, klen, a.lq, a.lk, causal, -1, -1, BK, lo, hi);
  }


  float o[C::DB][C::NO];
#pragma unroll
  for (int db = 0; db < C::DB; ++db)
#pragma unroll
    for (int i = 0; i < C::NO; ++i) o[db][i] = 0.f;
  float m_i[2] = {-INFINITY, -INFINITY}, l_i[2] = {0.f, 0.f};
  const int row_g = q0 + 64 * wg + 16 * w + (lane >> 2);  // this thread's rows: row_g and row_g + 8
  // MASKED: this thread's two rows of the dense mask, bytes (mask_row) or, with BITS, the bit-packed form
  // attention_sm90 builds per call (bits_row, attention_mask_bits.cuh) and the CTA's row of tile
  // classes; and its two rows of the bias. Broadcast strides throughout.
  const uint64_t* bits_row[2] = {nullptr, nullptr};
  const uint8_t* mask_row[2] = {nullptr, nullptr};
  const float* bias_row[2] = {nullptr, nullptr};
  const uint8_t* class_row = nullptr;
  if constexpr (MASKED) {
    const int64_t slice = mask_bits_slice(a.mask_shape, b, h);
    if (BITS) class_row = a.mask_classes + mask_bits_class_row(a.mask_shape, slice, q0 / kMaskTile);
#pragma unroll
    for (int hr = 0; hr < 2; ++hr) {
      const int row = min(row_g + 8 * hr, a.lq - 1);  // rows past lq are never read (see the masking step)
      if (BITS) bits_row[hr] = a.mask_bits + mask_bits_row(a.mask_shape, slice, row);
      else if (a.mask != nullptr)
        mask_row[hr] = a.mask + att_bcast_offset(b, h, row, 0, a.mask_sb, a.mask_sh, a.mask_sq);
      if (a.bias != nullptr) bias_row[hr] = a.bias + att_bcast_offset(b, h, row, 0, a.bias_sb, a.bias_sh, a.bias_sq);
    }
  }

  const uint32_t full = base + C::BAR_OFF, empty = full + C::STAGES * 8;  // decoupled: + 8 * stage
  if constexpr (DECOUPLED) {
    if (tid == 0) {
      for (int st = 0; st < C::STAGES; ++st) {
        mbar_init(full + 8 * st, C::THREADS);
        mbar_init(empty + 8 * st, C::THREADS);
      }
    }
    __syncthreads();  // the initialised barriers, visible to every thread
  }
  if (lo < hi) {
    load_q<C>(Q, sQ, tid, q0, a.lq, q_base);
    load_kv<C>(K, V, sK, sV, tid, klen, kv_base, lo, 0);
    if constexpr (DECOUPLED) mbar_arrive_on_copies(full);  // Q with the first tile
    else cp_async_commit();
  }
  int stage = 0;
  for (int kt = lo; kt < hi; ++kt) {
    if constexpr (DECOUPLED) {
      const int i = kt - lo;
      if (kt + 1 < hi) {
        // The other stage was last read by tile i - 1: every thread must be done with it.
        if (i >= 1) mbar_wait(empty + 8 * (stage ^ 1), att90d_parity(i - 1));
        load_kv<C>(K, V, sK, sV, tid, klen, kv_base, kt + 1, stage ^ 1);
        mbar_arrive_on_copies(full + 8 * (stage ^ 1));
      }
      mbar_wait(full + 8 * stage, att90d_parity(i));  // every thread's copies of tile kt (and Q) have landed
      sm90::fence_proxy_async_smem();                 // ... and are visible to this thread's wgmma reads
    } else {
      if (kt + 1 < hi) {
        // its stage was last read by tile kt - 1's MMAs, waited for before the barrier
        load_kv<C>(K, V, sK, sV, tid, klen, kv_base, kt + 1, stage ^ 1);
        cp_async_commit();
        cp_async_wait<1>();
      } else {
        cp_async_wait<0>();
      }
      sm90::fence_proxy_async_smem();  // this thread's landed copies, visible to the async proxy (wgmma reads)
      __syncthreads();                 // everyone's copies of tile kt (and Q) are in
    }

    // ---- MASKED: which of this thread's scores the structure, the mask and the bias leave visible (bit i for
    // accumulator i), and whether any score of the CTA's tile is: a tile nothing sees (the empty part of a causal or
    // padding pattern given as a dense mask) is skipped whole, as its softmax and P V would change nothing. The
    // decision is block-uniform, so both warpgroups skip together (the V guard's block barriers stay matched): the
    // tile's mask class is the same for every thread, and the rest is decided by a block-wide OR. A tile the mask
    // leaves whole (class 1) reads no bits; a mixed one (class 2) two 16-byte words per row.
    uint64_t vis_bits = 0;
    bool skip = false;
    bool masks_some = false;  // MASKED: some score of the tile hidden by a mask (the V guard then runs)
    // MASKED: a tile that no mask, bias, window, causal cut or key length touches (class 1 and not partial) runs the
    // unmasked path: no visibility pass, no block-wide OR, plain scaling. Session 16's profile of the causal pattern
    // as a mask (H200): 6.2 cycles per issued instruction at 29% SM throughput, 3x the causal kernel's time per tile,
    // from the 64-score visibility and masking loops run on every tile. Block-uniform, like the class.
    bool plain = false;
    if constexpr (MASKED) {
      const int64_t wl = a.window_left, wr = a.window_right;
      const int k0 = kt * BK;
      const bool partial = att_tile_partial(k0, BK, q0, q1, klen, a.lq, a.lk, causal, wl, wr);
      const int cls = BITS ? class_row[kt] : 1;
      skip = cls == 0;
      masks_some = partial || cls != 1 || bias_row[0] != nullptr || mask_row[0] != nullptr;
      plain = !masks_some;
      if (!skip && !plain) {
        uint64_t mw[2][2] = {{~0ull, ~0ull}, {~0ull, ~0ull}};
        if (BITS && cls == 2) mask_tile_words(bits_row, kt, mw);
#pragma unroll
        for (int i = 0; i < C::NS; ++i) {
          const int row = row_g + 8 * ((i >> 1) & 1), c = att90_acc_col(lane, i), j = k0 + c;
          const int hr = (i >> 1) & 1;
          bool vis = (!partial || att_visible(row, j, klen, a.lq, a.lk, causal, wl, wr)) && row < a.lq;
          if (BITS) vis = vis && mask_bit(mw[hr][0], mw[hr][1], c);
          // j < klen <= lk for a visible score: the mask and bias rows hold it
          if (!BITS && vis && mask_row[hr] != nullptr) vis = __ldg(mask_row[hr] + j) != 0;
          if (vis && bias_row[hr] != nullptr) vis = __ldg(bias_row[hr] + j) != -INFINITY;  // -inf masks, even NaN
          vis_bits |= (uint64_t)vis << i;
        }
        skip = __syncthreads_or(vis_bits != 0ull) == 0;
      }
    }
    if (!skip) {
    // ---- S = Q K^T ----
    float s[C::NS];
#pragma unroll
    for (int i = 0; i < C::NS; ++i) s[i] = 0.f;
    const uint32_t kst = sK + stage * C::KV_BYTES, vst = sV + stage * C::KV_BYTES;
    pin(s);
    sm90::wgmma_fence();
    qk_mma<T, C>(s, sQ, kst, wg);
    sm90::wgmma_commit();
    sm90::wgmma_wait<0>();
    pin(s);

    // ---- scale, causal / key-length masks (only in tiles that cut them), or the elementwise visibility ----
    const int k0 = kt * BK;
    // (The MASKED instantiation's V guard reads masks_some instead.)
    const bool partial = att_tile_partial(k0, BK, q0, q1, klen, a.lq, a.lk, causal, -1, -1);
    if (MASKED && !plain) {
#pragma unroll
      for (int i = 0; i < C::NS; ++i) {
        const int hr = (i >> 1) & 1, j = k0 + att90_acc_col(lane, i);
        const bool vis = (vis_bits >> i) & 1ull;
        float x = s[i] * scale_log2;
        if (vis && bias_row[hr] != nullptr) x += __ldg(bias_row[hr] + j) * kLog2e;
        s[i] = vis ? x : -INFINITY;
      }
    } else {
      scale_structural<C>(s, partial, row_g, k0, lane, klen, a.lq, a.lk, causal, scale_log2);
    }

    // ---- online softmax: half hr = row row_g + 8 hr, accumulators 4 j + 2 hr, 4 j + 2 hr + 1 ----
#pragma unroll
    for (int hr = 0; hr < 2; ++hr) rescale_half(o, hr, softmax_half(s, hr, m_i[hr], l_i[hr]));

    // ---- non-finite V where the masks zeroed some weights (attention_nonfinite.cuh): tiles every row sees whole
    // need no guard; partial ones (causal diagonal, key-length tail, window edge, mask or bias hiding some score)
    // are scanned once, fixed up only if one is found. masks_some is block-uniform, like partial.
    if (MASKED ? masks_some : partial) {
      guard_nonfinite_v<C, T>(smem + C::V_OFF + stage * C::KV_BYTES, s, o, tid, lane);
    }

    // ---- O += P V (P: the S accumulators repacked as the register A operand) ----
    uint32_t p[BK / 16][4];
    pack_p<T, C>(p, s);
    pin(p);
#pragma unroll
    for (int db = 0; db < C::DB; ++db) pin(o[db]);
    sm90::wgmma_fence();  // P and the rescaled O were written by ordinary instructions
    pv_mma<T, C>(o, p, vst);
    sm90::wgmma_commit();
    sm90::wgmma_wait<0>();
#pragma unroll
    for (int db = 0; db < C::DB; ++db) pin(o[db]);
    }  // !skip
    if constexpr (DECOUPLED) mbar_arrive(empty + 8 * stage);  // this thread is done with the stage
    else __syncthreads();  // both warpgroups are done with this stage before the next iteration refills it
    stage ^= 1;
  }

  // ---- epilogue: O / l (0 for rows that saw no key) ----
  store_o<C>(O, q_base, row_g, a.lq, lane, o, l_i);
#else
  // Built for an architecture without wgmma: the host side never launches this (see attention_sm90_available).
  (void)a;
  (void)scale_log2;
  __trap();
#endif
}

template <class T, class OutT, int D, bool DECOUPLED>
cudaError_t launch(const AttentionArgs& a, cudaStream_t stream) {
  using C = AttSm90Cfg<D, kBK>;
  const bool masked = a.mask != nullptr || a.bias != nullptr || a.head_mask != nullptr || a.window_left != -1 ||
                      a.window_right != -1;
  auto kern = attention_sm90_kernel<T, OutT, D, kBK, DECOUPLED, false>;
  // The MASKED instantiations only with the decoupled pipeline (attention_sm90 sends masked calls nowhere else).
  if constexpr (DECOUPLED) {
    if (masked)
      kern = a.mask_bits != nullptr ? attention_sm90_kernel<T, OutT, D, kBK, true, true, true>
                                    : attention_sm90_kernel<T, OutT, D, kBK, true, true, false>;
  } else {
    if (masked) return cudaErrorInvalidValue;
  }
  cudaError_t e = cudaFuncSetAttribute(kern, cudaFuncAttributeMaxDynamicSharedMemorySize, C::SMEM_BYTES);
  if (e != cudaSuccess) return e;
  const dim3 grid((unsigned)((int64_t)att90_num_qblocks(a.lq) * a.batch * a.hq));  // att90_cta_at order
  kern<<<grid, C::THREADS, C::SMEM_BYTES, stream>>>(a, a.scale * kLog2e);
  return cudaGetLastError();
}

template <class T, class OutT, bool DECOUPLED>
cudaError_t dispatch_d(const AttentionArgs& a, cudaStream_t stream) {
  if (a.d == 64) return launch<T, OutT, 64, DECOUPLED>(a, stream);
  if (a.d == 128) return launch<T, OutT, 128, DECOUPLED>(a, stream);
  return cudaErrorInvalidValue;  // the host entry answers SK_ERR_UNSUPPORTED before
}

template <class T, bool DECOUPLED>
cudaError_t dispatch_out(const AttentionArgs& a, cudaStream_t stream) {
  return a.o_dtype == SK_DTYPE_F32 ? dispatch_d<T, float, DECOUPLED>(a, stream) : dispatch_d<T, T, DECOUPLED>(a, stream);
}

template <bool DECOUPLED>
cudaError_t dispatch_dtype(const AttentionArgs& a, cudaStream_t stream) {
  return a.dtype == SK_DTYPE_F16 ? dispatch_out<__half, DECOUPLED>(a, stream)
                                 : dispatch_out<__nv_bfloat16, DECOUPLED>(a, stream);
}

// A dense mask: its bit-packed form in stream-ordered scratch memory (freed after the launch, on the stream), then
// the MASKED kernel. Where the scratch cannot be had (no memory pool on this device or driver, out of memory) the
// mma.sync kernel, which reads the byte mask, runs instead.
cudaError_t attention_sm90_bit_mask(const AttentionArgs& a, int hopper, cudaStream_t stream) {
  AttentionArgs b = a;
  b.mask_shape = mask_bits_shape(a.batch, a.hq, a.lq, a.lk, a.mask_sb, a.mask_sh, a.mask_sq);
  const size_t bits_bytes = (size_t)mask_bits_words(b.mask_shape) * 8;
  const size_t bytes = bits_bytes + (size_t)mask_bits_classes(b.mask_shape);
  void* scratch = nullptr;
  if (cudaMallocAsync(&scratch, bytes, stream) != cudaSuccess) {
    (void)cudaGetLastError();
    return attention(a, stream);
  }
  b.mask_bits = static_cast<const uint64_t*>(scratch);
  b.mask_classes = static_cast<const uint8_t*>(scratch) + bits_bytes;
  cudaError_t e = attention_mask_bits_build(a.mask, a.mask_sb, a.mask_sh, a.mask_sq, b.mask_shape,
                                            static_cast<uint64_t*>(scratch),
                                            static_cast<uint8_t*>(scratch) + bits_bytes, stream);
  // Experimental (session 16, not yet run on a GPU): a mask alone goes to the software-pipelined TMA kernel.
  if (e == cudaSuccess && hopper == SK_HOPPER_EXPERIMENTAL && a.bias == nullptr && a.head_mask == nullptr &&
      a.window_left == -1 && a.window_right == -1) {
    e = attention_sm90_overlap(b, true, stream);
    if (e == cudaErrorNotSupported) e = dispatch_dtype<true>(b, stream);  // launched nothing: the MASKED kernel
  } else if (e == cudaSuccess) {
    e = dispatch_dtype<true>(b, stream);
  }
  const cudaError_t f = cudaFreeAsync(scratch, stream);
  return e != cudaSuccess ? e : f;
}

}  // namespace

int attention_sm90_smem_bytes(int d, int hopper) {
  if (hopper >= SK_HOPPER_EXPERIMENTAL)
    return std::max(attention_sm90_overlap_smem_bytes(d), attention_sm90_smem_bytes(d, SK_HOPPER_ON));
  if (d == 64) return AttSm90Cfg<64, kBK>::SMEM_BYTES;
  if (d == 128) return AttSm90Cfg<128, kBK>::SMEM_BYTES;
  return 0;
}

bool attention_sm90_available() {
  static Sm90Cache cache;
  return sm90a_code_runs(attention_sm90_kernel<__nv_bfloat16, float, 128, kBK, false, false>, cache);
}

// Mode on: this file's kernel (the default until 2026-11-27). Tma, the default, and experimental: the decoupled MASKED
// instantiation for dense masks, bias, windows and head masks, and for the rest the software-pipelined kernel
// loaded by TMA (H200, same process, B2 H16 L4096 D128 bf16 causal: 0.357 ms vs 0.413 cp.async and 0.435 for this
// file's kernel); experimental: with its warpgroups in ping-pong.
cudaError_t attention_sm90(const AttentionArgs& a, int hopper, cudaStream_t stream) {
  if (hopper < SK_HOPPER_EXPERIMENTAL) return dispatch_dtype<false>(a, stream);
  const bool masked = a.mask != nullptr || a.bias != nullptr || a.head_mask != nullptr || a.window_left != -1 ||
                      a.window_right != -1;
  // Experimental (session 18, not yet run on a GPU): the TMA kernel with the two warpgroups in ping-pong. Before, the
  // experimental mode ran the cp.async form, which the TMA one beat (0.413 against 0.357 ms); it stays the fallback
  // where the tensor maps cannot be made.
  if (!masked) {
    const char* lean = getenv("SPARSEKERNELS_ATTENTION_LEAN");  // session 26, not yet run on a GPU (per call)
    return attention_sm90_overlap(a, true, stream, hopper == SK_HOPPER_EXPERIMENTAL,
                                  lean != nullptr && lean[0] == '1');
  }
  // The bit-packed mask (default since session 16: H200, B2 H16 L4096 D128 bf16, the causal pattern as a mask,
  // 1.49 ms against 3.28 for the byte-reading MASKED kernel; SDPA cuDNN 0.90).
  if (a.mask == nullptr) return dispatch_dtype<true>(a, stream);
  return attention_sm90_bit_mask(a, hopper, stream);
}

}  // namespace skcuda
