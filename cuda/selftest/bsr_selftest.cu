// GPU self-check of sk_bsr_gemm, part of sk_gpu_selftest (called from sparse24_selftest.cu's main).
// Random BSR matrices (block shapes 16/32/64 square and rectangular; structures with empty block rows, no blocks at
// all, fully dense, one very long block row among short ones) against an fp64 host reference of the same
// f16/bf16-rounded inputs; each case runs with the schedule from sk_bsr_plan (when it needs one) and without a
// workspace, outputs pre-filled with NaN, and the planned run is repeated to check the result is bit-identical.
#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_runtime.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <random>
#include <vector>

#include "sparsekernels.h"
#include "selftest_support.cuh"

namespace {

using sk_selftest::from_bits;
using sk_selftest::to_bits;



const char* dname(int d) { return d == SK_DTYPE_F32 ? "f32" : d == SK_DTYPE_F16 ? "f16" : "bf16"; }

struct Buf {
  void* p = nullptr;
  ~Buf() { sk_free(p); }
};

enum { kRandom, kNone, kDense, kLongRow };
const char* pname(int p) { return p == kRandom ? "random+empty" : p == kNone ? "no blocks" : p == kDense ? "dense" : "long row"; }

bool bsr_case(std::mt19937& rng, int64_t tokens, int br, int bc, int64_t nbr, int64_t nbc, int pattern, double density,
              int xd, int yd, bool with_bias) {
  std::uniform_real_distribution<float> uni(-1.0f, 1.0f);
  const int64_t out = nbr * br, in = nbc * bc;
  std::vector<int32_t> rp(1, 0), ci;
  const int64_t long_row = (int64_t)(rng() % (uint64_t)nbr);
  for (int64_t r = 0; r < nbr; ++r) {
    for (int64_t c = 0; c < nbc; ++c) {
      bool keep;
      switch (pattern) {
        case kNone: keep = false; break;
        case kDense: keep = true; break;
        case kLongRow: keep = r == long_row || (c == (r * 7) % nbc && r % 3 != 1); break;
        default: keep = r % 4 != 2 && (double)(rng() % 1000) < density * 1000; break;
      }
      if (keep) ci.push_back((int32_t)c);
    }
    rp.push_back((int32_t)ci.size());
  }
  const int64_t blocks = (int64_t)ci.size();
  SK_CHECK(sk_bsr_check(rp.data(), ci.data(), blocks, br, bc, out, in));
  std::vector<uint16_t> vals((size_t)(blocks * br * bc)), x((size_t)(tokens * in));
  for (auto& v : vals) v = to_bits(uni(rng), xd);
  for (auto& v : x) v = to_bits(uni(rng), xd);
  std::vector<float> bias((size_t)out);
  for (auto& v : bias) v = uni(rng);

  int64_t ws_bytes = 0;
  SK_CHECK(sk_bsr_workspace_size(rp.data(), blocks, br, bc, tokens, out, &ws_bytes));
  std::vector<uint8_t> ws((size_t)ws_bytes);
  SK_CHECK(sk_bsr_plan(rp.data(), blocks, br, bc, tokens, out, ws_bytes ? ws.data() : nullptr, ws_bytes));

  const size_t ybytes = (size_t)(tokens * out) * (yd == SK_DTYPE_F32 ? 4 : 2);
  Buf dx, drp, dci, dv, db, dws, dy1, dy2, dy3;
  SK_CHECK(sk_malloc(&dx.p, x.size() * 2));
  SK_CHECK(sk_malloc(&drp.p, rp.size() * 4));
  if (blocks > 0) {
    SK_CHECK(sk_malloc(&dci.p, ci.size() * 4));
    SK_CHECK(sk_malloc(&dv.p, vals.size() * 2));
    SK_CHECK(sk_memcpy_h2d(dci.p, ci.data(), ci.size() * 4, nullptr));
    SK_CHECK(sk_memcpy_h2d(dv.p, vals.data(), vals.size() * 2, nullptr));
  }
  SK_CHECK(sk_malloc(&db.p, bias.size() * 4));
  if (ws_bytes) {
    SK_CHECK(sk_malloc(&dws.p, (size_t)ws_bytes));
    SK_CHECK(sk_memcpy_h2d(dws.p, ws.data(), (size_t)ws_bytes, nullptr));
  }
  SK_CHECK(sk_malloc(&dy1.p, ybytes));
  SK_CHECK(sk_malloc(&dy2.p, ybytes));
  SK_CHECK(sk_malloc(&dy3.p, ybytes));
  SK_CHECK(sk_memcpy_h2d(dx.p, x.data(), x.size() * 2, nullptr));
  SK_CHECK(sk_memcpy_h2d(drp.p, rp.data(), rp.size() * 4, nullptr));
  SK_CHECK(sk_memcpy_h2d(db.p, bias.data(), bias.size() * 4, nullptr));
  for (void* p : {dy1.p, dy2.p, dy3.p})
    if (cudaMemset(p, 0xff, ybytes) != cudaSuccess) return false;  // NaN in f32, f16 and bf16
  const float* bp = with_bias ? (const float*)db.p : nullptr;
  auto run = [&](void* ws_dev, void* y) {
    return sk_bsr_gemm(dx.p, xd, (const int32_t*)drp.p, (const int32_t*)dci.p, dv.p, blocks, br, bc, ws_dev, bp, y,
                       yd, tokens, in, out, nullptr);
  };
  SK_CHECK(run(dws.p, dy1.p));
  SK_CHECK(run(nullptr, dy2.p));
  SK_CHECK(run(dws.p, dy3.p));
  SK_CHECK(sk_stream_synchronize(nullptr));
  std::vector<uint8_t> y1(ybytes), y2(ybytes), y3(ybytes);
  SK_CHECK(sk_memcpy_d2h(y1.data(), dy1.p, ybytes, nullptr));
  SK_CHECK(sk_memcpy_d2h(y2.data(), dy2.p, ybytes, nullptr));
  SK_CHECK(sk_memcpy_d2h(y3.data(), dy3.p, ybytes, nullptr));
  const bool deterministic = memcmp(y1.data(), y3.data(), ybytes) == 0;

  auto get = [&](const std::vector<uint8_t>& b, int64_t i) -> double {
    if (yd == SK_DTYPE_F32) {
      float f;
      memcpy(&f, b.data() + 4 * i, 4);
      return f;
    }
    uint16_t h;
    memcpy(&h, b.data() + 2 * i, 2);
    return from_bits(h, yd);
  };
  // Reference: per block row, only its stored blocks (zero elsewhere by definition).
  const double rel_out = yd == SK_DTYPE_F32 ? 0.0 : yd == SK_DTYPE_F16 ? 1.0 / 1024 : 1.0 / 128;
  int bad1 = 0, bad2 = 0;
  double worst = 0;
  const bool full = tokens * out * (in / 4 + 1) <= ((int64_t)1 << 27);
  const int64_t total = tokens * out, checks = full ? total : 8192;
  for (int64_t c = 0; c < checks; ++c) {
    const int64_t i = full ? c : (int64_t)(rng() % (uint64_t)total);
    const int64_t n = i / out, m = i % out, R = m / br, row = m % br;
    double ref = with_bias ? bias[(size_t)m] : 0.0, mag = fabs(ref);
    for (int64_t b = rp[(size_t)R]; b < rp[(size_t)R + 1]; ++b)
      for (int j = 0; j < bc; ++j) {
        const double p = (double)from_bits(vals[(size_t)((b * br + row) * bc + j)], xd) *
                         (double)from_bits(x[(size_t)(n * in + (int64_t)ci[(size_t)b] * bc + j)], xd);
        ref += p;
        mag += fabs(p);
      }
    const double tol = 1e-6 + 1e-4 * mag + rel_out * fabs(ref);
    const double e1 = fabs(get(y1, i) - ref), e2 = fabs(get(y2, i) - ref);
    if (!(e1 <= tol) && bad1++ < 3)
      fprintf(stderr, "  bsr(plan) y[%lld][%lld] = %g, want %g\n", (long long)n, (long long)m, get(y1, i), ref);
    if (!(e2 <= tol) && bad2++ < 3)
      fprintf(stderr, "  bsr(no ws) y[%lld][%lld] = %g, want %g\n", (long long)n, (long long)m, get(y2, i), ref);
    worst = fmax(worst, fmax(e1, e2) / tol);
  }
  const bool ok = bad1 == 0 && bad2 == 0 && deterministic;
  printf("%s BSR tokens=%-5lld %2dx%-2d out=%-5lld in=%-5lld blocks=%-6lld %-12s x=%-4s y=%-4s bias=%d ws=%lld B "
         "err/tol %.3f (plan %d bad, no-ws %d bad)%s [%s]\n",
         ok ? "PASS" : "FAIL", (long long)tokens, br, bc, (long long)out, (long long)in, (long long)blocks,
         pname(pattern), dname(xd), dname(yd), with_bias ? 1 : 0, (long long)ws_bytes, worst, bad1, bad2,
         deterministic ? "" : " NOT DETERMINISTIC", full ? "all elements" : "8192 sampled");
  return ok;
}

}  // namespace

// Runs the BSR cases; adds to total / failed.
void bsr_selftest(int& total, int& failed) {
  std::mt19937 rng(77);
  const int64_t tokens_list[] = {1, 7, 33, 130};
  const int shapes[][2] = {{16, 16}, {32, 32}, {64, 64}, {16, 64}, {64, 32}};
  int variant = 0;
  for (int64_t t : tokens_list)
    for (auto& s : shapes)
      for (int pattern = 0; pattern < 4; ++pattern) {
        const int xd = (variant & 1) ? SK_DTYPE_BF16 : SK_DTYPE_F16;
        const int yd = (variant & 2) ? xd : SK_DTYPE_F32;
        const bool bias = variant % 3 != 2;
        ++variant;
        ++total;
        const int64_t nbr = pattern == kLongRow ? 8 : 6, nbc = pattern == kLongRow ? 20 : 9;
        if (!bsr_case(rng, t, s[0], s[1], nbr, nbc, pattern, 0.35, xd, yd, bias)) ++failed;
      }
  // Model-sized: 4096 x 4096, block 64 and 32 at density 0.1 with a long row, 512 and 1 tokens; bigger grids.
  struct Big { int64_t t; int br, bc; int64_t nbr, nbc; int pattern; double density; int xd, yd; };
  const Big big[] = {{512, 64, 64, 64, 64, kRandom, 0.1, SK_DTYPE_BF16, SK_DTYPE_BF16},
                     {1, 64, 64, 64, 64, kRandom, 0.1, SK_DTYPE_BF16, SK_DTYPE_F32},
                     {512, 32, 32, 128, 128, kLongRow, 0.0, SK_DTYPE_F16, SK_DTYPE_F32},
                     {300, 16, 64, 256, 64, kRandom, 0.3, SK_DTYPE_F16, SK_DTYPE_F16},
                     {4096, 64, 64, 16, 64, kDense, 1.0, SK_DTYPE_BF16, SK_DTYPE_F32}};
  for (const Big& b : big) {
    ++total;
    if (!bsr_case(rng, b.t, b.br, b.bc, b.nbr, b.nbc, b.pattern, b.density, b.xd, b.yd, true)) ++failed;
  }
}
