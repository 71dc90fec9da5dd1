// cp.async helpers (sm_80+): 16-byte global->shared copies that bypass registers, grouped and waited on to form
// a multi-stage pipeline. A predicate turns a copy into a zero-fill (src-size 0), which is how tails (tokens,
// rows and k beyond the matrix) read as zeros without branches around the copy.
#pragma once
#include <stdint.h>

namespace skcuda {

__device__ __forceinline__ uint32_t smem_u32(const void* p) { return (uint32_t)__cvta_generic_to_shared(p); }

// .cg: cache in L2 only. Each byte of W is used once per block, X rows are re-read by other blocks via L2.
// When !pred nothing is read from src (it must still be a valid address expression; callers pass the base).
__device__ __forceinline__ void cp_async16(uint32_t smem_dst, const void* gmem_src, bool pred) {
  int src_bytes = pred ? 16 : 0;
  asm volatile("cp.async.cg.shared.global [%0], [%1], 16, %2;\n" ::"r"(smem_dst), "l"(gmem_src), "r"(src_bytes));
}

__device__ __forceinline__ void cp_async_commit() { asm volatile("cp.async.commit_group;\n" ::); }

// Waits until at most N of this thread's committed groups are still in flight.
template <int N>
__device__ __forceinline__ void cp_async_wait() {
  asm volatile("cp.async.wait_group %0;\n" ::"n"(N));
}

}  // namespace skcuda
