// GPU-host check of the Hopper BSR GEMM (sk_experimental_bsr_gemm_sm90, wgmma, 64x64 blocks) in a
// process of its own (CMake target sk_gpu_bsr_sm90_selftest): a wrong descriptor can fault and poison the CUDA
// context, and that must not take the verified kernels' self-test down with it.
// Cases: random BSR structures (empty block rows, one fully dense block row, all blocks, no blocks at all), tokens
// 1, 7, 129 and larger, both input dtypes, both output types, with and without bias, Y both pair-aligned and offset
// by one element (the epilogue's two store paths), outputs pre-filled with NaN; against an fp64 host reference
// computed from the dense equivalent of W (every element for small cases, a sample for large ones).
// Then 4096 x 4096 x 4096 at block density 0.1, bf16 in and out (the layout of the recorded H200 bench result):
// ours vs sk_bsr_gemm (mma.sync, with its sk_bsr_plan workspace) vs cuBLAS on the same W stored dense (sk_blas_gemm,
// when the host has cuBLAS); median of 20 launches after 3 warm-ups, no L2 flush (sk_gpu_bench flushes: compare
// ratios, not absolute times, with its records).
// Exit status: 0 all cases passed, 1 a case failed, 2 no sm_90 device or no sm_90a code (SKIP).
#include <cuda_runtime.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <algorithm>
#include <random>
#include <vector>

#include "selftest_support.cuh"
#include "sparsekernels.h"

namespace {

// "" for the cp.async pass (sk_hopper_kernels on), a tag for the experimental one (256-token CTAs) and for the
// default one (tma: the persistent TMA kernel).
const char* g_variant = "";
int g_bsr_variant = SK_BSR_SM90_DISPATCH;  // the kernel run (sk_experimental_bsr_gemm_sm90_variant)

using sk_selftest::DeviceBuf;
using sk_selftest::dtype_name;
using sk_selftest::from_bits;
using sk_selftest::to_bits;

constexpr int BS = 64;  // the only block shape of the kernel under test

enum Pattern { kRandom, kDenseRow, kAll, kNone };
const char* pattern_name(int p) {
  return p == kRandom ? "random+empty" : p == kDenseRow ? "dense row" : p == kAll ? "all blocks" : "no blocks";
}

// A BSR structure on the host: row pointers, ascending column indices, values [blocks][64][64] in dtype bits.
struct HostBsr {
  int64_t nbr = 0, nbc = 0;
  std::vector<int32_t> rp, ci;
  std::vector<uint16_t> vals;
  int64_t blocks() const { return (int64_t)ci.size(); }
};

// kRandom: every 4th block row (r % 4 == 2) empty, others keep each block with probability `density`;
// kDenseRow: as kRandom plus block row nbr / 2 fully dense; kAll: every block; kNone: no blocks.
HostBsr make_structure(std::mt19937& rng, int64_t nbr, int64_t nbc, int pattern, double density, int xd) {
  std::uniform_real_distribution<float> uni(-1.0f, 1.0f);
  HostBsr h;
  h.nbr = nbr;
  h.nbc = nbc;
  h.rp.push_back(0);
  for (int64_t r = 0; r < nbr; ++r) {
    for (int64_t c = 0; c < nbc; ++c) {
      bool keep = false;
      if (pattern == kAll) keep = true;
      else if (pattern == kNone) keep = false;
      else if (pattern == kDenseRow && r == nbr / 2) keep = true;
      else keep = r % 4 != 2 && (double)(rng() % 1000) < density * 1000;
      if (keep) h.ci.push_back((int32_t)c);
    }
    h.rp.push_back((int32_t)h.ci.size());
  }
  h.vals.resize((size_t)(h.blocks() * BS * BS));
  for (auto& v : h.vals) v = to_bits(uni(rng), xd);
  return h;
}

// The dense equivalent W [out, in] as doubles (zeros outside the stored blocks): what the reference multiplies.
std::vector<double> dense_of(const HostBsr& h, int xd) {
  const int64_t out = h.nbr * BS, in = h.nbc * BS;
  std::vector<double> w((size_t)(out * in), 0.0);
  for (int64_t r = 0; r < h.nbr; ++r)
    for (int64_t b = h.rp[(size_t)r]; b < h.rp[(size_t)r + 1]; ++b)
      for (int i = 0; i < BS; ++i)
        for (int j = 0; j < BS; ++j)
          w[(size_t)((r * BS + i) * in + (int64_t)h.ci[(size_t)b] * BS + j)] =
              from_bits(h.vals[(size_t)((b * BS + i) * BS + j)], xd);
  return w;
}

struct DeviceBsr {
  DeviceBuf rp, ci, vals;
};

bool upload(const HostBsr& h, DeviceBsr& d) {
  SK_CHECK(sk_malloc(&d.rp.p, h.rp.size() * 4));
  SK_CHECK(sk_memcpy_h2d(d.rp.p, h.rp.data(), h.rp.size() * 4, nullptr));
  if (h.blocks() > 0) {
    SK_CHECK(sk_malloc(&d.ci.p, h.ci.size() * 4));
    SK_CHECK(sk_malloc(&d.vals.p, h.vals.size() * 2));
    SK_CHECK(sk_memcpy_h2d(d.ci.p, h.ci.data(), h.ci.size() * 4, nullptr));
    SK_CHECK(sk_memcpy_h2d(d.vals.p, h.vals.data(), h.vals.size() * 2, nullptr));
  }
  return true;
}

bool run_case(std::mt19937& rng, int64_t tokens, int64_t nbr, int64_t nbc, int pattern, double density, int xd,
              int yd, bool with_bias, bool offset_y) {
  std::uniform_real_distribution<float> uni(-1.0f, 1.0f);
  const int64_t out = nbr * BS, in = nbc * BS;
  const HostBsr h = make_structure(rng, nbr, nbc, pattern, density, xd);
  SK_CHECK(sk_bsr_check(h.rp.data(), h.ci.data(), h.blocks(), BS, BS, out, in));
  std::vector<uint16_t> x((size_t)(tokens * in));
  for (auto& v : x) v = to_bits(uni(rng), xd);
  std::vector<float> bias((size_t)out);
  for (auto& v : bias) v = uni(rng);

  const size_t esize = yd == SK_DTYPE_F32 ? 4 : 2;
  const size_t ybytes = (size_t)(tokens * out) * esize;
  // offset_y: Y starts one element into its buffer, so it is aligned to an element but not to a pair of them.
  const size_t yoff = offset_y ? esize : 0;
  DeviceBsr d;
  DeviceBuf dx, db, dy;
  if (!upload(h, d)) return false;
  SK_CHECK(sk_malloc(&dx.p, x.size() * 2));
  SK_CHECK(sk_malloc(&db.p, bias.size() * 4));
  SK_CHECK(sk_malloc(&dy.p, ybytes + yoff));
  SK_CHECK(sk_memcpy_h2d(dx.p, x.data(), x.size() * 2, nullptr));
  SK_CHECK(sk_memcpy_h2d(db.p, bias.data(), bias.size() * 4, nullptr));
  if (cudaMemset(dy.p, 0xff, ybytes + yoff) != cudaSuccess) return false;  // NaN in f32, f16 and bf16
  void* y = (uint8_t*)dy.p + yoff;
  const float* bptr = with_bias ? (const float*)db.p : nullptr;
  SK_CHECK(sk_experimental_bsr_gemm_sm90_variant(dx.p, xd, (const int32_t*)d.rp.p, (const int32_t*)d.ci.p,
                                                 d.vals.p, h.blocks(), BS, BS, nullptr, bptr, y, yd, tokens, in, out,
                                                 g_bsr_variant, nullptr));
  SK_CHECK(sk_stream_synchronize(nullptr));
  std::vector<uint8_t> got(ybytes);
  SK_CHECK(sk_memcpy_d2h(got.data(), y, ybytes, nullptr));

  const std::vector<double> w = dense_of(h, xd);
  std::vector<double> xs(x.size());
  for (size_t i = 0; i < x.size(); ++i) xs[i] = from_bits(x[i], xd);
  const int64_t total = tokens * out;
  const bool full = tokens * in * out <= (int64_t)1 << 27;
  const int64_t checks = full ? total : 8192;
  const double rel_acc = 1e-4, rel_out = yd == SK_DTYPE_F32 ? 0.0 : yd == SK_DTYPE_F16 ? 1.0 / 1024 : 1.0 / 128;
  int bad = 0;
  double worst = 0;
  for (int64_t c = 0; c < checks; ++c) {
    const int64_t i = full ? c : (int64_t)(rng() % (uint64_t)total);
    const int64_t n = i / out, m = i % out;
    double ref = with_bias ? bias[(size_t)m] : 0.0, mag = fabs(ref);
    const double* wr = w.data() + m * in;
    const double* xr = xs.data() + n * in;
    for (int64_t k = 0; k < in; ++k) {
      const double p = xr[k] * wr[k];
      ref += p;
      mag += fabs(p);
    }
    const double v = sk_selftest::output_at(got, i, yd), tol = 1e-6 + rel_acc * mag + rel_out * fabs(ref);
    const double err = fabs(v - ref);
    if (!(err <= tol)) {
      if (bad++ < 3)
        fprintf(stderr, "  y[%lld][%lld] (block row %lld) = %g, want %g\n", (long long)n, (long long)m,
                (long long)(m / BS), v, ref);
    }
    worst = fmax(worst, err / tol);
  }
  printf("%s bsr sm90 tokens=%-5lld out=%-5lld in=%-5lld blocks=%-5lld %-12s x=%-4s y=%-4s%s%s: %d of %lld elements "
         "wrong, err/tol %.3f [%s]%s\n",
         bad == 0 ? "PASS" : "FAIL", (long long)tokens, (long long)out, (long long)in, (long long)h.blocks(),
         pattern_name(pattern), dtype_name(xd), dtype_name(yd), with_bias ? " +bias" : "",
         offset_y ? " y+1" : "", bad, (long long)checks, worst, full ? "all elements" : "sampled", g_variant);
  return bad == 0;
}

// Global block pruning as sk_gpu_bench does it: round(density * cells) blocks chosen uniformly over the matrix.
HostBsr make_pruned(int64_t nbr, int64_t nbc, double density, int xd, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> uni(-1.0f, 1.0f);
  const int64_t cells = nbr * nbc, keep = std::max<int64_t>(1, std::llround(density * (double)cells));
  std::vector<int64_t> order((size_t)cells);
  for (int64_t i = 0; i < cells; ++i) order[(size_t)i] = i;
  for (int64_t i = 0; i < keep; ++i) std::swap(order[(size_t)i], order[(size_t)(i + (int64_t)(rng() % (uint64_t)(cells - i)))]);
  std::sort(order.begin(), order.begin() + keep);  // row-major block order = BSR order
  HostBsr h;
  h.nbr = nbr;
  h.nbc = nbc;
  h.rp.assign((size_t)nbr + 1, 0);
  h.ci.resize((size_t)keep);
  for (int64_t n = 0; n < keep; ++n) {
    h.ci[(size_t)n] = (int32_t)(order[(size_t)n] % nbc);
    ++h.rp[(size_t)(order[(size_t)n] / nbc) + 1];
  }
  for (int64_t r = 0; r < nbr; ++r) h.rp[(size_t)r + 1] += h.rp[(size_t)r];
  h.vals.resize((size_t)(keep * BS * BS));
  for (auto& v : h.vals) v = to_bits(uni(rng), xd);
  return h;
}

// 4096^3, density 0.1, x = y = bf16: ours (g_bsr_variant; its dispatch in `mode`: on = 128-token CTAs,
// experimental = 256), sk_bsr_gemm and cuBLAS dense; checks ours against sk_bsr_gemm first.
bool time_4096(int mode) {
  const int64_t t = 4096, k = 4096, m = 4096;
  const int xd = SK_DTYPE_BF16, yd = SK_DTYPE_BF16;
  const double density = 0.1;
  const HostBsr h = make_pruned(m / BS, k / BS, density, xd, 41);
  std::vector<uint16_t> dense((size_t)(m * k), 0);
  for (int64_t r = 0; r < h.nbr; ++r)
    for (int64_t b = h.rp[(size_t)r]; b < h.rp[(size_t)r + 1]; ++b)
      for (int i = 0; i < BS; ++i)
        memcpy(&dense[(size_t)((r * BS + i) * k + (int64_t)h.ci[(size_t)b] * BS)], &h.vals[(size_t)((b * BS + i) * BS)],
               BS * 2);
  std::vector<uint16_t> x((size_t)(t * k));
  std::mt19937 rng(7);
  std::uniform_real_distribution<float> uni(-1.0f, 1.0f);
  for (auto& v : x) v = to_bits(uni(rng), xd);
  int64_t ws_bytes = 0;
  SK_CHECK(sk_bsr_workspace_size(h.rp.data(), h.blocks(), BS, BS, t, m, &ws_bytes));
  std::vector<uint8_t> ws((size_t)ws_bytes);
  SK_CHECK(sk_bsr_plan(h.rp.data(), h.blocks(), BS, BS, t, m, ws_bytes ? ws.data() : nullptr, ws_bytes));

  DeviceBsr d;
  DeviceBuf dx, dw, dws, dy0, dy1;
  if (!upload(h, d)) return false;
  const size_t ybytes = (size_t)(t * m) * 2;
  SK_CHECK(sk_malloc(&dx.p, x.size() * 2));
  SK_CHECK(sk_malloc(&dw.p, dense.size() * 2));
  SK_CHECK(sk_malloc(&dy0.p, ybytes));
  SK_CHECK(sk_malloc(&dy1.p, ybytes));
  if (ws_bytes) {
    SK_CHECK(sk_malloc(&dws.p, (size_t)ws_bytes));
    SK_CHECK(sk_memcpy_h2d(dws.p, ws.data(), (size_t)ws_bytes, nullptr));
  }
  SK_CHECK(sk_memcpy_h2d(dx.p, x.data(), x.size() * 2, nullptr));
  SK_CHECK(sk_memcpy_h2d(dw.p, dense.data(), dense.size() * 2, nullptr));

  const int32_t* rp = (const int32_t*)d.rp.p;
  const int32_t* ci = (const int32_t*)d.ci.p;
  const int64_t nb = h.blocks();
  auto run = [&](int which, void* y) {
    // sk_bsr_gemm would itself take the wgmma kernel here (no workspace for this structure): forced to mma.sync, the
    // reference and the baseline. sk_experimental_bsr_gemm_sm90 runs wgmma whatever the mode, its variant per mode.
    sk_selftest::HopperMode scope(which == 0 ? mode : SK_HOPPER_OFF);
    if (which == 0)
      return sk_experimental_bsr_gemm_sm90_variant(dx.p, xd, rp, ci, d.vals.p, nb, BS, BS, nullptr, nullptr, y, yd, t,
                                                   k, m, g_bsr_variant, nullptr);
    if (which == 1) return sk_bsr_gemm(dx.p, xd, rp, ci, d.vals.p, nb, BS, BS, dws.p, nullptr, y, yd, t, k, m, nullptr);
    return sk_blas_gemm(dx.p, xd, dw.p, nullptr, y, yd, t, k, m, nullptr);
  };

  // Same W, same X: ours against the verified mma.sync kernel, max |a - b| / max |b| (both round to bf16).
  SK_CHECK(run(0, dy0.p));
  SK_CHECK(run(1, dy1.p));
  SK_CHECK(sk_stream_synchronize(nullptr));
  std::vector<uint8_t> a(ybytes), b(ybytes);
  SK_CHECK(sk_memcpy_d2h(a.data(), dy0.p, ybytes, nullptr));
  SK_CHECK(sk_memcpy_d2h(b.data(), dy1.p, ybytes, nullptr));
  double diff = 0, scale = 0;
  for (int64_t i = 0; i < t * m; ++i) {
    const double va = sk_selftest::output_at(a, i, yd), vb = sk_selftest::output_at(b, i, yd);
    diff = fmax(diff, fabs(va - vb));
    scale = fmax(scale, fabs(vb));
    if (va != va) diff = INFINITY;  // NaN
  }
  const double rel = scale > 0 ? diff / scale : diff;
  const bool same = rel <= 2.0 / 128;
  printf("%s bsr sm90 4096^3 64x64 density %.2f x=bf16 y=bf16 vs sk_bsr_gemm: max rel err %.2e (tol %.0e)%s\n",
         same ? "PASS" : "FAIL", density, rel, 2.0 / 128, g_variant);
  if (!same) return false;

  const char* plain = getenv("SPARSEKERNELS_BSR_ORDER");
  const char* names[] = {g_bsr_variant == SK_BSR_SM90_TMA_256 ? "wgmma bsr TMA persistent 256-token (sm90, experimental)"
                         : mode == SK_HOPPER_TMA && plain != nullptr ? "wgmma bsr TMA persistent, plain item order (sm90)"
                         : mode == SK_HOPPER_TMA            ? "wgmma bsr TMA persistent (sm90, default)"
                         : mode == SK_HOPPER_EXPERIMENTAL ? "wgmma bsr 256-token CTAs (sm90, experimental)"
                                                          : "wgmma bsr cp.async (sm90, mode on)",
                         "sk_bsr_gemm (mma.sync)", "cuBLAS dense"};
  double ms_of[3] = {0, 0, 0};
  const bool blas = sk_blas_status() == SK_OK;
  for (int which = 0; which < 3; ++which) {
    if (which == 2 && !blas) {
      printf("TIME %s: not measured (%s)\n", names[which], sk_last_error());
      continue;
    }
    const double ms = sk_selftest::median_call_ms([&]() { return run(which, dy0.p); });
    if (ms < 0) {
      printf("TIME %s: failed: %s\n", names[which], sk_last_error());
      continue;
    }
    ms_of[which] = ms;
    // Effective: the dense FLOP count, so the three rows compare as speeds of the same product.
    printf("TIME %s 4096^3 bsr 64x64 density %.2f (%lld blocks) x=bf16 y=bf16: %.4f ms, %.1f effective TFLOP/s\n",
           names[which], density, (long long)nb, ms_of[which], 2.0 * t * k * m / (ms_of[which] * 1e-3) / 1e12);
  }
  if (ms_of[0] > 0 && ms_of[1] > 0) printf("RATIO wgmma bsr / sk_bsr_gemm speed: %.2fx\n", ms_of[1] / ms_of[0]);
  if (ms_of[0] > 0 && ms_of[2] > 0)
    printf("RATIO wgmma bsr / cuBLAS dense speed: %.2fx (target 4x; sk_bsr_gemm was 1.56x on an H200)\n",
           ms_of[2] / ms_of[0]);
  return true;
}

}  // namespace

int main() {
  int count = 0, cap = 0;
  sk_device_count(&count);
  if (count == 0 || sk_device_capability(0, &cap) != SK_OK || cap != 90) {
    printf("SKIP: bsr sm90: needs an sm_90 device (found %d devices, sm_%d)\n", count, cap);
    return 2;
  }
  {
    // A real (tiny) launch: one block row without blocks, so only bias-or-zero stores run.
    DeviceBuf px, prp, py;
    const int32_t rp[2] = {0, 0};
    if (sk_malloc(&px.p, 256) || sk_malloc(&prp.p, 256) || sk_malloc(&py.p, 256) ||
        sk_memcpy_h2d(prp.p, rp, sizeof rp, nullptr)) {
      printf("FAIL: bsr sm90: sk_malloc: %s\n", sk_last_error());
      return 1;
    }
    int rc = sk_experimental_bsr_gemm_sm90(px.p, SK_DTYPE_BF16, (const int32_t*)prp.p, nullptr, nullptr, 0, BS, BS,
                                           nullptr, nullptr, py.p, SK_DTYPE_F32, 1, 64, 64, nullptr);
    if (rc == SK_ERR_UNSUPPORTED) {
      printf("SKIP: bsr sm90: %s\n", sk_last_error());
      return 2;
    }
    if (rc != SK_OK || sk_stream_synchronize(nullptr) != SK_OK) {
      printf("FAIL: bsr sm90: first launch: %s\n", sk_last_error());
      return 1;
    }
  }
  struct Case { int64_t tokens, nbr, nbc; int pattern; double density; };
  const Case cases[] = {
      {1, 6, 5, kRandom, 0.5},    {7, 6, 5, kDenseRow, 0.3},   {129, 8, 6, kRandom, 0.4},
      {129, 4, 7, kAll, 1.0},     {64, 3, 4, kNone, 0.0},      {128, 5, 9, kDenseRow, 0.2},
      {200, 12, 10, kRandom, 0.3}, {1000, 32, 32, kRandom, 0.15}, {4096, 64, 64, kDenseRow, 0.1},
  };
  // The cp.async 128-token CTAs (mode on), then (lines tagged) the experimental mode's 256-token ones, then the
  // persistent TMA kernel, the default (last: a transaction count that never completes traps, and a trap poisons the
  // context); the exit status is the cp.async and default passes'.
  int failed_verified = 0;
  struct Pass { int mode, variant; const char* tag; bool plain_order; };
  // The last pass: the default kernel with the item order before session 16 (SPARSEKERNELS_BSR_ORDER=plain), to time
  // the balanced order against.
  const Pass passes[] = {{SK_HOPPER_ON, SK_BSR_SM90_DISPATCH, "", false},
                         {SK_HOPPER_EXPERIMENTAL, SK_BSR_SM90_DISPATCH, " [256-token CTAs, experimental]", false},
                         {SK_HOPPER_TMA, SK_BSR_SM90_DISPATCH, " [TMA persistent, default]", false},
                         {SK_HOPPER_TMA, SK_BSR_SM90_TMA_256, " [TMA persistent 256-token, experimental]", false},
                         {SK_HOPPER_TMA, SK_BSR_SM90_DISPATCH, " [TMA persistent, plain item order]", true}};
  for (const Pass& pass : passes) {
    const int mode = pass.mode;
    sk_selftest::HopperMode scope(mode);
    if (pass.plain_order) setenv("SPARSEKERNELS_BSR_ORDER", "plain", 1);
    else unsetenv("SPARSEKERNELS_BSR_ORDER");
    g_variant = pass.tag;
    g_bsr_variant = pass.variant;
    std::mt19937 rng(90);
    int failed = 0, total = 0, combo = 0;
    for (const Case& c : cases) {
      for (int rep = 0; rep < 2; ++rep, ++combo) {
        const int xd = (combo & 1) ? SK_DTYPE_BF16 : SK_DTYPE_F16;
        const int yd = (combo & 2) ? xd : SK_DTYPE_F32;
        const bool bias = combo % 3 != 2, offset_y = combo % 5 == 3;
        ++total;
        if (!run_case(rng, c.tokens, c.nbr, c.nbc, c.pattern, c.density, xd, yd, bias, offset_y)) ++failed;
        if (cudaGetLastError() != cudaSuccess) break;
      }
    }
    printf("%s: bsr sm90%s: %d of %d cases passed\n", failed == 0 ? "PASS" : "FAIL", g_variant, total - failed, total);
    if (failed == 0 && !time_4096(mode)) failed = 1;
    if (mode != SK_HOPPER_EXPERIMENTAL && pass.variant != SK_BSR_SM90_TMA_256) failed_verified += failed;
    if (cudaGetLastError() != cudaSuccess) break;
  }
  return failed_verified == 0 ? 0 : 1;
}
