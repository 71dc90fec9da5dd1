// Block-sparse (BSR) GEMM: Y[tokens, out] = X[tokens, in] . W^T + bias, W [out, in] in BSR with block_rows x
// block_cols blocks (each 16, 32 or 64). Only stored blocks are read.
//
// Orientation as in the dense kernel: a CTA computes a tile of Y^T = W . X^T, A = W rows (one block row, BR out
// features), B = X rows ("N x K, K contiguous"), dense mma.sync m16n8k16 with f32 accumulators.
//
// Work items: a block row, or (with a schedule from sk_bsr_plan in the workspace) a chunk of a long block row
// whose f32 partial sums go to the workspace and are summed in chunk order by bsr_reduce_kernel (deterministic).
// gridDim.x CTAs walk the items (x, x + gridDim.x, ...), gridDim.y = token tiles of BN tokens.
//
// K loop of an item: the concatenation of its blocks' columns, SK = 32 positions per stage (gemm_index.cuh, BSR
// section), 4-stage cp.async ring holding the W block slice [BR][32] and the X columns it needs, gathered by
// col_idx: X rows n0..n0+BN-1, columns col_idx[b] * BC + kin. Each thread copies one 16-byte column chunk per
// row, so it needs one col_idx entry per stage; that entry is loaded one stage ahead into a register so its
// latency hides behind a stage of MMAs.
//
// Tiles (same code for sm_80..sm_90a):
//   tokens > 32:  BN 128. BR 64: 2x2 warps of 32x64 (64 f32 accumulators per lane); BR 32: 1x4 warps of 32x32;
//                 BR 16: 1x4 warps of 16x32. 4 stages = 60 / 50 / 45 KB smem -> two or more CTAs per SM.
//   tokens <= 32: BN 32. BR 64: 2x2 warps of 32x16; BR 32 / 16: 1x2 warps of 32x16 / 16x16.
// Empty items (block rows without blocks) run no stage and store bias (or 0).
#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_runtime.h>
#include <stdint.h>

#include "bsr_launch.cuh"
#include "cp_async.cuh"
#include "epilogue.cuh"
#include "gemm_index.cuh"
#include "mma_fragments.cuh"
#include "sparsekernels.h"

namespace skcuda {
namespace {

// One m16n8 f32 fragment into the partial-sum slot (no bias: the reduction adds it once).
__device__ __forceinline__ void store_partial(float* __restrict__ part, const float (&c)[4], int slot, int mloc_tile,
                                              int n_tile, int tokens, int br, int lane) {
#pragma unroll
  for (int r = 0; r < 4; ++r) {
    const int n = n_tile + frag_col(lane, r);
    if (n < tokens) part[bsr_partial_index(slot, n, mloc_tile + frag_row(lane, r), tokens, br)] = c[r];
  }
}

template <class T, class OutT, class C>
__global__ void __launch_bounds__(C::THREADS)
    bsr_gemm_kernel(const T* __restrict__ x, const int32_t* __restrict__ row_ptr, const int32_t* __restrict__ col_idx,
                    const T* __restrict__ values, const int32_t* ws, const float* __restrict__ bias,
                    OutT* __restrict__ y, int tokens, int in, int out, int blocks, int bc_shift) {
  extern __shared__ __align__(16) uint8_t smem[];
  T* sA = reinterpret_cast<T*>(smem + C::A_OFF);
  T* sB = reinterpret_cast<T*>(smem + C::B_OFF);

  const int nbr = out / C::BR, nbc = in >> bc_shift;
  const int n0 = blockIdx.y * C::BN;
  const int tid = threadIdx.x, lane = tid & 31, warp = tid >> 5;
  int wm, wn;
  bsr_warp_roles<C>(warp, wm, wn);
  const int ch = bsr_copy_ch<C>(tid);  // the chunk column of every copy this thread issues

  const bool sched = bsr_ws_valid(ws, C::BR, 1 << bc_shift, nbr, blocks, tokens);
  const int n_items = sched ? ws[H_ITEMS] : nbr;
  const int n_slots = sched ? ws[H_SLOTS] : 0;
  // The partial sums are the one part of the workspace a kernel writes (the schedule words are read only;
  // no __restrict__ on ws since both views alias it).
  float* part = sched ? reinterpret_cast<float*>(const_cast<int32_t*>(ws) + ws[H_PART_OFF]) : nullptr;

  for (int idx = blockIdx.x; idx < n_items; idx += gridDim.x) {
    BsrItem it;
    if (sched) {
      const int4 e = __ldg(reinterpret_cast<const int4*>(ws + H_WORDS) + idx);
      it = bsr_sched_item(e.x, e.y, e.z, e.w, nbr, blocks, nbc, n_slots);
    } else {
      it = bsr_row_item(idx, __ldg(row_ptr + idx), __ldg(row_ptr + idx + 1), blocks, nbc);
    }
    const int KT = bsr_num_stages<C>(it.b1 - it.b0, bc_shift);

    // col_idx entry of this thread's copies in stage s (0 when the stage has no block there: zero-filled copy).
    auto col_for = [&](int s) -> int {
      const int b = it.b0 + bsr_stage_block<C>(s, ch, bc_shift);
      return b < it.b1 ? bsr_clamp_col(__ldg(col_idx + b), nbc) : 0;
    };
    auto load_stage = [&](int s, int slot, int col) {
      T* a_dst = sA + slot * C::A_STAGE;
      for (int c = tid; c < C::A_COPIES; c += C::THREADS) {
        const CopyPlan p = bsr_copy_w<C>(c, s, it, bc_shift);
        cp_async16(smem_u32(a_dst + p.dst), values + p.src, p.ok);
      }
      T* b_dst = sB + slot * C::B_STAGE;
#pragma unroll
      for (int c = tid; c < C::B_COPIES; c += C::THREADS) {
        const CopyPlan p = bsr_copy_x<C>(c, s, it, col, n0, tokens, in, bc_shift);
        cp_async16(smem_u32(b_dst + p.dst), x + p.src, p.ok);
      }
    };

    float acc[C::MI][C::NT][4];
#pragma unroll
    for (int i = 0; i < C::MI; ++i)
#pragma unroll
      for (int j = 0; j < C::NT; ++j)
#pragma unroll
        for (int r = 0; r < 4; ++r) acc[i][j][r] = 0.0f;

#pragma unroll
    for (int st = 0; st < C::STAGES - 1; ++st) {
      if (st < KT) load_stage(st, st, col_for(st));
      cp_async_commit();  // empty groups keep the wait_group arithmetic uniform
    }
    int col_next = col_for(C::STAGES - 1);

    for (int kt = 0; kt < KT; ++kt) {
      cp_async_wait<C::STAGES - 2>();  // stage kt has landed (for this thread) ...
      __syncthreads();                 // ... for all threads; and slot (kt-1) % STAGES is free again
      const int nk = kt + C::STAGES - 1;
      if (nk < KT) load_stage(nk, nk % C::STAGES, col_next);
      cp_async_commit();
      col_next = col_for(nk + 1);  // used one iteration later: the load hides behind this stage's MMAs

      const int slot = kt % C::STAGES;
      const T* a_s = sA + slot * C::A_STAGE;
      const T* b_s = sB + slot * C::B_STAGE;
#pragma unroll
      for (int kk = 0; kk < C::SK / 16; ++kk) {
        uint32_t a[C::MI][4];
#pragma unroll
        for (int i = 0; i < C::MI; ++i) ldmatrix_x4(a[i], smem_u32(a_s + bsr_ldsm_a<C>(wm, i, kk, lane)));
#pragma unroll
        for (int np = 0; np < C::NT / 2; ++np) {
          uint32_t b[4];
          ldmatrix_x4(b, smem_u32(b_s + bsr_ldsm_b<C>(wn, np, kk, lane)));
          const uint32_t b0[2] = {b[0], b[1]}, b1[2] = {b[2], b[3]};
#pragma unroll
          for (int i = 0; i < C::MI; ++i) {
            mma_m16n8k16<T>(acc[i][2 * np], a[i], b0);
            mma_m16n8k16<T>(acc[i][2 * np + 1], a[i], b1);
          }
        }
      }
    }

    if (it.row >= 0) {
#pragma unroll
      for (int i = 0; i < C::MI; ++i)
#pragma unroll
        for (int nt = 0; nt < C::NT; ++nt) {
          const int mloc = bsr_tile_mloc<C>(wm, i), n_tile = bsr_tile_n<C>(n0, wn, nt);
          if (it.slot < 0)
            store_fragment(y, bias, acc[i][nt], it.row * C::BR + mloc, n_tile, out, tokens, lane);
          else
            store_partial(part, acc[i][nt], it.slot, mloc, n_tile, tokens, C::BR, lane);
        }
    }
    // The next item's prologue overwrites ring slots that slower warps may still be reading.
    __syncthreads();
  }
}

// Sums the chunks of every split block row in chunk order, adds bias, converts and stores Y.
template <class OutT>
__global__ void __launch_bounds__(kBsrReduceThreads)
    bsr_reduce_kernel(const int32_t* __restrict__ ws, const float* __restrict__ bias, OutT* __restrict__ y,
                      int tokens, int out, int br, int bc, int blocks) {
  const int nbr = out / br;
  if (!bsr_ws_valid(ws, br, bc, nbr, blocks, tokens)) return;
  const int n_splits = ws[H_SPLITS], n_slots = ws[H_SLOTS];
  const int4* splits = reinterpret_cast<const int4*>(ws + ws[H_SPLITS_OFF]);
  const float* part = reinterpret_cast<const float*>(ws + ws[H_PART_OFF]);
  const int64_t per = (int64_t)tokens * br;
  for (int s = blockIdx.x; s < n_splits; s += gridDim.x) {
    const int4 sp = __ldg(splits + s);  // {row, first slot, chunks, 0}
    if (sp.x < 0 || sp.x >= nbr || sp.y < 0 || sp.z < 0 || sp.y + sp.z > n_slots) continue;
    for (int64_t e = (int64_t)blockIdx.y * blockDim.x + threadIdx.x; e < per; e += (int64_t)gridDim.y * blockDim.x) {
      float v = 0.0f;
      for (int c = 0; c < sp.z; ++c) v += __ldg(part + (int64_t)(sp.y + c) * per + e);
      const int n = (int)(e / br), m = sp.x * br + (int)(e % br);
      if (bias != nullptr) v += __ldg(bias + m);
      store_out(y + y_offset(n, m, out), v);
    }
  }
}

template <class T, class OutT, class C>
cudaError_t launch(const void* x, const int32_t* row_ptr, const int32_t* col_idx, const void* values, int blocks,
                   int bc_shift, const int32_t* ws, const float* bias, void* y, int tokens, int in, int out,
                   cudaStream_t stream) {
  auto kernel = bsr_gemm_kernel<T, OutT, C>;
  if (C::SMEM_BYTES > 48 * 1024) {
    cudaError_t e = cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, C::SMEM_BYTES);
    if (e != cudaSuccess) return e;
  }
  int64_t gx, gy;
  bsr_grid(out / C::BR, blocks, tokens, ws != nullptr, gx, gy);
  kernel<<<dim3((unsigned)gx, (unsigned)gy), C::THREADS, C::SMEM_BYTES, stream>>>(
      static_cast<const T*>(x), row_ptr, col_idx, static_cast<const T*>(values), ws, bias, static_cast<OutT*>(y),
      tokens, in, out, blocks, bc_shift);
  cudaError_t e = cudaGetLastError();
  if (e != cudaSuccess || ws == nullptr) return e;
  bsr_reduce_grid(blocks, tokens, C::BR, gx, gy);
  bsr_reduce_kernel<OutT><<<dim3((unsigned)gx, (unsigned)gy), kBsrReduceThreads, 0, stream>>>(
      ws, bias, static_cast<OutT*>(y), tokens, out, C::BR, 1 << bc_shift, blocks);
  return cudaGetLastError();
}

template <class T, class OutT, int BR>
cudaError_t dispatch_tokens(const void* x, const int32_t* row_ptr, const int32_t* col_idx, const void* values,
                            int blocks, int bc_shift, const int32_t* ws, const float* bias, void* y, int tokens,
                            int in, int out, cudaStream_t stream) {
  if (bsr_bn_for_tokens(tokens) == 32)
    return launch<T, OutT, BsrCfg<BR, 32>>(x, row_ptr, col_idx, values, blocks, bc_shift, ws, bias, y, tokens, in,
                                           out, stream);
  return launch<T, OutT, BsrCfg<BR, 128>>(x, row_ptr, col_idx, values, blocks, bc_shift, ws, bias, y, tokens, in,
                                          out, stream);
}

template <class T, class OutT>
cudaError_t dispatch_br(const void* x, const int32_t* row_ptr, const int32_t* col_idx, const void* values, int blocks,
                        int br, int bc_shift, const int32_t* ws, const float* bias, void* y, int tokens, int in,
                        int out, cudaStream_t stream) {
  switch (br) {
    case 16: return dispatch_tokens<T, OutT, 16>(x, row_ptr, col_idx, values, blocks, bc_shift, ws, bias, y, tokens, in, out, stream);
    case 32: return dispatch_tokens<T, OutT, 32>(x, row_ptr, col_idx, values, blocks, bc_shift, ws, bias, y, tokens, in, out, stream);
    default: return dispatch_tokens<T, OutT, 64>(x, row_ptr, col_idx, values, blocks, bc_shift, ws, bias, y, tokens, in, out, stream);
  }
}

}  // namespace

cudaError_t bsr_gemm(const void* x, int x_dtype, const int32_t* row_ptr, const int32_t* col_idx, const void* values,
                     int64_t blocks, int block_rows, int block_cols, void* workspace, const float* bias,
                     void* y, int y_dtype, int64_t tokens, int64_t in, int64_t out, cudaStream_t stream) {
  // Ranges checked by the host caller: tokens <= kBsrMaxTokens, in/out <= 2^30, blocks <= INT32_MAX.
  const int t = (int)tokens, k = (int)in, m = (int)out, nb = (int)blocks, sh = bsr_log2_block(block_cols);
  const int32_t* ws = static_cast<const int32_t*>(workspace);
  if (x_dtype == SK_DTYPE_F16) {
    if (y_dtype == SK_DTYPE_F32)
      return dispatch_br<__half, float>(x, row_ptr, col_idx, values, nb, block_rows, sh, ws, bias, y, t, k, m, stream);
    return dispatch_br<__half, __half>(x, row_ptr, col_idx, values, nb, block_rows, sh, ws, bias, y, t, k, m, stream);
  }
  if (y_dtype == SK_DTYPE_F32)
    return dispatch_br<__nv_bfloat16, float>(x, row_ptr, col_idx, values, nb, block_rows, sh, ws, bias, y, t, k, m, stream);
  return dispatch_br<__nv_bfloat16, __nv_bfloat16>(x, row_ptr, col_idx, values, nb, block_rows, sh, ws, bias, y, t, k,
                                                   m, stream);
}

}  // namespace skcuda
