// Helpers shared by the GPU-host programs (self-tests and the bench): status checks, f16/bf16 bit conversions.
// Not part of the library.
#pragma once
#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

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

}  // namespace sk_selftest
