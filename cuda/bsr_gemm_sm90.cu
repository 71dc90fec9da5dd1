// Hopper block-sparse (BSR) GEMM on warpgroup MMAs (wgmma, sm_90a): Y[tokens, out] = X[tokens, in] . W^T + bias, W
// [out, in] in BSR with 64x64 blocks, the contract of sk_bsr_gemm restricted to block_rows = block_cols = 64.
// sk_bsr_gemm runs it on sm_90 for 64x64 blocks above 64 tokens when no workspace asks for balancing (verified on an
// H100 and an H200, 2026-11-26: 1.34-1.36x the mma.sync kernel at density 0.1; sk_gpu_bsr_sm90_selftest checks it
// against an fp64 host reference and times it against sk_bsr_gemm and cuBLAS).
//
//   CTA = 128 tokens x one block row (64 out features), two warpgroups (256 threads), each one m64n64k16 accumulator
//   tile (32 f32 per thread): warpgroup g owns tokens m0 + 64 g .. m0 + 64 g + 63. The K loop visits only the block
//   row's stored blocks: k-tile j is block b = row_ptr[row] + j at block column c = col_idx[b], and needs
//     A = X[m0 .. m0 + 127][64 c .. 64 c + 63]: per token one 128-byte row, i.e. exactly one row of a 128-byte
//         swizzle atom, gathered by col_idx (so the X tile is as wide as the dense kernel's BK = 64);
//     B = the stored 64x64 block, values[b][out row][k], already K-major (rows = out, contiguous k) as wgmma
//         wants B without a transpose: 8 KB, copied verbatim into a 128B-swizzled tile.
//   Both go through cp.async into 128B-swizzled tiles (the dense kernel's swizzle128 / desc_sw128), 4 stages of
//   16 KB + 8 KB = 96 KB, so two CTAs fit on one SM (2 x 97 KB of its 228 KB).
//   Overlap: unlike the dense kernel, one wgmma group stays in flight while the next tile is issued (wait_group
//   kMmaInFlight = 1): a 64x64 block is only 4 k16 steps per warpgroup, too little work to hide a full drain per
//   tile. The slot refilled at tile kt is the one tile kt-2 used (prefetch distance STAGES - 1 - kMmaInFlight = 2),
//   whose MMAs every warpgroup has waited for before the __syncthreads that precedes the refill.
//   Epilogue: accumulators -> + bias -> Y row-major, column pairs stored together where Y is aligned for it.
//   Empty block rows run no k-tile and store bias (or 0). Token tails are zero-filled rows, never stored.
// Grid: x = block rows, y = token tiles (CTAs of one token tile are adjacent in launch order, so its X rows are
// re-read from L2). No balancing yet: a block row is one CTA whatever its length (sk_bsr_plan's split rows are the
// next step once this is verified).
#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_runtime.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <type_traits>

#include "bsr_launch.cuh"
#include "cp_async.cuh"
#include "epilogue.cuh"
#include "gemm_index.cuh"
#include "sparsekernels.h"
#include "sm90_support.cuh"
#include "tma.cuh"
#include "wgmma.cuh"

namespace skcuda {
namespace {

constexpr int BLK = 64;        // block rows = block cols = out features per CTA = k per tile
constexpr int STAGES = 4;
constexpr int kMmaInFlight = 1;                          // wgmma groups left pending at the end of a tile (0 or 1)
constexpr int kPrefetch = STAGES - 1 - kMmaInFlight;     // tiles loaded ahead of the one being multiplied
constexpr int B_BYTES = BLK * BLK * 2;                   // 8 KB: one block, 64 out rows of 128 B
constexpr int B_CHUNKS = BLK * 8;                        // 16-byte copies of B per stage
static_assert(kPrefetch >= 1, "at least one tile in flight");

// Tokens per CTA: 128 (two warpgroups, two CTAs per SM: the verified configuration) or, experimental (not yet run on
// a GPU), 256 (four warpgroups, one CTA per SM): each W block is then read once per 256 tokens instead of 128, a
// third less L2 traffic at density 0.1 (4096^3: X slices ~215 MB, W blocks ~105 MB per pass of 128-token tiles).
template <int BM_>
struct BsrSm90Cfg {
  static constexpr int BM = BM_;
  static constexpr int THREADS = 2 * BM;                        // a warpgroup per 64 tokens
  static constexpr int MIN_BLOCKS = BM == 128 ? 2 : 1;          // CTAs per SM the launch bounds ask for
  static constexpr int A_BYTES = BM * BLK * 2;                  // BM token rows of 128 B
  static constexpr int STAGE_BYTES = A_BYTES + B_BYTES;         // a multiple of 1024: every tile stays 1024-aligned
  static constexpr int SMEM_BYTES = STAGES * STAGE_BYTES + 1024;  // + slack to align the base to 1024 B
  static constexpr int A_CHUNKS = BM * 8;                       // 16-byte copies of A per stage
  static_assert(A_CHUNKS % THREADS == 0 && B_CHUNKS % (THREADS / 4) == 0 &&
                    (A_CHUNKS + B_CHUNKS) % THREADS == 0,
                "every thread issues the same number of copies, A ones first");
  static_assert(STAGE_BYTES % 1024 == 0 && SMEM_BYTES <= 227 * 1024, "tiles 1024-aligned, ring within the opt-in");
};

#if SK_SM90A  // used only by the sm_90a kernel body (other passes would warn about unreferenced functions)
// Stores two adjacent output columns (col even, so the pair never straddles a row: out % 64 == 0). `paired` says y
// is aligned to a pair (decided once per launch): then one 8-byte (f32) or 4-byte (f16/bf16) store, else two.
__device__ __forceinline__ void store_pair(float* p, float a, float b, bool paired) {
  if (paired) {
    *reinterpret_cast<float2*>(p) = make_float2(a, b);
  } else {
    p[0] = a;
    p[1] = b;
  }
}
__device__ __forceinline__ void store_pair(__half* p, float a, float b, bool paired) {
  if (paired) {
    *reinterpret_cast<__half2*>(p) = __floats2half2_rn(a, b);
  } else {
    store_out(p, a);
    store_out(p + 1, b);
  }
}
__device__ __forceinline__ void store_pair(__nv_bfloat16* p, float a, float b, bool paired) {
  if (paired) {
    *reinterpret_cast<__nv_bfloat162*>(p) = __floats2bfloat162_rn(a, b);
  } else {
    store_out(p, a);
    store_out(p + 1, b);
  }
}

// One stored block's MMAs for one warpgroup: X rows at sa, the block at sb (both 128B-swizzled K-major tiles), 4 k16
// steps, committed as one group; then wait until at most kMmaInFlight groups pend.
template <class T>
__device__ __forceinline__ void block_mma(float (&acc)[32], uint32_t sa, uint32_t sb) {
  sm90::wgmma_fence();
#pragma unroll
  for (int ks = 0; ks < BLK / 16; ++ks) {
    // k16 step ks: 32 bytes further along the 128-byte row; the hardware applies the swizzle to the final address.
    const uint64_t da = sm90::desc_sw128(sa + ks * 32), db = sm90::desc_sw128(sb + ks * 32);
    if constexpr (std::is_same<T, __nv_bfloat16>::value) {
      sm90::wgmma_m64n64k16_bf16(acc, da, db, 1);
    } else {
      sm90::wgmma_m64n64k16_f16(acc, da, db, 1);
    }
  }
  sm90::wgmma_commit();
  sm90::wgmma_wait<kMmaInFlight>();
}

// The CTA tile's Y (+ bias): accumulator i of lane l in warp w (of warpgroup wg): token 16 w + l / 4 + 8 ((i / 2) % 2),
// out column 8 (i / 4) + 2 (l % 4) + i % 2: the mma.sync m16n8 C layout over the 8 n8 column groups. i even / i + 1
// are adjacent columns of one token: stored as a pair.
template <class OutT>
__device__ __forceinline__ void store_tile(const float (&acc)[32], const float* __restrict__ bias,
                                           OutT* __restrict__ y, int row, int m0, int wg, int tid, int tokens, int out,
                                           bool paired) {
  const int lane = tid & 31, warp = (tid / 32) & 3;
  const int n_base = row * BLK;
#pragma unroll
  for (int i = 0; i < 32; i += 2) {
    const int tok = m0 + wg * 64 + warp * 16 + lane / 4 + 8 * ((i >> 1) & 1);
    const int col = n_base + 8 * (i >> 2) + 2 * (lane & 3);
    if (tok < tokens) {
      const float b0 = bias != nullptr ? __ldg(bias + col) : 0.0f;
      const float b1 = bias != nullptr ? __ldg(bias + col + 1) : 0.0f;
      store_pair(y + (size_t)tok * out + col, acc[i] + b0, acc[i + 1] + b1, paired);
    }
  }
}
#endif

template <class T, class OutT, class C>
__global__ void __launch_bounds__(C::THREADS, C::MIN_BLOCKS)
    bsr_gemm_sm90_kernel(const T* __restrict__ x, const int32_t* __restrict__ row_ptr,
                         const int32_t* __restrict__ col_idx, const T* __restrict__ values,
                         const float* __restrict__ bias, OutT* __restrict__ y, int tokens, int in, int out,
                         int blocks, bool paired) {
#if SK_SM90A
  constexpr int BM = C::BM, THREADS = C::THREADS, A_BYTES = C::A_BYTES, STAGE_BYTES = C::STAGE_BYTES;
  constexpr int A_CHUNKS = C::A_CHUNKS;
  extern __shared__ uint8_t smem_raw[];
  const uint32_t base = (smem_u32(smem_raw) + 1023u) & ~1023u;  // swizzle atoms need 1024-byte alignment
  const int tid = threadIdx.x;
  const int row = blockIdx.x, m0 = blockIdx.y * BM;
  const int nbc = in / BLK;
  // Clamped like the mma.sync kernel: a corrupt structure gives wrong numbers, never an out-of-bounds read.
  const BsrItem it = bsr_row_item(row, __ldg(row_ptr + row), __ldg(row_ptr + row + 1), blocks, nbc);
  const int KT = it.b1 - it.b0;  // k-tiles = stored blocks of this block row

  // Block column of tile kt (0 past the end: its copies are then never issued).
  auto col_of = [&](int kt) -> int { return kt < KT ? bsr_clamp_col(__ldg(col_idx + it.b0 + kt), nbc) : 0; };

  // Tile kt into ring slot `slot`: A (X rows m0.., columns 64 col..) then B (block it.b0 + kt) at A_BYTES after.
  // Copy c < A_CHUNKS: token row c / 8, 16-byte chunk c % 8; the rest: block row (c - A_CHUNKS) / 8. Tokens past
  // the end are zero-filled (their accumulator rows are computed and dropped).
  auto load_tile = [&](int kt, int slot, int col) {
    const uint32_t sa = base + slot * STAGE_BYTES, sb = sa + A_BYTES;
    const size_t x_col = (size_t)col * BLK;
    const T* w_block = values + (size_t)(it.b0 + kt) * (BLK * BLK);
#pragma unroll
    for (int i = 0; i < (A_CHUNKS + B_CHUNKS) / THREADS; ++i) {
      const int c = tid + i * THREADS;
      if (c < A_CHUNKS) {  // uniform per i (A_CHUNKS % THREADS == 0): no divergence
        const int r = c / 8, chunk = c % 8;
        const bool ok = m0 + r < tokens;
        cp_async16(sa + sm90::swizzle128(r, chunk), ok ? x + (size_t)(m0 + r) * in + x_col + chunk * 8 : x, ok);
      } else {
        const int r = (c - A_CHUNKS) / 8, chunk = c % 8;
        cp_async16(sb + sm90::swizzle128(r, chunk), w_block + r * BLK + chunk * 8, true);
      }
    }
  };

  float acc[32];
#pragma unroll
  for (int i = 0; i < 32; ++i) acc[i] = 0.0f;

  // Prologue: tiles 0 .. kPrefetch-1 (empty groups past KT keep the wait_group arithmetic uniform).
#pragma unroll
  for (int s = 0; s < kPrefetch; ++s) {
    if (s < KT) load_tile(s, s, col_of(s));
    cp_async_commit();
  }
  int col_next = col_of(kPrefetch);  // loaded one tile early: its latency hides behind a tile of MMAs

  const int wg = tid / 128;  // warpgroup: tokens 64 * wg .. of the CTA tile
  for (int kt = 0; kt < KT; ++kt) {
    // Groups committed so far: tiles 0 .. kt + kPrefetch - 1; tile kt is done when at most kPrefetch - 1 pend.
    cp_async_wait<kPrefetch - 1>();
    sm90::fence_proxy_async_smem();  // this thread's landed copies, visible to the async proxy (wgmma reads)
    // Everyone's copies of tile kt are in; and every warpgroup has waited (below, previous iteration) for the MMAs
    // of tile kt - 1 - kMmaInFlight, whose slot is the one refilled now.
    __syncthreads();
    const int next = kt + kPrefetch;
    if (next < KT) load_tile(next, next % STAGES, col_next);
    cp_async_commit();
    col_next = col_of(next + 1);

    const uint32_t sa = base + (kt % STAGES) * STAGE_BYTES + wg * (64 * 128);  // this warpgroup's 64 token rows
    const uint32_t sb = base + (kt % STAGES) * STAGE_BYTES + A_BYTES;
    block_mma<T>(acc, sa, sb);
  }
  sm90::wgmma_wait<0>();  // the accumulators are read below
  cp_async_wait<0>();     // no copy may still target shared memory when the CTA exits

  store_tile(acc, bias, y, row, m0, wg, tid, tokens, out, paired);
#else
  // Built for an architecture without wgmma: the host side never launches this (see bsr_gemm_sm90_available).
  __trap();
#endif
}

// The persistent TMA kernel (C: BsrTmaCfg, verified on an H200 on 2026-11-27 and the default; BsrTmaWideCfg, 256
// tokens, experimental, not yet run; gemm_index.cuh): the consumer warps multiply as the kernel above, a warpgroup per
// 64 tokens; the last warp's lane 0 loads. Tile g of this CTA's sequence (over all its items) uses slot g % STAGES.
template <class T, class OutT, class C>
__global__ void __launch_bounds__(C::THREADS, C::MIN_BLOCKS)
    bsr_gemm_sm90_tma_kernel(const __grid_constant__ CUtensorMap tm_x, const __grid_constant__ CUtensorMap tm_w,
                             const int32_t* __restrict__ row_ptr, const int32_t* __restrict__ col_idx,
                             const float* __restrict__ bias, OutT* __restrict__ y, int tokens, int in, int out,
                             int blocks, bool paired, bool balanced) {
#if SK_SM90A
  extern __shared__ uint8_t smem_raw[];
  const uint32_t base = (smem_u32(smem_raw) + 1023u) & ~1023u;  // TMA's 128-byte swizzle needs 1024-byte boxes
  const int tid = threadIdx.x;
  const int nbc = in / BLK;
  const int64_t items = bsrt_items<C>(tokens, out);
  const uint32_t full = base + C::BAR_OFF, empty = full + C::STAGES * 8;  // + 8 * slot
  // The balanced item order (gemm_index.cuh, bsrt_serpentine): block rows ranked by stored blocks, the same table in
  // every CTA (producer and consumers read it alike).
  __shared__ int s_cost[kBsrtOrderRows], s_order[kBsrtOrderRows];
  const int nrows = out / C::BLK;
  const bool ranked = balanced && nrows <= kBsrtOrderRows;
  if (ranked) {
    for (int r = tid; r < nrows; r += C::THREADS) {
      const BsrItem it = bsr_row_item(r, __ldg(row_ptr + r), __ldg(row_ptr + r + 1), blocks, nbc);
      s_cost[r] = it.b1 - it.b0;
    }
    __syncthreads();
    for (int r = tid; r < nrows; r += C::THREADS) s_order[bsr_cost_rank(s_cost, nrows, r)] = r;
  }
  if (tid == 0) init_tma_ring(full, empty, C::STAGES, C::CONSUMER_THREADS);
  __syncthreads();  // the only block-wide barrier after the table: the producer warp leaves early

  if (tid / 32 == C::PRODUCER_WARP) {
    if (tid % 32 == 0) {
      int g = 0;
      for (int64_t k = 0; k * gridDim.x < items; ++k) {
        const int64_t w = balanced ? bsrt_serpentine(k, blockIdx.x, gridDim.x) : k * gridDim.x + blockIdx.x;
        if (w >= items) continue;  // the last, partial round
        const int row = ranked ? s_order[bsrt_row<C>(w, out)] : bsrt_row<C>(w, out), m0 = bsrt_m0<C>(w, out);
        const BsrItem it = bsr_row_item(row, __ldg(row_ptr + row), __ldg(row_ptr + row + 1), blocks, nbc);
        for (int b = it.b0; b < it.b1; ++b, ++g) {
          const int slot = g % C::STAGES;
          if (g >= C::STAGES) mbar_wait_or_trap(empty + 8 * slot, sp90d_parity<C>(g - C::STAGES));
          const uint32_t bar = full + 8 * slot, sa = base + slot * C::STAGE_BYTES;
          mbar_arrive_expect_tx(bar, C::STAGE_BYTES);
          tma_load_2d(sa, &tm_x, bsrt_x_k<C>(bsr_clamp_col(__ldg(col_idx + b), nbc)), m0, bar);
          tma_load_2d(sa + C::A_BYTES, &tm_w, 0, bsrt_w_row<C>(b), bar);
        }
      }
    }
    return;  // the consumers wait for every tile, so no copy outlives the CTA
  }

  const int wg = tid / 128;  // warpgroup: tokens 64 * wg .. of the item's tile
  int g = 0;
  for (int64_t k = 0; k * gridDim.x < items; ++k) {
    const int64_t w = balanced ? bsrt_serpentine(k, blockIdx.x, gridDim.x) : k * gridDim.x + blockIdx.x;
    if (w >= items) continue;  // the last, partial round
    const int row = ranked ? s_order[bsrt_row<C>(w, out)] : bsrt_row<C>(w, out), m0 = bsrt_m0<C>(w, out);
    const BsrItem it = bsr_row_item(row, __ldg(row_ptr + row), __ldg(row_ptr + row + 1), blocks, nbc);
    float acc[32];
#pragma unroll
    for (int i = 0; i < 32; ++i) acc[i] = 0.0f;
    int prev = -1;  // the tile whose MMAs may still be in flight
    for (int b = it.b0; b < it.b1; ++b, ++g) {
      const int slot = g % C::STAGES;
      mbar_wait_or_trap(full + 8 * slot, sp90d_parity<C>(g));  // its X and W boxes have landed
      const uint32_t ss = base + slot * C::STAGE_BYTES;
      block_mma<T>(acc, ss + bsrt_a_start<C>(wg), ss + bsrt_b_start<C>());
      if (prev >= 0) mbar_arrive(empty + 8 * (prev % C::STAGES));  // tile prev's MMAs have retired
      prev = g;
    }
    sm90::wgmma_wait<0>();
    sm90::pin(acc);
    if (prev >= 0) mbar_arrive(empty + 8 * (prev % C::STAGES));
    store_tile(acc, bias, y, row, m0, wg, tid, tokens, out, paired);
  }
#else
  __trap();  // never launched without sm_90a code (see bsr_gemm_sm90_available)
#endif
}

template <class T, class OutT, class C>
cudaError_t launch_cfg(const void* x, const int32_t* row_ptr, const int32_t* col_idx, const void* values,
                       int blocks, const float* bias, void* y, int tokens, int in, int out, cudaStream_t stream) {
  auto kernel = bsr_gemm_sm90_kernel<T, OutT, C>;
  cudaError_t e = cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, C::SMEM_BYTES);
  if (e != cudaSuccess) return e;
  const bool paired = ((uintptr_t)y % (2 * sizeof(OutT))) == 0;
  dim3 grid((unsigned)(out / BLK), (unsigned)((tokens + C::BM - 1) / C::BM));
  kernel<<<grid, C::THREADS, C::SMEM_BYTES, stream>>>(static_cast<const T*>(x), row_ptr, col_idx,
                                                      static_cast<const T*>(values), bias, static_cast<OutT*>(y),
                                                      tokens, in, out, blocks, paired);
  return cudaGetLastError();
}

// Encodes the two tensor maps and launches the persistent TMA kernel on at most MIN_BLOCKS CTAs per SM. TMA needs
// 16-byte aligned bases (cudaMalloc gives 256), at most 2^32 rows per map and a driver that encodes the maps;
// otherwise the cp.async kernel runs.
template <class T, class OutT, class C>
cudaError_t launch_tma(const void* x, const int32_t* row_ptr, const int32_t* col_idx, const void* values,
                       int blocks, const float* bias, void* y, int tokens, int in, int out, cudaStream_t stream) {
  if ((((uintptr_t)x | (uintptr_t)values) & 15u) != 0 || (int64_t)blocks * C::BLK > 0xFFFFFFFFLL)
    return launch_cfg<T, OutT, BsrSm90Cfg<128>>(x, row_ptr, col_idx, values, blocks, bias, y, tokens, in, out, stream);
  constexpr bool bf16 = std::is_same<T, __nv_bfloat16>::value;
  CUtensorMap tm_x, tm_w;
  cudaError_t e = encode_tensor_map_sw128(&tm_x, x, bf16, bsrt_x_map<C>(tokens, in));
  // A structure with no stored block (values may be NULL) still needs a valid map, never read: x, one block's rows.
  if (e == cudaSuccess)
    e = encode_tensor_map_sw128(&tm_w, blocks > 0 ? values : x, bf16, bsrt_w_map<C>(blocks > 0 ? blocks : 1));
  if (e != cudaSuccess)
    return launch_cfg<T, OutT, BsrSm90Cfg<128>>(x, row_ptr, col_idx, values, blocks, bias, y, tokens, in, out, stream);
  auto kernel = bsr_gemm_sm90_tma_kernel<T, OutT, C>;
  e = cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, C::SMEM_BYTES);
  if (e != cudaSuccess) return e;
  const bool paired = ((uintptr_t)y % (2 * sizeof(OutT))) == 0;
  const int64_t items = bsrt_items<C>(tokens, out), cap = (int64_t)C::MIN_BLOCKS * (sm_count() > 0 ? sm_count() : 1);
  const unsigned grid = (unsigned)(items < cap ? items : cap);
  // $SPARSEKERNELS_BSR_ORDER=plain: the item order before session 16 (for the self-test's comparison), read per call.
  const char* order = getenv("SPARSEKERNELS_BSR_ORDER");
  const bool balanced = order == nullptr || strcmp(order, "plain") != 0;
  kernel<<<grid, C::THREADS, C::SMEM_BYTES, stream>>>(tm_x, tm_w, row_ptr, col_idx, bias, static_cast<OutT*>(y),
                                                      tokens, in, out, blocks, paired, balanced);
  return cudaGetLastError();
}

template <class T, class OutT>
cudaError_t launch(const void* x, const int32_t* row_ptr, const int32_t* col_idx, const void* values, int blocks,
                   const float* bias, void* y, int tokens, int in, int out, BsrSm90Variant variant,
                   cudaStream_t stream) {
  if (variant == BsrSm90Variant::kTma)
    return launch_tma<T, OutT, BsrTmaCfg>(x, row_ptr, col_idx, values, blocks, bias, y, tokens, in, out, stream);
  if (variant == BsrSm90Variant::kTma256)
    return launch_tma<T, OutT, BsrTmaWideCfg>(x, row_ptr, col_idx, values, blocks, bias, y, tokens, in, out, stream);
  if (variant == BsrSm90Variant::kCta256)
    return launch_cfg<T, OutT, BsrSm90Cfg<256>>(x, row_ptr, col_idx, values, blocks, bias, y, tokens, in, out, stream);
  return launch_cfg<T, OutT, BsrSm90Cfg<128>>(x, row_ptr, col_idx, values, blocks, bias, y, tokens, in, out, stream);
}

}  // namespace

bool bsr_gemm_sm90_available() {
  static Sm90Cache cache;
  return sm90a_code_runs(bsr_gemm_sm90_kernel<__nv_bfloat16, float, BsrSm90Cfg<128>>, cache);
}

cudaError_t bsr_gemm_sm90(const void* x, int x_dtype, const int32_t* row_ptr, const int32_t* col_idx,
                          const void* values, int64_t blocks, const float* bias, void* y, int y_dtype,
                          int64_t tokens, int64_t in, int64_t out, BsrSm90Variant variant, cudaStream_t stream) {
  // Ranges checked by the host caller: tokens <= kBsrMaxTokens, in/out <= 2^30 and multiples of 64, blocks <= 2^31-1.
  const int t = (int)tokens, k = (int)in, m = (int)out, nb = (int)blocks;
  const BsrSm90Variant w = variant;
  if (x_dtype == SK_DTYPE_BF16) {
    if (y_dtype == SK_DTYPE_F32)
      return launch<__nv_bfloat16, float>(x, row_ptr, col_idx, values, nb, bias, y, t, k, m, w, stream);
    return launch<__nv_bfloat16, __nv_bfloat16>(x, row_ptr, col_idx, values, nb, bias, y, t, k, m, w, stream);
  }
  if (y_dtype == SK_DTYPE_F32) return launch<__half, float>(x, row_ptr, col_idx, values, nb, bias, y, t, k, m, w, stream);
  return launch<__half, __half>(x, row_ptr, col_idx, values, nb, bias, y, t, k, m, w, stream);
}

}  // namespace skcuda
