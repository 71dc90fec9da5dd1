// mbarrier helpers (sm_90: try_wait.parity) for the decoupled pipelines of the Hopper kernels: a ring slot's "full"
// barrier completes a phase when every thread's copies of the stage have landed (cp.async.mbarrier.arrive.noinc),
// its "empty" barrier when every thread is done reading it. Addresses are shared::cta (smem_u32). Include only from
// code that also includes wgmma.cuh (SK_SM90A); the helpers exist only in its sm_90a pass.
#pragma once
#include <stdint.h>

#include "wgmma.cuh"

#if SK_SM90A
namespace skcuda {

__device__ __forceinline__ void mbar_init(uint32_t bar, int count) {
  asm volatile("mbarrier.init.shared::cta.b64 [%0], %1;\n" ::"r"(bar), "r"(count) : "memory");
}
__device__ __forceinline__ void mbar_arrive(uint32_t bar) {
  asm volatile("{\n .reg .b64 state;\n mbarrier.arrive.shared::cta.b64 state, [%0];\n}\n" ::"r"(bar) : "memory");
}
// Arrives once all of this thread's earlier cp.async copies have landed (counted among the init count: noinc).
__device__ __forceinline__ void mbar_arrive_on_copies(uint32_t bar) {
  asm volatile("cp.async.mbarrier.arrive.noinc.shared::cta.b64 [%0];\n" ::"r"(bar) : "memory");
}
// Waits until the barrier's phase of parity `parity` has completed.
__device__ __forceinline__ void mbar_wait(uint32_t bar, int parity) {
  asm volatile(
      "{\n"
      " .reg .pred done;\n"
      "WAIT:\n"
      " mbarrier.try_wait.parity.shared::cta.b64 done, [%0], %1;\n"
      " @!done bra WAIT;\n"
      "}\n" ::"r"(bar),
      "r"(parity)
      : "memory");
}

}  // namespace skcuda
#endif
