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
#include <cuda_runtime.h>
#include <stdint.h>
#include <string.h>

#include "channel_launch.cuh"

namespace skcuda {
namespace {

constexpr int kThreads = 256;

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

constexpr int kTileRows = 8;           // one warp per tile row
constexpr int kTileOutBytes = 512;     // output bytes per tile row
constexpr int kSpanBytes = 3072;       // staged source bytes per tile row

// Pair type of the HOIST variant: two output elements per store.
template <class E> struct PairOf;
template <> struct PairOf<uint16_t> { using T = uint32_t; };
template <> struct PairOf<uint32_t> { using T = uint2; };

// HOIST (experimental, not yet run on a GPU; it replaces a 16-byte-store variant that measured slower, 0.091 vs
// 0.074 ms on an H200): the H200 profile showed this kernel issue-bound (75% SM throughput, DRAM 47%), with per output
// element a shared-memory index load, an offset, two bounds tests and a select before the copy itself. A lane's output
// columns are the same in every row of the tile, so HOIST works out their staged offsets (or that they are outside the
// span) once per tile, keeps them in registers, and per row only copies, two adjacent outputs per store. Needs every
// output row start aligned to the pair (count even, dst aligned to 2 elements); the last odd column of a tile is
// written alone.
template <class E, class VL, bool HOIST>
__global__ void __launch_bounds__(kThreads)
    gather_cols_kernel(const E* __restrict__ src, E* __restrict__ dst, const int64_t* __restrict__ idx,
                       int64_t rows, int64_t cols, int64_t count) {
  constexpr int TC = kTileOutBytes / (int)sizeof(E);  // output columns per tile
  constexpr int LE = (int)(sizeof(VL) / sizeof(E));   // elements per load vector
  constexpr int SPAN_V = kSpanBytes / (int)sizeof(VL);
  constexpr int PPL = TC / 64;                        // HOIST: output pairs per lane per row
  __shared__ __align__(16) VL stage[kTileRows][SPAN_V];
  __shared__ int32_t sidx[TC];  // clamped source columns (cols <= INT32_MAX)

  const int warp = threadIdx.x >> 5, lane = threadIdx.x & 31;
  const int64_t j0 = (int64_t)blockIdx.x * TC;
  const int tc = (int)(count - j0 < TC ? count - j0 : TC);
  for (int t = threadIdx.x; t < tc; t += kThreads) {
    const int64_t c = idx[j0 + t];
    sidx[t] = (int32_t)(c < 0 ? 0 : c >= cols ? cols - 1 : c);
  }
  __syncthreads();
  const int64_t v0 = sidx[0] / LE;                // first staged load vector of a row
  const int64_t nv = sidx[tc - 1] / LE - v0 + 1;  // load vectors staged per row (<= 0 for corrupt idx)
  const bool staged = nv >= 1 && nv <= SPAN_V;    // block-uniform
  const int64_t base = v0 * LE;                   // first staged element
  const int64_t span = staged ? nv * LE : 0;      // staged elements per row
  const E* st = reinterpret_cast<const E*>(stage[warp]);

  // HOIST: pair u of this lane is outputs k = 2 (lane + 32 u) and k + 1, at these staged offsets; -1 marks a column
  // read from global memory instead (outside the staged span, or nothing staged) or one past the tile (never written).
  int32_t off[PPL][2];
  if constexpr (HOIST) {
#pragma unroll
    for (int u = 0; u < PPL; ++u)
#pragma unroll
      for (int e = 0; e < 2; ++e) {
        const int k = 2 * (lane + 32 * u) + e;
        const int64_t o = k < tc ? sidx[k] - base : -1;
        off[u][e] = (o >= 0 && o < span) ? (int32_t)o : -1;
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
      if constexpr (HOIST) {
        using P = typename PairOf<E>::T;
#pragma unroll
        for (int u = 0; u < PPL; ++u) {
          const int k = 2 * (lane + 32 * u);
          if (k + 1 < tc) {
            E pair[2];
#pragma unroll
            for (int e = 0; e < 2; ++e) pair[e] = off[u][e] >= 0 ? st[off[u][e]] : srow[sidx[k + e]];
            P w;
            memcpy(&w, pair, sizeof(P));
            *reinterpret_cast<P*>(drow + k) = w;
          } else if (k < tc) {  // the tile's odd last column
            drow[k] = off[u][0] >= 0 ? st[off[u][0]] : srow[sidx[k]];
          }
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
                        bool hoist, cudaStream_t stream) {
  constexpr int TC = kTileOutBytes / (int)sizeof(E);
  const int64_t gx = (count + TC - 1) / TC;
  int64_t gy = (rows + kTileRows - 1) / kTileRows;
  if (gy > 65535) gy = 65535;
  const dim3 grid((unsigned)gx, (unsigned)gy);
  if (hoist && count % 2 == 0 && aligned(dst, 2 * sizeof(E)))
    gather_cols_kernel<E, VL, true><<<grid, kThreads, 0, stream>>>(static_cast<const E*>(src), static_cast<E*>(dst),
                                                                     idx, rows, cols, count);
  else
    gather_cols_kernel<E, VL, false><<<grid, kThreads, 0, stream>>>(static_cast<const E*>(src), static_cast<E*>(dst),
                                                                      idx, rows, cols, count);
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
