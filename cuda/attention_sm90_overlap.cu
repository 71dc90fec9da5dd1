// Hopper fused attention, software-pipelined (EXPERIMENTAL: written 2026-11-27 without a GPU, emulated, not yet run):
// the verified kernel (attention_sm90.cu) with each tile's P V deferred into the next tile's iteration, so that the
// tensor cores run it while the warps do the next tile's softmax (FlashAttention-3's "intra-warpgroup overlap").
// Same contract, same scope as the verified kernel (head dims 64 and 128, causal and key-length masks), same tiles,
// register layouts and per-tile arithmetic (attention_sm90_mma.cuh); sk_attention runs it on sm_90 in the
// experimental mode (sk_hopper_kernels) for the calls the verified kernel takes.
//
// Why: in the verified kernel a warpgroup issues S = Q K^T, waits, does the softmax, issues O += P V, waits: the
// tensor cores idle during every softmax except for what the other warpgroup happens to issue. Here, per tile t:
//   issue S(t) = Q K(t)^T; issue O += P(t-1) V(t-1); wait for S(t) only (wait_group 1: groups retire in order);
//   scale / mask / online softmax of S(t) in registers (the running max and l move; O is not touched: the PV in
//   flight accumulates into it); wait for the PV (wait_group 0); O *= alpha(t); the non-finite V guard of tile t;
//   P(t) = S(t) packed; every warpgroup's PV(t-1) has retired at the barrier, so the stage of tile t-1 is refilled
//   with tile t+2.
// After the loop, O += P(last) V(last). O ends as sum over t of alpha(t+1..) * P(t) V(t): the same as the verified
// kernel's order of operations, so results agree to rounding.
// Register hazards (the 2:4 kernel's lesson: a wgmma reads its register operands when it runs): P(t-1) and O are
// only written after the wait_group 0 that retires the PV reading them; S(t) only read after the wait_group 1 that
// retires its QK; the pins keep the compiler from moving ordinary reads or writes across those waits.
// Shared memory: a 3-stage K / V ring (tile t in stage (t - lo) % 3): V(t-1) stays resident while K(t) is in use and
// tile t+1 may still be landing. D 128: Q 32 KB + 3 x 64 KB = 225 KB of the 227 KB opt-in; D 64: 113 KB.
// Loads: cp.async copies of every thread (attention_sm90_overlap_kernel), or (attention_sm90_overlap_tma_kernel,
// SK_HOPPER_TMA) thread 0 issuing TMA boxes (attention_sm90_index.cuh, att90t_*) that complete on a per-stage mbarrier
// (the stage's bytes announced by arrive.expect_tx); every thread waits on it instead of cp.async.wait_group and the
// first __syncthreads, which frees the warps of ~16 copies and their address arithmetic per tile. The same refill
// point (after the barrier that follows every warpgroup's PV of the previous tile) keeps the ring's hazards as they
// are.
// BITS (the TMA kernel only; experimental, written in session 16 without a GPU, emulated): a dense mask in the
// bit-packed form attention_sm90 builds per call (attention_mask_bits.cuh), alone (no bias, window or head mask: those
// keep the MASKED kernel of attention_sm90.cu). Hidden tiles at the ends of a CTA's key range leave it
// (mask_trim_tile_range); a whole tile runs as an unmasked one; a mixed tile ANDs each score with its bit after the
// structural masking, and a hidden tile inside the range hides every score (its MMAs still run: this kernel has no
// per-tile skip, so patterns with many interior hidden tiles, such as packed documents, suit the MASKED kernel
// better). Both run the non-finite V guard. Why: the MASKED kernel took 0.490 ms on the causal pattern given as a
// mask where this kernel takes 0.352 for causal (H200, B2 H16 L4096 D128); SDPA took 0.904.
// PINGPONG (the TMA kernel only; experimental, written in session 18 without a GPU, emulated): FlashAttention-3's
// ping-pong between the two warpgroups. Without it a __syncthreads per tile holds them together: both issue their
// QK at once, the tensor cores run the two QKs while neither warpgroup has softmax work (each waits for its own S),
// and then both softmaxes run at once, against the two PVs only. H200: 482 TFLOP/s without causal masking at L 4096,
// 49% of the tensor cores' peak, where the exponentials alone take half the MMA time of a tile. Here named barriers
// order the MMA issue (warpgroup 0's QK and PV, then warpgroup 1's, then 0's of the next tile, ...), so that one
// warpgroup's softmax runs while the other's MMAs do; the block barrier goes, and per ring stage an empty mbarrier
// (every thread's arrival once its PV of the stage's tile retired) orders the refill, which thread 128 issues (the
// lagging warpgroup's first thread: by then warpgroup 0 has let the stage go). Warpgroup 1 signals first so that
// warpgroup 0 starts; warpgroup 0 takes warpgroup 1's last signal after the loop, so every arrival is met.
// Session 26 (without a GPU; SASS read with nvdisasm): the PINGPONG and BITS instantiations, and LEAN_ALONE (the
// plain ring, $SPARSEKERNELS_ATTENTION_LEAN=1), issue fewer instructions per tile, since the ping-pong's premise is
// that a warpgroup's softmax fits in the other's MMA time: softmax_half_folded (scale folded into one FFMA per score,
// ex2.approx.ftz; for a positive scale only, which launch_tma checks) and qk_mma_lean / pv_mma_lean (descriptors
// stepped in their low word; S not zeroed, the first QK step has scale-d 0). An unmasked D 128 tile went from about
// 960 to about 590 instructions a warp (two warps a scheduler: ~1,200 issue cycles against ~2,048 cycles of
// tensor-core work per tile at peak); the verified instantiations (cp.async and plain TMA rings) are unchanged.
#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_runtime.h>
#include <math.h>
#include <stdint.h>

#include <type_traits>

#include "attention_index.cuh"
#include "attention_launch.cuh"
#include "attention_nonfinite.cuh"
#include "attention_sm90_index.cuh"
#include "attention_sm90_mma.cuh"
#include "cp_async.cuh"
#include "sm90_support.cuh"
#include "sparsekernels.h"
#include "tma.cuh"
#include "wgmma.cuh"

namespace skcuda {
namespace {

constexpr float kLog2e = 1.4426950408889634f;
constexpr int kBK = 128;      // keys per tile, both head dims (as the verified kernel)
constexpr int kStages = 3;    // K / V ring stages
constexpr int kPingBar = 1;   // PINGPONG: named barriers kPingBar + wg (0 is __syncthreads')
static_assert(AttSm90Cfg<64, kBK, kStages>::THREADS == 256 && AttSm90Cfg<128, kBK, kStages>::THREADS == 256,
              "the ping-pong barriers count two warpgroups of 128");

#if SK_SM90A
// Named barrier kPingBar + g (g = 0 or 1, chosen at run time; immediate ids, so ptxas reserves two barriers, not all
// 16) of 256 threads: bar.sync waits until 256 threads have arrived (its own warps included), bar.arrive adds its
// warps without waiting. Both need the whole warp (bar is .aligned).
__device__ __forceinline__ void named_bar_sync(int g) {
  if (g == 0) asm volatile("bar.sync %0, %1;\n" ::"n"(kPingBar), "n"(256) : "memory");
  else asm volatile("bar.sync %0, %1;\n" ::"n"(kPingBar + 1), "n"(256) : "memory");
}
__device__ __forceinline__ void named_bar_arrive(int g) {
  if (g == 0) asm volatile("bar.arrive %0, %1;\n" ::"n"(kPingBar), "n"(256) : "memory");
  else asm volatile("bar.arrive %0, %1;\n" ::"n"(kPingBar + 1), "n"(256) : "memory");
}
#endif

#if SK_SM90A
using namespace att90;
#endif

// The three tensor maps of the TMA kernel (one __grid_constant__ parameter).
struct AttTmaMaps {
  CUtensorMap q, k, v;
};

// The kernel body, loaded by cp.async (TMA false) or by TMA from thread 0 (maps: the kernel parameter's address);
// BITS: a.mask_bits / a.mask_classes hold a dense mask (see above).
template <class T, class OutT, int D, bool TMA, bool BITS = false, bool PINGPONG = false, bool LEAN_ALONE = false>
__device__ __forceinline__ void overlap_body(const AttentionArgs& a, float scale_log2, const AttTmaMaps* maps) {
#if SK_SM90A
  using C = AttSm90Cfg<D, kBK, kStages>;
  // The lean MMAs and the folded softmax (attention_sm90_mma.cuh): the ping-pong's, the bit-packed mask's (both
  // experimental and not yet run, so neither has a measured form to keep), or alone on the plain TMA ring
  // ($SPARSEKERNELS_ATTENTION_LEAN=1, so that a GPU run can time them against the default)
  constexpr bool LEAN = PINGPONG || LEAN_ALONE || BITS;
  static_assert(!LEAN_ALONE || (TMA && !BITS && !PINGPONG), "the lean instantiation: the plain TMA ring, no mask");
  constexpr int BK = kBK;
  static_assert(!PINGPONG || TMA, "the ping-pong ring is the TMA kernel's");
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
  att_tile_range(q0, q1, klen, a.lq, a.lk, causal, -1, -1, BK, lo, hi);
  // BITS: the CTA's row of tile classes, and this thread's two rows of mask bits (rows past lq read row lq - 1: they
  // are never stored).
  const uint8_t* class_row = nullptr;
  const uint64_t* bits_row[2] = {nullptr, nullptr};
  if constexpr (BITS) {
    const int64_t slice = mask_bits_slice(a.mask_shape, b, h);
    class_row = a.mask_classes + mask_bits_class_row(a.mask_shape, slice, q0 / kMaskTile);
    mask_trim_tile_range(class_row, lo, hi);
    const int row0 = q0 + 64 * wg + 16 * w + (lane >> 2);
#pragma unroll
    for (int hr = 0; hr < 2; ++hr) bits_row[hr] = a.mask_bits + mask_bits_row(a.mask_shape, slice, min(row0 + 8 * hr, a.lq - 1));
  }

  float o[C::DB][C::NO];
#pragma unroll
  for (int db = 0; db < C::DB; ++db)
#pragma unroll
    for (int i = 0; i < C::NO; ++i) o[db][i] = 0.f;
  float m_i[2] = {-INFINITY, -INFINITY}, l_i[2] = {0.f, 0.f};
  const int row_g = q0 + 64 * wg + 16 * w + (lane >> 2);  // this thread's rows: row_g and row_g + 8

  const uint32_t full = base + C::BAR_OFF;  // TMA: per ring stage, its tile's boxes landed (+ 8 * stage)
  const uint32_t empty = full + kStages * 8;  // PINGPONG: per ring stage, every thread done with its tile
  const int q_row = att90t_q_row<C>(q_base, q0);
  const int64_t kv_head = kv_base;  // a lambda may not capture a structured binding before C++20
  // TMA, thread 0 only: tile kt's K and V boxes (and Q's with the first tile) into `stage`, on its full barrier.
  auto issue = [&](int kt, int stage, bool with_q) {
    const uint32_t bar = full + 8 * stage;
    mbar_arrive_expect_tx(bar, 2 * C::KV_BYTES + (with_q ? C::Q_BYTES : 0));
#pragma unroll
    for (int db = 0; db < C::DB; ++db) {
      if (with_q) tma_load_2d(sQ + db * C::Q_DBLOCK, &maps->q, 64 * db, q_row, bar);
      const int row = att90t_kv_row<C>(kv_head, kt);
      tma_load_2d(sK + stage * C::KV_BYTES + db * C::KV_DBLOCK, &maps->k, 64 * db, row, bar);
      tma_load_2d(sV + stage * C::KV_BYTES + db * C::KV_DBLOCK, &maps->v, 64 * db, row, bar);
    }
  };
  if constexpr (TMA) {
    if (tid == 0) {
      // full barriers only where the block barrier frees a stage; PINGPONG: empty ones of every thread too
      init_tma_ring(full, empty, kStages, PINGPONG ? C::THREADS : 0);
      if (lo < hi) issue(lo, 0, true);
      if (lo + 1 < hi) issue(lo + 1, 1, false);
    }
    __syncthreads();  // the initialised barriers, visible to every waiter
    if constexpr (PINGPONG) {
      if (wg == 1) named_bar_arrive(0);  // warpgroup 0 issues first
    }
  } else {
    // Prologue: Q with tile lo (one cp.async group), tile lo + 1 (the next); groups stay one per tile, empty where
    // there is no tile, so that "tile t has landed" is always wait_group 1.
    if (lo < hi) {
      load_q<C>(Q, sQ, tid, q0, a.lq, q_base);
      load_kv<C>(K, V, sK, sV, tid, klen, kv_base, lo, 0);
    }
    cp_async_commit();
    if (lo + 1 < hi) load_kv<C>(K, V, sK, sV, tid, klen, kv_base, lo + 1, 1);
    cp_async_commit();
  }

  uint32_t p[BK / 16][4];  // P of the previous tile: the A operand of its PV, issued in this iteration
#pragma unroll
  for (int kk = 0; kk < BK / 16; ++kk)
#pragma unroll
    for (int r = 0; r < 4; ++r) p[kk][r] = 0u;
  for (int kt = lo; kt < hi; ++kt) {
    const int i = kt - lo, stage = i % kStages, prev = (i + kStages - 1) % kStages;
    if constexpr (TMA) {
      mbar_wait_or_trap(full + 8 * stage, (i / kStages) & 1);  // tile kt (and Q) landed: its stage's (i/3)-th phase
    } else {
      cp_async_wait<1>();              // tile kt's group (the next tile's may still pend)
      sm90::fence_proxy_async_smem();  // this thread's landed copies, visible to the async proxy (wgmma reads)
      __syncthreads();                 // everyone's copies of tile kt (and Q) are in
    }

    // ---- issue S = Q K^T, then the previous tile's O += P V; wait for S only ----
    float s[C::NS];
    if constexpr (!LEAN) {  // LEAN: qk_mma_lean's first step ignores them (scale-d 0)
#pragma unroll
      for (int j = 0; j < C::NS; ++j) s[j] = 0.f;
    }
    pin(s);
    if constexpr (PINGPONG) named_bar_sync(wg);  // this warpgroup's turn to issue
    sm90::wgmma_fence();  // s zeroed, and P / the rescaled O of the previous iteration, by ordinary instructions
    if constexpr (LEAN) qk_mma_lean<T, C>(s, sQ, sK + stage * C::KV_BYTES, wg);
    else qk_mma<T, C>(s, sQ, sK + stage * C::KV_BYTES, wg);
    sm90::wgmma_commit();
    if (i > 0) {
      sm90::wgmma_fence();  // ptxas asks for one here too (C7519: it injected it when it was missing)
      if constexpr (LEAN) pv_mma_lean<T, C>(o, p, sV + prev * C::KV_BYTES);
      else pv_mma<T, C>(o, p, sV + prev * C::KV_BYTES);
      sm90::wgmma_commit();
      if constexpr (PINGPONG) named_bar_arrive(wg ^ 1);  // the other's turn
      sm90::wgmma_wait<1>();  // the QK group (committed first) has retired; the PV may still run
    } else {
      if constexpr (PINGPONG) named_bar_arrive(wg ^ 1);
      sm90::wgmma_wait<0>();
    }
    pin(s);

    // ---- scale, masks, online softmax of S (O untouched: the PV in flight accumulates into it) ----
    const int k0 = kt * BK;
    const bool partial = att_tile_partial(k0, BK, q0, q1, klen, a.lq, a.lk, causal, -1, -1);
    if constexpr (LEAN) mask_structural<C>(s, partial, row_g, k0, lane, klen, a.lq, a.lk, causal);
    else scale_structural<C>(s, partial, row_g, k0, lane, klen, a.lq, a.lk, causal, scale_log2);
    bool hides = false;  // BITS: the mask hides some score of this tile (block-uniform, from the tile's class)
    if constexpr (BITS) {
      const int cls = class_row[kt];
      hides = cls != 1;
      if (hides) {
        uint64_t mw[2][2] = {{0ull, 0ull}, {0ull, 0ull}};  // a hidden tile (class 0): no bit set
        if (cls == 2) mask_tile_words(bits_row, kt, mw);
#pragma unroll
        for (int i = 0; i < C::NS; ++i) {
          const int hr = (i >> 1) & 1;
          if (!mask_bit(mw[hr][0], mw[hr][1], att90_acc_col(lane, i))) s[i] = -INFINITY;
        }
      }
    }
    float alpha[2];
#pragma unroll
    for (int hr = 0; hr < 2; ++hr) {
      // LEAN: the folded softmax (attention_sm90_mma.cuh; scale > 0, checked by launch_tma)
      if constexpr (LEAN) alpha[hr] = softmax_half_folded(s, hr, m_i[hr], l_i[hr], scale_log2);
      else alpha[hr] = softmax_half(s, hr, m_i[hr], l_i[hr]);
    }

    // ---- the previous tile's PV has retired: O and P are this thread's again ----
    sm90::wgmma_wait<0>();
#pragma unroll
    for (int db = 0; db < C::DB; ++db) pin(o[db]);
    pin(p);
#pragma unroll
    for (int hr = 0; hr < 2; ++hr) rescale_half(o, hr, alpha[hr]);

    // ---- non-finite V where the masks zeroed some weights of this tile (attention_nonfinite.cuh), before its PV
    // (issued next iteration) reads the tile: O and P now share this tile's running maximum, as in the verified kernel
    if (partial || hides) {
      guard_nonfinite_v<C, T>(smem + C::V_OFF + stage * C::KV_BYTES, s, o, tid, lane);
    }
    pack_p<T, C>(p, s);

    if constexpr (PINGPONG) {
      // This thread's PV of tile kt - 1 retired above: its stage is free as far as this thread goes. Thread 128 (of
      // warpgroup 1, which issues second) refills it with tile kt + 2 once every thread has let it go, the ((i-1)/3)th
      // release of that stage; tile kt + 2 of the first iteration goes to the stage no tile has used yet.
      if (i > 0) mbar_arrive(empty + 8 * prev);
      if (tid == C::THREADS / 2 && kt + 2 < hi) {
        if (i > 0) mbar_wait_or_trap(empty + 8 * prev, ((i - 1) / kStages) & 1);
        issue(kt + 2, prev, false);
      }
      __syncwarp();  // the warp whole again before the next named barrier
    } else if constexpr (TMA) {
      // Every warpgroup's PV of tile kt - 1 has retired (each waited above): its stage takes tile kt + 2.
      __syncthreads();
      if (tid == 0 && kt + 2 < hi) issue(kt + 2, prev, false);
    } else {
      __syncthreads();  // as above
      if (kt + 2 < hi) load_kv<C>(K, V, sK, sV, tid, klen, kv_base, kt + 2, prev);
      cp_async_commit();
    }
  }
  if (lo < hi) {
#pragma unroll
    for (int db = 0; db < C::DB; ++db) pin(o[db]);
    pin(p);
    sm90::wgmma_fence();
    if constexpr (LEAN) pv_mma_lean<T, C>(o, p, sV + ((hi - 1 - lo) % kStages) * C::KV_BYTES);
    else pv_mma<T, C>(o, p, sV + ((hi - 1 - lo) % kStages) * C::KV_BYTES);
    sm90::wgmma_commit();
    sm90::wgmma_wait<0>();
#pragma unroll
    for (int db = 0; db < C::DB; ++db) pin(o[db]);
  }
  if constexpr (PINGPONG) {
    if (wg == 0) named_bar_sync(0);  // warpgroup 1's last signal: no arrival left unmet
  }
  // cp.async: only empty groups can pend here; no copy may target shared memory when the block exits. TMA: every
  // tile issued was waited for above.
  if constexpr (!TMA) cp_async_wait<0>();

  store_o<C>(O, q_base, row_g, a.lq, lane, o, l_i);
#else
  // Built for an architecture without wgmma: the host side never launches this (see attention_sm90_available).
  (void)a;
  (void)scale_log2;
  (void)maps;
  __trap();
#endif
}

template <class T, class OutT, int D>
__global__ void __launch_bounds__(256, 1) attention_sm90_overlap_kernel(const AttentionArgs a, float scale_log2) {
  overlap_body<T, OutT, D, false>(a, scale_log2, nullptr);
}

template <class T, class OutT, int D, bool BITS, bool PINGPONG = false, bool LEAN_ALONE = false>
__global__ void __launch_bounds__(256, 1)
    attention_sm90_overlap_tma_kernel(const AttentionArgs a, float scale_log2, const __grid_constant__ AttTmaMaps maps) {
  overlap_body<T, OutT, D, true, BITS, PINGPONG, LEAN_ALONE>(a, scale_log2, &maps);
}

template <class T, class OutT, int D>
cudaError_t launch(const AttentionArgs& a, cudaStream_t stream) {
  using C = AttSm90Cfg<D, kBK, kStages>;
  auto kern = attention_sm90_overlap_kernel<T, OutT, D>;
  cudaError_t e = cudaFuncSetAttribute(kern, cudaFuncAttributeMaxDynamicSharedMemorySize, C::SMEM_BYTES);
  if (e != cudaSuccess) return e;
  const dim3 grid((unsigned)((int64_t)att90_num_qblocks(a.lq) * a.batch * a.hq));  // att90_cta_at order
  kern<<<grid, C::THREADS, C::SMEM_BYTES, stream>>>(a, a.scale * kLog2e);
  return cudaGetLastError();
}

// The TMA kernel: the three maps encoded per call. TMA needs 16-byte aligned bases (cudaMalloc gives 256), int32
// row coordinates and a driver that encodes the maps; otherwise the cp.async kernel runs, or, for a bit-packed mask
// (which only the TMA kernel takes), nothing: cudaErrorNotSupported tells attention_sm90 to run the MASKED kernel.
template <class T, class OutT, int D>
cudaError_t launch_tma(const AttentionArgs& a, bool pingpong, bool lean, cudaStream_t stream) {
  using C = AttSm90Cfg<D, kBK, kStages>;
  const bool bits = a.mask_bits != nullptr;
  const int64_t qrows = (int64_t)a.batch * a.hq * a.lq, kvrows = (int64_t)a.batch * a.hkv * a.lk;
  constexpr int64_t kMaxRows = 0x7FFFFFFFLL - 2 * C::BK;
  if ((((uintptr_t)a.q | (uintptr_t)a.k | (uintptr_t)a.v) & 15u) != 0 || qrows > kMaxRows || kvrows > kMaxRows)
    return bits ? cudaErrorNotSupported : launch<T, OutT, D>(a, stream);
  constexpr bool bf16 = std::is_same<T, __nv_bfloat16>::value;
  AttTmaMaps m;
  cudaError_t e = encode_tensor_map_sw128(&m.q, a.q, bf16, att90t_map<C>(qrows, C::BQ));
  if (e == cudaSuccess) e = encode_tensor_map_sw128(&m.k, a.k, bf16, att90t_map<C>(kvrows, C::BK));
  if (e == cudaSuccess) e = encode_tensor_map_sw128(&m.v, a.v, bf16, att90t_map<C>(kvrows, C::BK));
  if (e != cudaSuccess) return bits ? cudaErrorNotSupported : launch<T, OutT, D>(a, stream);
  // PINGPONG and LEAN for unmasked calls only (the bit-packed mask keeps the plain ring: experiments measured apart),
  // and, as BITS, only for a positive scale: their folded softmax takes row maxima before scaling
  // (attention_sm90_mma.cuh); a mask with another scale goes to the MASKED kernel
  const bool folds = a.scale > 0.f;
  if (bits && !folds) return cudaErrorNotSupported;
  auto kern = bits                ? attention_sm90_overlap_tma_kernel<T, OutT, D, true>
              : pingpong && folds ? attention_sm90_overlap_tma_kernel<T, OutT, D, false, true>
              : lean && folds     ? attention_sm90_overlap_tma_kernel<T, OutT, D, false, false, true>
                                  : attention_sm90_overlap_tma_kernel<T, OutT, D, false>;
  e = cudaFuncSetAttribute(kern, cudaFuncAttributeMaxDynamicSharedMemorySize, C::SMEM_BYTES);
  if (e != cudaSuccess) return e;
  const dim3 grid((unsigned)((int64_t)att90_num_qblocks(a.lq) * a.batch * a.hq));  // att90_cta_at order
  kern<<<grid, C::THREADS, C::SMEM_BYTES, stream>>>(a, a.scale * kLog2e, m);
  return cudaGetLastError();
}

template <class T, class OutT>
cudaError_t dispatch_d(const AttentionArgs& a, bool tma, bool pingpong, bool lean, cudaStream_t stream) {
  if (a.mask_bits != nullptr && !tma) return cudaErrorNotSupported;  // the bit-packed mask: TMA kernel only
  if (a.d == 64) return tma ? launch_tma<T, OutT, 64>(a, pingpong, lean, stream) : launch<T, OutT, 64>(a, stream);
  if (a.d == 128) return tma ? launch_tma<T, OutT, 128>(a, pingpong, lean, stream) : launch<T, OutT, 128>(a, stream);
  return cudaErrorInvalidValue;  // the host entry answers SK_ERR_UNSUPPORTED before
}

template <class T>
cudaError_t dispatch_out(const AttentionArgs& a, bool tma, bool pingpong, bool lean, cudaStream_t stream) {
  return a.o_dtype == SK_DTYPE_F32 ? dispatch_d<T, float>(a, tma, pingpong, lean, stream)
                                   : dispatch_d<T, T>(a, tma, pingpong, lean, stream);
}

}  // namespace

int attention_sm90_overlap_smem_bytes(int d) {
  if (d == 64) return AttSm90Cfg<64, kBK, kStages>::SMEM_BYTES;
  if (d == 128) return AttSm90Cfg<128, kBK, kStages>::SMEM_BYTES;
  return 0;
}

cudaError_t attention_sm90_overlap(const AttentionArgs& a, bool tma, cudaStream_t stream, bool pingpong, bool lean) {
  return a.dtype == SK_DTYPE_F16 ? dispatch_out<__half>(a, tma, pingpong, lean, stream)
                                 : dispatch_out<__nv_bfloat16>(a, tma, pingpong, lean, stream);
}

}  // namespace skcuda
