// sk_gather_check / sk_gather_rows / sk_gather_cols: compaction of kept channels (sparsekernels.h). The index
// check runs on the host; the launches check every argument here before anything reaches CUDA. Device indices
// are the caller's to check (with sk_gather_check on a host copy); the kernels clamp them, so a bad index gives
// wrong values, never a memory fault.
#include "sk_internal.h"

#ifdef SK_WITH_CUDA
#include "channel_launch.cuh"
#endif

namespace {

// The column kernel keeps source columns as int32 in shared memory; rows go on grid.y loops (64-bit offsets).
constexpr int64_t kMaxGatherDim = INT32_MAX;

bool aligned(const void* p, unsigned a) { return ((uintptr_t)p & (a - 1)) == 0; }

int elem_size(int dtype) { return dtype == SK_DTYPE_F32 ? 4 : (dtype == SK_DTYPE_F16 || dtype == SK_DTYPE_BF16) ? 2 : 0; }

// Shared by both launches; by_rows: the indices select rows (else columns).
int check_gather(const char* fn, const void* src, int dtype, int64_t rows, int64_t cols, const int64_t* idx,
                 int64_t count, const void* dst, bool by_rows) {
  if (src == nullptr) return sk::fail(SK_ERR_INVALID_ARGUMENT, "%s: src is NULL", fn);
  if (idx == nullptr) return sk::fail(SK_ERR_INVALID_ARGUMENT, "%s: idx is NULL", fn);
  if (dst == nullptr) return sk::fail(SK_ERR_INVALID_ARGUMENT, "%s: dst is NULL", fn);
  const int esz = elem_size(dtype);
  if (esz == 0)
    return sk::fail(SK_ERR_INVALID_ARGUMENT, "%s: dtype must be F32 (0), F16 (1) or BF16 (2), got %d (%s)", fn, dtype,
                    sk::dtype_name(dtype));
  if (rows <= 0 || rows > kMaxGatherDim)
    return sk::fail(SK_ERR_INVALID_ARGUMENT, "%s: rows must be in [1, %lld], got %lld", fn, (long long)kMaxGatherDim,
                    (long long)rows);
  if (cols <= 0 || cols > kMaxGatherDim)
    return sk::fail(SK_ERR_INVALID_ARGUMENT, "%s: cols must be in [1, %lld], got %lld", fn, (long long)kMaxGatherDim,
                    (long long)cols);
  const int64_t limit = by_rows ? rows : cols;
  if (count <= 0 || count > limit)
    return sk::fail(SK_ERR_INVALID_ARGUMENT, "%s: count must be in [1, %s = %lld], got %lld", fn,
                    by_rows ? "rows" : "cols", (long long)limit, (long long)count);
  if (rows > (int64_t)(sk::kMaxBytes / (uint64_t)esz) / cols)
    return sk::fail(SK_ERR_INVALID_ARGUMENT, "%s: rows * cols * %d bytes overflows (rows %lld, cols %lld)", fn, esz,
                    (long long)rows, (long long)cols);
  if (!aligned(src, (unsigned)esz))
    return sk::fail(SK_ERR_INVALID_ARGUMENT, "%s: src must be %d-byte aligned (%s), got %p", fn, esz,
                    sk::dtype_name(dtype), src);
  if (!aligned(dst, (unsigned)esz))
    return sk::fail(SK_ERR_INVALID_ARGUMENT, "%s: dst must be %d-byte aligned (%s), got %p", fn, esz,
                    sk::dtype_name(dtype), dst);
  if (!aligned(idx, 8)) return sk::fail(SK_ERR_INVALID_ARGUMENT, "%s: idx must be 8-byte aligned (int64), got %p", fn, (const void*)idx);
  const uintptr_t s = (uintptr_t)src, d = (uintptr_t)dst;
  const uintptr_t sbytes = (uintptr_t)(rows * cols * esz), dbytes = (uintptr_t)((by_rows ? count * cols : rows * count) * esz);
  if (s < d + dbytes && d < s + sbytes)
    return sk::fail(SK_ERR_INVALID_ARGUMENT, "%s: dst [%p, +%llu bytes) overlaps src [%p, +%llu bytes)", fn, dst,
                    (unsigned long long)dbytes, src, (unsigned long long)sbytes);
  return SK_OK;
}

}  // namespace

SK_EXPORT int sk_gather_check(const int64_t* idx, int64_t count, int64_t limit) {
  const char* fn = "sk_gather_check";
  if (idx == nullptr) return sk::fail(SK_ERR_INVALID_ARGUMENT, "%s: idx is NULL", fn);
  if (limit <= 0) return sk::fail(SK_ERR_INVALID_ARGUMENT, "%s: limit must be >= 1, got %lld", fn, (long long)limit);
  if (count <= 0 || count > limit)
    return sk::fail(SK_ERR_INVALID_ARGUMENT, "%s: count must be in [1, limit = %lld], got %lld", fn, (long long)limit,
                    (long long)count);
  for (int64_t i = 0; i < count; ++i) {
    if (idx[i] < 0 || idx[i] >= limit)
      return sk::fail(SK_ERR_INVALID_ARGUMENT, "%s: idx[%lld] = %lld is outside [0, %lld)", fn, (long long)i,
                      (long long)idx[i], (long long)limit);
    if (i > 0 && idx[i] <= idx[i - 1])
      return sk::fail(SK_ERR_INVALID_ARGUMENT,
                      "%s: idx[%lld] = %lld is not greater than idx[%lld] = %lld (must be strictly ascending)", fn,
                      (long long)i, (long long)idx[i], (long long)(i - 1), (long long)idx[i - 1]);
  }
  return SK_OK;
}

SK_EXPORT int sk_gather_rows(const void* src, int dtype, int64_t rows, int64_t cols, const int64_t* idx,
                             int64_t count, void* dst, void* stream) {
  const char* fn = "sk_gather_rows";
  int rc = check_gather(fn, src, dtype, rows, cols, idx, count, dst, true);
  if (rc != SK_OK) return rc;
#ifdef SK_WITH_CUDA
  cudaError_t e = skcuda::gather_rows(src, elem_size(dtype), rows, cols, idx, count, dst, (cudaStream_t)stream);
  if (e != cudaSuccess) return sk::cuda_fail(e, "sk_gather_rows: kernel launch");
  return SK_OK;
#else
  (void)stream;
  return sk::no_cuda(fn);
#endif
}

SK_EXPORT int sk_gather_cols(const void* src, int dtype, int64_t rows, int64_t cols, const int64_t* idx,
                             int64_t count, void* dst, void* stream) {
  const char* fn = "sk_gather_cols";
  int rc = check_gather(fn, src, dtype, rows, cols, idx, count, dst, false);
  if (rc != SK_OK) return rc;
#ifdef SK_WITH_CUDA
  cudaError_t e = skcuda::gather_cols(src, elem_size(dtype), rows, cols, idx, count, dst,
                                      sk::hopper_experimental(), (cudaStream_t)stream);
  if (e != cudaSuccess) return sk::cuda_fail(e, "sk_gather_cols: kernel launch");
  return SK_OK;
#else
  (void)stream;
  return sk::no_cuda(fn);
#endif
}
