// GPU self-check of sk_attention / sk_attention_block_sparse, part of sk_gpu_selftest (called from
// sparse24_selftest.cu's main), plus the attention section of sk_gpu_bench (attention_bench, called from
// gpu_bench.cu's main).
//
// Cases: MHA / GQA / MQA, Lq != Lk both ways, causal (bottom-right), sliding windows (left, right, symmetric), key
// lengths (one batch with 0 keys), dense uint8 mask broadcast [1, 1, Lq, Lk] and full [B, Hq, Lq, Lk] with fully
// masked rows, f32 bias broadcast [1, Hq, Lq, Lk], head mask, block-sparse lists with full/partial flags, D 64 / 128 / 32 / 96 / 256 / 8,
// f16 and bf16, output f32 or the input dtype. Each against an fp64 host reference from the same rounded inputs;
// outputs pre-filled with NaN bytes, so an element never written fails. Rows that see no key must be exactly 0.
// Tolerance (max |got - ref|, values of V in [-1, 1]): f16 4e-3, bf16 2.5e-2 (P is rounded to the input dtype
// before the PV product, as in FlashAttention), plus the output rounding for 16-bit outputs.
#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_runtime.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
  ~Buf() { sk_free(p); }
};

bool upload(Buf& b, const void* host, size_t bytes) {
  SK_CHECK(sk_malloc(&b.p, bytes < 16 ? 16 : bytes));
  SK_CHECK(sk_memcpy_h2d(b.p, host, bytes, nullptr));
  return true;
}

// kMaskTiles: [B, Hq, Lq, Lk] with whole 128 x 128 tiles hidden, whole ones visible, and mixed ones (one with a
// single hidden key): every class of the Hopper kernel's bit-packed mask (attention_mask_bits.cuh).
enum MaskKind { kNoMask, kMaskShared, kMaskFull, kMaskTiles };

struct AttCase {
  int64_t B, Hq, Hkv, Lq, Lk, D;
  int dt, odt;
  bool causal;
  int64_t window;     // -1: none
  bool key_lengths;   // batch 0 gets 0 keys when B > 1, the others random
  MaskKind mask;
  bool bias;
  bool head_mask;
  int sparse_qb;      // 0: dense entry point; else q_block (kv_block = 64)
  const char* name;
  int64_t wr = -1;    // window_right
};

struct Inputs {
  std::vector<uint16_t> q, k, v;
  std::vector<int32_t> klen;
  std::vector<uint8_t> mask, hmask, full;
  std::vector<float> bias;
  std::vector<int32_t> cnt, idx;
  int64_t msb = 0, msh = 0, msq = 0;  // mask strides
  int64_t bias_sh = 0, bias_sq = 0;     // bias [1, Hq, Lq, Lk]: stride_b 0
  int64_t bsb = 0, bsh = 0;             // block-sparse list strides
  int64_t nqb = 0, nkb = 0;
};

// Visible per the documented rules; returns false for masked keys.
bool ref_visible(const AttCase& c, const Inputs& in, int64_t b, int64_t h, int64_t i, int64_t j) {
  const int64_t kl = c.key_lengths ? std::min<int64_t>(std::max<int64_t>(in.klen[b], 0), c.Lk) : c.Lk;
  if (j >= kl) return false;
  const int64_t diag = i + c.Lk - c.Lq;
  if (c.causal && j > diag) return false;
  if (c.window >= 0 && j < diag - c.window) return false;
  if (c.wr >= 0 && j > diag + c.wr) return false;
  if (c.head_mask && in.hmask[h] == 0) return false;
  bool full_blk = false;
  if (c.sparse_qb) {
    const int64_t row = b * in.bsb + h * in.bsh + i / c.sparse_qb;
    bool listed = false;
    for (int n = 0; n < in.cnt[row]; ++n)
      if (in.idx[row * in.nkb + n] == j / 64) {
        listed = true;
        full_blk = in.full[row * in.nkb + n] != 0;
      }
    if (!listed) return false;
  }
  if (c.mask != kNoMask && !full_blk && in.mask[b * in.msb + h * in.msh + i * in.msq + j] == 0) return false;
  return true;
}

void reference(const AttCase& c, const Inputs& in, double scale, int64_t b, int64_t h, int64_t i, double* out) {
  const int64_t kvh = h / (c.Hq / c.Hkv);
  const uint16_t* qr = &in.q[(size_t)(((b * c.Hq + h) * c.Lq + i) * c.D)];
  std::vector<double> s((size_t)c.Lk);
  double mx = -INFINITY;
  for (int64_t j = 0; j < c.Lk; ++j) {
    s[j] = -INFINITY;
    if (!ref_visible(c, in, b, h, i, j)) continue;
    const uint16_t* kr = &in.k[(size_t)(((b * c.Hkv + kvh) * c.Lk + j) * c.D)];
    double d = 0;
    for (int64_t x = 0; x < c.D; ++x) d += (double)from_bits(qr[x], c.dt) * from_bits(kr[x], c.dt);
    d *= scale;
    if (c.bias) d += in.bias[(size_t)(h * in.bias_sh + i * in.bias_sq + j)];
    s[j] = d;
    mx = std::max(mx, d);
  }
  for (int64_t x = 0; x < c.D; ++x) out[x] = 0;
  if (mx == -INFINITY) return;
  double l = 0;
  for (int64_t j = 0; j < c.Lk; ++j) {
    if (s[j] == -INFINITY) continue;
    const double p = exp(s[j] - mx);
    l += p;
    const uint16_t* vr = &in.v[(size_t)(((b * c.Hkv + kvh) * c.Lk + j) * c.D)];
    for (int64_t x = 0; x < c.D; ++x) out[x] += p * from_bits(vr[x], c.dt);
  }
  for (int64_t x = 0; x < c.D; ++x) out[x] /= l;
}

bool run_case(std::mt19937& rng, const AttCase& c) {
  std::uniform_real_distribution<float> uni(-1.0f, 1.0f);
  Inputs in;
  const size_t nq = (size_t)(c.B * c.Hq * c.Lq * c.D), nk = (size_t)(c.B * c.Hkv * c.Lk * c.D);
  in.q.resize(nq);
  in.k.resize(nk);
  in.v.resize(nk);
  for (auto& x : in.q) x = to_bits(uni(rng), c.dt);
  for (auto& x : in.k) x = to_bits(uni(rng), c.dt);
  for (auto& x : in.v) x = to_bits(uni(rng), c.dt);
  in.klen.resize((size_t)c.B);
  for (int64_t b = 0; b < c.B; ++b) in.klen[b] = (b == 0 && c.B > 1) ? 0 : (int32_t)(1 + rng() % (uint64_t)c.Lk);
  if (c.mask == kMaskShared) {
    in.msb = 0, in.msh = 0, in.msq = c.Lk;
    in.mask.resize((size_t)(c.Lq * c.Lk));
  } else if (c.mask == kMaskFull || c.mask == kMaskTiles) {
    in.msq = c.Lk, in.msh = c.Lq * c.Lk, in.msb = c.Hq * c.Lq * c.Lk;
    in.mask.resize((size_t)(c.B * c.Hq * c.Lq * c.Lk));
  }
  for (size_t x = 0; x < in.mask.size(); ++x) in.mask[x] = (rng() % 4) != 0;
  if (c.mask == kMaskTiles)  // per (b, h) slice s: tile (qt, kt) hidden, whole or mixed by (qt + kt + s) % 3
    for (size_t x = 0; x < in.mask.size(); ++x) {
      const int64_t j = (int64_t)x % c.Lk, i = ((int64_t)x / c.Lk) % c.Lq, s = (int64_t)x / (c.Lk * c.Lq);
      const int64_t kind = (i / 128 + j / 128 + s) % 3;
      in.mask[x] = kind == 0 ? 0 : kind == 1 ? 1 : (uint8_t)!(i % 128 == 3 && j % 128 == 7);
    }
  if (c.mask == kMaskFull)  // a few rows with no visible key, and a few rows all visible
    for (int64_t r = 0; r < c.B * c.Hq * c.Lq; r += 7)
      for (int64_t j = 0; j < c.Lk; ++j) in.mask[(size_t)(r * c.Lk + j)] = (r % 14 == 0) ? 0 : 1;
  if (c.bias) {
    in.bias_sh = c.Lq * c.Lk, in.bias_sq = c.Lk;
    in.bias.resize((size_t)(c.Hq * c.Lq * c.Lk));
    for (auto& x : in.bias) x = 2.0f * uni(rng);
    for (size_t x = 0; x < in.bias.size(); x += 11) in.bias[x] = -INFINITY;
  }
  in.hmask.resize((size_t)c.Hq);
  for (int64_t h = 0; h < c.Hq; ++h) in.hmask[h] = (h % 3) != 1;
  if (c.sparse_qb) {
    in.nqb = (c.Lq + c.sparse_qb - 1) / c.sparse_qb;
    in.nkb = (c.Lk + 63) / 64;
    in.bsh = in.nqb;
    in.bsb = c.Hq * in.nqb;
    in.cnt.assign((size_t)(c.B * c.Hq * in.nqb), 0);
    in.idx.assign(in.cnt.size() * (size_t)in.nkb, -1);
    in.full.assign(in.idx.size(), 0);
    for (size_t r = 0; r < in.cnt.size(); ++r) {
      std::vector<int32_t> blocks;
      for (int32_t kb = 0; kb < in.nkb; ++kb)
        if (rng() % 2) blocks.push_back(kb);
      std::shuffle(blocks.begin(), blocks.end(), rng);  // any order is allowed
      in.cnt[r] = (int32_t)blocks.size();
      for (size_t n = 0; n < blocks.size(); ++n) {
        in.idx[r * in.nkb + n] = blocks[n];
        in.full[r * in.nkb + n] = (rng() % 3) == 0;  // full: its dense mask bytes are not read
      }
    }
  }

  Buf dq, dk, dv, dout, dkl, dmask, dbias, dhm, dcnt, didx, dfull;
  const size_t osz = c.odt == SK_DTYPE_F32 ? 4 : 2;
  if (!upload(dq, in.q.data(), nq * 2) || !upload(dk, in.k.data(), nk * 2) || !upload(dv, in.v.data(), nk * 2))
    return false;
  SK_CHECK(sk_malloc(&dout.p, nq * osz));
  std::vector<uint8_t> nan_bytes(nq * osz, 0xFF);
  SK_CHECK(sk_memcpy_h2d(dout.p, nan_bytes.data(), nq * osz, nullptr));
  if (c.key_lengths && !upload(dkl, in.klen.data(), in.klen.size() * 4)) return false;
  if (c.mask != kNoMask && !upload(dmask, in.mask.data(), in.mask.size())) return false;
  if (c.bias && !upload(dbias, in.bias.data(), in.bias.size() * 4)) return false;
  if (c.head_mask && !upload(dhm, in.hmask.data(), in.hmask.size())) return false;
  if (c.sparse_qb && (!upload(dcnt, in.cnt.data(), in.cnt.size() * 4) ||
                      !upload(didx, in.idx.data(), in.idx.size() * 4) || !upload(dfull, in.full.data(), in.full.size())))
    return false;
  const float scale = 1.0f / sqrtf((float)c.D);
  const int32_t* kl = c.key_lengths ? (const int32_t*)dkl.p : nullptr;
  const float* bias = c.bias ? (const float*)dbias.p : nullptr;
  const uint8_t* mask = c.mask != kNoMask ? (const uint8_t*)dmask.p : nullptr;
  const uint8_t* hm = c.head_mask ? (const uint8_t*)dhm.p : nullptr;
  if (c.sparse_qb) {
    SK_CHECK(sk_attention_block_sparse(dq.p, dk.p, dv.p, dout.p, c.dt, c.odt, c.B, c.Hq, c.Hkv, c.Lq, c.Lk, c.D, scale,
                                       c.causal, c.window, c.wr, kl, bias, 0, in.bias_sh, in.bias_sq, mask, in.msb, in.msh, in.msq, hm, c.sparse_qb, 64, in.nkb,
                                       (const int32_t*)dcnt.p, (const int32_t*)didx.p, (const uint8_t*)dfull.p,
                                       in.bsb, in.bsh, nullptr));
  } else {
    SK_CHECK(sk_attention(dq.p, dk.p, dv.p, dout.p, c.dt, c.odt, c.B, c.Hq, c.Hkv, c.Lq, c.Lk, c.D, scale, c.causal,
                          c.window, c.wr, kl, bias, 0, in.bias_sh, in.bias_sq, mask, in.msb, in.msh, in.msq, hm, nullptr));
  }
  SK_CHECK(sk_stream_synchronize(nullptr));
  std::vector<uint8_t> got(nq * osz);
  SK_CHECK(sk_memcpy_d2h(got.data(), dout.p, nq * osz, nullptr));

  const double tol = (c.dt == SK_DTYPE_F16 ? 4e-3 : 2.5e-2) + (c.odt == SK_DTYPE_F16 ? 1e-3 : c.odt == SK_DTYPE_BF16 ? 8e-3 : 0);
  double worst = 0;
  int64_t zero_rows = 0, bad_zero = 0, nan_count = 0;
  std::vector<double> ref((size_t)c.D);
  for (int64_t b = 0; b < c.B; ++b)
    for (int64_t h = 0; h < c.Hq; ++h)
      for (int64_t i = 0; i < c.Lq; ++i) {
        reference(c, in, scale, b, h, i, ref.data());
        bool all_zero_ref = true;
        for (int64_t x = 0; x < c.D; ++x) all_zero_ref &= ref[x] == 0.0;
        bool row_zero = true;
        for (int64_t x = 0; x < c.D; ++x) {
          const size_t e = (size_t)(((b * c.Hq + h) * c.Lq + i) * c.D + x);
          double g;
          if (c.odt == SK_DTYPE_F32) {
            float f;
            memcpy(&f, &got[e * 4], 4);
            g = f;
          } else {
            uint16_t u;
            memcpy(&u, &got[e * 2], 2);
            g = from_bits(u, c.odt);
          }
          if (g != g) {
            ++nan_count;
            continue;
          }
          row_zero &= g == 0.0;
          worst = std::max(worst, fabs(g - ref[x]));
        }
        if (all_zero_ref) {
          ++zero_rows;
          if (!row_zero) ++bad_zero;
        }
      }
  const bool ok = worst <= tol && nan_count == 0 && bad_zero == 0;
  printf("%s attention %-22s B%lld Hq%lld Hkv%lld Lq%lld Lk%lld D%lld %s->%s: max err %.2e (tol %.1e), %lld empty "
         "rows%s%s\n",
         ok ? "PASS" : "FAIL", c.name, (long long)c.B, (long long)c.Hq, (long long)c.Hkv, (long long)c.Lq,
         (long long)c.Lk, (long long)c.D, dtype_name(c.dt), dtype_name(c.odt), worst, tol, (long long)zero_rows,
         nan_count ? " NaN/unwritten outputs" : "", bad_zero ? " non-zero empty rows" : "");
  return ok;
}

}  // namespace

// Runs the attention cases; adds to total / failed.
void attention_selftest(int& total, int& failed) {
  std::mt19937 rng(5005);
  const int F32 = SK_DTYPE_F32, F16 = SK_DTYPE_F16, BF = SK_DTYPE_BF16;
  const AttCase cases[] = {
      // B  Hq Hkv  Lq   Lk   D   dt  odt  causal win  klen   mask         bias   hmask  sparse
      {1, 2, 2, 64, 64, 64, F16, F32, false, -1, false, kNoMask, false, false, 0, "mha plain"},
      {2, 4, 4, 100, 77, 64, BF, BF, false, -1, false, kNoMask, false, false, 0, "mha tails"},
      {2, 8, 2, 130, 200, 128, F16, F16, true, -1, false, kNoMask, false, false, 0, "gqa causal lq<lk"},
      {1, 4, 1, 200, 90, 128, BF, F32, true, -1, false, kNoMask, false, false, 0, "mqa causal lq>lk"},
      {1, 4, 2, 256, 256, 64, F16, F32, true, 40, false, kNoMask, false, false, 0, "causal window"},
      {1, 2, 2, 96, 300, 64, BF, F32, false, 70, false, kNoMask, false, false, 0, "window left only"},
      {1, 2, 1, 150, 170, 64, F16, F32, false, 30, false, kNoMask, false, false, 0, "symmetric window", 30},
      {2, 2, 2, 90, 200, 128, BF, BF, false, -1, true, kNoMask, false, false, 0, "window right only", 10},
      {3, 2, 1, 70, 190, 128, F16, F32, false, -1, true, kNoMask, false, false, 0, "key lengths"},
      {2, 3, 3, 80, 150, 64, BF, F32, false, -1, false, kMaskShared, false, false, 0, "mask [Lq,Lk]"},
      {2, 2, 1, 65, 129, 128, F16, F32, true, -1, false, kMaskFull, false, false, 0, "mask full + empty rows"},
      {2, 2, 1, 300, 390, 128, BF, F32, false, -1, false, kMaskTiles, false, false, 0, "mask tiles hidden/whole/one key"},
      {1, 3, 3, 260, 257, 64, F16, F16, true, -1, true, kMaskTiles, true, false, 0, "mask tiles + causal, lens, bias"},
      {1, 3, 1, 90, 110, 64, BF, F32, false, -1, false, kNoMask, true, false, 0, "bias [Hq,Lq,Lk]"},
      {2, 6, 3, 64, 128, 128, F16, F16, false, -1, false, kNoMask, false, true, 0, "head mask"},
      {2, 4, 2, 100, 100, 32, F16, F32, true, -1, true, kMaskFull, true, true, 0, "all masks D32"},
      {1, 2, 1, 77, 99, 96, BF, F32, true, -1, false, kNoMask, false, false, 0, "D96 (padded 128)"},
      {1, 2, 2, 70, 150, 256, F16, F32, false, -1, false, kNoMask, false, false, 0, "D256"},
      {1, 2, 2, 50, 60, 256, BF, BF, true, 20, true, kMaskShared, true, false, 0, "D256 all masks"},
      {1, 2, 1, 33, 41, 8, F16, F32, false, -1, false, kNoMask, false, false, 0, "D8 (padded 32)"},
      {1, 4, 2, 256, 320, 64, BF, F32, false, -1, false, kNoMask, false, false, 64, "block-sparse q64"},
      {2, 2, 2, 200, 260, 128, F16, F32, true, -1, false, kMaskFull, false, false, 128, "block-sparse q128 mask"},
      {1, 2, 1, 128, 256, 256, BF, F32, false, -1, true, kMaskShared, true, true, 64, "block-sparse D256 all"},
  };
  for (const AttCase& c : cases) {
    ++total;
    if (!run_case(rng, c)) ++failed;
  }
}

// Attention section of sk_gpu_bench: bf16, D 128, causal, B * H = 32 heads of L 4096 / 16 of L 8192 / 16 of L 16384
// (issue 5's range is 4096 to 16384), plus 4096 without causal and with the causal pattern as a dense mask. TFLOP/s counts 4 * B * Hq * Lq * Lk * D for full attention (two matmuls) and half of
// that for causal (the visible triangle), as FlashAttention reports. Verified first on 8 sampled rows per case
// against the fp64 host reference (tolerance as in the selftest). Returns failed checks.
int attention_bench(const std::function<double(const std::function<bool()>&)>& median_ms,
                    const std::function<bool()>& out_of_time, std::vector<std::string>& json, int& skipped) {
  struct S {
    int64_t B, H, L;
    bool causal;
    bool dense_mask;  // the causal pattern given as a boolean [L, L] mask (broadcast over B and H), not as causal
  };
  const S shapes[] = {{2, 16, 4096, true, false}, {1, 16, 8192, true, false}, {2, 16, 4096, false, false},
                      {2, 16, 4096, false, true}, {1, 16, 16384, true, false}};
  const int64_t D = 128;
  const int dt = SK_DTYPE_BF16;
  int failures = 0;
  printf("\n%-10s %-22s %-10s %10s %10s  %s\n", "op", "B x H x L x D", "mask", "ours ms", "TFLOP/s", "verify");
  for (const S& s : shapes) {
    if (out_of_time()) {
      printf("SKIP attention B%lld H%lld L%lld: past --max-seconds\n", (long long)s.B, (long long)s.H, (long long)s.L);
      ++skipped;
      continue;
    }
    const size_t n = (size_t)(s.B * s.H * s.L * D);
    std::vector<uint16_t> q(n), k(n), v(n);
    uint64_t st = 88172645463325252ull;
    auto uni = [&]() {
      st ^= st << 13, st ^= st >> 7, st ^= st << 17;
      return (float)((st >> 40) * (1.0 / 16777216.0)) * 2.0f - 1.0f;
    };
    for (size_t i = 0; i < n; ++i) q[i] = to_bits(uni(), dt), k[i] = to_bits(uni(), dt), v[i] = to_bits(uni(), dt);
    Buf dq, dk, dv, dout;
    if (!upload(dq, q.data(), n * 2) || !upload(dk, k.data(), n * 2) || !upload(dv, v.data(), n * 2) ||
        sk_malloc(&dout.p, n * 2) != SK_OK) {
      fprintf(stderr, "error: attention bench allocation: %s\n", sk_last_error());
      ++failures;
      continue;
    }
    const float scale = 1.0f / sqrtf((float)D);
    std::vector<uint8_t> mask;
    Buf dmask;
    if (s.dense_mask) {  // what a user passes to SDPA as attn_mask: torch.ones(L, L, dtype=bool).tril()
      mask.assign((size_t)(s.L * s.L), 0);
      for (int64_t i = 0; i < s.L; ++i)
        for (int64_t j = 0; j <= i; ++j) mask[(size_t)(i * s.L + j)] = 1;
      if (!upload(dmask, mask.data(), mask.size())) {
        fprintf(stderr, "error: attention bench mask: %s\n", sk_last_error());
        ++failures;
        continue;
      }
    }
    const uint8_t* mask_p = s.dense_mask ? (const uint8_t*)dmask.p : nullptr;
    auto run = [&]() {
      const int rc = sk_attention(dq.p, dk.p, dv.p, dout.p, dt, dt, s.B, s.H, s.H, s.L, s.L, D, scale, s.causal, -1,
                                  -1, nullptr, nullptr, 0, 0, 0, mask_p, 0, 0, s.L, nullptr, nullptr);
      if (rc != SK_OK) fprintf(stderr, "error: sk_attention: %s\n", sk_last_error());
      return rc == SK_OK;
    };
    bool ok = run() && sk_stream_synchronize(nullptr) == SK_OK;
    double worst = 0;
    if (ok) {
      std::vector<uint16_t> got(n);
      ok = sk_memcpy_d2h(got.data(), dout.p, n * 2, nullptr) == SK_OK;
      AttCase c{s.B, s.H, s.H, s.L, s.L, D, dt, dt, s.causal, -1, false, s.dense_mask ? kMaskShared : kNoMask, false,
                false, 0, "bench"};
      Inputs in;
      in.q.swap(q);
      in.k.swap(k);
      in.v.swap(v);
      in.mask.swap(mask);
      in.msq = s.L;
      std::vector<double> ref((size_t)D);
      for (int r = 0; r < 8 && ok; ++r) {
        const int64_t b = r % s.B, h = (r * 5) % s.H, i = (r * 977 + (r == 7 ? s.L - 1 : 0)) % s.L;
        reference(c, in, scale, b, h, i, ref.data());
        for (int64_t x = 0; x < D; ++x)
          worst = std::max(worst, fabs((double)from_bits(got[(size_t)(((b * s.H + h) * s.L + i) * D + x)], dt) - ref[x]));
      }
      ok = ok && worst <= 2.5e-2 + 8e-3;
    }
    const double ms = ok ? median_ms(run) : -1;
    // causal: the visible triangle; a dense mask counts every score (the kernel computes every tile, then masks)
    const double flops = 4.0 * s.B * s.H * (double)s.L * s.L * D * (s.causal ? 0.5 : 1.0);
    const char* mask_name = s.dense_mask ? "dense-mask" : s.causal ? "causal" : "none";
    const double tf = ms > 0 ? flops / (ms * 1e-3) / 1e12 : NAN;
    char shape_s[64];
    snprintf(shape_s, sizeof shape_s, "%lldx%lldx%lldx%lld", (long long)s.B, (long long)s.H, (long long)s.L, (long long)D);
    printf("%-10s %-22s %-10s %10.3f %10.1f  %s (max err %.2e on 8 sampled rows)\n", "attention", shape_s,
           mask_name, ms, tf, ok ? "PASS" : "FAIL", worst);
    if (!ok) ++failures;
    char rec[768];
    snprintf(rec, sizeof rec,
             "{\"op\": \"attention\", \"device\": \"cuda\", \"mask\": \"%s\", \"shape\": {\"batch\": %lld, \"heads\": "
             "%lld, \"lq\": %lld, \"lk\": %lld, \"d\": %lld}, \"dtype\": \"bf16\", \"o_dtype\": \"bf16\", "
             "\"ours_ms\": %.6g, \"tflops\": %.6g, \"peer\": \"none\", "
             "\"verified\": %s, \"note\": \"tflops counts 4*B*H*Lq*Lk*D, halved for causal%s\"}",
             mask_name, (long long)s.B, (long long)s.H, (long long)s.L, (long long)s.L, (long long)D,
             ms, ms > 0 ? tf : -1.0, ok ? "true" : "false",
             s.dense_mask ? "; dense-mask: the causal pattern as a boolean [L, L] mask, every score counted" : "");
    json.push_back(rec);
    fflush(stdout);
  }
  return failures;
}
