// Epilogue shared by the GEMM kernels: bias add, conversion to the output dtype and guarded stores.
// The kernels compute Y^T tiles (rows = out features m, cols = tokens n), so accumulator (m, n) goes to
// y[n * out + m]; for one mma the 8 lanes with equal t write 8 consecutive m of one token row (32 B for f32).
#pragma once
#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <stdint.h>

#include "gemm_index.cuh"

namespace skcuda {

__device__ __forceinline__ void store_out(float* p, float v) { *p = v; }
__device__ __forceinline__ void store_out(__half* p, float v) { *p = __float2half_rn(v); }
__device__ __forceinline__ void store_out(__nv_bfloat16* p, float v) { *p = __float2bfloat16_rn(v); }

// One m16n8 f32 accumulator fragment c[4] of the tile whose top-left is (m_tile, n_tile):
// c0 = (g, 2t), c1 = (g, 2t+1), c2 = (g+8, 2t), c3 = (g+8, 2t+1).
template <class OutT>
__device__ __forceinline__ void store_fragment(OutT* __restrict__ y, const float* __restrict__ bias,
                                               const float (&c)[4], int m_tile, int n_tile, int out, int tokens,
                                               int lane) {
#pragma unroll
  for (int h = 0; h < 2; ++h) {
    const int m = m_tile + frag_row(lane, 2 * h);
    if (m >= out) continue;  // rows Mp-padding of W: Y has only `out` columns
    const float b = bias != nullptr ? __ldg(bias + m) : 0.0f;
#pragma unroll
    for (int j = 0; j < 2; ++j) {
      const int n = n_tile + frag_col(lane, 2 * h + j);
      if (n < tokens) store_out(y + y_offset(n, m, out), c[2 * h + j] + b);
    }
  }
}

}  // namespace skcuda
