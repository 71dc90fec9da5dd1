// GPU-host check of the Hopper kernels and their experimental variants, in processes of their own: a
// wrong descriptor can fault and poison the CUDA context, and that must not take the main self-test (or
// the other Hopper kernel) down with it. `sk_gpu_sm90_selftest dense` checks sk_experimental_dense_gemm_sm90
// (this file), `sk_gpu_sm90_selftest sparse24` checks sk_experimental_sparse24_gemm_sm90 (sm90_sparse24_selftest.cu);
// gpu-check runs each in its own process. Without an argument both run, one after the other, in one process.
//
// Dense (wgmma):
// Cases: random shapes including tails (tokens, out and in not multiples of the 128/128/64 tile), both input dtypes,
// both output types, with and without bias, against an fp64 host reference (every element for small cases, a sample
// for large ones). Then 4096^3 timing against our mma.sync dense kernel and cuBLAS (sk_blas_gemm, when found).
// Exit status: 0 all cases passed, 1 a case failed, 2 no sm_90 device or no sm_90a code (SKIP), 3 bad argument.
#include <cuda_runtime.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <algorithm>
#include <random>
#include <vector>

#include "selftest_support.cuh"
#include "sparsekernels.h"

// The 2:4 kernel's cases (sm90_sparse24_selftest.cu, same target); same exit codes as dense_selftest below.
int sm90_sparse24_selftest();

namespace {

using sk_selftest::dtype_name;
using sk_selftest::from_bits;
using sk_selftest::to_bits;

using sk_selftest::DeviceBuf;

const char* g_tag = "sm90 dense";  // names the variant under test in every PASS/FAIL line

bool run_case(std::mt19937& rng, int64_t tokens, int64_t in, int64_t out, int xd, int yd, bool with_bias) {
  std::uniform_real_distribution<float> uni(-1.0f, 1.0f);
  std::vector<uint16_t> x(tokens * in), w(out * in);
  for (auto& v : x) v = to_bits(uni(rng), xd);
  for (auto& v : w) v = to_bits(uni(rng), xd);
  std::vector<float> bias(out);
  for (auto& v : bias) v = uni(rng);
  const size_t ybytes = (size_t)tokens * out * (yd == SK_DTYPE_F32 ? 4 : 2);
  DeviceBuf dx, dw, db, dy;
  SK_CHECK(sk_malloc(&dx.p, x.size() * 2));
  SK_CHECK(sk_malloc(&dw.p, w.size() * 2));
  SK_CHECK(sk_malloc(&db.p, bias.size() * 4));
  SK_CHECK(sk_malloc(&dy.p, ybytes));
  SK_CHECK(sk_memcpy_h2d(dx.p, x.data(), x.size() * 2, nullptr));
  SK_CHECK(sk_memcpy_h2d(dw.p, w.data(), w.size() * 2, nullptr));
  SK_CHECK(sk_memcpy_h2d(db.p, bias.data(), bias.size() * 4, nullptr));
  const float* bptr = with_bias ? (const float*)db.p : nullptr;
  SK_CHECK(sk_experimental_dense_gemm_sm90(dx.p, xd, dw.p, bptr, dy.p, yd, tokens, in, out, nullptr));
  SK_CHECK(sk_stream_synchronize(nullptr));
  std::vector<uint8_t> y(ybytes);
  SK_CHECK(sk_memcpy_d2h(y.data(), dy.p, ybytes, nullptr));
  auto get = [&](int64_t i) { return sk_selftest::output_at(y, i, yd); };
  const int64_t total = tokens * out;
  const bool full = tokens * in * out <= (int64_t)1 << 26;
  const int64_t checks = full ? total : 4096;
  const double rel_acc = 1e-4, rel_out = yd == SK_DTYPE_F32 ? 0.0 : yd == SK_DTYPE_F16 ? 1.0 / 1024 : 1.0 / 128;
  int bad = 0;
  for (int64_t c = 0; c < checks; ++c) {
    const int64_t i = full ? c : (int64_t)(rng() % (uint64_t)total);
    const int64_t n = i / out, m = i % out;
    double ref = with_bias ? bias[m] : 0.0, mag = fabs(ref);
    for (int64_t k = 0; k < in; ++k) {
      const double p = (double)from_bits(x[n * in + k], xd) * (double)from_bits(w[m * in + k], xd);
      ref += p;
      mag += fabs(p);
    }
    const double got = get(i);
    if (!(fabs(got - ref) <= 1e-6 + rel_acc * mag + rel_out * fabs(ref))) {
      if (bad++ < 3) fprintf(stderr, "  y[%lld][%lld] = %g, want %g\n", (long long)n, (long long)m, got, ref);
    }
  }
  printf("%s %s tokens=%lld in=%lld out=%lld x=%s y=%s%s: %d of %lld elements wrong\n",
         bad == 0 ? "PASS" : "FAIL", g_tag, (long long)tokens, (long long)in, (long long)out, dtype_name(xd),
         dtype_name(yd), with_bias ? " +bias" : "", bad, (long long)checks);
  return bad == 0;
}

// tokens x 4096 x 4096, x in xd, y f32: ours (wgmma, verified), ours (wgmma with one MMA group in flight,
// experimental), ours (mma.sync) and cuBLAS, median of 20 launches after 3 warm-ups. The token counts bracket the
// dispatch threshold (sk_dense_gemm takes the wgmma kernel above 64 tokens).
void time_dense(int64_t t, int xd) {
  const int64_t k = 4096, m = 4096;
  DeviceBuf dx, dw, dy;
  if (sk_malloc(&dx.p, t * k * 2) || sk_malloc(&dw.p, m * k * 2) || sk_malloc(&dy.p, t * m * 4)) return;
  std::vector<uint16_t> h(std::max(t, m) * k);
  std::mt19937 rng(7);
  std::uniform_real_distribution<float> uni(-1.0f, 1.0f);
  for (auto& v : h) v = to_bits(uni(rng), xd);
  sk_memcpy_h2d(dx.p, h.data(), t * k * 2, nullptr);
  sk_memcpy_h2d(dw.p, h.data(), m * k * 2, nullptr);
  if (sk_blas_status() != SK_OK) printf("TIME cuBLAS: not measured (%s)\n", sk_last_error());
  auto wgmma = [&]() { return sk_experimental_dense_gemm_sm90(dx.p, xd, dw.p, nullptr, dy.p, SK_DTYPE_F32, t, k, m, nullptr); };
  const sk_selftest::Timed v[] = {
      {"wgmma (sm90)", SK_HOPPER_ON, wgmma},
      {"wgmma inflight (sm90)", SK_HOPPER_EXPERIMENTAL, wgmma},
      {"mma.sync", SK_HOPPER_OFF, [&]() { return sk_dense_gemm(dx.p, xd, dw.p, nullptr, dy.p, SK_DTYPE_F32, t, k, m, nullptr); }},
      {"cuBLAS", SK_HOPPER_ON, [&]() { return sk_blas_gemm(dx.p, xd, dw.p, nullptr, dy.p, SK_DTYPE_F32, t, k, m, nullptr); }}};
  double ms[4];
  char shape[96];
  snprintf(shape, sizeof shape, "%lldx4096x4096 x=%s y=f32", (long long)t, dtype_name(xd));
  sk_selftest::time_and_compare(shape, 2.0 * t * k * m, "TFLOP/s", v, ms);
}

// All cases under one sk_hopper_kernels mode; returns how many failed.
int dense_cases(int mode, int* total) {
  sk_selftest::HopperMode scope(mode);
  g_tag = mode == SK_HOPPER_EXPERIMENTAL ? "sm90 dense inflight" : "sm90 dense";
  std::mt19937 rng(90);
  const int64_t shapes[][3] = {{128, 64, 128}, {1, 8, 8},       {7, 40, 96},     {200, 136, 72},
                               {129, 1000, 257}, {256, 512, 384}, {512, 4096, 4096}, {4096, 4096, 4096}};
  auto one = [&](int64_t t, int64_t k, int64_t m, int xd, int yd, bool bias) {
    return run_case(rng, t, k, m, xd, yd, bias);
  };
  const int failed = sk_selftest::run_dtype_combos(shapes, one, total);
  printf("%s: %s: %d of %d cases passed\n", failed == 0 ? "PASS" : "FAIL", g_tag, *total - failed, *total);
  return failed;
}

int dense_selftest() {
  int count = 0, cap = 0;
  sk_device_count(&count);
  if (count == 0 || sk_device_capability(0, &cap) != SK_OK || cap != 90) {
    printf("SKIP: sm90 dense: needs an sm_90 device (found %d devices, sm_%d)\n", count, cap);
    return 2;
  }
  {
    // Real (tiny) buffers: when the kernel is available this probe launches it.
    DeviceBuf px, pw, py;
    if (sk_malloc(&px.p, 256) || sk_malloc(&pw.p, 256) || sk_malloc(&py.p, 256)) {
      printf("FAIL: sm90 dense: sk_malloc: %s\n", sk_last_error());
      return 1;
    }
    int rc = sk_experimental_dense_gemm_sm90(px.p, SK_DTYPE_BF16, pw.p, nullptr, py.p, SK_DTYPE_F32, 1, 8, 8, nullptr);
    if (rc == SK_ERR_UNSUPPORTED) {
      printf("SKIP: sm90 dense: %s\n", sk_last_error());
      return 2;
    }
    if (rc != SK_OK || sk_stream_synchronize(nullptr) != SK_OK) {
      printf("FAIL: sm90 dense: first launch: %s\n", sk_last_error());
      return 1;
    }
  }
  // The verified kernel first; the experimental variant's failures are reported but time only what passed.
  int total = 0;
  const int failed = dense_cases(SK_HOPPER_ON, &total);
  const int failed_inflight = dense_cases(SK_HOPPER_EXPERIMENTAL, &total);
  if (failed == 0 && failed_inflight == 0) {
    for (int64_t t : {4096, 512, 128}) time_dense(t, SK_DTYPE_F16);
    time_dense(4096, SK_DTYPE_BF16);
  }
  return failed == 0 && failed_inflight == 0 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  const char* which = argc > 1 ? argv[1] : "all";
  if (strcmp(which, "dense") == 0) return dense_selftest();
  if (strcmp(which, "sparse24") == 0) return sm90_sparse24_selftest();
  if (strcmp(which, "all") != 0) {
    fprintf(stderr, "usage: %s [dense|sparse24|all]\n", argv[0]);
    return 3;
  }
  const int d = dense_selftest(), s = sm90_sparse24_selftest();
  return d == 1 || s == 1 ? 1 : d == 2 && s == 2 ? 2 : 0;
}
