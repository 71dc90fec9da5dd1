// CPU emulation of the fused attention kernel (cuda/attention.cu), no GPU, no nvcc: every CTA of small problems
// runs through the kernel's own index math (cuda/attention_index.cuh: tile sequence, copy plans, ldmatrix lane
// addresses, visibility rules) on the warp emulator's cp.async pipeline, ldmatrix (.trans) and mma.sync models,
// with the kernel's online softmax re-written step by step (quad shuffles, -inf handling, P rounded to the input
// dtype). Results against an fp64 reference of the documented semantics; rows with no visible key must be 0.
//   cmake --build <dir> --target sk_attention_emulation_test && <dir>/sk_attention_emulation_test
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <algorithm>
#include <random>
#include <vector>

#include "attention_index.cuh"
#include "attention_nonfinite.cuh"
#include "warp_emulator.h"

using namespace skcuda;

namespace {

struct Prob {
  int B, Hq, Hkv, Lq, Lk, D, dt;
  bool causal;
  int64_t wl;
  int64_t wr = -1;
  std::vector<uint16_t> q, k, v;
  std::vector<int32_t> klen;  // empty: none
  std::vector<uint8_t> mask;  // empty: none; strides below
  int64_t msb = 0, msh = 0, msq = 0;
  std::vector<float> bias;
  int64_t bsb = 0, bsh = 0, bsq = 0;
  std::vector<uint8_t> hmask;
  // block-sparse
  int q_block = 0, kv_block = 64, maxb = 0;
  std::vector<int32_t> cnt, idx;
  std::vector<uint8_t> full;
  int64_t ssb = 0, ssh = 0;
  // V elements set after the random fill: (index into v, value); a non-finite one must reach exactly the outputs
  // (row, column) whose row may see its key (docs/reliability.md), the other outputs keep their reference values
  std::vector<std::pair<size_t, float>> poison;
  // K elements set after the random fill; the cases using them hide those keys from every row (bias -inf)
  std::vector<std::pair<size_t, float>> kpoison;
};

template <int DP>
void emu_cta(const Prob& p, int bx, int bh, std::vector<float>& out, long& conflicts) {
  using C = AttCfg<DP>;
  emu::Block blk(C::SMEM_BYTES, C::THREADS);
  const int nqb = att_num_qblocks(p.Lq);
  const int q0 = att_qblock_of(bx, nqb) * C::BQ;
  const int q1 = std::min(q0 + C::BQ, p.Lq);
  const int b = bh / p.Hq, h = bh % p.Hq;
  const int64_t q_base = (int64_t)bh * p.Lq * p.D;
  const int64_t kv_base = ((int64_t)b * p.Hkv + att_kv_head(h, p.Hq, p.Hkv)) * p.Lk * p.D;
  const bool head_on = p.hmask.empty() || p.hmask[h] != 0;
  const int klen = head_on ? att_klen(p.klen.empty() ? nullptr : &p.klen[b], p.Lk) : 0;
  const bool sparse = p.q_block != 0;
  const AttTileSeq seq = att_make_seq(q0, q1, b, h, klen, p.Lq, p.Lk, p.causal, p.wl, p.wr, C::BK,
                                      sparse ? p.cnt.data() : nullptr, sparse ? p.idx.data() : nullptr,
                                      sparse ? p.full.data() : nullptr, p.ssb, p.ssh, sparse ? p.q_block : 64,
                                      p.kv_block, p.maxb);
  const float scale_log2 = (1.0f / sqrtf((float)p.D)) * 1.4426950408889634f;
  const int QTAG = 1 << 20;

  auto load_kv = [&](int kt, int stage, int tag) {
    for (int tid = 0; tid < C::THREADS; ++tid)
      for (int c = tid; c < C::BK * C::CH; c += C::THREADS) {
        const CopyPlan pl = att_copy<C>(c, kt * C::BK, klen, p.D, kv_base);
        blk.cp_async16(tid, (C::K_OFF + stage * C::KV_ELEMS + pl.dst) * 2, pl.ok ? &p.k[(size_t)pl.src] : nullptr,
                       pl.ok, tag);
        blk.cp_async16(tid, (C::V_OFF + stage * C::KV_ELEMS + pl.dst) * 2, pl.ok ? &p.v[(size_t)pl.src] : nullptr,
                       pl.ok, tag);
      }
  };
  auto commit_all = [&]() {
    for (int tid = 0; tid < C::THREADS; ++tid) blk.commit(tid);
  };
  auto wait_all = [&](int n) {
    for (int tid = 0; tid < C::THREADS; ++tid) blk.wait_group(tid, n);
  };

  static float acc[C::WARPS][C::DT][32][4];
  float m_i[C::WARPS][32][2], l_i[C::WARPS][32][2];
  for (int w = 0; w < C::WARPS; ++w)
    for (int l = 0; l < 32; ++l) {
      for (int dt = 0; dt < C::DT; ++dt)
        for (int r = 0; r < 4; ++r) acc[w][dt][l][r] = 0.f;
      m_i[w][l][0] = m_i[w][l][1] = -INFINITY;
      l_i[w][l][0] = l_i[w][l][1] = 0.f;
    }
  const bool elementwise = !p.mask.empty() || !p.bias.empty();

  int cur = seq.next(0);
  if (cur < seq.n) {
    for (int tid = 0; tid < C::THREADS; ++tid)
      for (int c = tid; c < C::BQ * C::CH; c += C::THREADS) {
        const CopyPlan pl = att_copy<C>(c, q0, p.Lq, p.D, q_base);
        blk.cp_async16(tid, (C::Q_OFF + pl.dst) * 2, pl.ok ? &p.q[(size_t)pl.src] : nullptr, pl.ok, QTAG);
      }
    load_kv(seq.tile(cur), 0, cur);
    commit_all();
  }
  int stage = 0;
  while (cur < seq.n) {
    const int kt = seq.tile(cur);
    const bool full_blk = seq.is_full(cur);
    const int nxt = seq.next(cur + 1);
    if (nxt < seq.n) {
      load_kv(seq.tile(nxt), stage ^ 1, nxt);
      commit_all();
      wait_all(1);
    } else {
      wait_all(0);
    }
    blk.syncthreads();
    const int k0 = kt * C::BK;
    const bool partial = att_tile_partial(k0, C::BK, q0, q1, klen, p.Lq, p.Lk, p.causal, p.wl, p.wr);
    // The kernel's guard against non-finite V (attention_nonfinite.cuh), step 1: one scan of the tile, block-wide.
    const uint32_t expb = p.dt == emu::F16 ? kF16ExpBits : kBF16ExpBits;
    const int vbase = (C::V_OFF + stage * C::KV_ELEMS) * 2;  // bytes
    bool v_nonfinite = false;
    if (partial || elementwise)
      for (int c = 0; c < C::BK * C::CH; ++c)
        for (int wd = 0; wd < 4; ++wd)
          v_nonfinite |= att_word_nonfinite(
              blk.ld32(vbase + ((c / C::CH) * C::PITCH + (c % C::CH) * 8) * 2 + 4 * wd, cur, "V scan"), expb);
    static float sw[C::WARPS][C::NT][32][4];
    for (int w = 0; w < C::WARPS; ++w) {
      auto& s = sw[w];
      for (int nt = 0; nt < C::NT; ++nt)
        for (int l = 0; l < 32; ++l)
          for (int r = 0; r < 4; ++r) s[nt][l][r] = 0.f;
      for (int kk = 0; kk < DP / 16; ++kk) {
        int addr[32];
        uint32_t af[32][4];
        for (int l = 0; l < 32; ++l) addr[l] = (C::Q_OFF + att_ldsm_q<C>(w, kk, l)) * 2;
        blk.ldmatrix(4, false, addr, af, QTAG, "Q");
        for (int np = 0; np < C::NT / 2; ++np) {
          uint32_t bf[32][4], b0[32][2], b1[32][2];
          for (int l = 0; l < 32; ++l) addr[l] = (C::K_OFF + stage * C::KV_ELEMS + att_ldsm_k<C>(np, kk, l)) * 2;
          blk.ldmatrix(4, false, addr, bf, cur, "K");
          for (int l = 0; l < 32; ++l) {
            b0[l][0] = bf[l][0], b0[l][1] = bf[l][1], b1[l][0] = bf[l][2], b1[l][1] = bf[l][3];
          }
          emu::mma_m16n8k16(s[2 * np], af, b0, p.dt);
          emu::mma_m16n8k16(s[2 * np + 1], af, b1, p.dt);
        }
      }
      for (int l = 0; l < 32; ++l) {
        const int row_g = q0 + w * 16 + (l >> 2);
        for (int nt = 0; nt < C::NT; ++nt)
          for (int r = 0; r < 4; ++r) {
            const int i = row_g + 8 * (r >> 1);
            const int j = k0 + nt * 8 + 2 * (l & 3) + (r & 1);
            float x = s[nt][l][r] * scale_log2;
            if (partial || elementwise) {
              bool vis = !partial || att_visible(i, j, klen, p.Lq, p.Lk, p.causal, p.wl, p.wr);
              if (vis && i < p.Lq) {
                if (!p.mask.empty() && !full_blk)
                  vis = p.mask[(size_t)att_bcast_offset(b, h, i, j, p.msb, p.msh, p.msq)] != 0;
                if (!p.bias.empty()) {
                  const float bv = p.bias[(size_t)att_bcast_offset(b, h, i, j, p.bsb, p.bsh, p.bsq)];
                  if (bv == -INFINITY) vis = false;
                  x += bv * 1.4426950408889634f;
                }
              }
              x = vis ? x : -INFINITY;
            }
            s[nt][l][r] = x;
          }
      }
      for (int hr = 0; hr < 2; ++hr) {
        float mx[32], m_use[32];
        for (int l = 0; l < 32; ++l) {
          mx[l] = -INFINITY;
          for (int nt = 0; nt < C::NT; ++nt) mx[l] = fmaxf(mx[l], fmaxf(s[nt][l][2 * hr], s[nt][l][2 * hr + 1]));
        }
        float t1[32];
        for (int l = 0; l < 32; ++l) t1[l] = fmaxf(mx[l], mx[l ^ 1]);
        for (int l = 0; l < 32; ++l) mx[l] = fmaxf(t1[l], t1[l ^ 2]);
        for (int l = 0; l < 32; ++l) {
          const float m_new = fmaxf(m_i[w][l][hr], mx[l]);
          m_use[l] = m_new == -INFINITY ? 0.f : m_new;
          const float alpha = exp2f(m_i[w][l][hr] - m_use[l]);
          m_i[w][l][hr] = m_new;
          float sum = 0.f;
          for (int nt = 0; nt < C::NT; ++nt) {
            s[nt][l][2 * hr] = exp2f(s[nt][l][2 * hr] - m_use[l]);
            s[nt][l][2 * hr + 1] = exp2f(s[nt][l][2 * hr + 1] - m_use[l]);
            sum += s[nt][l][2 * hr] + s[nt][l][2 * hr + 1];
          }
          l_i[w][l][hr] = l_i[w][l][hr] * alpha + sum;
          for (int dt = 0; dt < C::DT; ++dt) {
            acc[w][dt][l][2 * hr] *= alpha;
            acc[w][dt][l][2 * hr + 1] *= alpha;
          }
        }
      }
      // step 2a: per row a mask of the keys with weight > 0 (OR over the quad), then the non-finite v of those keys
      // added to the row's accumulators, as the kernel does
      if (v_nonfinite)
        for (int l = 0; l < 32; ++l) {
          uint64_t seen[2] = {0, 0};
          for (int hr = 0; hr < 2; ++hr)
            for (int q = 0; q < 4; ++q)
              for (int nt = 0; nt < C::NT; ++nt)
                for (int e = 0; e < 2; ++e)
                  if (s[nt][(l & ~3) | q][2 * hr + e] > 0.f) seen[hr] |= 1ull << (nt * 8 + 2 * q + e);
          for (int j = 0; j < C::BK; ++j) {
            const bool r0 = (seen[0] >> j) & 1, r1 = (seen[1] >> j) & 1;
            if (!r0 && !r1) continue;
            for (int dt = 0; dt < C::DT; ++dt)
              for (int u = 0; u < 2; ++u) {
                const uint32_t wv = blk.ld32(vbase + (j * C::PITCH + dt * 8 + 2 * (l & 3)) * 2, cur, "V non-finite");
                const float v = u == 0 ? emu::lo_f(wv, p.dt) : emu::hi_f(wv, p.dt);
                if (!std::isfinite(v)) {
                  if (r0) acc[w][dt][l][u] += v;
                  if (r1) acc[w][dt][l][2 + u] += v;
                }
              }
          }
        }
    }
    // step 2b (after every warp's 2a, a barrier in the kernel): zero the non-finite values in smem
    if (v_nonfinite)
      for (int c = 0; c < C::BK * C::CH; ++c)
        for (int wd = 0; wd < 4; ++wd) {
          const int off = vbase + ((c / C::CH) * C::PITCH + (c % C::CH) * 8) * 2 + 4 * wd;
          blk.st32(off, att_word_zero_nonfinite(blk.ld32(off, cur, "V zero"), expb), "V zero");
        }
    for (int w = 0; w < C::WARPS; ++w) {
      auto& s = sw[w];
      for (int kk = 0; kk < C::BK / 16; ++kk) {
        uint32_t pa[32][4];
        auto pk = [&](float lo, float hi) {
          return (uint32_t)emu::from_float(lo, p.dt) | ((uint32_t)emu::from_float(hi, p.dt) << 16);
        };
        for (int l = 0; l < 32; ++l) {
          pa[l][0] = pk(s[2 * kk][l][0], s[2 * kk][l][1]);
          pa[l][1] = pk(s[2 * kk][l][2], s[2 * kk][l][3]);
          pa[l][2] = pk(s[2 * kk + 1][l][0], s[2 * kk + 1][l][1]);
          pa[l][3] = pk(s[2 * kk + 1][l][2], s[2 * kk + 1][l][3]);
        }
        for (int dp = 0; dp < DP / 16; ++dp) {
          int addr[32];
          uint32_t bf[32][4], b0[32][2], b1[32][2];
          for (int l = 0; l < 32; ++l) addr[l] = (C::V_OFF + stage * C::KV_ELEMS + att_ldsm_v<C>(kk, dp, l)) * 2;
          blk.ldmatrix(4, true, addr, bf, cur, "V");
          for (int l = 0; l < 32; ++l) {
            b0[l][0] = bf[l][0], b0[l][1] = bf[l][1], b1[l][0] = bf[l][2], b1[l][1] = bf[l][3];
          }
          emu::mma_m16n8k16(acc[w][2 * dp], pa, b0, p.dt);
          emu::mma_m16n8k16(acc[w][2 * dp + 1], pa, b1, p.dt);
        }
      }
    }
    blk.syncthreads();
    cur = nxt;
    stage ^= 1;
  }
  EMU_CHECK(!blk.any_inflight(), "copies still in flight at the end of CTA %d/%d", bx, bh);
  conflicts += blk.bank_conflicts;
  for (int w = 0; w < C::WARPS; ++w)
    for (int hr = 0; hr < 2; ++hr) {
      float l1[32];
      for (int l = 0; l < 32; ++l) l1[l] = l_i[w][l][hr] + l_i[w][l ^ 1][hr];
      for (int l = 0; l < 32; ++l) {
        const float lsum = l1[l] + l1[l ^ 2];
        const float inv = lsum > 0.f ? 1.f / lsum : 0.f;
        const int i = q0 + w * 16 + (l >> 2) + 8 * hr;
        if (i >= p.Lq) continue;
        for (int dt = 0; dt < C::DT; ++dt) {
          const int d = dt * 8 + 2 * (l & 3);
          if (d >= p.D) continue;
          out[(size_t)(q_base + (int64_t)i * p.D + d)] = acc[w][dt][l][2 * hr] * inv;
          out[(size_t)(q_base + (int64_t)i * p.D + d + 1)] = acc[w][dt][l][2 * hr + 1] * inv;
        }
      }
    }
}

bool ref_visible(const Prob& p, int b, int h, int i, int j) {
  const int kl = p.klen.empty() ? p.Lk : std::min(std::max(p.klen[b], 0), p.Lk);
  if (j >= kl) return false;
  const int64_t diag = (int64_t)i + p.Lk - p.Lq;
  if (p.causal && j > diag) return false;
  if (p.wl >= 0 && j < diag - p.wl) return false;
  if (p.wr >= 0 && j > diag + p.wr) return false;
  if (!p.hmask.empty() && p.hmask[h] == 0) return false;
  bool full_blk = false;
  if (p.q_block) {
    const int64_t row = b * p.ssb + h * p.ssh + i / p.q_block;
    bool listed = false;
    for (int n = 0; n < std::min(std::max(p.cnt[row], 0), p.maxb); ++n)
      if (p.idx[row * p.maxb + n] == j / p.kv_block) listed = true, full_blk = p.full[row * p.maxb + n] != 0;
    if (!listed) return false;
  }
  if (!p.mask.empty() && !full_blk && p.mask[(size_t)(b * p.msb + h * p.msh + (int64_t)i * p.msq + j)] == 0)
    return false;
  return true;
}

bool run(std::mt19937& rng, Prob p, const char* name) {
  std::uniform_real_distribution<float> uni(-1.f, 1.f);
  const size_t nq = (size_t)p.B * p.Hq * p.Lq * p.D, nk = (size_t)p.B * p.Hkv * p.Lk * p.D;
  p.q.resize(nq);
  p.k.resize(nk);
  p.v.resize(nk);
  for (auto& x : p.q) x = emu::from_float(uni(rng), p.dt);
  for (auto& x : p.k) x = emu::from_float(uni(rng), p.dt);
  for (auto& x : p.v) x = emu::from_float(uni(rng), p.dt);
  for (const auto& pv : p.poison) p.v[pv.first] = emu::from_float(pv.second, p.dt);
  for (const auto& pk : p.kpoison) p.k[pk.first] = emu::from_float(pk.second, p.dt);
  std::vector<float> out(nq, NAN);
  const int dp = att_padded_dim(p.D);
  long conflicts = 0;
  const long before = emu::failures().count;
  for (int bh = 0; bh < p.B * p.Hq; ++bh)
    for (int bx = 0; bx < att_num_qblocks(p.Lq); ++bx) {
      if (dp == 32) emu_cta<32>(p, bx, bh, out, conflicts);
      else if (dp == 64) emu_cta<64>(p, bx, bh, out, conflicts);
      else if (dp == 128) emu_cta<128>(p, bx, bh, out, conflicts);
      else emu_cta<256>(p, bx, bh, out, conflicts);
    }
  const double scale = 1.0 / sqrt((double)p.D);
  double worst = 0;
  long bad_zero = 0, nan_count = 0, empty = 0, poisoned = 0, missed = 0;
  std::vector<double> ref((size_t)p.D), sc((size_t)p.Lk);
  std::vector<char> reach((size_t)p.D);
  for (int b = 0; b < p.B; ++b)
    for (int h = 0; h < p.Hq; ++h)
      for (int i = 0; i < p.Lq; ++i) {
        const int kvh = h / (p.Hq / p.Hkv);
        double mx = -INFINITY;
        for (int j = 0; j < p.Lk; ++j) {
          sc[j] = -INFINITY;
          if (!ref_visible(p, b, h, i, j)) continue;
          // a bias of -inf masks the key whatever its score (a NaN in K included)
          const double bv = p.bias.empty() ? 0.0 : p.bias[(size_t)(b * p.bsb + h * p.bsh + (int64_t)i * p.bsq + j)];
          if (bv == -INFINITY) continue;
          double d = 0;
          for (int x = 0; x < p.D; ++x)
            d += (double)emu::to_float(p.q[(((size_t)b * p.Hq + h) * p.Lq + i) * p.D + x], p.dt) *
                 emu::to_float(p.k[(((size_t)b * p.Hkv + kvh) * p.Lk + j) * p.D + x], p.dt);
          d *= scale;
          d += bv;
          sc[j] = d;
          mx = std::max(mx, d);
        }
        std::fill(ref.begin(), ref.end(), 0.0);
        std::fill(reach.begin(), reach.end(), 0);
        for (int j = 0; j < p.Lk; ++j)
          if (sc[j] != -INFINITY)
            for (int x = 0; x < p.D; ++x)
              if (!std::isfinite(emu::to_float(p.v[(((size_t)b * p.Hkv + kvh) * p.Lk + j) * p.D + x], p.dt)))
                reach[x] = 1;
        if (mx != -INFINITY) {
          double l = 0;
          for (int j = 0; j < p.Lk; ++j) {
            if (sc[j] == -INFINITY) continue;
            const double e = exp(sc[j] - mx);
            l += e;
            for (int x = 0; x < p.D; ++x)
              ref[x] += e * emu::to_float(p.v[(((size_t)b * p.Hkv + kvh) * p.Lk + j) * p.D + x], p.dt);
          }
          for (auto& r : ref) r /= l;
        } else {
          ++empty;
        }
        for (int x = 0; x < p.D; ++x) {
          const float g = out[(((size_t)b * p.Hq + h) * p.Lq + i) * p.D + x];
          if (reach[x]) {  // a non-finite V value of a key this row sees: the output must be non-finite too
            ++poisoned;
            if (std::isfinite(g)) ++missed;
            continue;
          }
          if (g != g || std::isinf(g)) {
            ++nan_count;
            continue;
          }
          if (mx == -INFINITY && g != 0.f) ++bad_zero;
          worst = std::max(worst, fabs((double)g - ref[x]));
        }
      }
  const double tol = p.dt == emu::F16 ? 4e-3 : 2.5e-2;
  const bool ok = worst <= tol && nan_count == 0 && bad_zero == 0 && emu::failures().count == before &&
                  conflicts == 0 && missed == 0 && (p.poison.empty() || poisoned > 0);
  printf("%s %-24s B%d Hq%d Hkv%d Lq%d Lk%d D%d %s: max err %.2e (tol %.0e), %ld empty rows, %ld bank conflicts%s\n",
         ok ? "PASS" : "FAIL", name, p.B, p.Hq, p.Hkv, p.Lq, p.Lk, p.D, p.dt == emu::F16 ? "f16" : "bf16", worst, tol,
         empty, conflicts, nan_count ? ", NaN/Inf/unwritten where no non-finite V is seen" : "");
  if (!p.poison.empty())
    printf("     %ld outputs see a non-finite V value (%ld of them finite: %s)\n", poisoned, missed,
           missed ? "FAIL" : "ok");
  return ok;
}

Prob base(int B, int Hq, int Hkv, int Lq, int Lk, int D, int dt, bool causal, int64_t wl) {
  Prob p;
  p.B = B, p.Hq = Hq, p.Hkv = Hkv, p.Lq = Lq, p.Lk = Lk, p.D = D, p.dt = dt, p.causal = causal, p.wl = wl;
  return p;
}

// Brute force over small shapes: att_tile_range holds every tile with a visible key of the query block (and,
// when not empty, its first and last tiles have one), and att_tile_partial is false only when every key of the
// tile is visible to every query of the block.
void check_tile_math() {
  for (int bk : {32, 64})
    for (int lq = 1; lq <= 200; lq += 37)
      for (int lk = 1; lk <= 260; lk += 43)
        for (int causal = 0; causal < 2; ++causal)
          for (int64_t wl : {(int64_t)-1, (int64_t)0, (int64_t)5, (int64_t)64, (int64_t)100})
            for (int klen : {lk, lk / 2, 0})
              for (int64_t wr : {(int64_t)-1, (int64_t)0, (int64_t)7, (int64_t)70}) {
              for (int q0 = 0; q0 < lq; q0 += 64) {
                const int q1 = std::min(q0 + 64, lq);
                int lo, hi;
                att_tile_range(q0, q1, klen, lq, lk, causal, wl, wr, bk, lo, hi);
                const int nt = (lk + bk - 1) / bk;
                int first = -1, last = -1;
                for (int t = 0; t < nt; ++t) {
                  bool any = false, all = true;
                  for (int i = q0; i < q1; ++i)
                    for (int j = t * bk; j < t * bk + bk; ++j) {
                      const bool v = j < lk && att_visible(i, j, klen, lq, lk, causal, wl, wr);
                      any |= v;
                      all &= v;
                    }
                  if (any) {
                    if (first < 0) first = t;
                    last = t;
                  }
                  if (!att_tile_partial(t * bk, bk, q0, q1, klen, lq, lk, causal, wl, wr))
                    EMU_CHECK(all, "tile %d not partial but not all visible (lq %d lk %d klen %d causal %d wl %lld q0 %d)",
                              t, lq, lk, klen, causal, (long long)wl, q0);
                }
                if (first < 0) {
                  EMU_CHECK(hi <= lo, "range [%d,%d) for a block with no visible key (lq %d lk %d klen %d causal %d wl %lld)",
                            lo, hi, lq, lk, klen, causal, (long long)wl);
                } else {
                  EMU_CHECK(lo == first && hi == last + 1, "range [%d,%d), visible tiles [%d,%d] (lq %d lk %d klen %d causal %d wl %lld q0 %d)",
                            lo, hi, first, last, lq, lk, klen, causal, (long long)wl, q0);
                }
              }
            }
}

}  // namespace

int main() {
  std::mt19937 rng(777);
  int total = 0, failed = 0;
  const long f0 = emu::failures().count;
  check_tile_math();
  ++total;
  if (emu::failures().count != f0) ++failed;
  printf("%s tile range / partial-tile rules against brute force\n", emu::failures().count == f0 ? "PASS" : "FAIL");
  auto go = [&](const Prob& p, const char* name) {
    ++total;
    if (!run(rng, p, name)) ++failed;
  };
  go(base(1, 2, 1, 64, 64, 64, emu::F16, false, -1), "plain");
  go(base(1, 2, 2, 70, 100, 64, emu::BF16, true, -1), "causal lq<lk tails");
  go(base(1, 1, 1, 130, 50, 128, emu::F16, true, -1), "causal lq>lk");
  go(base(1, 2, 1, 128, 160, 32, emu::BF16, true, 30), "window");
  go(base(1, 1, 1, 40, 70, 96, emu::F16, false, -1), "D96 padded");
  {
    Prob p = base(1, 2, 1, 150, 130, 64, emu::BF16, false, 20);
    p.wr = 20;
    go(p, "symmetric window");
    p = base(1, 1, 1, 70, 200, 128, emu::F16, false, -1);
    p.wr = 5;
    go(p, "window right only");
  }
  go(base(1, 1, 1, 33, 80, 256, emu::BF16, false, 20), "D256 window only");
  {
    Prob p = base(2, 2, 1, 50, 90, 64, emu::F16, false, -1);
    p.klen = {0, 37};
    go(p, "key lengths (one empty)");
  }
  {
    Prob p = base(1, 3, 1, 66, 75, 64, emu::BF16, true, -1);
    p.msb = 0, p.msh = 66 * 75, p.msq = 75;
    p.mask.resize(3 * 66 * 75);
    for (auto& m : p.mask) m = rng() % 3 != 0;
    for (int j = 0; j < 75; ++j) p.mask[5 * 75 + j] = 0;  // a fully masked row
    p.bsb = 0, p.bsh = 0, p.bsq = 75;
    p.bias.resize(66 * 75);
    for (auto& x : p.bias) x = (float)(rng() % 100) / 25.0f - 2.0f;
    p.hmask = {1, 0, 1};
    go(p, "mask + bias + head mask");
  }
  {
    Prob p = base(1, 2, 2, 128, 256, 64, emu::F16, false, -1);
    p.q_block = 128, p.kv_block = 64, p.maxb = 4, p.ssb = 2, p.ssh = 1;
    p.cnt = {2, 3};
    p.idx = {3, 1, -1, -1, 0, 9, 2, -1};
    p.full = {1, 0, 0, 0, 0, 0, 1, 0};
    p.msq = 256;
    p.mask.resize(128 * 256);
    for (auto& m : p.mask) m = rng() % 2;
    go(p, "block-sparse + mask");
  }
  {
    // kv_block 128 on the D 256 kernel (BK 32: 4 tiles per block), q_block 64, causal, one batch broadcast stride.
    Prob p = base(2, 2, 1, 100, 300, 256, emu::BF16, true, -1);
    p.q_block = 64, p.kv_block = 128, p.maxb = 3, p.ssb = 0, p.ssh = 2;  // [Hq, nqb] shared by both batches
    p.cnt = {2, 1, 3, 0};
    p.idx = {2, 0, -1, 1, -1, -1, 0, 1, 2, 0, 0, 0};
    p.full = std::vector<uint8_t>(12, 0);
    go(p, "block-sparse kv128 D256");
  }
  {
    // 192 x 192 blocks: three 64-row CTAs per query block, three 64-key tiles per key block.
    Prob p = base(1, 1, 1, 200, 400, 64, emu::F16, false, -1);
    p.q_block = 192, p.kv_block = 192, p.maxb = 3, p.ssb = 0, p.ssh = 0;
    p.cnt = {2, 1};
    p.idx = {2, 0, -1, 1, -1, -1};
    p.full = std::vector<uint8_t>(6, 0);
    go(p, "block-sparse 192x192");
  }
  {
    // Non-finite V (attention_nonfinite.cuh): NaN at key 70 (causal: rows < 70 do not see it, and they share its
    // tile with rows that do), +Inf at key 3, -Inf at key 90, and a NaN past batch 0's key length (seen by no row).
    auto vi = [](int b, int kvh, int j, int x, int hkv, int lk, int d) {
      return (((size_t)b * hkv + kvh) * lk + j) * d + x;
    };
    Prob p = base(2, 2, 1, 100, 100, 64, emu::F16, true, -1);
    p.klen = {80, 100};
    p.poison = {{vi(0, 0, 70, 5, 1, 100, 64), NAN},       {vi(0, 0, 3, 10, 1, 100, 64), INFINITY},
                {vi(1, 0, 90, 20, 1, 100, 64), -INFINITY}, {vi(0, 0, 85, 7, 1, 100, 64), NAN},
                {vi(1, 0, 64, 33, 1, 100, 64), NAN}};
    go(p, "non-finite V, causal+lens");
    p = base(1, 1, 1, 70, 90, 128, emu::BF16, false, -1);
    p.msq = 90;
    p.mask.resize(70 * 90);
    for (auto& m : p.mask) m = rng() % 4 != 0;
    for (int i = 0; i < 70; ++i) p.mask[(size_t)i * 90 + 17] = i % 2;  // key 17: odd rows only
    p.poison = {{vi(0, 0, 17, 40, 1, 90, 128), NAN}, {vi(0, 0, 88, 0, 1, 90, 128), INFINITY}};
    go(p, "non-finite V, dense mask");
    p = base(1, 1, 1, 64, 64, 64, emu::F16, false, -1);
    p.poison = {{vi(0, 0, 9, 9, 1, 64, 64), NAN}};
    go(p, "non-finite V, no mask");
    // A NaN in K at a key that a -inf bias hides from every row, and one row whose bias is -inf everywhere: no
    // output may turn NaN (the bias must mask, not be added to the NaN score).
    p = base(1, 1, 1, 40, 70, 64, emu::F16, false, -1);
    p.bsq = 70;
    p.bias.resize(40 * 70);
    for (auto& x : p.bias) x = (float)(rng() % 100) / 50.0f - 1.0f;
    for (int i = 0; i < 40; ++i) p.bias[(size_t)i * 70 + 21] = -INFINITY;
    for (int j = 0; j < 70; ++j) p.bias[(size_t)7 * 70 + j] = -INFINITY;
    p.kpoison = {{vi(0, 0, 21, 3, 1, 70, 64), NAN}};
    go(p, "NaN K hidden by -inf bias");
  }
  printf("%s: %d of %d attention emulation cases passed\n", failed ? "FAIL" : "PASS", total - failed, total);
  return failed ? 1 : 0;
}
