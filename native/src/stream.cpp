// CUDA streams as opaque void* handles. NULL means the default stream wherever a stream is optional.
#include "sk_internal.h"

#ifdef SK_WITH_CUDA
#include <cuda_runtime_api.h>
#endif

SK_EXPORT int sk_stream_create(void** stream) {
  if (stream == nullptr) return sk::fail(SK_ERR_INVALID_ARGUMENT, "sk_stream_create: stream is NULL");
#ifdef SK_WITH_CUDA
  cudaStream_t s = nullptr;
  // Non-blocking: our streams never serialize against work on the legacy default stream of other libraries.
  cudaError_t e = cudaStreamCreateWithFlags(&s, cudaStreamNonBlocking);
  if (e != cudaSuccess) return sk::cuda_fail(e, "sk_stream_create: cudaStreamCreateWithFlags");
  *stream = (void*)s;
  return SK_OK;
#else
  return sk::no_cuda("sk_stream_create");
#endif
}

SK_EXPORT int sk_stream_destroy(void* stream) {
  // Destroying "the default stream" would be a caller bug; refuse it instead of passing NULL to CUDA.
  if (stream == nullptr)
    return sk::fail(SK_ERR_INVALID_ARGUMENT, "sk_stream_destroy: stream is NULL (the default stream is not owned)");
#ifdef SK_WITH_CUDA
  cudaError_t e = cudaStreamDestroy((cudaStream_t)stream);
  if (e != cudaSuccess) return sk::cuda_fail(e, "sk_stream_destroy: cudaStreamDestroy");
  return SK_OK;
#else
  return sk::no_cuda("sk_stream_destroy");
#endif
}

SK_EXPORT int sk_stream_synchronize(void* stream) {
#ifdef SK_WITH_CUDA
  cudaError_t e = cudaStreamSynchronize((cudaStream_t)stream);  // NULL: the default stream
  if (e != cudaSuccess) return sk::cuda_fail(e, "sk_stream_synchronize: cudaStreamSynchronize");
  return SK_OK;
#else
  (void)stream;
  return sk::no_cuda("sk_stream_synchronize");
#endif
}
