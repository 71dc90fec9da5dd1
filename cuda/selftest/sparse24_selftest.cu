// GPU self-check of sk_sparse24_gemm and sk_dense_gemm (CMake target sk_gpu_selftest; not part of the library);
// the same target runs the sk_bsr_gemm cases of bsr_selftest.cu, the channel cases and the sk_attention cases of
// attention_selftest.cu before the timing.
// For random shapes, dtypes and output types it compares both kernels with an fp64 host reference computed from
// the same f16/bf16-rounded inputs, prints PASS/FAIL per case, then times 4096^3 with cudaEvents (skipped when the
// environment has SK_SELFTEST_QUICK=1, as under compute-sanitizer; the benchmark proper is sk_gpu_bench).
// Exit status: 0 when every case passed, 1 otherwise, 2 when no GPU is usable.
#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_runtime.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <random>
#include <vector>

#include "../mma_fragments.cuh"
#include "sparsekernels.h"
#include "selftest_support.cuh"

// BSR cases (bsr_selftest.cu, same target).
void bsr_selftest(int& total, int& failed);
// Channel statistics and compaction gathers (channels_selftest.cu, same target).
void channels_selftest(int& total, int& failed);
// Fused attention cases (attention_selftest.cu, same target).
void attention_selftest(int& total, int& failed);

namespace {

using sk_selftest::dtype_name;
using sk_selftest::from_bits;
using sk_selftest::to_bits;



using sk_selftest::DeviceBuf;


// One case: returns true when both kernels match the reference.
bool run_case(std::mt19937& rng, int64_t tokens, int64_t in, int64_t out, int xd, int yd, bool with_bias) {
  std::uniform_real_distribution<float> uni(-1.0f, 1.0f);
  // Dense W with a 2:4 pattern along `in`: mostly 2 non-zeros per group, some groups with 1 or 0.
  std::vector<uint16_t> w(out * in, 0);
  std::vector<uint16_t> vals(out * in / 2);
  std::vector<uint8_t> idx(out * ((in + 7) / 8), 0);
  for (int64_t r = 0; r < out; ++r)
    for (int64_t g = 0; g < in / 4; ++g) {
      int nz = (rng() % 8 == 0) ? (int)(rng() % 2) : 2;
      int p0 = (int)(rng() % 4), p1 = (p0 + 1 + (int)(rng() % 3)) % 4;
      if (nz >= 1) w[r * in + 4 * g + p0] = to_bits(uni(rng), xd);
      if (nz >= 2) w[r * in + 4 * g + p1] = to_bits(uni(rng), xd);
      if (nz < 2) p1 = (p0 + 1) % 4;  // free slot: any other position, holding zero
      if (nz < 1) { p0 = 0; p1 = 1; }
      int a = p0 < p1 ? p0 : p1, b = p0 < p1 ? p1 : p0;
      vals[r * (in / 2) + 2 * g] = w[r * in + 4 * g + a];
      vals[r * (in / 2) + 2 * g + 1] = w[r * in + 4 * g + b];
      idx[r * ((in + 7) / 8) + g / 2] |= (uint8_t)((a | (b << 2)) << (4 * (g & 1)));
    }
  std::vector<uint16_t> x(tokens * in);
  for (auto& v : x) v = to_bits(uni(rng), xd);
  std::vector<float> bias(out);
  for (auto& v : bias) v = uni(rng);

  int64_t vc, mw;
  SK_CHECK(sk_sparse24_gpu_sizes(out, in, &vc, &mw));
  std::vector<uint16_t> gv(vc);
  std::vector<uint32_t> gm(mw);
  SK_CHECK(sk_sparse24_pack(vals.data(), idx.data(), out, in, gv.data(), gm.data()));

  const size_t ybytes = (size_t)tokens * out * (yd == SK_DTYPE_F32 ? 4 : 2);
  DeviceBuf dx, dw, dgv, dgm, db, dys, dyd;
  SK_CHECK(sk_malloc(&dx.p, x.size() * 2));
  SK_CHECK(sk_malloc(&dw.p, w.size() * 2));
  SK_CHECK(sk_malloc(&dgv.p, gv.size() * 2));
  SK_CHECK(sk_malloc(&dgm.p, gm.size() * 4));
  SK_CHECK(sk_malloc(&db.p, bias.size() * 4));
  SK_CHECK(sk_malloc(&dys.p, ybytes));
  SK_CHECK(sk_malloc(&dyd.p, ybytes));
  SK_CHECK(sk_memcpy_h2d(dx.p, x.data(), x.size() * 2, nullptr));
  SK_CHECK(sk_memcpy_h2d(dw.p, w.data(), w.size() * 2, nullptr));
  SK_CHECK(sk_memcpy_h2d(dgv.p, gv.data(), gv.size() * 2, nullptr));
  SK_CHECK(sk_memcpy_h2d(dgm.p, gm.data(), gm.size() * 4, nullptr));
  SK_CHECK(sk_memcpy_h2d(db.p, bias.data(), bias.size() * 4, nullptr));
  const float* bptr = with_bias ? (const float*)db.p : nullptr;
  SK_CHECK(sk_sparse24_gemm(dx.p, xd, dgv.p, (const uint32_t*)dgm.p, bptr, dys.p, yd, tokens, in, out, nullptr));
  SK_CHECK(sk_dense_gemm(dx.p, xd, dw.p, bptr, dyd.p, yd, tokens, in, out, nullptr));
  SK_CHECK(sk_stream_synchronize(nullptr));
  std::vector<uint8_t> ys(ybytes), ydn(ybytes);
  SK_CHECK(sk_memcpy_d2h(ys.data(), dys.p, ybytes, nullptr));
  SK_CHECK(sk_memcpy_d2h(ydn.data(), dyd.p, ybytes, nullptr));

  auto get = [&](const std::vector<uint8_t>& buf, int64_t i) { return sk_selftest::output_at(buf, i, yd); };

  // Every element for small cases, a random sample of 4096 for big ones (the fp64 reference is O(t*in*out)).
  const int64_t total = tokens * out;
  const bool full = tokens * in * out <= (int64_t)1 << 26;
  const int64_t checks = full ? total : 4096;
  // Tolerance: fp32 accumulation over `in` terms, plus the output rounding of f16 / bf16.
  const double rel_acc = 1e-4, rel_out = yd == SK_DTYPE_F32 ? 0.0 : yd == SK_DTYPE_F16 ? 1.0 / 1024 : 1.0 / 128;
  int bad_s = 0, bad_d = 0;
  double worst_s = 0, worst_d = 0;
  for (int64_t c = 0; c < checks; ++c) {
    const int64_t i = full ? c : (int64_t)(rng() % (uint64_t)total);
    const int64_t n = i / out, m = i % out;
    double ref = with_bias ? bias[m] : 0.0, mag = fabs(ref);
    for (int64_t k = 0; k < in; ++k) {
      double p = (double)from_bits(x[n * in + k], xd) * (double)from_bits(w[m * in + k], xd);
      ref += p;
      mag += fabs(p);
    }
    const double tol = 1e-6 + rel_acc * mag + rel_out * fabs(ref);
    const double es = fabs(get(ys, i) - ref), ed = fabs(get(ydn, i) - ref);
    if (!(es <= tol)) {
      if (bad_s++ < 3) fprintf(stderr, "  sparse y[%lld][%lld] = %g, want %g\n", (long long)n, (long long)m, get(ys, i), ref);
    }
    if (!(ed <= tol)) {
      if (bad_d++ < 3) fprintf(stderr, "  dense  y[%lld][%lld] = %g, want %g\n", (long long)n, (long long)m, get(ydn, i), ref);
    }
    worst_s = fmax(worst_s, es / (tol > 0 ? tol : 1));
    worst_d = fmax(worst_d, ed / (tol > 0 ? tol : 1));
  }
  const bool ok = bad_s == 0 && bad_d == 0;
  printf("%s tokens=%-5lld in=%-5lld out=%-5lld x=%-4s y=%-4s bias=%d  sparse err/tol %.3f (%d bad)  dense err/tol "
         "%.3f (%d bad)  [%s]\n",
         ok ? "PASS" : "FAIL", (long long)tokens, (long long)in, (long long)out, dtype_name(xd), dtype_name(yd), with_bias ? 1 : 0,
         worst_s, bad_s, worst_d, bad_d, full ? "all elements" : "4096 sampled");
  return ok;
}

// ---- fragment probes: one warp, registers loaded straight from global memory with the formulas of
// shared/notes/ptx-fragments.md (1.2-1.5 sparse, 2.1 dense), no ldmatrix and no pipeline. If a GEMM case fails
// while these pass, the bug is in the kernel's staging/pipeline; if these fail, a fragment/metadata fact is wrong.
// W is 32x32 (two m16 tiles sharing one metadata word per lane: selector 0 and 1), X is 8 tokens x 32.
template <class T>
__global__ void probe_sparse_kernel(const uint16_t* gv, const uint32_t* gm, const uint16_t* xb, float* d) {
  const int lane = threadIdx.x, g = lane >> 2, t = lane & 3;
  auto pair = [](const uint16_t* p) { return (uint32_t)p[0] | ((uint32_t)p[1] << 16); };
  uint32_t a[2][4], b[4];
  for (int i = 0; i < 2; ++i) {  // gpu_values rows have Kp/2 = 16 compressed halves
    a[i][0] = pair(gv + (16 * i + g) * 16 + 2 * t);
    a[i][1] = pair(gv + (16 * i + g + 8) * 16 + 2 * t);
    a[i][2] = pair(gv + (16 * i + g) * 16 + 8 + 2 * t);
    a[i][3] = pair(gv + (16 * i + g + 8) * 16 + 8 + 2 * t);
  }
  for (int j = 0; j < 4; ++j) b[j] = pair(xb + g * 32 + 8 * j + 2 * t);
  const uint32_t e = gm[lane];
  float acc[2][4] = {{0, 0, 0, 0}, {0, 0, 0, 0}};
  skcuda::mma_sp_m16n8k32<T, 0>(acc[0], a[0], b, e);
  skcuda::mma_sp_m16n8k32<T, 1>(acc[1], a[1], b, e);
  for (int i = 0; i < 2; ++i)
    for (int r = 0; r < 4; ++r) d[(16 * i + g + 8 * (r >> 1)) * 8 + 2 * t + (r & 1)] = acc[i][r];
}

template <class T>
__global__ void probe_dense_kernel(const uint16_t* w, const uint16_t* xb, float* d) {  // W rows 0-15, k 0-15
  const int lane = threadIdx.x, g = lane >> 2, t = lane & 3;
  auto pair = [](const uint16_t* p) { return (uint32_t)p[0] | ((uint32_t)p[1] << 16); };
  const uint32_t a[4] = {pair(w + g * 32 + 2 * t), pair(w + (g + 8) * 32 + 2 * t), pair(w + g * 32 + 8 + 2 * t),
                         pair(w + (g + 8) * 32 + 8 + 2 * t)};
  const uint32_t b[2] = {pair(xb + g * 32 + 2 * t), pair(xb + g * 32 + 8 + 2 * t)};
  float acc[4] = {0, 0, 0, 0};
  skcuda::mma_m16n8k16<T>(acc, a, b);
  for (int r = 0; r < 4; ++r) d[(g + 8 * (r >> 1)) * 8 + 2 * t + (r & 1)] = acc[r];
}

bool run_probes(std::mt19937& rng, int xd) {
  std::uniform_real_distribution<float> uni(-1.0f, 1.0f);
  const int64_t M = 32, K = 32, N = 8;
  std::vector<uint16_t> w(M * K, 0), vals(M * K / 2), x(N * K);
  std::vector<uint8_t> idx(M * K / 8, 0);
  for (int64_t r = 0; r < M; ++r)
    for (int64_t grp = 0; grp < K / 4; ++grp) {
      // Every ordered pattern appears; chunk (r + grp) % 7 == 0 keeps one non-zero, % 11 == 0 none.
      static const int pats[6][2] = {{0, 1}, {0, 2}, {0, 3}, {1, 2}, {1, 3}, {2, 3}};
      const int* pp = pats[(r * 3 + grp) % 6];
      const int nz = (r + grp) % 11 == 0 ? 0 : (r + grp) % 7 == 0 ? 1 : 2;
      for (int j = 0; j < nz; ++j) w[r * K + 4 * grp + pp[j]] = to_bits(uni(rng), xd);
      for (int j = 0; j < 2; ++j) vals[r * (K / 2) + 2 * grp + j] = w[r * K + 4 * grp + pp[j]];
      idx[r * (K / 8) + grp / 2] |= (uint8_t)((pp[0] | (pp[1] << 2)) << (4 * (grp & 1)));
    }
  for (auto& v : x) v = to_bits(uni(rng), xd);
  int64_t vc, mw;
  SK_CHECK(sk_sparse24_gpu_sizes(M, K, &vc, &mw));
  std::vector<uint16_t> gv(vc);
  std::vector<uint32_t> gm(mw);
  SK_CHECK(sk_sparse24_pack(vals.data(), idx.data(), M, K, gv.data(), gm.data()));
  DeviceBuf dgv, dgm, dx, dw, dd;
  SK_CHECK(sk_malloc(&dgv.p, gv.size() * 2));
  SK_CHECK(sk_malloc(&dgm.p, gm.size() * 4));
  SK_CHECK(sk_malloc(&dx.p, x.size() * 2));
  SK_CHECK(sk_malloc(&dw.p, w.size() * 2));
  SK_CHECK(sk_malloc(&dd.p, M * N * 4));
  SK_CHECK(sk_memcpy_h2d(dgv.p, gv.data(), gv.size() * 2, nullptr));
  SK_CHECK(sk_memcpy_h2d(dgm.p, gm.data(), gm.size() * 4, nullptr));
  SK_CHECK(sk_memcpy_h2d(dx.p, x.data(), x.size() * 2, nullptr));
  SK_CHECK(sk_memcpy_h2d(dw.p, w.data(), w.size() * 2, nullptr));
  bool ok = true;
  for (int which = 0; which < 2; ++which) {  // 0: mma.sp m16n8k32 (32 rows), 1: mma.sync m16n8k16 (16 rows, k < 16)
    const uint16_t *pgv = (const uint16_t*)dgv.p, *px = (const uint16_t*)dx.p, *pw = (const uint16_t*)dw.p;
    const uint32_t* pgm = (const uint32_t*)dgm.p;
    float* pd = (float*)dd.p;
    if (xd == SK_DTYPE_F16) {
      if (which == 0) probe_sparse_kernel<__half><<<1, 32>>>(pgv, pgm, px, pd);
      else probe_dense_kernel<__half><<<1, 32>>>(pw, px, pd);
    } else {
      if (which == 0) probe_sparse_kernel<__nv_bfloat16><<<1, 32>>>(pgv, pgm, px, pd);
      else probe_dense_kernel<__nv_bfloat16><<<1, 32>>>(pw, px, pd);
    }
    const cudaError_t e = cudaDeviceSynchronize();
    if (e != cudaSuccess) {
      printf("FAIL probe %s %s: %s\n", which == 0 ? "mma.sp" : "mma.sync", dtype_name(xd), cudaGetErrorString(e));
      return false;
    }
    std::vector<float> d(M * N);
    SK_CHECK(sk_memcpy_d2h(d.data(), dd.p, d.size() * 4, nullptr));
    const int64_t rows = which == 0 ? 32 : 16, kk = which == 0 ? 32 : 16;
    int bad = 0;
    double worst = 0;
    for (int64_t m = 0; m < rows; ++m)
      for (int64_t n = 0; n < N; ++n) {
        double ref = 0, mag = 0;
        for (int64_t k = 0; k < kk; ++k) {
          const double p = (double)from_bits(w[m * K + k], xd) * (double)from_bits(x[n * K + k], xd);
          ref += p;
          mag += fabs(p);
        }
        const double err = fabs(d[m * N + n] - ref), tol = 1e-6 + 1e-5 * mag;
        worst = fmax(worst, err / tol);
        if (!(err <= tol) && bad++ < 4)
          fprintf(stderr, "  probe %s %s: D[%lld][%lld] = %g, want %g (tile %lld, selector %lld)\n",
                  which == 0 ? "mma.sp" : "mma.sync", dtype_name(xd), (long long)m, (long long)n, d[m * N + n], ref,
                  (long long)(m / 16), (long long)(m / 16));
      }
    printf("%s probe %-8s %-4s (fragments straight from global memory) err/tol %.3f (%d bad)\n",
           bad == 0 ? "PASS" : "FAIL", which == 0 ? "mma.sp" : "mma.sync", dtype_name(xd), worst, bad);
    ok &= bad == 0;
  }
  return ok;
}

bool time_4096(int xd) {
  const int64_t t = 4096, k = 4096, m = 4096;
  std::mt19937 rng(99);
  std::vector<uint16_t> x(t * k), w(m * k), vals(m * k / 2);
  std::vector<uint8_t> idx(m * k / 8, 0x84);  // groups keep positions (0,1) and (0,2) alternately
  for (auto& v : x) v = to_bits((float)(rng() % 1000) / 1000.0f - 0.5f, xd);
  for (auto& v : vals) v = to_bits((float)(rng() % 1000) / 1000.0f - 0.5f, xd);
  for (auto& v : w) v = to_bits((float)(rng() % 1000) / 1000.0f - 0.5f, xd);  // dense twin: content irrelevant
  int64_t vc, mw;
  SK_CHECK(sk_sparse24_gpu_sizes(m, k, &vc, &mw));
  std::vector<uint16_t> gv(vc);
  std::vector<uint32_t> gm(mw);
  SK_CHECK(sk_sparse24_pack(vals.data(), idx.data(), m, k, gv.data(), gm.data()));
  DeviceBuf dx, dw, dgv, dgm, dy;
  SK_CHECK(sk_malloc(&dx.p, x.size() * 2));
  SK_CHECK(sk_malloc(&dw.p, w.size() * 2));
  SK_CHECK(sk_malloc(&dgv.p, gv.size() * 2));
  SK_CHECK(sk_malloc(&dgm.p, gm.size() * 4));
  SK_CHECK(sk_malloc(&dy.p, t * m * 4));
  SK_CHECK(sk_memcpy_h2d(dx.p, x.data(), x.size() * 2, nullptr));
  SK_CHECK(sk_memcpy_h2d(dw.p, w.data(), w.size() * 2, nullptr));
  SK_CHECK(sk_memcpy_h2d(dgv.p, gv.data(), gv.size() * 2, nullptr));
  SK_CHECK(sk_memcpy_h2d(dgm.p, gm.data(), gm.size() * 4, nullptr));
  cudaEvent_t e0, e1;
  cudaEventCreate(&e0);
  cudaEventCreate(&e1);
  const int iters = 20;
  for (int which = 0; which < 2; ++which) {
    auto run = [&]() {
      return which == 0 ? sk_sparse24_gemm(dx.p, xd, dgv.p, (const uint32_t*)dgm.p, nullptr, dy.p, SK_DTYPE_F32, t,
                                           k, m, nullptr)
                        : sk_dense_gemm(dx.p, xd, dw.p, nullptr, dy.p, SK_DTYPE_F32, t, k, m, nullptr);
    };
    for (int i = 0; i < 3; ++i) SK_CHECK(run());
    cudaEventRecord(e0, nullptr);
    for (int i = 0; i < iters; ++i) SK_CHECK(run());
    cudaEventRecord(e1, nullptr);
    cudaEventSynchronize(e1);
    float ms = 0;
    cudaEventElapsedTime(&ms, e0, e1);
    ms /= iters;
    printf("TIME %s 4096x4096x4096 x=%s y=f32: %.3f ms, %.1f TFLOP/s dense-equivalent\n",
           which == 0 ? "sparse24" : "dense   ", dtype_name(xd), ms, 2.0 * t * k * m / (ms * 1e-3) / 1e12);
  }
  cudaEventDestroy(e0);
  cudaEventDestroy(e1);
  return cudaGetLastError() == cudaSuccess;
}

}  // namespace

int main() {
  int count = 0;
  sk_device_count(&count);
  if (count == 0) {
    printf("SKIP: no GPU: %s\n", sk_last_error());
    return 2;
  }
  char name[256] = "";
  int cap = 0;
  sk_device_name(0, name, sizeof name);
  sk_device_capability(0, &cap);
  printf("device 0: %s (sm_%d), sparsekernels %s\n", name, cap, sk_version());

  std::mt19937 rng(2024);
  int failed = 0, total = 0;
  for (int xd : {SK_DTYPE_F16, SK_DTYPE_BF16}) {
    total += 2;
    if (!run_probes(rng, xd)) failed += 2;
  }
  const int64_t tokens_list[] = {1, 7, 33, 512};
  const int64_t out_list[] = {40, 96, 4096};
  const int64_t in_list[] = {8, 40, 4096};
  int variant = 0;
  for (int64_t t : tokens_list)
    for (int64_t o : out_list)
      for (int64_t i : in_list) {
        // Cycle through the four dtype combinations and bias on/off so every path is covered by several shapes.
        const int xd = (variant & 1) ? SK_DTYPE_BF16 : SK_DTYPE_F16;
        const int yd = (variant & 2) ? xd : SK_DTYPE_F32;
        const bool bias = (variant % 3) != 2;
        ++variant;
        ++total;
        if (!run_case(rng, t, i, o, xd, yd, bias)) ++failed;
      }
  // Extra tails: tokens just above the small-path limits, out not a multiple of 8, all four combos at one shape.
  const int64_t extra[][3] = {{9, 264, 72}, {16, 64, 33}, {17, 128, 130}, {64, 96, 200}, {65, 1000, 136}, {129, 72, 257}};
  for (auto& e : extra)
    for (int combo = 0; combo < 4; ++combo) {
      const int xd = (combo & 1) ? SK_DTYPE_BF16 : SK_DTYPE_F16;
      const int yd = (combo & 2) ? xd : SK_DTYPE_F32;
      ++total;
      if (!run_case(rng, e[0], e[1], e[2], xd, yd, combo != 3)) ++failed;
    }
  bsr_selftest(total, failed);
  channels_selftest(total, failed);
  attention_selftest(total, failed);
  const char* quick = getenv("SK_SELFTEST_QUICK");
  const bool skip_timing = quick != nullptr && strcmp(quick, "") != 0 && strcmp(quick, "0") != 0;
  if (skip_timing) printf("SK_SELFTEST_QUICK set: 4096^3 timing skipped\n");
  bool timed = skip_timing || (time_4096(SK_DTYPE_F16) && time_4096(SK_DTYPE_BF16));
  printf("%s: %d of %d cases passed%s\n", failed == 0 && timed ? "PASS" : "FAIL", total - failed, total,
         timed ? "" : " (timing run failed)");
  return failed == 0 && timed ? 0 : 1;
}
