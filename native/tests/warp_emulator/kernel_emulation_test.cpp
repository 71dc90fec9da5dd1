// Kernel emulation test (target sk_kernel_emulation_test; no GPU and no nvcc needed).
//
// Runs whole GEMMs through a CPU emulation of cuda/sparse24_gemm.cu and cuda/dense_gemm.cu: every address,
// predicate, slot, lane and register choice comes from the __host__ __device__ functions of cuda/gemm_index.cuh
// that the kernels themselves call; the control flow below mirrors the kernels statement by statement (prologue,
// wait_group / __syncthreads / prefetch / compute per stage, split-K reduction, epilogue), and the hardware
// (cp.async, ldmatrix, mma.sync, mma.sp::ordered_metadata, the shared memory) is modelled by warp_emulator.h.
// The 2:4 weights go through the library's real packer (sk_sparse24_pack). Results are compared with an fp64
// reference of the pruned matrix; every Y element must be written exactly once.
//
// Usage: sk_kernel_emulation_test [--quick]   (exit 0 = all passed)
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <random>
#include <string>
#include <vector>

#include "gemm_index.cuh"
#include "sparsekernels.h"
#include "warp_emulator.h"

using namespace skcuda;
using emu::Block;

namespace {

const char* dt_name(int d) { return d == emu::F32 ? "f32" : d == emu::F16 ? "f16" : "bf16"; }

// Y in its output dtype plus a write counter per element.
struct Output {
  int dtype;
  int64_t tokens, out;
  std::vector<uint8_t> bytes;
  std::vector<int> writes;
  Output(int dt, int64_t t, int64_t o)
      : dtype(dt), tokens(t), out(o), bytes((size_t)(t * o * (dt == emu::F32 ? 4 : 2)), 0xFF), writes((size_t)(t * o), 0) {}
  // store_out of epilogue.cuh: f32 as is, f16/bf16 round to nearest even.
  void store(int64_t idx, float v) {
    EMU_CHECK(idx >= 0 && idx < tokens * out, "store to y[%lld] outside [0, %lld)", (long long)idx, (long long)(tokens * out));
    if (idx < 0 || idx >= tokens * out) return;
    ++writes[(size_t)idx];
    if (dtype == emu::F32) {
      memcpy(&bytes[(size_t)idx * 4], &v, 4);
    } else {
      const uint16_t b = emu::from_float(v, dtype);
      memcpy(&bytes[(size_t)idx * 2], &b, 2);
    }
  }
  double get(int64_t idx) const {
    if (dtype == emu::F32) {
      float f;
      memcpy(&f, &bytes[(size_t)idx * 4], 4);
      return f;
    }
    uint16_t b;
    memcpy(&b, &bytes[(size_t)idx * 2], 2);
    return emu::to_float(b, dtype);
  }
};

// store_fragment of epilogue.cuh, through the same helpers.
void store_fragment(Output& y, const float* bias, const float (&c)[4], int m_tile, int n_tile, int out, int tokens,
                    int lane) {
  for (int h = 0; h < 2; ++h) {
    const int m = m_tile + frag_row(lane, 2 * h);
    if (m >= out) continue;
    const float b = bias != nullptr ? bias[m] : 0.0f;
    for (int j = 0; j < 2; ++j) {
      const int n = n_tile + frag_col(lane, 2 * h + j);
      if (n < tokens) y.store(y_offset(n, m, out), c[2 * h + j] + b);
    }
  }
}

struct Problem {
  int64_t tokens, in, out;
  int xd, yd;
  bool with_bias;
  std::vector<uint16_t> x, w;  // x [tokens, in], w dense pruned [out, in] (x dtype bits)
  std::vector<uint16_t> gv;    // packed values
  std::vector<uint32_t> gm;    // packed metadata
  std::vector<float> bias;
};

// Bounds-checked global source of a 16-byte copy.
template <class E>
const void* gsrc(const std::vector<E>& buf, const CopyPlan& p, const char* what) {
  if (!p.ok) return buf.data();
  const int64_t n = 16 / (int64_t)sizeof(E);
  EMU_CHECK(p.src >= 0 && p.src + n <= (int64_t)buf.size(), "%s: global read [%lld, +%lld) outside [0, %zu)", what,
            (long long)p.src, (long long)n, buf.size());
  EMU_CHECK((p.src * (int64_t)sizeof(E)) % 16 == 0, "%s: global source offset %lld not 16-byte aligned", what,
            (long long)p.src);
  alignas(16) static thread_local uint8_t zeros[16];
  if (p.src < 0 || p.src + n > (int64_t)buf.size()) return zeros;
  return buf.data() + p.src;
}

// ----------------------------------------------------------------------------------------------- sparse kernel
template <class C>
void emulate_sparse_block(const Problem& pb, Output& y, int bx, int by, long& conflicts, long& phases) {
  const int tokens = (int)pb.tokens, in = (int)pb.in, out = (int)pb.out, dt = pb.xd;
  const float* bias = pb.with_bias ? pb.bias.data() : nullptr;
  Block blk(C::SMEM_BYTES, C::THREADS);
  EMU_CHECK(C::SMEM_BYTES <= 99 * 1024, "config needs %d bytes of smem, more than sm_86/89 allow", C::SMEM_BYTES);

  const int Mp = sp_padded_rows(out), Kp = sp_padded_cols(in);
  const int KS = Kp / 32;
  const int KT = (KS + C::KSTEPS - 1) / C::KSTEPS;
  const int m0 = bx * C::BM, n0 = by * C::BN;
  constexpr int NW = C::THREADS / 32;

  auto load_stage = [&](int tid, int kt, int slot) {
    const int s0 = kt * C::KSTEPS;
    for (int c = tid; c < C::A_COPIES; c += C::THREADS) {
      const CopyPlan p = sp_copy_a<C>(c, m0, s0, Mp, KS);
      blk.cp_async16(tid, C::A_OFF + (slot * C::A_STAGE + p.dst) * 2, gsrc(pb.gv, p, "W values"), p.ok, kt);
    }
    for (int c = tid; c < C::B_COPIES; c += C::THREADS) {
      const CopyPlan p = sp_copy_b<C>(c, n0, s0, tokens, in);
      blk.cp_async16(tid, C::B_OFF + (slot * C::B_STAGE + p.dst) * 2, gsrc(pb.x, p, "X"), p.ok, kt);
    }
    for (int c = tid; c < C::E_COPIES; c += C::THREADS) {
      const CopyPlan p = sp_copy_e<C>(c, m0, s0, Mp, KS);
      blk.cp_async16(tid, C::E_OFF + (slot * C::E_STAGE + p.dst) * 4, gsrc(pb.gm, p, "metadata"), p.ok, kt);
    }
  };

  // acc[warp][i][nt][lane][r]
  std::vector<float> accv((size_t)NW * 2 * C::NT * 32 * 4, 0.0f);
  auto acc = [&](int w, int i, int nt) { return reinterpret_cast<float(*)[4]>(&accv[(((size_t)w * 2 + i) * C::NT + nt) * 128]); };

  for (int st = 0; st < C::STAGES - 1; ++st)
    for (int tid = 0; tid < C::THREADS; ++tid) {
      if (st < KT) load_stage(tid, st, st);
      blk.commit(tid);
    }

  for (int kt = 0; kt < KT; ++kt) {
    for (int tid = 0; tid < C::THREADS; ++tid) blk.wait_group(tid, C::STAGES - 2);
    blk.syncthreads();
    for (int tid = 0; tid < C::THREADS; ++tid) {
      const int nk = kt + C::STAGES - 1;
      if (nk < KT) load_stage(tid, nk, nk % C::STAGES);
      blk.commit(tid);
    }
    const int slot = kt % C::STAGES;
    for (int warp = 0; warp < NW; ++warp) {
      int wm, wn, wk;
      sp_warp_roles<C>(warp, wm, wn, wk);
      const bool warp_active = sp_tile_m<C>(m0, wm, 0) < Mp;
      if (!warp_active) continue;
      for (int jj = 0; jj < C::KSTEPS / C::WK; ++jj) {
        const int j = sp_kstep<C>(jj, wk);
        if (kt * C::KSTEPS + j >= KS) break;
        uint32_t e[32];
        for (int lane = 0; lane < 32; ++lane)
          e[lane] = blk.ld32(C::E_OFF + (slot * C::E_STAGE + sp_meta_index<C>(wm, j, lane)) * 4, kt, "metadata");
        uint32_t a[2][32][4];
        for (int i = 0; i < 2; ++i) {
          int addr[32];
          for (int lane = 0; lane < 32; ++lane) addr[lane] = C::A_OFF + (slot * C::A_STAGE + sp_ldsm_a<C>(wm, i, j, lane)) * 2;
          blk.ldmatrix(4, false, addr, a[i], kt, "ldmatrix A");
        }
        for (int nt = 0; nt < C::NT; ++nt) {
          uint32_t b[32][4];
          int addr[32];
          for (int lane = 0; lane < 32; ++lane) addr[lane] = C::B_OFF + (slot * C::B_STAGE + sp_ldsm_b<C>(wn, nt, j, lane)) * 2;
          blk.ldmatrix(4, false, addr, b, kt, "ldmatrix B");
          emu::mma_sp_m16n8k32(acc(warp, 0, nt), a[0], b, e, 0, dt);
          emu::mma_sp_m16n8k32(acc(warp, 1, nt), a[1], b, e, 1, dt);
        }
      }
    }
  }

  std::vector<bool> warp_done((size_t)NW, false);
  if (C::WK > 1) {
    for (int tid = 0; tid < C::THREADS; ++tid) blk.wait_group(tid, 0);
    blk.syncthreads();
    EMU_CHECK(!blk.any_inflight(), "copies in flight when the split-K reduction reuses smem");
    std::vector<int> slot_owner((size_t)C::SMEM_BYTES / 4, -1);
    for (int warp = 0; warp < NW; ++warp) {
      int wm, wn, wk;
      sp_warp_roles<C>(warp, wm, wn, wk);
      const int wmn = warp % (C::WM * C::WN);
      if (wk > 0)
        for (int i = 0; i < 2; ++i)
          for (int nt = 0; nt < C::NT; ++nt)
            for (int r = 0; r < 4; ++r)
              for (int lane = 0; lane < 32; ++lane) {
                const int idx = sp_red_index<C>(wk, wmn, i, nt, r, lane);
                if (idx >= 0 && idx < (int)slot_owner.size()) {
                  EMU_CHECK(slot_owner[(size_t)idx] == -1, "split-K slot %d written twice", idx);
                  slot_owner[(size_t)idx] = warp * 32 + lane;
                }
                blk.st_f32(idx * 4, acc(warp, i, nt)[lane][r], "split-K park");
              }
    }
    blk.syncthreads();
    for (int warp = 0; warp < NW; ++warp) {
      int wm, wn, wk;
      sp_warp_roles<C>(warp, wm, wn, wk);
      const int wmn = warp % (C::WM * C::WN);
      if (wk > 0) {
        warp_done[(size_t)warp] = true;
        continue;
      }
      for (int q = 1; q < C::WK; ++q)
        for (int i = 0; i < 2; ++i)
          for (int nt = 0; nt < C::NT; ++nt)
            for (int r = 0; r < 4; ++r)
              for (int lane = 0; lane < 32; ++lane) {
                const int idx = sp_red_index<C>(q, wmn, i, nt, r, lane);
                int wq = -1;
                for (int w2 = 0; w2 < NW; ++w2) {
                  int a2, b2, k2;
                  sp_warp_roles<C>(w2, a2, b2, k2);
                  if (k2 == q && w2 % (C::WM * C::WN) == wmn) wq = w2;
                }
                if (idx >= 0 && idx < (int)slot_owner.size())
                  EMU_CHECK(slot_owner[(size_t)idx] == wq * 32 + lane, "split-K slot %d read by warp %d lane %d holds %d",
                            idx, warp, lane, slot_owner[(size_t)idx]);
                acc(warp, i, nt)[lane][r] += blk.ld_f32(idx * 4, "split-K sum");
              }
    }
  }

  for (int warp = 0; warp < NW; ++warp) {
    if (warp_done[(size_t)warp]) continue;
    int wm, wn, wk;
    sp_warp_roles<C>(warp, wm, wn, wk);
    if (!(sp_tile_m<C>(m0, wm, 0) < Mp)) continue;
    for (int i = 0; i < 2; ++i)
      for (int nt = 0; nt < C::NT; ++nt)
        for (int lane = 0; lane < 32; ++lane) {
          float c[4];
          for (int r = 0; r < 4; ++r) c[r] = acc(warp, i, nt)[lane][r];
          store_fragment(y, bias, c, sp_tile_m<C>(m0, wm, i), sp_tile_n<C>(n0, wn, nt), out, tokens, lane);
        }
  }
  conflicts += blk.bank_conflicts;
  phases += blk.ldmatrix_phases;
}

template <class C>
void emulate_sparse(const Problem& pb, Output& y, long& conflicts, long& phases) {
  int64_t gx, gy;
  sp_grid<C>((int)pb.tokens, (int)pb.out, gx, gy);
  EMU_CHECK(gy <= kMaxGridY, "gridDim.y %lld", (long long)gy);
  for (int bx = 0; bx < gx; ++bx)
    for (int by = 0; by < gy; ++by) emulate_sparse_block<C>(pb, y, bx, by, conflicts, phases);
}

// ----------------------------------------------------------------------------------------------- dense kernel
void emulate_dense_block(const Problem& pb, Output& y, int bx, int by, long& conflicts, long& phases) {
  using C = DnCfg;
  const int tokens = (int)pb.tokens, in = (int)pb.in, out = (int)pb.out, dt = pb.xd;
  const float* bias = pb.with_bias ? pb.bias.data() : nullptr;
  const int A_OFF = 0, B_OFF = C::STAGES * C::STAGE * 2;
  Block blk(2 * C::STAGES * C::STAGE * 2, C::THREADS);
  const int m0 = bx * C::BM, n0 = by * C::BN;
  const int KT = (in + C::BK - 1) / C::BK;
  auto load_stage = [&](int tid, int kt, int slot) {
    for (int c = tid; c < C::COPIES; c += C::THREADS) {
      const CopyPlan pa = dn_copy(c, m0, kt, out, in);
      blk.cp_async16(tid, A_OFF + (slot * C::STAGE + pa.dst) * 2, gsrc(pb.w, pa, "W dense"), pa.ok, kt);
      const CopyPlan pbb = dn_copy(c, n0, kt, tokens, in);
      blk.cp_async16(tid, B_OFF + (slot * C::STAGE + pbb.dst) * 2, gsrc(pb.x, pbb, "X"), pbb.ok, kt);
    }
  };
  static float accs[4][2][4][32][4];
  memset(accs, 0, sizeof accs);
  for (int st = 0; st < C::STAGES - 1; ++st)
    for (int tid = 0; tid < C::THREADS; ++tid) {
      if (st < KT) load_stage(tid, st, st);
      blk.commit(tid);
    }
  for (int kt = 0; kt < KT; ++kt) {
    for (int tid = 0; tid < C::THREADS; ++tid) blk.wait_group(tid, C::STAGES - 2);
    blk.syncthreads();
    const int nk = kt + C::STAGES - 1;
    for (int tid = 0; tid < C::THREADS; ++tid) {
      if (nk < KT) load_stage(tid, nk, nk % C::STAGES);
      blk.commit(tid);
    }
    const int slot = kt % C::STAGES;
    for (int warp = 0; warp < 4; ++warp) {
      const int wm = warp & 1, wn = warp >> 1;
      for (int kk = 0; kk < C::BK / 16; ++kk) {
        uint32_t a[2][32][4];
        for (int i = 0; i < 2; ++i) {
          int addr[32];
          for (int lane = 0; lane < 32; ++lane) addr[lane] = A_OFF + (slot * C::STAGE + dn_ldsm_a(wm, i, kk, lane)) * 2;
          blk.ldmatrix(4, false, addr, a[i], kt, "dense ldmatrix A");
        }
        for (int np = 0; np < 2; ++np) {
          uint32_t b[32][4];
          int addr[32];
          for (int lane = 0; lane < 32; ++lane) addr[lane] = B_OFF + (slot * C::STAGE + dn_ldsm_b(wn, np, kk, lane)) * 2;
          blk.ldmatrix(4, false, addr, b, kt, "dense ldmatrix B");
          uint32_t b0[32][2], b1[32][2];
          for (int l = 0; l < 32; ++l) {
            b0[l][0] = b[l][0];
            b0[l][1] = b[l][1];
            b1[l][0] = b[l][2];
            b1[l][1] = b[l][3];
          }
          for (int i = 0; i < 2; ++i) {
            emu::mma_m16n8k16(accs[warp][i][2 * np], a[i], b0, dt);
            emu::mma_m16n8k16(accs[warp][i][2 * np + 1], a[i], b1, dt);
          }
        }
      }
    }
  }
  for (int warp = 0; warp < 4; ++warp) {
    const int wm = warp & 1, wn = warp >> 1;
    for (int i = 0; i < 2; ++i)
      for (int nt = 0; nt < 4; ++nt)
        for (int lane = 0; lane < 32; ++lane)
          store_fragment(y, bias, accs[warp][i][nt][lane], m0 + wm * 32 + i * 16, n0 + wn * 32 + nt * 8, out, tokens, lane);
  }
  conflicts += blk.bank_conflicts;
  phases += blk.ldmatrix_phases;
}

void emulate_dense(const Problem& pb, Output& y, long& conflicts, long& phases) {
  int64_t gx, gy;
  dn_grid((int)pb.tokens, (int)pb.out, gx, gy);
  EMU_CHECK(gy <= kMaxGridY, "gridDim.y %lld", (long long)gy);
  for (int bx = 0; bx < gx; ++bx)
    for (int by = 0; by < gy; ++by) emulate_dense_block(pb, y, bx, by, conflicts, phases);
}

// ----------------------------------------------------------------------------------------------- problems
bool make_problem(Problem& pb, std::mt19937& rng) {
  std::uniform_real_distribution<float> uni(-1.0f, 1.0f);
  const int64_t T = pb.tokens, K = pb.in, M = pb.out;
  pb.w.assign((size_t)(M * K), 0);
  std::vector<uint16_t> vals((size_t)(M * K / 2));
  std::vector<uint8_t> idx((size_t)(M * ((K + 7) / 8)), 0);
  for (int64_t r = 0; r < M; ++r)
    for (int64_t g = 0; g < K / 4; ++g) {
      const int nz = (rng() % 6 == 0) ? (int)(rng() % 2) : 2;  // some groups with 1 or 0 non-zeros
      int p0 = (int)(rng() % 4), p1 = (p0 + 1 + (int)(rng() % 3)) % 4;
      if (nz >= 1) pb.w[(size_t)(r * K + 4 * g + p0)] = emu::from_float(uni(rng), pb.xd);
      if (nz >= 2) pb.w[(size_t)(r * K + 4 * g + p1)] = emu::from_float(uni(rng), pb.xd);
      if (nz < 2) p1 = (p0 + 1) % 4;
      if (nz < 1) {
        p0 = 2;  // the all-zero chunk as PyTorch writes it: 0xE
        p1 = 3;
      }
      const int a = p0 < p1 ? p0 : p1, b = p0 < p1 ? p1 : p0;
      vals[(size_t)(r * (K / 2) + 2 * g)] = pb.w[(size_t)(r * K + 4 * g + a)];
      vals[(size_t)(r * (K / 2) + 2 * g + 1)] = pb.w[(size_t)(r * K + 4 * g + b)];
      idx[(size_t)(r * ((K + 7) / 8) + g / 2)] |= (uint8_t)((a | (b << 2)) << (4 * (g & 1)));
    }
  pb.x.resize((size_t)(T * K));
  for (auto& v : pb.x) v = emu::from_float(uni(rng), pb.xd);
  pb.bias.resize((size_t)M);
  for (auto& v : pb.bias) v = uni(rng);
  int64_t vc = 0, mw = 0;
  if (sk_sparse24_gpu_sizes(M, K, &vc, &mw) != SK_OK) {
    fprintf(stderr, "sizes: %s\n", sk_last_error());
    return false;
  }
  pb.gv.assign((size_t)vc, 0xFFFF);
  pb.gm.assign((size_t)mw, 0xFFFFFFFFu);
  if (sk_sparse24_pack(vals.data(), idx.data(), M, K, pb.gv.data(), pb.gm.data()) != SK_OK) {
    fprintf(stderr, "pack: %s\n", sk_last_error());
    return false;
  }
  return true;
}

// Compares y with the fp64 reference of the pruned W; returns the number of bad elements.
long compare(const Problem& pb, const Output& y, const char* which, double& worst) {
  const int64_t T = pb.tokens, K = pb.in, M = pb.out;
  const double rel_out = pb.yd == emu::F32 ? 0.0 : pb.yd == emu::F16 ? 1.0 / 2048 : 1.0 / 256;
  long bad = 0;
  for (int64_t n = 0; n < T; ++n)
    for (int64_t m = 0; m < M; ++m) {
      const int64_t i = n * M + m;
      double ref = pb.with_bias ? pb.bias[(size_t)m] : 0.0, mag = std::fabs(ref);
      for (int64_t k = 0; k < K; ++k) {
        const double p = (double)emu::to_float(pb.x[(size_t)(n * K + k)], pb.xd) *
                         (double)emu::to_float(pb.w[(size_t)(m * K + k)], pb.xd);
        ref += p;
        mag += std::fabs(p);
      }
      // fp32 accumulation (one rounding per mma + the bias add) and the output rounding (half an ulp, a bit more).
      const double tol = 1e-7 + 4e-7 * mag * (double)(K / 16 + 2) + rel_out * 1.01 * std::fabs(ref) + (pb.yd == emu::F16 ? 6e-8 : 0);
      const double got = y.get(i), err = std::fabs(got - ref);
      if (y.writes[(size_t)i] != 1) {
        if (bad < 3) fprintf(stderr, "  %s y[%lld][%lld] written %d times\n", which, (long long)n, (long long)m, y.writes[(size_t)i]);
        ++bad;
        continue;
      }
      if (!(err <= tol)) {
        if (bad < 3) fprintf(stderr, "  %s y[%lld][%lld] = %.9g, want %.9g (tol %.3g)\n", which, (long long)n, (long long)m, got, ref, tol);
        ++bad;
      }
      worst = std::fmax(worst, err / tol);
    }
  return bad;
}

// Static checks of the tile configs and the limits (no emulation).
template <class C>
void check_config(const char* name) {
  EMU_CHECK(C::SMEM_BYTES <= 99 * 1024, "%s smem %d", name, C::SMEM_BYTES);
  EMU_CHECK(C::RED_FLOATS * 4 <= C::SMEM_BYTES, "%s reduction buffer", name);
  // Every copy slot of a stage written exactly once, rows and metadata inside the stage.
  std::vector<int> a((size_t)C::A_STAGE, 0), b((size_t)C::B_STAGE, 0), e((size_t)C::E_STAGE, 0);
  for (int c = 0; c < C::A_COPIES; ++c) {
    const CopyPlan p = sp_copy_a<C>(c, 0, 0, 1 << 20, 1 << 20);
    for (int h = 0; h < 8; ++h) ++a[(size_t)(p.dst + h)];
  }
  for (int c = 0; c < C::B_COPIES; ++c) {
    const CopyPlan p = sp_copy_b<C>(c, 0, 0, 1 << 20, 1 << 20);
    for (int h = 0; h < 8; ++h) ++b[(size_t)(p.dst + h)];
  }
  for (int c = 0; c < C::E_COPIES; ++c) {
    const CopyPlan p = sp_copy_e<C>(c, 0, 0, 1 << 20, 1 << 20);
    for (int h = 0; h < 4; ++h) ++e[(size_t)(p.dst + h)];
  }
  long pad_a = 0, pad_b = 0;
  for (int i = 0; i < C::A_STAGE; ++i) {
    EMU_CHECK(a[(size_t)i] <= 1, "%s A half %d copied %d times", name, i, a[(size_t)i]);
    pad_a += a[(size_t)i] == 0;
  }
  for (int i = 0; i < C::B_STAGE; ++i) {
    EMU_CHECK(b[(size_t)i] <= 1, "%s B half %d copied %d times", name, i, b[(size_t)i]);
    pad_b += b[(size_t)i] == 0;
  }
  for (int i = 0; i < C::E_STAGE; ++i) EMU_CHECK(e[(size_t)i] == 1, "%s E word %d copied %d times", name, i, e[(size_t)i]);
  EMU_CHECK(pad_a == (long)C::BM * 8 && pad_b == (long)C::BN * 8, "%s: only the 16-byte row padding stays uncopied", name);
  printf("config %-5s BM %3d BN %3d warps %d (WMxWNxWK %dx%dx%d) k32/stage %d stages %d smem %6d B\n", name, C::BM, C::BN,
         C::THREADS / 32, C::WM, C::WN, C::WK, C::KSTEPS, C::STAGES, C::SMEM_BYTES);
}

void check_limits() {
  // The largest token count the host accepts keeps gridDim.y <= 65535; tokens beyond it must be refused.
  int64_t gx, gy;
  EMU_CHECK(sp_cfg_for_tokens(kSpMaxTokens) == 3, "max tokens uses Large");
  sp_grid<CfgLarge>((int)kSpMaxTokens, 1 << 30, gx, gy);
  EMU_CHECK(gy <= kMaxGridY && gx <= 0x7FFFFFFF, "sparse grid at the limit %lld x %lld", (long long)gx, (long long)gy);
  sp_grid<CfgLarge>((int)kSpMaxTokens + 1, 64, gx, gy);
  EMU_CHECK(gy > kMaxGridY, "one token more must exceed the grid");
  sp_grid<CfgMid>(64, 1 << 30, gx, gy);
  EMU_CHECK(gy == 1, "Mid grid.y for 64 tokens");
  sp_grid<CfgTiny>(8, 1 << 30, gx, gy);
  EMU_CHECK(gx == (1 << 25) && gy == 1, "Tiny grid for out 2^30");
  dn_grid((int)kDnMaxTokens, 1 << 30, gx, gy);
  EMU_CHECK(gy <= kMaxGridY, "dense grid");
  // 64-bit offsets at the largest accepted sizes (in, out <= 2^30): the last copies of the last block.
  const int in = 1 << 30, out = 1 << 30, Mp = sp_padded_rows(out), KS = sp_padded_cols(in) / 32;
  const CopyPlan pa = sp_copy_a<CfgLarge>(CfgLarge::A_COPIES - 1, Mp - CfgLarge::BM, KS - CfgLarge::KSTEPS, Mp, KS);
  EMU_CHECK(pa.ok && pa.src == (int64_t)Mp * (KS * 16) - 8, "W offset at 2^30 x 2^30: %lld", (long long)pa.src);
  const CopyPlan pbx = sp_copy_b<CfgLarge>(CfgLarge::B_COPIES - 1, (int)kSpMaxTokens - CfgLarge::BN, KS - CfgLarge::KSTEPS,
                                           (int)kSpMaxTokens, in);
  EMU_CHECK(pbx.ok && pbx.src == kSpMaxTokens * (int64_t)in - 8, "X offset %lld", (long long)pbx.src);
  const CopyPlan pe = sp_copy_e<CfgLarge>(CfgLarge::E_COPIES - 1, Mp - CfgLarge::BM, KS - CfgLarge::KSTEPS, Mp, KS);
  EMU_CHECK(pe.ok && pe.src == (int64_t)(Mp / 32) * KS * 32 - 4, "metadata offset %lld", (long long)pe.src);
  EMU_CHECK(y_offset((int)kSpMaxTokens - 1, out - 1, out) == kSpMaxTokens * (int64_t)out - 1, "y offset");
  const CopyPlan pd = dn_copy(DnCfg::COPIES - 1, out - DnCfg::BM, (in - 1) / 32, out, in);
  EMU_CHECK(pd.ok && pd.src == (int64_t)out * in - 8, "dense W offset %lld", (long long)pd.src);
}

bool run_case(std::mt19937& rng, int64_t t, int64_t k, int64_t o, int xd, int yd, bool with_bias, long& cf, long& ph) {
  Problem pb;
  pb.tokens = t;
  pb.in = k;
  pb.out = o;
  pb.xd = xd;
  pb.yd = yd;
  pb.with_bias = with_bias;
  if (!make_problem(pb, rng)) return false;
  const long before = emu::failures().count;
  Output ys(yd, t, o), yn(yd, t, o);
  const char* cfg = "";
  switch (sp_cfg_for_tokens(t)) {
    case 0: emulate_sparse<CfgTiny>(pb, ys, cf, ph); cfg = "Tiny"; break;
    case 1: emulate_sparse<CfgSmall>(pb, ys, cf, ph); cfg = "Small"; break;
    case 2: emulate_sparse<CfgMid>(pb, ys, cf, ph); cfg = "Mid"; break;
    default: emulate_sparse<CfgLarge>(pb, ys, cf, ph); cfg = "Large"; break;
  }
  emulate_dense(pb, yn, cf, ph);
  double ws = 0, wd = 0;
  const long bs = compare(pb, ys, "sparse", ws), bd = compare(pb, yn, "dense", wd);
  const long model = emu::failures().count - before;
  const bool ok = bs == 0 && bd == 0 && model == 0;
  if (!ok || getenv("SK_EMU_VERBOSE"))
    printf("%s tokens=%-4lld in=%-4lld out=%-4lld x=%-4s y=%-4s bias=%d cfg=%-5s sparse err/tol %.3f (%ld bad) dense %.3f (%ld bad) model %ld\n",
           ok ? "PASS" : "FAIL", (long long)t, (long long)k, (long long)o, dt_name(xd), dt_name(yd), with_bias ? 1 : 0, cfg,
           ws, bs, wd, bd, model);
  return ok;
}

}  // namespace

int main(int argc, char** argv) {
  const bool quick = argc > 1 && strcmp(argv[1], "--quick") == 0;
  // Converter sanity (the emulator's f16/bf16 rounding).
  EMU_CHECK(emu::float_to_f16(1.0f) == 0x3C00 && emu::float_to_f16(-2.0f) == 0xC000, "f16 basics");
  EMU_CHECK(emu::float_to_f16(65504.0f) == 0x7BFF && emu::float_to_f16(70000.0f) == 0x7C00, "f16 max/overflow");
  EMU_CHECK(emu::float_to_f16(1.0f + 1.0f / 2048) == 0x3C00 && emu::float_to_f16(1.0f + 3.0f / 2048) == 0x3C02, "f16 ties to even");
  EMU_CHECK(emu::float_to_f16(5.9604645e-08f) == 0x0001 && emu::f16_to_float(0x0001) == 5.9604645e-08f, "f16 subnormal");
  EMU_CHECK(emu::float_to_bf16(1.0f) == 0x3F80 && emu::bf16_to_float(0x3F80) == 1.0f, "bf16 basics");
  for (uint32_t h = 0; h < 0x7C00; ++h) EMU_CHECK(emu::float_to_f16(emu::f16_to_float((uint16_t)h)) == h, "f16 round trip 0x%X", h);

  check_config<CfgTiny>("Tiny");
  check_config<CfgSmall>("Small");
  check_config<CfgMid>("Mid");
  check_config<CfgLarge>("Large");
  check_limits();

  std::mt19937 rng(20240611);
  const int64_t tokens_list[] = {1, 7, 8, 9, 16, 17, 33, 64, 65, 130};
  const int64_t in_list[] = {8, 40, 64, 264};
  const int64_t out_list[] = {1, 40, 96, 130};
  int total = 0, failed = 0;
  long conflicts = 0, phases = 0;
  int variant = 0;
  for (int64_t t : tokens_list)
    for (int64_t k : in_list)
      for (int64_t o : out_list) {
        // All four dtype combinations per shape (one in --quick), bias on and off.
        for (int combo = 0; combo < (quick ? 1 : 4); ++combo) {
          const int c = quick ? variant % 4 : combo;
          const int xd = (c & 1) ? emu::BF16 : emu::F16;
          const int yd = (c & 2) ? xd : emu::F32;
          const bool bias = ((variant + combo) % 3) != 2;
          ++total;
          if (!run_case(rng, t, k, o, xd, yd, bias, conflicts, phases)) ++failed;
        }
        ++variant;
      }
  // Longer K (many pipeline turns, ring wrap-around, split-K with partial last stage) and bigger grids.
  const int64_t extra[][3] = {{1, 1096, 64}, {5, 1024, 33}, {12, 2056, 40}, {40, 776, 100}, {200, 520, 300}, {131, 1000, 257}};
  for (auto& e : extra)
    for (int combo = 0; combo < 4; ++combo) {
      const int xd = (combo & 1) ? emu::BF16 : emu::F16;
      const int yd = (combo & 2) ? xd : emu::F32;
      ++total;
      if (!run_case(rng, e[0], e[1], e[2], xd, yd, combo != 3, conflicts, phases)) ++failed;
    }
  EMU_CHECK(conflicts == 0, "%ld of %ld ldmatrix phases had shared-memory bank conflicts", conflicts, phases);
  const long model = emu::failures().count;
  printf("%s: %d of %d emulated GEMM cases passed (sparse and dense), %ld ldmatrix phases, %ld bank conflicts, %ld model failures\n",
         failed == 0 && model == 0 ? "PASS" : "FAIL", total - failed, total, phases, conflicts, model);
  return failed == 0 && model == 0 ? 0 : 1;
}
