// Helpers shared by the GPU-host programs (self-tests and the bench): status checks, f16/bf16 bit conversions.
// Not part of the library.
#pragma once
#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_runtime.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <algorithm>
#include <vector>

#include "sparsekernels.h"

// Returns false from the enclosing function when an sk_ call fails, after printing where and why.
#define SK_CHECK(call)                                                                          \
  do {                                                                                          \
    int rc_ = (call);                                                                           \
    if (rc_ != SK_OK) {                                                                         \
      fprintf(stderr, "%s:%d: %s -> %d: %s\n", __FILE__, __LINE__, #call, rc_, sk_last_error()); \
      return false;                                                                             \
    }                                                                                           \
  } while (0)

namespace sk_selftest {

// Through the *_raw structs: no memcpy into a class with private members.
inline uint16_t to_bits(float v, int dtype) {
  if (dtype == SK_DTYPE_F16) return __half_raw(__float2half_rn(v)).x;
  return __nv_bfloat16_raw(__float2bfloat16_rn(v)).x;
}

inline float from_bits(uint16_t b, int dtype) {
  if (dtype == SK_DTYPE_F16) {
    __half_raw r;
    r.x = b;
    return __half2float(__half(r));
  }
  __nv_bfloat16_raw r;
  r.x = b;
  return __bfloat162float(__nv_bfloat16(r));
}

// Element i of an output buffer holding y_dtype values (F32, or F16/BF16 bits), as a double.
inline double output_at(const std::vector<uint8_t>& buf, int64_t i, int y_dtype) {
  if (y_dtype == SK_DTYPE_F32) {
    float f;
    memcpy(&f, buf.data() + 4 * i, 4);
    return f;
  }
  uint16_t b;
  memcpy(&b, buf.data() + 2 * i, 2);
  return from_bits(b, y_dtype);
}

// A device allocation freed when it goes out of scope (sk_free(NULL) is a no-op).
struct DeviceBuf {
  void* p = nullptr;
  DeviceBuf() = default;
  DeviceBuf(const DeviceBuf&) = delete;
  DeviceBuf& operator=(const DeviceBuf&) = delete;
  ~DeviceBuf() { sk_free(p); }
};

inline const char* dtype_name(int d) { return d == SK_DTYPE_F32 ? "f32" : d == SK_DTYPE_F16 ? "f16" : "bf16"; }

// Median time in ms of `reps` calls of run() (each returns an sk status) after `warm` untimed ones, timed with CUDA
// events on the default stream; negative when a call fails (sk_last_error() then says why).
template <class Run>
inline double median_call_ms(Run run, int warm = 3, int reps = 20) {
  for (int i = 0; i < warm; ++i) {
    if (run() != SK_OK) return -1;
  }
  cudaEvent_t e0, e1;
  cudaEventCreate(&e0);
  cudaEventCreate(&e1);
  std::vector<float> times;
  bool ok = true;
  for (int i = 0; i < reps && ok; ++i) {
    cudaEventRecord(e0, nullptr);
    ok = run() == SK_OK;
    cudaEventRecord(e1, nullptr);
    cudaEventSynchronize(e1);
    float ms = 0;
    cudaEventElapsedTime(&ms, e0, e1);
    times.push_back(ms);
  }
  cudaEventDestroy(e0);
  cudaEventDestroy(e1);
  if (!ok) return -1;
  std::sort(times.begin(), times.end());
  return times[times.size() / 2];
}

// Runs case(tokens, in, out, x_dtype, y_dtype, bias) on every shape twice, cycling the input dtype (f16, bf16), the
// output (f32 or the input's), and the bias (off every third case); returns how many failed, total in *total.
template <size_t N, class Case>
inline int run_dtype_combos(const int64_t (&shapes)[N][3], Case run_case, int* total) {
  int failed = 0, combo = 0;
  *total = 0;
  for (auto& s : shapes) {
    for (int c = 0; c < 2; ++c, ++combo) {
      const int xd = (combo & 1) ? SK_DTYPE_BF16 : SK_DTYPE_F16;
      const int yd = (combo & 2) ? xd : SK_DTYPE_F32;
      ++*total;
      if (!run_case(s[0], s[1], s[2], xd, yd, combo % 3 != 2)) ++failed;
      if (cudaGetLastError() != cudaSuccess) break;  // this shape's other combo; later shapes still run
    }
  }
  return failed;
}

}  // namespace sk_selftest
