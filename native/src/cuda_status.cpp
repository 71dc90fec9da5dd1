// Turns CUDA runtime failures into sk status codes plus a readable message (CUDA build only).
#ifdef SK_WITH_CUDA
#include <cuda_runtime_api.h>

#include "sk_internal.h"

namespace sk {

int cuda_fail(int cuda_status, const char* what) {
  cudaError_t e = (cudaError_t)cuda_status;
  // Reset the non-sticky per-thread error so the next call does not report this failure again.
  (void)cudaGetLastError();
  // No driver (35), no device (100), a stub or mismatched driver, or a GPU the driver cannot use: the caller
  // can do nothing but fall back to the CPU, which is what SK_ERR_NO_DEVICE tells it.
  bool no_device = e == cudaErrorNoDevice || e == cudaErrorInsufficientDriver || e == cudaErrorStubLibrary ||
                   e == cudaErrorSystemDriverMismatch || e == cudaErrorCompatNotSupportedOnDevice;
  return fail(no_device ? SK_ERR_NO_DEVICE : SK_ERR_CUDA, "%s: %s (%d): %s", what, cudaGetErrorName(e), (int)e,
              cudaGetErrorString(e));
}

}  // namespace sk
#endif
