/*
 * sparsekernels: the one C ABI of libsparsekernels.so.
 *
 * Rules (see shared ARCHITECTURE.md): extern "C", every symbol prefixed sk_, plain ints, sizes and pointers
 * (device addresses as void*), an optional void* stream on every launch (NULL = default stream), an int status
 * return (SK_OK = 0) and sk_last_error() for a thread-local message describing the last failure on this thread.
 * No C++ types cross this boundary, so the Panama and JavaCPP bindings can mirror it one to one.
 */
#ifndef SPARSEKERNELS_H
#define SPARSEKERNELS_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- status codes ---- */
#define SK_OK 0
#define SK_ERR_INVALID_ARGUMENT 1 /* a null pointer, a bad size or dtype: nothing was touched */
#define SK_ERR_NO_DEVICE 2        /* no usable CUDA device or driver (cudaGetDeviceCount said so) */
#define SK_ERR_CUDA 3             /* a CUDA call failed; sk_last_error() carries cudaGetErrorString */
#define SK_ERR_UNSUPPORTED 4      /* built without CUDA, or a shape/dtype this kernel does not take */
#define SK_ERR_NOT_2_4 5          /* a matrix that should be 2:4 is not; the message names row and group */

/* ---- dtypes (values match dev.sparsekernels.DType ordinals) ---- */
#define SK_DTYPE_F32 0
#define SK_DTYPE_F16 1
#define SK_DTYPE_BF16 2

/* ---- library and devices ---- */

/* Version string "MAJOR.MINOR.PATCH"; static storage, never NULL. */
const char* sk_version(void);

/* 1 when the library was built with nvcc and carries the CUDA kernels, 0 for a host-only build. */
int sk_cuda_compiled(void);

/* Message of the last failure on the calling thread ("" if none); valid until the next sk_ call on this thread. */
const char* sk_last_error(void);

/* Number of usable CUDA devices. Writes 0 and returns SK_OK on a machine without a driver or GPU (the cause is
 * then readable with sk_last_error()); a host-only build also writes 0. */
int sk_device_count(int* count);

/* NUL-terminated device name into buf (truncated to capacity-1 bytes). */
int sk_device_name(int ordinal, char* buf, size_t capacity);

/* Compute capability as major*10 + minor (e.g. 90 for H100). */
int sk_device_capability(int ordinal, int* capability);

/* Makes ordinal the current device of the calling thread. */
int sk_set_device(int ordinal);

/* ---- memory and streams ---- */
int sk_malloc(void** device_ptr, size_t bytes);
int sk_free(void* device_ptr); /* NULL is a no-op */
int sk_memcpy_h2d(void* device_dst, const void* host_src, size_t bytes, void* stream);
int sk_memcpy_d2h(void* host_dst, const void* device_src, size_t bytes, void* stream);
int sk_memcpy_d2d(void* device_dst, const void* device_src, size_t bytes, void* stream);
int sk_stream_create(void** stream);
int sk_stream_destroy(void* stream);
int sk_stream_synchronize(void* stream);

/* ---- 2:4 semi-structured sparsity (host code: works without a GPU) ----
 *
 * CPU format of a 2:4 matrix W [rows = out, cols = in], cols % 4 == 0 (see docs/formats.md):
 *   values  [rows, cols/2]: the two kept elements of every group of 4, in ascending position order;
 *   indices [rows, ceil(cols/8)] bytes: one nibble per group, group 2j in the low nibble of byte j, group 2j+1 in
 *           the high nibble; nibble bits [1:0] = position (0..3) of the first kept element, bits [3:2] = position
 *           of the second, first < second always.
 *
 * GPU layout (consumed by sk_sparse24_gemm), for Mp = round_up(rows, 32), Kp = round_up(cols, 32), KS = Kp/32:
 *   gpu_values [Mp, Kp/2] 16-bit elements, row-major, zero in the padding;
 *   gpu_meta   [Mp/32 * KS * 32] uint32: word (P*KS + s)*32 + l, l = 4g + t (g = l>>2, t = l&3), holds
 *              half(32P + 16(t>>1) + g, 2s + (t&1)) | half(32P + 16(t>>1) + g + 8, 2s + (t&1)) << 16,
 *              where half(r, q) is the 16-bit word of nibbles of row r, groups 4q..4q+3 (group 4q+c at bits 4c).
 *              Padding groups use nibble 0x4 (positions 0,1) with zero values.
 */

/* Sizes of the GPU layout: number of 16-bit values and of 32-bit metadata words. */
int sk_sparse24_gpu_sizes(int64_t rows, int64_t cols, int64_t* value_count, int64_t* meta_words);

/* Packs the CPU format (values as 16-bit bit patterns, f16 or bf16 alike) into the GPU layout.
 * Returns SK_ERR_INVALID_ARGUMENT for a nibble that is not one of 0x4,0x8,0xC,0x9,0xD,0xE. */
int sk_sparse24_pack(const uint16_t* values, const uint8_t* indices, int64_t rows, int64_t cols,
                     uint16_t* gpu_values, uint32_t* gpu_meta);

/* Checks that the dense float matrix w [rows, cols] has at most 2 non-zeros (by value: -0.0 is zero) in every
 * group of 4 along cols. Returns SK_OK, or SK_ERR_NOT_2_4 and writes the first offending row and group. */
int sk_sparse24_check_f32(const float* w, int64_t rows, int64_t cols, int64_t* bad_row, int64_t* bad_group);

/* ---- 2:4 sparse GEMM on the GPU ----
 * Y[tokens, out] = X[tokens, in] . W^T + bias, W a 2:4 matrix [out, in] in the GPU layout above.
 *   x: device, [tokens, in] row-major, dtype x_dtype (F16 or BF16); in % 8 == 0.
 *   gpu_values/gpu_meta: device, from sk_sparse24_pack; values in x_dtype.
 *   bias: device [out] in f32, or NULL.
 *   y: device [tokens, out] row-major, dtype y_dtype (F32, or x_dtype).
 * fp32 accumulation; any tokens >= 1; asynchronous on stream. */
int sk_sparse24_gemm(const void* x, int x_dtype, const void* gpu_values, const uint32_t* gpu_meta,
                     const float* bias, void* y, int y_dtype, int64_t tokens, int64_t in, int64_t out,
                     void* stream);

/* Dense reference GEMM on the GPU for the same contract, W dense [out, in] in x_dtype (used by tests as the
 * dense twin and by the bench when cuBLAS is not reachable). */
int sk_dense_gemm(const void* x, int x_dtype, const void* w, const float* bias, void* y, int y_dtype,
                  int64_t tokens, int64_t in, int64_t out, void* stream);

/* ---- block-sparse (BSR) GEMM ----
 * W [out, in] cut into block_rows x block_cols tiles (each 16, 32 or 64; out % block_rows == 0, in % block_cols == 0),
 * stored as BSR (docs/formats.md): row_ptr [out/block_rows + 1] int32, col_idx [blocks] int32 (ascending within a
 * block row), values [blocks, block_rows, block_cols] row-major in x_dtype. Blocks not stored are zero.
 */

/* Host: checks a BSR structure (row_ptr starts at 0, non-decreasing, ends at blocks; col_idx in range and strictly
 * ascending per block row). Returns SK_ERR_INVALID_ARGUMENT naming the first bad entry in sk_last_error(). */
int sk_bsr_check(const int32_t* row_ptr, const int32_t* col_idx, int64_t blocks, int block_rows, int block_cols,
                 int64_t out, int64_t in);

/* Host: size in bytes of the device workspace sk_bsr_gemm needs for this structure (0 when none), so callers can
 * allocate it once per matrix. The schedule that balances block rows of very different lengths lives there. */
int sk_bsr_workspace_size(const int32_t* host_row_ptr, int64_t blocks, int block_rows, int block_cols,
                          int64_t tokens, int64_t out, int64_t* bytes);

/* Host: fills host_workspace (sk_bsr_workspace_size bytes) with the schedule for this structure and token count;
 * copy it to the device buffer passed to sk_bsr_gemm. */
int sk_bsr_plan(const int32_t* host_row_ptr, int64_t blocks, int block_rows, int block_cols, int64_t tokens,
                int64_t out, void* host_workspace, int64_t bytes);

/* Y[tokens, out] = X[tokens, in] . W^T + bias on the GPU, W in BSR on the device; x: [tokens, in] in x_dtype
 * (F16 or BF16), in % 8 == 0; bias f32 [out] or NULL; y [tokens, out] in y_dtype (F32 or x_dtype); workspace: the
 * device copy of sk_bsr_plan's output (NULL when the size was 0). Only stored blocks are read; block rows with no
 * blocks give bias (or 0). fp32 accumulation; any tokens >= 1; asynchronous on stream. */
int sk_bsr_gemm(const void* x, int x_dtype, const int32_t* row_ptr, const int32_t* col_idx, const void* values,
                int64_t blocks, int block_rows, int block_cols, void* workspace, const float* bias, void* y,
                int y_dtype, int64_t tokens, int64_t in, int64_t out, void* stream);

#ifdef __cplusplus
}
#endif

#endif /* SPARSEKERNELS_H */
