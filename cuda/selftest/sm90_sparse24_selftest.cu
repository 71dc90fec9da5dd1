// GPU-host check of the Hopper 2:4 GEMM (sk_experimental_sparse24_gemm_sm90, wgmma.mma_async.sp), part of
// sk_gpu_sm90_selftest and run by gpu-check as `sk_gpu_sm90_selftest sparse24`, a process of its own (a bad
// descriptor or metadata word can fault and poison the CUDA context).
// Cases: random 2:4 W (groups with 2, 1 or 0 non-zeros, and groups whose kept values are exactly +-0.0), random X,
// both input dtypes, both output types, with and without bias, against an fp64 host reference (every element for
// small cases, a sample for large ones). Shapes: in = 32 (one k32 step: the first 64 bytes of each swizzled X row)
// and in = 64 (both halves) first, so a wrong k32 descriptor step shows as "32 passes, 64 fails"; then tails in
// tokens (1, 7, 129, 300), out (8, 72, 200, 257: not multiples of 64 or 32) and in (8 = the smallest allowed, 40,
// 136, 1000: odd k32 step counts); last in = 128 (appended so the other shapes keep their dtype combos): k32 steps
// 2 and 3 of one stage, i.e. the smem-A kernel's second X sub-tile and A at +64/+96 bytes. A failing
// case also prints its wrong elements per 16-row warp slice of the 64-row warpgroup tile (metadata/selector bugs hit
// the odd warps, or rows g vs g+8, first).
// Every case runs through each kernel of sk_experimental_sparse24_gemm_sm90_variant that is under trial: the default
// dispatch, the 256-row blocks ("wide"), the decoupled pipeline and both ("wide decoupled"); then t x 4096 x 4096 f16
// timing of those that passed against the mma.sp kernel (sk_sparse24_gemm) and dense cuBLAS (sk_blas_gemm, when
// found).
// Returns 0 all cases passed, 1 a case failed, 2 no sm_90 device or no sm_90a code (SKIP).
#include <cuda_runtime.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <algorithm>
#include <initializer_list>
#include <random>
#include <vector>

#include "selftest_support.cuh"
#include "sparsekernels.h"

namespace {

using sk_selftest::DeviceBuf;

const char* g_tag = "sm90 2:4";  // names the variant under test in every PASS/FAIL line
int g_variant = SK_SPARSE24_SM90_DISPATCH;  // the kernel run_case runs (sk_experimental_sparse24_gemm_sm90_variant)

// The kernels checked and timed, by sk_experimental_sparse24_gemm_sm90_variant's names. The first is the default
// dispatch (verified on an H200); the others were written without a GPU. Wide (256-row blocks, lockstep) comes
// before the decoupled pipelines, whose failure mode could be a hang: see sm90_sparse24_selftest().
struct Variant {
  const char* tag;   // in PASS/FAIL lines
  const char* name;  // in TIME/RATIO lines
  int variant;
};
// The dispatch under sk_hopper_kernels on: the cp.async kernels, the default until the TMA pipelines measured faster.
const Variant kDefault = {"sm90 2:4", "wgmma.sp (sm90, mode on)", SK_SPARSE24_SM90_DISPATCH};
const Variant kWide = {"sm90 2:4 wide", "wgmma.sp wide (sm90)", SK_SPARSE24_SM90_SMEM_A_WIDE};
const Variant kDecoupled = {"sm90 2:4 decoupled", "wgmma.sp decoupled (sm90)", SK_SPARSE24_SM90_SMEM_A_DECOUPLED};
const Variant kWideDecoupled = {"sm90 2:4 wide decoupled", "wgmma.sp wide decoupled (sm90)",
                                SK_SPARSE24_SM90_SMEM_A_WIDE_DECOUPLED};
const Variant kTma = {"sm90 2:4 tma", "wgmma.sp TMA producer (sm90)", SK_SPARSE24_SM90_SMEM_A_TMA};
const Variant kTmaWide = {"sm90 2:4 tma wide", "wgmma.sp TMA wide (sm90)", SK_SPARSE24_SM90_SMEM_A_TMA_WIDE};
const Variant kTmaWidePersistent = {"sm90 2:4 tma wide persistent", "wgmma.sp TMA wide persistent (sm90, experimental)",
                                    SK_SPARSE24_SM90_SMEM_A_TMA_WIDE_PERSISTENT};
const Variant kClusterX = {"sm90 2:4 tma wide cluster 2x1", "wgmma.sp TMA wide, 2x1 clusters share X (sm90, exp.)",
                           SK_SPARSE24_SM90_SMEM_A_TMA_WIDE_CLUSTER_X};
const Variant kClusterW = {"sm90 2:4 tma wide cluster 1x2", "wgmma.sp TMA wide, 1x2 clusters share W (sm90, exp.)",
                           SK_SPARSE24_SM90_SMEM_A_TMA_WIDE_CLUSTER_W};
const Variant kClusterXW = {"sm90 2:4 tma wide cluster 2x2", "wgmma.sp TMA wide, 2x2 clusters (sm90, experimental)",
                            SK_SPARSE24_SM90_SMEM_A_TMA_WIDE_CLUSTER_XW};
const Variant kTmaWideStaged = {"sm90 2:4 tma wide staged", "wgmma.sp TMA wide, staged 16-bit stores (sm90, exp.)",
                                SK_SPARSE24_SM90_SMEM_A_TMA_WIDE_STAGED};
using sk_selftest::dtype_name;
using sk_selftest::from_bits;
using sk_selftest::to_bits;

// A random 2:4 matrix [out, in] as dense bits (for the reference and cuBLAS) and in the GPU layout.
struct Sparse24 {
  std::vector<uint16_t> dense, gpu_values;
  std::vector<uint32_t> gpu_meta;
};

bool make_sparse24(std::mt19937& rng, int64_t out, int64_t in, int xd, Sparse24& s) {
  std::uniform_real_distribution<float> uni(-1.0f, 1.0f);
  s.dense.assign(out * in, 0);
  std::vector<uint16_t> vals(out * in / 2);
  std::vector<uint8_t> idx(out * ((in + 7) / 8), 0);
  const uint16_t neg_zero = to_bits(-0.0f, xd);
  for (int64_t r = 0; r < out; ++r)
    for (int64_t g = 0; g < in / 4; ++g) {
      const uint32_t kind = rng() % 16;  // 0: no non-zero, 1: one, 2: two kept but zero-valued, else two non-zeros
      int p0 = (int)(rng() % 4), p1 = (p0 + 1 + (int)(rng() % 3)) % 4;
      if (p0 > p1) std::swap(p0, p1);
      uint16_t v0 = to_bits(uni(rng), xd), v1 = to_bits(uni(rng), xd);
      if (kind == 0) {
        v0 = v1 = 0;
      } else if (kind == 1) {
        v1 = 0;
      } else if (kind == 2) {
        v0 = neg_zero;  // kept positions that hold zeros: the metadata still names p0, p1
        v1 = 0;
      }
      s.dense[r * in + 4 * g + p0] = v0;
      s.dense[r * in + 4 * g + p1] = v1;
      vals[r * (in / 2) + 2 * g] = v0;
      vals[r * (in / 2) + 2 * g + 1] = v1;
      idx[r * ((in + 7) / 8) + g / 2] |= (uint8_t)((p0 | (p1 << 2)) << (4 * (g & 1)));
    }
  int64_t vc, mw;
  SK_CHECK(sk_sparse24_gpu_sizes(out, in, &vc, &mw));
  s.gpu_values.assign(vc, 0);
  s.gpu_meta.assign(mw, 0);
  SK_CHECK(sk_sparse24_pack(vals.data(), idx.data(), out, in, s.gpu_values.data(), s.gpu_meta.data()));
  return true;
}

bool upload(const Sparse24& s, DeviceBuf& gv, DeviceBuf& gm) {
  SK_CHECK(sk_malloc(&gv.p, s.gpu_values.size() * 2));
  SK_CHECK(sk_malloc(&gm.p, s.gpu_meta.size() * 4));
  SK_CHECK(sk_memcpy_h2d(gv.p, s.gpu_values.data(), s.gpu_values.size() * 2, nullptr));
  SK_CHECK(sk_memcpy_h2d(gm.p, s.gpu_meta.data(), s.gpu_meta.size() * 4, nullptr));
  return true;
}

bool run_case(std::mt19937& rng, int64_t tokens, int64_t in, int64_t out, int xd, int yd, bool with_bias) {
  std::uniform_real_distribution<float> uni(-1.0f, 1.0f);
  Sparse24 w;
  if (!make_sparse24(rng, out, in, xd, w)) return false;
  std::vector<uint16_t> x(tokens * in);
  for (auto& v : x) v = to_bits(uni(rng), xd);
  std::vector<float> bias(out);
  for (auto& v : bias) v = uni(rng);
  const size_t ybytes = (size_t)tokens * out * (yd == SK_DTYPE_F32 ? 4 : 2);
  DeviceBuf dx, dgv, dgm, db, dy;
  if (!upload(w, dgv, dgm)) return false;
  SK_CHECK(sk_malloc(&dx.p, x.size() * 2));
  SK_CHECK(sk_malloc(&db.p, bias.size() * 4));
  SK_CHECK(sk_malloc(&dy.p, ybytes));
  SK_CHECK(sk_memcpy_h2d(dx.p, x.data(), x.size() * 2, nullptr));
  SK_CHECK(sk_memcpy_h2d(db.p, bias.data(), bias.size() * 4, nullptr));
  const float* bptr = with_bias ? (const float*)db.p : nullptr;
  SK_CHECK(sk_experimental_sparse24_gemm_sm90_variant(dx.p, xd, dgv.p, (const uint32_t*)dgm.p, bptr, dy.p, yd, tokens,
                                                      in, out, g_variant, nullptr));
  SK_CHECK(sk_stream_synchronize(nullptr));
  std::vector<uint8_t> y(ybytes);
  SK_CHECK(sk_memcpy_d2h(y.data(), dy.p, ybytes, nullptr));
  const int64_t total = tokens * out;
  const bool full = tokens * in * out <= (int64_t)1 << 26;
  const int64_t checks = full ? total : 4096;
  const double rel_acc = 1e-4, rel_out = yd == SK_DTYPE_F32 ? 0.0 : yd == SK_DTYPE_F16 ? 1.0 / 1024 : 1.0 / 128;
  int bad = 0;
  int64_t bad_slice[4][2] = {{0, 0}, {0, 0}, {0, 0}, {0, 0}};  // [warp (m % 64) / 16][row g or g+8]
  for (int64_t c = 0; c < checks; ++c) {
    const int64_t i = full ? c : (int64_t)(rng() % (uint64_t)total);
    const int64_t n = i / out, m = i % out;
    double ref = with_bias ? bias[m] : 0.0, mag = fabs(ref);
    for (int64_t k = 0; k < in; ++k) {
      const double p = (double)from_bits(x[n * in + k], xd) * (double)from_bits(w.dense[m * in + k], xd);
      ref += p;
      mag += fabs(p);
    }
    const double got = sk_selftest::output_at(y, i, yd);
    if (!(fabs(got - ref) <= 1e-6 + rel_acc * mag + rel_out * fabs(ref))) {
      ++bad_slice[(m % 64) / 16][(m % 16) / 8];
      if (bad++ < 3) fprintf(stderr, "  y[%lld][%lld] = %g, want %g\n", (long long)n, (long long)m, got, ref);
    }
  }
  printf("%s %s tokens=%lld in=%lld out=%lld x=%s y=%s%s: %d of %lld elements wrong\n",
         bad == 0 ? "PASS" : "FAIL", g_tag, (long long)tokens, (long long)in, (long long)out, dtype_name(xd), dtype_name(yd),
         with_bias ? " +bias" : "", bad, (long long)checks);
  if (bad != 0) {
    printf("  wrong per warp slice of the 64-row tile (rows g / g+8): w0 %lld/%lld w1 %lld/%lld w2 %lld/%lld "
           "w3 %lld/%lld\n",
           (long long)bad_slice[0][0], (long long)bad_slice[0][1], (long long)bad_slice[1][0],
           (long long)bad_slice[1][1], (long long)bad_slice[2][0], (long long)bad_slice[2][1],
           (long long)bad_slice[3][0], (long long)bad_slice[3][1]);
  }
  return bad == 0;
}

// Whether a cluster variant can be launched here: sk_experimental_sparse24_gemm_sm90_variant returns
// SK_ERR_UNSUPPORTED, saying why, where the device takes no cluster of its shape; that is a SKIP, not a failure.
bool launchable(const char* tag, int variant) {
  if (variant < SK_SPARSE24_SM90_SMEM_A_TMA_WIDE_CLUSTER_X || variant > SK_SPARSE24_SM90_SMEM_A_TMA_WIDE_CLUSTER_XW)
    return true;
  const int64_t t = 256, k = 64, m = 512;  // a whole 2x2 cluster
  std::mt19937 rng(5);
  Sparse24 w;
  DeviceBuf dx, dgv, dgm, dy;
  std::vector<uint16_t> x(t * k, 0);
  if (!make_sparse24(rng, m, k, SK_DTYPE_F16, w) || !upload(w, dgv, dgm) || sk_malloc(&dx.p, x.size() * 2) ||
      sk_malloc(&dy.p, t * m * 4) || sk_memcpy_h2d(dx.p, x.data(), x.size() * 2, nullptr))
    return true;  // the cases will say what went wrong
  const int rc = sk_experimental_sparse24_gemm_sm90_variant(dx.p, SK_DTYPE_F16, dgv.p, (const uint32_t*)dgm.p, nullptr,
                                                            dy.p, SK_DTYPE_F32, t, k, m, variant, nullptr);
  if (rc == SK_ERR_UNSUPPORTED) {
    printf("SKIP: %s: %s\n", tag, sk_last_error());
    return false;
  }
  sk_stream_synchronize(nullptr);
  return true;
}

// How many of 4096 random elements of two f32 outputs differ by more than 1e-3 relative (a fast wrong kernel is no
// news: the timed variants are compared first).
int sampled_differences(const std::vector<float>& a, const std::vector<float>& b, std::mt19937& rng) {
  int differ = 0;
  for (int s = 0; s < 4096; ++s) {
    const size_t i = (size_t)(rng() % (uint64_t)a.size());
    if (!(fabs(a[i] - b[i]) <= 1e-3 * (1.0 + fabs(b[i])))) ++differ;
  }
  return differ;
}

// The timing operands at t x 4096 x 4096, x f16: a random 2:4 W (packed for the kernels, dense for cuBLAS), random
// X, two f32 outputs. make() prints why and returns false when they could not be allocated (nothing then timed).
struct TimingOperands {
  DeviceBuf dx, dw, dgv, dgm, dy, dy2;
  bool make(std::mt19937& rng, int64_t t) {
    const int64_t k = 4096, m = 4096;
    const int xd = SK_DTYPE_F16;
    Sparse24 w;
    std::uniform_real_distribution<float> uni(-1.0f, 1.0f);
    std::vector<uint16_t> x(t * k);
    if (!make_sparse24(rng, m, k, xd, w) || !upload(w, dgv, dgm) || sk_malloc(&dx.p, t * k * 2) ||
        sk_malloc(&dw.p, m * k * 2) || sk_malloc(&dy.p, t * m * 4) || sk_malloc(&dy2.p, t * m * 4)) {
      printf("TIME 2:4 %lldx4096x4096: not measured (%s)\n", (long long)t, sk_last_error());
      return false;
    }
    for (auto& v : x) v = to_bits(uni(rng), xd);
    sk_memcpy_h2d(dx.p, x.data(), x.size() * 2, nullptr);
    sk_memcpy_h2d(dw.p, w.dense.data(), w.dense.size() * 2, nullptr);
    return true;
  }
};

// tokens x 4096 x 4096, x f16, y f32 (or yd): the given wgmma.sp variants (the default dispatch: register-A one-warpgroup
// blocks for small grids, compressed W from shared memory with every stage drained for larger ones; then those
// under trial), ours (mma.sp) and dense cuBLAS on the same W, median of 20 launches after 3 warm-ups. Before timing,
// each wgmma.sp variant is compared with mma.sp on a sample (a fast wrong kernel is no news): one that differs is
// reported, left out of the timing and makes the result false. The token counts bracket the dispatch threshold
// (sk_sparse24_gemm takes wgmma.sp above 64).
bool time_sparse24(int64_t t, const std::vector<Variant>& variants, int yd = SK_DTYPE_F32) {
  const int64_t k = 4096, m = 4096;
  const int xd = SK_DTYPE_F16;
  const char* yn = dtype_name(yd);
  std::mt19937 rng(7);
  TimingOperands ops;
  if (!ops.make(rng, t)) return true;
  const DeviceBuf &dx = ops.dx, &dw = ops.dw, &dgv = ops.dgv, &dy = ops.dy, &dy2 = ops.dy2;
  const uint32_t* meta = (const uint32_t*)ops.dgm.p;
  auto wgmma = [&](int variant) {
    return sk_experimental_sparse24_gemm_sm90_variant(dx.p, xd, dgv.p, meta, nullptr, dy.p, yd, t, k, m, variant,
                                                      nullptr);
  };
  auto mma = [&]() { return sk_sparse24_gemm(dx.p, xd, dgv.p, meta, nullptr, dy2.p, yd, t, k, m, nullptr); };
  {
    sk_selftest::HopperMode off(SK_HOPPER_OFF);
    if (mma() || sk_stream_synchronize(nullptr)) {
      printf("FAIL: sm90 2:4 %lldx4096x4096: mma.sp launch: %s\n", (long long)t, sk_last_error());
      return false;
    }
  }
  const size_t ysize = (size_t)(t * m) * (yd == SK_DTYPE_F32 ? 4 : 2);
  std::vector<uint8_t> raw(ysize);
  std::vector<float> a(t * m), b(t * m);
  auto read_y = [&](const DeviceBuf& d, std::vector<float>& into) {
    sk_memcpy_d2h(raw.data(), d.p, ysize, nullptr);
    for (int64_t i = 0; i < t * m; ++i) into[(size_t)i] = (float)sk_selftest::output_at(raw, i, yd);
  };
  read_y(dy2, b);
  bool ok = true;
  std::vector<sk_selftest::Timed> v;
  for (const Variant& var : variants) {
    sk_selftest::HopperMode on(SK_HOPPER_ON);
    if (wgmma(var.variant) || sk_stream_synchronize(nullptr)) {
      printf("FAIL: %s %lldx4096x4096: launch: %s\n", var.tag, (long long)t, sk_last_error());
      return false;  // the context may be gone: nothing after this would mean anything
    }
    read_y(dy, a);
    const int differ = sampled_differences(a, b, rng);
    printf("%s %s %lldx4096x4096 x=f16 y=%s vs mma.sp: %d of 4096 sampled elements differ\n",
           differ == 0 ? "PASS" : "FAIL", var.tag, (long long)t, yn, differ);
    if (differ != 0) {
      ok = false;
      continue;
    }
    const int id = var.variant;
    v.push_back({var.name, SK_HOPPER_ON, [wgmma, id]() { return wgmma(id); }});
  }
  if (sk_blas_status() != SK_OK) printf("TIME cuBLAS dense: not measured (%s)\n", sk_last_error());
  v.push_back({"mma.sp", SK_HOPPER_OFF, mma});
  v.push_back({"cuBLAS dense", SK_HOPPER_ON,
               [&]() { return sk_blas_gemm(dx.p, xd, dw.p, nullptr, dy.p, yd, t, k, m, nullptr); }});
  std::vector<double> ms(v.size());
  char shape[64];
  snprintf(shape, sizeof shape, "%lldx4096x4096 x=f16 y=%s", (long long)t, yn);
  // Dense-equivalent FLOP/s (2 t k m) for all, so the numbers compare directly.
  sk_selftest::time_and_compare(shape, 2.0 * t * k * m, "dense-equivalent TFLOP/s", v.data(), ms.data(), v.size());
  return ok;
}

// Decode-like token counts (t <= 16) x 4096 x 4096, x f16, y f32: sk_sparse24_gemm's mma.sp kernel with the
// tiny-token pipeline of mode on, with the deeper one (CfgTinyDeep / CfgSmallDeep: more W in flight per SM; the
// default on sm_90 since 2026-11-27), and dense cuBLAS; the deep one is first compared with the other on a sample.
bool time_tiny(int64_t t) {
  const int64_t k = 4096, m = 4096;
  const int xd = SK_DTYPE_F16;
  std::mt19937 rng(11);
  TimingOperands ops;
  if (!ops.make(rng, t)) return true;
  const DeviceBuf &dx = ops.dx, &dw = ops.dw, &dgv = ops.dgv, &dy = ops.dy, &dy2 = ops.dy2;
  const uint32_t* meta = (const uint32_t*)ops.dgm.p;
  auto mma = [&](void* y) { return sk_sparse24_gemm(dx.p, xd, dgv.p, meta, nullptr, y, SK_DTYPE_F32, t, k, m, nullptr); };
  std::vector<float> a(t * m), b(t * m);
  {
    sk_selftest::HopperMode on(SK_HOPPER_ON);
    if (mma(dy2.p) || sk_stream_synchronize(nullptr)) {
      printf("FAIL: 2:4 tiny %lldx4096x4096: launch: %s\n", (long long)t, sk_last_error());
      return false;
    }
  }
  {
    sk_selftest::HopperMode deep(SK_HOPPER_TMA);  // the default mode: the deep pipelines on sm_90
    if (mma(dy.p) || sk_stream_synchronize(nullptr)) {
      printf("FAIL: 2:4 tiny deep %lldx4096x4096: launch: %s\n", (long long)t, sk_last_error());
      return false;
    }
  }
  sk_memcpy_d2h(a.data(), dy.p, a.size() * 4, nullptr);
  sk_memcpy_d2h(b.data(), dy2.p, b.size() * 4, nullptr);
  const int differ = sampled_differences(a, b, rng);
  printf("%s 2:4 tiny deep %lldx4096x4096 x=f16 y=f32 vs mode on: %d of 4096 sampled elements differ\n",
         differ == 0 ? "PASS" : "FAIL", (long long)t, differ);
  if (differ != 0) return false;
  const sk_selftest::Timed v[] = {
      {"mma.sp (mode on)", SK_HOPPER_ON, [&]() { return mma(dy2.p); }},
      {"mma.sp deep (default on sm90)", SK_HOPPER_TMA, [&]() { return mma(dy.p); }},
      {"cuBLAS dense", SK_HOPPER_ON,
       [&]() { return sk_blas_gemm(dx.p, xd, dw.p, nullptr, dy.p, SK_DTYPE_F32, t, k, m, nullptr); }}};
  double ms[3];
  char shape[64];
  snprintf(shape, sizeof shape, "%lldx4096x4096 x=f16 y=f32", (long long)t);
  sk_selftest::time_and_compare(shape, 2.0 * t * k * m, "dense-equivalent TFLOP/s", v, ms);
  return true;
}

// Real (tiny, all-zero but legally packed) operands: when the kernel is available this probe launches it.
int probe() {
  Sparse24 w;
  std::vector<uint16_t> vals(8 * 8 / 2, 0);
  std::vector<uint8_t> idx(8, 0x44);
  int64_t vc = 0, mw = 0;
  DeviceBuf px, py, gv, gm;
  if (sk_sparse24_gpu_sizes(8, 8, &vc, &mw) != SK_OK) return 1;
  w.gpu_values.assign(vc, 0);
  w.gpu_meta.assign(mw, 0);
  if (sk_sparse24_pack(vals.data(), idx.data(), 8, 8, w.gpu_values.data(), w.gpu_meta.data()) != SK_OK ||
      !upload(w, gv, gm) || sk_malloc(&px.p, 256) || sk_malloc(&py.p, 256)) {
    printf("FAIL: sm90 2:4: probe set-up: %s\n", sk_last_error());
    return 1;
  }
  const int rc = sk_experimental_sparse24_gemm_sm90(px.p, SK_DTYPE_BF16, gv.p, (const uint32_t*)gm.p, nullptr, py.p,
                                                    SK_DTYPE_F32, 1, 8, 8, nullptr);
  if (rc == SK_ERR_UNSUPPORTED) {
    printf("SKIP: sm90 2:4: %s\n", sk_last_error());
    return 2;
  }
  if (rc != SK_OK || sk_stream_synchronize(nullptr) != SK_OK) {
    printf("FAIL: sm90 2:4: first launch: %s\n", sk_last_error());
    return 1;
  }
  return 0;
}

}  // namespace

int sm90_sparse24_selftest() {
  int count = 0, cap = 0;
  sk_device_count(&count);
  if (count == 0 || sk_device_capability(0, &cap) != SK_OK || cap != 90) {
    printf("SKIP: sm90 2:4: needs an sm_90 device (found %d devices, sm_%d)\n", count, cap);
    return 2;
  }
  const int p = probe();
  if (p != 0) return p;
  // Each variant's cases, then timing of those that passed. In three rounds: the default dispatch and the wide
  // blocks (lockstep, the same pipeline as the default) first, timed; then the decoupled pipelines, whose failure
  // could be a deadlock (the step's timeout then ends the process with the first round's numbers already printed) or
  // a fault that poisons the context; then the TMA pipeline.
  int failed = 0;
  // Per variant: -1 its cases have not run, else whether they passed (the second round times the default again,
  // against the variants it adds, without re-running its cases).
  std::vector<int> passed_cases(SK_SPARSE24_SM90_SMEM_A_TMA_WIDE_STAGED + 1, -1);
  auto cases = [&](const Variant& var) {
    if (passed_cases[var.variant] >= 0) return passed_cases[var.variant] == 1;
    if (!launchable(var.tag, var.variant)) {
      passed_cases[var.variant] = 0;  // skipped: not timed, not a failure
      return false;
    }
    g_tag = var.tag;
    g_variant = var.variant;
    std::mt19937 rng(24);
    const int64_t shapes[][3] = {{64, 32, 64},     {64, 64, 64},     {1, 8, 8},       {7, 40, 72},
                                 {129, 136, 200},  {128, 64, 128},   {129, 1000, 257}, {300, 512, 384},
                                 {512, 4096, 4096}, {64, 128, 64}};
    int total = 0;
    auto one = [&](int64_t t, int64_t k, int64_t m, int xd, int yd, bool bias) {
      return run_case(rng, t, k, m, xd, yd, bias);
    };
    sk_selftest::HopperMode on(SK_HOPPER_ON);
    const int f = sk_selftest::run_dtype_combos(shapes, one, &total);
    printf("%s: %s: %d of %d cases passed\n", f == 0 ? "PASS" : "FAIL", g_tag, total - f, total);
    failed += f;
    passed_cases[var.variant] = f == 0;
    return f == 0;
  };
  auto round = [&](std::vector<Variant> vars, std::initializer_list<int64_t> tokens, int yd = SK_DTYPE_F32) {
    std::vector<Variant> passed;
    for (const Variant& var : vars)
      if (cases(var)) passed.push_back(var);
    if (passed.empty()) return;
    for (int64_t t : tokens)
      if (!time_sparse24(t, passed, yd)) ++failed;
  };
  round({kDefault, kWide}, {4096, 512, 128});
  if (failed == 0) {
    for (int64_t t : {16, 1}) {
      if (!time_tiny(t)) ++failed;
    }
  }
  round({kDefault, kDecoupled, kWideDecoupled}, {4096, 512});
  // Last, the TMA pipelines (the default dispatch since 2026-11-27: 256 rows where the grid fills the SMs, else 128;
  // timed at 128 tokens too, where mode on runs the register-A kernel): a wrong transaction count would trap
  // (mbar_wait_or_trap), and a trap poisons the context for anything after it.
  round({kDefault, kTma, kTmaWide}, {4096, 512, 128});
  // Then the persistent CTAs (experimental: one CTA per SM looping over the blocks, the ring running on across them),
  // against the TMA wide kernel they come from; 2048 tokens is 256 blocks on 132 SMs, two uneven waves.
  round({kTmaWide, kTmaWidePersistent}, {4096, 2048});
  // Last, the thread-block clusters sharing X, W or both (experimental, session 25, not yet run): cluster launches,
  // multicast copies and remote barrier arrivals, so a protocol error could trap or hang; timed against TMA wide
  // where the experimental dispatch takes them (4096 and 2048 tokens) and at 512, where it does not.
  // The 16-bit outputs staged through shared memory (experimental, session 25), against TMA wide with f16 outputs,
  // where the default stores each element on its own (4% slower than f32 outputs on an H200, session 16).
  round({kTmaWide, kTmaWideStaged}, {4096, 2048}, SK_DTYPE_F16);
  round({kTmaWide, kClusterX, kClusterW, kClusterXW}, {4096, 2048, 512});
  return failed == 0 ? 0 : 1;
}
