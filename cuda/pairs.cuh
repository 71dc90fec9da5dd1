// Two floats at a time: packed into one 32-bit register of 16-bit elements (the A operand of an MMA built from
// accumulators, e.g. attention's P) and stored to adjacent output elements (epilogues writing column pairs).
#pragma once

#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <stdint.h>

#include <type_traits>

namespace skcuda {

template <class T>
__device__ __forceinline__ uint32_t pack2(float lo, float hi) {
  if constexpr (std::is_same<T, __half>::value) {
    __half2 v = __floats2half2_rn(lo, hi);
    return *reinterpret_cast<uint32_t*>(&v);
  } else {
    __nv_bfloat162 v = __floats2bfloat162_rn(lo, hi);
    return *reinterpret_cast<uint32_t*>(&v);
  }
}

// p must be aligned to the pair (8 bytes for float, 4 for the 16-bit types).
template <class OutT>
__device__ __forceinline__ void store2(OutT* p, float a, float b) {
  if constexpr (std::is_same<OutT, float>::value) {
    *reinterpret_cast<float2*>(p) = make_float2(a, b);
  } else if constexpr (std::is_same<OutT, __half>::value) {
    *reinterpret_cast<__half2*>(p) = __floats2half2_rn(a, b);
  } else {
    *reinterpret_cast<__nv_bfloat162*>(p) = __floats2bfloat162_rn(a, b);
  }
}

}  // namespace skcuda
