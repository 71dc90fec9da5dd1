// A dense boolean attention mask bit-packed, with a class per (128 query rows x 128 keys) tile, for the Hopper
// attention kernel's MASKED instantiation (attention_sm90.cu). Reading the byte mask per score cost that kernel 64
// scattered byte loads per thread and tile, for skipped tiles too: 3.2 ms on the causal pattern given as a mask
// (B2 H16 L4096 D128) where the causal kernel takes 0.36 ms (H200, 2026-11-27). With this form a tile the mask hides
// from every row costs one byte read, a tile it leaves whole costs nothing more than an unmasked one, and a mixed
// tile costs two 16-byte loads per thread (FlexAttention's block mask, with the mask's own bits for the mixed tiles).
//
// Layout, built per call by attention_mask_bits.cu from the mask and its broadcast strides:
//   bits    uint64 [slices][rows][words]: bit c of word w of row i is mask[i][64 w + c] != 0 (0 past lk); words =
//           2 * ntk, so a key tile's two words start 16-byte aligned;
//   classes uint8 [slices][qtiles][ntk]: 0 no (row < lq, key < lk) bit of the tile set, 1 all of them set, 2 mixed;
// slices = (batch if the mask has a batch stride else 1) x (hq if it has a head stride else 1); ntq = ceil(lq / 128),
// ntk = ceil(lk / 128); rows = lq and qtiles = ntq, or 1 and 1 for a mask broadcast over queries (query stride 0, a
// [B, 1, 1, Lk] padding mask): every query row reads row 0 then. Stored per row, such a mask had taken lq times
// the memory it needs (512 MiB of scratch for a 256 KiB mask at B 16, L 16384). Plain __host__ __device__ functions (gemm_index.cuh's rule): the emulation test builds the
// same form on the CPU through them.
#pragma once
#include <stdint.h>
#include <string.h>

#include "gemm_index.cuh"

namespace skcuda {

constexpr int kMaskTile = 128;  // query rows and keys per classed tile: the Hopper kernel's CTA rows and key tile

struct MaskBits {
  int slices_b, slices_h;  // distinct batch / head slices of the mask (1 where broadcast)
  int lq, lk, ntq, ntk;
  int rows, qtiles;  // stored rows and class rows per slice: lq and ntq, or 1 and 1 when broadcast over queries
  int64_t words;     // per row
};

SK_HD MaskBits mask_bits_shape(int batch, int hq, int lq, int lk, int64_t mask_sb, int64_t mask_sh,
                               int64_t mask_sq) {
  MaskBits m;
  m.slices_b = mask_sb != 0 ? batch : 1;
  m.slices_h = mask_sh != 0 ? hq : 1;
  m.lq = lq;
  m.lk = lk;
  m.ntq = (lq + kMaskTile - 1) / kMaskTile;
  m.ntk = (lk + kMaskTile - 1) / kMaskTile;
  m.rows = mask_sq != 0 ? lq : 1;
  m.qtiles = mask_sq != 0 ? m.ntq : 1;
  m.words = 2 * (int64_t)m.ntk;
  return m;
}
SK_HD int64_t mask_bits_words(const MaskBits& m) { return (int64_t)m.slices_b * m.slices_h * m.rows * m.words; }
SK_HD int64_t mask_bits_classes(const MaskBits& m) { return (int64_t)m.slices_b * m.slices_h * m.qtiles * m.ntk; }
// The slice (b, h) reads: 0 on a broadcast dimension.
SK_HD int64_t mask_bits_slice(const MaskBits& m, int b, int h) {
  return (int64_t)(m.slices_b > 1 ? b : 0) * m.slices_h + (m.slices_h > 1 ? h : 0);
}
// First word of query row i of a slice, and the class row of query tile qt (row 0 of both when broadcast).
SK_HD int64_t mask_bits_row(const MaskBits& m, int64_t slice, int i) {
  return (slice * m.rows + (m.rows > 1 ? i : 0)) * m.words;
}
SK_HD int64_t mask_bits_class_row(const MaskBits& m, int64_t slice, int qt) {
  return (slice * m.qtiles + (m.qtiles > 1 ? qt : 0)) * m.ntk;
}

// One bit per byte of x, byte k's (nonzero) as bit k: the high bit of each nonzero byte ((x & 7F) + 7F sets it for
// 1..7F, x itself for 80..FF; no carry crosses a byte), gathered by one multiply (bit 8k lands on bit 56 + k and no
// other product reaches bits 56-63).
SK_HD uint32_t mask_byte_bits(uint64_t x) {
  const uint64_t low7 = 0x7F7F7F7F7F7F7F7Full;
  const uint64_t nz = ((((x & low7) + low7) | x) & 0x8080808080808080ull) >> 7;
  return (uint32_t)((nz * 0x0102040810204080ull) >> 56);
}

// Word idx of the bits array (0 <= idx < mask_bits_words), from the byte mask as sk_attention takes it (element
// (b, h, i, j) at b sb + h sh + i sq + j). A whole word at an 8-byte aligned address is read 8 bytes at a time.
SK_HD uint64_t mask_pack_word(const uint8_t* mask, int64_t sb, int64_t sh, int64_t sq, const MaskBits& m,
                              int64_t idx) {
  const int w = (int)(idx % m.words);
  const int64_t rest = idx / m.words;
  const int i = (int)(rest % m.rows);
  const int64_t slice = rest / m.rows;
  const int b = (int)(slice / m.slices_h), h = (int)(slice % m.slices_h);
  const uint8_t* row = mask + (int64_t)b * sb + (int64_t)h * sh + (int64_t)i * sq;
  const int c0 = 64 * w, n = m.lk - c0 < 64 ? m.lk - c0 : 64;
  uint64_t bits = 0;
  if (n == 64 && ((uintptr_t)(row + c0) & 7u) == 0) {
    for (int k = 0; k < 8; ++k) {
      uint64_t x;
#if defined(__CUDA_ARCH__)
      x = *reinterpret_cast<const uint64_t*>(row + c0 + 8 * k);
#else
      memcpy(&x, row + c0 + 8 * k, 8);
#endif
      bits |= (uint64_t)mask_byte_bits(x) << (8 * k);
    }
    return bits;
  }
  for (int c = 0; c < n; ++c) bits |= (uint64_t)(row[c0 + c] != 0) << c;
  return bits;
}

// The keys of a word that exist (< lk).
SK_HD uint64_t mask_valid_bits(int lk, int w) {
  const int n = lk - 64 * w;
  return n >= 64 ? ~0ull : n <= 0 ? 0ull : (1ull << n) - 1;
}

// Part of class idx's scan (0 <= idx < mask_bits_classes): rows lane, lane + lanes, ... of its query tile. any: the
// set bits seen; missing: the existing keys seen unset. The class of the OR of all parts: mask_tile_class.
SK_HD void mask_tile_scan(const uint64_t* bits, const MaskBits& m, int64_t idx, int lane, int lanes, uint64_t& any,
                          uint64_t& missing) {
  const int kt = (int)(idx % m.ntk);
  const int64_t rest = idx / m.ntk;
  const int qt = (int)(rest % m.qtiles);
  const int64_t slice = rest / m.qtiles;
  const uint64_t v0 = mask_valid_bits(m.lk, 2 * kt), v1 = mask_valid_bits(m.lk, 2 * kt + 1);
  const int r1 = (qt + 1) * kMaskTile < m.lq ? (qt + 1) * kMaskTile : m.lq;
  any = 0;
  missing = 0;
  for (int i = qt * kMaskTile + lane; i < r1; i += lanes) {
    const uint64_t* w = bits + mask_bits_row(m, slice, i) + 2 * kt;
    any |= w[0] | w[1];
    missing |= (~w[0] & v0) | (~w[1] & v1);
  }
}
SK_HD uint8_t mask_tile_class(uint64_t any, uint64_t missing) { return any == 0 ? 0 : missing == 0 ? 1 : 2; }

// Narrows a CTA's key-tile range [lo, hi) by its row of tile classes: hidden tiles (class 0) at either end leave it,
// so a causal or padding pattern given as a dense mask loads only the tiles it shows, as the causal range does.
// Hidden tiles inside the range stay (the kernel skips their MMAs after loading them). Block-uniform: every thread
// reads the same row.
SK_HD void mask_trim_tile_range(const uint8_t* class_row, int& lo, int& hi) {
  while (lo < hi && class_row[lo] == 0) ++lo;
  while (hi > lo && class_row[hi - 1] == 0) --hi;
}

#ifdef __CUDACC__
// A thread's two mask rows' words of key tile kt (two 16-byte loads), for mask_bit: the Hopper kernels' mixed tiles.
__device__ __forceinline__ void mask_tile_words(const uint64_t* const (&rows)[2], int kt, uint64_t (&mw)[2][2]) {
#pragma unroll
  for (int hr = 0; hr < 2; ++hr) {
    const ulonglong2 w2 = __ldg(reinterpret_cast<const ulonglong2*>(rows[hr] + 2 * kt));
    mw[hr][0] = w2.x;
    mw[hr][1] = w2.y;
  }
}
#endif

// Whether key c (0 <= c < 128) of a key tile is set, from the row's two words of that tile.
SK_HD bool mask_bit(uint64_t w0, uint64_t w1, int c) { return (((c < 64 ? w0 : w1) >> (c & 63)) & 1ull) != 0; }

}  // namespace skcuda
