// Device queries and selection. Arguments are validated first, identically in both builds, so the bindings'
// argument tests behave the same on a host-only library.
#include <string.h>

#include "sk_internal.h"

#ifdef SK_WITH_CUDA
#include <cuda_runtime_api.h>
#endif

SK_EXPORT int sk_device_count(int* count) {
  if (count == nullptr) return sk::fail(SK_ERR_INVALID_ARGUMENT, "sk_device_count: count is NULL");
#ifdef SK_WITH_CUDA
  int n = 0;
  cudaError_t e = cudaGetDeviceCount(&n);
  if (e != cudaSuccess) {
    // No driver (35) or no GPU (100): zero usable devices is the answer, not a failure. Keep the cause readable.
    (void)cudaGetLastError();
    sk::note("no usable CUDA device: %s (%d): %s", cudaGetErrorName(e), (int)e, cudaGetErrorString(e));
    *count = 0;
    return SK_OK;
  }
  if (n == 0) sk::note("no usable CUDA device: cudaGetDeviceCount returned 0");
  *count = n;
  return SK_OK;
#else
  sk::note("built without CUDA");
  *count = 0;
  return SK_OK;
#endif
}

SK_EXPORT int sk_device_name(int ordinal, char* buf, size_t capacity) {
  if (ordinal < 0) return sk::fail(SK_ERR_INVALID_ARGUMENT, "sk_device_name: ordinal must be >= 0, got %d", ordinal);
  if (buf == nullptr) return sk::fail(SK_ERR_INVALID_ARGUMENT, "sk_device_name: buf is NULL");
  if (capacity == 0) return sk::fail(SK_ERR_INVALID_ARGUMENT, "sk_device_name: capacity must be >= 1, got 0");
#ifdef SK_WITH_CUDA
  cudaDeviceProp prop;
  cudaError_t e = cudaGetDeviceProperties(&prop, ordinal);
  if (e != cudaSuccess) return sk::cuda_fail(e, "sk_device_name: cudaGetDeviceProperties");
  size_t n = strnlen(prop.name, sizeof prop.name);
  if (n > capacity - 1) n = capacity - 1;
  memcpy(buf, prop.name, n);
  buf[n] = '\0';
  return SK_OK;
#else
  return sk::no_cuda("sk_device_name");
#endif
}

SK_EXPORT int sk_device_capability(int ordinal, int* capability) {
  if (ordinal < 0)
    return sk::fail(SK_ERR_INVALID_ARGUMENT, "sk_device_capability: ordinal must be >= 0, got %d", ordinal);
  if (capability == nullptr) return sk::fail(SK_ERR_INVALID_ARGUMENT, "sk_device_capability: capability is NULL");
#ifdef SK_WITH_CUDA
  int major = 0, minor = 0;
  cudaError_t e = cudaDeviceGetAttribute(&major, cudaDevAttrComputeCapabilityMajor, ordinal);
  if (e == cudaSuccess) e = cudaDeviceGetAttribute(&minor, cudaDevAttrComputeCapabilityMinor, ordinal);
  if (e != cudaSuccess) return sk::cuda_fail(e, "sk_device_capability: cudaDeviceGetAttribute");
  *capability = major * 10 + minor;
  return SK_OK;
#else
  return sk::no_cuda("sk_device_capability");
#endif
}

SK_EXPORT int sk_set_device(int ordinal) {
  if (ordinal < 0) return sk::fail(SK_ERR_INVALID_ARGUMENT, "sk_set_device: ordinal must be >= 0, got %d", ordinal);
#ifdef SK_WITH_CUDA
  cudaError_t e = cudaSetDevice(ordinal);
  if (e != cudaSuccess) return sk::cuda_fail(e, "sk_set_device: cudaSetDevice");
  return SK_OK;
#else
  return sk::no_cuda("sk_set_device");
#endif
}
