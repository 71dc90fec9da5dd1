// Hopper warpgroup MMA (wgmma, sm_90a only) helpers: shared-memory matrix descriptors for 128-byte-swizzled K-major
// tiles, the fence / commit / wait protocol, dense m64n128k16 and 2:4 sparse m64n128k32 (wgmma.mma_async.sp, A from
// registers or, experimental, from shared memory) MMAs with f32 accumulators. Include only from code compiled for
// sm_90a (guard with SK_SM90A below); the PTX facts used are listed in ../shared/notes/ptx-fragments.md (section 5)
// and the PTX ISA's "Asynchronous Warpgroup Level Matrix" chapter.
#pragma once
#include <stdint.h>

#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 900 && defined(__CUDA_ARCH_FEAT_SM90_ALL)
#define SK_SM90A 1
#else
#define SK_SM90A 0
#endif

namespace skcuda {
namespace sm90 {

// A K-major tile in shared memory with the 128-byte swizzle: rows of 64 16-bit elements (128 B), 8-row groups of
// 1024 B; 16-byte chunk c of row r sits at r * 128 + ((c ^ (r & 7)) * 16). The tile must start 1024-byte aligned.
__host__ __device__ constexpr uint32_t swizzle128(uint32_t row, uint32_t chunk) {
  return row * 128u + ((chunk ^ (row & 7u)) << 4);
}

// Matrix descriptor (PTX "matrix-descriptor-encode"): bits 0-13 start address >> 4, 16-29 leading-dimension byte
// offset >> 4 (unused for swizzled K-major tiles, 1 by convention), 32-45 stride byte offset >> 4 (1024 B between
// 8-row groups), 49-51 base offset (0: tiles are 1024-aligned), 62-63 swizzle mode (1 = 128 B).
// The k-th 16-element step of a 64-wide K tile starts 32 * k bytes further; the swizzle is applied by the hardware
// on the final address, so the start address simply advances.
__device__ __forceinline__ uint64_t desc_sw128(uint32_t smem_addr) {
  uint64_t d = 0;
  d |= (uint64_t)((smem_addr & 0x3FFFFu) >> 4);
  d |= (uint64_t)1u << 16;
  d |= (uint64_t)(1024u >> 4) << 32;
  d |= (uint64_t)1u << 62;
  return d;
}

// The same for an MN-major (transposed, imm-trans-b = 1) 128B-swizzled operand: rows of 64 MN-contiguous 16-bit
// elements (128 B) per k, 8-k-row groups 1024 B apart (stride byte offset), and `lbo` bytes between 64-wide MN
// blocks (leading byte offset; PTX: "offset from the first (swizzle-byte-size/16) rows to the next" in 128-bit
// units, i.e. the next 64 MN elements). Tile start 1024-byte aligned, base offset 0.
__device__ __forceinline__ uint64_t desc_sw128_mn(uint32_t smem_addr, uint32_t lbo) {
  uint64_t d = 0;
  d |= (uint64_t)((smem_addr & 0x3FFFFu) >> 4);
  d |= (uint64_t)((lbo & 0x3FFFFu) >> 4) << 16;
  d |= (uint64_t)(1024u >> 4) << 32;
  d |= (uint64_t)1u << 62;
  return d;
}

#if SK_SM90A
// Orders this thread's earlier register writes (accumulators) before the warpgroup's next wgmma.
__device__ __forceinline__ void wgmma_fence() { asm volatile("wgmma.fence.sync.aligned;\n" ::: "memory"); }
__device__ __forceinline__ void wgmma_commit() { asm volatile("wgmma.commit_group.sync.aligned;\n" ::: "memory"); }
template <int N>
__device__ __forceinline__ void wgmma_wait() {
  asm volatile("wgmma.wait_group.sync.aligned %0;\n" ::"n"(N) : "memory");
}
// Pins accumulator registers in program order (an empty asm that reads and writes each one, as CUTLASS's
// warpgroup_fence_operand): the compiler sees the wgmma asm as producing the accumulators, not wgmma_wait, so
// without this it may move their reads above the wait.
template <int N>
__device__ __forceinline__ void pin(float (&r)[N]) {
#pragma unroll
  for (int i = 0; i < N; ++i) asm volatile("" : "+f"(r[i])::"memory");
}
// Shared memory written through the generic proxy (cp.async, st.shared) must be fenced before the async proxy
// (wgmma operand reads) may see it: each writing thread fences, then the block synchronises.
__device__ __forceinline__ void fence_proxy_async_smem() {
  asm volatile("fence.proxy.async.shared::cta;\n" ::: "memory");
}

// D[64x64] (+)= A[64x16] . B[16x64]: the N = 64 tile of the BSR kernel (one 64-row block of W per MMA). Same operands
// and descriptors as m64n128k16 (B is 64 K-major rows, i.e. 8 row groups of 1024 B); 32 f32 accumulators per thread,
// laid out as m64n128's first 32 (accumulator i: n8 group i / 4).
#define SK_WGMMA_M64N64K16(AB) \
__device__ __forceinline__ void wgmma_m64n64k16_##AB(float (&d)[32], uint64_t desc_a, uint64_t desc_b,          \
                                                     int scale_d) {                                             \
  asm volatile(                                                                                                 \
      "{\n"                                                                                                     \
      ".reg .pred p;\n"                                                                                         \
      "setp.ne.b32 p, %34, 0;\n"                                                                                \
      "wgmma.mma_async.sync.aligned.m64n64k16.f32." #AB "." #AB " {"                                            \
      "%0, %1, %2, %3, %4, %5, %6, %7, %8, %9, %10, %11, %12, %13, %14, %15, "                                  \
      "%16, %17, %18, %19, %20, %21, %22, %23, %24, %25, %26, %27, %28, %29, %30, %31"                          \
      "}, %32, %33, p, 1, 1, 0, 0;\n"                                                                           \
      "}\n"                                                                                                     \
      : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3]), "+f"(d[4]), "+f"(d[5]), "+f"(d[6]), "+f"(d[7]),         \
        "+f"(d[8]), "+f"(d[9]), "+f"(d[10]), "+f"(d[11]), "+f"(d[12]), "+f"(d[13]), "+f"(d[14]), "+f"(d[15]),   \
        "+f"(d[16]), "+f"(d[17]), "+f"(d[18]), "+f"(d[19]), "+f"(d[20]), "+f"(d[21]), "+f"(d[22]), "+f"(d[23]), \
        "+f"(d[24]), "+f"(d[25]), "+f"(d[26]), "+f"(d[27]), "+f"(d[28]), "+f"(d[29]), "+f"(d[30]), "+f"(d[31])  \
      : "l"(desc_a), "l"(desc_b), "r"(scale_d));                                                                \
}
SK_WGMMA_M64N64K16(bf16)
SK_WGMMA_M64N64K16(f16)
#undef SK_WGMMA_M64N64K16

// D[64x128] (+)= A[64x16] . B[16x128], A and B K-major in 128B-swizzled shared memory (descriptors), f32 accumulate,
// for AB = bf16 or f16 (the element type is part of the instruction name, hence a macro).
#define SK_WGMMA_M64N128K16(AB) \
__device__ __forceinline__ void wgmma_m64n128k16_##AB(float (&d)[64], uint64_t desc_a, uint64_t desc_b,         \
                                                      int scale_d) {                                            \
  asm volatile(                                                                                                 \
      "{\n"                                                                                                     \
      ".reg .pred p;\n"                                                                                         \
      "setp.ne.b32 p, %66, 0;\n"                                                                                \
      "wgmma.mma_async.sync.aligned.m64n128k16.f32." #AB "." #AB " {"                                           \
      "%0, %1, %2, %3, %4, %5, %6, %7, %8, %9, %10, %11, %12, %13, %14, %15, "                                  \
      "%16, %17, %18, %19, %20, %21, %22, %23, %24, %25, %26, %27, %28, %29, %30, %31, "                        \
      "%32, %33, %34, %35, %36, %37, %38, %39, %40, %41, %42, %43, %44, %45, %46, %47, "                        \
      "%48, %49, %50, %51, %52, %53, %54, %55, %56, %57, %58, %59, %60, %61, %62, %63"                          \
      "}, %64, %65, p, 1, 1, 0, 0;\n"                                                                           \
      "}\n"                                                                                                     \
      : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3]), "+f"(d[4]), "+f"(d[5]), "+f"(d[6]), "+f"(d[7]),         \
        "+f"(d[8]), "+f"(d[9]), "+f"(d[10]), "+f"(d[11]), "+f"(d[12]), "+f"(d[13]), "+f"(d[14]), "+f"(d[15]),   \
        "+f"(d[16]), "+f"(d[17]), "+f"(d[18]), "+f"(d[19]), "+f"(d[20]), "+f"(d[21]), "+f"(d[22]), "+f"(d[23]), \
        "+f"(d[24]), "+f"(d[25]), "+f"(d[26]), "+f"(d[27]), "+f"(d[28]), "+f"(d[29]), "+f"(d[30]), "+f"(d[31]), \
        "+f"(d[32]), "+f"(d[33]), "+f"(d[34]), "+f"(d[35]), "+f"(d[36]), "+f"(d[37]), "+f"(d[38]), "+f"(d[39]), \
        "+f"(d[40]), "+f"(d[41]), "+f"(d[42]), "+f"(d[43]), "+f"(d[44]), "+f"(d[45]), "+f"(d[46]), "+f"(d[47]), \
        "+f"(d[48]), "+f"(d[49]), "+f"(d[50]), "+f"(d[51]), "+f"(d[52]), "+f"(d[53]), "+f"(d[54]), "+f"(d[55]), \
        "+f"(d[56]), "+f"(d[57]), "+f"(d[58]), "+f"(d[59]), "+f"(d[60]), "+f"(d[61]), "+f"(d[62]), "+f"(d[63])  \
      : "l"(desc_a), "l"(desc_b), "r"(scale_d));                                                                \
}
SK_WGMMA_M64N128K16(bf16)
SK_WGMMA_M64N128K16(f16)
#undef SK_WGMMA_M64N128K16

// D[64x128] (+)= A[64x32, 2:4 sparse] . B[32x128], the sparse A given as its compressed 64x16 half in registers and
// B K-major in 128B-swizzled shared memory (descriptor), f32 accumulate. Register form ("RS"): A must be K-major, so
// the operand list ends with imm-scale-a, imm-scale-b and imm-trans-b only (1, 1, 0). Per warp w = %warpid % 4 of the
// warpgroup, a[4] is exactly the mma.sp m16n8k32 A fragment of rows 16w..16w+15 (notes 1.2 / 5) and e the metadata
// word in the mma.sp m16n8k32 layout for those rows; SEL (an immediate, one for the whole warpgroup) picks the lane
// pair of each quad that supplies it: 0 -> t in {0,1}, 1 -> t in {2,3}. PTX has no ::ordered_metadata form here.
#define SK_WGMMA_SP_M64N128K32(AB)                                                                              \
template <int SEL>                                                                                              \
__device__ __forceinline__ void wgmma_sp_m64n128k32_##AB(float (&d)[64], const uint32_t (&a)[4], uint64_t desc_b, \
                                                         uint32_t e, int scale_d) {                             \
  static_assert(SEL == 0 || SEL == 1, "f16/bf16 wgmma.sp takes selector 0 or 1");                              \
  asm volatile(                                                                                                 \
      "{\n"                                                                                                     \
      ".reg .pred p;\n"                                                                                         \
      "setp.ne.b32 p, %71, 0;\n"                                                                                \
      "wgmma.mma_async.sp.sync.aligned.m64n128k32.f32." #AB "." #AB " {"                                        \
      "%0, %1, %2, %3, %4, %5, %6, %7, %8, %9, %10, %11, %12, %13, %14, %15, "                                  \
      "%16, %17, %18, %19, %20, %21, %22, %23, %24, %25, %26, %27, %28, %29, %30, %31, "                        \
      "%32, %33, %34, %35, %36, %37, %38, %39, %40, %41, %42, %43, %44, %45, %46, %47, "                        \
      "%48, %49, %50, %51, %52, %53, %54, %55, %56, %57, %58, %59, %60, %61, %62, %63"                          \
      "}, {%64, %65, %66, %67}, %68, %69, %70, p, 1, 1, 0;\n"                                                   \
      "}\n"                                                                                                     \
      : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3]), "+f"(d[4]), "+f"(d[5]), "+f"(d[6]), "+f"(d[7]),         \
        "+f"(d[8]), "+f"(d[9]), "+f"(d[10]), "+f"(d[11]), "+f"(d[12]), "+f"(d[13]), "+f"(d[14]), "+f"(d[15]),   \
        "+f"(d[16]), "+f"(d[17]), "+f"(d[18]), "+f"(d[19]), "+f"(d[20]), "+f"(d[21]), "+f"(d[22]), "+f"(d[23]), \
        "+f"(d[24]), "+f"(d[25]), "+f"(d[26]), "+f"(d[27]), "+f"(d[28]), "+f"(d[29]), "+f"(d[30]), "+f"(d[31]), \
        "+f"(d[32]), "+f"(d[33]), "+f"(d[34]), "+f"(d[35]), "+f"(d[36]), "+f"(d[37]), "+f"(d[38]), "+f"(d[39]), \
        "+f"(d[40]), "+f"(d[41]), "+f"(d[42]), "+f"(d[43]), "+f"(d[44]), "+f"(d[45]), "+f"(d[46]), "+f"(d[47]), \
        "+f"(d[48]), "+f"(d[49]), "+f"(d[50]), "+f"(d[51]), "+f"(d[52]), "+f"(d[53]), "+f"(d[54]), "+f"(d[55]), \
        "+f"(d[56]), "+f"(d[57]), "+f"(d[58]), "+f"(d[59]), "+f"(d[60]), "+f"(d[61]), "+f"(d[62]), "+f"(d[63])  \
      : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "l"(desc_b), "r"(e), "n"(SEL), "r"(scale_d));              \
}
SK_WGMMA_SP_M64N128K32(bf16)
SK_WGMMA_SP_M64N128K32(f16)
#undef SK_WGMMA_SP_M64N128K32

// The same MMA with the sparse A from shared memory through a descriptor ("SS" form): operands d, a-desc, b-desc,
// sp-meta, sp-sel, scale-d, imm-scale-a, imm-scale-b, imm-trans-a, imm-trans-b (1, 1, 0, 0: both K-major). desc_a
// names the compressed 64x16 piece of the k32 step; its shared-memory layout is NOT confirmed by PTX (notes 6.3:
// assumed to be a dense K-major GMMA layout in units of compressed elements, as CUTLASS builds it). e and SEL as for
// the register form.
#define SK_WGMMA_SP_SMEM_A_M64N128K32(AB)                                                                       \
template <int SEL>                                                                                              \
__device__ __forceinline__ void wgmma_sp_smem_a_m64n128k32_##AB(float (&d)[64], uint64_t desc_a, uint64_t desc_b, \
                                                                uint32_t e, int scale_d) {                      \
  static_assert(SEL == 0 || SEL == 1, "f16/bf16 wgmma.sp takes selector 0 or 1");                              \
  asm volatile(                                                                                                 \
      "{\n"                                                                                                     \
      ".reg .pred p;\n"                                                                                         \
      "setp.ne.b32 p, %68, 0;\n"                                                                                \
      "wgmma.mma_async.sp.sync.aligned.m64n128k32.f32." #AB "." #AB " {"                                        \
      "%0, %1, %2, %3, %4, %5, %6, %7, %8, %9, %10, %11, %12, %13, %14, %15, "                                  \
      "%16, %17, %18, %19, %20, %21, %22, %23, %24, %25, %26, %27, %28, %29, %30, %31, "                        \
      "%32, %33, %34, %35, %36, %37, %38, %39, %40, %41, %42, %43, %44, %45, %46, %47, "                        \
      "%48, %49, %50, %51, %52, %53, %54, %55, %56, %57, %58, %59, %60, %61, %62, %63"                          \
      "}, %64, %65, %66, %67, p, 1, 1, 0, 0;\n"                                                                 \
      "}\n"                                                                                                     \
      : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3]), "+f"(d[4]), "+f"(d[5]), "+f"(d[6]), "+f"(d[7]),         \
        "+f"(d[8]), "+f"(d[9]), "+f"(d[10]), "+f"(d[11]), "+f"(d[12]), "+f"(d[13]), "+f"(d[14]), "+f"(d[15]),   \
        "+f"(d[16]), "+f"(d[17]), "+f"(d[18]), "+f"(d[19]), "+f"(d[20]), "+f"(d[21]), "+f"(d[22]), "+f"(d[23]), \
        "+f"(d[24]), "+f"(d[25]), "+f"(d[26]), "+f"(d[27]), "+f"(d[28]), "+f"(d[29]), "+f"(d[30]), "+f"(d[31]), \
        "+f"(d[32]), "+f"(d[33]), "+f"(d[34]), "+f"(d[35]), "+f"(d[36]), "+f"(d[37]), "+f"(d[38]), "+f"(d[39]), \
        "+f"(d[40]), "+f"(d[41]), "+f"(d[42]), "+f"(d[43]), "+f"(d[44]), "+f"(d[45]), "+f"(d[46]), "+f"(d[47]), \
        "+f"(d[48]), "+f"(d[49]), "+f"(d[50]), "+f"(d[51]), "+f"(d[52]), "+f"(d[53]), "+f"(d[54]), "+f"(d[55]), \
        "+f"(d[56]), "+f"(d[57]), "+f"(d[58]), "+f"(d[59]), "+f"(d[60]), "+f"(d[61]), "+f"(d[62]), "+f"(d[63])  \
      : "l"(desc_a), "l"(desc_b), "r"(e), "n"(SEL), "r"(scale_d));                                              \
}
SK_WGMMA_SP_SMEM_A_M64N128K32(bf16)
SK_WGMMA_SP_SMEM_A_M64N128K32(f16)
#undef SK_WGMMA_SP_SMEM_A_M64N128K32

// D[64x64] (+)= A[64x16] . B[16x64] with A from REGISTERS (dense "RS" form) and B N-major (MN-major) in shared
// memory: operands d, {a0..a3}, b-desc, scale-d, imm-scale-a, imm-scale-b, imm-trans-b = 1 (the register form has no
// imm-trans-a; the transpose is allowed for f16/bf16 only). Used by the experimental attention kernel for O += P V:
// a[4] is the m64nNk16 A fragment (per warp w of the warpgroup, rows 16w..16w+15 in the mma.m16n8k16 A layout:
// a[0] = (g, 2t..2t+1), a[1] = (g+8, 2t..), a[2] = (g, 8+2t..), a[3] = (g+8, 8+2t..), lower k in the low half);
// B is [16 k rows][64 n] with n contiguous, one 128-byte swizzle row per k, 8-row groups at the descriptor's stride
// byte offset (PTX "canonical layout", MN-major 128B swizzle: ((T,8,m),(8,k)):((1,T,LBO),(8T,SBO)); with N = 64 the
// MN repeat m is 1, so the leading byte offset is never used).
#define SK_WGMMA_RS_M64N64K16_TB(AB) \
__device__ __forceinline__ void wgmma_rs_m64n64k16_transb_##AB(float (&d)[32], const uint32_t (&a)[4],          \
                                                               uint64_t desc_b, int scale_d) {                  \
  asm volatile(                                                                                                 \
      "{\n"                                                                                                     \
      ".reg .pred p;\n"                                                                                         \
      "setp.ne.b32 p, %37, 0;\n"                                                                                \
      "wgmma.mma_async.sync.aligned.m64n64k16.f32." #AB "." #AB " {"                                            \
      "%0, %1, %2, %3, %4, %5, %6, %7, %8, %9, %10, %11, %12, %13, %14, %15, "                                  \
      "%16, %17, %18, %19, %20, %21, %22, %23, %24, %25, %26, %27, %28, %29, %30, %31"                          \
      "}, {%32, %33, %34, %35}, %36, p, 1, 1, 1;\n"                                                             \
      "}\n"                                                                                                     \
      : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3]), "+f"(d[4]), "+f"(d[5]), "+f"(d[6]), "+f"(d[7]),         \
        "+f"(d[8]), "+f"(d[9]), "+f"(d[10]), "+f"(d[11]), "+f"(d[12]), "+f"(d[13]), "+f"(d[14]), "+f"(d[15]),   \
        "+f"(d[16]), "+f"(d[17]), "+f"(d[18]), "+f"(d[19]), "+f"(d[20]), "+f"(d[21]), "+f"(d[22]), "+f"(d[23]), \
        "+f"(d[24]), "+f"(d[25]), "+f"(d[26]), "+f"(d[27]), "+f"(d[28]), "+f"(d[29]), "+f"(d[30]), "+f"(d[31])  \
      : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "l"(desc_b), "r"(scale_d));                                 \
}
SK_WGMMA_RS_M64N64K16_TB(bf16)
SK_WGMMA_RS_M64N64K16_TB(f16)
#undef SK_WGMMA_RS_M64N64K16_TB

#endif  // SK_SM90A

}  // namespace sm90
}  // namespace skcuda
