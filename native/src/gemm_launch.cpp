// sk_sparse24_gemm / sk_dense_gemm: every argument is checked here, on the host, before anything reaches CUDA.
#include "sk_internal.h"

#ifdef SK_WITH_CUDA
#include "sk_launch.h"
#endif

namespace {

// Kernels index rows/cols with 32-bit ints (products in 64 bits); 2^30 keeps round-ups far from overflow.
constexpr int64_t kMaxGemmDim = (int64_t)1 << 30;

bool aligned16(const void* p) { return ((uintptr_t)p & 15u) == 0; }

// Token counts above which the Hopper kernels take over (their tiles are 128 tokens; at 64 and below the
// mma.sync configurations with 8/16/64-token tiles waste less).
constexpr int64_t kHopperMinTokens = 65;

#ifdef SK_WITH_CUDA
bool hopper_on() { return sk::hopper_mode() != SK_HOPPER_OFF; }
#endif

int check_common(const char* fn, const void* x, int x_dtype, const void* w, const char* w_name, const float* bias,
                 const void* y, int y_dtype, int64_t tokens, int64_t in, int64_t out) {
  if (x == nullptr) return sk::fail(SK_ERR_INVALID_ARGUMENT, "%s: x is NULL", fn);
  if (w == nullptr) return sk::fail(SK_ERR_INVALID_ARGUMENT, "%s: %s is NULL", fn, w_name);
  if (y == nullptr) return sk::fail(SK_ERR_INVALID_ARGUMENT, "%s: y is NULL", fn);
  if (tokens <= 0) return sk::fail(SK_ERR_INVALID_ARGUMENT, "%s: tokens must be >= 1, got %lld", fn, (long long)tokens);
  if (in <= 0) return sk::fail(SK_ERR_INVALID_ARGUMENT, "%s: in must be >= 1, got %lld", fn, (long long)in);
  if (out <= 0) return sk::fail(SK_ERR_INVALID_ARGUMENT, "%s: out must be >= 1, got %lld", fn, (long long)out);
  if (in % 8 != 0)
    return sk::fail(SK_ERR_INVALID_ARGUMENT, "%s: in must be a multiple of 8, got %lld", fn, (long long)in);
  if (in > kMaxGemmDim || out > kMaxGemmDim)
    return sk::fail(SK_ERR_UNSUPPORTED, "%s: in and out must be <= %lld, got in=%lld out=%lld", fn,
                    (long long)kMaxGemmDim, (long long)in, (long long)out);
  if (x_dtype != SK_DTYPE_F16 && x_dtype != SK_DTYPE_BF16)
    return sk::fail(SK_ERR_INVALID_ARGUMENT, "%s: x_dtype must be F16 (1) or BF16 (2), got %d (%s)", fn, x_dtype,
                    sk::dtype_name(x_dtype));
  if (y_dtype != SK_DTYPE_F32 && y_dtype != x_dtype)
    return sk::fail(SK_ERR_INVALID_ARGUMENT, "%s: y_dtype must be F32 (0) or x_dtype %s (%d), got %d (%s)", fn,
                    sk::dtype_name(x_dtype), x_dtype, y_dtype, sk::dtype_name(y_dtype));
  // The kernels stage X and W through cp.async 16-byte copies; cudaMalloc pointers are 256-byte aligned, so
  // only an offset view can trip this.
  if (!aligned16(x)) return sk::fail(SK_ERR_INVALID_ARGUMENT, "%s: x must be 16-byte aligned, got %p", fn, x);
  if (!aligned16(w)) return sk::fail(SK_ERR_INVALID_ARGUMENT, "%s: %s must be 16-byte aligned, got %p", fn, w_name, w);
  if (((uintptr_t)bias & 3u) != 0) return sk::fail(SK_ERR_INVALID_ARGUMENT, "%s: bias must be 4-byte aligned", fn);
  unsigned y_align = y_dtype == SK_DTYPE_F32 ? 4u : 2u;
  if (((uintptr_t)y & (y_align - 1)) != 0)
    return sk::fail(SK_ERR_INVALID_ARGUMENT, "%s: y must be %u-byte aligned, got %p", fn, y_align, y);
  return SK_OK;
}

// check_common plus the metadata pointer: the sk_sparse24_gemm contract, shared with its Hopper twin.
int check_sparse24(const char* fn, const void* x, int x_dtype, const void* gpu_values, const uint32_t* gpu_meta,
                   const float* bias, const void* y, int y_dtype, int64_t tokens, int64_t in, int64_t out) {
  int rc = check_common(fn, x, x_dtype, gpu_values, "gpu_values", bias, y, y_dtype, tokens, in, out);
  if (rc != SK_OK) return rc;
  if (gpu_meta == nullptr) return sk::fail(SK_ERR_INVALID_ARGUMENT, "%s: gpu_meta is NULL", fn);
  if (((uintptr_t)gpu_meta & 15u) != 0)
    return sk::fail(SK_ERR_INVALID_ARGUMENT, "%s: gpu_meta must be 16-byte aligned", fn);
  return SK_OK;
}

}  // namespace

SK_EXPORT int sk_sparse24_gemm(const void* x, int x_dtype, const void* gpu_values, const uint32_t* gpu_meta,
                               const float* bias, void* y, int y_dtype, int64_t tokens, int64_t in, int64_t out,
                               void* stream) {
  const char* fn = "sk_sparse24_gemm";
  int rc = check_sparse24(fn, x, x_dtype, gpu_values, gpu_meta, bias, y, y_dtype, tokens, in, out);
  if (rc != SK_OK) return rc;
#ifdef SK_WITH_CUDA
  if (tokens > skcuda::sparse24_max_tokens())
    return sk::fail(SK_ERR_UNSUPPORTED, "%s: tokens must be <= %lld, got %lld", fn,
                    (long long)skcuda::sparse24_max_tokens(), (long long)tokens);
  cudaError_t e;
  if (tokens >= kHopperMinTokens && hopper_on() && skcuda::sparse24_gemm_sm90_available()) {
    e = skcuda::sparse24_gemm_sm90(x, x_dtype, gpu_values, gpu_meta, bias, y, y_dtype, tokens, in, out,
                                   sk::hopper_mode(), (cudaStream_t)stream);
  } else {
    // The deeper tiny-token pipelines: in the experimental mode on any device, and by default on sm_90 (H200,
    // 2026-11-27: 16 tokens x 4096 x 4096 0.0178 vs 0.0213 ms, L2 flushed; not measured on Ampere or Ada).
    const bool deep = sk::hopper_experimental() ||
                      (sk::hopper_mode() == SK_HOPPER_TMA && skcuda::sparse24_gemm_sm90_available());
    e = skcuda::sparse24_gemm(x, x_dtype, gpu_values, gpu_meta, bias, y, y_dtype, tokens, in, out, deep,
                              (cudaStream_t)stream);
  }
  if (e != cudaSuccess) return sk::cuda_fail(e, "sk_sparse24_gemm: kernel launch");
  return SK_OK;
#else
  (void)stream;
  return sk::no_cuda(fn);
#endif
}

SK_EXPORT int sk_dense_gemm(const void* x, int x_dtype, const void* w, const float* bias, void* y, int y_dtype,
                            int64_t tokens, int64_t in, int64_t out, void* stream) {
  const char* fn = "sk_dense_gemm";
  int rc = check_common(fn, x, x_dtype, w, "w", bias, y, y_dtype, tokens, in, out);
  if (rc != SK_OK) return rc;
#ifdef SK_WITH_CUDA
  if (tokens > skcuda::dense_max_tokens())
    return sk::fail(SK_ERR_UNSUPPORTED, "%s: tokens must be <= %lld, got %lld", fn,
                    (long long)skcuda::dense_max_tokens(), (long long)tokens);
  cudaError_t e;
  if (tokens >= kHopperMinTokens && hopper_on() && skcuda::dense_gemm_sm90_available()) {
    e = skcuda::dense_gemm_sm90(x, x_dtype, w, bias, y, y_dtype, tokens, in, out, sk::hopper_experimental(),
                                (cudaStream_t)stream);
  } else {
    e = skcuda::dense_gemm(x, x_dtype, w, bias, y, y_dtype, tokens, in, out, (cudaStream_t)stream);
  }
  if (e != cudaSuccess) return sk::cuda_fail(e, "sk_dense_gemm: kernel launch");
  return SK_OK;
#else
  (void)stream;
  return sk::no_cuda(fn);
#endif
}

SK_EXPORT int sk_blas_gemm(const void* x, int x_dtype, const void* w, const float* bias, void* y, int y_dtype,
                           int64_t tokens, int64_t in, int64_t out, void* stream) {
  const char* fn = "sk_blas_gemm";
  int rc = check_common(fn, x, x_dtype, w, "w", bias, y, y_dtype, tokens, in, out);
  if (rc != SK_OK) return rc;
#ifdef SK_WITH_CUDA
  return sk::blas_gemm_checked(x, x_dtype, w, bias, y, y_dtype, tokens, in, out, stream);
#else
  (void)stream;
  return sk::no_cuda(fn);
#endif
}

SK_EXPORT int sk_experimental_dense_gemm_sm90(const void* x, int x_dtype, const void* w, const float* bias, void* y,
                                              int y_dtype, int64_t tokens, int64_t in, int64_t out, void* stream) {
  const char* fn = "sk_experimental_dense_gemm_sm90";
  int rc = check_common(fn, x, x_dtype, w, "w", bias, y, y_dtype, tokens, in, out);
  if (rc != SK_OK) return rc;
#ifdef SK_WITH_CUDA
  if (tokens > (int64_t)65535 * 128)
    return sk::fail(SK_ERR_UNSUPPORTED, "%s: tokens must be <= %lld, got %lld", fn, (long long)65535 * 128,
                    (long long)tokens);
  int count = 0;
  cudaError_t e = cudaGetDeviceCount(&count);
  if (e != cudaSuccess) return sk::cuda_fail(e, "sk_experimental_dense_gemm_sm90: cudaGetDeviceCount");
  if (!skcuda::dense_gemm_sm90_available())
    return sk::fail(SK_ERR_UNSUPPORTED, "%s: needs an sm_90 (Hopper) device and a library built for sm_90a", fn);
  e = skcuda::dense_gemm_sm90(x, x_dtype, w, bias, y, y_dtype, tokens, in, out, sk::hopper_experimental(),
                              (cudaStream_t)stream);
  if (e != cudaSuccess) return sk::cuda_fail(e, "sk_experimental_dense_gemm_sm90: kernel launch");
  return SK_OK;
#else
  (void)stream;
  return sk::no_cuda(fn);
#endif
}

// sk_experimental_sparse24_gemm_sm90 and its _variant form (fn: the caller's name for messages).
static int sparse24_sm90_variant(const char* fn, const void* x, int x_dtype, const void* gpu_values,
                                 const uint32_t* gpu_meta, const float* bias, void* y, int y_dtype, int64_t tokens,
                                 int64_t in, int64_t out, int variant, void* stream) {
  int rc = check_sparse24(fn, x, x_dtype, gpu_values, gpu_meta, bias, y, y_dtype, tokens, in, out);
  if (rc != SK_OK) return rc;
  if (variant < SK_SPARSE24_SM90_DISPATCH || variant > SK_SPARSE24_SM90_SMEM_A_TMA_WIDE_STAGED)
    return sk::fail(SK_ERR_INVALID_ARGUMENT, "%s: variant must be one of SK_SPARSE24_SM90_* (0..%d), got %d", fn,
                    SK_SPARSE24_SM90_SMEM_A_TMA_WIDE_STAGED, variant);
#ifdef SK_WITH_CUDA
  if (tokens > skcuda::sparse24_sm90_max_tokens())
    return sk::fail(SK_ERR_UNSUPPORTED, "%s: tokens must be <= %lld, got %lld", fn,
                    (long long)skcuda::sparse24_sm90_max_tokens(), (long long)tokens);
  int count = 0;
  cudaError_t e = cudaGetDeviceCount(&count);
  if (e != cudaSuccess) return sk::cuda_fail(e, "sk_experimental_sparse24_gemm_sm90: cudaGetDeviceCount");
  if (!skcuda::sparse24_gemm_sm90_available())
    return sk::fail(SK_ERR_UNSUPPORTED, "%s: needs an sm_90 (Hopper) device and a library built for sm_90a", fn);
  e = skcuda::sparse24_gemm_sm90_variant(x, x_dtype, gpu_values, gpu_meta, bias, y, y_dtype, tokens, in, out, variant,
                                         sk::hopper_mode(), (cudaStream_t)stream);
  if (e == cudaErrorNotSupported && variant >= SK_SPARSE24_SM90_SMEM_A_TMA_WIDE_CLUSTER_X &&
      variant <= SK_SPARSE24_SM90_SMEM_A_TMA_WIDE_CLUSTER_XW) {
    (void)cudaGetLastError();
    return sk::fail(SK_ERR_UNSUPPORTED,
                    "%s: cluster variant %d cannot run here: the device takes no cluster of its shape with its shared "
                    "memory (cudaOccupancyMaxActiveClusters), its TMA maps cannot be made (16-byte aligned pointers "
                    "and a driver with cuTensorMapEncodeTiled are needed), or the token blocks rounded up to whole "
                    "clusters pass the grid's 65535 limit",
                    fn, variant);
  }
  if (e != cudaSuccess) return sk::cuda_fail(e, "sk_experimental_sparse24_gemm_sm90: kernel launch");
  return SK_OK;
#else
  (void)stream;
  return sk::no_cuda(fn);
#endif
}

SK_EXPORT int sk_experimental_sparse24_gemm_sm90(const void* x, int x_dtype, const void* gpu_values,
                                                 const uint32_t* gpu_meta, const float* bias, void* y, int y_dtype,
                                                 int64_t tokens, int64_t in, int64_t out, void* stream) {
  return sparse24_sm90_variant("sk_experimental_sparse24_gemm_sm90", x, x_dtype, gpu_values, gpu_meta, bias, y,
                               y_dtype, tokens, in, out, SK_SPARSE24_SM90_DISPATCH, stream);
}

SK_EXPORT int sk_experimental_sparse24_gemm_sm90_variant(const void* x, int x_dtype, const void* gpu_values,
                                                         const uint32_t* gpu_meta, const float* bias, void* y,
                                                         int y_dtype, int64_t tokens, int64_t in, int64_t out,
                                                         int variant, void* stream) {
  return sparse24_sm90_variant("sk_experimental_sparse24_gemm_sm90_variant", x, x_dtype, gpu_values, gpu_meta, bias,
                               y, y_dtype, tokens, in, out, variant, stream);
}
