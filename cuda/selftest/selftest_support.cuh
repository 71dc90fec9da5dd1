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
#include <functional>
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

// Sets the sk_hopper_kernels mode for a scope and restores the previous one (the self-tests time the Hopper kernels,
// their experimental variants and the mma.sync kernels in one process).
struct HopperMode {
  int prev = SK_HOPPER_ON;
  explicit HopperMode(int mode) { sk_hopper_kernels(mode, &prev); }
  ~HopperMode() { sk_hopper_kernels(prev, nullptr); }
  HopperMode(const HopperMode&) = delete;
  HopperMode& operator=(const HopperMode&) = delete;
};

// One timed variant of a GEMM comparison: a name, the sk_hopper_kernels mode it runs under, and the call.
struct Timed {
  const char* name;
  int mode;
  std::function<int()> run;
};

// Times each variant (median_call_ms under its mode) for one shape, prints "TIME <name> <shape> ...: ms, TFLOP/s"
// with `flops` as the FLOP count (dense-equivalent where the caller says so in `unit`), then
// "RATIO <name> / <base> speed" of every variant against the last one (the peer). ms[i] < 0: not measured.
inline void time_and_compare(const char* shape, double flops, const char* unit, const Timed* v, double* ms, size_t n) {
  for (size_t i = 0; i < n; ++i) {
    HopperMode mode(v[i].mode);
    ms[i] = median_call_ms(v[i].run);
    if (ms[i] < 0) {
      printf("TIME %s %s: failed: %s\n", v[i].name, shape, sk_last_error());
      continue;
    }
    printf("TIME %s %s: %.4f ms, %.1f %s\n", v[i].name, shape, ms[i], flops / (ms[i] * 1e-3) / 1e12, unit);
  }
  for (size_t i = 0; i + 1 < n; ++i)
    if (ms[i] > 0 && ms[n - 1] > 0)
      printf("RATIO %s / %s speed %s: %.2fx\n", v[i].name, v[n - 1].name, shape, ms[n - 1] / ms[i]);
}

template <size_t N>
inline void time_and_compare(const char* shape, double flops, const char* unit, const Timed (&v)[N], double (&ms)[N]) {
  time_and_compare(shape, flops, unit, v, ms, N);
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
