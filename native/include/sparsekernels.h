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

/* ---- Hopper kernels ----
 * On an sm_90 device, a library built for sm_90a runs warpgroup-MMA (wgmma) kernels where they are faster than the
 * sm_80 mma.sync ones (measured on an H100 and H200, docs/performance.md): sk_dense_gemm and sk_sparse24_gemm with
 * tokens > 64, sk_bsr_gemm with 64x64 blocks, tokens > 64 and no workspace (a structure unbalanced enough to need
 * one keeps the split-row mma.sync kernel), sk_attention with head_dim 64 or 128 and no block list. Same contracts,
 * same results to rounding; other devices are unaffected.
 * sk_hopper_kernels sets that choice for the whole process (every mode's kernels were verified on an H200):
 *   SK_HOPPER_TMA, the default since 2026-11-27: the kernels loaded by the tensor-memory accelerator from a producer
 *     warp where they measured faster: sk_sparse24_gemm's shared-memory-A kernel (256-row blocks where their grid
 *     fills the SMs, else 128), sk_bsr_gemm's persistent kernel, sk_attention's software-pipelined kernel (each
 *     tile's P V overlapping the next tile's softmax); also sk_attention's Hopper kernel with the decoupled pipeline
 *     for windows, dense masks, bias and head masks, a dense mask bit-packed per call with a class per 128 x 128
 *     tile (since 2026-11-27, session 16: 1.49 ms against 3.28 reading the bytes, H200, B2 H16 L4096 D128), and
 *     sk_sparse24_gemm's deeper tiny-token (<= 16) pipelines.
 *   SK_HOPPER_ON: the Hopper kernels loaded by cp.async, the default before (sk_attention's only for causal and key
 *     length masks);
 *   SK_HOPPER_EXPERIMENTAL: candidates, some measured and not promoted, kept for comparison: sk_sparse24_gemm's
 *     deeper tiny-token pipelines on any device whose shared memory takes them; sk_dense_gemm's in-flight version at
 *     every size; sk_bsr_gemm's persistent TMA kernel with 256 tokens per item (verified on an H200 in session 16,
 *     not faster: within 1%, as was sk_sparse24_gemm's on persistent CTAs, now reachable by name only); and, not yet
 *     run on a GPU: sk_sparse24_gemm's 256-row TMA kernel on 2x2-CTA clusters sharing each stage's X and W tiles by
 *     TMA multicast where the grid fills the SMs (session 25; else the 128-row TMA kernel); sk_attention's dense mask
 *     alone (no bias, window or head mask) on the software-pipelined TMA kernel, and its unmasked calls on that kernel
 *     with the two warpgroups in ping-pong (session 18; masks as in SK_HOPPER_TMA); sk_gather_cols with a capped grid,
 *     per-lane offsets in registers and direct 16-byte copies of aligned runs (session 18, replacing the per-tile
 *     offsets of session 12, which measured slower: 0.088 ms against 0.074); the cp.async 2:4 and BSR variants the
 *     TMA ones beat stay reachable through the _variant entry points;
 *   SK_HOPPER_OFF: always mma.sync; SK_HOPPER_QUERY: leave it.
 * The start value comes from $SPARSEKERNELS_HOPPER (off|on|experimental|tma or 0|1|2|3; unset or anything else: tma).
 * Writes the mode before the call to *previous when previous is not NULL. Returns SK_OK or SK_ERR_INVALID_ARGUMENT. */
#define SK_HOPPER_QUERY (-1)
#define SK_HOPPER_OFF 0
#define SK_HOPPER_ON 1
#define SK_HOPPER_EXPERIMENTAL 2
#define SK_HOPPER_TMA 3
int sk_hopper_kernels(int mode, int* previous);

/* The Hopper versions alone, whatever the mode (self-tests and benches compare them with the mma.sync kernels):
 * the sk_dense_gemm / sk_sparse24_gemm contracts on wgmma, for any tokens (<= 65535 * 128). Return
 * SK_ERR_UNSUPPORTED unless the device is sm_90 and the library carries sm_90a code. They run the variant the mode
 * chooses (mode off: as mode on). */
int sk_experimental_dense_gemm_sm90(const void* x, int x_dtype, const void* w, const float* bias, void* y,
                                    int y_dtype, int64_t tokens, int64_t in, int64_t out, void* stream);
int sk_experimental_sparse24_gemm_sm90(const void* x, int x_dtype, const void* gpu_values, const uint32_t* gpu_meta,
                                       const float* bias, void* y, int y_dtype, int64_t tokens, int64_t in,
                                       int64_t out, void* stream);

/* One of the Hopper 2:4 kernels by name, whatever the mode (the self-test checks and times each): variant
 * SK_SPARSE24_SM90_DISPATCH is sk_experimental_sparse24_gemm_sm90's choice; REGISTER_A the register-A kernel (one or
 * two warpgroups by grid size); SMEM_A the shared-memory-A kernel, lockstep pipeline (mode on's choice for large
 * grids); SMEM_A_DECOUPLED its mbarrier pipeline; SMEM_A_WIDE and SMEM_A_WIDE_DECOUPLED the same with 256-row blocks;
 * SMEM_A_TMA the mbarrier pipeline loaded by the tensor-memory accelerator from a producer warp and SMEM_A_TMA_WIDE
 * the same with 256-row blocks (the default's choices); SMEM_A_TMA_WIDE_PERSISTENT the latter on one CTA per SM
 * looping over the blocks, its ring running on across them (experimental; no faster on an H200);
 * SMEM_A_TMA_WIDE_CLUSTER_X, _W and _XW the 256-row TMA kernel on thread-block clusters of 2x1, 1x2 and 2x2 CTAs that
 * share each stage's X tile, W tile, or both, through TMA multicast (experimental, session 25, not yet run on a GPU;
 * where the device refuses the cluster launch the TMA wide kernel runs the call); SMEM_A_TMA_WIDE_STAGED the TMA wide
 * kernel with f16 / bf16 outputs staged through shared memory and stored as 16-byte chunks (experimental, session 25,
 * not yet run on a GPU; f32 outputs as TMA wide). Otherwise as
 * sk_experimental_sparse24_gemm_sm90; an unknown variant returns SK_ERR_INVALID_ARGUMENT. */
#define SK_SPARSE24_SM90_DISPATCH 0
#define SK_SPARSE24_SM90_REGISTER_A 1
#define SK_SPARSE24_SM90_SMEM_A 2
#define SK_SPARSE24_SM90_SMEM_A_DECOUPLED 3
#define SK_SPARSE24_SM90_SMEM_A_WIDE 4
#define SK_SPARSE24_SM90_SMEM_A_WIDE_DECOUPLED 5
#define SK_SPARSE24_SM90_SMEM_A_TMA 6
#define SK_SPARSE24_SM90_SMEM_A_TMA_WIDE 7
#define SK_SPARSE24_SM90_SMEM_A_TMA_WIDE_PERSISTENT 8
#define SK_SPARSE24_SM90_SMEM_A_TMA_WIDE_CLUSTER_X 9
#define SK_SPARSE24_SM90_SMEM_A_TMA_WIDE_CLUSTER_W 10
#define SK_SPARSE24_SM90_SMEM_A_TMA_WIDE_CLUSTER_XW 11
#define SK_SPARSE24_SM90_SMEM_A_TMA_WIDE_STAGED 12
int sk_experimental_sparse24_gemm_sm90_variant(const void* x, int x_dtype, const void* gpu_values,
                                               const uint32_t* gpu_meta, const float* bias, void* y, int y_dtype,
                                               int64_t tokens, int64_t in, int64_t out, int variant, void* stream);

/* The Hopper (wgmma) fused attention alone, whatever the mode (sk_attention runs it where it applies): exactly
 * sk_attention's arguments and checks (see "fused masked attention" below), restricted to head_dim 64 or 128 and the
 * masks causal and key_lengths; a window (window_left / window_right other than -1), a dense mask, bias or head mask
 * returns SK_ERR_UNSUPPORTED, as does a device that is not sm_90 or a library without sm_90a code. Same results as
 * sk_attention to rounding (fp32 accumulation, P rounded to dtype before the PV product). Asynchronous on stream. */
int sk_experimental_attention_sm90(const void* q, const void* k, const void* v, void* o, int dtype, int o_dtype,
                                   int64_t batch, int64_t heads_q, int64_t heads_kv, int64_t lq, int64_t lk,
                                   int64_t head_dim, float scale, int causal, int64_t window_left,
                                   int64_t window_right, const int32_t* key_lengths, const float* bias,
                                   int64_t bias_stride_b, int64_t bias_stride_h, int64_t bias_stride_q,
                                   const uint8_t* mask, int64_t mask_stride_b, int64_t mask_stride_h,
                                   int64_t mask_stride_q, const uint8_t* head_mask, void* stream);

/* ---- dense GEMM through cuBLAS ----
 * cuBLAS is not linked: it is looked up on first use (dlopen of $SK_CUBLAS_LIBRARY, else libcublas.so.13,
 * libcublas.so.12, libcublas.so), so the library loads everywhere and uses cuBLAS where the host has it. */

/* SK_OK when cuBLAS was found (sk_last_error() then names the file), else SK_ERR_UNSUPPORTED with the reason. */
int sk_blas_status(void);

/* The sk_dense_gemm contract computed by cublasGemmEx (fp32 accumulation; a bias is first written into every row of
 * y, then accumulated onto with beta = 1). One cuBLAS handle per calling thread and device, bound to `stream` on
 * each call; asynchronous on stream. SK_ERR_UNSUPPORTED when cuBLAS is missing (see sk_blas_status). */
int sk_blas_gemm(const void* x, int x_dtype, const void* w, const float* bias, void* y, int y_dtype,
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

/* Host: size in bytes of the device workspace sk_bsr_gemm needs for this structure and token count (0 when none).
 * The schedule that balances block rows of very different lengths lives there, and the kernel also writes partial
 * sums of split block rows into it: a workspace serves one sk_bsr_gemm at a time (one per stream with a call in
 * flight; two concurrent calls sharing one give wrong results). */
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

/* The Hopper (wgmma) version of sk_bsr_gemm alone, whatever sk_hopper_kernels says (see there): 64x64 blocks only
 * (other valid block shapes: SK_ERR_UNSUPPORTED), any tokens; workspace is checked but not read (no balancing yet).
 * Returns SK_ERR_UNSUPPORTED unless the device is sm_90 and the library carries sm_90a code. */
int sk_experimental_bsr_gemm_sm90(const void* x, int x_dtype, const int32_t* row_ptr, const int32_t* col_idx,
                                  const void* values, int64_t blocks, int block_rows, int block_cols, void* workspace,
                                  const float* bias, void* y, int y_dtype, int64_t tokens, int64_t in, int64_t out,
                                  void* stream);

/* One of the Hopper BSR kernels by name, whatever the mode (the self-test checks and times each): variant
 * SK_BSR_SM90_DISPATCH is sk_experimental_bsr_gemm_sm90's choice for the mode; CTA128 128-token CTAs (mode on);
 * CTA256 256-token CTAs; TMA persistent CTAs loaded by the tensor-memory accelerator from a producer warp (the
 * default); TMA_256 the same with 256 tokens per work item (the experimental mode's; not yet run on a GPU). Otherwise
 * as sk_experimental_bsr_gemm_sm90; an unknown variant returns SK_ERR_INVALID_ARGUMENT. */
#define SK_BSR_SM90_DISPATCH 0
#define SK_BSR_SM90_CTA128 1
#define SK_BSR_SM90_CTA256 2
#define SK_BSR_SM90_TMA 3
#define SK_BSR_SM90_TMA_256 4
int sk_experimental_bsr_gemm_sm90_variant(const void* x, int x_dtype, const int32_t* row_ptr, const int32_t* col_idx,
                                          const void* values, int64_t blocks, int block_rows, int block_cols,
                                          void* workspace, const float* bias, void* y, int y_dtype, int64_t tokens,
                                          int64_t in, int64_t out, int variant, void* stream);

/* ---- structured channel removal: activation statistics and compaction (issue 4) ----
 *
 * Channel statistics. X is a batch of activations [samples, channels], row-major, in f32, f16 or bf16; channel j
 * is column j. Statistics of any number of batches accumulate into a device state of float64 values, laid out
 * structure-of-arrays, 3 * channels doubles (24 * channels bytes, 8-byte aligned):
 *   state[j]                = n_j     number of samples seen by channel j (an exact integer in a double)
 *   state[channels + j]     = mean_j  running mean of channel j
 *   state[2 * channels + j] = M2_j    running sum of squared deviations from the mean, sum_s (x_sj - mean_j)^2
 * All-zero bytes is the empty state (n = 0). Every channel of one state sees the same samples, so n_j is the same
 * for all j, but merging only assumes the per-channel form above.
 *
 * Merging (Chan, Golub, LeVeque), used for every update and by sk_channel_stats_merge, per channel, in float64:
 *   (nA, meanA, M2A) + (nB, meanB, M2B):  n = nA + nB;  d = meanB - meanA;  fb = nB / n;  cross = (nA * nB) / n;
 *   mean = meanA + d * fb;  M2 = M2A + (M2B + (d * d) * cross);  an empty side (n = 0) leaves the other as is.
 *   Evaluated in exactly this order with round-to-nearest and no fused multiply-add, so a CPU twin writing the same
 *   expressions (e.g. Java's ChannelStatistics combine) merges two given states to the same bits.
 * A batch's own (nB, meanB, M2B) is computed in float64 from the f32 value of every element (f16/bf16 widened
 * exactly) with the batch's first row as shift K_j = x_0j (stable for large means, no second pass):
 *   S1 = sum_s (x_sj - K_j),  S2 = sum_s (x_sj - K_j)^2,  nB = samples,  meanB = K_j + S1 / nB,
 *   M2B = max(S2 - S1 * S1 / nB, 0).
 * Welford's per-sample update (n += 1; d = x - mean; mean += d / n; M2 += d * (x - mean)) computes the same
 * quantities; a CPU twin may use either, and agrees with this one to float64 rounding (relative ~1e-12 of M2 on
 * data whose mean is 1e4 standard deviations from zero). Results are bitwise deterministic for a given batch order.
 *
 * Finalised values per channel (float32 outputs, computed in float64 and rounded once):
 *   mean_j;  variance_j = M2_j / n_j (population variance, divides by n, not n - 1);
 *   mean_square_j = M2_j / n_j + mean_j^2 (= the mean of x_sj^2 over all samples seen; no cancellation).
 * A channel with n_j = 0 gives NaN for all three.
 */

/* Device: resets a state of `channels` channels to empty (an asynchronous memset to zero on stream). */
int sk_channel_stats_reset(double* state, int64_t channels, void* stream);

/* Device: folds the batch x [samples, channels] (x_dtype F32, F16 or BF16; x aligned to its element size) into
 * state, as described above. samples >= 1, channels >= 1; asynchronous on stream. */
int sk_channel_stats_update(const void* x, int x_dtype, int64_t samples, int64_t channels, double* state,
                            void* stream);

/* Device: state <- merge(state, other), both [3 * channels] doubles in the layout above (other is not changed;
 * state == other is allowed and doubles the counts). Asynchronous on stream. */
int sk_channel_stats_merge(double* state, const double* other, int64_t channels, void* stream);

/* Device: writes mean, variance and mean_square [channels] float32 from state; any of the three may be NULL (not
 * written), not all three. Asynchronous on stream. */
int sk_channel_stats_finalize(const double* state, int64_t channels, float* mean, float* variance,
                              float* mean_square, void* stream);

/* Compaction gathers. idx holds `count` int64 indices, strictly ascending, each in [0, limit) where limit is the
 * number of source rows (gather_rows) or columns (gather_cols); sk_gather_check checks a host copy of idx. Elements
 * are copied bit for bit (dtype only gives the element size: 4 for F32, 2 for F16 and BF16), so the result is
 * exact. src and dst are row-major, dense, aligned to the element size, and must not overlap. The kernels clamp
 * every index they read into range, so unchecked indices give wrong values, never a memory fault. */

/* Host: checks idx [count] (count >= 1): every idx[i] in [0, limit), idx[i] < idx[i + 1]. Returns
 * SK_ERR_INVALID_ARGUMENT naming the first bad position and value in sk_last_error(). */
int sk_gather_check(const int64_t* idx, int64_t count, int64_t limit);

/* Device: dst [count, cols] with dst[i, :] = src[idx[i], :], src [rows, cols]; idx device [count].
 * rows, cols, count >= 1, count <= rows. Asynchronous on stream. */
int sk_gather_rows(const void* src, int dtype, int64_t rows, int64_t cols, const int64_t* idx, int64_t count,
                   void* dst, void* stream);

/* Device: dst [rows, count] with dst[:, j] = src[:, idx[j]], src [rows, cols]; idx device [count].
 * rows, cols, count >= 1, count <= cols. Asynchronous on stream. */
int sk_gather_cols(const void* src, int dtype, int64_t rows, int64_t cols, const int64_t* idx, int64_t count,
                   void* dst, void* stream);


/* ---- fused masked attention (issue 5) ----
 *
 * O = softmax(scale * Q K^T + bias, masked) V, FlashAttention style (tiles, online softmax, no Lq x Lk matrix in
 * memory), for every batch b and query head h:
 *   q: device [B, Hq, Lq, D], k and v: device [B, Hkv, Lk, D], contiguous (row-major), dtype F16 or BF16.
 *   o: device [B, Hq, Lq, D], contiguous, o_dtype F32 or dtype.
 *   Hq a multiple of Hkv (MHA Hq == Hkv, GQA, MQA Hkv == 1): query head h reads kv head h / (Hq / Hkv); K/V are
 *   never copied. D a multiple of 8 in [8, 256] (kernels exist for D 32, 64, 128 and 256; other D run the next
 *   larger kernel with zero-filled padding, e.g. D 96 on the D 128 kernel). q, k, v 16-byte aligned; o aligned to
 *   its element size x 2 (pairs of outputs are stored together).
 *   B, Hq, Hkv, Lq, Lk >= 1; B * Hq <= 65535; Lq, Lk <= 2^30.
 *   scale: the softmax scale, finite (the caller passes 1/sqrt(D) for the default). fp32 accumulation; the
 *   exponentials use exp2 with scale * log2(e) folded into the scores.
 *
 * Key j is visible to query i of (b, h), h the query head, when all of these hold (masks combine by AND):
 *   - j < klen(b): klen(b) = key_lengths[b] clamped to [0, Lk] when key_lengths (device int32 [B]) is not NULL,
 *     else Lk (padding: keys at and after klen(b) are invisible);
 *   - causal != 0: j <= i + (Lk - Lq) (aligned bottom-right: the last query sees every key; with Lq > Lk the first
 *     Lq - Lk queries see none);
 *   - window_left >= 0: j >= i + (Lk - Lq) - window_left, and window_right >= 0: j <= i + (Lk - Lq) + window_right
 *     (a sliding window around the aligned diagonal p = i + Lk - Lq, as FlashAttention's window_size; -1 = no bound
 *     on that side). With causal, window_left = W - 1 gives the usual local window of W keys p - W < j <= p; a
 *     symmetric window of size W (|j - p| < W) is window_left = window_right = W - 1;
 *   - mask != NULL: mask[b * mask_stride_b + h * mask_stride_h + i * mask_stride_q + j] != 0 (uint8, non-zero
 *     means "may attend"; strides in elements, >= 0, 0 broadcasts: a [B, 1, 1, Lk] padding mask has strides
 *     (Lk, 0, 0); a [Lq, Lk] mask shared by all batches and heads has (0, 0, Lk));
 *   - head_mask != NULL: head_mask[h] != 0 (device uint8 [Hq]; a pruned head outputs zeros and costs no tile).
 * bias != NULL adds bias[b * bias_stride_b + h * bias_stride_h + i * bias_stride_q + j] (device f32, same stride
 * rules) to the scaled score before the softmax; a bias of -infinity acts as a masked key.
 * A query row that sees no key (all masked) outputs zeros, never NaN.
 * Key tiles that causal, the window, key lengths or the head mask remove entirely are skipped (not read); the dense
 * mask and bias are applied per element and do not skip tiles (use the block-sparse entry point for that).
 * Asynchronous on stream. Returns SK_ERR_UNSUPPORTED when the device lacks the shared memory the kernel of this
 * D needs (D > 128 needs ~99 KB per block: sm_80/86/89/90 all have it).
 */
int sk_attention(const void* q, const void* k, const void* v, void* o, int dtype, int o_dtype, int64_t batch,
                 int64_t heads_q, int64_t heads_kv, int64_t lq, int64_t lk, int64_t head_dim, float scale,
                 int causal, int64_t window_left, int64_t window_right, const int32_t* key_lengths,
                 const float* bias, int64_t bias_stride_b, int64_t bias_stride_h, int64_t bias_stride_q,
                 const uint8_t* mask, int64_t mask_stride_b, int64_t mask_stride_h, int64_t mask_stride_q,
                 const uint8_t* head_mask, void* stream);

/* Block-sparse attention (FlexAttention style): sk_attention's arguments plus, per (b, h) and query block, the
 * list of key blocks that query block attends. Query blocks are q_block rows, key blocks kv_block keys, each a
 * multiple of 64 (64 and 128 are the usual; FlexAttention's default is 128 x 128); nqb = ceil(Lq / q_block),
 * nkb = ceil(Lk / kv_block).
 *   kv_count: device int32 [.., nqb] at (b, h): kv_count[b * bs_stride_b + h * bs_stride_h + qb] = number of
 *             listed key blocks of query block qb (clamped to [0, max_kv_blocks]);
 *   kv_index: device int32, kv_index[(b * bs_stride_b + h * bs_stride_h + qb) * max_kv_blocks + n] = key block of
 *             list entry n (any order; entries outside [0, nkb) are ignored; list each block once);
 *   kv_full:  device uint8 with the layout of kv_index, or NULL (every listed block partial). A full block is one
 *             the caller knows the dense mask keeps whole: its mask bytes are not read. Partial blocks read the
 *             dense mask per element (when mask != NULL). Causal, window, key lengths, bias and head mask apply to
 *             every block as in sk_attention.
 *   bs_stride_b, bs_stride_h: in entries of kv_count (>= 0, 0 broadcasts; a dense [B, Hq, nqb] layout has
 *             (Hq * nqb, nqb), one layout shared by all batches (0, nqb)).
 *   max_kv_blocks: the list capacity per query block, in [1, nkb].
 * Keys in blocks that are not listed are invisible; only listed blocks are read (a query block with no listed
 * block outputs zeros).
 */
int sk_attention_block_sparse(const void* q, const void* k, const void* v, void* o, int dtype, int o_dtype,
                              int64_t batch, int64_t heads_q, int64_t heads_kv, int64_t lq, int64_t lk,
                              int64_t head_dim, float scale, int causal, int64_t window_left, int64_t window_right,
                              const int32_t* key_lengths, const float* bias, int64_t bias_stride_b,
                              int64_t bias_stride_h, int64_t bias_stride_q, const uint8_t* mask,
                              int64_t mask_stride_b, int64_t mask_stride_h, int64_t mask_stride_q,
                              const uint8_t* head_mask, int q_block, int kv_block, int64_t max_kv_blocks,
                              const int32_t* kv_count, const int32_t* kv_index, const uint8_t* kv_full,
                              int64_t bs_stride_b, int64_t bs_stride_h, void* stream);

#ifdef __cplusplus
}
#endif

#endif /* SPARSEKERNELS_H */
