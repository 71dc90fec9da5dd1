// Hopper 2:4 sparse GEMM with the sparse operand from SHARED MEMORY (wgmma.mma_async.sp, descriptor A, sm_90a):
// Y[tokens, out] = X[tokens, in] . W^T + bias, the contract of sk_sparse24_gemm (GPU layout of sk_sparse24_pack).
// sparse24_gemm_sm90 runs it where the two-warpgroup grid fills more than half the SMs (the register-A kernel keeps
// the small grids). Verified on an H200 (2026-11-27, sk_gpu_sm90_selftest 20/20, native self-test, bench against
// cuBLAS): 0.23 ms at 4096^3 f16 -> f32, 1.35x the register-A kernel and 0.82-0.86x dense cuBLAS.
//
// Why shared memory: the register-A kernel (sparse24_gemm_sm90.cu) loads its A fragments with ldmatrix inside the
// pipeline, and a stage holds only 2 k32 steps; here a stage holds 4, A needs no register staging, and the layout
// below is the one the hardware reads.
//
// As in sparse24_gemm_sm90.cu a block computes a tile of Y^T = W . X^T (the sparse operand must be A):
//   A = compressed W in shared memory, "a dense GMMA K-major layout in units of compressed elements" (notes 6.3,
//       from CUTLASS; confirmed by the H200 run). A stage holds KSTEPS = 4 k32 steps = 64 compressed halves = 128
//       bytes per W row, copied with cp.async from gpu_values [Mp, Kp/2] into a 128B-swizzled tile exactly like the
//       dense kernel's K-major tiles (row r, chunk c -> swizzle128(r, c)); warpgroup wg's descriptor names its own
//       64 rows (+ wg * 8 KB) and advances 32 bytes (16 compressed halves) per k32 step;
//   B = X [tokens, in] row-major (K-major for B): 128 logical k = 256 bytes per token per stage, stored as two
//       128B-swizzled sub-tiles (k 0-63 and 64-127 of the stage); k32 step j reads sub-tile j/2, +64 bytes for odd j;
//   metadata = gpu_meta (Variant P) staged by cp.async, one register per thread per k32 step, selector 0, odd warps
//       reading their lane-xor-2 word (sp90_meta_lane), as the register-A kernel.
//
//   Block tile 128 W rows (two warpgroups of 64) x 128 tokens x 128 k per stage; per stage 16 KB of W, 32 KB of X,
//   2 KB of metadata; 4 stages = 201 KB of dynamic shared memory with the alignment slack (one block per SM). Each
//   warpgroup holds one m64n128 f32 accumulator tile (64 per thread) and issues 4 m64n128k32 per stage.
//   The wide blocks (Sp90SmemWideCfg, experimental): 256 W rows (four warpgroups), 3 stages of 32 KB W, 32 KB X and
//   4 KB metadata = 205 KB; a third fewer operand bytes per MMA (gemm_index.cuh), 126-128 registers of the 128 that
//   512 threads allow, no spills (ptxas, CUDA 13.0).
//   Pipelines (gemm_index.cuh, Sp90SmemCfgT): lockstep (Sp90SmemCfg, the default) and decoupled
//   (Sp90SmemDecoupledCfg, the experimental mode: per-slot full / empty mbarriers instead of a __syncthreads per
//   stage, so one warpgroup's drain overlaps the other's MMAs; written 2026-11-27 without a GPU, not yet run). Both
//   wait for each stage's MMAs before the next (a wgmma.sp reads its metadata register when it runs: a one-set
//   in-flight version failed on the GPU, a two-set one was serialized by ptxas and measured slower).
//   The TMA pipeline (Sp90TmaCfg, experimental, written 2026-11-27 without a GPU, not yet run): the decoupled ring
//   and MMAs, loaded by the tensor-memory accelerator from a ninth warp instead of every thread's cp.async copies
//   (tensor maps encoded on the host per call, tma.cuh; 96 registers, no spills, ptxas CUDA 13.0); also with the
//   wide blocks (Sp90TmaWideCfg: four consumer warpgroups, 3 stages).
//   The cluster kernels (Sp90TmaClusterCfgT, experimental, written 2026-11-28 without a GPU, not yet run): the wide
//   TMA pipeline on thread-block clusters of 2x1, 1x2 or 2x2 CTAs whose producers split each stage's X and / or W
//   boxes between them and multicast them to the CTAs that need them (a third to a half fewer L2 bytes per MMA).
#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_runtime.h>
#include <stdint.h>

#include <atomic>
#include <type_traits>

#include "cp_async.cuh"
#include "epilogue.cuh"
#include "gemm_index.cuh"
#include "mbarrier.cuh"
#include "sk_launch.h"
#include "sm90_support.cuh"
#include "sparsekernels.h"
#include "tma.cuh"
#include "wgmma.cuh"

namespace skcuda {
namespace {

template <class C>
constexpr bool copies_fit() {
  return C::B_COPIES % C::THREADS == 0 && C::A_COPIES % C::THREADS == 0 && C::E_COPIES <= C::THREADS;
}
static_assert(copies_fit<Sp90SmemCfg>() && copies_fit<Sp90SmemDecoupledCfg>() && copies_fit<Sp90SmemWideCfg>() &&
                  copies_fit<Sp90SmemWideDecoupledCfg>(),
              "load_stage gives every thread the same number of X and W copies, and at most one metadata copy");
static_assert(sp90_swizzle128(9, 3) == sm90::swizzle128(9, 3) && sp90_swizzle128(70, 7) == sm90::swizzle128(70, 7),
              "the copy plans' swizzle must be the one the descriptor names");

// Issues the cp.async copies of stage kt (k32 steps s0 = kt*KSTEPS ..) into ring slot `slot`: X into the two
// swizzled sub-tiles, W values into the swizzled A tile, metadata with the mma.sp kernel's plan. Missing pieces are
// zero-filled.
template <class C, class T>
__device__ __forceinline__ void load_stage(const T* __restrict__ x, const T* __restrict__ wv,
                                           const uint32_t* __restrict__ meta, uint32_t base, int tid, int kt,
                                           int slot, int m0, int n0, int Mp, int KS, int tokens, int in) {
  const int s0 = kt * C::KSTEPS;
  const uint32_t xs = base + C::B_OFF + slot * C::B_STAGE_BYTES;
  const uint32_t as = base + C::A_OFF + slot * C::A_STAGE_BYTES;
  const uint32_t es = base + C::E_OFF + slot * C::E_STAGE_BYTES;
#pragma unroll
  for (int i = 0; i < C::B_COPIES / C::THREADS; ++i) {
    const CopyPlan p = sp90s_copy_b<C>(tid + i * C::THREADS, n0, s0, tokens, in);
    cp_async16(xs + p.dst, x + p.src, p.ok);
  }
#pragma unroll
  for (int i = 0; i < C::A_COPIES / C::THREADS; ++i) {
    const CopyPlan p = sp90s_copy_a<C>(tid + i * C::THREADS, m0, s0, Mp, KS);
    cp_async16(as + p.dst, wv + p.src, p.ok);
  }
  if (tid < C::E_COPIES) {
    const CopyPlan p = sp_copy_e<C>(tid, m0, s0, Mp, KS);
    cp_async16(es + p.dst * 4, meta + p.src, p.ok);
  }
}

#if SK_SM90A
// Uses each register without defining it: keeps the metadata registers alive until after the wait that retires the
// wgmmas reading them (they read it when they run), without being a "non-wgmma instruction defining a wgmma input"
// for ptxas, which would serialize the wgmmas (C7513).
template <int N>
__device__ __forceinline__ void keep(const uint32_t (&r)[N]) {
#pragma unroll
  for (int i = 0; i < N; ++i) asm volatile("" ::"r"(r[i]) : "memory");
}

// One stage of one warpgroup: its metadata words (register inputs of the wgmmas), wgmma.fence, KSTEPS wgmma.sp over
// the slot's A (this warpgroup's 64 rows) and X tiles, then wait for all of them (see gemm_index.cuh: why no group
// stays in flight). Steps past KS and 32-row blocks past Mp multiply zero-filled values and X with the legal
// kSp90PadMeta, which keeps control flow out of the MMA sequence.
template <class C, class T>
__device__ __forceinline__ void mma_stage(float (&acc)[64], uint32_t base, const uint8_t* smem, int slot, int kt,
                                          int KS, int wg, bool rows_ok, int meta_word) {
  const uint32_t xs = base + C::B_OFF + slot * C::B_STAGE_BYTES;
  const uint32_t as = base + C::A_OFF + slot * C::A_STAGE_BYTES;
  const uint32_t* es = reinterpret_cast<const uint32_t*>(smem + C::E_OFF + slot * C::E_STAGE_BYTES);
  uint32_t e[C::KSTEPS];
#pragma unroll
  for (int j = 0; j < C::KSTEPS; ++j) {
    const uint32_t w = es[meta_word + 32 * j];
    e[j] = rows_ok && kt * C::KSTEPS + j < KS ? w : kSp90PadMeta;
  }
  sm90::wgmma_fence();
#pragma unroll
  for (int j = 0; j < C::KSTEPS; ++j) {
    const uint64_t da = sm90::desc_sw128(as + sp90s_a_start<C>(wg, j));
    const uint64_t db = sm90::desc_sw128(xs + sp90s_b_start<C>(j));
    if constexpr (std::is_same<T, __nv_bfloat16>::value) {
      sm90::wgmma_sp_smem_a_m64n128k32_bf16<0>(acc, da, db, e[j], 1);
    } else {
      sm90::wgmma_sp_smem_a_m64n128k32_f16<0>(acc, da, db, e[j], 1);
    }
  }
  sm90::wgmma_commit();
  sm90::wgmma_wait<0>();
  keep(e);
}

// Accumulator i of lane l in warp q: W row sp90_acc_m, token sp90_acc_n (gemm_index.cuh); Y[token, row] (+ bias[row]).
template <class OutT>
__device__ __forceinline__ void store_tile(const float (&acc)[64], const float* __restrict__ bias,
                                           OutT* __restrict__ y, int m0, int n0, int q, int lane, int tokens,
                                           int out) {
#pragma unroll
  for (int i = 0; i < 64; ++i) {
    const int m = sp90_acc_m(m0, q, lane, i), n = sp90_acc_n(n0, lane, i);
    if (m < out && n < tokens) store_out(y + y_offset(n, m, out), acc[i] + (bias != nullptr ? bias[m] : 0.0f));
  }
}

// store_tile for 16-bit outputs through this warp's kSp90eWarpBytes of shared memory at `stage` (gemm_index.cuh,
// sp90e_*: why and the layout): the converted tile as Y rows, then 16-byte chunks to Y (element by element where Y's
// rows are not 16-byte aligned or the chunk crosses `out`). The caller makes sure nothing else uses those bytes.
template <class OutT>
__device__ __forceinline__ void store_tile_staged16(const float (&acc)[64], const float* __restrict__ bias,
                                                    OutT* __restrict__ y, int m0, int n0, int q, int lane, int tokens,
                                                    int out, uint8_t* stage) {
  static_assert(sizeof(OutT) == 2, "16-bit outputs only");
  const int mw = m0 + 16 * q;  // this warp's first W row
#pragma unroll
  for (int i = 0; i < 64; ++i) {
    const int m = sp90_acc_m(m0, q, lane, i), n = sp90_acc_n(n0, lane, i);
    store_out(reinterpret_cast<OutT*>(stage + sp90e_offset(n - n0, m - mw)),
              acc[i] + (bias != nullptr && m < out ? bias[m] : 0.0f));
  }
  __syncwarp();  // the warp's tile written before any lane reads another lane's values
  const bool vec = out % 8 == 0 && (reinterpret_cast<uintptr_t>(y) & 15u) == 0;
#pragma unroll
  for (int c = 0; c < 8; ++c) {
    const int r = sp90e_chunk_row(lane, c), h = sp90e_chunk_half(lane, c);
    const int n = n0 + r, mb = mw + 8 * h;
    if (n >= tokens || mb >= out) continue;
    const uint4 v = *reinterpret_cast<const uint4*>(stage + sp90e_chunk_offset(r, h));
    OutT* const dst = y + y_offset(n, mb, out);
    if (vec) {  // out % 8 == 0 and mb % 8 == 0: the whole chunk is inside the row and 16-byte aligned
      *reinterpret_cast<uint4*>(dst) = v;
    } else {
      const OutT* e = reinterpret_cast<const OutT*>(&v);
#pragma unroll
      for (int k = 0; k < 8; ++k)
        if (mb + k < out) dst[k] = e[k];
    }
  }
}

// Waits for every consumer thread of the block (named barrier 1; the producer warp does not take part).
template <class C>
__device__ __forceinline__ void consumers_sync() {
  asm volatile("bar.sync 1, %0;\n" ::"r"(C::CONSUMER_THREADS) : "memory");
}
#endif

template <class C, class T, class OutT>
__global__ void __launch_bounds__(C::THREADS, 1)
    sparse24_gemm_sm90_smem_a_kernel(const T* __restrict__ x, const T* __restrict__ wv,
                                     const uint32_t* __restrict__ meta, const float* __restrict__ bias,
                                     OutT* __restrict__ y, int tokens, int in, int out) {
#if SK_SM90A
  extern __shared__ uint8_t smem_raw[];
  const uint32_t base = (smem_u32(smem_raw) + 1023u) & ~1023u;  // swizzle atoms need 1024-byte alignment
  // Generic pointer to the same aligned base, for the metadata words (plain 32-bit shared loads).
  uint8_t* const smem = smem_raw + (base - smem_u32(smem_raw));
  // q: warp of the block, W rows 16q..16q+15; warps 4wg..4wg+3 form warpgroup wg (rows 64wg..), and both
  // warpgroups read the same X tiles.
  const int tid = threadIdx.x, lane = tid & 31, q = tid >> 5, wg = q >> 2;
  const int Mp = sp_padded_rows(out), Kp = sp_padded_cols(in);
  const int KS = Kp / 32;
  const int KT = (KS + C::KSTEPS - 1) / C::KSTEPS;
  const int m0 = blockIdx.x * C::BM, n0 = blockIdx.y * C::BN;
  // This warp's 32-row metadata block exists in gpu_meta (else its copies were zero-filled).
  const bool rows_ok = m0 + 32 * sp90_wm(q) < Mp;
  const int meta_word = sp_meta_index<C>(sp90_wm(q), 0, sp90_meta_lane(q, lane));  // k32 step j: + 32 j

  float acc[64];
#pragma unroll
  for (int i = 0; i < 64; ++i) acc[i] = 0.0f;

  if constexpr (!C::DECOUPLED) {
#pragma unroll
    for (int s = 0; s < C::PREFETCH; ++s) {
      if (s < KT) load_stage<C>(x, wv, meta, base, tid, s, s, m0, n0, Mp, KS, tokens, in);
      cp_async_commit();  // empty groups keep the wait_group arithmetic uniform
    }
    for (int kt = 0; kt < KT; ++kt) {
      // Groups committed so far: stages 0 .. kt + PREFETCH - 1; stage kt is in when at most PREFETCH - 1 pend.
      cp_async_wait<C::PREFETCH - 1>();
      sm90::fence_proxy_async_smem();  // this thread's landed copies, visible to the async proxy (wgmma reads)
      // Everyone's copies of stage kt are visible; every warpgroup has waited (end of the previous stage) for the
      // MMAs of stage kt - 1, whose slot is the one refilled now.
      __syncthreads();
      const int nk = kt + C::PREFETCH;
      if (nk < KT) load_stage<C>(x, wv, meta, base, tid, nk, nk % C::STAGES, m0, n0, Mp, KS, tokens, in);
      cp_async_commit();
      mma_stage<C, T>(acc, base, smem, kt % C::STAGES, kt, KS, wg, rows_ok, meta_word);
    }
  } else {
    const uint32_t full = base + C::BAR_OFF, empty = full + C::STAGES * 8;  // + 8 * slot
    if (tid == 0) {
      for (int s = 0; s < C::STAGES; ++s) {
        mbar_init(full + 8 * s, C::THREADS);
        mbar_init(empty + 8 * s, C::THREADS);
      }
    }
    __syncthreads();  // the initialised barriers, visible to every thread
#pragma unroll
    for (int s = 0; s < C::PREFETCH; ++s) {
      if (s < KT) {
        load_stage<C>(x, wv, meta, base, tid, s, s, m0, n0, Mp, KS, tokens, in);
        mbar_arrive_on_copies(full + 8 * s);
      }
    }
    for (int kt = 0; kt < KT; ++kt) {
      const int nk = kt + C::PREFETCH;
      if (nk < KT) {  // refill: the slot's previous stage must be done in every warpgroup
        const int ns = nk % C::STAGES, u = sp90d_refill_waits_for<C>(kt);
        if (u >= 0) mbar_wait(empty + 8 * ns, sp90d_parity<C>(u));
        load_stage<C>(x, wv, meta, base, tid, nk, ns, m0, n0, Mp, KS, tokens, in);
        mbar_arrive_on_copies(full + 8 * ns);
      }
      const int slot = kt % C::STAGES;
      mbar_wait(full + 8 * slot, sp90d_parity<C>(kt));  // every thread's copies of stage kt have landed
      sm90::fence_proxy_async_smem();                    // ... and are visible to this thread's wgmma reads
      mma_stage<C, T>(acc, base, smem, slot, kt, KS, wg, rows_ok, meta_word);
      mbar_arrive(empty + 8 * slot);  // this thread's MMAs of stage kt are done with the slot
    }
  }
  sm90::pin(acc);
  cp_async_wait<0>();  // no copy may still target shared memory when the block exits

  store_tile(acc, bias, y, m0, n0, q, lane, tokens, out);
#else
  // Built for an architecture without wgmma: the host side never launches this (sparse24_gemm_sm90 is only called
  // when sparse24_gemm_sm90_available(), and this file is built for the same architectures).
  __trap();
#endif
}

// The TMA producer's stage kt of the block at (m0, n0) into ring slot `slot`: the stage's byte count announced on its
// full barrier, two X boxes, one W box and the metadata bulk copies, all completing on that barrier.
#if SK_SM90A
template <class C>
__device__ __forceinline__ void sp90t_issue_stage(uint32_t base, uint32_t full, const CUtensorMap* tm_x,
                                                  const CUtensorMap* tm_w, const uint32_t* __restrict__ meta, int slot,
                                                  int kt, int m0, int n0, int Mp, int KS) {
  const uint32_t bar = full + 8 * slot;
  mbar_arrive_expect_tx(bar, (uint32_t)sp90t_stage_bytes<C>(m0, kt, Mp, KS));
  const uint32_t xs = base + C::B_OFF + slot * C::B_STAGE_BYTES;
  tma_load_2d(xs, tm_x, sp90t_x_k<C>(kt, 0), n0, bar);
  tma_load_2d(xs + C::X_SUB_BYTES, tm_x, sp90t_x_k<C>(kt, 1), n0, bar);
  tma_load_2d(base + C::A_OFF + slot * C::A_STAGE_BYTES, tm_w, sp90t_w_k<C>(kt), m0, bar);
  const uint32_t es = base + C::E_OFF + slot * C::E_STAGE_BYTES;
#pragma unroll
  for (int p = 0; p < C::WM; ++p) {
    const int bytes = sp90t_meta_bytes<C>(p, m0, kt, Mp, KS);
    if (bytes > 0) bulk_load(es + sp90t_meta_dst<C>(p), meta + sp90t_meta_src<C>(p, m0, kt, KS), bytes, bar);
  }
}

// The TMA kernels' shared memory: the 1024-byte aligned base (TMA's 128-byte swizzle needs 1024-byte boxes) as an
// address and a pointer, and the ring's full / empty barriers (+ 8 * slot), initialised by thread 0 and made visible
// to the block by its only block-wide barrier (the producer warp leaves early).
struct Sp90tSmem {
  uint32_t base;
  uint8_t* smem;
  uint32_t full, empty;
};
template <class C>
__device__ __forceinline__ Sp90tSmem sp90t_setup(uint8_t* smem_raw) {
  Sp90tSmem r;
  r.base = (smem_u32(smem_raw) + 1023u) & ~1023u;
  r.smem = smem_raw + (r.base - smem_u32(smem_raw));
  r.full = r.base + C::BAR_OFF;
  r.empty = r.full + C::STAGES * 8;
  if (threadIdx.x == 0) init_tma_ring(r.full, r.empty, C::STAGES, C::CONSUMER_THREADS);
  __syncthreads();
  return r;
}

// A TMA consumer warp's share of the block at (m0, n0): its KT stages, the CTA's stages g0, g0 + 1, ... of the ring
// (slot g % STAGES; each waited for, multiplied, released), then its 32 rows of the tile stored.
// STAGED16: 16-bit outputs through shared memory (store_tile_staged16), only where the ring is free after the last
// stage (the non-persistent kernel: no next block's loads).
template <class C, class T, bool STAGED16 = false, class OutT>
__device__ __forceinline__ void sp90t_consume_block(uint32_t base, uint8_t* smem, uint32_t full, uint32_t empty, int g0,
                                                    int KT, int KS, int Mp, int m0, int n0, int q, int lane,
                                                    const float* __restrict__ bias, OutT* __restrict__ y, int tokens,
                                                    int out) {
  const int wg = q >> 2;
  const bool rows_ok = m0 + 32 * sp90_wm(q) < Mp;
  const int meta_word = sp_meta_index<C>(sp90_wm(q), 0, sp90_meta_lane(q, lane));  // k32 step j: + 32 j
  float acc[64];
#pragma unroll
  for (int i = 0; i < 64; ++i) acc[i] = 0.0f;
  for (int kt = 0; kt < KT; ++kt) {
    const int g = g0 + kt, slot = g % C::STAGES;
    mbar_wait_or_trap(full + 8 * slot, sp90d_parity<C>(g));  // the stage's boxes and metadata have landed
    mma_stage<C, T>(acc, base, smem, slot, kt, KS, wg, rows_ok, meta_word);
    mbar_arrive(empty + 8 * slot);  // this thread's MMAs and metadata reads of the stage are done with the slot
  }
  sm90::pin(acc);
  if constexpr (STAGED16 && sizeof(OutT) == 2) {
    // Every stage has landed (each was waited for) and every warpgroup is past its last MMAs once all consumers
    // reach the barrier: the ring's first 16 x 4 KB are free for the staged tiles. (Only where no next block's loads
    // follow: the non-persistent kernel; session 26's audit asked for the bound to be checked, not assumed.)
    static_assert(C::CONSUMER_THREADS / 32 * kSp90eWarpBytes <= C::BAR_OFF, "staged tiles below the mbarriers");
    consumers_sync<C>();
    store_tile_staged16(acc, bias, y, m0, n0, q, lane, tokens, out, smem + q * kSp90eWarpBytes);
  } else {
    store_tile(acc, bias, y, m0, n0, q, lane, tokens, out);
  }
}

// The cluster kernel's stage kt into ring slot `slot` (Sp90TmaClusterCfgT, gemm_index.cuh): the bytes landing in this
// CTA announced on its full barrier; X sub-tile rx multicast along the cluster's x-row (both sub-tiles loaded here
// when CM = 1); W half ry multicast along the y-column (the whole block when CN = 1); the metadata blocks of W half ry
// that exist. Padding CTAs load like the others (from the tensors' first rows where theirs lie past the end).
template <class C>
__device__ __forceinline__ void sp90c_issue_stage(uint32_t base, uint32_t full, const CUtensorMap* tm_x,
                                                  const CUtensorMap* tm_w, const uint32_t* __restrict__ meta, int slot,
                                                  int kt, int m0, int n0, int Mp, int KS, int tokens, int rank) {
  const uint32_t bar = full + 8 * slot;
  mbar_arrive_expect_tx(bar, (uint32_t)sp90c_stage_bytes<C>(m0, kt, Mp, KS));
  const uint32_t xs = base + C::B_OFF + slot * C::B_STAGE_BYTES;
  const int xrow = sp90c_x_row(n0, tokens);
  if constexpr (C::CM == 2) {
    const int rx = sp90c_rx<C>(rank);
    tma_load_2d_multicast(xs + rx * C::X_SUB_BYTES, tm_x, sp90t_x_k<C>(kt, rx), xrow, bar, sp90c_row_mask<C>(rank));
  } else {
    tma_load_2d(xs, tm_x, sp90t_x_k<C>(kt, 0), xrow, bar);
    tma_load_2d(xs + C::X_SUB_BYTES, tm_x, sp90t_x_k<C>(kt, 1), xrow, bar);
  }
  const int ry = sp90c_ry<C>(rank);
  const uint32_t as = base + C::A_OFF + slot * C::A_STAGE_BYTES + ry * C::W_BOX_ROWS * 128;
  const uint32_t es = base + C::E_OFF + slot * C::E_STAGE_BYTES;
  const int wrow = sp90c_w_row<C>(m0, ry, Mp);
  if constexpr (C::CN == 2) {
    const uint16_t mask = sp90c_col_mask<C>(rank);
    tma_load_2d_multicast(as, tm_w, sp90t_w_k<C>(kt), wrow, bar, mask);
#pragma unroll
    for (int i = 0; i < C::META_BLOCKS; ++i) {
      const int p = ry * C::META_BLOCKS + i, bytes = sp90t_meta_bytes<C>(p, m0, kt, Mp, KS);
      if (bytes > 0)
        bulk_load_multicast(es + sp90t_meta_dst<C>(p), meta + sp90t_meta_src<C>(p, m0, kt, KS), bytes, bar, mask);
    }
  } else {
    tma_load_2d(as, tm_w, sp90t_w_k<C>(kt), wrow, bar);
#pragma unroll
    for (int p = 0; p < C::WM; ++p) {
      const int bytes = sp90t_meta_bytes<C>(p, m0, kt, Mp, KS);
      if (bytes > 0) bulk_load(es + sp90t_meta_dst<C>(p), meta + sp90t_meta_src<C>(p, m0, kt, KS), bytes, bar);
    }
  }
}
#endif

// The TMA pipeline (Sp90TmaCfg, gemm_index.cuh; verified on an H200, 2026-11-27): warps 0-7 consume exactly as the
// decoupled pipeline does, warp 8 loads. The stage's MMAs and epilogue are the ones above.
template <class C, class T, class OutT, bool STAGED16 = false>
__global__ void __launch_bounds__(C::THREADS, 1)
    sparse24_gemm_sm90_tma_kernel(const __grid_constant__ CUtensorMap tm_x, const __grid_constant__ CUtensorMap tm_w,
                                  const uint32_t* __restrict__ meta, const float* __restrict__ bias,
                                  OutT* __restrict__ y, int tokens, int in, int out) {
#if SK_SM90A
  extern __shared__ uint8_t smem_raw[];
  const int tid = threadIdx.x, lane = tid & 31, q = tid >> 5;
  const auto [Mp, KS, KT, m0, n0] = sp90_tile<C>(in, out, blockIdx.x, blockIdx.y);
  const auto [base, smem, full, empty] = sp90t_setup<C>(smem_raw);

  if (q == C::PRODUCER_WARP) {
    if (lane == 0) {
      for (int kt = 0; kt < KT; ++kt) {
        const int slot = kt % C::STAGES;
        if (kt >= C::STAGES) mbar_wait_or_trap(empty + 8 * slot, sp90d_parity<C>(kt - C::STAGES));
        sp90t_issue_stage<C>(base, full, &tm_x, &tm_w, meta, slot, kt, m0, n0, Mp, KS);
      }
    }
    return;  // the consumers wait for every stage, so no copy outlives the block
  }

  sp90t_consume_block<C, T, STAGED16>(base, smem, full, empty, 0, KT, KS, Mp, m0, n0, q, lane, bias, y, tokens, out);
#else
  __trap();  // never launched without sm_90a code (as the kernel above)
#endif
}

// The same pipeline on persistent CTAs (experimental, not yet run on a GPU): one CTA per SM (the launch caps the grid)
// takes blocks cta, cta + gridDim.x, ... in the plain grid's order (sp90t_item_x / _y), and the ring runs on across
// them: g counts the CTA's stages over all its blocks, so slot g % STAGES and its phases continue where the last block
// left them. The producer then loads the next block's first stages while the consumers store this one's tile. In the
// plain grid every block of a wave ends together and stores its 128 KB of f32 at once (about 17 MB per wave at
// 4096 x 4096 x 4096) before the next wave's blocks set up and fill their rings.
template <class C, class T, class OutT>
__global__ void __launch_bounds__(C::THREADS, 1)
    sparse24_gemm_sm90_tma_persistent_kernel(const __grid_constant__ CUtensorMap tm_x,
                                             const __grid_constant__ CUtensorMap tm_w,
                                             const uint32_t* __restrict__ meta, const float* __restrict__ bias,
                                             OutT* __restrict__ y, int tokens, int in, int out) {
#if SK_SM90A
  extern __shared__ uint8_t smem_raw[];
  const auto [base, smem, full, empty] = sp90t_setup<C>(smem_raw);
  const int tid = threadIdx.x, lane = tid & 31, q = tid >> 5;
  int64_t gx, gy;
  sp90_grid<C>(tokens, out, gx, gy);
  const int items = (int)(gx * gy);

  if (q == C::PRODUCER_WARP) {
    if (lane == 0) {
      int g = 0;  // stages this CTA has loaded
      for (int item = blockIdx.x; item < items; item += gridDim.x) {
        const auto [Mp, KS, KT, m0, n0] =
            sp90_tile<C>(in, out, sp90t_item_x(item, (int)gx), sp90t_item_y(item, (int)gx));
        for (int kt = 0; kt < KT; ++kt, ++g) {
          const int slot = g % C::STAGES;
          if (g >= C::STAGES) mbar_wait_or_trap(empty + 8 * slot, sp90d_parity<C>(g - C::STAGES));
          sp90t_issue_stage<C>(base, full, &tm_x, &tm_w, meta, slot, kt, m0, n0, Mp, KS);
        }
      }
    }
    return;  // the consumers wait for every stage, so no copy outlives the block
  }

  int g = 0;  // stages this CTA has consumed, the producer's count stage for stage
  for (int item = blockIdx.x; item < items; item += gridDim.x) {
    const auto [Mp, KS, KT, m0, n0] = sp90_tile<C>(in, out, sp90t_item_x(item, (int)gx), sp90t_item_y(item, (int)gx));
    sp90t_consume_block<C, T>(base, smem, full, empty, g, KT, KS, Mp, m0, n0, q, lane, bias, y, tokens, out);
    g += KT;
  }
#else
  __trap();  // never launched without sm_90a code (as the kernels above)
#endif
}

// The 256-row TMA pipeline on thread-block clusters that share X and / or W (Sp90TmaClusterCfgT in gemm_index.cuh:
// why, and the barrier protocol; experimental, written 2026-11-28 without a GPU, not yet run). Launched with
// cluster dimensions (CM, CN, 1) by launch_tma_cluster.
template <class C, class T, class OutT>
__global__ void __launch_bounds__(C::THREADS, 1)
    sparse24_gemm_sm90_tma_cluster_kernel(const __grid_constant__ CUtensorMap tm_x,
                                          const __grid_constant__ CUtensorMap tm_w,
                                          const uint32_t* __restrict__ meta, const float* __restrict__ bias,
                                          OutT* __restrict__ y, int tokens, int in, int out) {
#if SK_SM90A
  extern __shared__ uint8_t smem_raw[];
  const int tid = threadIdx.x, lane = tid & 31, q = tid >> 5;
  const auto [Mp, KS, KT, m0, n0] = sp90_tile<C>(in, out, blockIdx.x, blockIdx.y);
  const int rank = (int)cluster_ctarank();
  const uint32_t base = (smem_u32(smem_raw) + 1023u) & ~1023u;  // the same offset in every CTA (same kernel)
  uint8_t* const smem = smem_raw + (base - smem_u32(smem_raw));
  const uint32_t full = base + C::BAR_OFF, empty = full + C::STAGES * 8;
  if (tid == 0) {
    for (int s = 0; s < C::STAGES; ++s) {
      mbar_init(full + 8 * s, 1);
      mbar_init(empty + 8 * s, C::EMPTY_ARRIVALS);
    }
    fence_mbarrier_init();
  }
  cluster_sync_all();  // every CTA's barriers initialised before any producer's first multicast

  if (q == C::PRODUCER_WARP) {
    if (lane == 0) {
      for (int kt = 0; kt < KT; ++kt) {
        const int slot = kt % C::STAGES;
        // Slot reuse: every CTA's consumers are done with the slot's previous stage (these copies land in peers).
        if (kt >= C::STAGES) mbar_wait_or_trap<true>(empty + 8 * slot, sp90d_parity<C>(kt - C::STAGES));
        sp90c_issue_stage<C>(base, full, &tm_x, &tm_w, meta, slot, kt, m0, n0, Mp, KS, tokens, rank);
      }
    }
  } else {
    const int wg = q >> 2;
    const bool runs = sp90c_wg_runs(m0, n0, wg, Mp, tokens);
    const bool releases = lane < C::CLUSTER && ((sp90c_peer_mask<C>(rank) >> lane) & 1u);  // lane r: rank r's slot
    const bool rows_ok = m0 + 32 * sp90_wm(q) < Mp;
    const int meta_word = sp_meta_index<C>(sp90_wm(q), 0, sp90_meta_lane(q, lane));  // k32 step j: + 32 j
    float acc[64];
#pragma unroll
    for (int i = 0; i < 64; ++i) acc[i] = 0.0f;
    for (int kt = 0; kt < KT; ++kt) {
      const int slot = kt % C::STAGES;
      mbar_wait_or_trap(full + 8 * slot, sp90d_parity<C>(kt));  // every byte of the stage has landed here
      if (runs) mma_stage<C, T>(acc, base, smem, slot, kt, KS, wg, rows_ok, meta_word);
      __syncwarp();  // every lane of the warp past its wgmma wait: the warp's reads of the slot are done
      if (releases) mbar_arrive_cluster(empty + 8 * slot, (uint32_t)lane);
    }
    sm90::pin(acc);
    if (runs) store_tile(acc, bias, y, m0, n0, q, lane, tokens, out);
  }
  cluster_sync_all();  // no CTA exits while its peers' consumers may still arrive on its empty barriers
#else
  __trap();  // never launched without sm_90a code (as the kernels above)
#endif
}

template <class C, class T, class OutT>
cudaError_t launch_cfg(const void* x, const void* wv, const uint32_t* meta, const float* bias, void* y, int tokens,
                       int in, int out, cudaStream_t stream) {
  auto kernel = sparse24_gemm_sm90_smem_a_kernel<C, T, OutT>;
  cudaError_t e = cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, C::SMEM_BYTES);
  if (e != cudaSuccess) return e;
  int64_t gx, gy;
  sp90_grid<C>(tokens, out, gx, gy);
  kernel<<<dim3((unsigned)gx, (unsigned)gy), C::THREADS, C::SMEM_BYTES, stream>>>(
      static_cast<const T*>(x), static_cast<const T*>(wv), meta, bias, static_cast<OutT*>(y), tokens, in, out);
  return cudaGetLastError();
}

// Encodes the two tensor maps and launches the TMA kernel. TMA needs 16-byte aligned bases (cudaMalloc gives 256)
// and the bulk copies 16-byte aligned metadata; a caller's offset pointer that is not gets the lockstep kernel, as
// does a call whose maps the driver cannot encode (a driver without cuTensorMapEncodeTiled): the default path must
// not fail where the cp.async kernel runs.
// What the TMA kernels need: 16-byte aligned bases for the maps and metadata for the bulk copies, and X's and W's
// tensor maps (wmap: the kernel's W box). False where any is missing (a driver without cuTensorMapEncodeTiled, a
// caller's offset pointer): the caller then runs a kernel that needs none.
template <class T>
bool sp90t_maps(const void* x, const void* wv, const uint32_t* meta, const TmaMap2d& xmap, const TmaMap2d& wmap,
                CUtensorMap& tm_x, CUtensorMap& tm_w) {
  if ((((uintptr_t)x | (uintptr_t)wv | (uintptr_t)meta) & 15u) != 0) return false;
  constexpr bool bf16 = std::is_same<T, __nv_bfloat16>::value;
  return encode_tensor_map_sw128(&tm_x, x, bf16, xmap) == cudaSuccess &&
         encode_tensor_map_sw128(&tm_w, wv, bf16, wmap) == cudaSuccess;
}

template <class C, class T, class OutT, bool PERSIST = false, bool STAGED16 = false>
cudaError_t launch_tma(const void* x, const void* wv, const uint32_t* meta, const float* bias, void* y, int tokens,
                       int in, int out, cudaStream_t stream) {
  static_assert(!(PERSIST && STAGED16), "the staged epilogue reuses the ring, which a persistent CTA is refilling");
  CUtensorMap tm_x, tm_w;
  if (!sp90t_maps<T>(x, wv, meta, sp90t_x_map<C>(tokens, in),
                     sp90t_w_map<C>(sp_padded_rows(out), sp_padded_cols(in) / 32), tm_x, tm_w))
    return launch_cfg<Sp90SmemCfg, T, OutT>(x, wv, meta, bias, y, tokens, in, out, stream);
  auto kernel = sparse24_gemm_sm90_tma_kernel<C, T, OutT, STAGED16>;
  if constexpr (PERSIST) kernel = sparse24_gemm_sm90_tma_persistent_kernel<C, T, OutT>;
  cudaError_t e = cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, C::SMEM_BYTES);
  if (e != cudaSuccess) return e;
  int64_t gx, gy;
  sp90_grid<C>(tokens, out, gx, gy);
  dim3 grid((unsigned)gx, (unsigned)gy);
  if (PERSIST) {  // one CTA per SM (its shared memory allows no second), at most one per block
    const int64_t items = gx * gy, sms = sm_count() > 0 ? sm_count() : 1;
    grid = dim3((unsigned)(items < sms ? items : sms), 1);
  }
  kernel<<<grid, C::THREADS, C::SMEM_BYTES, stream>>>(tm_x, tm_w, meta, bias, static_cast<OutT*>(y), tokens, in, out);
  return cudaGetLastError();
}

// Encodes the maps and launches the cluster kernel with cluster dimensions (CM, CN, 1). Where it cannot run (an
// unaligned pointer, maps the driver will not encode, a cluster launch the device refuses), the TMA wide kernel runs
// the call instead (the experimental mode must not fail where the default runs), unless the caller named this
// kernel (exact): then cudaErrorNotSupported.
template <class C, class T, class OutT>
cudaError_t launch_tma_cluster(const void* x, const void* wv, const uint32_t* meta, const float* bias, void* y,
                               int tokens, int in, int out, cudaStream_t stream, bool exact) {
  auto fallback = [&] {
    // Named by the caller: say it cannot run rather than time another kernel under its name.
    if (exact) return cudaErrorNotSupported;
    return launch_tma<Sp90TmaWideCfg, T, OutT>(x, wv, meta, bias, y, tokens, in, out, stream);
  };
  CUtensorMap tm_x, tm_w;
  if (!sp90t_maps<T>(x, wv, meta, sp90t_x_map<C>(tokens, in),
                     sp90c_w_map<C>(sp_padded_rows(out), sp_padded_cols(in) / 32), tm_x, tm_w))
    return fallback();
  auto kernel = sparse24_gemm_sm90_tma_cluster_kernel<C, T, OutT>;
  cudaError_t e = cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, C::SMEM_BYTES);
  if (e != cudaSuccess) {
    (void)cudaGetLastError();
    return exact ? e : fallback();
  }
  int64_t gx, gy;
  sp90c_grid<C>(tokens, out, gx, gy);
  if (gy > kMaxGridY) return fallback();  // rounding up to whole clusters can pass the y limit the caller checked
  cudaLaunchConfig_t cfg = {};
  cfg.gridDim = dim3((unsigned)gx, (unsigned)gy);
  cfg.blockDim = dim3(C::THREADS);
  cfg.dynamicSmemBytes = C::SMEM_BYTES;
  cfg.stream = stream;
  cudaLaunchAttribute attr[1];
  attr[0].id = cudaLaunchAttributeClusterDimension;
  attr[0].val.clusterDim.x = C::CM;
  attr[0].val.clusterDim.y = C::CN;
  attr[0].val.clusterDim.z = 1;
  cfg.attrs = attr;
  cfg.numAttrs = 1;
  // How many such clusters fit at once: none (or no answer) means the device takes no cluster of this shape. Asked
  // once per device and instantiation (the answer depends on neither the grid nor the data), not on every launch.
  static std::atomic<int> launchable[8];  // per device: 0 not asked yet, 1 yes, -1 no
  int device = 0;
  const bool cached = cudaGetDevice(&device) == cudaSuccess && device >= 0 && device < 8;
  int known = cached ? launchable[device].load(std::memory_order_relaxed) : 0;
  if (known == 0) {
    int clusters = 0;
    known = cudaOccupancyMaxActiveClusters(&clusters, kernel, &cfg) == cudaSuccess && clusters >= 1 ? 1 : -1;
    (void)cudaGetLastError();  // a refused configuration is not a fault: clear it
    if (cached) launchable[device].store(known, std::memory_order_relaxed);
  }
  if (known < 0) return fallback();
  OutT* const yo = static_cast<OutT*>(y);
  e = cudaLaunchKernelEx(&cfg, kernel, tm_x, tm_w, meta, bias, yo, tokens, in, out);
  return e != cudaSuccess ? e : cudaGetLastError();
}

template <class T, class OutT>
cudaError_t launch(const void* x, const void* wv, const uint32_t* meta, const float* bias, void* y, int tokens,
                   int in, int out, Sp90SmemPipe pipe, cudaStream_t stream, bool exact) {
  switch (pipe) {
    case Sp90SmemPipe::kDecoupled:
      return launch_cfg<Sp90SmemDecoupledCfg, T, OutT>(x, wv, meta, bias, y, tokens, in, out, stream);
    case Sp90SmemPipe::kWide:
      return launch_cfg<Sp90SmemWideCfg, T, OutT>(x, wv, meta, bias, y, tokens, in, out, stream);
    case Sp90SmemPipe::kWideDecoupled:
      return launch_cfg<Sp90SmemWideDecoupledCfg, T, OutT>(x, wv, meta, bias, y, tokens, in, out, stream);
    case Sp90SmemPipe::kTma:
      return launch_tma<Sp90TmaCfg, T, OutT>(x, wv, meta, bias, y, tokens, in, out, stream);
    case Sp90SmemPipe::kTmaWide:
      return launch_tma<Sp90TmaWideCfg, T, OutT>(x, wv, meta, bias, y, tokens, in, out, stream);
    case Sp90SmemPipe::kTmaWidePersistent:
      return launch_tma<Sp90TmaWideCfg, T, OutT, true>(x, wv, meta, bias, y, tokens, in, out, stream);
    case Sp90SmemPipe::kTmaWideStaged:
      return launch_tma<Sp90TmaWideCfg, T, OutT, false, true>(x, wv, meta, bias, y, tokens, in, out, stream);
    case Sp90SmemPipe::kTmaWideClusterX:
      return launch_tma_cluster<Sp90TmaClusterXCfg, T, OutT>(x, wv, meta, bias, y, tokens, in, out, stream, exact);
    case Sp90SmemPipe::kTmaWideClusterW:
      return launch_tma_cluster<Sp90TmaClusterWCfg, T, OutT>(x, wv, meta, bias, y, tokens, in, out, stream, exact);
    case Sp90SmemPipe::kTmaWideClusterXW:
      return launch_tma_cluster<Sp90TmaClusterXWCfg, T, OutT>(x, wv, meta, bias, y, tokens, in, out, stream, exact);
    default:
      return launch_cfg<Sp90SmemCfg, T, OutT>(x, wv, meta, bias, y, tokens, in, out, stream);
  }
}

}  // namespace

cudaError_t sparse24_gemm_sm90_smem_a(const void* x, int x_dtype, const void* gpu_values, const uint32_t* gpu_meta,
                                      const float* bias, void* y, int y_dtype, int64_t tokens, int64_t in,
                                      int64_t out, Sp90SmemPipe pipe, cudaStream_t stream, bool exact) {
  const int t = (int)tokens, k = (int)in, m = (int)out;  // ranges checked by the host caller
  const void* v = gpu_values;
  const uint32_t* e = gpu_meta;
  if (x_dtype == SK_DTYPE_BF16) {
    if (y_dtype == SK_DTYPE_F32) return launch<__nv_bfloat16, float>(x, v, e, bias, y, t, k, m, pipe, stream, exact);
    return launch<__nv_bfloat16, __nv_bfloat16>(x, v, e, bias, y, t, k, m, pipe, stream, exact);
  }
  if (y_dtype == SK_DTYPE_F32) return launch<__half, float>(x, v, e, bias, y, t, k, m, pipe, stream, exact);
  return launch<__half, __half>(x, v, e, bias, y, t, k, m, pipe, stream, exact);
}

}  // namespace skcuda
