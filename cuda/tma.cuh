// Tensor-memory-accelerator (TMA) helpers for the Hopper kernels: the host encodes a 2-D tensor map (through the
// driver's cuTensorMapEncodeTiled, reached from the static runtime with cudaGetDriverEntryPointByVersion: the
// library links no libcuda), the kernel gets it by value as a __grid_constant__ parameter and one thread issues box
// copies that complete on an mbarrier's transaction count. PTX ISA: "cp.async.bulk.tensor", "cp.async.bulk",
// "mbarrier.arrive.expect_tx". Device helpers exist only in the sm_90a pass (SK_SM90A, wgmma.cuh).
#pragma once
#include <cuda.h>  // CUtensorMap and its enums (types only: the function comes through the runtime)
#include <cuda_runtime.h>
#include <cudaTypedefs.h>
#include <stdint.h>

#include "gemm_index.cuh"
#include "mbarrier.cuh"
#include "wgmma.cuh"

namespace skcuda {

// cuTensorMapEncodeTiled from the driver, or null when the runtime cannot reach it (no driver, or one too old).
inline PFN_cuTensorMapEncodeTiled_v12000 tensor_map_encoder() {
  static PFN_cuTensorMapEncodeTiled_v12000 fn = [] {
    void* p = nullptr;
    cudaDriverEntryPointQueryResult q = cudaDriverEntryPointSymbolNotFound;
    if (cudaGetDriverEntryPointByVersion("cuTensorMapEncodeTiled", &p, 12000, cudaEnableDefault, &q) != cudaSuccess ||
        q != cudaDriverEntryPointSuccess) {
      (void)cudaGetLastError();
      return (PFN_cuTensorMapEncodeTiled_v12000) nullptr;
    }
    return reinterpret_cast<PFN_cuTensorMapEncodeTiled_v12000>(p);
  }();
  return fn;
}

// A 16-bit tensor (f16 or bf16 by dtype_bf16) at `base` as described by g, boxes with the 128-byte swizzle, zeros
// out of bounds. cudaErrorNotSupported without the driver function, cudaErrorInvalidValue when the driver refuses
// the map (alignment: base and stride must be multiples of 16 bytes).
inline cudaError_t encode_tensor_map_sw128(CUtensorMap* map, const void* base, bool dtype_bf16, const TmaMap2d& g) {
  PFN_cuTensorMapEncodeTiled_v12000 encode = tensor_map_encoder();
  if (encode == nullptr) return cudaErrorNotSupported;
  const cuuint64_t dims[2] = {(cuuint64_t)g.dim0, (cuuint64_t)g.dim1};
  const cuuint64_t strides[1] = {(cuuint64_t)g.stride1_bytes};
  const cuuint32_t box[2] = {(cuuint32_t)g.box0, (cuuint32_t)g.box1};
  const cuuint32_t element_strides[2] = {1, 1};
  const CUresult r = encode(map, dtype_bf16 ? CU_TENSOR_MAP_DATA_TYPE_BFLOAT16 : CU_TENSOR_MAP_DATA_TYPE_FLOAT16, 2,
                            const_cast<void*>(base), dims, strides, box, element_strides,
                            CU_TENSOR_MAP_INTERLEAVE_NONE, CU_TENSOR_MAP_SWIZZLE_128B,
                            CU_TENSOR_MAP_L2_PROMOTION_L2_256B, CU_TENSOR_MAP_FLOAT_OOB_FILL_NONE);
  return r == CUDA_SUCCESS ? cudaSuccess : cudaErrorInvalidValue;
}

#if SK_SM90A
// Makes the initialised mbarriers visible to the async proxy (the copy engine completes transactions on them).
__device__ __forceinline__ void fence_mbarrier_init() {
  asm volatile("fence.mbarrier_init.release.cluster;\n" ::: "memory");
}
// One thread (the caller picks it) sets up a TMA ring's barriers: full[stages] (one arrival: the producer's
// arrive.expect_tx; the copies complete the transaction) and, unless consumers is 0, empty[stages] (consumers
// arrivals), 8 bytes each at full + 8 s / empty + 8 s; then makes them visible to the copy engine. The block must
// synchronise before anyone waits on them.
__device__ __forceinline__ void init_tma_ring(uint32_t full, uint32_t empty, int stages, int consumers) {
  for (int s = 0; s < stages; ++s) {
    mbar_init(full + 8 * s, 1);
    if (consumers > 0) mbar_init(empty + 8 * s, consumers);
  }
  fence_mbarrier_init();
}
// Arrives on the barrier and raises the phase's expected transaction count by `bytes`.
__device__ __forceinline__ void mbar_arrive_expect_tx(uint32_t bar, uint32_t bytes) {
  asm volatile("mbarrier.arrive.expect_tx.shared::cta.b64 _, [%0], %1;\n" ::"r"(bar), "r"(bytes) : "memory");
}
// One box of a 2-D tensor map at coordinates {c0, c1} (elements; out-of-bounds parts read as zeros) into shared
// memory at dst (1024-byte aligned for the 128-byte swizzle), completing `bar`'s transaction by the box's bytes.
__device__ __forceinline__ void tma_load_2d(uint32_t dst, const CUtensorMap* map, int c0, int c1, uint32_t bar) {
  asm volatile(
      "cp.async.bulk.tensor.2d.shared::cluster.global.mbarrier::complete_tx::bytes [%0], [%1, {%2, %3}], [%4];\n" ::
          "r"(dst),
      "l"(reinterpret_cast<uint64_t>(map)), "r"(c0), "r"(c1), "r"(bar)
      : "memory");
}
// `bytes` contiguous bytes (a multiple of 16, both addresses 16-byte aligned) into shared memory, on `bar`.
__device__ __forceinline__ void bulk_load(uint32_t dst, const void* src, uint32_t bytes, uint32_t bar) {
  asm volatile("cp.async.bulk.shared::cluster.global.mbarrier::complete_tx::bytes [%0], [%1], %2, [%3];\n" ::"r"(dst),
               "l"(src), "r"(bytes), "r"(bar)
               : "memory");
}
// mbar_wait that traps instead of hanging: a transaction count that never completes (a wrong byte count, a copy
// the engine refused) would otherwise hang the block, and the process with it, until the GPU host's step timeout.
// 2^22 polls are seconds; a stage lands in microseconds. CLUSTER_ACQUIRE: acquire at cluster scope, for barriers
// that other CTAs' threads arrive on (a cluster kernel's empty barriers), so that their reads of the slot are
// ordered before this thread's next copy into it.
template <bool CLUSTER_ACQUIRE = false>
__device__ __forceinline__ void mbar_wait_or_trap(uint32_t bar, int parity) {
  for (uint32_t i = 0;; ++i) {
    uint32_t done;
    if constexpr (CLUSTER_ACQUIRE) {
      asm volatile(
          "{\n"
          " .reg .pred p;\n"
          " mbarrier.try_wait.parity.acquire.cluster.shared::cta.b64 p, [%1], %2;\n"
          " selp.u32 %0, 1, 0, p;\n"
          "}\n"
          : "=r"(done)
          : "r"(bar), "r"(parity)
          : "memory");
    } else {
      asm volatile(
          "{\n"
          " .reg .pred p;\n"
          " mbarrier.try_wait.parity.shared::cta.b64 p, [%1], %2;\n"
          " selp.u32 %0, 1, 0, p;\n"
          "}\n"
          : "=r"(done)
          : "r"(bar), "r"(parity)
          : "memory");
    }
    if (done) return;
    if (i == (1u << 22)) __trap();
  }
}
// ------------------------------------------------------------------------------------------- thread-block clusters
// This CTA's rank in its cluster (0 .. cluster size - 1; for clusters along x, blockIdx.x % size).
__device__ __forceinline__ uint32_t cluster_ctarank() {
  uint32_t r;
  asm volatile("mov.u32 %0, %%cluster_ctarank;\n" : "=r"(r));
  return r;
}
// Every thread of every CTA of the cluster arrives, then waits for all of them (release / acquire at cluster scope:
// barrier inits and shared-memory writes before it are visible to the peers after it). Not .aligned: the producer
// warp reaches it with its lanes diverged.
__device__ __forceinline__ void cluster_sync_all() {
  asm volatile("barrier.cluster.arrive.release;\nbarrier.cluster.wait.acquire;\n" ::: "memory");
}
// tma_load_2d, delivered to every CTA of the cluster named in cta_mask: the box lands at offset dst of each one's
// shared memory and completes the transaction of the mbarrier at the same offset in each.
__device__ __forceinline__ void tma_load_2d_multicast(uint32_t dst, const CUtensorMap* map, int c0, int c1,
                                                      uint32_t bar, uint16_t cta_mask) {
  asm volatile(
      "cp.async.bulk.tensor.2d.shared::cluster.global.mbarrier::complete_tx::bytes.multicast::cluster"
      " [%0], [%1, {%2, %3}], [%4], %5;\n" ::"r"(dst),
      "l"(reinterpret_cast<uint64_t>(map)), "r"(c0), "r"(c1), "r"(bar), "h"(cta_mask)
      : "memory");
}
// bulk_load, delivered to every CTA of the cluster named in cta_mask (same offsets, as tma_load_2d_multicast).
__device__ __forceinline__ void bulk_load_multicast(uint32_t dst, const void* src, uint32_t bytes, uint32_t bar,
                                                    uint16_t cta_mask) {
  asm volatile(
      "cp.async.bulk.shared::cluster.global.mbarrier::complete_tx::bytes.multicast::cluster"
      " [%0], [%1], %2, [%3], %4;\n" ::"r"(dst),
      "l"(src), "r"(bytes), "r"(bar), "h"(cta_mask)
      : "memory");
}
// Arrives (release, cluster scope) on the mbarrier at this CTA's shared address `bar` in the CTA of rank `rank`.
__device__ __forceinline__ void mbar_arrive_cluster(uint32_t bar, uint32_t rank) {
  asm volatile(
      "{\n"
      " .reg .b32 remote;\n"
      " mapa.shared::cluster.u32 remote, %0, %1;\n"
      " mbarrier.arrive.release.cluster.shared::cluster.b64 _, [remote];\n"
      "}\n" ::"r"(bar),
      "r"(rank)
      : "memory");
}
#endif

}  // namespace skcuda
