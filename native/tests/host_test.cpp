// Host-side test of libsparsekernels through its C ABI only (no GPU needed; also valid on a GPU host).
// Build: part of the CMake build (target sk_host_test); run: <build-dir>/sk_host_test or ctest in <build-dir>.
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <random>
#include <vector>

#include "sparsekernels.h"

static int g_failures = 0;
static int g_checks = 0;

#define CHECK(cond, ...)                                              \
  do {                                                                \
    ++g_checks;                                                       \
    if (!(cond)) {                                                    \
      ++g_failures;                                                   \
      fprintf(stderr, "FAIL %s:%d: %s -- ", __FILE__, __LINE__, #cond); \
      fprintf(stderr, __VA_ARGS__);                                   \
      fprintf(stderr, " (last error: '%s')\n", sk_last_error());      \
    }                                                                 \
  } while (0)

static bool has_error_text() { return sk_last_error() != nullptr && sk_last_error()[0] != '\0'; }

// ---- a CPU 2:4 matrix in the documented CPU format, built from a dense matrix of 16-bit codes ----
struct Cpu24 {
  int64_t rows, cols;
  std::vector<uint16_t> dense;   // [rows, cols], 0 = zero
  std::vector<uint16_t> values;  // [rows, cols/2]
  std::vector<uint8_t> indices;  // [rows, ceil(cols/8)]
};

static unsigned nibble_of(int a, int b) { return (unsigned)(a | (b << 2)); }

// Packs dense 2:4 codes the way the Java packer is specified to: kept positions ascending; with fewer than two
// non-zeros the free slots take the lowest unused positions and hold 0.
static Cpu24 to_cpu(int64_t rows, int64_t cols, const std::vector<uint16_t>& dense) {
  Cpu24 m{rows, cols, dense, std::vector<uint16_t>(rows * cols / 2), std::vector<uint8_t>(rows * ((cols + 7) / 8))};
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t grp = 0; grp < cols / 4; ++grp) {
      int pos[2], n = 0;
      for (int c = 0; c < 4; ++c)
        if (dense[r * cols + 4 * grp + c] != 0) pos[n++] = c;
      for (int c = 0; c < 4 && n < 2; ++c)
        if ((n == 0 || pos[0] != c)) pos[n++] = c;
      if (pos[0] > pos[1]) { int t = pos[0]; pos[0] = pos[1]; pos[1] = t; }
      for (int j = 0; j < 2; ++j) m.values[r * (cols / 2) + 2 * grp + j] = dense[r * cols + 4 * grp + pos[j]];
      m.indices[r * ((cols + 7) / 8) + grp / 2] |= (uint8_t)(nibble_of(pos[0], pos[1]) << (4 * (grp & 1)));
    }
  return m;
}

// Rebuilds the dense matrix from the GPU layout by replaying what mma.sp m16n8k32 (ordered metadata) does with
// it: for m16 tile 2P+sel, lane 4g+t holds compressed cols 2t,2t+1 (chunk t) and 8+2t,9+2t (chunk 4+t) of rows
// g and g+8; the metadata of chunk c of row g (g+8) is nibble c&3 of the low (high) half of lane 4g+2*sel+(c>>2).
static std::vector<uint16_t> replay_mma(int64_t rows, int64_t cols, const std::vector<uint16_t>& gv,
                                        const std::vector<uint32_t>& gm) {
  int64_t mp = (rows + 31) / 32 * 32, kp = (cols + 31) / 32 * 32, ks = kp / 32;
  std::vector<uint16_t> dense(mp * kp, 0);
  for (int64_t p = 0; p < mp / 32; ++p)
    for (int64_t s = 0; s < ks; ++s)
      for (int sel = 0; sel < 2; ++sel)
        for (int lane = 0; lane < 32; ++lane) {
          int g = lane >> 2, t = lane & 3;
          for (int half = 0; half < 2; ++half)      // row g, then row g+8
            for (int hi = 0; hi < 2; ++hi) {        // chunk t, then chunk 4+t
              int c = t + 4 * hi;
              int64_t row = 32 * p + 16 * sel + g + 8 * half;
              uint32_t e = gm[(p * ks + s) * 32 + 4 * g + 2 * sel + hi];
              unsigned nib = (e >> (16 * half + 4 * (c & 3))) & 0xF;
              for (int j = 0; j < 2; ++j) {
                int pos = (nib >> (2 * j)) & 3;
                uint16_t v = gv[row * (kp / 2) + 16 * s + 2 * c + j];
                uint16_t& d = dense[row * kp + 32 * s + 4 * c + pos];
                if (v != 0) d = v;
              }
            }
        }
  return dense;
}

static void test_library() {
  const char* v = sk_version();
  CHECK(v != nullptr && strcmp(v, "0.1.0") == 0, "version '%s'", v ? v : "(null)");
  int compiled = sk_cuda_compiled();
  CHECK(compiled == 0 || compiled == 1, "sk_cuda_compiled %d", compiled);

  int count = -1;
  CHECK(sk_device_count(&count) == SK_OK, "sk_device_count status");
  CHECK(count >= 0, "count %d", count);
  if (count == 0) CHECK(has_error_text(), "zero devices must come with a cause in sk_last_error");
  if (!compiled) CHECK(count == 0, "a host-only build reports %d devices", count);
  printf("library %s, cuda compiled %d, devices %d (%s)\n", v, compiled, count, count == 0 ? sk_last_error() : "");

  CHECK(sk_device_count(nullptr) == SK_ERR_INVALID_ARGUMENT, "null count");
  CHECK(strstr(sk_last_error(), "count") != nullptr, "message names the argument");
  char name[64];
  CHECK(sk_device_name(-1, name, sizeof name) == SK_ERR_INVALID_ARGUMENT, "negative ordinal");
  CHECK(sk_device_name(0, nullptr, 16) == SK_ERR_INVALID_ARGUMENT, "null buf");
  CHECK(sk_device_name(0, name, 0) == SK_ERR_INVALID_ARGUMENT, "zero capacity");
  CHECK(sk_device_capability(0, nullptr) == SK_ERR_INVALID_ARGUMENT, "null capability");
  CHECK(sk_set_device(-3) == SK_ERR_INVALID_ARGUMENT, "negative set_device");
  CHECK(sk_malloc(nullptr, 16) == SK_ERR_INVALID_ARGUMENT, "null device_ptr");
  void* p = nullptr;
  CHECK(sk_malloc(&p, 0) == SK_ERR_INVALID_ARGUMENT, "zero bytes");
  CHECK(sk_malloc(&p, (size_t)-1) == SK_ERR_INVALID_ARGUMENT, "negative bytes");
  CHECK(sk_free(nullptr) == SK_OK, "free NULL is a no-op");
  CHECK(sk_memcpy_h2d(nullptr, name, 4, nullptr) == SK_ERR_INVALID_ARGUMENT, "null dst");
  CHECK(sk_memcpy_d2h(name, nullptr, 4, nullptr) == SK_ERR_INVALID_ARGUMENT, "null src");
  CHECK(sk_memcpy_d2d(name, name, (size_t)-8, nullptr) == SK_ERR_INVALID_ARGUMENT, "negative bytes");
  CHECK(sk_stream_create(nullptr) == SK_ERR_INVALID_ARGUMENT, "null stream out");
  CHECK(sk_stream_destroy(nullptr) == SK_ERR_INVALID_ARGUMENT, "destroy NULL stream");

  if (count == 0) {
    // Without a usable device every GPU call fails cleanly with a message (UNSUPPORTED host-only, NO_DEVICE or
    // CUDA with CUDA compiled in).
    int rc = sk_malloc(&p, 64);
    CHECK(rc != SK_OK, "malloc without device returned OK");
    CHECK(has_error_text(), "malloc failure message");
    if (!compiled) CHECK(rc == SK_ERR_UNSUPPORTED, "host-only malloc rc %d", rc);
    rc = sk_device_name(0, name, sizeof name);
    CHECK(rc != SK_OK && has_error_text(), "device_name without device rc %d", rc);
    rc = sk_stream_synchronize(nullptr);
    CHECK(!compiled ? rc == SK_ERR_UNSUPPORTED : true, "host-only synchronize rc %d", rc);
  }
}

static void test_gemm_validation(int count) {
  // Fake but aligned pointers: only reached by the "valid arguments" calls when there is no device.
  alignas(16) static uint8_t buf[256];
  const void* x = buf;
  const void* w = buf;
  const uint32_t* meta = (const uint32_t*)buf;
  void* y = buf + 128;
  const int F32 = SK_DTYPE_F32, F16 = SK_DTYPE_F16, BF16 = SK_DTYPE_BF16;
  struct Case { const void* x; int xd; const void* w; const uint32_t* m; void* y; int yd; int64_t t, i, o; const char* what; };
  Case bad[] = {
      {nullptr, F16, w, meta, y, F32, 4, 32, 32, "null x"},
      {x, F16, nullptr, meta, y, F32, 4, 32, 32, "null w"},
      {x, F16, w, nullptr, y, F32, 4, 32, 32, "null meta"},
      {x, F16, w, meta, nullptr, F32, 4, 32, 32, "null y"},
      {x, F16, w, meta, y, F32, 0, 32, 32, "tokens 0"},
      {x, F16, w, meta, y, F32, -5, 32, 32, "tokens < 0"},
      {x, F16, w, meta, y, F32, 4, 0, 32, "in 0"},
      {x, F16, w, meta, y, F32, 4, -8, 32, "in < 0"},
      {x, F16, w, meta, y, F32, 4, 12, 32, "in % 8 != 0"},
      {x, F16, w, meta, y, F32, 4, 32, 0, "out 0"},
      {x, F16, w, meta, y, F32, 4, 32, -1, "out < 0"},
      {x, F32, w, meta, y, F32, 4, 32, 32, "x F32"},
      {x, 7, w, meta, y, F32, 4, 32, 32, "x dtype 7"},
      {x, F16, w, meta, y, BF16, 4, 32, 32, "F16 -> BF16"},
      {x, BF16, w, meta, y, F16, 4, 32, 32, "BF16 -> F16"},
      {x, F16, w, meta, y, -1, 4, 32, 32, "y dtype -1"},
      {buf + 2, F16, w, meta, y, F32, 4, 32, 32, "misaligned x"},
  };
  for (const Case& c : bad) {
    int rc = sk_sparse24_gemm(c.x, c.xd, c.w, c.m, nullptr, c.y, c.yd, c.t, c.i, c.o, nullptr);
    CHECK(rc == SK_ERR_INVALID_ARGUMENT, "sparse24_gemm %s: rc %d", c.what, rc);
    CHECK(has_error_text(), "sparse24_gemm %s: message", c.what);
    rc = sk_experimental_sparse24_gemm_sm90(c.x, c.xd, c.w, c.m, nullptr, c.y, c.yd, c.t, c.i, c.o, nullptr);
    CHECK(rc == SK_ERR_INVALID_ARGUMENT, "sparse24_gemm_sm90 %s: rc %d", c.what, rc);
    if (c.m != nullptr) {
      rc = sk_dense_gemm(c.x, c.xd, c.w, nullptr, c.y, c.yd, c.t, c.i, c.o, nullptr);
      CHECK(rc == SK_ERR_INVALID_ARGUMENT, "dense_gemm %s: rc %d", c.what, rc);
      rc = sk_blas_gemm(c.x, c.xd, c.w, nullptr, c.y, c.yd, c.t, c.i, c.o, nullptr);
      CHECK(rc == SK_ERR_INVALID_ARGUMENT, "blas_gemm %s: rc %d", c.what, rc);
      rc = sk_experimental_dense_gemm_sm90(c.x, c.xd, c.w, nullptr, c.y, c.yd, c.t, c.i, c.o, nullptr);
      CHECK(rc == SK_ERR_INVALID_ARGUMENT, "dense_gemm_sm90 %s: rc %d", c.what, rc);
    }
  }
  if (count == 0) {
    int rc = sk_sparse24_gemm(x, F16, w, meta, nullptr, y, F32, 3, 32, 32, nullptr);
    CHECK(rc != SK_OK && rc != SK_ERR_INVALID_ARGUMENT && has_error_text(), "valid sparse launch w/o GPU rc %d", rc);
    if (!sk_cuda_compiled()) CHECK(rc == SK_ERR_UNSUPPORTED, "host-only sparse launch rc %d", rc);
    rc = sk_dense_gemm(x, BF16, w, nullptr, y, BF16, 3, 32, 32, nullptr);
    CHECK(rc != SK_OK && rc != SK_ERR_INVALID_ARGUMENT && has_error_text(), "valid dense launch w/o GPU rc %d", rc);
    rc = sk_blas_gemm(x, BF16, w, nullptr, y, BF16, 3, 32, 32, nullptr);
    CHECK(rc != SK_OK && rc != SK_ERR_INVALID_ARGUMENT && has_error_text(), "valid cuBLAS launch w/o GPU rc %d", rc);
    rc = sk_experimental_dense_gemm_sm90(x, BF16, w, nullptr, y, BF16, 3, 32, 32, nullptr);
    CHECK(rc != SK_OK && rc != SK_ERR_INVALID_ARGUMENT && has_error_text(), "valid sm90 launch w/o GPU rc %d", rc);
    rc = sk_experimental_sparse24_gemm_sm90(x, F16, w, meta, nullptr, y, F32, 3, 32, 32, nullptr);
    CHECK(rc != SK_OK && rc != SK_ERR_INVALID_ARGUMENT && has_error_text(), "valid sm90 2:4 launch w/o GPU rc %d", rc);
    if (!sk_cuda_compiled()) CHECK(rc == SK_ERR_UNSUPPORTED, "host-only sm90 2:4 launch rc %d", rc);
    for (int v = SK_SPARSE24_SM90_DISPATCH; v <= SK_SPARSE24_SM90_SMEM_A_TMA_WIDE_STAGED; ++v) {
      rc = sk_experimental_sparse24_gemm_sm90_variant(x, F16, w, meta, nullptr, y, F32, 3, 32, 32, v, nullptr);
      CHECK(rc != SK_OK && rc != SK_ERR_INVALID_ARGUMENT && has_error_text(), "sm90 2:4 variant %d w/o GPU rc %d", v,
            rc);
    }
    for (int v : {-1, SK_SPARSE24_SM90_SMEM_A_TMA_WIDE_STAGED + 1}) {
      rc = sk_experimental_sparse24_gemm_sm90_variant(x, F16, w, meta, nullptr, y, F32, 3, 32, 32, v, nullptr);
      CHECK(rc == SK_ERR_INVALID_ARGUMENT && strstr(sk_last_error(), "variant") != nullptr,
            "sm90 2:4 variant %d: rc %d (%s)", v, rc, sk_last_error());
    }
  }
}

// cuBLAS is found at run time or not at all: either way sk_blas_status answers, with a reason when it is missing.
static void test_blas_status() {
  int rc = sk_blas_status();
  if (!sk_cuda_compiled()) {
    CHECK(rc == SK_ERR_UNSUPPORTED && strstr(sk_last_error(), "without CUDA") != nullptr, "host-only blas rc %d", rc);
    return;
  }
  CHECK(rc == SK_OK || (rc == SK_ERR_UNSUPPORTED && strstr(sk_last_error(), "cuBLAS") != nullptr),
        "blas status rc %d: %s", rc, sk_last_error());
  if (rc == SK_OK) CHECK(strstr(sk_last_error(), "libcublas") != nullptr, "names the library: %s", sk_last_error());
}

static void test_sizes() {
  int64_t vc = -1, mw = -1;
  CHECK(sk_sparse24_gpu_sizes(5, 40, &vc, &mw) == SK_OK, "sizes 5x40");
  CHECK(vc == 32 * 32 && mw == 1 * 2 * 32, "5x40 -> %lld values, %lld words", (long long)vc, (long long)mw);
  CHECK(sk_sparse24_gpu_sizes(64, 32, &vc, &mw) == SK_OK && vc == 64 * 16 && mw == 2 * 1 * 32, "64x32");
  CHECK(sk_sparse24_gpu_sizes(-1, 32, &vc, &mw) == SK_ERR_INVALID_ARGUMENT, "negative rows");
  CHECK(sk_sparse24_gpu_sizes(0, 32, &vc, &mw) == SK_ERR_INVALID_ARGUMENT, "zero rows");
  CHECK(sk_sparse24_gpu_sizes(32, -32, &vc, &mw) == SK_ERR_INVALID_ARGUMENT, "negative cols");
  CHECK(sk_sparse24_gpu_sizes(32, 30, &vc, &mw) == SK_ERR_INVALID_ARGUMENT, "cols % 4");
  CHECK(strstr(sk_last_error(), "cols") != nullptr, "message names cols");
  CHECK(sk_sparse24_gpu_sizes(32, 32, nullptr, &mw) == SK_ERR_INVALID_ARGUMENT, "null value_count");
  CHECK(sk_sparse24_gpu_sizes(32, 32, &vc, nullptr) == SK_ERR_INVALID_ARGUMENT, "null meta_words");
}

// The worked example of notes 1.6: rows 2 and 10 of tile 0 give lane 8 = 0x84C9E4D8 and lane 9 = 0x8D4ED49C.
// Rows 18 and 26 (tile 1, selector 1) get the same patterns, so lanes 10 and 11 must carry the same words.
static void test_worked_example() {
  const int64_t rows = 32, cols = 32;
  // nibbles per group 0..7; byte j = group 2j (low) | group 2j+1 (high)
  const uint8_t row2[4] = {0xD8, 0xE4, 0x9C, 0xD4};   // 8,D,4,E,C,9,4,D
  const uint8_t row10[4] = {0xC9, 0x84, 0x4E, 0x8D};  // 9,C,4,8,E,4,D,8
  std::vector<uint8_t> idx(rows * 4, 0xEE);           // every other group keeps positions (2,3)
  memcpy(&idx[2 * 4], row2, 4);
  memcpy(&idx[10 * 4], row10, 4);
  memcpy(&idx[18 * 4], row2, 4);
  memcpy(&idx[26 * 4], row10, 4);
  std::vector<uint16_t> vals(rows * cols / 2);
  for (size_t i = 0; i < vals.size(); ++i) vals[i] = (uint16_t)(i + 1);
  int64_t vc, mw;
  CHECK(sk_sparse24_gpu_sizes(rows, cols, &vc, &mw) == SK_OK, "sizes");
  std::vector<uint16_t> gv(vc, 0xFFFF);
  std::vector<uint32_t> gm(mw, 0xFFFFFFFFu);
  CHECK(sk_sparse24_pack(vals.data(), idx.data(), rows, cols, gv.data(), gm.data()) == SK_OK, "pack");
  CHECK(gm[8] == 0x84C9E4D8u, "lane 8 word 0x%08X", gm[8]);
  CHECK(gm[9] == 0x8D4ED49Cu, "lane 9 word 0x%08X", gm[9]);
  CHECK(gm[10] == 0x84C9E4D8u, "lane 10 word 0x%08X", gm[10]);
  CHECK(gm[11] == 0x8D4ED49Cu, "lane 11 word 0x%08X", gm[11]);
  CHECK(gm[0] == 0xEEEEEEEEu, "lane 0 word 0x%08X", gm[0]);
  CHECK(memcmp(gv.data(), vals.data(), vals.size() * 2) == 0, "values copied unchanged when no padding");
}

static void test_padding_and_replay() {
  // rows not a multiple of 32, cols not a multiple of 32 (nor of 8: the last index byte has an unused nibble).
  const int64_t rows = 5, cols = 36;
  std::vector<uint16_t> dense(rows * cols, 0);
  std::mt19937 rng(7);
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t grp = 0; grp < cols / 4; ++grp) {
      int nz = (int)(rng() % 3);  // 0, 1 or 2 non-zeros
      int a = (int)(rng() % 4), b = (a + 1 + (int)(rng() % 3)) % 4;
      if (nz >= 1) dense[r * cols + 4 * grp + a] = (uint16_t)(1 + rng() % 60000);
      if (nz >= 2) dense[r * cols + 4 * grp + b] = (uint16_t)(1 + rng() % 60000);
    }
  Cpu24 m = to_cpu(rows, cols, dense);
  for (int64_t r = 0; r < rows; ++r) m.indices[r * 5 + 4] |= 0x30;  // unused high nibble of group 9: ignored
  int64_t vc, mw;
  CHECK(sk_sparse24_gpu_sizes(rows, cols, &vc, &mw) == SK_OK, "sizes");
  CHECK(vc == 32 * 32 && mw == 2 * 32, "sizes %lld %lld", (long long)vc, (long long)mw);
  std::vector<uint16_t> gv(vc, 0xFFFF);
  std::vector<uint32_t> gm(mw, 0xFFFFFFFFu);
  CHECK(sk_sparse24_pack(m.values.data(), m.indices.data(), rows, cols, gv.data(), gm.data()) == SK_OK, "pack");
  // Values: row r < 5 holds its 18 values then zeros up to Kp/2 = 32; rows 5..31 are zero.
  bool ok = true;
  for (int64_t r = 0; r < 32; ++r)
    for (int64_t c = 0; c < 32; ++c) {
      uint16_t want = (r < rows && c < cols / 2) ? m.values[r * (cols / 2) + c] : 0;
      ok &= gv[r * 32 + c] == want;
    }
  CHECK(ok, "padded values");
  // Padding metadata: rows >= 5 are all 0x4; s = 1 covers groups 8..15, of which only 8 is real.
  CHECK(gm[31] == 0x44444444u, "lane 31 (rows 23 and 31, padding) word 0x%08X", gm[31]);
  uint32_t lane0_s1 = gm[32 + 0];  // row 0 (low) and row 8 (high), groups 8..11
  CHECK((lane0_s1 >> 4) == 0x4444444u, "lane 0, s 1: groups 9..11 and row 8 padded, got 0x%08X", lane0_s1);
  CHECK((lane0_s1 & 0xF) == (m.indices[0 * 5 + 4] & 0xF), "group 8 of row 0 kept, got 0x%08X", lane0_s1);
  uint32_t lane1_s1 = gm[32 + 1];  // groups 12..15 -> all padding
  CHECK(lane1_s1 == 0x44444444u, "lane 1, s 1 0x%08X", lane1_s1);
  // Replaying the mma gather must rebuild the dense matrix, zero-padded to [32, 64].
  std::vector<uint16_t> back = replay_mma(rows, cols, gv, gm);
  ok = true;
  for (int64_t r = 0; r < 32; ++r)
    for (int64_t c = 0; c < 64; ++c) ok &= back[r * 64 + c] == ((r < rows && c < cols) ? dense[r * cols + c] : 0);
  CHECK(ok, "mma replay of the padded matrix");
}

static void test_random_replay() {
  std::mt19937 rng(1234);
  const int64_t shapes[][2] = {{32, 32}, {64, 96}, {37, 72}, {96, 8}, {1, 4}, {100, 260}};
  for (auto& sh : shapes) {
    int64_t rows = sh[0], cols = sh[1];
    std::vector<uint16_t> dense(rows * cols, 0);
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t grp = 0; grp < cols / 4; ++grp) {
        int nz = (int)(rng() % 4) == 0 ? (int)(rng() % 2) : 2;
        int a = (int)(rng() % 4), b = (a + 1 + (int)(rng() % 3)) % 4;
        if (nz >= 1) dense[r * cols + 4 * grp + a] = (uint16_t)(1 + rng() % 60000);
        if (nz >= 2) dense[r * cols + 4 * grp + b] = (uint16_t)(1 + rng() % 60000);
      }
    Cpu24 m = to_cpu(rows, cols, dense);
    int64_t vc, mw;
    CHECK(sk_sparse24_gpu_sizes(rows, cols, &vc, &mw) == SK_OK, "sizes");
    std::vector<uint16_t> gv(vc);
    std::vector<uint32_t> gm(mw);
    CHECK(sk_sparse24_pack(m.values.data(), m.indices.data(), rows, cols, gv.data(), gm.data()) == SK_OK, "pack");
    std::vector<uint16_t> back = replay_mma(rows, cols, gv, gm);
    int64_t mp = (rows + 31) / 32 * 32, kp = (cols + 31) / 32 * 32;
    bool ok = true;
    for (int64_t r = 0; r < mp; ++r)
      for (int64_t c = 0; c < kp; ++c) ok &= back[r * kp + c] == ((r < rows && c < cols) ? dense[r * cols + c] : 0);
    CHECK(ok, "mma replay %lldx%lld", (long long)rows, (long long)cols);
  }
}

static void test_pack_rejects() {
  const int64_t rows = 2, cols = 16;
  std::vector<uint16_t> vals(rows * cols / 2, 1);
  std::vector<uint8_t> idx(rows * 2, 0x44);
  std::vector<uint16_t> gv(32 * 16, 0xABCD);
  std::vector<uint32_t> gm(32, 0x12345678u);
  const unsigned bad_nibbles[] = {0x0, 0x1, 0x5, 0x6, 0x2, 0xF, 0xA, 0x7, 0xB, 0x3};
  for (unsigned nib : bad_nibbles) {
    std::vector<uint8_t> bad = idx;
    bad[1 * 2 + 1] = (uint8_t)(0x40 | nib);  // row 1, group 2 (low nibble of byte 1)
    int rc = sk_sparse24_pack(vals.data(), bad.data(), rows, cols, gv.data(), gm.data());
    CHECK(rc == SK_ERR_INVALID_ARGUMENT, "nibble 0x%X accepted (rc %d)", nib, rc);
    CHECK(strstr(sk_last_error(), "row 1, group 2") != nullptr, "message names row and group");
  }
  CHECK(gv[0] == 0xABCD && gm[0] == 0x12345678u, "a rejected pack left the outputs untouched");
  CHECK(sk_sparse24_pack(nullptr, idx.data(), rows, cols, gv.data(), gm.data()) == SK_ERR_INVALID_ARGUMENT, "null values");
  CHECK(sk_sparse24_pack(vals.data(), nullptr, rows, cols, gv.data(), gm.data()) == SK_ERR_INVALID_ARGUMENT, "null indices");
  CHECK(sk_sparse24_pack(vals.data(), idx.data(), rows, cols, nullptr, gm.data()) == SK_ERR_INVALID_ARGUMENT, "null gpu_values");
  CHECK(sk_sparse24_pack(vals.data(), idx.data(), rows, cols, gv.data(), nullptr) == SK_ERR_INVALID_ARGUMENT, "null gpu_meta");
  CHECK(sk_sparse24_pack(vals.data(), idx.data(), -2, cols, gv.data(), gm.data()) == SK_ERR_INVALID_ARGUMENT, "negative rows");
  CHECK(sk_sparse24_pack(vals.data(), idx.data(), rows, 18, gv.data(), gm.data()) == SK_ERR_INVALID_ARGUMENT, "cols % 4");
  CHECK(sk_sparse24_pack(vals.data(), idx.data(), rows, cols, gv.data(), gm.data()) == SK_OK, "valid pack");
}

static void test_check_f32() {
  const int64_t rows = 3, cols = 8;
  std::vector<float> w(rows * cols, 0.0f);
  int64_t br = 99, bg = 99;
  CHECK(sk_sparse24_check_f32(w.data(), rows, cols, &br, &bg) == SK_OK, "all zero");
  // -0.0 is zero: two real values plus two negative zeros is still 2:4.
  w[0] = 1.0f; w[1] = -0.0f; w[2] = -0.0f; w[3] = 2.0f;
  CHECK(sk_sparse24_check_f32(w.data(), rows, cols, &br, &bg) == SK_OK, "-0.0 counts as zero");
  // Row 2 group 0 and row 1 group 1 are bad: the first in row-major order is row 1, group 1.
  w[2 * cols + 0] = 1; w[2 * cols + 1] = 1; w[2 * cols + 2] = 1;
  w[1 * cols + 4] = 1; w[1 * cols + 6] = -3; w[1 * cols + 7] = 0.5f;
  int rc = sk_sparse24_check_f32(w.data(), rows, cols, &br, &bg);
  CHECK(rc == SK_ERR_NOT_2_4, "rc %d", rc);
  CHECK(br == 1 && bg == 1, "first bad (%lld, %lld), want (1, 1)", (long long)br, (long long)bg);
  CHECK(strstr(sk_last_error(), "row 1") != nullptr, "message names the row");
  w[1 * cols + 7] = 0.0f;
  rc = sk_sparse24_check_f32(w.data(), rows, cols, &br, &bg);
  CHECK(rc == SK_ERR_NOT_2_4 && br == 2 && bg == 0, "then (2, 0): rc %d (%lld, %lld)", rc, (long long)br, (long long)bg);
  w[2 * cols + 0] = 0.0f;
  w[0 * cols + 5] = NAN; w[0 * cols + 6] = 1; w[0 * cols + 7] = 1;
  rc = sk_sparse24_check_f32(w.data(), rows, cols, &br, &bg);
  CHECK(rc == SK_ERR_NOT_2_4 && br == 0 && bg == 1, "NaN is a non-zero: rc %d (%lld, %lld)", rc, (long long)br, (long long)bg);
  CHECK(sk_sparse24_check_f32(nullptr, rows, cols, &br, &bg) == SK_ERR_INVALID_ARGUMENT, "null w");
  CHECK(sk_sparse24_check_f32(w.data(), rows, cols, nullptr, &bg) == SK_ERR_INVALID_ARGUMENT, "null bad_row");
  CHECK(sk_sparse24_check_f32(w.data(), rows, cols, &br, nullptr) == SK_ERR_INVALID_ARGUMENT, "null bad_group");
  CHECK(sk_sparse24_check_f32(w.data(), -1, cols, &br, &bg) == SK_ERR_INVALID_ARGUMENT, "negative rows");
  CHECK(sk_sparse24_check_f32(w.data(), rows, 6, &br, &bg) == SK_ERR_INVALID_ARGUMENT, "cols % 4");
}

// ---- BSR: structure check, schedule, GEMM argument validation ----
static void test_bsr_check() {
  // 3 block rows x 4 block columns of 16x32 blocks: out 48, in 128.
  const int32_t rp[] = {0, 2, 2, 5};
  const int32_t ci[] = {0, 3, 0, 1, 2};
  CHECK(sk_bsr_check(rp, ci, 5, 16, 32, 48, 128) == SK_OK, "valid structure");
  CHECK(sk_bsr_check(rp, nullptr, 0, 16, 32, 48, 128) == SK_ERR_INVALID_ARGUMENT, "row_ptr end != blocks");
  const int32_t rp0[] = {0, 0, 0, 0};
  CHECK(sk_bsr_check(rp0, nullptr, 0, 16, 32, 48, 128) == SK_OK, "no blocks, col_idx NULL");
  CHECK(sk_bsr_check(nullptr, ci, 5, 16, 32, 48, 128) == SK_ERR_INVALID_ARGUMENT, "null row_ptr");
  CHECK(strstr(sk_last_error(), "row_ptr") != nullptr, "names row_ptr");
  CHECK(sk_bsr_check(rp, nullptr, 5, 16, 32, 48, 128) == SK_ERR_INVALID_ARGUMENT, "null col_idx");
  CHECK(sk_bsr_check(rp, ci, 5, 8, 32, 48, 128) == SK_ERR_INVALID_ARGUMENT, "block_rows 8");
  CHECK(sk_bsr_check(rp, ci, 5, 16, 48, 48, 144) == SK_ERR_INVALID_ARGUMENT, "block_cols 48");
  CHECK(sk_bsr_check(rp, ci, 5, 16, 32, 40, 128) == SK_ERR_INVALID_ARGUMENT, "out % block_rows");
  CHECK(sk_bsr_check(rp, ci, 5, 16, 32, 48, 120) == SK_ERR_INVALID_ARGUMENT, "in % block_cols");
  CHECK(sk_bsr_check(rp, ci, -1, 16, 32, 48, 128) == SK_ERR_INVALID_ARGUMENT, "blocks < 0");
  CHECK(sk_bsr_check(rp, ci, 13, 16, 32, 48, 128) == SK_ERR_INVALID_ARGUMENT, "blocks > grid");
  const int32_t rp_bad0[] = {1, 2, 2, 5};
  CHECK(sk_bsr_check(rp_bad0, ci, 5, 16, 32, 48, 128) == SK_ERR_INVALID_ARGUMENT, "row_ptr[0] != 0");
  const int32_t rp_dec[] = {0, 3, 2, 5};
  CHECK(sk_bsr_check(rp_dec, ci, 5, 16, 32, 48, 128) == SK_ERR_INVALID_ARGUMENT, "decreasing row_ptr");
  CHECK(strstr(sk_last_error(), "row_ptr[2]") != nullptr, "names the entry: '%s'", sk_last_error());
  const int32_t ci_range[] = {0, 4, 0, 1, 2};
  CHECK(sk_bsr_check(rp, ci_range, 5, 16, 32, 48, 128) == SK_ERR_INVALID_ARGUMENT, "col out of range");
  CHECK(strstr(sk_last_error(), "col_idx[1]") != nullptr, "names col_idx[1]: '%s'", sk_last_error());
  const int32_t ci_neg[] = {0, 3, -1, 1, 2};
  CHECK(sk_bsr_check(rp, ci_neg, 5, 16, 32, 48, 128) == SK_ERR_INVALID_ARGUMENT, "negative col");
  const int32_t ci_eq[] = {0, 3, 0, 2, 2};
  CHECK(sk_bsr_check(rp, ci_eq, 5, 16, 32, 48, 128) == SK_ERR_INVALID_ARGUMENT, "repeated col");
  CHECK(strstr(sk_last_error(), "col_idx[4]") != nullptr, "names col_idx[4]: '%s'", sk_last_error());
  const int32_t ci_desc[] = {3, 0, 0, 1, 2};
  CHECK(sk_bsr_check(rp, ci_desc, 5, 16, 32, 48, 128) == SK_ERR_INVALID_ARGUMENT, "descending cols");
}

// Header words (cuda/gemm_index.cuh, enum BsrHeader).
enum { W_MAGIC, W_BR, W_BC, W_NBR, W_BLOCKS, W_ITEMS, W_SPLITS, W_CHUNK, W_TOKENS, W_ITEMS_OFF, W_SPLITS_OFF,
       W_PART_OFF, W_SLOTS };

static void test_bsr_plan() {
  // 8 block rows of 64: one row of 40 blocks, the others 0..3 blocks; 1 token -> chunk 4: the long row is cut
  // into 10 chunks, rows of <= 4 stay whole.
  const int64_t nbr = 8, out = nbr * 64;
  std::vector<int32_t> rp(1, 0);
  const int lens[8] = {2, 0, 40, 3, 1, 0, 3, 2};
  for (int r = 0; r < 8; ++r) rp.push_back(rp.back() + lens[r]);
  const int64_t blocks = rp.back();
  int64_t bytes = -1;
  CHECK(sk_bsr_workspace_size(rp.data(), blocks, 64, 64, 1, out, &bytes) == SK_OK, "size");
  const int64_t items = 7 + 10, splits = 1, slots = 10;
  CHECK(bytes == (16 + 4 * items + 4 * splits) * 4 + slots * 1 * 64 * 4, "bytes %lld", (long long)bytes);
  std::vector<int32_t> ws((size_t)bytes / 4, -7);
  CHECK(sk_bsr_plan(rp.data(), blocks, 64, 64, 1, out, ws.data(), bytes) == SK_OK, "plan");
  CHECK(ws[W_MAGIC] == 0x31525342 && ws[W_BR] == 64 && ws[W_BC] == 64 && ws[W_NBR] == 8 && ws[W_BLOCKS] == blocks,
        "header");
  CHECK(ws[W_ITEMS] == items && ws[W_SPLITS] == 1 && ws[W_SLOTS] == 10 && ws[W_CHUNK] == 4 && ws[W_TOKENS] == 1,
        "counts %d %d %d %d", ws[W_ITEMS], ws[W_SPLITS], ws[W_SLOTS], ws[W_CHUNK]);
  CHECK(ws[W_ITEMS_OFF] == 16 && ws[W_SPLITS_OFF] == 16 + 4 * items && ws[W_PART_OFF] == ws[W_SPLITS_OFF] + 4,
        "offsets");
  // Items cover every block exactly once, longest first; chunks of row 2 in slot order, each <= 4 blocks.
  std::vector<int> cover((size_t)blocks, 0), rows_seen(8, 0);
  int prev_len = 1 << 30;
  for (int64_t i = 0; i < items; ++i) {
    const int32_t* it = &ws[(size_t)(16 + 4 * i)];
    const int len = it[2] - it[1];
    CHECK(len <= prev_len, "item %lld not sorted by length", (long long)i);
    prev_len = len;
    CHECK(it[0] >= 0 && it[0] < 8 && it[1] >= rp[(size_t)it[0]] && it[2] <= rp[(size_t)it[0] + 1], "item %lld range", (long long)i);
    for (int b = it[1]; b < it[2]; ++b) ++cover[(size_t)b];
    ++rows_seen[(size_t)it[0]];
    if (it[0] == 2) CHECK(it[3] >= 0 && it[3] < 10 && len <= 4 && it[1] == rp[2] + it[3] * 40 / 10, "chunk %d", it[3]);
    else CHECK(it[3] == -1, "whole rows write Y directly");
  }
  for (int64_t b = 0; b < blocks; ++b) CHECK(cover[(size_t)b] == 1, "block %lld covered %d times", (long long)b, cover[(size_t)b]);
  for (int r = 0; r < 8; ++r) CHECK(rows_seen[(size_t)r] == (r == 2 ? 10 : 1), "row %d items %d", r, rows_seen[(size_t)r]);
  const int32_t* sp = &ws[(size_t)ws[W_SPLITS_OFF]];
  CHECK(sp[0] == 2 && sp[1] == 0 && sp[2] == 10, "split row");
  CHECK(ws.back() == 0, "partials zeroed");

  // Large token count: chunk grows, nothing is cut, no workspace.
  CHECK(sk_bsr_workspace_size(rp.data(), blocks, 64, 64, 4096, out, &bytes) == SK_OK && bytes > 0, "4096 tokens: %lld", (long long)bytes);
  const int32_t rp_even[] = {0, 3, 6, 9, 12};
  CHECK(sk_bsr_workspace_size(rp_even, 12, 32, 32, 1, 128, &bytes) == SK_OK && bytes == 0, "even rows: no workspace");
  CHECK(sk_bsr_plan(rp_even, 12, 32, 32, 1, 128, nullptr, 0) == SK_OK, "plan of size 0 with NULL");
  // Errors.
  CHECK(sk_bsr_workspace_size(rp.data(), blocks, 64, 64, 1, out, nullptr) == SK_ERR_INVALID_ARGUMENT, "null bytes");
  CHECK(sk_bsr_workspace_size(nullptr, blocks, 64, 64, 1, out, &bytes) == SK_ERR_INVALID_ARGUMENT, "null row_ptr");
  CHECK(sk_bsr_workspace_size(rp.data(), blocks, 64, 64, 0, out, &bytes) == SK_ERR_INVALID_ARGUMENT, "tokens 0");
  CHECK(sk_bsr_workspace_size(rp.data(), blocks, 64, 24, 1, out, &bytes) == SK_ERR_INVALID_ARGUMENT, "block_cols 24");
  CHECK(sk_bsr_workspace_size(rp.data(), blocks, 64, 64, 1, out + 16, &bytes) == SK_ERR_INVALID_ARGUMENT, "out % 64");
  CHECK(sk_bsr_workspace_size(rp.data(), blocks + 1, 64, 64, 1, out, &bytes) == SK_ERR_INVALID_ARGUMENT, "blocks mismatch");
  CHECK(sk_bsr_plan(rp.data(), blocks, 64, 64, 1, out, ws.data(), 16) == SK_ERR_INVALID_ARGUMENT, "wrong bytes");
  int64_t b1 = 0;
  sk_bsr_workspace_size(rp.data(), blocks, 64, 64, 1, out, &b1);
  CHECK(sk_bsr_plan(rp.data(), blocks, 64, 64, 1, out, nullptr, b1) == SK_ERR_INVALID_ARGUMENT, "null workspace");
}

static void test_bsr_gemm_validation(int count) {
  alignas(16) static uint8_t buf[512];
  const void* x = buf;
  const void* v = buf;
  const int32_t* rp = (const int32_t*)(buf + 256);
  const int32_t* ci = (const int32_t*)(buf + 320);
  void* y = buf + 384;
  const int F32 = SK_DTYPE_F32, F16 = SK_DTYPE_F16, BF16 = SK_DTYPE_BF16;
  struct Case { const void* x; int xd; const int32_t* rp; const int32_t* ci; const void* v; int64_t nb; int br, bc;
                void* ws; void* y; int yd; int64_t t, i, o; const char* what; };
  Case bad[] = {
      {nullptr, F16, rp, ci, v, 2, 16, 16, nullptr, y, F32, 4, 64, 32, "null x"},
      {x, F16, nullptr, ci, v, 2, 16, 16, nullptr, y, F32, 4, 64, 32, "null row_ptr"},
      {x, F16, rp, nullptr, v, 2, 16, 16, nullptr, y, F32, 4, 64, 32, "null col_idx"},
      {x, F16, rp, ci, nullptr, 2, 16, 16, nullptr, y, F32, 4, 64, 32, "null values"},
      {x, F16, rp, ci, v, 2, 16, 16, nullptr, nullptr, F32, 4, 64, 32, "null y"},
      {x, F16, rp, ci, v, -1, 16, 16, nullptr, y, F32, 4, 64, 32, "blocks < 0"},
      {x, F16, rp, ci, v, 9, 16, 16, nullptr, y, F32, 4, 64, 32, "blocks > grid"},
      {x, F16, rp, ci, v, 2, 8, 16, nullptr, y, F32, 4, 64, 32, "block_rows 8"},
      {x, F16, rp, ci, v, 2, 16, 128, nullptr, y, F32, 4, 128, 32, "block_cols 128"},
      {x, F16, rp, ci, v, 2, 16, 16, nullptr, y, F32, 0, 64, 32, "tokens 0"},
      {x, F16, rp, ci, v, 2, 16, 16, nullptr, y, F32, 4, 0, 32, "in 0"},
      {x, F16, rp, ci, v, 2, 16, 16, nullptr, y, F32, 4, 64, 0, "out 0"},
      {x, F16, rp, ci, v, 2, 16, 16, nullptr, y, F32, 4, 68, 32, "in % 8"},
      {x, F16, rp, ci, v, 2, 16, 32, nullptr, y, F32, 4, 80, 32, "in % block_cols"},
      {x, F16, rp, ci, v, 2, 32, 16, nullptr, y, F32, 4, 64, 48, "out % block_rows"},
      {x, F32, rp, ci, v, 2, 16, 16, nullptr, y, F32, 4, 64, 32, "x F32"},
      {x, F16, rp, ci, v, 2, 16, 16, nullptr, y, BF16, 4, 64, 32, "F16 -> BF16"},
      {x, BF16, rp, ci, v, 2, 16, 16, nullptr, y, F16, 4, 64, 32, "BF16 -> F16"},
      {buf + 8, F16, rp, ci, v, 2, 16, 16, nullptr, y, F32, 4, 64, 32, "misaligned x"},
      {x, F16, rp, ci, buf + 8, 2, 16, 16, nullptr, y, F32, 4, 64, 32, "misaligned values"},
      {x, F16, rp, ci, v, 2, 16, 16, buf + 4, y, F32, 4, 64, 32, "misaligned workspace"},
      {x, F16, (const int32_t*)(buf + 2), ci, v, 2, 16, 16, nullptr, y, F32, 4, 64, 32, "misaligned row_ptr"},
      {x, F16, rp, ci, v, 2, 16, 16, nullptr, buf + 2, F32, 4, 64, 32, "misaligned f32 y"},
  };
  for (const Case& c : bad) {
    int rc = sk_bsr_gemm(c.x, c.xd, c.rp, c.ci, c.v, c.nb, c.br, c.bc, c.ws, nullptr, c.y, c.yd, c.t, c.i, c.o, nullptr);
    CHECK(rc == SK_ERR_INVALID_ARGUMENT, "bsr_gemm %s: rc %d", c.what, rc);
    CHECK(has_error_text(), "bsr_gemm %s: message", c.what);
    rc = sk_experimental_bsr_gemm_sm90(c.x, c.xd, c.rp, c.ci, c.v, c.nb, c.br, c.bc, c.ws, nullptr, c.y, c.yd, c.t,
                                       c.i, c.o, nullptr);
    CHECK(rc == SK_ERR_INVALID_ARGUMENT, "bsr_gemm_sm90 %s: rc %d", c.what, rc);
    rc = sk_experimental_bsr_gemm_sm90_variant(c.x, c.xd, c.rp, c.ci, c.v, c.nb, c.br, c.bc, c.ws, nullptr, c.y, c.yd,
                                               c.t, c.i, c.o, SK_BSR_SM90_TMA, nullptr);
    CHECK(rc == SK_ERR_INVALID_ARGUMENT, "bsr_gemm_sm90_variant %s: rc %d", c.what, rc);
  }
  // An unknown variant of a valid call, named in the message.
  for (int var : {-1, SK_BSR_SM90_TMA_256 + 1}) {
    const int rc = sk_experimental_bsr_gemm_sm90_variant(x, BF16, rp, nullptr, nullptr, 0, 64, 64, nullptr, nullptr,
                                                         y, F32, 1, 64, 64, var, nullptr);
    CHECK(rc == SK_ERR_INVALID_ARGUMENT && strstr(sk_last_error(), "variant") != nullptr,
          "bsr sm90 variant %d: rc %d (%s)", var, rc, sk_last_error());
  }
  // A valid structure with blocks other than 64x64: the Hopper kernel's one tile shape, named in the message.
  {
    int rc = sk_experimental_bsr_gemm_sm90(x, F16, rp, ci, v, 2, 16, 16, nullptr, nullptr, y, F32, 3, 64, 32, nullptr);
    CHECK(rc == SK_ERR_UNSUPPORTED && strstr(sk_last_error(), "64x64") != nullptr, "bsr_gemm_sm90 16x16: rc %d %s",
          rc, sk_last_error());
  }
  if (count == 0) {
    int rc = sk_bsr_gemm(x, F16, rp, ci, v, 2, 16, 16, nullptr, nullptr, y, F32, 3, 64, 32, nullptr);
    CHECK(rc != SK_OK && rc != SK_ERR_INVALID_ARGUMENT && has_error_text(), "valid bsr launch w/o GPU rc %d", rc);
    if (!sk_cuda_compiled()) CHECK(rc == SK_ERR_UNSUPPORTED, "host-only bsr launch rc %d", rc);
    rc = sk_bsr_gemm(x, BF16, rp, nullptr, nullptr, 0, 64, 64, nullptr, nullptr, y, BF16, 1, 64, 64, nullptr);
    CHECK(rc != SK_OK && rc != SK_ERR_INVALID_ARGUMENT, "no blocks, NULL col_idx/values is valid: rc %d", rc);
    rc = sk_experimental_bsr_gemm_sm90(x, BF16, rp, nullptr, nullptr, 0, 64, 64, nullptr, nullptr, y, F32, 1, 64, 64,
                                       nullptr);
    CHECK(rc != SK_OK && rc != SK_ERR_INVALID_ARGUMENT && has_error_text(), "valid bsr sm90 launch w/o GPU rc %d", rc);
    if (!sk_cuda_compiled()) CHECK(rc == SK_ERR_UNSUPPORTED, "host-only bsr sm90 launch rc %d", rc);
    for (int var = SK_BSR_SM90_DISPATCH; var <= SK_BSR_SM90_TMA_256; ++var) {
      rc = sk_experimental_bsr_gemm_sm90_variant(x, BF16, rp, nullptr, nullptr, 0, 64, 64, nullptr, nullptr, y, F32, 1,
                                                 64, 64, var, nullptr);
      CHECK(rc != SK_OK && rc != SK_ERR_INVALID_ARGUMENT && has_error_text(), "bsr sm90 variant %d w/o GPU rc %d",
            var, rc);
    }
  }
}

// ---- structured channel removal: index check, argument errors, no-device behaviour ----

static void test_gather_check() {
  const int64_t ok[] = {0, 2, 3, 9};
  CHECK(sk_gather_check(ok, 4, 10) == SK_OK, "ascending in range");
  CHECK(sk_gather_check(ok, 1, 1) == SK_OK, "one index, limit 1");
  const int64_t all[] = {0, 1, 2, 3, 4};
  CHECK(sk_gather_check(all, 5, 5) == SK_OK, "all kept");
  CHECK(sk_gather_check(ok, 4, 9) == SK_ERR_INVALID_ARGUMENT, "last index == limit");
  CHECK(strstr(sk_last_error(), "idx[3] = 9") != nullptr, "message names position and value: '%s'", sk_last_error());
  const int64_t neg[] = {-1, 2};
  CHECK(sk_gather_check(neg, 2, 10) == SK_ERR_INVALID_ARGUMENT, "negative index");
  CHECK(strstr(sk_last_error(), "idx[0] = -1") != nullptr, "negative named");
  const int64_t rep[] = {1, 4, 4, 7};
  CHECK(sk_gather_check(rep, 4, 10) == SK_ERR_INVALID_ARGUMENT, "repeated index");
  CHECK(strstr(sk_last_error(), "idx[2] = 4") != nullptr && strstr(sk_last_error(), "ascending") != nullptr,
        "repeat named: '%s'", sk_last_error());
  const int64_t desc[] = {5, 3};
  CHECK(sk_gather_check(desc, 2, 10) == SK_ERR_INVALID_ARGUMENT, "descending");
  CHECK(sk_gather_check(nullptr, 2, 10) == SK_ERR_INVALID_ARGUMENT, "null idx");
  CHECK(sk_gather_check(ok, 0, 10) == SK_ERR_INVALID_ARGUMENT, "count 0");
  CHECK(sk_gather_check(ok, -1, 10) == SK_ERR_INVALID_ARGUMENT, "count < 0");
  CHECK(sk_gather_check(all, 5, 4) == SK_ERR_INVALID_ARGUMENT, "count > limit");
  CHECK(sk_gather_check(ok, 4, 0) == SK_ERR_INVALID_ARGUMENT, "limit 0");
  // A long valid list, then one bad entry near its end.
  std::vector<int64_t> big(100000);
  for (size_t i = 0; i < big.size(); ++i) big[i] = 3 * (int64_t)i + 1;
  CHECK(sk_gather_check(big.data(), (int64_t)big.size(), 300001) == SK_OK, "100000 ascending");
  big[99998] = big[99999];
  CHECK(sk_gather_check(big.data(), (int64_t)big.size(), 300001) == SK_ERR_INVALID_ARGUMENT, "late repeat");
  CHECK(strstr(sk_last_error(), "idx[99999]") != nullptr, "late repeat position: '%s'", sk_last_error());
}

static void test_gather_validation(int count) {
  // Fake, aligned, non-overlapping pointers: only the "valid arguments" calls pass them on, and only without a GPU.
  alignas(16) static uint8_t buf[4096];
  const void* src = buf;
  void* dst = buf + 2048;
  const int64_t* idx = (const int64_t*)(buf + 1024);
  const int F32 = SK_DTYPE_F32, F16 = SK_DTYPE_F16, BF16 = SK_DTYPE_BF16;
  struct Case { const void* s; int d; int64_t r, c; const int64_t* i; int64_t n; void* o; const char* what; };
  // src [16, 8] f32 = 512 bytes; gathering 4 rows or 4 columns.
  const Case bad[] = {
      {nullptr, F32, 16, 8, idx, 4, dst, "null src"},
      {src, F32, 16, 8, nullptr, 4, dst, "null idx"},
      {src, F32, 16, 8, idx, 4, nullptr, "null dst"},
      {src, 3, 16, 8, idx, 4, dst, "dtype 3"},
      {src, -1, 16, 8, idx, 4, dst, "dtype -1"},
      {src, F32, 0, 8, idx, 4, dst, "rows 0"},
      {src, F32, -16, 8, idx, 4, dst, "rows < 0"},
      {src, F32, 16, 0, idx, 4, dst, "cols 0"},
      {src, F32, 16, -8, idx, 4, dst, "cols < 0"},
      {src, F32, 16, (int64_t)1 << 32, idx, 4, dst, "cols > INT32_MAX"},
      {src, F32, 16, 8, idx, 0, dst, "count 0"},
      {src, F32, 16, 8, idx, -2, dst, "count < 0"},
      {buf + 2, F32, 16, 8, idx, 4, dst, "src misaligned for f32"},
      {buf + 1, F16, 16, 8, idx, 4, dst, "src misaligned for f16"},
      {src, BF16, 16, 8, idx, 4, buf + 2049, "dst misaligned for bf16"},
      {src, F32, 16, 8, (const int64_t*)(buf + 1028), 4, dst, "idx misaligned"},
      {src, F32, 16, 8, idx, 4, buf + 256, "dst overlaps src"},
      {src, F32, INT32_MAX, INT32_MAX, idx, 4, dst, "rows * cols * 4 overflows"},
  };
  for (const Case& c : bad) {
    int rc = sk_gather_rows(c.s, c.d, c.r, c.c, c.i, c.n, c.o, nullptr);
    CHECK(rc == SK_ERR_INVALID_ARGUMENT, "gather_rows %s: rc %d", c.what, rc);
    CHECK(has_error_text() && strstr(sk_last_error(), "sk_gather_rows") != nullptr, "gather_rows %s: message", c.what);
    rc = sk_gather_cols(c.s, c.d, c.r, c.c, c.i, c.n, c.o, nullptr);
    CHECK(rc == SK_ERR_INVALID_ARGUMENT, "gather_cols %s: rc %d", c.what, rc);
    CHECK(has_error_text() && strstr(sk_last_error(), "sk_gather_cols") != nullptr, "gather_cols %s: message", c.what);
  }
  CHECK(sk_gather_rows(src, F32, INT32_MAX, INT32_MAX, idx, 4, dst, nullptr) == SK_ERR_INVALID_ARGUMENT &&
            strstr(sk_last_error(), "overflows") != nullptr, "size overflow named: '%s'", sk_last_error());
  CHECK(sk_gather_cols(src, F32, 16, 8, idx, 4, buf + 256, nullptr) == SK_ERR_INVALID_ARGUMENT &&
            strstr(sk_last_error(), "overlaps") != nullptr, "overlap named: '%s'", sk_last_error());
  // count bounded by the gathered dimension: 12 of 16 rows is fine, 12 of 8 columns is not.
  CHECK(sk_gather_cols(src, F32, 16, 8, idx, 12, dst, nullptr) == SK_ERR_INVALID_ARGUMENT, "cols: count > cols");
  CHECK(strstr(sk_last_error(), "count") != nullptr, "names count: '%s'", sk_last_error());
  CHECK(sk_gather_rows(src, F32, 16, 8, idx, 17, dst, nullptr) == SK_ERR_INVALID_ARGUMENT, "rows: count > rows");
  // dst right after src (touching, not overlapping) is fine: src [16, 8] f32 = 512 bytes at buf.
  if (count == 0) {
    const int compiled = sk_cuda_compiled();
    for (int d : {F32, F16, BF16}) {
      int rc = sk_gather_rows(src, d, 16, 8, idx, 12, buf + 512, nullptr);
      CHECK(rc != SK_OK && rc != SK_ERR_INVALID_ARGUMENT && has_error_text(), "valid gather_rows w/o GPU rc %d", rc);
      if (!compiled) CHECK(rc == SK_ERR_UNSUPPORTED, "host-only gather_rows rc %d", rc);
      rc = sk_gather_cols(src, d, 16, 8, idx, 8, dst, nullptr);
      CHECK(rc != SK_OK && rc != SK_ERR_INVALID_ARGUMENT && has_error_text(), "valid gather_cols w/o GPU rc %d", rc);
      if (!compiled) CHECK(rc == SK_ERR_UNSUPPORTED, "host-only gather_cols rc %d", rc);
    }
  }
}

static void test_channel_stats_validation(int count) {
  alignas(16) static uint8_t buf[4096];
  const void* x = buf;
  double* state = (double*)(buf + 1024);   // 3 * 16 doubles = 384 bytes
  double* other = (double*)(buf + 1536);
  float* out = (float*)(buf + 2048);
  const int F32 = SK_DTYPE_F32, F16 = SK_DTYPE_F16, BF16 = SK_DTYPE_BF16;
  struct Upd { const void* x; int d; int64_t s, c; double* st; const char* what; };
  const Upd bad[] = {
      {nullptr, F32, 4, 16, state, "null x"},
      {x, F32, 4, 16, nullptr, "null state"},
      {x, 5, 4, 16, state, "dtype 5"},
      {x, F32, 0, 16, state, "samples 0"},
      {x, F32, -3, 16, state, "samples < 0"},
      {x, F32, 4, 0, state, "channels 0"},
      {x, F32, 4, -16, state, "channels < 0"},
      {x, F32, 4, (int64_t)1 << 31, state, "channels > INT32_MAX"},
      {x, F32, (int64_t)1 << 62, 16, state, "samples * channels overflows"},
      {buf + 2, F32, 4, 16, state, "x misaligned for f32"},
      {buf + 1, BF16, 4, 16, state, "x misaligned for bf16"},
      {x, F16, 4, 16, (double*)(buf + 1028), "state misaligned"},
  };
  for (const Upd& c : bad) {
    int rc = sk_channel_stats_update(c.x, c.d, c.s, c.c, c.st, nullptr);
    CHECK(rc == SK_ERR_INVALID_ARGUMENT, "stats_update %s: rc %d", c.what, rc);
    CHECK(has_error_text() && strstr(sk_last_error(), "sk_channel_stats_update") != nullptr, "stats_update %s: message",
          c.what);
  }
  CHECK(sk_channel_stats_update(nullptr, F32, 4, 16, state, nullptr) == SK_ERR_INVALID_ARGUMENT &&
            strstr(sk_last_error(), "x is NULL") != nullptr, "names x: '%s'", sk_last_error());
  CHECK(sk_channel_stats_reset(nullptr, 16, nullptr) == SK_ERR_INVALID_ARGUMENT, "reset null state");
  CHECK(sk_channel_stats_reset(state, 0, nullptr) == SK_ERR_INVALID_ARGUMENT, "reset channels 0");
  CHECK(sk_channel_stats_reset((double*)(buf + 4), 16, nullptr) == SK_ERR_INVALID_ARGUMENT, "reset misaligned");
  CHECK(sk_channel_stats_merge(state, nullptr, 16, nullptr) == SK_ERR_INVALID_ARGUMENT, "merge null other");
  CHECK(strstr(sk_last_error(), "other") != nullptr, "names other: '%s'", sk_last_error());
  CHECK(sk_channel_stats_merge(nullptr, other, 16, nullptr) == SK_ERR_INVALID_ARGUMENT, "merge null state");
  CHECK(sk_channel_stats_merge(state, other, -1, nullptr) == SK_ERR_INVALID_ARGUMENT, "merge channels < 0");
  CHECK(sk_channel_stats_merge(state, (double*)(buf + 1024 + 8), 16, nullptr) == SK_ERR_INVALID_ARGUMENT,
        "merge partial overlap");
  CHECK(strstr(sk_last_error(), "overlap") != nullptr, "names overlap: '%s'", sk_last_error());
  CHECK(sk_channel_stats_finalize(nullptr, 16, out, nullptr, nullptr, nullptr) == SK_ERR_INVALID_ARGUMENT,
        "finalize null state");
  CHECK(sk_channel_stats_finalize(state, 16, nullptr, nullptr, nullptr, nullptr) == SK_ERR_INVALID_ARGUMENT,
        "finalize with no output");
  CHECK(sk_channel_stats_finalize(state, 16, nullptr, (float*)(buf + 2050), nullptr, nullptr) == SK_ERR_INVALID_ARGUMENT,
        "finalize misaligned variance");
  CHECK(sk_channel_stats_finalize(state, 0, out, nullptr, nullptr, nullptr) == SK_ERR_INVALID_ARGUMENT,
        "finalize channels 0");
  if (count == 0) {
    const int compiled = sk_cuda_compiled();
    auto no_gpu = [&](int rc, const char* what) {
      CHECK(rc != SK_OK && rc != SK_ERR_INVALID_ARGUMENT && has_error_text(), "valid %s w/o GPU rc %d", what, rc);
      if (!compiled) CHECK(rc == SK_ERR_UNSUPPORTED, "host-only %s rc %d", what, rc);
    };
    no_gpu(sk_channel_stats_reset(state, 16, nullptr), "stats_reset");
    for (int d : {F32, F16, BF16}) no_gpu(sk_channel_stats_update(x, d, 4, 16, state, nullptr), "stats_update");
    no_gpu(sk_channel_stats_merge(state, other, 16, nullptr), "stats_merge");
    no_gpu(sk_channel_stats_merge(state, state, 16, nullptr), "stats_merge with itself");
    no_gpu(sk_channel_stats_finalize(state, 16, out, out + 16, out + 32, nullptr), "stats_finalize");
    no_gpu(sk_channel_stats_finalize(state, 16, nullptr, out, nullptr, nullptr), "stats_finalize variance only");
  }
}

// sk_attention / sk_attention_block_sparse: every bad argument is refused before CUDA, with a message naming it;
// a valid call without a GPU fails with a non-argument status (UNSUPPORTED in a host-only build).
static void test_attention_validation(int count) {
  alignas(64) static unsigned char buf[4096];
  void* q = buf;
  void* k = buf + 256;
  void* v = buf + 512;
  void* o = buf + 1024;
  const int F32 = SK_DTYPE_F32, F16 = SK_DTYPE_F16, BF16 = SK_DTYPE_BF16;
  struct Case {
    const void *q, *k, *v;
    void* o;
    int dt, odt;
    int64_t b, hq, hkv, lq, lk, d;
    float scale;
    int64_t wl;
    const float* bias;
    int64_t bsb;
    const uint8_t* mask;
    int64_t msq;
    const char* what;
    const char* names;  // a word the message must contain
  };
  const float* fb = reinterpret_cast<const float*>(buf + 2048);
  const uint8_t* mb = buf + 3072;
  const Case bad[] = {
      {nullptr, k, v, o, F16, F32, 1, 2, 1, 8, 8, 64, 0.125f, -1, nullptr, 0, nullptr, 0, "null q", "q"},
      {q, nullptr, v, o, F16, F32, 1, 2, 1, 8, 8, 64, 0.125f, -1, nullptr, 0, nullptr, 0, "null k", "k"},
      {q, k, nullptr, o, F16, F32, 1, 2, 1, 8, 8, 64, 0.125f, -1, nullptr, 0, nullptr, 0, "null v", "v"},
      {q, k, v, nullptr, F16, F32, 1, 2, 1, 8, 8, 64, 0.125f, -1, nullptr, 0, nullptr, 0, "null o", "o"},
      {q, k, v, o, F32, F32, 1, 2, 1, 8, 8, 64, 0.125f, -1, nullptr, 0, nullptr, 0, "dtype F32", "dtype"},
      {q, k, v, o, F16, BF16, 1, 2, 1, 8, 8, 64, 0.125f, -1, nullptr, 0, nullptr, 0, "F16 -> BF16", "o_dtype"},
      {q, k, v, o, F16, F32, 0, 2, 1, 8, 8, 64, 0.125f, -1, nullptr, 0, nullptr, 0, "batch 0", "batch"},
      {q, k, v, o, F16, F32, 1, 0, 1, 8, 8, 64, 0.125f, -1, nullptr, 0, nullptr, 0, "heads_q 0", "heads_q"},
      {q, k, v, o, F16, F32, 1, 2, 0, 8, 8, 64, 0.125f, -1, nullptr, 0, nullptr, 0, "heads_kv 0", "heads_kv"},
      {q, k, v, o, F16, F32, 1, 6, 4, 8, 8, 64, 0.125f, -1, nullptr, 0, nullptr, 0, "Hq % Hkv", "multiple"},
      {q, k, v, o, F16, F32, 1, 2, 1, 0, 8, 64, 0.125f, -1, nullptr, 0, nullptr, 0, "lq 0", "lq"},
      {q, k, v, o, F16, F32, 1, 2, 1, 8, -1, 64, 0.125f, -1, nullptr, 0, nullptr, 0, "lk < 0", "lk"},
      {q, k, v, o, F16, F32, 1, 2, 1, 8, 8, 60, 0.125f, -1, nullptr, 0, nullptr, 0, "d 60", "head_dim"},
      {q, k, v, o, F16, F32, 1, 2, 1, 8, 8, 264, 0.125f, -1, nullptr, 0, nullptr, 0, "d 264", "head_dim"},
      {q, k, v, o, F16, F32, 1, 2, 1, 8, 8, 0, 0.125f, -1, nullptr, 0, nullptr, 0, "d 0", "head_dim"},
      {q, k, v, o, F16, F32, 1, 2, 1, 8, 8, 64, NAN, -1, nullptr, 0, nullptr, 0, "scale NaN", "scale"},
      {q, k, v, o, F16, F32, 1, 2, 1, 8, 8, 64, 0.125f, -2, nullptr, 0, nullptr, 0, "window -2", "window_left"},
      {q, k, v, o, F16, F32, 1, 2, 1, 8, 8, 64, 0.125f, -1, fb, -1, nullptr, 0, "bias stride < 0", "bias"},
      {q, k, v, o, F16, F32, 1, 2, 1, 8, 8, 64, 0.125f, -1, nullptr, 0, mb, -8, "mask stride < 0", "mask"},
      {buf + 8, k, v, o, F16, F32, 1, 2, 1, 8, 8, 64, 0.125f, -1, nullptr, 0, nullptr, 0, "misaligned q", "q"},
      {q, k, buf + 520, o, F16, F32, 1, 2, 1, 8, 8, 64, 0.125f, -1, nullptr, 0, nullptr, 0, "misaligned v", "v"},
      {q, k, v, buf + 1028, F16, F32, 1, 2, 1, 8, 8, 64, 0.125f, -1, nullptr, 0, nullptr, 0, "misaligned f32 o", "o"},
  };
  for (const Case& c : bad) {
    int rc = sk_attention(c.q, c.k, c.v, c.o, c.dt, c.odt, c.b, c.hq, c.hkv, c.lq, c.lk, c.d, c.scale, 1, c.wl,
                          -1, nullptr, c.bias, c.bsb, 0, 0, c.mask, 0, 0, c.msq, nullptr, nullptr);
    CHECK(rc == SK_ERR_INVALID_ARGUMENT, "attention %s: rc %d", c.what, rc);
    CHECK(strstr(sk_last_error(), c.names) != nullptr, "attention %s: message names %s", c.what, c.names);
    // The experimental Hopper twin shares the checks (check_core): same refusal, same word in the message.
    rc = sk_experimental_attention_sm90(c.q, c.k, c.v, c.o, c.dt, c.odt, c.b, c.hq, c.hkv, c.lq, c.lk, c.d, c.scale, 1,
                                        c.wl, -1, nullptr, c.bias, c.bsb, 0, 0, c.mask, 0, 0, c.msq, nullptr, nullptr);
    CHECK(rc == SK_ERR_INVALID_ARGUMENT, "attention_sm90 %s: rc %d", c.what, rc);
    CHECK(strstr(sk_last_error(), c.names) != nullptr, "attention_sm90 %s: message names %s", c.what, c.names);
  }
  {
    // Valid sk_attention arguments outside the Hopper kernel's first version: UNSUPPORTED, naming what.
    struct U { int64_t d, wl, wr; const float* bias; const uint8_t* mask; const uint8_t* hm; const char* names; };
    const U us[] = {{96, -1, -1, nullptr, nullptr, nullptr, "head_dim"}, {256, -1, -1, nullptr, nullptr, nullptr, "head_dim"},
                    {64, 4, -1, nullptr, nullptr, nullptr, "window"},    {128, -1, 0, nullptr, nullptr, nullptr, "window"},
                    {64, -1, -1, fb, nullptr, nullptr, "bias"},          {64, -1, -1, nullptr, mb, nullptr, "mask"},
                    {128, -1, -1, nullptr, nullptr, mb, "head mask"}};
    for (const U& u : us) {
      const int rc = sk_experimental_attention_sm90(q, k, v, o, BF16, F32, 1, 2, 1, 8, 8, u.d, 0.125f, 1, u.wl, u.wr,
                                                    nullptr, u.bias, 0, 0, 8, u.mask, 0, 0, 8, u.hm, nullptr);
      CHECK(rc == SK_ERR_UNSUPPORTED && strstr(sk_last_error(), u.names) != nullptr,
            "attention_sm90 unsupported %s: rc %d %s", u.names, rc, sk_last_error());
    }
  }
  {
    const int rc = sk_attention(q, k, v, o, F16, F32, 1, 2, 1, 8, 8, 64, 0.125f, 0, -1, -3, nullptr, nullptr, 0, 0, 0,
                                nullptr, 0, 0, 0, nullptr, nullptr);
    CHECK(rc == SK_ERR_INVALID_ARGUMENT && strstr(sk_last_error(), "window_right") != nullptr,
          "attention window_right -3: rc %d", rc);
  }
  {
    // batch * heads_q that wraps int64 (2^64 - 1 + 2^32 ... = -1 + ...) must still be refused, not pass as small
    const int64_t big_b = (1LL << 32) + 1, big_h = (1LL << 32) - 1;
    const int rc = sk_attention(q, k, v, o, F16, F32, big_b, big_h, 1, 8, 8, 64, 0.125f, 0, -1, -1, nullptr, nullptr, 0,
                                0, 0, nullptr, 0, 0, 0, nullptr, nullptr);
    CHECK(rc == SK_ERR_UNSUPPORTED && strstr(sk_last_error(), "batch * heads_q") != nullptr,
          "attention batch * heads_q wrapping: rc %d %s", rc, sk_last_error());
  }
  {
    // A window bound of lq + lk or more excludes no key: it is no window (and INT64_MAX no longer overflows the
    // kernels' tile arithmetic). One below still is a window. The experimental kernel, which refuses windows,
    // shows which way the library read each.
    const int64_t none[] = {16, 17, INT64_MAX};
    for (int64_t w : none) {
      for (int side = 0; side < 2; side++) {
        sk_experimental_attention_sm90(q, k, v, o, BF16, F32, 1, 2, 1, 8, 8, 64, 0.125f, 1, side ? -1 : w,
                                       side ? w : -1, nullptr, nullptr, 0, 0, 0, nullptr, 0, 0, 0, nullptr, nullptr);
        CHECK(strstr(sk_last_error(), "sliding windows") == nullptr, "attention_sm90 window %lld (side %d) read as a"
              " window: %s", (long long)w, side, sk_last_error());
      }
    }
    const int rc = sk_experimental_attention_sm90(q, k, v, o, BF16, F32, 1, 2, 1, 8, 8, 64, 0.125f, 1, 15, -1, nullptr,
                                                  nullptr, 0, 0, 0, nullptr, 0, 0, 0, nullptr, nullptr);
    CHECK(rc == SK_ERR_UNSUPPORTED && strstr(sk_last_error(), "sliding windows") != nullptr,
          "attention_sm90 window 15 of lq + lk = 16: rc %d %s", rc, sk_last_error());
  }
  int32_t* cnt = reinterpret_cast<int32_t*>(buf + 3584);
  int32_t* idx = reinterpret_cast<int32_t*>(buf + 3840);
  struct Bs { int qb, kb; int64_t maxb; const int32_t* idx; int64_t sb; const char* what; };
  const Bs bads[] = {{32, 64, 1, idx, 0, "q_block 32"}, {64, 96, 1, idx, 0, "kv_block 96"},
                     {64, 64, 0, idx, 0, "max_kv_blocks 0"}, {64, 64, 3, idx, 0, "max_kv_blocks > nkb"},
                     {64, 64, 1, nullptr, 0, "null kv_index"}, {64, 64, 1, idx, -1, "bs stride < 0"}};
  for (const Bs& c : bads) {
    int rc = sk_attention_block_sparse(q, k, v, o, BF16, BF16, 1, 2, 2, 100, 128, 128, 0.1f, 0, -1, -1, nullptr, nullptr,
                                       0, 0, 0, nullptr, 0, 0, 0, nullptr, c.qb, c.kb, c.maxb, cnt, c.idx, nullptr,
                                       c.sb, 0, nullptr);
    CHECK(rc == SK_ERR_INVALID_ARGUMENT && has_error_text(), "attention_block_sparse %s: rc %d", c.what, rc);
  }
  if (count == 0) {
    int rc = sk_attention(q, k, v, o, F16, F16, 2, 8, 2, 100, 300, 96, 0.1f, 1, 32, 4, nullptr, fb, 0, 0, 300, mb, 300,
                          0, 0, nullptr, nullptr);
    CHECK(rc != SK_OK && rc != SK_ERR_INVALID_ARGUMENT && has_error_text(), "valid attention w/o GPU rc %d", rc);
    if (!sk_cuda_compiled()) CHECK(rc == SK_ERR_UNSUPPORTED, "host-only attention rc %d", rc);
    rc = sk_attention_block_sparse(q, k, v, o, BF16, F32, 1, 4, 1, 256, 256, 128, 0.1f, 0, -1, 7, nullptr, nullptr, 0, 0,
                                   0, nullptr, 0, 0, 0, nullptr, 128, 64, 4, cnt, idx, nullptr, 2, 0, nullptr);
    CHECK(rc != SK_OK && rc != SK_ERR_INVALID_ARGUMENT && has_error_text(), "valid block-sparse w/o GPU rc %d", rc);
    if (!sk_cuda_compiled()) CHECK(rc == SK_ERR_UNSUPPORTED, "host-only block-sparse rc %d", rc);
    rc = sk_experimental_attention_sm90(q, k, v, o, F16, F16, 2, 8, 2, 100, 300, 128, 0.1f, 1, -1, -1, nullptr, nullptr,
                                        0, 0, 0, nullptr, 0, 0, 0, nullptr, nullptr);
    CHECK(rc != SK_OK && rc != SK_ERR_INVALID_ARGUMENT && has_error_text(), "valid attention sm90 w/o GPU rc %d", rc);
    if (!sk_cuda_compiled()) CHECK(rc == SK_ERR_UNSUPPORTED, "host-only attention sm90 rc %d", rc);
  }
}

// The Hopper switch: a process-wide mode, set and queried, bad modes rejected without changing it.
static void test_hopper_switch() {
  int before = -9;
  CHECK(sk_hopper_kernels(SK_HOPPER_QUERY, &before) == SK_OK, "query");
  CHECK(before >= SK_HOPPER_OFF && before <= SK_HOPPER_TMA, "mode %d", before);
  // The default since the TMA kernels measured fastest (hopper.cpp); the environment variable overrides it.
  if (getenv("SPARSEKERNELS_HOPPER") == nullptr) CHECK(before == SK_HOPPER_TMA, "default mode %d, want tma", before);
  int prev = -9;
  CHECK(sk_hopper_kernels(SK_HOPPER_OFF, &prev) == SK_OK && prev == before, "set off, previous %d", prev);
  CHECK(sk_hopper_kernels(SK_HOPPER_TMA, &prev) == SK_OK && prev == SK_HOPPER_OFF, "set tma, previous %d", prev);
  CHECK(sk_hopper_kernels(SK_HOPPER_EXPERIMENTAL, &prev) == SK_OK && prev == SK_HOPPER_TMA, "previous %d", prev);
  CHECK(sk_hopper_kernels(4, &prev) == SK_ERR_INVALID_ARGUMENT, "mode 4 rejected");
  CHECK(strstr(sk_last_error(), "mode") != nullptr, "message names the mode: %s", sk_last_error());
  CHECK(sk_hopper_kernels(-2, nullptr) == SK_ERR_INVALID_ARGUMENT, "mode -2 rejected");
  CHECK(sk_hopper_kernels(SK_HOPPER_QUERY, &prev) == SK_OK && prev == SK_HOPPER_EXPERIMENTAL,
        "a rejected mode leaves the setting, got %d", prev);
  CHECK(sk_hopper_kernels(before, nullptr) == SK_OK, "restore");
}

int main() {
  test_library();
  test_hopper_switch();
  int count = 0;
  sk_device_count(&count);
  test_gemm_validation(count);
  test_blas_status();
  test_sizes();
  test_worked_example();
  test_padding_and_replay();
  test_random_replay();
  test_pack_rejects();
  test_check_f32();
  test_bsr_check();
  test_bsr_plan();
  test_bsr_gemm_validation(count);
  test_gather_check();
  test_gather_validation(count);
  test_channel_stats_validation(count);
  test_attention_validation(count);
  if (g_failures != 0) {
    fprintf(stderr, "sk_host_test: %d of %d checks FAILED\n", g_failures, g_checks);
    return 1;
  }
  printf("sk_host_test: all %d checks passed\n", g_checks);
  return 0;
}
