// Internal helpers shared by the host sources of libsparsekernels (never installed, never seen by bindings).
#ifndef SK_INTERNAL_H
#define SK_INTERNAL_H

#include <stdint.h>

#include "sparsekernels.h"

// Every public function is defined with SK_EXPORT. The library is compiled with -fvisibility=hidden and linked
// with a version script that keeps only sk_*, so anything else (helpers, static cudart) stays private.
#define SK_EXPORT extern "C" __attribute__((visibility("default")))

namespace sk {

// Formats the thread-local last error (printf style) and returns code, so failures read `return fail(...)`.
int fail(int code, const char* fmt, ...) __attribute__((format(printf, 2, 3)));

// Sets the thread-local message without failing (sk_device_count keeps the "why zero devices" cause this way).
void note(const char* fmt, ...) __attribute__((format(printf, 1, 2)));

// Sizes arrive from Java as signed longs; a size_t above this is a negative long reinterpreted.
constexpr uint64_t kMaxBytes = (uint64_t)INT64_MAX;

// Largest rows/cols we accept for host-side formats: keeps every derived product (Mp * Kp) far inside int64.
constexpr int64_t kMaxDim = (int64_t)1 << 31;

const char* dtype_name(int dtype);

// The current sk_hopper_kernels mode (SK_HOPPER_OFF / ON / EXPERIMENTAL / TMA), $SPARSEKERNELS_HOPPER on first use.
int hopper_mode();
// Whether the mode asks for the experimental variants (SK_HOPPER_EXPERIMENTAL only: the default SK_HOPPER_TMA
// takes the ones a GPU host measured faster, gemm_launch.cpp and attention_sm90.cu, and leaves the rest).
inline bool hopper_experimental() { return hopper_mode() == SK_HOPPER_EXPERIMENTAL; }

#ifdef SK_WITH_CUDA
// Maps a failed CUDA runtime status to an sk status with "what: cudaErrorName (code): description" as message.
// No driver / no device become SK_ERR_NO_DEVICE, everything else SK_ERR_CUDA. Also clears the non-sticky error.
int cuda_fail(int cuda_status, const char* what);

// sk_blas_gemm after its arguments were checked (blas_gemm.cpp): loads cuBLAS on first use.
int blas_gemm_checked(const void* x, int x_dtype, const void* w, const float* bias, void* y, int y_dtype,
                      int64_t tokens, int64_t in, int64_t out, void* stream);
#else
// Host-only build: the answer of every GPU function once its arguments were found valid.
int no_cuda(const char* what);
#endif

}  // namespace sk

#endif
