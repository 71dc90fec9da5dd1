// Non-finite V in the fused attention kernel (docs/reliability.md, "Numbers"): a NaN or infinity in V[j] must reach
// only the rows that may see key j. The tensor-core P·V multiplies every weight of a tile by every V row, and a
// masked key's weight of 0 times NaN (or Inf) is NaN, so in tiles where masking zeroes some weights the kernel:
//   1. scans the tile's V rows in smem once (each thread its share of 16-byte chunks, a block-wide OR);
//   2. only if one is non-finite (rare): adds each non-finite v of a key with weight p > 0 to the rows'
//      accumulators (p * v is v's infinity or NaN for any p > 0; read from smem), then zeroes the non-finite values
//      in smem, so the MMA that follows adds the finite rest. NaN + x stays NaN and Inf + x stays Inf, as the plain
//      sum would have it; masked keys (p == 0) take no part.
// Tiles where every key is visible to every row need no guard: there each non-finite v reaches every row, as the
// policy says (one documented gap on GPU: a weight that underflows to 0 in such a tile still multiplies its V).
// The bit tests are host-callable (SK_HD) for the CPU emulation test.
#pragma once
#include <stdint.h>

#include "attention_sm90_index.cuh"
#include "gemm_index.cuh"

namespace skcuda {

// Exponent bits of the 16-bit input types: all ones means Inf or NaN.
constexpr uint32_t kF16ExpBits = 0x7C00u;
constexpr uint32_t kBF16ExpBits = 0x7F80u;

// Either 16-bit half of w non-finite.
SK_HD bool att_word_nonfinite(uint32_t w, uint32_t exp_bits) {
  return (w & exp_bits) == exp_bits || ((w >> 16) & exp_bits) == exp_bits;
}

// w with each non-finite 16-bit half replaced by +0.
SK_HD uint32_t att_word_zero_nonfinite(uint32_t w, uint32_t exp_bits) {
  const uint32_t lo = (w & exp_bits) == exp_bits ? 0u : (w & 0xFFFFu);
  const uint32_t hi = ((w >> 16) & exp_bits) == exp_bits ? 0u : (w & 0xFFFF0000u);
  return lo | hi;
}

#if defined(__CUDACC__)
}  // namespace skcuda
#include <cuda_bf16.h>
#include <cuda_fp16.h>

#include <type_traits>
namespace skcuda {

template <class T>
struct AttExpBits;
template <>
struct AttExpBits<__half> {
  static constexpr uint32_t value = kF16ExpBits;
};
template <>
struct AttExpBits<__nv_bfloat16> {
  static constexpr uint32_t value = kBF16ExpBits;
};

template <class T>
__device__ __forceinline__ float att_to_float(T v) {
  if constexpr (std::is_same<T, __half>::value) {
    return __half2float(v);
  } else {
    return __bfloat162float(v);
  }
}

// Step 1: whether any V value of the tile (smem, [BK][PITCH]) is non-finite. Block-uniform; must be reached by
// every thread of the block.
template <class C, class T>
__device__ __forceinline__ bool att_tile_v_nonfinite(const T* vtile, int tid) {
  bool found = false;
#pragma unroll
  for (int c = tid; c < C::BK * C::CH; c += C::THREADS) {
    const uint4 u = *reinterpret_cast<const uint4*>(vtile + (c / C::CH) * C::PITCH + (c % C::CH) * 8);
    found |= att_word_nonfinite(u.x, AttExpBits<T>::value) || att_word_nonfinite(u.y, AttExpBits<T>::value) ||
             att_word_nonfinite(u.z, AttExpBits<T>::value) || att_word_nonfinite(u.w, AttExpBits<T>::value);
  }
  return __syncthreads_or(found) != 0;
}

// Step 2a: for each row of the lane (hr: rows g and g + 8) and each column it holds in acc (dt*8 + 2*(lane&3) + u),
// adds the non-finite V values of the tile's keys whose weight is above 0. The weight itself does not matter: p * v
// for p > 0 is v's infinity or NaN, and their sum is what the plain P·V would give. The keys with p > 0 come as a
// 64-bit mask per row, the quad's lanes OR-ing their share of s (key nt*8 + 2*(lane&3) + e at s[nt][2*hr + e]); the
// key loop then runs over the set bits at run time and only the column loop is unrolled (accumulators must be indexed
// at compile time), which keeps this rare path small. All 32 lanes must call it (shuffles).
template <class C, class T>
__device__ __forceinline__ void att_add_nonfinite_v(const T* vtile, const float (&s)[C::NT][4],
                                                    float (&acc)[C::DT][4], int lane) {
  static_assert(C::BK <= 64, "one 64-bit mask per row");
  unsigned long long seen[2] = {0ull, 0ull};
#pragma unroll
  for (int hr = 0; hr < 2; ++hr) {
#pragma unroll
    for (int nt = 0; nt < C::NT; ++nt)
#pragma unroll
      for (int e = 0; e < 2; ++e)
        if (s[nt][2 * hr + e] > 0.f) seen[hr] |= 1ull << (nt * 8 + 2 * (lane & 3) + e);
    seen[hr] |= __shfl_xor_sync(0xffffffffu, seen[hr], 1);
    seen[hr] |= __shfl_xor_sync(0xffffffffu, seen[hr], 2);
  }
#pragma unroll 1
  for (unsigned long long any = seen[0] | seen[1]; any != 0ull; any &= any - 1ull) {
    const int j = __ffsll((long long)any) - 1;
    const bool r0 = (seen[0] >> j) & 1ull, r1 = (seen[1] >> j) & 1ull;
    const T* vrow = vtile + j * C::PITCH;
#pragma unroll
    for (int dt = 0; dt < C::DT; ++dt)
#pragma unroll
      for (int u = 0; u < 2; ++u) {
        const float v = att_to_float(vrow[dt * 8 + 2 * (lane & 3) + u]);
        if (!isfinite(v)) {
          if (r0) acc[dt][u] += v;
          if (r1) acc[dt][2 + u] += v;
        }
      }
  }
}

// Step 2b: zero the tile's non-finite V values in smem (after every warp has run step 2a; before the MMA reads).
template <class C, class T>
__device__ __forceinline__ void att_zero_nonfinite_v(T* vtile, int tid) {
#pragma unroll
  for (int c = tid; c < C::BK * C::CH; c += C::THREADS) {
    uint4* p = reinterpret_cast<uint4*>(vtile + (c / C::CH) * C::PITCH + (c % C::CH) * 8);
    uint4 u = *p;
    u.x = att_word_zero_nonfinite(u.x, AttExpBits<T>::value);
    u.y = att_word_zero_nonfinite(u.y, AttExpBits<T>::value);
    u.z = att_word_zero_nonfinite(u.z, AttExpBits<T>::value);
    u.w = att_word_zero_nonfinite(u.w, AttExpBits<T>::value);
    *p = u;
  }
}

// ---- The same guard for the Hopper kernel (attention_sm90.cu): V tiles of BK = 128 keys stored as 128B-swizzled
// d-blocks (attention_sm90_index.cuh, att90_chunk_offset), S and O in the wgmma m64nN accumulator layout. The scan
// and the zeroing walk the tile's bytes whatever their order; only step 2a needs the element addresses.

// Step 1: whether any value of the V tile (KV_BYTES contiguous bytes of smem) is non-finite. Block-uniform.
template <class C, class T>
__device__ __forceinline__ bool att90_tile_v_nonfinite(const uint8_t* vtile, int tid) {
  bool found = false;
#pragma unroll
  for (int c = tid; c < C::KV_BYTES / 16; c += C::THREADS) {
    const uint4 u = reinterpret_cast<const uint4*>(vtile)[c];
    found |= att_word_nonfinite(u.x, AttExpBits<T>::value) || att_word_nonfinite(u.y, AttExpBits<T>::value) ||
             att_word_nonfinite(u.z, AttExpBits<T>::value) || att_word_nonfinite(u.w, AttExpBits<T>::value);
  }
  return __syncthreads_or(found) != 0;
}

// Step 2a: adds to O the non-finite V values of the keys whose weight is above 0, row by row (as
// att_add_nonfinite_v). S accumulator i of the lane is row half (i / 2) % 2, key att90_acc_col(lane, i); O
// accumulator i of d-block db is the same row half, column 64 db + att90_acc_col(lane, i). The keys with p > 0 come
// as BK / 64 words of 64 bits per row half, OR-ed over the quad. All 32 lanes of every warp must call it.
template <class C, class T>
__device__ __forceinline__ void att90_add_nonfinite_v(const uint8_t* vtile, const float (&s)[C::NS],
                                                      float (&o)[C::DB][C::NO], int lane) {
  constexpr int W = C::BK / 64;
  unsigned long long seen[2][W];
#pragma unroll
  for (int hr = 0; hr < 2; ++hr)
#pragma unroll
    for (int w = 0; w < W; ++w) seen[hr][w] = 0ull;
#pragma unroll
  for (int i = 0; i < C::NS; ++i) {
    const int col = att90_acc_col(lane, i);
    if (s[i] > 0.f) seen[(i >> 1) & 1][col >> 6] |= 1ull << (col & 63);
  }
#pragma unroll
  for (int hr = 0; hr < 2; ++hr)
#pragma unroll
    for (int w = 0; w < W; ++w) {
      seen[hr][w] |= __shfl_xor_sync(0xffffffffu, seen[hr][w], 1);
      seen[hr][w] |= __shfl_xor_sync(0xffffffffu, seen[hr][w], 2);
    }
#pragma unroll
  for (int w = 0; w < W; ++w) {
#pragma unroll 1
    for (unsigned long long any = seen[0][w] | seen[1][w]; any != 0ull; any &= any - 1ull) {
      const int bit = __ffsll((long long)any) - 1, j = 64 * w + bit;
      const bool r0 = (seen[0][w] >> bit) & 1ull, r1 = (seen[1][w] >> bit) & 1ull;
#pragma unroll
      for (int db = 0; db < C::DB; ++db)
#pragma unroll
        for (int i = 0; i < C::NO; ++i) {
          const int col = 64 * db + att90_acc_col(lane, i);
          const T* e = reinterpret_cast<const T*>(vtile + att90_chunk_offset(j, col >> 3, C::BK) + (col & 7) * 2);
          const float v = att_to_float(*e);
          if (!isfinite(v) && (((i >> 1) & 1) ? r1 : r0)) o[db][i] += v;
        }
    }
  }
}

// Step 2b: zero the tile's non-finite values (after every warp has run step 2a). The caller then fences them for
// the async proxy (the wgmma that reads V) before its barrier.
template <class C, class T>
__device__ __forceinline__ void att90_zero_nonfinite_v(uint8_t* vtile, int tid) {
#pragma unroll
  for (int c = tid; c < C::KV_BYTES / 16; c += C::THREADS) {
    uint4* p = reinterpret_cast<uint4*>(vtile) + c;
    uint4 u = *p;
    u.x = att_word_zero_nonfinite(u.x, AttExpBits<T>::value);
    u.y = att_word_zero_nonfinite(u.y, AttExpBits<T>::value);
    u.z = att_word_zero_nonfinite(u.z, AttExpBits<T>::value);
    u.w = att_word_zero_nonfinite(u.w, AttExpBits<T>::value);
    *p = u;
  }
}

#endif  // __CUDACC__

}  // namespace skcuda
