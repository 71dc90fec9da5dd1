// Host-callable entry points of the channel kernels (cuda/channel_stats.cu, cuda/channel_gather.cu), called by
// native/src/channels_stats.cpp and channels_gather.cpp after they validated every argument. Plain C++ with CUDA
// runtime types only (included by host code). Layouts and formulas: sparsekernels.h, "structured channel removal".
#ifndef SK_CHANNEL_LAUNCH_H
#define SK_CHANNEL_LAUNCH_H

#include <cuda_runtime_api.h>
#include <stdint.h>

namespace skcuda {

// Folds x [samples, channels] (x_dtype F32/F16/BF16) into state [3 * channels] doubles.
cudaError_t channel_stats_update(const void* x, int x_dtype, int64_t samples, int64_t channels, double* state,
                                 cudaStream_t stream);

// state <- merge(state, other).
cudaError_t channel_stats_merge(double* state, const double* other, int64_t channels, cudaStream_t stream);

// mean / variance / mean_square [channels] f32 (each may be NULL).
cudaError_t channel_stats_finalize(const double* state, int64_t channels, float* mean, float* variance,
                                   float* mean_square, cudaStream_t stream);

// dst [count, cols] = src [rows, cols] rows idx; elem_bytes 2 or 4.
cudaError_t gather_rows(const void* src, int elem_bytes, int64_t rows, int64_t cols, const int64_t* idx,
                        int64_t count, void* dst, cudaStream_t stream);

// dst [rows, count] = src [rows, cols] columns idx; elem_bytes 2 or 4. experimental: the PLANNED kernel (capped grid,
// per-lane offsets in registers, direct 16-byte copies for tiles of aligned runs; not yet run on a GPU).
cudaError_t gather_cols(const void* src, int elem_bytes, int64_t rows, int64_t cols, const int64_t* idx,
                        int64_t count, void* dst, bool experimental, cudaStream_t stream);

}  // namespace skcuda

#endif
