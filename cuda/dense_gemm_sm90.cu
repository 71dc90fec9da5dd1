// Hopper dense GEMM on warpgroup MMAs (wgmma, sm_90a): Y[tokens, out] = X[tokens, in] . W^T + bias, the contract of
// sk_dense_gemm, which runs it on sm_90 above 64 tokens (verified on an H100 and an H200, 2026-11-26: 2.3-2.6x our
// mma.sync kernel at 4096^3, still ~0.55x cuBLAS; sk_gpu_sm90_selftest checks and times it).
//
//   Block tile 128 tokens x 128 out x 64 k, two warpgroups (256 threads), each one m64n128k16 accumulator tile
//   (64 f32 per thread). A = X rows and B = W rows are both K-major, exactly the layouts wgmma reads without a
//   transpose; they are copied with cp.async into 128-byte-swizzled tiles (16 KB each), 3 stages (96 KB dynamic
//   shared memory). The result comes out row-major [tokens, out], so the epilogue writes Y directly.
//   Two versions (INFLIGHT): every k-tile waits for its MMAs before the slot is refilled (3 stages), or one MMA group
//   stays in flight (4 stages); dense_gemm_sm90 picks by grid size. Copies, not TMA, feed shared memory.
#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_runtime.h>
#include <stdint.h>

#include <type_traits>

#include "cp_async.cuh"
#include "epilogue.cuh"
#include "sk_launch.h"
#include "sparsekernels.h"
#include "sm90_support.cuh"
#include "wgmma.cuh"

namespace skcuda {
namespace {

constexpr int BM = 128;  // tokens per block (two warpgroups of 64)
constexpr int BN = 128;  // out features per block
constexpr int BK = 64;   // k per stage: one 128-byte swizzle row of 16-bit elements
// STAGES(INFLIGHT): INFLIGHT 0 drains its MMAs every k-tile with 3 stages (97 KB: two blocks per SM); INFLIGHT 1
// keeps one wgmma group in flight and takes a 4th stage (129 KB, one block per SM) so the prefetch distance stays 2.
constexpr int stages_for(int inflight) { return 3 + inflight; }
constexpr int THREADS = 256;
constexpr int TILE_BYTES = BM * BK * 2;  // 16 KB, same for A and B (BM == BN)
constexpr int STAGE_BYTES = 2 * TILE_BYTES;
constexpr int smem_bytes(int inflight) { return stages_for(inflight) * STAGE_BYTES + 1024; }  // + alignment slack

template <class T, class OutT, int INFLIGHT>
__global__ void __launch_bounds__(THREADS, 1)
    dense_gemm_sm90_kernel(const T* __restrict__ x, const T* __restrict__ w, const float* __restrict__ bias,
                           OutT* __restrict__ y, int tokens, int in, int out) {
#if SK_SM90A
  constexpr int STAGES = stages_for(INFLIGHT);
  constexpr int PREFETCH = STAGES - 1 - INFLIGHT;  // the slot refilled at tile kt is tile kt-1-INFLIGHT's
  extern __shared__ uint8_t smem_raw[];
  const uint32_t base = (smem_u32(smem_raw) + 1023u) & ~1023u;  // swizzle atoms need 1024-byte alignment
  const int tid = threadIdx.x;
  const int m0 = blockIdx.y * BM, n0 = blockIdx.x * BN;
  const int KT = (in + BK - 1) / BK;

  // Stage s: A tile (X rows m0..m0+127) at base + s * STAGE_BYTES, B tile (W rows n0..n0+127) TILE_BYTES after.
  // 128 rows x 8 chunks of 16 B per tile; rows or k past the matrix are zero-filled (in % 8 == 0, so a chunk is
  // wholly inside or outside).
  auto load_stage = [&](int kt, int slot) {
    const uint32_t sa = base + slot * STAGE_BYTES, sb = sa + TILE_BYTES;
#pragma unroll
    for (int i = 0; i < (2 * BM * 8) / THREADS; ++i) {
      const int c = tid + i * THREADS;
      const int tile = c / (BM * 8);  // 0: A, 1: B
      const int row = (c / 8) % BM, chunk = c % 8;
      const int k = kt * BK + chunk * 8;
      if (tile == 0) {
        const bool ok = m0 + row < tokens && k < in;
        cp_async16(sa + sm90::swizzle128(row, chunk), ok ? x + (size_t)(m0 + row) * in + k : x, ok);
      } else {
        const bool ok = n0 + row < out && k < in;
        cp_async16(sb + sm90::swizzle128(row, chunk), ok ? w + (size_t)(n0 + row) * in + k : w, ok);
      }
    }
  };

  float acc[64];
#pragma unroll
  for (int i = 0; i < 64; ++i) acc[i] = 0.0f;

#pragma unroll
  for (int s = 0; s < PREFETCH; ++s) {
    if (s < KT) load_stage(s, s);
    cp_async_commit();
  }

  const int wg = tid / 128;  // warpgroup: rows 64 * wg .. of the block tile
  for (int kt = 0; kt < KT; ++kt) {
    cp_async_wait<PREFETCH - 1>();  // this thread's copies of tile kt have landed
    sm90::fence_proxy_async_smem();
    // Everyone's copies of tile kt are visible, and tile kt-1-INFLIGHT's MMAs are done (waited below): its slot is
    // the one refilled now.
    __syncthreads();
    const int next = kt + PREFETCH;
    if (next < KT) load_stage(next, next % STAGES);
    cp_async_commit();

    const uint32_t sa = base + (kt % STAGES) * STAGE_BYTES + wg * (64 * 128);
    const uint32_t sb = base + (kt % STAGES) * STAGE_BYTES + TILE_BYTES;
    sm90::wgmma_fence();
#pragma unroll
    for (int ks = 0; ks < BK / 16; ++ks) {
      const uint64_t da = sm90::desc_sw128(sa + ks * 32), db = sm90::desc_sw128(sb + ks * 32);
      if constexpr (std::is_same<T, __nv_bfloat16>::value) {
        sm90::wgmma_m64n128k16_bf16(acc, da, db, 1);
      } else {
        sm90::wgmma_m64n128k16_f16(acc, da, db, 1);
      }
    }
    sm90::wgmma_commit();
    sm90::wgmma_wait<INFLIGHT>();
  }
  sm90::wgmma_wait<0>();
  cp_async_wait<0>();

  // Accumulator i of lane l in warp w (of the warpgroup): row 16 w + l / 4 + 8 ((i / 2) % 2), column
  // 8 (i / 4) + 2 (l % 4) + i % 2: the mma.sync m16n8 C layout repeated over the 16 n8 column groups.
  const int lane = tid & 31, warp = (tid / 32) & 3;
#pragma unroll
  for (int i = 0; i < 64; ++i) {
    const int row = m0 + wg * 64 + warp * 16 + lane / 4 + 8 * ((i >> 1) & 1);
    const int col = n0 + 8 * (i >> 2) + 2 * (lane & 3) + (i & 1);
    if (row < tokens && col < out) {
      store_out(y + (size_t)row * out + col, acc[i] + (bias != nullptr ? bias[col] : 0.0f));
    }
  }
#else
  // Built for an architecture without wgmma: the host side never launches this (see dense_gemm_sm90_available).
  __trap();
#endif
}

template <class T, class OutT, int INFLIGHT>
cudaError_t launch(const void* x, const void* w, const float* bias, void* y, int64_t tokens, int64_t in,
                   int64_t out, cudaStream_t stream) {
  auto kernel = dense_gemm_sm90_kernel<T, OutT, INFLIGHT>;
  constexpr int SMEM_BYTES = smem_bytes(INFLIGHT);
  cudaError_t e = cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, SMEM_BYTES);
  if (e != cudaSuccess) return e;
  dim3 grid((unsigned)((out + BN - 1) / BN), (unsigned)((tokens + BM - 1) / BM));
  kernel<<<grid, THREADS, SMEM_BYTES, stream>>>((const T*)x, (const T*)w, bias, (OutT*)y, (int)tokens, (int)in,
                                                (int)out);
  return cudaGetLastError();
}

}  // namespace

bool dense_gemm_sm90_available() {
  static Sm90Cache cache;
  return sm90a_code_runs(dense_gemm_sm90_kernel<__nv_bfloat16, float, 0>, cache);
}

template <int INFLIGHT>
cudaError_t dense_gemm_sm90_dtypes(const void* x, int x_dtype, const void* w, const float* bias, void* y,
                                   int y_dtype, int64_t tokens, int64_t in, int64_t out, cudaStream_t stream) {
  if (x_dtype == SK_DTYPE_BF16) {
    if (y_dtype == SK_DTYPE_F32) return launch<__nv_bfloat16, float, INFLIGHT>(x, w, bias, y, tokens, in, out, stream);
    return launch<__nv_bfloat16, __nv_bfloat16, INFLIGHT>(x, w, bias, y, tokens, in, out, stream);
  }
  if (y_dtype == SK_DTYPE_F32) return launch<__half, float, INFLIGHT>(x, w, bias, y, tokens, in, out, stream);
  return launch<__half, __half, INFLIGHT>(x, w, bias, y, tokens, in, out, stream);
}

cudaError_t dense_gemm_sm90(const void* x, int x_dtype, const void* w, const float* bias, void* y, int y_dtype,
                            int64_t tokens, int64_t in, int64_t out, bool experimental, cudaStream_t stream) {
  // One MMA group in flight (4 stages, 1 block per SM) beats draining every k-tile (3 stages, 2 blocks per SM) when
  // the grid is at most one wave: measured on an H200 (2026-11-26, f16): 512 x 4096 x 4096 0.066 vs 0.075 ms,
  // 128 x 4096 x 4096 0.061 vs 0.070 ms; at 4096^3 (8 waves) 0.448 vs 0.361 ms. Experimental mode: always in flight.
  const int64_t blocks = ((out + BN - 1) / BN) * ((tokens + BM - 1) / BM);
  if (experimental || blocks <= sm_count())
    return dense_gemm_sm90_dtypes<1>(x, x_dtype, w, bias, y, y_dtype, tokens, in, out, stream);
  return dense_gemm_sm90_dtypes<0>(x, x_dtype, w, bias, y, y_dtype, tokens, in, out, stream);
}

}  // namespace skcuda
