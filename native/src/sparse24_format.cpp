// 2:4 format on the host: sizes of the GPU layout, packing the CPU format into it, and checking a dense matrix.
// The layouts are specified in sparsekernels.h; this file is their one implementation.
#include <string.h>

#include "sk_internal.h"

namespace {

int64_t round_up32(int64_t v) { return (v + 31) / 32 * 32; }

int check_shape(const char* fn, int64_t rows, int64_t cols) {
  if (rows <= 0 || rows > sk::kMaxDim)
    return sk::fail(SK_ERR_INVALID_ARGUMENT, "%s: rows must be in [1, %lld], got %lld", fn, (long long)sk::kMaxDim,
                    (long long)rows);
  if (cols <= 0 || cols > sk::kMaxDim)
    return sk::fail(SK_ERR_INVALID_ARGUMENT, "%s: cols must be in [1, %lld], got %lld", fn, (long long)sk::kMaxDim,
                    (long long)cols);
  if (cols % 4 != 0)
    return sk::fail(SK_ERR_INVALID_ARGUMENT, "%s: cols must be a multiple of 4, got %lld", fn, (long long)cols);
  return SK_OK;
}

// The six ordered (first < second) position pairs that mma.sp::ordered_metadata accepts.
bool valid_nibble(unsigned n) { return n == 0x4 || n == 0x8 || n == 0xC || n == 0x9 || n == 0xD || n == 0xE; }

// Padding groups (rows >= rows or groups >= cols/4) keep positions 0,1 with zero values.
constexpr unsigned kPadNibble = 0x4;

struct Nibbles {
  const uint8_t* indices;
  int64_t rows, groups, bytes_per_row;

  unsigned at(int64_t r, int64_t grp) const {
    if (r >= rows || grp >= groups) return kPadNibble;
    return (indices[r * bytes_per_row + grp / 2] >> (4 * (grp & 1))) & 0xFu;
  }
  // half(r, q): the nibbles of groups 4q..4q+3 of row r, group 4q+c at bits 4c.
  uint32_t half(int64_t r, int64_t q) const {
    uint32_t h = 0;
    for (int c = 0; c < 4; ++c) h |= at(r, 4 * q + c) << (4 * c);
    return h;
  }
};

}  // namespace

SK_EXPORT int sk_sparse24_gpu_sizes(int64_t rows, int64_t cols, int64_t* value_count, int64_t* meta_words) {
  int rc = check_shape("sk_sparse24_gpu_sizes", rows, cols);
  if (rc != SK_OK) return rc;
  if (value_count == nullptr) return sk::fail(SK_ERR_INVALID_ARGUMENT, "sk_sparse24_gpu_sizes: value_count is NULL");
  if (meta_words == nullptr) return sk::fail(SK_ERR_INVALID_ARGUMENT, "sk_sparse24_gpu_sizes: meta_words is NULL");
  int64_t mp = round_up32(rows), kp = round_up32(cols);
  *value_count = mp * (kp / 2);
  *meta_words = (mp / 32) * (kp / 32) * 32;
  return SK_OK;
}

SK_EXPORT int sk_sparse24_pack(const uint16_t* values, const uint8_t* indices, int64_t rows, int64_t cols,
                               uint16_t* gpu_values, uint32_t* gpu_meta) {
  const char* fn = "sk_sparse24_pack";
  if (values == nullptr) return sk::fail(SK_ERR_INVALID_ARGUMENT, "%s: values is NULL", fn);
  if (indices == nullptr) return sk::fail(SK_ERR_INVALID_ARGUMENT, "%s: indices is NULL", fn);
  if (gpu_values == nullptr) return sk::fail(SK_ERR_INVALID_ARGUMENT, "%s: gpu_values is NULL", fn);
  if (gpu_meta == nullptr) return sk::fail(SK_ERR_INVALID_ARGUMENT, "%s: gpu_meta is NULL", fn);
  int rc = check_shape(fn, rows, cols);
  if (rc != SK_OK) return rc;

  const int64_t groups = cols / 4, bytes_per_row = (cols + 7) / 8;
  const int64_t mp = round_up32(rows), kp = round_up32(cols), ks = kp / 32;
  Nibbles nib{indices, rows, groups, bytes_per_row};

  // Validate every nibble before writing anything, so a rejected input leaves the outputs untouched.
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t grp = 0; grp < groups; ++grp) {
      unsigned n = nib.at(r, grp);
      if (!valid_nibble(n))
        return sk::fail(SK_ERR_INVALID_ARGUMENT,
                        "%s: indices nibble 0x%X at row %lld, group %lld is not an ordered pair (expected one of "
                        "0x4,0x8,0xC,0x9,0xD,0xE)",
                        fn, n, (long long)r, (long long)grp);
    }

  // Values: the CPU rows [cols/2] become rows [Kp/2] of the GPU layout, zero beyond cols/2 and beyond rows.
  const int64_t src_w = cols / 2, dst_w = kp / 2;
  for (int64_t r = 0; r < mp; ++r) {
    uint16_t* dst = gpu_values + r * dst_w;
    int64_t n = 0;
    if (r < rows) {
      memcpy(dst, values + r * src_w, (size_t)src_w * sizeof(uint16_t));
      n = src_w;
    }
    memset(dst + n, 0, (size_t)(dst_w - n) * sizeof(uint16_t));
  }

  // Metadata, Variant P: word (P*KS + s)*32 + l for l = 4g + t holds rows 32P + 16(t>>1) + g (low half) and
  // + 8 (high half), k16 half 2s + (t&1). Selector 0 of the mma reads lanes with t in {0,1} (rows 32P..+15),
  // selector 1 lanes with t in {2,3} (rows 32P+16..+31): one coalesced 128-byte load serves a warp's tile pair.
  for (int64_t p = 0; p < mp / 32; ++p)
    for (int64_t s = 0; s < ks; ++s) {
      uint32_t* out = gpu_meta + (p * ks + s) * 32;
      for (int l = 0; l < 32; ++l) {
        int g = l >> 2, t = l & 3;
        int64_t r = 32 * p + 16 * (t >> 1) + g, q = 2 * s + (t & 1);
        out[l] = nib.half(r, q) | (nib.half(r + 8, q) << 16);
      }
    }
  return SK_OK;
}

SK_EXPORT int sk_sparse24_check_f32(const float* w, int64_t rows, int64_t cols, int64_t* bad_row,
                                    int64_t* bad_group) {
  const char* fn = "sk_sparse24_check_f32";
  if (w == nullptr) return sk::fail(SK_ERR_INVALID_ARGUMENT, "%s: w is NULL", fn);
  if (bad_row == nullptr) return sk::fail(SK_ERR_INVALID_ARGUMENT, "%s: bad_row is NULL", fn);
  if (bad_group == nullptr) return sk::fail(SK_ERR_INVALID_ARGUMENT, "%s: bad_group is NULL", fn);
  int rc = check_shape(fn, rows, cols);
  if (rc != SK_OK) return rc;
  for (int64_t r = 0; r < rows; ++r) {
    const float* row = w + r * cols;
    for (int64_t grp = 0; grp < cols / 4; ++grp) {
      int nz = 0;
      // By value: -0.0f == 0.0f, so a negative zero is a zero; NaN != 0 counts as a non-zero.
      for (int c = 0; c < 4; ++c) nz += row[4 * grp + c] != 0.0f;
      if (nz > 2) {
        *bad_row = r;
        *bad_group = grp;
        return sk::fail(SK_ERR_NOT_2_4, "%s: row %lld, group %lld (cols %lld..%lld) has %d non-zeros, at most 2 allowed",
                        fn, (long long)r, (long long)grp, (long long)(4 * grp), (long long)(4 * grp + 3), nz);
      }
    }
  }
  *bad_row = -1;
  *bad_group = -1;
  return SK_OK;
}
