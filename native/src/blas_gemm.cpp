// Dense GEMM through cuBLAS, loaded at run time. cuBLAS is not linked: this machine's toolkit has no cuBLAS, the
// library must load where there is none, and on GPU hosts the toolkit's own libcublas is the fastest dense GEMM
// there is (it is the peer we measure against, and the GEMM that layers left dense after channel removal need).
#include <dlfcn.h>
#include <stdlib.h>

#include <mutex>
#include <string>
#include <vector>

#include "sk_internal.h"

#ifdef SK_WITH_CUDA
#include <cuda_runtime_api.h>

#include "sk_launch.h"

namespace {

// The few cuBLAS declarations we use, written from the documented C API (cublas_api.h is not installed here).
// Enumerations are C ints; the values are cuBLAS's and CUDA's (library_types.h) own.
typedef void* blas_handle;
typedef int (*create_fn)(blas_handle*);
typedef int (*set_stream_fn)(blas_handle, cudaStream_t);
typedef int (*get_version_fn)(blas_handle, int*);
typedef const char* (*status_string_fn)(int);
typedef int (*gemm_ex_fn)(blas_handle, int transa, int transb, int m, int n, int k, const void* alpha,
                          const void* a, int a_type, int lda, const void* b, int b_type, int ldb, const void* beta,
                          void* c, int c_type, int ldc, int compute_type, int algo);

constexpr int kOpN = 0;
constexpr int kOpT = 1;
constexpr int kComputeF32 = 68;  // CUBLAS_COMPUTE_32F
constexpr int kGemmDefault = -1; // CUBLAS_GEMM_DEFAULT
constexpr int kR32F = 0, kR16F = 2, kR16BF = 14;

struct Api {
  create_fn create = nullptr;
  set_stream_fn set_stream = nullptr;
  get_version_fn get_version = nullptr;
  status_string_fn status_string = nullptr;  // optional (cuBLAS 11.4+)
  gemm_ex_fn gemm_ex = nullptr;
  std::string library;
  std::string why;  // empty when usable
};

const Api& api() {
  static Api a;
  static std::once_flag once;
  std::call_once(once, [] {
    const char* forced = getenv("SK_CUBLAS_LIBRARY");
    const char* names[] = {forced, "libcublas.so.13", "libcublas.so.12", "libcublas.so"};
    void* h = nullptr;
    std::string tried;
    for (const char* n : names) {
      if (n == nullptr || *n == '\0') continue;
      h = dlopen(n, RTLD_NOW | RTLD_LOCAL);
      if (h != nullptr) {
        a.library = n;
        break;
      }
      const char* e = dlerror();
      tried += std::string(tried.empty() ? "" : "; ") + (e ? e : n);
      if (n == forced) break;  // an explicit choice that fails is reported, not silently replaced
    }
    if (h == nullptr) {
      a.why = "cuBLAS not found (" + tried + "); set SK_CUBLAS_LIBRARY or LD_LIBRARY_PATH to the toolkit's lib64";
      return;
    }
    a.create = (create_fn)dlsym(h, "cublasCreate_v2");
    a.set_stream = (set_stream_fn)dlsym(h, "cublasSetStream_v2");
    a.get_version = (get_version_fn)dlsym(h, "cublasGetVersion_v2");
    a.status_string = (status_string_fn)dlsym(h, "cublasGetStatusString");
    a.gemm_ex = (gemm_ex_fn)dlsym(h, "cublasGemmEx");
    if (!a.create || !a.set_stream || !a.gemm_ex) {
      a.why = a.library + " lacks cublasCreate_v2, cublasSetStream_v2 or cublasGemmEx";
    }
  });
  return a;
}

const char* status_text(const Api& a, int s) {
  return a.status_string != nullptr ? a.status_string(s) : "cuBLAS error";
}

constexpr int kMaxDevices = 64;

// Handles of threads that have exited, per device, for the next thread that needs one. Never destroyed (heap, not a
// static object): threads may still hand their handles back while the process tears down.
struct HandlePool {
  std::mutex lock;
  std::vector<blas_handle> idle[kMaxDevices];
};

HandlePool& handle_pool() {
  static HandlePool* pool = new HandlePool();
  return *pool;
}

// A thread's handles, one per device: a handle must not be used by two threads at once, and it is bound to the
// device current when it was created. At thread exit they go back to the pool, not to cublasDestroy (which can run
// after the driver has been torn down): a handle per thread that ever called, kept to the end of the process, had
// leaked one handle and its workspace per short-lived calling thread (an executor's retired threads).
struct ThreadHandles {
  blas_handle device[kMaxDevices] = {};
  ~ThreadHandles() {
    HandlePool& pool = handle_pool();
    std::lock_guard<std::mutex> guard(pool.lock);
    for (int d = 0; d < kMaxDevices; d++) {
      if (device[d] != nullptr) pool.idle[d].push_back(device[d]);
    }
  }
};

int handle_for(const Api& a, blas_handle* out) {
  int dev = 0;
  cudaError_t e = cudaGetDevice(&dev);
  if (e != cudaSuccess) return sk::cuda_fail(e, "sk_blas_gemm: cudaGetDevice");
  thread_local ThreadHandles mine;
  if (dev < 0 || dev >= kMaxDevices) return sk::fail(SK_ERR_UNSUPPORTED, "sk_blas_gemm: device %d >= 64", dev);
  if (mine.device[dev] == nullptr) {
    HandlePool& pool = handle_pool();
    {
      std::lock_guard<std::mutex> guard(pool.lock);
      if (!pool.idle[dev].empty()) {
        mine.device[dev] = pool.idle[dev].back();
        pool.idle[dev].pop_back();
      }
    }
    if (mine.device[dev] == nullptr) {
      blas_handle h = nullptr;
      int s = a.create(&h);
      if (s != 0) return sk::fail(SK_ERR_CUDA, "sk_blas_gemm: cublasCreate failed (%d): %s", s, status_text(a, s));
      mine.device[dev] = h;
    }
  }
  *out = mine.device[dev];
  return SK_OK;
}

int blas_type(int dtype) {
  return dtype == SK_DTYPE_F16 ? kR16F : dtype == SK_DTYPE_BF16 ? kR16BF : kR32F;
}

}  // namespace

namespace sk {

int blas_gemm_checked(const void* x, int x_dtype, const void* w, const float* bias, void* y, int y_dtype,
                      int64_t tokens, int64_t in, int64_t out, void* stream) {
  const Api& a = api();
  if (!a.why.empty()) return fail(SK_ERR_UNSUPPORTED, "sk_blas_gemm: %s", a.why.c_str());
  if (tokens > INT32_MAX)
    return fail(SK_ERR_UNSUPPORTED, "sk_blas_gemm: tokens must be <= %d, got %lld", INT32_MAX, (long long)tokens);
  blas_handle h = nullptr;
  int rc = handle_for(a, &h);
  if (rc != SK_OK) return rc;
  cudaStream_t st = (cudaStream_t)stream;
  int s = a.set_stream(h, st);
  if (s != 0) return fail(SK_ERR_CUDA, "sk_blas_gemm: cublasSetStream failed (%d): %s", s, status_text(a, s));
  float alpha = 1.0f, beta = 0.0f;
  if (bias != nullptr) {
    // cuBLAS adds beta * C: put the bias in every row of Y first, then accumulate onto it.
    cudaError_t e = skcuda::fill_rows(y, y_dtype, bias, tokens, out, st);
    if (e != cudaSuccess) return cuda_fail(e, "sk_blas_gemm: bias fill launch");
    beta = 1.0f;
  }
  // Row-major Y[tokens, out] is column-major Y^T [out, tokens] = W · X^T, where row-major W [out, in] read
  // column-major is W^T [in, out] (hence op T) and row-major X [tokens, in] is X^T [in, tokens] (op N).
  s = a.gemm_ex(h, kOpT, kOpN, (int)out, (int)tokens, (int)in, &alpha, w, blas_type(x_dtype), (int)in, x,
                blas_type(x_dtype), (int)in, &beta, y, blas_type(y_dtype), (int)out, kComputeF32, kGemmDefault);
  if (s != 0) return fail(SK_ERR_CUDA, "sk_blas_gemm: cublasGemmEx failed (%d): %s", s, status_text(a, s));
  return SK_OK;
}

}  // namespace sk

SK_EXPORT int sk_blas_status(void) {
  const Api& a = api();
  if (!a.why.empty()) return sk::fail(SK_ERR_UNSUPPORTED, "sk_blas_status: %s", a.why.c_str());
  sk::note("cuBLAS from %s", a.library.c_str());
  return SK_OK;
}

#else

SK_EXPORT int sk_blas_status(void) { return sk::no_cuda("sk_blas_status"); }

#endif
