// Host-callable entry points of the BSR kernels (cuda/bsr_gemm.cu), called by native/src/bsr_gemm_launch.cpp
// after it validated every argument. Plain C++ with CUDA runtime types only (included by host code).
#ifndef SK_BSR_LAUNCH_H
#define SK_BSR_LAUNCH_H

#include <cuda_runtime_api.h>
#include <stdint.h>

namespace skcuda {

// Y[tokens, out] = X[tokens, in] . W^T + bias, W in BSR (sparsekernels.h). workspace: NULL or the device copy of
// sk_bsr_plan's output. Launches the block kernel and, with a workspace, the partial-sum reduction (same stream).
cudaError_t bsr_gemm(const void* x, int x_dtype, const int32_t* row_ptr, const int32_t* col_idx, const void* values,
                     int64_t blocks, int block_rows, int block_cols, void* workspace, const float* bias,
                     void* y, int y_dtype, int64_t tokens, int64_t in, int64_t out, cudaStream_t stream);

// Hopper (sm_90a wgmma) version of bsr_gemm for block_rows = block_cols = 64, no workspace (cuda/bsr_gemm_sm90.cu).
// kCta128: 128-token CTAs; kCta256: 256-token CTAs; kTma: persistent CTAs loaded by TMA from a producer warp (the
// default; all three verified on an H200); kTma256: the same with 256 tokens per item (not yet run on a GPU).
// Launch only when bsr_gemm_sm90_available(): an sm_90 device running this library's sm_90a machine code (cached).
enum class BsrSm90Variant { kCta128, kCta256, kTma, kTma256 };
cudaError_t bsr_gemm_sm90(const void* x, int x_dtype, const int32_t* row_ptr, const int32_t* col_idx,
                          const void* values, int64_t blocks, const float* bias, void* y, int y_dtype,
                          int64_t tokens, int64_t in, int64_t out, BsrSm90Variant variant, cudaStream_t stream);
bool bsr_gemm_sm90_available();

}  // namespace skcuda

#endif
