// Device memory: allocation and copies. A NULL stream means the legacy default stream and a synchronous copy, so
// a Java caller may reuse or free its host buffer as soon as the call returns; with a stream the copy is
// cudaMemcpyAsync (stream-ordered; for pageable host memory CUDA still finishes reading/writing the host side
// before returning, for pinned memory the caller must synchronize the stream).
#include "sk_internal.h"

#ifdef SK_WITH_CUDA
#include <cuda_runtime_api.h>
#endif

namespace {

int check_copy(const char* fn, const void* dst, const void* src, size_t bytes) {
  if (dst == nullptr) return sk::fail(SK_ERR_INVALID_ARGUMENT, "%s: destination is NULL", fn);
  if (src == nullptr) return sk::fail(SK_ERR_INVALID_ARGUMENT, "%s: source is NULL", fn);
  if ((uint64_t)bytes > sk::kMaxBytes)
    return sk::fail(SK_ERR_INVALID_ARGUMENT, "%s: bytes must be >= 0, got %lld", fn, (long long)bytes);
  return SK_OK;
}

#ifdef SK_WITH_CUDA
int copy(const char* fn, void* dst, const void* src, size_t bytes, void* stream, cudaMemcpyKind kind) {
  int rc = check_copy(fn, dst, src, bytes);
  if (rc != SK_OK) return rc;
  if (bytes == 0) return SK_OK;
  cudaError_t e = stream == nullptr ? cudaMemcpy(dst, src, bytes, kind)
                                    : cudaMemcpyAsync(dst, src, bytes, kind, (cudaStream_t)stream);
  if (e != cudaSuccess) return sk::cuda_fail(e, fn);
  return SK_OK;
}
#endif

}  // namespace

SK_EXPORT int sk_malloc(void** device_ptr, size_t bytes) {
  if (device_ptr == nullptr) return sk::fail(SK_ERR_INVALID_ARGUMENT, "sk_malloc: device_ptr is NULL");
  if (bytes == 0 || (uint64_t)bytes > sk::kMaxBytes)
    return sk::fail(SK_ERR_INVALID_ARGUMENT, "sk_malloc: bytes must be > 0, got %lld", (long long)bytes);
#ifdef SK_WITH_CUDA
  void* p = nullptr;
  cudaError_t e = cudaMalloc(&p, bytes);
  if (e != cudaSuccess) return sk::cuda_fail(e, "sk_malloc: cudaMalloc");
  *device_ptr = p;
  return SK_OK;
#else
  return sk::no_cuda("sk_malloc");
#endif
}

SK_EXPORT int sk_free(void* device_ptr) {
  if (device_ptr == nullptr) return SK_OK;
#ifdef SK_WITH_CUDA
  cudaError_t e = cudaFree(device_ptr);
  if (e != cudaSuccess) return sk::cuda_fail(e, "sk_free: cudaFree");
  return SK_OK;
#else
  return sk::no_cuda("sk_free");
#endif
}

#ifdef SK_WITH_CUDA
SK_EXPORT int sk_memcpy_h2d(void* device_dst, const void* host_src, size_t bytes, void* stream) {
  return copy("sk_memcpy_h2d", device_dst, host_src, bytes, stream, cudaMemcpyHostToDevice);
}
SK_EXPORT int sk_memcpy_d2h(void* host_dst, const void* device_src, size_t bytes, void* stream) {
  return copy("sk_memcpy_d2h", host_dst, device_src, bytes, stream, cudaMemcpyDeviceToHost);
}
SK_EXPORT int sk_memcpy_d2d(void* device_dst, const void* device_src, size_t bytes, void* stream) {
  return copy("sk_memcpy_d2d", device_dst, device_src, bytes, stream, cudaMemcpyDeviceToDevice);
}
#else
SK_EXPORT int sk_memcpy_h2d(void* device_dst, const void* host_src, size_t bytes, void*) {
  int rc = check_copy("sk_memcpy_h2d", device_dst, host_src, bytes);
  return rc != SK_OK ? rc : sk::no_cuda("sk_memcpy_h2d");
}
SK_EXPORT int sk_memcpy_d2h(void* host_dst, const void* device_src, size_t bytes, void*) {
  int rc = check_copy("sk_memcpy_d2h", host_dst, device_src, bytes);
  return rc != SK_OK ? rc : sk::no_cuda("sk_memcpy_d2h");
}
SK_EXPORT int sk_memcpy_d2d(void* device_dst, const void* device_src, size_t bytes, void*) {
  int rc = check_copy("sk_memcpy_d2d", device_dst, device_src, bytes);
  return rc != SK_OK ? rc : sk::no_cuda("sk_memcpy_d2d");
}
#endif
