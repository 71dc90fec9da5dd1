// Builds the bit-packed mask and its tile classes (attention_mask_bits.cuh) on the device, for the Hopper attention
// kernel's MASKED instantiation: one thread per 64-key word, then one warp per (128 x 128) tile. Each reads the mask
// (or the bits) once: a 4096 x 4096 mask broadcast over batch and heads is 16 MB read and 2 MB written.
#include <cuda_runtime.h>
#include <stdint.h>

#include "attention_launch.cuh"
#include "attention_mask_bits.cuh"

namespace skcuda {
namespace {

constexpr int kThreads = 256;

__global__ void __launch_bounds__(kThreads) mask_pack_kernel(const uint8_t* __restrict__ mask, int64_t sb, int64_t sh,
                                                             int64_t sq, const MaskBits m, uint64_t* __restrict__ bits,
                                                             int64_t n) {
  for (int64_t idx = (int64_t)blockIdx.x * kThreads + threadIdx.x; idx < n; idx += (int64_t)gridDim.x * kThreads)
    bits[idx] = mask_pack_word(mask, sb, sh, sq, m, idx);
}

// Warp per class: its lanes scan rows lane, lane + 32, ... and OR their findings together.
__global__ void __launch_bounds__(kThreads) mask_class_kernel(const uint64_t* __restrict__ bits, const MaskBits m,
                                                              uint8_t* __restrict__ classes, int64_t n) {
  const int lane = threadIdx.x & 31;
  const int64_t warps = (int64_t)gridDim.x * (kThreads / 32);
  for (int64_t idx = ((int64_t)blockIdx.x * kThreads + threadIdx.x) / 32; idx < n; idx += warps) {
    uint64_t any, missing;
    mask_tile_scan(bits, m, idx, lane, 32, any, missing);
#pragma unroll
    for (int off = 16; off > 0; off >>= 1) {
      any |= __shfl_xor_sync(0xFFFFFFFFu, any, off);
      missing |= __shfl_xor_sync(0xFFFFFFFFu, missing, off);
    }
    if (lane == 0) classes[idx] = mask_tile_class(any, missing);
  }
}

int blocks_for(int64_t threads) {
  const int64_t b = (threads + kThreads - 1) / kThreads;
  return (int)(b < 65535 ? (b > 0 ? b : 1) : 65535);  // the kernels loop past it
}

}  // namespace

cudaError_t attention_mask_bits_build(const uint8_t* mask, int64_t sb, int64_t sh, int64_t sq, const MaskBits& m,
                                      uint64_t* bits, uint8_t* classes, cudaStream_t stream) {
  const int64_t words = mask_bits_words(m), tiles = mask_bits_classes(m);
  if (words > 0) mask_pack_kernel<<<blocks_for(words), kThreads, 0, stream>>>(mask, sb, sh, sq, m, bits, words);
  cudaError_t e = cudaGetLastError();
  if (e != cudaSuccess || tiles == 0) return e;
  mask_class_kernel<<<blocks_for(tiles * 32), kThreads, 0, stream>>>(bits, m, classes, tiles);
  return cudaGetLastError();
}

}  // namespace skcuda
