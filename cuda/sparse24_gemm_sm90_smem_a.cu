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
//   Pipeline (Sp90SmemCfg, the default): 3 stages loaded ahead; each stage's MMAs are committed as one group and
//   waited for (wait_group 0) before the next stage. Sp90SmemInFlightCfg (the experimental mode) leaves one group in
//   flight and loads 2 ahead; a wgmma.sp reads its metadata REGISTER when it runs, so that variant keeps two register
//   sets (its first GPU run, with one set, failed every multi-stage case), and ptxas serializes it anyway (C7513):
//   0.28 vs 0.23 ms at 4096^3. Overlap across stages would need warp-specialised producer / consumer warpgroups, as
//   CUTLASS's sparse sm90 mainloop (which keeps no sparse MMA in flight either).
#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_runtime.h>
#include <stdint.h>

#include <type_traits>

#include "cp_async.cuh"
#include "epilogue.cuh"
#include "gemm_index.cuh"
#include "sk_launch.h"
#include "sparsekernels.h"
#include "wgmma.cuh"

namespace skcuda {
namespace {

template <class C>
constexpr bool copies_fit() {
  return C::B_COPIES % C::THREADS == 0 && C::A_COPIES % C::THREADS == 0 && C::E_COPIES <= C::THREADS;
}
static_assert(copies_fit<Sp90SmemCfg>() && copies_fit<Sp90SmemInFlightCfg>(),
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
// Pins registers in program order around the wgmma protocol (an empty asm that reads and writes each one): see
// attention_sm90.cu. Here it keeps the accumulator reads below the last wait.
// Uses each register without defining it: keeps it alive (so not shared with values written meanwhile) and, unlike
// a read-write pin, is no "non-wgmma instruction defining a wgmma input" for ptxas, which would then serialize the
// wgmmas (C7513).
template <int N>
__device__ __forceinline__ void keep(const uint32_t (&r)[N]) {
#pragma unroll
  for (int i = 0; i < N; ++i) asm volatile("" ::"r"(r[i]) : "memory");
}
template <int N>
__device__ __forceinline__ void pin(float (&r)[N]) {
#pragma unroll
  for (int i = 0; i < N; ++i) asm volatile("" : "+f"(r[i])::"memory");
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

#pragma unroll
  for (int s = 0; s < C::PREFETCH; ++s) {
    if (s < KT) load_stage<C>(x, wv, meta, base, tid, s, s, m0, n0, Mp, KS, tokens, in);
    cp_async_commit();  // empty groups keep the wait_group arithmetic uniform
  }

  // Metadata registers, C::META_SETS sets used by turns. The first GPU run (2026-11-27) of the in-flight pipeline
  // with ONE set failed every case with more than one stage: a stage's metadata words were rewritten while the
  // previous stage's wgmma.sp group, still in flight, had yet to read them. Stage kt uses set kt % META_SETS; the
  // loop below is unrolled by META_SETS so the set index is a constant.
  uint32_t e[C::META_SETS][C::KSTEPS];
#pragma unroll
  for (int s = 0; s < C::META_SETS; ++s)
#pragma unroll
    for (int j = 0; j < C::KSTEPS; ++j) e[s][j] = kSp90PadMeta;
  for (int kt0 = 0; kt0 < KT; kt0 += C::META_SETS) {
#pragma unroll
    for (int par = 0; par < C::META_SETS; ++par) {
      const int kt = kt0 + par;
      if (kt >= KT) break;
      // Groups committed so far: stages 0 .. kt + PREFETCH - 1; stage kt is in when at most PREFETCH - 1 pend.
      cp_async_wait<C::PREFETCH - 1>();
      sm90::fence_proxy_async_smem();  // this thread's landed copies, visible to the async proxy (wgmma reads)
      // Everyone's copies of stage kt are visible; every warpgroup has waited (end of the previous stage) for the
      // MMAs of stage kt - 1 - MMA_IN_FLIGHT, whose slot is the one refilled now.
      __syncthreads();
      {
        const int nk = kt + C::PREFETCH;
        if (nk < KT) load_stage<C>(x, wv, meta, base, tid, nk, nk % C::STAGES, m0, n0, Mp, KS, tokens, in);
        cp_async_commit();
      }
      const int slot = kt % C::STAGES;
      const uint32_t xs = base + C::B_OFF + slot * C::B_STAGE_BYTES;
      const uint32_t as = base + C::A_OFF + slot * C::A_STAGE_BYTES;
      const uint32_t* es = reinterpret_cast<const uint32_t*>(smem + C::E_OFF + slot * C::E_STAGE_BYTES);

      // The stage's metadata words first (register inputs of the wgmmas), then wgmma.fence. Steps past KS and
      // 32-row blocks past Mp multiply zero-filled values and X with the legal kSp90PadMeta, which keeps control
      // flow out of the MMA sequence.
#pragma unroll
      for (int j = 0; j < C::KSTEPS; ++j) {
        const uint32_t w = es[meta_word + 32 * j];
        e[par][j] = rows_ok && kt * C::KSTEPS + j < KS ? w : kSp90PadMeta;
      }
      sm90::wgmma_fence();
#pragma unroll
      for (int j = 0; j < C::KSTEPS; ++j) {
        const uint64_t da = sm90::desc_sw128(as + sp90s_a_start<C>(wg, j));
        const uint64_t db = sm90::desc_sw128(xs + sp90s_b_start<C>(j));
        if constexpr (std::is_same<T, __nv_bfloat16>::value) {
          sm90::wgmma_sp_smem_a_m64n128k32_bf16<0>(acc, da, db, e[par][j], 1);
        } else {
          sm90::wgmma_sp_smem_a_m64n128k32_f16<0>(acc, da, db, e[par][j], 1);
        }
      }
      sm90::wgmma_commit();
      sm90::wgmma_wait<C::MMA_IN_FLIGHT>();  // stage kt-1's group is done: its slot may be refilled next stage
      // The set of stage kt - MMA_IN_FLIGHT, whose group the wait retired: live until here, so the sets in between
      // went to other registers.
      keep(e[(par + C::META_SETS - C::MMA_IN_FLIGHT) % C::META_SETS]);
    }
  }
  sm90::wgmma_wait<0>();  // the accumulators are read below
  pin(acc);
  cp_async_wait<0>();     // no copy may still target shared memory when the block exits

  // Accumulator i of lane l: W row sp90_acc_m, token sp90_acc_n (gemm_index.cuh); Y[token, row] (+ bias[row]).
#pragma unroll
  for (int i = 0; i < 64; ++i) {
    const int m = sp90_acc_m(m0, q, lane, i), n = sp90_acc_n(n0, lane, i);
    if (m < out && n < tokens) store_out(y + y_offset(n, m, out), acc[i] + (bias != nullptr ? bias[m] : 0.0f));
  }
#else
  // Built for an architecture without wgmma: the host side never launches this (sparse24_gemm_sm90 is only called
  // when sparse24_gemm_sm90_available(), and this file is built for the same architectures).
  __trap();
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

template <class T, class OutT>
cudaError_t launch(const void* x, const void* wv, const uint32_t* meta, const float* bias, void* y, int tokens,
                   int in, int out, bool in_flight, cudaStream_t stream) {
  if (in_flight) return launch_cfg<Sp90SmemInFlightCfg, T, OutT>(x, wv, meta, bias, y, tokens, in, out, stream);
  return launch_cfg<Sp90SmemCfg, T, OutT>(x, wv, meta, bias, y, tokens, in, out, stream);
}

}  // namespace

cudaError_t sparse24_gemm_sm90_smem_a(const void* x, int x_dtype, const void* gpu_values, const uint32_t* gpu_meta,
                                      const float* bias, void* y, int y_dtype, int64_t tokens, int64_t in,
                                      int64_t out, bool in_flight, cudaStream_t stream) {
  const int t = (int)tokens, k = (int)in, m = (int)out;  // ranges checked by the host caller
  const void* v = gpu_values;
  if (x_dtype == SK_DTYPE_BF16) {
    if (y_dtype == SK_DTYPE_F32) return launch<__nv_bfloat16, float>(x, v, gpu_meta, bias, y, t, k, m, in_flight, stream);
    return launch<__nv_bfloat16, __nv_bfloat16>(x, v, gpu_meta, bias, y, t, k, m, in_flight, stream);
  }
  if (y_dtype == SK_DTYPE_F32) return launch<__half, float>(x, v, gpu_meta, bias, y, t, k, m, in_flight, stream);
  return launch<__half, __half>(x, v, gpu_meta, bias, y, t, k, m, in_flight, stream);
}

}  // namespace skcuda
