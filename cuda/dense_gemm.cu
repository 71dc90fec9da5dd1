// Dense twin of the 2:4 GEMM: Y[tokens, out] = X[tokens, in] . W^T + bias with W dense [out, in] (x dtype).
// Same orientation as the sparse kernel (block tile of Y^T = W . X^T, A = W rows, B = X rows = "N x K"), with
// mma.sync m16n8k16. Correctness first: one tile shape for all token counts and archs.
//   Block 64 out x 64 tokens, 4 warps as 2x2, each 32x32 (2 m16 x 4 n8 tiles, 32 f32 accumulators);
//   k32 per stage, 3-stage cp.async ring (30 KB static smem), rows padded by 16 B (80 B pitch: conflict-free
//   ldmatrix phases, 16-byte aligned rows). W has exactly `out` rows here, so rows >= out are zero-filled too.
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

// Tile shape and all index arithmetic: DnCfg and dn_* in gemm_index.cuh (shared with the CPU emulator test).
using C = DnCfg;

template <class T, class OutT>
__global__ void __launch_bounds__(C::THREADS)
    dense_gemm_kernel(const T* __restrict__ x, const T* __restrict__ w, const float* __restrict__ bias,
                      OutT* __restrict__ y, int tokens, int in, int out) {
  __shared__ __align__(16) T sA[C::STAGES][C::STAGE];
  __shared__ __align__(16) T sB[C::STAGES][C::STAGE];

  const int m0 = blockIdx.x * C::BM, n0 = blockIdx.y * C::BN;
  const int tid = threadIdx.x, lane = tid & 31, warp = tid >> 5;
  const int wm = warp & 1, wn = warp >> 1;
  const int KT = (in + C::BK - 1) / C::BK;

  // 64 rows x 4 chunks of 16 B for each operand: 2 chunks per thread each. k >= in and rows/tokens past the
  // end are zero-filled (in % 8 == 0: a chunk is entirely inside or outside).
  auto load_stage = [&](int kt, int slot) {
#pragma unroll
    for (int c = tid; c < C::COPIES; c += C::THREADS) {
      const CopyPlan pa = dn_copy(c, m0, kt, out, in);
      cp_async16(smem_u32(&sA[slot][pa.dst]), w + pa.src, pa.ok);
      const CopyPlan pb = dn_copy(c, n0, kt, tokens, in);
      cp_async16(smem_u32(&sB[slot][pb.dst]), x + pb.src, pb.ok);
    }
  };

  float acc[2][4][4];
#pragma unroll
  for (int i = 0; i < 2; ++i)
#pragma unroll
    for (int j = 0; j < 4; ++j)
#pragma unroll
      for (int r = 0; r < 4; ++r) acc[i][j][r] = 0.0f;

#pragma unroll
  for (int st = 0; st < C::STAGES - 1; ++st) {
    if (st < KT) load_stage(st, st);
    cp_async_commit();
  }

  for (int kt = 0; kt < KT; ++kt) {
    cp_async_wait<C::STAGES - 2>();
    __syncthreads();
    const int nk = kt + C::STAGES - 1;
    if (nk < KT) load_stage(nk, nk % C::STAGES);
    cp_async_commit();

    const int slot = kt % C::STAGES;
#pragma unroll
    for (int kk = 0; kk < C::BK / 16; ++kk) {
      uint32_t a[2][4];
#pragma unroll
      for (int i = 0; i < 2; ++i) ldmatrix_x4(a[i], smem_u32(&sA[slot][dn_ldsm_a(wm, i, kk, lane)]));
#pragma unroll
      for (int np = 0; np < 2; ++np) {
        uint32_t b[4];
        ldmatrix_x4(b, smem_u32(&sB[slot][dn_ldsm_b(wn, np, kk, lane)]));
        const uint32_t b0[2] = {b[0], b[1]}, b1[2] = {b[2], b[3]};
#pragma unroll
        for (int i = 0; i < 2; ++i) {
          mma_m16n8k16<T>(acc[i][2 * np], a[i], b0);
          mma_m16n8k16<T>(acc[i][2 * np + 1], a[i], b1);
        }
      }
    }
  }

#pragma unroll
  for (int i = 0; i < 2; ++i)
#pragma unroll
    for (int nt = 0; nt < 4; ++nt)
      store_fragment(y, bias, acc[i][nt], m0 + wm * 32 + i * 16, n0 + wn * 32 + nt * 8, out, tokens, lane);
}

template <class T, class OutT>
cudaError_t launch(const void* x, const void* w, const float* bias, void* y, int tokens, int in, int out,
                   cudaStream_t stream) {
  int64_t gx, gy;
  dn_grid(tokens, out, gx, gy);
  dim3 grid((unsigned)gx, (unsigned)gy);
  dense_gemm_kernel<T, OutT><<<grid, C::THREADS, 0, stream>>>(static_cast<const T*>(x), static_cast<const T*>(w), bias,
                                                            static_cast<OutT*>(y), tokens, in, out);
  return cudaGetLastError();
}

}  // namespace

int64_t dense_max_tokens() { return kDnMaxTokens; }

cudaError_t dense_gemm(const void* x, int x_dtype, const void* w, const float* bias, void* y, int y_dtype,
                       int64_t tokens, int64_t in, int64_t out, cudaStream_t stream) {
  const int t = (int)tokens, k = (int)in, m = (int)out;  // ranges checked by the host caller
  if (x_dtype == SK_DTYPE_F16) {
    if (y_dtype == SK_DTYPE_F32) return launch<__half, float>(x, w, bias, y, t, k, m, stream);
    return launch<__half, __half>(x, w, bias, y, t, k, m, stream);
  }
  if (y_dtype == SK_DTYPE_F32) return launch<__nv_bfloat16, float>(x, w, bias, y, t, k, m, stream);
  return launch<__nv_bfloat16, __nv_bfloat16>(x, w, bias, y, t, k, m, stream);
}

}  // namespace skcuda
