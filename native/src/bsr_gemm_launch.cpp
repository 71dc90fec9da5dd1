// sk_bsr_gemm and its Hopper twin sk_experimental_bsr_gemm_sm90: every argument is checked here, on the host,
// before anything reaches CUDA. The structure itself
// (row_ptr / col_idx, device memory) is the caller's to check with sk_bsr_check before uploading it; the kernels
// still clamp every index they read from it, so a corrupt structure gives wrong numbers, never a memory fault.
#include "gemm_index.cuh"
#include "sk_internal.h"

#ifdef SK_WITH_CUDA
#include "bsr_launch.cuh"
#endif

namespace {

constexpr int64_t kMaxGemmDim = (int64_t)1 << 30;  // as the other GEMMs: 32-bit rows/cols in the kernels

bool aligned(const void* p, unsigned a) { return ((uintptr_t)p & (a - 1)) == 0; }
bool valid_block(int b) { return b == 16 || b == 32 || b == 64; }

// The argument checks of the sk_bsr_gemm contract, shared by sk_bsr_gemm and sk_experimental_bsr_gemm_sm90 (fn names
// the caller in the message). SK_OK or the failure, with sk_last_error() set.
int check_bsr_gemm(const char* fn, const void* x, int x_dtype, const int32_t* row_ptr, const int32_t* col_idx,
                   const void* values, int64_t blocks, int block_rows, int block_cols, const void* workspace,
                   const float* bias, const void* y, int y_dtype, int64_t tokens, int64_t in, int64_t out) {
  if (x == nullptr) return sk::fail(SK_ERR_INVALID_ARGUMENT, "%s: x is NULL", fn);
  if (row_ptr == nullptr) return sk::fail(SK_ERR_INVALID_ARGUMENT, "%s: row_ptr is NULL", fn);
  if (y == nullptr) return sk::fail(SK_ERR_INVALID_ARGUMENT, "%s: y is NULL", fn);
  if (blocks < 0 || blocks > INT32_MAX)
    return sk::fail(SK_ERR_INVALID_ARGUMENT, "%s: blocks must be in [0, %d], got %lld", fn, INT32_MAX, (long long)blocks);
  if (blocks > 0 && col_idx == nullptr) return sk::fail(SK_ERR_INVALID_ARGUMENT, "%s: col_idx is NULL", fn);
  if (blocks > 0 && values == nullptr) return sk::fail(SK_ERR_INVALID_ARGUMENT, "%s: values is NULL", fn);
  if (!valid_block(block_rows))
    return sk::fail(SK_ERR_INVALID_ARGUMENT, "%s: block_rows must be 16, 32 or 64, got %d", fn, block_rows);
  if (!valid_block(block_cols))
    return sk::fail(SK_ERR_INVALID_ARGUMENT, "%s: block_cols must be 16, 32 or 64, got %d", fn, block_cols);
  if (tokens <= 0) return sk::fail(SK_ERR_INVALID_ARGUMENT, "%s: tokens must be >= 1, got %lld", fn, (long long)tokens);
  if (in <= 0) return sk::fail(SK_ERR_INVALID_ARGUMENT, "%s: in must be >= 1, got %lld", fn, (long long)in);
  if (out <= 0) return sk::fail(SK_ERR_INVALID_ARGUMENT, "%s: out must be >= 1, got %lld", fn, (long long)out);
  if (in % 8 != 0)
    return sk::fail(SK_ERR_INVALID_ARGUMENT, "%s: in must be a multiple of 8, got %lld", fn, (long long)in);
  if (in % block_cols != 0)
    return sk::fail(SK_ERR_INVALID_ARGUMENT, "%s: in (%lld) must be a multiple of block_cols (%d)", fn, (long long)in,
                    block_cols);
  if (out % block_rows != 0)
    return sk::fail(SK_ERR_INVALID_ARGUMENT, "%s: out (%lld) must be a multiple of block_rows (%d)", fn,
                    (long long)out, block_rows);
  if (in > kMaxGemmDim || out > kMaxGemmDim)
    return sk::fail(SK_ERR_UNSUPPORTED, "%s: in and out must be <= %lld, got in=%lld out=%lld", fn,
                    (long long)kMaxGemmDim, (long long)in, (long long)out);
  if (blocks > (out / block_rows) * (in / block_cols))
    return sk::fail(SK_ERR_INVALID_ARGUMENT, "%s: blocks (%lld) exceeds the %lld x %lld block grid", fn,
                    (long long)blocks, (long long)(out / block_rows), (long long)(in / block_cols));
  if (x_dtype != SK_DTYPE_F16 && x_dtype != SK_DTYPE_BF16)
    return sk::fail(SK_ERR_INVALID_ARGUMENT, "%s: x_dtype must be F16 (1) or BF16 (2), got %d (%s)", fn, x_dtype,
                    sk::dtype_name(x_dtype));
  if (y_dtype != SK_DTYPE_F32 && y_dtype != x_dtype)
    return sk::fail(SK_ERR_INVALID_ARGUMENT, "%s: y_dtype must be F32 (0) or x_dtype %s (%d), got %d (%s)", fn,
                    sk::dtype_name(x_dtype), x_dtype, y_dtype, sk::dtype_name(y_dtype));
  if (tokens > skcuda::kBsrMaxTokens)
    return sk::fail(SK_ERR_UNSUPPORTED, "%s: tokens must be <= %lld, got %lld", fn, (long long)skcuda::kBsrMaxTokens,
                    (long long)tokens);
  // 16-byte cp.async copies of X rows and W block rows; 4-byte loads of the structure, bias and f32 Y.
  if (!aligned(x, 16)) return sk::fail(SK_ERR_INVALID_ARGUMENT, "%s: x must be 16-byte aligned, got %p", fn, x);
  if (!aligned(values, 16))
    return sk::fail(SK_ERR_INVALID_ARGUMENT, "%s: values must be 16-byte aligned, got %p", fn, values);
  if (!aligned(row_ptr, 4) || !aligned(col_idx, 4))
    return sk::fail(SK_ERR_INVALID_ARGUMENT, "%s: row_ptr and col_idx must be 4-byte aligned", fn);
  if (!aligned(workspace, 16))
    return sk::fail(SK_ERR_INVALID_ARGUMENT, "%s: workspace must be 16-byte aligned, got %p", fn, workspace);
  if (!aligned(bias, 4)) return sk::fail(SK_ERR_INVALID_ARGUMENT, "%s: bias must be 4-byte aligned", fn);
  const unsigned y_align = y_dtype == SK_DTYPE_F32 ? 4u : 2u;
  if (!aligned(y, y_align))
    return sk::fail(SK_ERR_INVALID_ARGUMENT, "%s: y must be %u-byte aligned, got %p", fn, y_align, y);
  return SK_OK;
}

#ifdef SK_WITH_CUDA
// The Hopper BSR kernel a mode chooses (SK_BSR_SM90_DISPATCH), or the one a SK_BSR_SM90_* id names.
int bsr_sm90_variant_of_mode() {
  const int mode = sk::hopper_mode();
  return mode == SK_HOPPER_TMA ? SK_BSR_SM90_TMA : mode == SK_HOPPER_EXPERIMENTAL ? SK_BSR_SM90_TMA_256
                                                                                 : SK_BSR_SM90_CTA128;
}
skcuda::BsrSm90Variant bsr_sm90_kernel(int variant) {
  if (variant == SK_BSR_SM90_DISPATCH) variant = bsr_sm90_variant_of_mode();
  return variant == SK_BSR_SM90_TMA       ? skcuda::BsrSm90Variant::kTma
         : variant == SK_BSR_SM90_TMA_256 ? skcuda::BsrSm90Variant::kTma256
         : variant == SK_BSR_SM90_CTA256  ? skcuda::BsrSm90Variant::kCta256
                                          : skcuda::BsrSm90Variant::kCta128;
}
#endif

}  // namespace

SK_EXPORT int sk_bsr_gemm(const void* x, int x_dtype, const int32_t* row_ptr, const int32_t* col_idx,
                          const void* values, int64_t blocks, int block_rows, int block_cols, void* workspace,
                          const float* bias, void* y, int y_dtype, int64_t tokens, int64_t in, int64_t out,
                          void* stream) {
  const char* fn = "sk_bsr_gemm";
  int rc = check_bsr_gemm(fn, x, x_dtype, row_ptr, col_idx, values, blocks, block_rows, block_cols, workspace, bias,
                          y, y_dtype, tokens, in, out);
  if (rc != SK_OK) return rc;
  // workspace NULL is always valid (one work item per block row, no cut: correct, unbalanced); which structures
  // need one is only known from the host row_ptr, i.e. to sk_bsr_workspace_size.
#ifdef SK_WITH_CUDA
  // Hopper: the wgmma kernel for 64x64 blocks when no workspace asks for balancing (it runs one CTA per block row)
  // and the tokens fill its 128-token tiles reasonably.
  cudaError_t e;
  if (block_rows == 64 && block_cols == 64 && workspace == nullptr && tokens > 64 &&
      sk::hopper_mode() != SK_HOPPER_OFF && skcuda::bsr_gemm_sm90_available()) {
    e = skcuda::bsr_gemm_sm90(x, x_dtype, row_ptr, col_idx, values, blocks, bias, y, y_dtype, tokens, in, out,
                              bsr_sm90_kernel(SK_BSR_SM90_DISPATCH), (cudaStream_t)stream);
  } else {
    e = skcuda::bsr_gemm(x, x_dtype, row_ptr, col_idx, values, blocks, block_rows, block_cols, workspace, bias, y,
                         y_dtype, tokens, in, out, (cudaStream_t)stream);
  }
  if (e != cudaSuccess) return sk::cuda_fail(e, "sk_bsr_gemm: kernel launch");
  return SK_OK;
#else
  (void)workspace;
  (void)stream;
  return sk::no_cuda(fn);
#endif
}

// sk_experimental_bsr_gemm_sm90 and its _variant form (fn: the caller's name for messages).
static int bsr_sm90_variant(const char* fn, const void* x, int x_dtype, const int32_t* row_ptr,
                            const int32_t* col_idx, const void* values, int64_t blocks, int block_rows,
                            int block_cols, void* workspace, const float* bias, void* y, int y_dtype, int64_t tokens,
                            int64_t in, int64_t out, int variant, void* stream) {
  int rc = check_bsr_gemm(fn, x, x_dtype, row_ptr, col_idx, values, blocks, block_rows, block_cols, workspace, bias,
                          y, y_dtype, tokens, in, out);
  if (rc != SK_OK) return rc;
  if (variant < SK_BSR_SM90_DISPATCH || variant > SK_BSR_SM90_TMA_256)
    return sk::fail(SK_ERR_INVALID_ARGUMENT, "%s: variant must be one of SK_BSR_SM90_* (0..4), got %d", fn, variant);
  // Valid BSR, but this kernel has one tile shape: 64x64 blocks (m64n64 MMAs, one 128-byte swizzle row per block).
  if (block_rows != 64 || block_cols != 64)
    return sk::fail(SK_ERR_UNSUPPORTED, "%s: only 64x64 blocks are supported, got %dx%d", fn, block_rows, block_cols);
  // workspace: accepted (checked above) so callers can pass sk_bsr_gemm's arguments unchanged; these kernels do not
  // read it.
  (void)workspace;
#ifdef SK_WITH_CUDA
  int count = 0;
  cudaError_t e = cudaGetDeviceCount(&count);
  if (e != cudaSuccess) return sk::cuda_fail(e, "sk_experimental_bsr_gemm_sm90: cudaGetDeviceCount");
  if (!skcuda::bsr_gemm_sm90_available())
    return sk::fail(SK_ERR_UNSUPPORTED, "%s: needs an sm_90 (Hopper) device and a library built for sm_90a", fn);
  e = skcuda::bsr_gemm_sm90(x, x_dtype, row_ptr, col_idx, values, blocks, bias, y, y_dtype, tokens, in, out,
                            bsr_sm90_kernel(variant), (cudaStream_t)stream);
  if (e != cudaSuccess) return sk::cuda_fail(e, "sk_experimental_bsr_gemm_sm90: kernel launch");
  return SK_OK;
#else
  (void)stream;
  return sk::no_cuda(fn);
#endif
}

SK_EXPORT int sk_experimental_bsr_gemm_sm90(const void* x, int x_dtype, const int32_t* row_ptr,
                                            const int32_t* col_idx, const void* values, int64_t blocks,
                                            int block_rows, int block_cols, void* workspace, const float* bias,
                                            void* y, int y_dtype, int64_t tokens, int64_t in, int64_t out,
                                            void* stream) {
  return bsr_sm90_variant("sk_experimental_bsr_gemm_sm90", x, x_dtype, row_ptr, col_idx, values, blocks, block_rows,
                          block_cols, workspace, bias, y, y_dtype, tokens, in, out, SK_BSR_SM90_DISPATCH, stream);
}

SK_EXPORT int sk_experimental_bsr_gemm_sm90_variant(const void* x, int x_dtype, const int32_t* row_ptr,
                                                    const int32_t* col_idx, const void* values, int64_t blocks,
                                                    int block_rows, int block_cols, void* workspace,
                                                    const float* bias, void* y, int y_dtype, int64_t tokens,
                                                    int64_t in, int64_t out, int variant, void* stream) {
  return bsr_sm90_variant("sk_experimental_bsr_gemm_sm90_variant", x, x_dtype, row_ptr, col_idx, values, blocks,
                          block_rows, block_cols, workspace, bias, y, y_dtype, tokens, in, out, variant, stream);
}
