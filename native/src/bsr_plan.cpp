// BSR on the host: structure check and the schedule (workspace) that balances block rows of very different
// lengths for sk_bsr_gemm. The workspace layout and the chunk rule live in cuda/gemm_index.cuh (BSR section),
// shared with the kernels and the CPU emulator; this file is their host implementation.
#include <string.h>

#include <algorithm>
#include <vector>

#include "gemm_index.cuh"
#include "sk_internal.h"

namespace {

using skcuda::BsrHeader;

bool valid_block(int b) { return b == 16 || b == 32 || b == 64; }

// Shared by check / workspace_size / plan: block sizes, out (and in when given), blocks.
int check_dims(const char* fn, int64_t blocks, int block_rows, int block_cols, int64_t out, int64_t in) {
  if (!valid_block(block_rows))
    return sk::fail(SK_ERR_INVALID_ARGUMENT, "%s: block_rows must be 16, 32 or 64, got %d", fn, block_rows);
  if (!valid_block(block_cols))
    return sk::fail(SK_ERR_INVALID_ARGUMENT, "%s: block_cols must be 16, 32 or 64, got %d", fn, block_cols);
  if (out <= 0 || out > sk::kMaxDim)
    return sk::fail(SK_ERR_INVALID_ARGUMENT, "%s: out must be in [1, %lld], got %lld", fn, (long long)sk::kMaxDim,
                    (long long)out);
  if (out % block_rows != 0)
    return sk::fail(SK_ERR_INVALID_ARGUMENT, "%s: out (%lld) must be a multiple of block_rows (%d)", fn,
                    (long long)out, block_rows);
  if (in != -1) {
    if (in <= 0 || in > sk::kMaxDim)
      return sk::fail(SK_ERR_INVALID_ARGUMENT, "%s: in must be in [1, %lld], got %lld", fn, (long long)sk::kMaxDim,
                      (long long)in);
    if (in % block_cols != 0)
      return sk::fail(SK_ERR_INVALID_ARGUMENT, "%s: in (%lld) must be a multiple of block_cols (%d)", fn,
                      (long long)in, block_cols);
  }
  if (blocks < 0 || blocks > INT32_MAX)
    return sk::fail(SK_ERR_INVALID_ARGUMENT, "%s: blocks must be in [0, %d] (int32 row_ptr), got %lld", fn, INT32_MAX,
                    (long long)blocks);
  if (in != -1 && blocks > (out / block_rows) * (in / block_cols))
    return sk::fail(SK_ERR_INVALID_ARGUMENT, "%s: blocks (%lld) exceeds the %lld x %lld block grid", fn,
                    (long long)blocks, (long long)(out / block_rows), (long long)(in / block_cols));
  return SK_OK;
}

// row_ptr: starts at 0, non-decreasing, ends at blocks.
int check_row_ptr(const char* fn, const int32_t* row_ptr, int64_t nbr, int64_t blocks) {
  if (row_ptr == nullptr) return sk::fail(SK_ERR_INVALID_ARGUMENT, "%s: row_ptr is NULL", fn);
  if (row_ptr[0] != 0) return sk::fail(SK_ERR_INVALID_ARGUMENT, "%s: row_ptr[0] must be 0, got %d", fn, row_ptr[0]);
  for (int64_t r = 0; r < nbr; ++r)
    if (row_ptr[r + 1] < row_ptr[r])
      return sk::fail(SK_ERR_INVALID_ARGUMENT, "%s: row_ptr[%lld] = %d is less than row_ptr[%lld] = %d (must not decrease)",
                      fn, (long long)(r + 1), row_ptr[r + 1], (long long)r, row_ptr[r]);
  if (row_ptr[nbr] != blocks)
    return sk::fail(SK_ERR_INVALID_ARGUMENT, "%s: row_ptr[%lld] (the last entry) must equal blocks = %lld, got %d", fn,
                    (long long)nbr, (long long)blocks, row_ptr[nbr]);
  return SK_OK;
}

struct Plan {
  int64_t chunk = 0;
  std::vector<int32_t> items;   // 4 per item
  std::vector<int32_t> splits;  // 4 per split row
  int64_t slots = 0;
  bool needed = false;  // some row is longer than the chunk
};

// The schedule: rows longer than C become ceil(len / C) near-equal chunks (slots numbered row by row, chunk order);
// all items sorted longest first (stable), so the long ones start in the first wave.
Plan make_plan(const int32_t* row_ptr, int64_t nbr, int64_t blocks, int64_t tokens) {
  Plan p;
  p.chunk = skcuda::bsr_chunk_blocks(blocks, tokens);
  struct Item { int32_t row, b0, b1, slot; };
  std::vector<Item> items;
  items.reserve((size_t)nbr);
  for (int64_t r = 0; r < nbr; ++r) {
    const int64_t b0 = row_ptr[r], len = row_ptr[r + 1] - b0;
    if (len <= p.chunk) {
      items.push_back({(int32_t)r, (int32_t)b0, (int32_t)(b0 + len), -1});
      continue;
    }
    p.needed = true;
    const int64_t n = (len + p.chunk - 1) / p.chunk;
    p.splits.insert(p.splits.end(), {(int32_t)r, (int32_t)p.slots, (int32_t)n, 0});
    for (int64_t c = 0; c < n; ++c)
      items.push_back({(int32_t)r, (int32_t)(b0 + c * len / n), (int32_t)(b0 + (c + 1) * len / n), (int32_t)(p.slots + c)});
    p.slots += n;
  }
  std::stable_sort(items.begin(), items.end(), [](const Item& a, const Item& b) { return a.b1 - a.b0 > b.b1 - b.b0; });
  p.items.reserve(items.size() * 4);
  for (const Item& it : items) p.items.insert(p.items.end(), {it.row, it.b0, it.b1, it.slot});
  return p;
}

// Bytes of the workspace of plan p for `tokens` (0 when no row needs cutting); -1 when an offset would not fit
// the int32 header.
int64_t plan_bytes(const Plan& p, int64_t tokens, int block_rows) {
  if (!p.needed) return 0;
  const int64_t part_off = skcuda::H_WORDS + (int64_t)p.items.size() + (int64_t)p.splits.size();
  if (part_off > INT32_MAX || p.slots > INT32_MAX) return -1;
  return part_off * 4 + p.slots * tokens * block_rows * 4;
}

int check_plan_args(const char* fn, const int32_t* row_ptr, int64_t blocks, int block_rows, int block_cols,
                    int64_t tokens, int64_t out) {
  int rc = check_dims(fn, blocks, block_rows, block_cols, out, -1);
  if (rc != SK_OK) return rc;
  if (tokens <= 0 || tokens > skcuda::kBsrMaxTokens)
    return sk::fail(SK_ERR_INVALID_ARGUMENT, "%s: tokens must be in [1, %lld], got %lld", fn,
                    (long long)skcuda::kBsrMaxTokens, (long long)tokens);
  return check_row_ptr(fn, row_ptr, out / block_rows, blocks);
}

}  // namespace

SK_EXPORT int sk_bsr_check(const int32_t* row_ptr, const int32_t* col_idx, int64_t blocks, int block_rows,
                           int block_cols, int64_t out, int64_t in) {
  const char* fn = "sk_bsr_check";
  int rc = check_dims(fn, blocks, block_rows, block_cols, out, in);
  if (rc != SK_OK) return rc;
  const int64_t nbr = out / block_rows, nbc = in / block_cols;
  rc = check_row_ptr(fn, row_ptr, nbr, blocks);
  if (rc != SK_OK) return rc;
  if (blocks > 0 && col_idx == nullptr) return sk::fail(SK_ERR_INVALID_ARGUMENT, "%s: col_idx is NULL", fn);
  for (int64_t r = 0; r < nbr; ++r)
    for (int64_t b = row_ptr[r]; b < row_ptr[r + 1]; ++b) {
      if (col_idx[b] < 0 || col_idx[b] >= nbc)
        return sk::fail(SK_ERR_INVALID_ARGUMENT, "%s: col_idx[%lld] = %d (block row %lld) is outside [0, %lld)", fn,
                        (long long)b, col_idx[b], (long long)r, (long long)nbc);
      if (b > row_ptr[r] && col_idx[b] <= col_idx[b - 1])
        return sk::fail(SK_ERR_INVALID_ARGUMENT,
                        "%s: col_idx[%lld] = %d is not greater than col_idx[%lld] = %d (block row %lld must be strictly "
                        "ascending)",
                        fn, (long long)b, col_idx[b], (long long)(b - 1), col_idx[b - 1], (long long)r);
    }
  return SK_OK;
}

SK_EXPORT int sk_bsr_workspace_size(const int32_t* host_row_ptr, int64_t blocks, int block_rows, int block_cols,
                                    int64_t tokens, int64_t out, int64_t* bytes) {
  const char* fn = "sk_bsr_workspace_size";
  if (bytes == nullptr) return sk::fail(SK_ERR_INVALID_ARGUMENT, "%s: bytes is NULL", fn);
  int rc = check_plan_args(fn, host_row_ptr, blocks, block_rows, block_cols, tokens, out);
  if (rc != SK_OK) return rc;
  const int64_t b = plan_bytes(make_plan(host_row_ptr, out / block_rows, blocks, tokens), tokens, block_rows);
  if (b < 0) return sk::fail(SK_ERR_UNSUPPORTED, "%s: the schedule of %lld blocks is too large", fn, (long long)blocks);
  *bytes = b;
  return SK_OK;
}

SK_EXPORT int sk_bsr_plan(const int32_t* host_row_ptr, int64_t blocks, int block_rows, int block_cols, int64_t tokens,
                          int64_t out, void* host_workspace, int64_t bytes) {
  const char* fn = "sk_bsr_plan";
  int rc = check_plan_args(fn, host_row_ptr, blocks, block_rows, block_cols, tokens, out);
  if (rc != SK_OK) return rc;
  const int64_t nbr = out / block_rows;
  const Plan p = make_plan(host_row_ptr, nbr, blocks, tokens);
  const int64_t need = plan_bytes(p, tokens, block_rows);
  if (need < 0) return sk::fail(SK_ERR_UNSUPPORTED, "%s: the schedule of %lld blocks is too large", fn, (long long)blocks);
  if (bytes != need)
    return sk::fail(SK_ERR_INVALID_ARGUMENT, "%s: bytes must be %lld (sk_bsr_workspace_size for the same arguments), got %lld",
                    fn, (long long)need, (long long)bytes);
  if (need == 0) return SK_OK;  // nothing to plan: pass workspace NULL to sk_bsr_gemm
  if (host_workspace == nullptr) return sk::fail(SK_ERR_INVALID_ARGUMENT, "%s: host_workspace is NULL", fn);
  if (((uintptr_t)host_workspace & 3u) != 0)
    return sk::fail(SK_ERR_INVALID_ARGUMENT, "%s: host_workspace must be 4-byte aligned", fn);
  int32_t* w = static_cast<int32_t*>(host_workspace);
  const int64_t n_items = (int64_t)p.items.size() / 4, n_splits = (int64_t)p.splits.size() / 4;
  int32_t h[skcuda::H_WORDS] = {};
  h[skcuda::H_MAGIC] = skcuda::kBsrMagic;
  h[skcuda::H_BR] = block_rows;
  h[skcuda::H_BC] = block_cols;
  h[skcuda::H_NBR] = (int32_t)nbr;
  h[skcuda::H_BLOCKS] = (int32_t)blocks;
  h[skcuda::H_ITEMS] = (int32_t)n_items;
  h[skcuda::H_SPLITS] = (int32_t)n_splits;
  h[skcuda::H_CHUNK] = (int32_t)p.chunk;
  h[skcuda::H_TOKENS] = (int32_t)tokens;
  h[skcuda::H_ITEMS_OFF] = skcuda::H_WORDS;
  h[skcuda::H_SPLITS_OFF] = skcuda::H_WORDS + (int32_t)(4 * n_items);
  h[skcuda::H_PART_OFF] = h[skcuda::H_SPLITS_OFF] + (int32_t)(4 * n_splits);
  h[skcuda::H_SLOTS] = (int32_t)p.slots;
  memcpy(w, h, sizeof h);
  memcpy(w + h[skcuda::H_ITEMS_OFF], p.items.data(), p.items.size() * 4);
  memcpy(w + h[skcuda::H_SPLITS_OFF], p.splits.data(), p.splits.size() * 4);
  // Partial sums are written by the kernel before they are read; zero them anyway (deterministic bytes).
  memset(w + h[skcuda::H_PART_OFF], 0, (size_t)(need - (int64_t)h[skcuda::H_PART_OFF] * 4));
  return SK_OK;
}
