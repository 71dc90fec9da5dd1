// sk_channel_stats_*: per-channel activation statistics (layout and formulas in sparsekernels.h). Every argument
// is checked here, on the host, before anything reaches CUDA.
#include "sk_internal.h"

#ifdef SK_WITH_CUDA
#include <cuda_runtime_api.h>

#include "channel_launch.cuh"
#endif

namespace {

// The update kernel indexes channels with a 64-bit column and puts channels / 32 blocks on grid.x.
constexpr int64_t kMaxChannels = INT32_MAX;

bool aligned(const void* p, unsigned a) { return ((uintptr_t)p & (a - 1)) == 0; }

int check_state(const char* fn, const char* name, const void* state, int64_t channels) {
  if (state == nullptr) return sk::fail(SK_ERR_INVALID_ARGUMENT, "%s: %s is NULL", fn, name);
  if (!aligned(state, 8))
    return sk::fail(SK_ERR_INVALID_ARGUMENT, "%s: %s must be 8-byte aligned (float64), got %p", fn, name, state);
  if (channels <= 0 || channels > kMaxChannels)
    return sk::fail(SK_ERR_INVALID_ARGUMENT, "%s: channels must be in [1, %lld], got %lld", fn,
                    (long long)kMaxChannels, (long long)channels);
  return SK_OK;
}

}  // namespace

SK_EXPORT int sk_channel_stats_reset(double* state, int64_t channels, void* stream) {
  const char* fn = "sk_channel_stats_reset";
  int rc = check_state(fn, "state", state, channels);
  if (rc != SK_OK) return rc;
#ifdef SK_WITH_CUDA
  cudaError_t e = cudaMemsetAsync(state, 0, (size_t)channels * 3 * sizeof(double), (cudaStream_t)stream);
  if (e != cudaSuccess) return sk::cuda_fail(e, "sk_channel_stats_reset: cudaMemsetAsync");
  return SK_OK;
#else
  (void)stream;
  return sk::no_cuda(fn);
#endif
}

SK_EXPORT int sk_channel_stats_update(const void* x, int x_dtype, int64_t samples, int64_t channels, double* state,
                                      void* stream) {
  const char* fn = "sk_channel_stats_update";
  if (x == nullptr) return sk::fail(SK_ERR_INVALID_ARGUMENT, "%s: x is NULL", fn);
  if (x_dtype != SK_DTYPE_F32 && x_dtype != SK_DTYPE_F16 && x_dtype != SK_DTYPE_BF16)
    return sk::fail(SK_ERR_INVALID_ARGUMENT, "%s: x_dtype must be F32 (0), F16 (1) or BF16 (2), got %d (%s)", fn,
                    x_dtype, sk::dtype_name(x_dtype));
  if (samples <= 0) return sk::fail(SK_ERR_INVALID_ARGUMENT, "%s: samples must be >= 1, got %lld", fn, (long long)samples);
  int rc = check_state(fn, "state", state, channels);
  if (rc != SK_OK) return rc;
  if (samples > (int64_t)(sk::kMaxBytes / 4) / channels)
    return sk::fail(SK_ERR_INVALID_ARGUMENT, "%s: samples * channels overflows (samples %lld, channels %lld)", fn,
                    (long long)samples, (long long)channels);
  const unsigned esz = x_dtype == SK_DTYPE_F32 ? 4u : 2u;
  if (!aligned(x, esz))
    return sk::fail(SK_ERR_INVALID_ARGUMENT, "%s: x must be %u-byte aligned (%s), got %p", fn, esz,
                    sk::dtype_name(x_dtype), x);
#ifdef SK_WITH_CUDA
  cudaError_t e = skcuda::channel_stats_update(x, x_dtype, samples, channels, state, (cudaStream_t)stream);
  if (e != cudaSuccess) return sk::cuda_fail(e, "sk_channel_stats_update: kernel launch");
  return SK_OK;
#else
  (void)stream;
  return sk::no_cuda(fn);
#endif
}

SK_EXPORT int sk_channel_stats_merge(double* state, const double* other, int64_t channels, void* stream) {
  const char* fn = "sk_channel_stats_merge";
  int rc = check_state(fn, "state", state, channels);
  if (rc != SK_OK) return rc;
  rc = check_state(fn, "other", other, channels);
  if (rc != SK_OK) return rc;
  // Partial overlap would make channel j read values another thread already replaced; identical is fine.
  const uintptr_t a = (uintptr_t)state, b = (uintptr_t)other, bytes = (uintptr_t)channels * 3 * sizeof(double);
  if (a != b && a < b + bytes && b < a + bytes)
    return sk::fail(SK_ERR_INVALID_ARGUMENT, "%s: state %p and other %p overlap without being the same state", fn,
                    (const void*)state, (const void*)other);
#ifdef SK_WITH_CUDA
  cudaError_t e = skcuda::channel_stats_merge(state, other, channels, (cudaStream_t)stream);
  if (e != cudaSuccess) return sk::cuda_fail(e, "sk_channel_stats_merge: kernel launch");
  return SK_OK;
#else
  (void)stream;
  return sk::no_cuda(fn);
#endif
}

SK_EXPORT int sk_channel_stats_finalize(const double* state, int64_t channels, float* mean, float* variance,
                                        float* mean_square, void* stream) {
  const char* fn = "sk_channel_stats_finalize";
  int rc = check_state(fn, "state", state, channels);
  if (rc != SK_OK) return rc;
  if (mean == nullptr && variance == nullptr && mean_square == nullptr)
    return sk::fail(SK_ERR_INVALID_ARGUMENT, "%s: mean, variance and mean_square are all NULL (nothing to write)", fn);
  if (!aligned(mean, 4) || !aligned(variance, 4) || !aligned(mean_square, 4))
    return sk::fail(SK_ERR_INVALID_ARGUMENT, "%s: mean, variance and mean_square must be 4-byte aligned (float32)", fn);
#ifdef SK_WITH_CUDA
  cudaError_t e = skcuda::channel_stats_finalize(state, channels, mean, variance, mean_square, (cudaStream_t)stream);
  if (e != cudaSuccess) return sk::cuda_fail(e, "sk_channel_stats_finalize: kernel launch");
  return SK_OK;
#else
  (void)stream;
  return sk::no_cuda(fn);
#endif
}
