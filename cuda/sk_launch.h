// Host-callable entry points of the CUDA kernels, called by native/src/gemm_launch.cpp after it validated every
// argument. Plain C++ with CUDA runtime types only; returns the CUDA status of the launch (cudaGetLastError).
#ifndef SK_LAUNCH_H
#define SK_LAUNCH_H

#include <cuda_runtime_api.h>
#include <stdint.h>

namespace skcuda {

// Y[tokens, out] = X[tokens, in] . W^T + bias with W in the sparse24 GPU layout (see sparsekernels.h).
// x_dtype: SK_DTYPE_F16/BF16; y_dtype: F32 or x_dtype; pointers 16-byte aligned; in % 8 == 0. experimental: the
// deeper tiny-token pipelines (gemm_index.cuh, CfgTinyDeep / CfgSmallDeep) where the device takes them.
cudaError_t sparse24_gemm(const void* x, int x_dtype, const void* gpu_values, const uint32_t* gpu_meta,
                          const float* bias, void* y, int y_dtype, int64_t tokens, int64_t in, int64_t out,
                          bool experimental, cudaStream_t stream);

// The dense twin: W dense [out, in] row-major in x_dtype.
cudaError_t dense_gemm(const void* x, int x_dtype, const void* w, const float* bias, void* y, int y_dtype,
                       int64_t tokens, int64_t in, int64_t out, cudaStream_t stream);

// Hopper (sm_90a wgmma) version of dense_gemm, same contract; tokens <= 65535 * 128. Launch only when
// dense_gemm_sm90_available(): an sm_90 device running this library's sm_90a machine code (the answer is cached per
// device, so asking on every call is cheap). experimental: SK_HOPPER_EXPERIMENTAL's variant choice.
cudaError_t dense_gemm_sm90(const void* x, int x_dtype, const void* w, const float* bias, void* y, int y_dtype,
                            int64_t tokens, int64_t in, int64_t out, bool experimental, cudaStream_t stream);
bool dense_gemm_sm90_available();

// Hopper (sm_90a wgmma.mma_async.sp) version of sparse24_gemm, same contract and GPU layout; tokens <=
// sparse24_sm90_max_tokens(). Launch only when sparse24_gemm_sm90_available() (as dense_gemm_sm90_available()).
// hopper: the SK_HOPPER_* mode whose variant choice to make (ON, EXPERIMENTAL or TMA, the default).
cudaError_t sparse24_gemm_sm90(const void* x, int x_dtype, const void* gpu_values, const uint32_t* gpu_meta,
                               const float* bias, void* y, int y_dtype, int64_t tokens, int64_t in, int64_t out,
                               int hopper, cudaStream_t stream);
bool sparse24_gemm_sm90_available();
int64_t sparse24_sm90_max_tokens();
// One of sparse24_gemm_sm90's kernels by name, whatever the mode (variant: SK_SPARSE24_SM90_*, sparsekernels.h;
// SK_SPARSE24_SM90_DISPATCH = sparse24_gemm_sm90's choice for the mode). Same contract and preconditions.
cudaError_t sparse24_gemm_sm90_variant(const void* x, int x_dtype, const void* gpu_values, const uint32_t* gpu_meta,
                                       const float* bias, void* y, int y_dtype, int64_t tokens, int64_t in,
                                       int64_t out, int variant, int hopper, cudaStream_t stream);

// The shared-memory-A variant of sparse24_gemm_sm90 (compressed W reaches wgmma.sp through a descriptor, 4 k32 steps
// per stage), all verified on an H200 (2026-11-27): kLockstep (mode on's choice where the grid is large), kDecoupled
// (mbarrier pipeline, warpgroups not in lockstep), kWide (256 W rows per block, lockstep: the experimental mode's
// choice where its grid fills the SMs), kWideDecoupled (both), kTma (the decoupled ring loaded by TMA from a producer
// warp: the default where the 256-row grid does not fill the SMs), kTmaWide (the same with 256-row blocks: the
// default where it does), kTmaWidePersistent (that on one CTA per SM looping over the blocks; experimental, measured
// no faster in session 16), kTmaWideClusterX / W / XW (kTmaWide on thread-block clusters of 2x1, 1x2 or 2x2 CTAs
// that share X, W or both through TMA multicast), kTmaWideStaged (kTmaWide with 16-bit outputs staged through shared
// memory; both experimental, session 25, not yet run). See gemm_index.cuh. Same
// contract, same preconditions (launch only when sparse24_gemm_sm90_available()).
enum class Sp90SmemPipe {
  kLockstep,
  kDecoupled,
  kWide,
  kWideDecoupled,
  kTma,
  kTmaWide,
  kTmaWidePersistent,
  kTmaWideClusterX,
  kTmaWideClusterW,
  kTmaWideClusterXW,
  kTmaWideStaged
};
// exact: the caller named this variant (sk_experimental_sparse24_gemm_sm90_variant), so a cluster kernel the device
// cannot launch returns cudaErrorNotSupported instead of running the TMA wide kernel in its place.
cudaError_t sparse24_gemm_sm90_smem_a(const void* x, int x_dtype, const void* gpu_values, const uint32_t* gpu_meta,
                                      const float* bias, void* y, int y_dtype, int64_t tokens, int64_t in,
                                      int64_t out, Sp90SmemPipe pipe, cudaStream_t stream, bool exact = false);

// Every row of y [tokens, out] (F32, F16 or BF16) set to bias [out] (f32): the C operand of a cuBLAS GEMM with
// beta = 1, so that cuBLAS's output comes out as X . W^T + b.
cudaError_t fill_rows(void* y, int y_dtype, const float* bias, int64_t tokens, int64_t out, cudaStream_t stream);

// Largest tokens / out a launch accepts (grid limits of the chosen tiles).
int64_t sparse24_max_tokens();
int64_t dense_max_tokens();

}  // namespace skcuda

#endif
