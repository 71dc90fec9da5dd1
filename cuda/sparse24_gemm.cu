// 2:4 sparse GEMM: Y[tokens, out] = X[tokens, in] . W^T + bias, W 2:4-sparse along `in`.
//
// The sparse operand of mma.sp must be A, so each block computes a tile of Y^T = W . X^T:
//   A = compressed W, gpu_values [Mp, Kp/2] row-major (16 compressed halves = 32 logical k per row per k32 step);
//   B = X^T, and X [tokens, in] row-major is exactly the "N x K, K contiguous" storage that non-transposed
//       ldmatrix turns into B fragments (notes 2.3, "sparse B, one n8 tile, k32");
//   metadata = gpu_meta in the Variant P layout: per (32-row block P, k32 step s) 32 words, word l for lane l;
//       a warp that owns rows 32P..32P+31 uses one word per k32 step, selector 0 for rows 0-15, 1 for 16-31.
//
// Pipeline: STAGES-deep cp.async ring in shared memory holding, per stage, KSTEPS k32 steps of W (BM rows), of
// X (BN tokens) and of the metadata (WM x KSTEPS x 128 B, contiguous in gpu_meta for one P). Staging the
// metadata through cp.async keeps its global latency inside the pipeline instead of stalling each k step.
// Smem rows are padded by 16 bytes: with row pitches of 80/144/272 bytes the 8 row addresses of one ldmatrix
// phase fall into 8 distinct 4-bank groups (conflict-free), and every row start stays 16-byte aligned.
//
// Warp roles: WM x WN x WK warps. A warp owns 32 W rows (one tile pair = one metadata word per k32 step) times
// NT n8 token tiles. WK > 1 splits the k32 steps of a stage between warps (split-K inside the block, reduced in
// shared memory at the end) - used for tiny token counts, where one block has too few MMAs per stage to hide
// the W stream otherwise, and more blocks would only shrink BM.
//
// Tile choices (same for sm_80..sm_90; Ampere-style mma.sp is what all four archs run):
//   tokens <= 8 / <= 16: BM 32, BN 8/16, 4 warps split-K, k128 per stage, 4 stages. Decode-like calls are
//       memory bound on W; BM 32 gives out/32 blocks (128 for out = 4096) and ~36 KB smem so several blocks fit
//       per SM, each keeping 3 stages (~25 KB) of W in flight. At out = 4096 that is one block per SM on a Hopper,
//       too few bytes in flight for HBM (0.8 TB/s measured); k256 x 8 stages (CfgTinyDeep / CfgSmallDeep, 109 KB)
//       run there by default on sm_90 (H200, 2026-11-27: 16 x 4096 x 4096 0.0178 vs 0.0213 ms, L2 flushed) and in
//       the experimental mode on any device whose opt-in limit takes them (not measured on Ampere or Ada).
//   tokens <= 64: BM 64 x BN 64, 2x2 warps, k64 per stage, 4 stages (56 KB).
//   larger: BM 128 x BN 128, 4x2 warps of 32x64 (64 f32 accumulators per thread), k64 per stage, 3 stages
//       (84 KB: fits the 99 KB opt-in limit of sm_86/sm_89; sm_80/sm_90 could take a 4th stage).
#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_runtime.h>
#include <stdint.h>

#include "cp_async.cuh"
#include "epilogue.cuh"
#include "gemm_index.cuh"
#include "mma_fragments.cuh"
#include "sk_launch.h"
#include "sparsekernels.h"

namespace skcuda {
namespace {

// SpCfg and CfgTiny/CfgSmall/CfgMid/CfgLarge live in gemm_index.cuh, shared with the CPU emulator test.

template <class T, class OutT, class C>
__global__ void __launch_bounds__(C::THREADS)
    sparse24_gemm_kernel(const T* __restrict__ x, const T* __restrict__ wv, const uint32_t* __restrict__ meta,
                         const float* __restrict__ bias, OutT* __restrict__ y, int tokens, int in, int out) {
  extern __shared__ __align__(16) uint8_t smem[];
  T* sA = reinterpret_cast<T*>(smem + C::A_OFF);
  T* sB = reinterpret_cast<T*>(smem + C::B_OFF);
  uint32_t* sE = reinterpret_cast<uint32_t*>(smem + C::E_OFF);

  const int Mp = sp_padded_rows(out), Kp = sp_padded_cols(in);
  const int KS = Kp / 32;                           // k32 steps
  const int KT = (KS + C::KSTEPS - 1) / C::KSTEPS;  // pipeline stages to run
  const int m0 = blockIdx.x * C::BM, n0 = blockIdx.y * C::BN;
  const int tid = threadIdx.x, lane = tid & 31, warp = tid >> 5;
  int wm, wn, wk;
  sp_warp_roles<C>(warp, wm, wn, wk);

  // Issues the cp.async copies of stage kt into ring slot `slot`. Out-of-range pieces are zero-filled: rows
  // >= Mp, k32 steps >= KS, tokens >= tokens, k >= in (in % 8 == 0, so a 16-byte chunk is all in or all out).
  auto load_stage = [&](int kt, int slot) {
    const int s0 = kt * C::KSTEPS;
    T* a_dst = sA + slot * C::A_STAGE;
    for (int c = tid; c < C::A_COPIES; c += C::THREADS) {
      const CopyPlan p = sp_copy_a<C>(c, m0, s0, Mp, KS);
      cp_async16(smem_u32(a_dst + p.dst), wv + p.src, p.ok);
    }
    T* b_dst = sB + slot * C::B_STAGE;
    for (int c = tid; c < C::B_COPIES; c += C::THREADS) {
      const CopyPlan p = sp_copy_b<C>(c, n0, s0, tokens, in);
      cp_async16(smem_u32(b_dst + p.dst), x + p.src, p.ok);
    }
    uint32_t* e_dst = sE + slot * C::E_STAGE;
    for (int c = tid; c < C::E_COPIES; c += C::THREADS) {
      const CopyPlan p = sp_copy_e<C>(c, m0, s0, Mp, KS);
      cp_async16(smem_u32(e_dst + p.dst), meta + p.src, p.ok);
    }
  };

  float acc[2][C::NT][4];
#pragma unroll
  for (int i = 0; i < 2; ++i)
#pragma unroll
    for (int j = 0; j < C::NT; ++j)
#pragma unroll
      for (int r = 0; r < 4; ++r) acc[i][j][r] = 0.0f;

  // Warps whose 32 rows lie entirely in the padding beyond Mp still copy and synchronize, but skip the MMAs.
  const bool warp_active = sp_tile_m<C>(m0, wm, 0) < Mp;

#pragma unroll
  for (int st = 0; st < C::STAGES - 1; ++st) {
    if (st < KT) load_stage(st, st);
    cp_async_commit();  // empty groups keep the wait_group arithmetic uniform
  }

  for (int kt = 0; kt < KT; ++kt) {
    cp_async_wait<C::STAGES - 2>();  // stage kt has landed (for this thread) ...
    __syncthreads();                 // ... for all threads; and slot (kt-1) % STAGES is free again
    {
      const int nk = kt + C::STAGES - 1;
      if (nk < KT) load_stage(nk, nk % C::STAGES);
      cp_async_commit();
    }
    const int slot = kt % C::STAGES;
    const T* a_s = sA + slot * C::A_STAGE;
    const T* b_s = sB + slot * C::B_STAGE;
    const uint32_t* e_s = sE + slot * C::E_STAGE;
    if (warp_active) {
#pragma unroll
      for (int jj = 0; jj < C::KSTEPS / C::WK; ++jj) {
        const int j = sp_kstep<C>(jj, wk);  // k32 step within the stage handled by this warp
        if (kt * C::KSTEPS + j >= KS) break;  // zero-filled metadata (nibble 0x0) is not a legal ordered pair
        const uint32_t e = e_s[sp_meta_index<C>(wm, j, lane)];
        // Compressed 16x16 A tiles (rows 0-15 and 16-31 of the warp): lane l addresses row l%16, col 8*(l/16).
        uint32_t a[2][4];
#pragma unroll
        for (int i = 0; i < 2; ++i) ldmatrix_x4(a[i], smem_u32(a_s + sp_ldsm_a<C>(wm, i, j, lane)));
#pragma unroll
        for (int nt = 0; nt < C::NT; ++nt) {
          // One n8 tile, k32: lane l addresses token l%8, k 8*(l/8) -> B0..B3.
          uint32_t b[4];
          ldmatrix_x4(b, smem_u32(b_s + sp_ldsm_b<C>(wn, nt, j, lane)));
          mma_sp_m16n8k32<T, 0>(acc[0][nt], a[0], b, e);
          mma_sp_m16n8k32<T, 1>(acc[1][nt], a[1], b, e);
        }
      }
    }
  }

  if constexpr (C::WK > 1) {
    // Split-K reduction: K-warps 1..WK-1 park their accumulators in (now idle) pipeline smem, K-warp 0 sums.
    cp_async_wait<0>();
    __syncthreads();
    float* red = reinterpret_cast<float*>(smem);
    const int wmn = warp % (C::WM * C::WN);
    if (wk > 0) {
#pragma unroll
      for (int i = 0; i < 2; ++i)
#pragma unroll
        for (int nt = 0; nt < C::NT; ++nt)
#pragma unroll
          for (int r = 0; r < 4; ++r) red[sp_red_index<C>(wk, wmn, i, nt, r, lane)] = acc[i][nt][r];
    }
    __syncthreads();
    if (wk > 0) return;
#pragma unroll
    for (int q = 1; q < C::WK; ++q)
#pragma unroll
      for (int i = 0; i < 2; ++i)
#pragma unroll
        for (int nt = 0; nt < C::NT; ++nt)
#pragma unroll
          for (int r = 0; r < 4; ++r) acc[i][nt][r] += red[sp_red_index<C>(q, wmn, i, nt, r, lane)];
  }

  if (!warp_active) return;
#pragma unroll
  for (int i = 0; i < 2; ++i)
#pragma unroll
    for (int nt = 0; nt < C::NT; ++nt)
      store_fragment(y, bias, acc[i][nt], sp_tile_m<C>(m0, wm, i), sp_tile_n<C>(n0, wn, nt), out, tokens, lane);
}

template <class T, class OutT, class C>
cudaError_t launch(const void* x, const void* wv, const uint32_t* meta, const float* bias, void* y, int tokens,
                   int in, int out, cudaStream_t stream) {
  auto kernel = sparse24_gemm_kernel<T, OutT, C>;
  if (C::SMEM_BYTES > 48 * 1024) {
    // Opt-in above the 48 KB default; per device and cheap, so simply done on every call.
    cudaError_t e = cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, C::SMEM_BYTES);
    if (e != cudaSuccess) return e;
  }
  int64_t gx, gy;
  sp_grid<C>(tokens, out, gx, gy);
  dim3 grid((unsigned)gx, (unsigned)gy);
  kernel<<<grid, C::THREADS, C::SMEM_BYTES, stream>>>(static_cast<const T*>(x), static_cast<const T*>(wv), meta,
                                                       bias, static_cast<OutT*>(y), tokens, in, out);
  return cudaGetLastError();
}

// Whether the current device's opt-in shared memory per block takes `bytes`.
bool smem_fits(int bytes) {
  int dev = 0, optin = 0;
  if (cudaGetDevice(&dev) != cudaSuccess ||
      cudaDeviceGetAttribute(&optin, cudaDevAttrMaxSharedMemoryPerBlockOptin, dev) != cudaSuccess) {
    cudaGetLastError();  // a failed query is no launch error: the default configs run
    return false;
  }
  return optin >= bytes;
}

template <class T, class OutT>
cudaError_t dispatch_tokens(const void* x, const void* wv, const uint32_t* meta, const float* bias, void* y,
                            int tokens, int in, int out, bool deep, cudaStream_t stream) {
  // deep (the default on sm_90, the experimental mode elsewhere): the deeper tiny-token pipelines where they fit.
  if (deep && tokens <= 16 && smem_fits(CfgSmallDeep::SMEM_BYTES)) {
    if (tokens <= 8) return launch<T, OutT, CfgTinyDeep>(x, wv, meta, bias, y, tokens, in, out, stream);
    return launch<T, OutT, CfgSmallDeep>(x, wv, meta, bias, y, tokens, in, out, stream);
  }
  switch (sp_cfg_for_tokens(tokens)) {
    case 0: return launch<T, OutT, CfgTiny>(x, wv, meta, bias, y, tokens, in, out, stream);
    case 1: return launch<T, OutT, CfgSmall>(x, wv, meta, bias, y, tokens, in, out, stream);
    case 2: return launch<T, OutT, CfgMid>(x, wv, meta, bias, y, tokens, in, out, stream);
    default: return launch<T, OutT, CfgLarge>(x, wv, meta, bias, y, tokens, in, out, stream);
  }
}

}  // namespace

int64_t sparse24_max_tokens() { return kSpMaxTokens; }

cudaError_t sparse24_gemm(const void* x, int x_dtype, const void* gpu_values, const uint32_t* gpu_meta,
                          const float* bias, void* y, int y_dtype, int64_t tokens, int64_t in, int64_t out,
                          bool experimental, cudaStream_t stream) {
  const int t = (int)tokens, k = (int)in, m = (int)out;  // ranges checked by the host caller
  const bool e = experimental;
  if (x_dtype == SK_DTYPE_F16) {
    if (y_dtype == SK_DTYPE_F32)
      return dispatch_tokens<__half, float>(x, gpu_values, gpu_meta, bias, y, t, k, m, e, stream);
    return dispatch_tokens<__half, __half>(x, gpu_values, gpu_meta, bias, y, t, k, m, e, stream);
  }
  if (y_dtype == SK_DTYPE_F32)
    return dispatch_tokens<__nv_bfloat16, float>(x, gpu_values, gpu_meta, bias, y, t, k, m, e, stream);
  return dispatch_tokens<__nv_bfloat16, __nv_bfloat16>(x, gpu_values, gpu_meta, bias, y, t, k, m, e, stream);
}

}  // namespace skcuda
