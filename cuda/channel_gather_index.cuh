// Index math of the column gather (cuda/channel_gather.cu) as plain __host__ __device__ functions, so that
// sk_gather_emulation_test runs the kernel's tile plan on the CPU: the tile and span constants, the clamp of
// unchecked indices, the test that makes a tile "direct" (the planned kernel), its grid and its staged offsets.
#pragma once
#include <stdint.h>

#include "gemm_index.cuh"  // SK_HD

namespace skcuda {

constexpr int kGcThreads = 256;
constexpr int kGcTileRows = 8;          // staged path: one warp per row of a block step
constexpr int kGcTileOutBytes = 512;    // output bytes per tile row (256 f16/bf16 or 128 f32 columns)
constexpr int kGcSpanBytes = 3072;      // staged source bytes per tile row
constexpr int kGcDirectRowsPerWarp = 4; // direct path: rows a warp loads before it stores them

// Source column of an index, clamped into the row: unchecked indices never read outside it.
SK_HD int32_t gc_clamp(int64_t c, int64_t cols) { return (int32_t)(c < 0 ? 0 : c >= cols ? cols - 1 : c); }

// Output chunk q of a tile (outputs q*le .. q*le + le - 1 of the tc the tile holds) in the direct path: true when it
// is one aligned source vector (its le source columns consecutive from a multiple of le), or lies wholly past the
// tile's end (nothing to copy); false for a chunk cut by the end, which the vector copy would overrun.
SK_HD bool gc_chunk_direct(const int32_t* sidx, int q, int le, int tc) {
  const int k0 = q * le;
  if (k0 >= tc) return true;
  if (k0 + le > tc) return false;
  const int32_t s0 = sidx[k0];
  if (s0 % le != 0) return false;
  for (int e = 1; e < le; ++e)
    if (sidx[k0 + e] != s0 + e) return false;
  return true;
}

// Block rows of the planned kernel's grid: about `target` blocks in all (a few per SM, so each block loops over many
// rows and its tile plan is paid for once), never more than one per kGcTileRows rows, within gridDim.y's limit.
SK_HD int64_t gc_grid_y(int64_t rows, int64_t gx, int64_t target) {
  const int64_t most = (rows + kGcTileRows - 1) / kGcTileRows;
  int64_t gy = (target + gx - 1) / gx;
  if (gy > most) gy = most;
  if (gy > 65535) gy = 65535;
  return gy < 1 ? 1 : gy;
}

// Staged path: offset of source column c in the warp's staged row (which holds columns base .. base + span - 1), or
// -1 when c lies outside it (then read from global memory).
SK_HD int32_t gc_staged_offset(int32_t c, int64_t base, int64_t span) {
  const int64_t o = (int64_t)c - base;
  return (o >= 0 && o < span) ? (int32_t)o : -1;
}

}  // namespace skcuda
