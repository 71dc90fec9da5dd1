// GPU self-check of structured channel removal, part of sk_gpu_selftest (called from sparse24_selftest.cu's main),
// plus the gather bandwidth section of sk_gpu_bench (gather_bench, called from gpu_bench.cu's main).
//   Gathers (sk_gather_rows / sk_gather_cols): f32, f16, bf16; shapes with 1 row, 1 column, odd sizes, rows whose
//   byte length is not a multiple of 16 and sources offset by one element (the narrow-vector paths); kept sets: all,
//   first only, last only, random half, runs of 64 (heads), every 50th (the unstaged column path). Outputs are
//   pre-filled with NaN bytes and compared bit for bit with a host gather.
//   Statistics (sk_channel_stats_*): four batches of different sizes (1 row included) split over two states that
//   are then merged, per-channel means up to 1e4 standard deviations away from zero, against a two-pass long
//   double reference over the same (f16/bf16-rounded) values: the float64 state (count exact, mean and M2 to 1e-9
//   relative) and the float32 finalised mean / variance / mean square (to 4 float32 ulps); an empty state
//   finalises to NaN; the same update twice gives the same bits.
#include <cuda_runtime.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "sparsekernels.h"
#include "selftest_support.cuh"

namespace {

using sk_selftest::dtype_name;
using sk_selftest::from_bits;
using sk_selftest::to_bits;

struct Buf {
  void* p = nullptr;
  Buf() = default;
  Buf(const Buf&) = delete;
  Buf& operator=(const Buf&) = delete;
  ~Buf() { sk_free(p); }
};

int esize(int d) { return d == SK_DTYPE_F32 ? 4 : 2; }

// Random bit patterns of finite values (so a NaN-filled output that was not written is always caught).
// xorshift64* values in [-100, 100): fast enough for the bench's 67M-element matrices.
std::vector<uint8_t> random_matrix(std::mt19937& rng, int64_t n, int d) {
  uint64_t x = ((uint64_t)rng() << 32 | rng()) | 1;
  std::vector<uint8_t> out((size_t)(n * esize(d)));
  for (int64_t i = 0; i < n; ++i) {
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    const float v = (float)((x * 0x2545F4914F6CDD1Dull) >> 40) * (200.0f / 16777216.0f) - 100.0f;
    if (d == SK_DTYPE_F32) {
      memcpy(&out[(size_t)i * 4], &v, 4);
    } else {
      const uint16_t b = to_bits(v, d);
      memcpy(&out[(size_t)i * 2], &b, 2);
    }
  }
  return out;
}

enum Pattern { kAll, kFirst, kLast, kHalf, kRuns, kSparse };
const char* pattern_name(int p) {
  static const char* n[] = {"all", "first", "last", "random-half", "runs-of-64", "every-50th"};
  return n[p];
}

std::vector<int64_t> kept_indices(std::mt19937& rng, int64_t limit, int p) {
  std::vector<int64_t> k;
  for (int64_t i = 0; i < limit; ++i) {
    bool keep = false;
    switch (p) {
      case kAll: keep = true; break;
      case kFirst: keep = i == 0; break;
      case kLast: keep = i == limit - 1; break;
      case kHalf: keep = (rng() & 1) != 0; break;
      case kRuns: keep = ((i / 64) % 3) != 1; break;
      default: keep = i % 50 == 7; break;
    }
    if (keep) k.push_back(i);
  }
  if (k.empty()) k.push_back(limit / 2);
  return k;
}

// One gather case through the C ABI; src_offset elements shift src (and dst) off their allocation's alignment.
bool gather_case(std::mt19937& rng, bool by_rows, int d, int64_t rows, int64_t cols, int pattern, int offset) {
  const int es = esize(d);
  const std::vector<int64_t> idx = kept_indices(rng, by_rows ? rows : cols, pattern);
  const int64_t count = (int64_t)idx.size();
  SK_CHECK(sk_gather_check(idx.data(), count, by_rows ? rows : cols));
  const std::vector<uint8_t> src = random_matrix(rng, rows * cols, d);
  const int64_t out_elems = by_rows ? count * cols : rows * count;
  std::vector<uint8_t> want((size_t)(out_elems * es));
  for (int64_t r = 0; r < (by_rows ? count : rows); ++r)
    for (int64_t c = 0; c < (by_rows ? cols : count); ++c) {
      const int64_t sr = by_rows ? idx[(size_t)r] : r, sc = by_rows ? c : idx[(size_t)c];
      const int64_t oc = by_rows ? cols : count;
      memcpy(&want[(size_t)((r * oc + c) * es)], &src[(size_t)((sr * cols + sc) * es)], (size_t)es);
    }
  Buf ds, dd, di;
  const size_t sbytes = src.size() + 16, dbytes = want.size() + 16;
  SK_CHECK(sk_malloc(&ds.p, sbytes));
  SK_CHECK(sk_malloc(&dd.p, dbytes));
  SK_CHECK(sk_malloc(&di.p, idx.size() * 8));
  uint8_t* s = (uint8_t*)ds.p + offset * es;
  uint8_t* o = (uint8_t*)dd.p + offset * es;
  SK_CHECK(sk_memcpy_h2d(s, src.data(), src.size(), nullptr));
  SK_CHECK(sk_memcpy_h2d(di.p, idx.data(), idx.size() * 8, nullptr));
  if (cudaMemset(dd.p, 0xff, dbytes) != cudaSuccess) return false;
  const int64_t* didx = (const int64_t*)di.p;
  if (by_rows) SK_CHECK(sk_gather_rows(s, d, rows, cols, didx, count, o, nullptr));
  else SK_CHECK(sk_gather_cols(s, d, rows, cols, didx, count, o, nullptr));
  std::vector<uint8_t> got(dbytes);
  SK_CHECK(sk_memcpy_d2h(got.data(), dd.p, dbytes, nullptr));
  int64_t bad = -1;
  for (int64_t i = 0; i < out_elems && bad < 0; ++i)
    if (memcmp(&got[(size_t)((offset + i) * es)], &want[(size_t)(i * es)], (size_t)es) != 0) bad = i;
  // The bytes around the output must be untouched (still 0xff).
  bool fence = true;
  for (int64_t b = 0; b < (int64_t)offset * es; ++b) fence &= got[(size_t)b] == 0xff;
  for (size_t b = (size_t)(offset * es) + want.size(); b < got.size(); ++b) fence &= got[b] == 0xff;
  const bool ok = bad < 0 && fence;
  const char* op = by_rows ? "rows" : "cols";
  if (ok)
    printf("PASS gather_%s %lldx%lld %s keep %s (%lld) offset %d\n", op, (long long)rows, (long long)cols,
           dtype_name(d), pattern_name(pattern), (long long)count, offset);
  else
    printf("FAIL gather_%s %lldx%lld %s keep %s (%lld) offset %d: %s%lld\n", op, (long long)rows, (long long)cols,
           dtype_name(d), pattern_name(pattern), (long long)count, offset,
           bad >= 0 ? "first wrong output element " : "wrote outside the output, at element ", (long long)bad);
  return ok;
}

// ---- statistics ----

struct Ref {
  int64_t n = 0;
  std::vector<long double> sum;  // per channel
  std::vector<std::vector<float>> cols;
};

float value_at(const std::vector<uint8_t>& x, int64_t i, int d) {
  if (d == SK_DTYPE_F32) {
    float v;
    memcpy(&v, &x[(size_t)i * 4], 4);
    return v;
  }
  uint16_t b;
  memcpy(&b, &x[(size_t)i * 2], 2);
  return from_bits(b, d);
}

// Batch [samples, channels]: channel j has mean center[j] and spread 1 (f32) or 4 (16-bit, so that the rounding
// of values near 1e3 still leaves a spread).
std::vector<uint8_t> stats_batch(std::mt19937& rng, int64_t samples, int64_t channels, int d,
                                 const std::vector<double>& center) {
  std::normal_distribution<double> g(0.0, d == SK_DTYPE_F32 ? 1.0 : 4.0);
  std::vector<uint8_t> x((size_t)(samples * channels * esize(d)));
  for (int64_t s = 0; s < samples; ++s)
    for (int64_t j = 0; j < channels; ++j) {
      const float v = (float)(center[(size_t)j] + g(rng));
      const int64_t i = s * channels + j;
      if (d == SK_DTYPE_F32) memcpy(&x[(size_t)i * 4], &v, 4);
      else {
        const uint16_t b = to_bits(v, d);
        memcpy(&x[(size_t)i * 2], &b, 2);
      }
    }
  return x;
}

bool close_rel(double got, double want, double rel, double abs_floor) {
  return fabs(got - want) <= rel * fabs(want) + abs_floor;
}

bool stats_case(std::mt19937& rng, int d, int64_t channels, const std::vector<int64_t>& batch_rows, double big) {
  std::vector<double> center((size_t)channels);
  for (int64_t j = 0; j < channels; ++j) center[(size_t)j] = (j % 3 == 0) ? big : (j % 3 == 1) ? -big / 7 : 0.5;
  std::vector<std::vector<uint8_t>> batches;
  for (int64_t b : batch_rows) batches.push_back(stats_batch(rng, b, channels, d, center));
  // Reference: two passes in long double over every value the GPU sees.
  int64_t n = 0;
  for (int64_t b : batch_rows) n += b;
  std::vector<long double> mean((size_t)channels, 0.0L), m2((size_t)channels, 0.0L), msq((size_t)channels, 0.0L);
  for (size_t b = 0; b < batches.size(); ++b)
    for (int64_t s = 0; s < batch_rows[b]; ++s)
      for (int64_t j = 0; j < channels; ++j) {
        const long double v = value_at(batches[b], s * channels + j, d);
        mean[(size_t)j] += v;
        msq[(size_t)j] += v * v;
      }
  for (int64_t j = 0; j < channels; ++j) {
    mean[(size_t)j] /= (long double)n;
    msq[(size_t)j] /= (long double)n;
  }
  for (size_t b = 0; b < batches.size(); ++b)
    for (int64_t s = 0; s < batch_rows[b]; ++s)
      for (int64_t j = 0; j < channels; ++j) {
        const long double dv = (long double)value_at(batches[b], s * channels + j, d) - mean[(size_t)j];
        m2[(size_t)j] += dv * dv;
      }

  const size_t sbytes = (size_t)channels * 3 * 8;
  Buf sa, sb, sc, dx, dm, dv, dq;
  SK_CHECK(sk_malloc(&sa.p, sbytes));
  SK_CHECK(sk_malloc(&sb.p, sbytes));
  SK_CHECK(sk_malloc(&sc.p, sbytes));
  size_t xmax = 0;
  for (auto& x : batches) xmax = std::max(xmax, x.size());
  SK_CHECK(sk_malloc(&dx.p, xmax));
  SK_CHECK(sk_malloc(&dm.p, (size_t)channels * 4));
  SK_CHECK(sk_malloc(&dv.p, (size_t)channels * 4));
  SK_CHECK(sk_malloc(&dq.p, (size_t)channels * 4));
  double* A = (double*)sa.p;
  double* B = (double*)sb.p;
  double* C = (double*)sc.p;
  // Garbage first: reset must really clear.
  if (cudaMemset(sa.p, 0x5a, sbytes) != cudaSuccess || cudaMemset(sb.p, 0x5a, sbytes) != cudaSuccess) return false;
  SK_CHECK(sk_channel_stats_reset(A, channels, nullptr));
  SK_CHECK(sk_channel_stats_reset(B, channels, nullptr));
  SK_CHECK(sk_channel_stats_reset(C, channels, nullptr));
  // Empty state: NaN everywhere.
  SK_CHECK(sk_channel_stats_finalize(C, channels, (float*)dm.p, (float*)dv.p, (float*)dq.p, nullptr));
  std::vector<float> hm((size_t)channels), hv((size_t)channels), hq((size_t)channels);
  SK_CHECK(sk_memcpy_d2h(hm.data(), dm.p, hm.size() * 4, nullptr));
  bool empty_nan = std::isnan(hm[0]) && std::isnan(hm[(size_t)channels - 1]);
  // First half of the batches into A, the rest into B; then A <- A + B. C gets batch 0 twice for determinism.
  const size_t half = batches.size() / 2;
  for (size_t b = 0; b < batches.size(); ++b) {
    SK_CHECK(sk_memcpy_h2d(dx.p, batches[b].data(), batches[b].size(), nullptr));
    SK_CHECK(sk_channel_stats_update(dx.p, d, batch_rows[b], channels, b < half ? A : B, nullptr));
    if (b == 0) SK_CHECK(sk_channel_stats_update(dx.p, d, batch_rows[b], channels, C, nullptr));
  }
  SK_CHECK(sk_channel_stats_merge(A, B, channels, nullptr));
  SK_CHECK(sk_channel_stats_finalize(A, channels, (float*)dm.p, (float*)dv.p, (float*)dq.p, nullptr));
  std::vector<double> st((size_t)channels * 3), stc((size_t)channels * 3), stb((size_t)channels * 3);
  SK_CHECK(sk_memcpy_d2h(st.data(), A, sbytes, nullptr));
  SK_CHECK(sk_memcpy_d2h(hm.data(), dm.p, hm.size() * 4, nullptr));
  SK_CHECK(sk_memcpy_d2h(hv.data(), dv.p, hv.size() * 4, nullptr));
  SK_CHECK(sk_memcpy_d2h(hq.data(), dq.p, hq.size() * 4, nullptr));
  // Determinism: a fresh state B updated with batch 0 must equal C bit for bit.
  SK_CHECK(sk_channel_stats_reset(B, channels, nullptr));
  SK_CHECK(sk_memcpy_h2d(dx.p, batches[0].data(), batches[0].size(), nullptr));
  SK_CHECK(sk_channel_stats_update(dx.p, d, batch_rows[0], channels, B, nullptr));
  SK_CHECK(sk_memcpy_d2h(stc.data(), C, sbytes, nullptr));
  SK_CHECK(sk_memcpy_d2h(stb.data(), B, sbytes, nullptr));
  const bool deterministic = memcmp(stc.data(), stb.data(), sbytes) == 0;

  int64_t bad = -1;
  const char* what = "";
  const double ulp4 = 4.0 * 1.1920929e-7;
  for (int64_t j = 0; j < channels && bad < 0; ++j) {
    const double rm = (double)mean[(size_t)j], rm2 = (double)m2[(size_t)j], rq = (double)msq[(size_t)j];
    const double sd = sqrt(rm2 / (double)n);
    const double gn = st[(size_t)j], gm = st[(size_t)(channels + j)], gm2 = st[(size_t)(2 * channels + j)];
    if (gn != (double)n) { bad = j; what = "count"; }
    else if (!close_rel(gm, rm, 1e-12, 1e-9 * sd + 1e-300)) { bad = j; what = "state mean"; }
    else if (!close_rel(gm2, rm2, 1e-9, 1e-300)) { bad = j; what = "state M2"; }
    else if (!close_rel(hm[(size_t)j], rm, ulp4, 1e-9 * sd + 1e-30)) { bad = j; what = "mean"; }
    else if (!close_rel(hv[(size_t)j], rm2 / (double)n, ulp4, 1e-30)) { bad = j; what = "variance"; }
    else if (!close_rel(hq[(size_t)j], rq, ulp4, 1e-30)) { bad = j; what = "mean_square"; }
  }
  const bool ok = bad < 0 && empty_nan && deterministic;
  std::string sizes;
  for (int64_t b : batch_rows) sizes += (sizes.empty() ? "" : "+") + std::to_string(b);
  if (ok) {
    printf("PASS channel_stats %s channels %lld batches %s (merged from two states), mean up to %g\n", dtype_name(d),
           (long long)channels, sizes.c_str(), big);
  } else if (bad >= 0) {
    const int64_t j = bad;
    printf("FAIL channel_stats %s channels %lld batches %s: %s of channel %lld: state n=%.17g mean=%.17g M2=%.17g, "
           "out mean=%.9g var=%.9g msq=%.9g; reference n=%lld mean=%.17g M2=%.17g msq=%.17g\n",
           dtype_name(d), (long long)channels, sizes.c_str(), what, (long long)j, st[(size_t)j],
           st[(size_t)(channels + j)], st[(size_t)(2 * channels + j)], hm[(size_t)j], hv[(size_t)j], hq[(size_t)j],
           (long long)n, (double)mean[(size_t)j], (double)m2[(size_t)j], (double)msq[(size_t)j]);
  } else {
    printf("FAIL channel_stats %s channels %lld batches %s: %s\n", dtype_name(d), (long long)channels, sizes.c_str(),
           !empty_nan ? "an empty state did not finalise to NaN" : "the same update gave different bits twice");
  }
  return ok;
}

bool quick_mode() {
  const char* q = getenv("SK_SELFTEST_QUICK");
  return q != nullptr && strcmp(q, "") != 0 && strcmp(q, "0") != 0;
}

}  // namespace

// Runs the channel cases; adds to total / failed.
void channels_selftest(int& total, int& failed) {
  std::mt19937 rng(4004);
  auto count = [&](bool ok) {
    ++total;
    if (!ok) ++failed;
  };
  // Gathers: every dtype and pattern over a few odd shapes (both directions), then alignment variants.
  const int64_t shapes[][2] = {{1, 1}, {1, 37}, {37, 1}, {7, 9}, {33, 257}, {129, 1000}, {300, 4099}, {17, 4096}};
  for (int d : {SK_DTYPE_F32, SK_DTYPE_F16, SK_DTYPE_BF16})
    for (auto& s : shapes)
      for (int p : {kAll, kFirst, kLast, kHalf, kRuns, kSparse}) {
        if ((s[0] == 1 || s[1] == 1) && p != kAll && p != kFirst) continue;  // the rest equal these on a line
        count(gather_case(rng, true, d, s[0], s[1], p, 0));
        count(gather_case(rng, false, d, s[0], s[1], p, 0));
      }
  for (int d : {SK_DTYPE_F32, SK_DTYPE_F16})
    for (int off : {1, 3})
      for (int p : {kHalf, kRuns}) {
        count(gather_case(rng, true, d, 65, 512, p, off));
        count(gather_case(rng, false, d, 65, 512, p, off));
      }
  // Statistics: batches of 1, 7, 1000 and 333 rows; the large-count case is skipped under SK_SELFTEST_QUICK.
  for (int d : {SK_DTYPE_F32, SK_DTYPE_F16, SK_DTYPE_BF16}) {
    const double big = d == SK_DTYPE_F32 ? 1e4 : 1e3;
    for (int64_t ch : {1, 33, 4099}) count(stats_case(rng, d, ch, {1, 7, 1000, 333}, big));
  }
  if (!quick_mode()) count(stats_case(rng, SK_DTYPE_F32, 40, {100000, 50001, 3, 70000}, 1e4));
}

// ---- gather bandwidth (sk_gpu_bench) ----

// Times sk_gather_rows / sk_gather_cols keeping half of the rows / columns of a rows x cols matrix against
// cudaMemcpyAsync (device to device, default stream) of the same output bytes, through the bench's timer;
// verifies each gather bit for bit first. Appends one JSON record per case to `json`; returns failed checks.
// gbps counts the bytes a copy of the kept data moves (output bytes read once and written once: 2 * out bytes);
// a column gather of scattered columns must also read the unkept elements sharing a 32-byte sector with kept
// ones, which is why "runs-of-128" (heads) is measured next to "random-half".
int gather_bench(int64_t rows, int64_t cols, const std::function<double(const std::function<bool()>&)>& median_ms,
                 const std::function<bool()>& out_of_time, std::vector<std::string>& json, int& skipped) {
  int failures = 0;
  printf("\n%-14s %-11s %-5s %-13s %10s %10s %8s %8s %9s  %s\n", "op", "rows x cols", "dtype", "kept", "ours ms",
         "memcpy ms", "GB/s", "copy GB/s", "of copy", "verify");
  const size_t max_bytes = (size_t)(rows * cols) * 4;
  Buf src, dst, peer, didx;
  if (sk_malloc(&src.p, max_bytes) != SK_OK || sk_malloc(&dst.p, max_bytes) != SK_OK ||
      sk_malloc(&peer.p, max_bytes) != SK_OK || sk_malloc(&didx.p, (size_t)std::max(rows, cols) * 8) != SK_OK) {
    fprintf(stderr, "error: gather bench allocation: %s\n", sk_last_error());
    return 1;
  }
  std::mt19937 rng(77);
  for (int d : {SK_DTYPE_F16, SK_DTYPE_F32}) {
    const int es = esize(d);
    const std::vector<uint8_t> host = random_matrix(rng, rows * cols, d);
    if (sk_memcpy_h2d(src.p, host.data(), host.size(), nullptr) != SK_OK) {
      fprintf(stderr, "error: upload: %s\n", sk_last_error());
      return failures + 1;
    }
    struct Case { bool by_rows; int pattern; };
    for (const Case c : {Case{true, kHalf}, Case{false, kHalf}, Case{false, -128}}) {
      const char* op = c.by_rows ? "gather-rows" : "gather-cols";
      const char* pat = c.pattern == kHalf ? "random-half" : "runs-of-128";
      char shape_s[48];
      snprintf(shape_s, sizeof shape_s, "%lldx%lld", (long long)rows, (long long)cols);
      if (out_of_time()) {
        printf("SKIP %s %s %s %s: past --max-seconds\n", op, shape_s, dtype_name(d), pat);
        ++skipped;
        continue;
      }
      const int64_t limit = c.by_rows ? rows : cols;
      std::vector<int64_t> idx;
      if (c.pattern == kHalf) {  // exactly half, uniformly chosen
        std::vector<int64_t> all((size_t)limit);
        for (int64_t i = 0; i < limit; ++i) all[(size_t)i] = i;
        std::shuffle(all.begin(), all.end(), rng);
        idx.assign(all.begin(), all.begin() + limit / 2);
        std::sort(idx.begin(), idx.end());
      } else {  // heads of 128: every other one
        for (int64_t i = 0; i < limit; ++i)
          if ((i / 128) % 2 == 0) idx.push_back(i);
      }
      const int64_t count = (int64_t)idx.size();
      const size_t out_bytes = (size_t)((c.by_rows ? count * cols : rows * count) * es);
      bool ok = sk_gather_check(idx.data(), count, limit) == SK_OK &&
                sk_memcpy_h2d(didx.p, idx.data(), idx.size() * 8, nullptr) == SK_OK;
      auto run = [&]() {
        const int rc = c.by_rows ? sk_gather_rows(src.p, d, rows, cols, (const int64_t*)didx.p, count, dst.p, nullptr)
                                 : sk_gather_cols(src.p, d, rows, cols, (const int64_t*)didx.p, count, dst.p, nullptr);
        if (rc != SK_OK) fprintf(stderr, "error: %s: %s\n", op, sk_last_error());
        return rc == SK_OK;
      };
      auto run_peer = [&]() {
        const cudaError_t e = cudaMemcpyAsync(peer.p, src.p, out_bytes, cudaMemcpyDeviceToDevice, nullptr);
        if (e != cudaSuccess) fprintf(stderr, "error: cudaMemcpyAsync: %s\n", cudaGetErrorString(e));
        return e == cudaSuccess;
      };
      // Verify first (output pre-filled with NaN bytes), bit for bit against a host gather.
      ok = ok && cudaMemset(dst.p, 0xff, out_bytes) == cudaSuccess && run() && cudaDeviceSynchronize() == cudaSuccess;
      if (ok) {
        std::vector<uint8_t> got(out_bytes);
        ok = sk_memcpy_d2h(got.data(), dst.p, out_bytes, nullptr) == SK_OK;
        const int64_t orows = c.by_rows ? count : rows, ocols = c.by_rows ? cols : count;
        for (int64_t r = 0; r < orows && ok; ++r)
          for (int64_t j = 0; j < ocols && ok; ++j) {
            const int64_t sr = c.by_rows ? idx[(size_t)r] : r, sc = c.by_rows ? j : idx[(size_t)j];
            ok = memcmp(&got[(size_t)((r * ocols + j) * es)], &host[(size_t)((sr * cols + sc) * es)], (size_t)es) == 0;
          }
      }
      const double t = ok ? median_ms(run) : -1;
      const double tp = ok ? median_ms(run_peer) : -1;
      const bool timed = t > 0 && tp > 0;
      const double gbps = timed ? 2.0 * (double)out_bytes / t / 1e6 : NAN;
      const double peer_gbps = timed ? 2.0 * (double)out_bytes / tp / 1e6 : NAN;
      char kept_s[32];
      snprintf(kept_s, sizeof kept_s, "%lld %s", (long long)count, c.pattern == kHalf ? "rand" : "runs");
      printf("%-14s %-11s %-5s %-13s %10.4f %10.4f %8.0f %8.0f %8.0f%%  %s\n", op, shape_s, dtype_name(d), kept_s, t, tp,
             gbps, peer_gbps, timed ? 100.0 * tp / t : NAN, ok ? "bit-exact" : "WRONG");
      printf("%s verify %s %s %s keep %s: %s\n", ok ? "PASS" : "FAIL", op, shape_s, dtype_name(d), pat,
             ok ? "bit-exact against the host gather" : "mismatch or failed call");
      if (ok && !timed) printf("FAIL timing %s %s %s %s: a timed run failed (see stderr)\n", op, shape_s, dtype_name(d), pat);
      failures += (ok ? 0 : 1) + (ok && !timed ? 1 : 0);
      auto num = [](double v) {
        if (!std::isfinite(v) || v <= 0) return std::string("null");
        char b[64];
        snprintf(b, sizeof b, "%.6g", v);
        return std::string(b);
      };
      std::string rec = std::string("{\"op\": \"") + op + "\", \"device\": \"cuda\", \"shape\": {\"rows\": " +
                        std::to_string(rows) + ", \"cols\": " + std::to_string(cols) + ", \"kept\": " +
                        std::to_string(count) + "}, \"dtype\": \"" + dtype_name(d) + "\", \"pattern\": \"" + pat +
                        "\", \"ours_ms\": " + num(t) + ", \"peer\": \"cudaMemcpy\", \"peer_ms\": " + num(tp) +
                        ", \"gbps\": " + num(gbps) + ", \"peer_gbps\": " + num(peer_gbps) +
                        ", \"fraction_of_copy\": " + num(timed ? tp / t : NAN) + ", \"verified\": " +
                        (ok ? "true" : "false") +
                        ", \"note\": \"gbps = 2 * output bytes / ours_ms (a copy of the kept data); peer: "
                        "cudaMemcpyAsync device to device of the same output bytes\"}";
      json.push_back(rec);
      fflush(stdout);
    }
  }
  return failures;
}
