// Per-channel activation statistics (sk_channel_stats_*): state layout and formulas in sparsekernels.h.
//   update:   one block per 32 channels (32 x 16 threads), each block reads its 32 columns of the whole batch, so
//             no cross-block merge and no workspace: thread (tx, ty) sums rows ty, ty + 16, ... of channel tx in
//             float64 (shift K = the batch's first row), the 16 partial sums are added in a fixed order, and one
//             thread per channel Chan-merges the batch into the state. Deterministic; reads are coalesced along
//             the channel dimension (32 consecutive elements per warp and row).
//   merge / finalize: one thread per channel.
// Not a bandwidth-critical kernel (calibration runs once per model); kept obviously right.
#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_runtime.h>
#include <stdint.h>

#include "channel_launch.cuh"
#include "sparsekernels.h"

namespace skcuda {
namespace {

constexpr int kStatsCols = 32;  // channels per block (threadIdx.x)
constexpr int kStatsRows = 16;  // row lanes per block (threadIdx.y)
constexpr int kPerChannelThreads = 256;

// Element loads widened to f32 (exact for all three types), through the raw bits: no __half / __nv_bfloat16 object
// copies (which cost a stack frame here).
__device__ __forceinline__ float load_f32(const float* p) { return __ldg(p); }
__device__ __forceinline__ float load_f32(const __half* p) {
  return __half2float(__ushort_as_half(__ldg(reinterpret_cast<const unsigned short*>(p))));
}
__device__ __forceinline__ float load_f32(const __nv_bfloat16* p) {
  return __uint_as_float((unsigned)__ldg(reinterpret_cast<const unsigned short*>(p)) << 16);
}

struct Moments {
  double n, mean, m2;
};

// Chan et al. merge, exactly as written in sparsekernels.h; explicit round-to-nearest operations keep the compiler
// from contracting into FMAs, so a CPU twin evaluating the same expression gets the same bits.
__device__ __forceinline__ Moments chan_merge(Moments a, Moments b) {
  if (b.n == 0.0) return a;
  if (a.n == 0.0) return b;
  const double n = __dadd_rn(a.n, b.n);
  const double d = __dsub_rn(b.mean, a.mean);
  const double fb = __ddiv_rn(b.n, n);
  const double cross = __ddiv_rn(__dmul_rn(a.n, b.n), n);
  const double mean = __dadd_rn(a.mean, __dmul_rn(d, fb));
  const double m2 = __dadd_rn(a.m2, __dadd_rn(b.m2, __dmul_rn(__dmul_rn(d, d), cross)));
  return {n, mean, m2};
}

__device__ __forceinline__ Moments load_state(const double* s, int64_t channels, int64_t j) {
  return {s[j], s[channels + j], s[2 * channels + j]};
}

__device__ __forceinline__ void store_state(double* s, int64_t channels, int64_t j, Moments m) {
  s[j] = m.n;
  s[channels + j] = m.mean;
  s[2 * channels + j] = m.m2;
}

template <class T>
__global__ void __launch_bounds__(kStatsCols* kStatsRows)
    stats_update_kernel(const T* __restrict__ x, int64_t samples, int64_t channels, double* __restrict__ state) {
  __shared__ double s1s[kStatsRows][kStatsCols + 1];
  __shared__ double s2s[kStatsRows][kStatsCols + 1];
  const int tx = threadIdx.x, ty = threadIdx.y;
  const int64_t j = (int64_t)blockIdx.x * kStatsCols + tx;
  double s1 = 0.0, s2 = 0.0;
  if (j < channels) {
    const double k = (double)load_f32(x + j);
    const T* col = x + j;
    int64_t r = ty;
    // Four rows in flight per thread, then the tail.
    for (; r + 3 * kStatsRows < samples; r += 4 * kStatsRows) {
      const float v0 = load_f32(col + r * channels);
      const float v1 = load_f32(col + (r + kStatsRows) * channels);
      const float v2 = load_f32(col + (r + 2 * kStatsRows) * channels);
      const float v3 = load_f32(col + (r + 3 * kStatsRows) * channels);
      const double d0 = (double)v0 - k, d1 = (double)v1 - k, d2 = (double)v2 - k, d3 = (double)v3 - k;
      s1 += d0;
      s2 += d0 * d0;
      s1 += d1;
      s2 += d1 * d1;
      s1 += d2;
      s2 += d2 * d2;
      s1 += d3;
      s2 += d3 * d3;
    }
    for (; r < samples; r += kStatsRows) {
      const double d = (double)load_f32(col + r * channels) - k;
      s1 += d;
      s2 += d * d;
    }
  }
  s1s[ty][tx] = s1;
  s2s[ty][tx] = s2;
  __syncthreads();
  if (ty == 0 && j < channels) {
    double S1 = 0.0, S2 = 0.0;
#pragma unroll
    for (int i = 0; i < kStatsRows; ++i) {
      S1 += s1s[i][tx];
      S2 += s2s[i][tx];
    }
    const double nb = (double)samples;
    const double k = (double)load_f32(x + j);
    const double m2 = S2 - S1 * S1 / nb;
    const Moments b{nb, k + S1 / nb, m2 > 0.0 ? m2 : 0.0};
    store_state(state, channels, j, chan_merge(load_state(state, channels, j), b));
  }
}

__global__ void __launch_bounds__(kPerChannelThreads)
    stats_merge_kernel(double* state, const double* other, int64_t channels) {
  const int64_t j = (int64_t)blockIdx.x * kPerChannelThreads + threadIdx.x;
  if (j >= channels) return;
  const Moments a = load_state(state, channels, j), b = load_state(other, channels, j);
  store_state(state, channels, j, chan_merge(a, b));
}

__global__ void __launch_bounds__(kPerChannelThreads)
    stats_finalize_kernel(const double* __restrict__ state, int64_t channels, float* __restrict__ mean,
                          float* __restrict__ variance, float* __restrict__ mean_square) {
  const int64_t j = (int64_t)blockIdx.x * kPerChannelThreads + threadIdx.x;
  if (j >= channels) return;
  const Moments m = load_state(state, channels, j);
  float mu = __int_as_float(0x7fc00000), var = mu, msq = mu;  // NaN for an empty channel
  if (m.n > 0.0) {
    const double v = m.m2 / m.n;
    mu = (float)m.mean;
    var = (float)v;
    msq = (float)(v + m.mean * m.mean);
  }
  if (mean) mean[j] = mu;
  if (variance) variance[j] = var;
  if (mean_square) mean_square[j] = msq;
}

unsigned per_channel_blocks(int64_t channels) {
  return (unsigned)((channels + kPerChannelThreads - 1) / kPerChannelThreads);
}

}  // namespace

cudaError_t channel_stats_update(const void* x, int x_dtype, int64_t samples, int64_t channels, double* state,
                                 cudaStream_t stream) {
  const dim3 grid((unsigned)((channels + kStatsCols - 1) / kStatsCols)), block(kStatsCols, kStatsRows);
  switch (x_dtype) {
    case SK_DTYPE_F32:
      stats_update_kernel<float><<<grid, block, 0, stream>>>(static_cast<const float*>(x), samples, channels, state);
      break;
    case SK_DTYPE_F16:
      stats_update_kernel<__half><<<grid, block, 0, stream>>>(static_cast<const __half*>(x), samples, channels, state);
      break;
    default:
      stats_update_kernel<__nv_bfloat16><<<grid, block, 0, stream>>>(static_cast<const __nv_bfloat16*>(x), samples,
                                                                     channels, state);
      break;
  }
  return cudaGetLastError();
}

cudaError_t channel_stats_merge(double* state, const double* other, int64_t channels, cudaStream_t stream) {
  stats_merge_kernel<<<per_channel_blocks(channels), kPerChannelThreads, 0, stream>>>(state, other, channels);
  return cudaGetLastError();
}

cudaError_t channel_stats_finalize(const double* state, int64_t channels, float* mean, float* variance,
                                   float* mean_square, cudaStream_t stream) {
  stats_finalize_kernel<<<per_channel_blocks(channels), kPerChannelThreads, 0, stream>>>(state, channels, mean,
                                                                                          variance, mean_square);
  return cudaGetLastError();
}

}  // namespace skcuda
