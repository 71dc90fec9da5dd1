// fill_rows: the bias broadcast into every row of Y, so that a cuBLAS GEMM with beta = 1 adds X . W^T onto it.
// Memory-bound and tiny next to the GEMM: one thread per element, grid-stride, coalesced along out.
#include <cuda_bf16.h>
#include <cuda_fp16.h>

#include "epilogue.cuh"
#include "sk_launch.h"
#include "sparsekernels.h"

namespace {

template <typename T>
__global__ void fill_rows_kernel(T* y, const float* __restrict__ bias, int64_t total, int64_t out) {
  for (int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; i < total; i += (int64_t)gridDim.x * blockDim.x) {
    skcuda::store_out(y + i, bias[i % out]);
  }
}

template <typename T>
cudaError_t launch(void* y, const float* bias, int64_t tokens, int64_t out, cudaStream_t stream) {
  int64_t total = tokens * out;
  int64_t blocks = (total + 255) / 256;
  if (blocks > 4096) blocks = 4096;  // grid-stride beyond: enough blocks to fill any GPU
  fill_rows_kernel<T><<<(unsigned)blocks, 256, 0, stream>>>((T*)y, bias, total, out);
  return cudaGetLastError();
}

}  // namespace

namespace skcuda {

cudaError_t fill_rows(void* y, int y_dtype, const float* bias, int64_t tokens, int64_t out, cudaStream_t stream) {
  if (y_dtype == SK_DTYPE_F16) return launch<__half>(y, bias, tokens, out, stream);
  if (y_dtype == SK_DTYPE_BF16) return launch<__nv_bfloat16>(y, bias, tokens, out, stream);
  return launch<float>(y, bias, tokens, out, stream);
}

}  // namespace skcuda
