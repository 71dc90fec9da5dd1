// Hopper 2:4 sparse GEMM on warpgroup MMAs (wgmma.mma_async.sp, sm_90a): Y[tokens, out] = X[tokens, in] . W^T + bias,
// W 2:4 along `in` in the GPU layout of sk_sparse24_pack: the contract of sk_sparse24_gemm, which runs this kernel on
// sm_90 above 64 tokens (verified on an H100 and an H200, 2026-11-26: 1.4-1.8x the mma.sp kernel; sk_gpu_sm90_selftest
// checks it against an fp64 reference and times it against mma.sp and cuBLAS).
//
// As in sparse24_gemm.cu the sparse operand must be A, so a block computes a tile of Y^T = W . X^T:
//   A = compressed W from REGISTERS: wgmma.sp's register form takes, per warp w of the warpgroup, the very same
//       4 x b32 fragment as mma.sp m16n8k32 for rows 16w..16w+15 (notes section 5), so the fragments are loaded
//       exactly as in the mma.sp kernel: compressed rows staged by cp.async (80-byte pitch), ldmatrix.x4 per warp;
//   B = X tile from shared memory through a descriptor: X [tokens, in] row-major is K-major for B (no transpose),
//       staged as 128-byte-swizzled rows of 64 k exactly like the dense sm90 kernel's tiles; one k32 instruction
//       reads 64 bytes of each row, so the descriptor start advances 64 bytes for the second k32 step of a stage;
//   metadata = gpu_meta (Variant P) staged by cp.async like the values; the single warpgroup-wide selector is 0 and
//       odd warps read their lane-xor-2 word (sp90_meta_lane in gemm_index.cuh says why).
//
//   Block tile 128 W rows (two warpgroups of 64) x 128 tokens x 64 k per stage, 4 stages (109 KB of dynamic shared
//   memory with the alignment slack). One warpgroup (64 rows, 87 KB) per block where the two-warpgroup grid would
//   fill at most half the SMs (e.g. 128 tokens x 4096 out = 32 blocks on 132 SMs): twice the blocks.
//   Each warpgroup holds one m64n128 f32 accumulator tile (64 per thread) and issues one m64n128k32 per k32 step.
//   Every stage waits for its MMAs (wait_group 0) before the next barrier, so no slot is refilled while an MMA may
//   still read it. Keeping one group in flight was tried (two alternating fragment sets): ptxas serializes the wgmmas
//   anyway (C7513: non-wgmma instructions define their A registers inside the pipeline stage) and it measured the
//   same (0.246 vs 0.248 ms at 4096^3 on an H200). Where the two-warpgroup grid fills more than half the SMs,
//   sparse24_gemm_sm90 runs sparse24_gemm_sm90_smem_a.cu instead (A from shared memory, 4 k32 steps per stage:
//   1.25x this kernel at 4096^3 on an H200); this file keeps the small grids, in one-warpgroup blocks.
#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_runtime.h>
#include <stdint.h>

#include <type_traits>

#include "cp_async.cuh"
#include "epilogue.cuh"
#include "gemm_index.cuh"
#include "mma_fragments.cuh"
#include "sk_launch.h"
#include "sparsekernels.h"
#include "sm90_support.cuh"
#include "wgmma.cuh"

namespace skcuda {
namespace {

template <class C>
constexpr bool copies_split_evenly() {
  return C::B_COPIES % C::THREADS == 0 && C::A_COPIES % C::THREADS == 0 && C::E_COPIES <= C::THREADS;
}
static_assert(copies_split_evenly<Sp90Cfg>() && copies_split_evenly<Sp90CfgOne>(),
              "load_stage gives every thread the same number of X and W copies, and at most one metadata copy");
static_assert(sp90_swizzle128(9, 3) == sm90::swizzle128(9, 3) && sp90_swizzle128(70, 7) == sm90::swizzle128(70, 7),
              "the copy plan's swizzle must be the one the descriptor names");

// Issues the cp.async copies of stage kt (k32 steps s0 = kt*KSTEPS ..) into ring slot `slot`: X into the swizzled
// tile at xs, W values and metadata with the mma.sp kernel's plans. Missing pieces are zero-filled.
template <class C, class T>
__device__ __forceinline__ void load_stage(const T* __restrict__ x, const T* __restrict__ wv,
                                           const uint32_t* __restrict__ meta, uint32_t base, int tid, int kt,
                                           int slot, int m0, int n0, int Mp, int KS, int tokens, int in) {
  const int s0 = kt * C::KSTEPS;
  const uint32_t xs = base + C::B_OFF + slot * C::B_STAGE_BYTES;
  const uint32_t as = base + C::A_OFF + slot * C::A_STAGE * 2;
  const uint32_t es = base + C::E_OFF + slot * C::E_STAGE * 4;
#pragma unroll
  for (int i = 0; i < C::B_COPIES / C::THREADS; ++i) {
    const CopyPlan p = sp90_copy_b(tid + i * C::THREADS, n0, s0, tokens, in);
    cp_async16(xs + p.dst, x + p.src, p.ok);
  }
#pragma unroll
  for (int i = 0; i < C::A_COPIES / C::THREADS; ++i) {
    const CopyPlan p = sp_copy_a<C>(tid + i * C::THREADS, m0, s0, Mp, KS);
    cp_async16(as + p.dst * 2, wv + p.src, p.ok);
  }
  if (tid < C::E_COPIES) {
    const CopyPlan p = sp_copy_e<C>(tid, m0, s0, Mp, KS);
    cp_async16(es + p.dst * 4, meta + p.src, p.ok);
  }
}

#if SK_SM90A  // used by the sm_90a kernel body only (the other architectures compile its __trap stub)
// The A fragment (compressed 16x16 tile of warp q's rows, k32 step j of the stage) and this lane's metadata word.
// Steps past KS and 32-row blocks past Mp read zero-filled values; their metadata becomes the legal kSp90PadMeta.
struct SparseFragment {
  uint32_t a[4];
  uint32_t e;
};

template <class C>
__device__ __forceinline__ SparseFragment load_fragment(uint32_t as, const uint32_t* es, int q, int lane, int j,
                                                        bool step_ok, bool rows_ok) {
  SparseFragment f;
  ldmatrix_x4(f.a, as + sp_ldsm_a<C>(sp90_wm(q), sp90_tile(q), j, lane) * 2);
  const uint32_t e = es[sp_meta_index<C>(sp90_wm(q), j, sp90_meta_lane(q, lane))];
  f.e = step_ok && rows_ok ? e : kSp90PadMeta;
  return f;
}
#endif

template <class T, class OutT, class C>
__global__ void __launch_bounds__(C::THREADS, 1)
    sparse24_gemm_sm90_kernel(const T* __restrict__ x, const T* __restrict__ wv, const uint32_t* __restrict__ meta,
                              const float* __restrict__ bias, OutT* __restrict__ y, int tokens, int in, int out) {
#if SK_SM90A
  extern __shared__ uint8_t smem_raw[];
  const uint32_t base = (smem_u32(smem_raw) + 1023u) & ~1023u;  // swizzle atoms need 1024-byte alignment
  // Generic pointer to the same aligned base, for the metadata words (plain 32-bit shared loads).
  uint8_t* const smem = smem_raw + (base - smem_u32(smem_raw));
  // q: warp of the block, W rows 16q..16q+15; warps 4wg..4wg+3 form warpgroup wg (rows 64wg..), and both
  // warpgroups read the same X tile.
  const int tid = threadIdx.x, lane = tid & 31, q = tid >> 5;
  const int Mp = sp_padded_rows(out), Kp = sp_padded_cols(in);
  const int KS = Kp / 32;
  const int KT = (KS + C::KSTEPS - 1) / C::KSTEPS;
  const int m0 = blockIdx.x * C::BM, n0 = blockIdx.y * C::BN;
  // This warp's 32-row metadata block exists in gpu_meta (else its copies were zero-filled).
  const bool rows_ok = m0 + 32 * sp90_wm(q) < Mp;

  float acc[64];
#pragma unroll
  for (int i = 0; i < 64; ++i) acc[i] = 0.0f;

#pragma unroll
  for (int s = 0; s < C::STAGES - 1; ++s) {
    if (s < KT) load_stage<C>(x, wv, meta, base, tid, s, s, m0, n0, Mp, KS, tokens, in);
    cp_async_commit();  // empty groups keep the wait_group arithmetic uniform
  }

  for (int kt = 0; kt < KT; ++kt) {
    cp_async_wait<C::STAGES - 2>();  // this thread's copies of stage kt have landed
    sm90::fence_proxy_async_smem();  // ... and are visible to the async proxy (wgmma's B reads)
    __syncthreads();  // everyone's copies of stage kt are visible; stage kt-1's MMAs are done (waited below)
    {
      const int nk = kt + C::STAGES - 1;
      if (nk < KT) load_stage<C>(x, wv, meta, base, tid, nk, nk % C::STAGES, m0, n0, Mp, KS, tokens, in);
      cp_async_commit();
    }
    const int slot = kt % C::STAGES;
    const uint32_t xs = base + C::B_OFF + slot * C::B_STAGE_BYTES;
    const uint32_t as = base + C::A_OFF + slot * C::A_STAGE * 2;
    const uint32_t* es = reinterpret_cast<const uint32_t*>(smem + C::E_OFF + slot * C::E_STAGE * 4);

    // Both k32 steps' fragments first, then wgmma.fence: it orders these register writes (the A fragments) before
    // the asynchronous MMAs that read them, as PTX requires for registers written since the last wgmma.
    SparseFragment f[C::KSTEPS];
#pragma unroll
    for (int j = 0; j < C::KSTEPS; ++j) f[j] = load_fragment<C>(as, es, q, lane, j, kt * C::KSTEPS + j < KS, rows_ok);
    sm90::wgmma_fence();
#pragma unroll
    for (int j = 0; j < C::KSTEPS; ++j) {
      // B = the stage's X tile; k32 step j starts 64 bytes into each swizzled 128-byte row (the hardware applies
      // the swizzle to the final address, as for the dense kernel's 32-byte k16 steps). Steps past KS multiply
      // zeros (values and X zero-filled, metadata legal), which keeps control flow out of the MMA sequence.
      const uint64_t db = sm90::desc_sw128(xs + j * 64);
      if constexpr (std::is_same<T, __nv_bfloat16>::value) {
        sm90::wgmma_sp_m64n128k32_bf16<0>(acc, f[j].a, db, f[j].e, 1);
      } else {
        sm90::wgmma_sp_m64n128k32_f16<0>(acc, f[j].a, db, f[j].e, 1);
      }
    }
    sm90::wgmma_commit();
    sm90::wgmma_wait<0>();  // A registers and the slot stay untouched until the MMAs have read them
  }
  cp_async_wait<0>();

  // Accumulator i of lane l: W row sp90_acc_m, token sp90_acc_n (gemm_index.cuh); Y[token, row] (+ bias[row]).
#pragma unroll
  for (int i = 0; i < 64; ++i) {
    const int m = sp90_acc_m(m0, q, lane, i), n = sp90_acc_n(n0, lane, i);
    if (m < out && n < tokens) store_out(y + y_offset(n, m, out), acc[i] + (bias != nullptr ? bias[m] : 0.0f));
  }
#else
  // Built for an architecture without wgmma: the host side never launches this (see sparse24_gemm_sm90_available).
  __trap();
#endif
}

template <class T, class OutT, class C>
cudaError_t launch_cfg(const void* x, const void* wv, const uint32_t* meta, const float* bias, void* y, int tokens,
                       int in, int out, cudaStream_t stream) {
  auto kernel = sparse24_gemm_sm90_kernel<T, OutT, C>;
  cudaError_t e = cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, C::SMEM_BYTES);
  if (e != cudaSuccess) return e;
  int64_t gx, gy;
  sp90_grid<C>(tokens, out, gx, gy);
  kernel<<<dim3((unsigned)gx, (unsigned)gy), C::THREADS, C::SMEM_BYTES, stream>>>(
      static_cast<const T*>(x), static_cast<const T*>(wv), meta, bias, static_cast<OutT*>(y), tokens, in, out);
  return cudaGetLastError();
}

template <class T, class OutT>
cudaError_t launch(const void* x, const void* wv, const uint32_t* meta, const float* bias, void* y, int tokens,
                   int in, int out, cudaStream_t stream) {
  // One-warpgroup blocks where the two-warpgroup grid fills at most half the SMs: measured on an H200 (2026-11-26,
  // f16, out = in = 4096): 128 tokens 0.0316 vs 0.0449 ms; at 512 tokens (128 blocks on 132 SMs) 0.0455 vs 0.0444,
  // so not there.
  int64_t gx, gy;
  sp90_grid<Sp90Cfg>(tokens, out, gx, gy);
  const int64_t sms = sm_count();
  if (2 * gx * gy <= sms)
    return launch_cfg<T, OutT, Sp90CfgOne>(x, wv, meta, bias, y, tokens, in, out, stream);
  return launch_cfg<T, OutT, Sp90Cfg>(x, wv, meta, bias, y, tokens, in, out, stream);
}

// Larger grids go to the shared-memory-A kernel, every stage drained (H200, 2026-11-27, f16 -> f32, in = out = 4096:
// 4096 tokens 0.248 vs 0.310 ms, 512 tokens 0.037 vs 0.045 ms for this file's two-warpgroup kernel; at 128 tokens,
// where the grid fills at most half the SMs, this file's one-warpgroup kernel wins, 0.033 vs 0.041 ms).
bool smem_a_pays(int64_t tokens, int64_t out) {
  int64_t gx, gy;
  sp90_grid<Sp90Cfg>((int)tokens, (int)out, gx, gy);
  return 2 * gx * gy > sm_count();
}

// The 256-row blocks leave SMs idle below one full wave (128 tokens x 4096 rows is 16 blocks on 132 SMs).
bool wide_grid_fills(int64_t tokens, int64_t out) {
  int64_t gx, gy;
  sp90_grid<Sp90SmemWideCfg>((int)tokens, (int)out, gx, gy);
  return gx * gy >= sm_count();
}

}  // namespace

int64_t sparse24_sm90_max_tokens() { return kSp90MaxTokens; }

bool sparse24_gemm_sm90_available() {
  static Sm90Cache cache;
  return sm90a_code_runs(sparse24_gemm_sm90_kernel<__nv_bfloat16, float, Sp90Cfg>, cache);
}

cudaError_t sparse24_gemm_sm90_variant(const void* x, int x_dtype, const void* gpu_values, const uint32_t* gpu_meta,
                                       const float* bias, void* y, int y_dtype, int64_t tokens, int64_t in,
                                       int64_t out, int variant, int hopper, cudaStream_t stream) {
  const bool named = variant != SK_SPARSE24_SM90_DISPATCH;  // run exactly this kernel, or say why not
  if (variant == SK_SPARSE24_SM90_DISPATCH) {
    // TMA mode (the default since 2026-11-27): the TMA pipelines, 256-row blocks where their grid fills the SMs
    // (H200, f16 -> f32, in = out = 4096, same process: 4096 tokens 0.156 ms vs 0.232 for the lockstep kernel and
    // 0.186 for cuBLAS; 512 tokens 0.028 vs 0.035 and 0.035; 128 tokens 0.025 vs 0.031 for the register-A kernel).
    // Experimental mode: the next candidate, the 256-row TMA pipeline on 2x2 clusters sharing X and W where the grid
    // fills the SMs (session 25, not yet run; the persistent CTAs it replaces measured within 1% of TMA wide), else as
    // the default. The cp.async candidates the TMA pipelines beat stay reachable by name. On:
    // the cp.async choice above, the defaults until then.
    if (hopper == SK_HOPPER_TMA)
      variant = wide_grid_fills(tokens, out) ? SK_SPARSE24_SM90_SMEM_A_TMA_WIDE : SK_SPARSE24_SM90_SMEM_A_TMA;
    else if (hopper == SK_HOPPER_EXPERIMENTAL)
      variant =
          wide_grid_fills(tokens, out) ? SK_SPARSE24_SM90_SMEM_A_TMA_WIDE_CLUSTER_XW : SK_SPARSE24_SM90_SMEM_A_TMA;
    else
      variant = smem_a_pays(tokens, out) ? SK_SPARSE24_SM90_SMEM_A : SK_SPARSE24_SM90_REGISTER_A;
  }
  auto smem_a = [&](Sp90SmemPipe pipe) {
    return sparse24_gemm_sm90_smem_a(x, x_dtype, gpu_values, gpu_meta, bias, y, y_dtype, tokens, in, out, pipe,
                                     stream, named);
  };
  switch (variant) {
    case SK_SPARSE24_SM90_SMEM_A: return smem_a(Sp90SmemPipe::kLockstep);
    case SK_SPARSE24_SM90_SMEM_A_DECOUPLED: return smem_a(Sp90SmemPipe::kDecoupled);
    case SK_SPARSE24_SM90_SMEM_A_WIDE: return smem_a(Sp90SmemPipe::kWide);
    case SK_SPARSE24_SM90_SMEM_A_WIDE_DECOUPLED: return smem_a(Sp90SmemPipe::kWideDecoupled);
    case SK_SPARSE24_SM90_SMEM_A_TMA: return smem_a(Sp90SmemPipe::kTma);
    case SK_SPARSE24_SM90_SMEM_A_TMA_WIDE: return smem_a(Sp90SmemPipe::kTmaWide);
    case SK_SPARSE24_SM90_SMEM_A_TMA_WIDE_PERSISTENT: return smem_a(Sp90SmemPipe::kTmaWidePersistent);
    case SK_SPARSE24_SM90_SMEM_A_TMA_WIDE_CLUSTER_X: return smem_a(Sp90SmemPipe::kTmaWideClusterX);
    case SK_SPARSE24_SM90_SMEM_A_TMA_WIDE_CLUSTER_W: return smem_a(Sp90SmemPipe::kTmaWideClusterW);
    case SK_SPARSE24_SM90_SMEM_A_TMA_WIDE_CLUSTER_XW: return smem_a(Sp90SmemPipe::kTmaWideClusterXW);
    case SK_SPARSE24_SM90_SMEM_A_TMA_WIDE_STAGED: return smem_a(Sp90SmemPipe::kTmaWideStaged);
    default: break;  // SK_SPARSE24_SM90_REGISTER_A (the host caller checked the value)
  }
  const int t = (int)tokens, k = (int)in, m = (int)out;  // ranges checked by the host caller
  const void* v = gpu_values;
  if (x_dtype == SK_DTYPE_BF16) {
    if (y_dtype == SK_DTYPE_F32) return launch<__nv_bfloat16, float>(x, v, gpu_meta, bias, y, t, k, m, stream);
    return launch<__nv_bfloat16, __nv_bfloat16>(x, v, gpu_meta, bias, y, t, k, m, stream);
  }
  if (y_dtype == SK_DTYPE_F32) return launch<__half, float>(x, v, gpu_meta, bias, y, t, k, m, stream);
  return launch<__half, __half>(x, v, gpu_meta, bias, y, t, k, m, stream);
}

cudaError_t sparse24_gemm_sm90(const void* x, int x_dtype, const void* gpu_values, const uint32_t* gpu_meta,
                               const float* bias, void* y, int y_dtype, int64_t tokens, int64_t in, int64_t out,
                               int hopper, cudaStream_t stream) {
  return sparse24_gemm_sm90_variant(x, x_dtype, gpu_values, gpu_meta, bias, y, y_dtype, tokens, in, out,
                                    SK_SPARSE24_SM90_DISPATCH, hopper, stream);
}

}  // namespace skcuda
