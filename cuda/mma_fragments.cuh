// Tensor-core building blocks shared by the GEMM kernels: ldmatrix, dense mma.sync m16n8k16 and sparse
// mma.sp::ordered_metadata m16n8k32, for f16 and bf16 inputs with f32 accumulators.
// Fragment layouts: shared/notes/ptx-fragments.md sections 1 and 2 (lane = 4g + t).
#pragma once
#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <stdint.h>

#include <type_traits>

namespace skcuda {

// Four 8x8 b16 matrices; lanes 8q..8q+7 give the 16-byte-aligned row addresses of matrix q, register q gets
// matrix q with lane l holding row l/4, columns 2(l%4), 2(l%4)+1.
__device__ __forceinline__ void ldmatrix_x4(uint32_t (&r)[4], uint32_t smem_addr) {
  asm volatile("ldmatrix.sync.aligned.m8n8.x4.shared.b16 {%0, %1, %2, %3}, [%4];\n"
               : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3])
               : "r"(smem_addr));
}

// As ldmatrix_x4 with .trans: lane l of register q holds {M_q[2(l%4)][l/4], M_q[2(l%4)+1][l/4]} (a K x N tile
// stored N-contiguous, e.g. attention's V [key][d], read as the B operand).
__device__ __forceinline__ void ldmatrix_x4_trans(uint32_t (&r)[4], uint32_t smem_addr) {
  asm volatile("ldmatrix.sync.aligned.m8n8.x4.trans.shared.b16 {%0, %1, %2, %3}, [%4];\n"
               : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3])
               : "r"(smem_addr));
}

// D += A(16x16) * B(16x8), A row-major fragments a[4], B column fragments b[2], f32 accumulators d[4].
template <class T>
__device__ __forceinline__ void mma_m16n8k16(float (&d)[4], const uint32_t (&a)[4], const uint32_t (&b)[2]) {
  if constexpr (std::is_same<T, __half>::value) {
    asm("mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, "
        "{%0,%1,%2,%3};\n"
        : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3])
        : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b[0]), "r"(b[1]));
  } else {
    static_assert(std::is_same<T, __nv_bfloat16>::value, "f16 or bf16 only");
    asm("mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, "
        "{%0,%1,%2,%3};\n"
        : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3])
        : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b[0]), "r"(b[1]));
  }
}

// D += A(16x32, 2:4 sparse, given as its compressed 16x16 half) * B(32x8). e: the metadata word of this lane;
// SEL (0 or 1, an immediate as PTX demands) picks which lane pair of each quad supplies metadata: 0 -> t in {0,1},
// 1 -> t in {2,3}. With the Variant P layout one e register serves the tile pair: SEL 0 for rows 0-15 of the
// warp's 32, SEL 1 for rows 16-31. ::ordered_metadata: nibbles must have idx0 < idx1 (the packer guarantees it)
// and avoids the CUDA 13 ptxas advisory that plain .sp draws.
template <class T, int SEL>
__device__ __forceinline__ void mma_sp_m16n8k32(float (&d)[4], const uint32_t (&a)[4], const uint32_t (&b)[4],
                                                uint32_t e) {
  static_assert(SEL == 0 || SEL == 1, "m16n8k32 f16/bf16 takes selector 0 or 1 only");
  if constexpr (std::is_same<T, __half>::value) {
    asm("mma.sp::ordered_metadata.sync.aligned.m16n8k32.row.col.f32.f16.f16.f32 {%0,%1,%2,%3}, "
        "{%4,%5,%6,%7}, {%8,%9,%10,%11}, {%0,%1,%2,%3}, %12, %13;\n"
        : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3])
        : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b[0]), "r"(b[1]), "r"(b[2]), "r"(b[3]), "r"(e),
          "n"(SEL));
  } else {
    static_assert(std::is_same<T, __nv_bfloat16>::value, "f16 or bf16 only");
    asm("mma.sp::ordered_metadata.sync.aligned.m16n8k32.row.col.f32.bf16.bf16.f32 {%0,%1,%2,%3}, "
        "{%4,%5,%6,%7}, {%8,%9,%10,%11}, {%0,%1,%2,%3}, %12, %13;\n"
        : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3])
        : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b[0]), "r"(b[1]), "r"(b[2]), "r"(b[3]), "r"(e),
          "n"(SEL));
  }
}

}  // namespace skcuda
