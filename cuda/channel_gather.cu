// Compaction gathers for structured channel removal (sk_gather_rows / sk_gather_cols, see sparsekernels.h).
// Both copy elements bit for bit, so they are written over unsigned types of the element size (f16 and bf16 share
// one instantiation) and every index read from idx is clamped into the source range.
//
// Rows: dst[i, :] = src[idx[i], :] is `count` contiguous row copies. A row is cut into vectors of V bytes (16 when
//   the row length in bytes and both pointers allow it, else 8, 4 or the element size). Block of 256 threads:
//   L = min(256, next_pow2(vectors per row)) lanes per row, 256 / L rows per block at a time, each lane moving
//   U = 4 vectors (all loads, then all stores) spaced L apart, so consecutive lanes touch consecutive 16 bytes.
// Columns: dst[r, j] = src[r, idx[j]]. A block owns a tile of TC output columns (512 output bytes per row: 256
//   f16/bf16 or 128 f32 columns) and loops over tiles of 8 rows, one warp per row. Its TC clamped indices are
//   loaded once into shared memory. When the source span they cover, idx[first]..idx[last] widened to whole load
//   vectors, fits 3072 bytes (ascending indices keeping at least ~1/6 of the columns), each warp copies its row's
//   span into shared memory with coalesced 16-byte loads (or element loads when the row is not 16-byte aligned),
//   then writes its output row from shared memory, consecutive lanes -> consecutive output elements (coalesced).
//   Otherwise (sparse keep: the span would be mostly waste) the warp reads the source elements straight from
//   global memory, still in ascending addresses across the warp. An index outside the staged span (possible only
//   for unchecked, non-ascending indices) is also read from global memory, never out of the shared buffer.
//   The experimental mode runs the PLANNED form (below): a capped grid, per-lane offsets in registers, and direct
//   16-byte copies for tiles whose kept columns come in aligned runs.
#include <cuda_runtime.h>
#include <stdint.h>

#include "channel_gather_index.cuh"
#include "channel_launch.cuh"
#include "sm90_support.cuh"  // sm_count

namespace skcuda {
namespace {

constexpr int kThreads = kGcThreads;

// ---- rows ----

constexpr int kRowUnroll = 4;

template <class V>
__global__ void __launch_bounds__(kThreads)
    gather_rows_kernel(const V* __restrict__ src, V* __restrict__ dst, const int64_t* __restrict__ idx,
                       int64_t rows, int64_t count, int64_t vpr, int lanes_log2) {
  const int L = 1 << lanes_log2;
  const int sub = threadIdx.x >> lanes_log2, lane = threadIdx.x & (L - 1);
  const int R = kThreads >> lanes_log2;  // rows per block step
  const int64_t c0 = (int64_t)blockIdx.x * L * kRowUnroll + lane;
  for (int64_t r = (int64_t)blockIdx.y * R + sub; r < count; r += (int64_t)gridDim.y * R) {
    int64_t s = idx[r];
    s = s < 0 ? 0 : s >= rows ? rows - 1 : s;
    const V* sp = src + s * vpr;
    V* dp = dst + r * vpr;
    V t[kRowUnroll];
#pragma unroll
    for (int u = 0; u < kRowUnroll; ++u) {
      const int64_t c = c0 + (int64_t)u * L;
      if (c < vpr) t[u] = sp[c];
    }
#pragma unroll
    for (int u = 0; u < kRowUnroll; ++u) {
      const int64_t c = c0 + (int64_t)u * L;
      if (c < vpr) dp[c] = t[u];
    }
  }
}

template <class V>
cudaError_t launch_rows(const void* src, int64_t rows, int64_t row_bytes, const int64_t* idx, int64_t count,
                        void* dst, cudaStream_t stream) {
  const int64_t vpr = row_bytes / (int64_t)sizeof(V);
  int lanes_log2 = 0;
  while (lanes_log2 < 8 && ((int64_t)1 << lanes_log2) < vpr) ++lanes_log2;
  const int64_t L = (int64_t)1 << lanes_log2, R = kThreads / L;
  const int64_t gx = (vpr + L * kRowUnroll - 1) / (L * kRowUnroll);
  int64_t gy = (count + R - 1) / R;
  if (gy > 65535) gy = 65535;
  gather_rows_kernel<V><<<dim3((unsigned)gx, (unsigned)gy), kThreads, 0, stream>>>(
      static_cast<const V*>(src), static_cast<V*>(dst), idx, rows, count, vpr, lanes_log2);
  return cudaGetLastError();
}

// ---- columns ----

constexpr int kTileRows = kGcTileRows;  // one warp per tile row (staged path)

// PLANNED (experimental, not yet run on a GPU; it replaces the HOIST variant, which measured slower on an H200, 0.088
// vs 0.074 ms, with one 8-row tile per block so that nothing it worked out per tile was used twice). Two changes:
//   - The grid is capped (gc_grid_y: 4 blocks per SM), so a block loops over many rows and its tile plan, the
//     indices and a lane's staged offsets, is worked out once (kept in registers), not once per 8 rows. The H200
//     profile found the kernel issue-bound (75% SM throughput, DRAM 47%): per output element it loaded its index
//     from shared memory, subtracted, tested two bounds and selected before copying.
//   - Direct tiles: when every 16-byte output chunk of a tile is one aligned 16-byte source vector (columns kept in
//     aligned runs of 8 f16 / 4 f32 or more, e.g. whole attention heads), each lane copies its chunk with one 16-byte
//     load and store per row, 4 rows in flight, and reads nothing of the removed columns. The staged path reads the
//     whole span between a tile's first and last index, gaps included: the bench's heads-of-128 case read all of
//     the source for half of it (0.072 ms, 50% of a copy of the kept bytes, as for random columns).
template <class E, class VL, bool PLANNED>
__global__ void __launch_bounds__(kGcThreads)
    gather_cols_kernel(const E* __restrict__ src, E* __restrict__ dst, const int64_t* __restrict__ idx,
                       int64_t rows, int64_t cols, int64_t count, bool out_vec_ok) {
  constexpr int TC = kGcTileOutBytes / (int)sizeof(E);  // output columns per tile
  constexpr int LE = (int)(sizeof(VL) / sizeof(E));     // elements per load vector
  constexpr int SPAN_V = kGcSpanBytes / (int)sizeof(VL);
  constexpr int PER_LANE = TC / 32;                     // PLANNED staged path: outputs lane + 32 u of a lane
  constexpr bool kVec16 = sizeof(VL) == 16;
  static_assert(!kVec16 || TC / LE == 32, "direct tiles: one 16-byte chunk per lane");
  __shared__ __align__(16) VL stage[kTileRows][SPAN_V];
  __shared__ int32_t sidx[TC];  // clamped source columns (cols <= INT32_MAX)

  const int warp = threadIdx.x >> 5, lane = threadIdx.x & 31;
  const int64_t j0 = (int64_t)blockIdx.x * TC;
  const int tc = (int)(count - j0 < TC ? count - j0 : TC);
  for (int t = threadIdx.x; t < tc; t += kGcThreads) sidx[t] = gc_clamp(idx[j0 + t], cols);
  __syncthreads();

  if constexpr (PLANNED && kVec16) {
    // Block-uniform: VL is 16 bytes only when every source row is 16-byte aligned, out_vec_ok says the same of the
    // output rows, and every chunk must be an aligned source vector.
    const bool mine = threadIdx.x >= 32 || (out_vec_ok && gc_chunk_direct(sidx, lane, LE, tc));
    if (__syncthreads_and(mine)) {
      const bool active = lane * LE < tc;
      const int32_t s0 = active ? sidx[lane * LE] : 0;
      constexpr int U = kGcDirectRowsPerWarp;
      for (int64_t r0 = (int64_t)blockIdx.y * kTileRows * U; r0 < rows; r0 += (int64_t)gridDim.y * kTileRows * U) {
        VL v[U];
#pragma unroll
        for (int u = 0; u < U; ++u) {
          const int64_t r = r0 + warp + kTileRows * u;
          if (active && r < rows) v[u] = *reinterpret_cast<const VL*>(src + r * cols + s0);
        }
#pragma unroll
        for (int u = 0; u < U; ++u) {
          const int64_t r = r0 + warp + kTileRows * u;
          if (active && r < rows) *reinterpret_cast<VL*>(dst + r * count + j0 + lane * LE) = v[u];
        }
      }
      return;
    }
  }

  const int64_t v0 = sidx[0] / LE;                // first staged load vector of a row
  const int64_t nv = sidx[tc - 1] / LE - v0 + 1;  // load vectors staged per row (<= 0 for corrupt idx)
  const bool staged = nv >= 1 && nv <= SPAN_V;    // block-uniform
  const int64_t base = v0 * LE;                   // first staged element
  const int64_t span = staged ? nv * LE : 0;      // staged elements per row
  const E* st = reinterpret_cast<const E*>(stage[warp]);

  // PLANNED: output lane + 32 u of each row comes from staged offset off[u], or from global memory (-1: outside the
  // staged span, or nothing staged); outputs past the tile are never written.
  int32_t off[PER_LANE];
  if constexpr (PLANNED) {
#pragma unroll
    for (int u = 0; u < PER_LANE; ++u) {
      const int k = lane + 32 * u;
      off[u] = k < tc ? gc_staged_offset(sidx[k], base, span) : -1;
    }
  }

  for (int64_t r0 = (int64_t)blockIdx.y * kTileRows; r0 < rows; r0 += (int64_t)gridDim.y * kTileRows) {
    const int64_t r = r0 + warp;
    if (r < rows) {  // warp-uniform
      const E* srow = src + r * cols;
      if (staged) {
        const VL* s = reinterpret_cast<const VL*>(srow) + v0;
#pragma unroll 2
        for (int v = lane; v < (int)nv; v += 32) stage[warp][v] = s[v];
        __syncwarp();
      }
      E* drow = dst + r * count + j0;
      if constexpr (PLANNED) {
#pragma unroll
        for (int u = 0; u < PER_LANE; ++u) {
          const int k = lane + 32 * u;
          if (k < tc) drow[k] = off[u] >= 0 ? st[off[u]] : srow[sidx[k]];
        }
      } else {
        for (int k = lane; k < tc; k += 32) {
          const int64_t c = sidx[k];
          const int64_t o = c - base;
          drow[k] = (o >= 0 && o < span) ? st[o] : srow[c];
        }
      }
    }
    __syncwarp();  // the warp's stage row is rewritten by the next tile
  }
}

bool aligned(const void* p, int64_t a) { return ((uintptr_t)p & (uintptr_t)(a - 1)) == 0; }

template <class E, class VL>
cudaError_t launch_cols(const void* src, int64_t rows, int64_t cols, const int64_t* idx, int64_t count, void* dst,
                        bool planned, cudaStream_t stream) {
  constexpr int TC = kGcTileOutBytes / (int)sizeof(E);
  const int64_t gx = (count + TC - 1) / TC;
  const bool out_vec_ok = (count * (int64_t)sizeof(E)) % 16 == 0 && aligned(dst, 16);
  if (planned) {
    // 4 blocks per SM: what 40-56 registers a thread (ptxas, sm_90a) leave resident, so no second wave waits.
    const int sms = sm_count();
    const dim3 grid((unsigned)gx, (unsigned)gc_grid_y(rows, gx, 4 * (int64_t)(sms > 0 ? sms : 132)));
    gather_cols_kernel<E, VL, true><<<grid, kGcThreads, 0, stream>>>(
        static_cast<const E*>(src), static_cast<E*>(dst), idx, rows, cols, count, out_vec_ok);
  } else {
    int64_t gy = (rows + kTileRows - 1) / kTileRows;
    if (gy > 65535) gy = 65535;
    const dim3 grid((unsigned)gx, (unsigned)gy);
    gather_cols_kernel<E, VL, false><<<grid, kGcThreads, 0, stream>>>(
        static_cast<const E*>(src), static_cast<E*>(dst), idx, rows, cols, count, out_vec_ok);
  }
  return cudaGetLastError();
}

}  // namespace

cudaError_t gather_rows(const void* src, int elem_bytes, int64_t rows, int64_t cols, const int64_t* idx,
                        int64_t count, void* dst, cudaStream_t stream) {
  const int64_t row_bytes = cols * elem_bytes;
  auto fits = [&](int64_t v) { return row_bytes % v == 0 && aligned(src, v) && aligned(dst, v); };
  if (fits(16)) return launch_rows<uint4>(src, rows, row_bytes, idx, count, dst, stream);
  if (fits(8)) return launch_rows<uint2>(src, rows, row_bytes, idx, count, dst, stream);
  if (fits(4)) return launch_rows<uint32_t>(src, rows, row_bytes, idx, count, dst, stream);
  return launch_rows<uint16_t>(src, rows, row_bytes, idx, count, dst, stream);
}

cudaError_t gather_cols(const void* src, int elem_bytes, int64_t rows, int64_t cols, const int64_t* idx,
                        int64_t count, void* dst, bool experimental, cudaStream_t stream) {
  const bool wide = (cols * elem_bytes) % 16 == 0 && aligned(src, 16);  // every source row 16-byte aligned
  const bool v = experimental;
  if (elem_bytes == 4) {
    if (wide) return launch_cols<uint32_t, uint4>(src, rows, cols, idx, count, dst, v, stream);
    return launch_cols<uint32_t, uint32_t>(src, rows, cols, idx, count, dst, v, stream);
  }
  if (wide) return launch_cols<uint16_t, uint4>(src, rows, cols, idx, count, dst, v, stream);
  return launch_cols<uint16_t, uint16_t>(src, rows, cols, idx, count, dst, v, stream);
}

}  // namespace skcuda
