// Kernel emulation test (target sk_kernel_emulation_test; no GPU and no nvcc needed).
//
// Runs whole GEMMs through a CPU emulation of cuda/sparse24_gemm.cu and cuda/dense_gemm.cu (and, for a subset of the
// shapes, of cuda/sparse24_gemm_sm90.cu and of the experimental cuda/sparse24_gemm_sm90_smem_a.cu, whose wgmma.sp
// models state the kernels' own assumptions about that instruction, so they check the kernels' index math and, for
// the smem-A variant, its in-flight slot reuse, not those assumptions): every address,
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

#include <functional>
#include <random>
#include <string>
#include <type_traits>
#include <vector>

#include "gemm_index.cuh"
#include "sparsekernels.h"
#include "warp_emulator.h"

using namespace skcuda;
using emu::Block;

namespace {

const char* dt_name(int d) { return d == emu::F32 ? "f32" : d == emu::F16 ? "f16" : "bf16"; }

// Whether run_case also emulates the sm90 wgmma.sp kernel (its warpgroup model is slow: only some cases).
bool sp90_cases = false;
// A mutation for check_staged_mutation: the staged epilogue without the consumers' barrier.
bool g_staged_without_barrier = false;

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
  // The default configs run on every arch; the deep tiny-token ones only where the device takes them (the dispatch
  // checks the opt-in limit), but never past sm_80's 163 KB.
  constexpr bool deep = std::is_same<C, CfgTinyDeep>::value || std::is_same<C, CfgSmallDeep>::value;
  EMU_CHECK(C::SMEM_BYTES <= (deep ? 163 : 99) * 1024, "config needs %d bytes of smem, more than its archs allow",
            C::SMEM_BYTES);

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

// ------------------------------------------------------------------------------- Hopper 2:4 kernel (wgmma.sp)
// wgmma.mma_async.sp.m64n128k32 (register A), modelled with the assumptions cuda/sparse24_gemm_sm90.cu is written
// on (notes section 5): warp w of the warpgroup acts as mma.sp m16n8k32 on rows 16w..16w+15 for each of the 16 n8
// column groups, metadata from lanes t = 0, 1 of that warp (selector 0); B (32 x 128, K-major) is read from shared
// memory at the descriptor's start address with rows 128 B apart, 8-row groups 1024 B apart (SBO) and the 128-byte
// swizzle applied to the final address (bits [6:4] ^= bits [9:7]). acc: [warp of the warpgroup][lane][64], where
// accumulator i is register i%4 of the m16n8 C fragment of n8 group i/4. A GPU run is what confirms the model.
void wgmma_sp_m64n128k32(Block& blk, int start, const uint32_t (*a)[32][4], const uint32_t (*e)[32], float* acc,
                         int tag, int dt) {
  EMU_CHECK(start % 1024 < 128 && start % 16 == 0, "descriptor start %d: not inside the first row of a 1024-aligned atom",
            start);
  for (int w = 0; w < 4; ++w)
    for (int nt = 0; nt < 16; ++nt) {
      uint32_t b[32][4];
      for (int lane = 0; lane < 32; ++lane)
        for (int j = 0; j < 4; ++j) {
          const int n = nt * 8 + lane / 4, k = 8 * j + 2 * (lane % 4);  // notes 1.3: {B[k][n], B[k+1][n]}
          const int addr = start + (n / 8) * 1024 + (n % 8) * 128 + 2 * k;
          b[lane][j] = blk.ld32(addr ^ (((addr >> 7) & 7) << 4), tag, "wgmma B");
        }
      float d[32][4];
      for (int lane = 0; lane < 32; ++lane)
        for (int r = 0; r < 4; ++r) d[lane][r] = acc[(w * 32 + lane) * 64 + 4 * nt + r];
      emu::mma_sp_m16n8k32(d, a[w], b, e[w], 0, dt);
      for (int lane = 0; lane < 32; ++lane)
        for (int r = 0; r < 4; ++r) acc[(w * 32 + lane) * 64 + 4 * nt + r] = d[lane][r];
    }
}

// sparse24_gemm_sm90_kernel, statement by statement (the 1024-byte base alignment is taken as given: base = 0).
void emulate_sp90_block(const Problem& pb, Output& y, int bx, int by, long& conflicts, long& phases) {
  using C = Sp90Cfg;
  const int tokens = (int)pb.tokens, in = (int)pb.in, out = (int)pb.out, dt = pb.xd;
  const float* bias = pb.with_bias ? pb.bias.data() : nullptr;
  Block blk(C::PIPE_BYTES, C::THREADS);
  EMU_CHECK(C::SMEM_BYTES <= 227 * 1024, "sm90 config needs %d bytes of smem", C::SMEM_BYTES);
  const int Mp = sp_padded_rows(out), Kp = sp_padded_cols(in);
  const int KS = Kp / 32;
  const int KT = (KS + C::KSTEPS - 1) / C::KSTEPS;
  const int m0 = bx * C::BM, n0 = by * C::BN;

  auto load_stage = [&](int tid, int kt, int slot) {
    const int s0 = kt * C::KSTEPS;
    for (int i = 0; i < C::B_COPIES / C::THREADS; ++i) {
      const CopyPlan p = sp90_copy_b(tid + i * C::THREADS, n0, s0, tokens, in);
      blk.cp_async16(tid, C::B_OFF + slot * C::B_STAGE_BYTES + p.dst, gsrc(pb.x, p, "X"), p.ok, kt);
    }
    for (int i = 0; i < C::A_COPIES / C::THREADS; ++i) {
      const CopyPlan p = sp_copy_a<C>(tid + i * C::THREADS, m0, s0, Mp, KS);
      blk.cp_async16(tid, C::A_OFF + (slot * C::A_STAGE + p.dst) * 2, gsrc(pb.gv, p, "W values"), p.ok, kt);
    }
    if (tid < C::E_COPIES) {
      const CopyPlan p = sp_copy_e<C>(tid, m0, s0, Mp, KS);
      blk.cp_async16(tid, C::E_OFF + (slot * C::E_STAGE + p.dst) * 4, gsrc(pb.gm, p, "metadata"), p.ok, kt);
    }
  };

  std::vector<float> acc((size_t)C::THREADS * 64, 0.0f);  // [warp q][lane][i]
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
    for (int wg = 0; wg < C::WG; ++wg)
      for (int j = 0; j < C::KSTEPS; ++j) {
        uint32_t a[4][32][4], e[4][32];
        for (int w = 0; w < 4; ++w) {
          const int q = 4 * wg + w;
          const bool rows_ok = m0 + 32 * sp90_wm(q) < Mp, step_ok = kt * C::KSTEPS + j < KS;
          int addr[32];
          for (int lane = 0; lane < 32; ++lane)
            addr[lane] = C::A_OFF + (slot * C::A_STAGE + sp_ldsm_a<C>(sp90_wm(q), sp90_tile(q), j, lane)) * 2;
          blk.ldmatrix(4, false, addr, a[w], kt, "ldmatrix A (sm90)");
          for (int lane = 0; lane < 32; ++lane) {
            const uint32_t v = blk.ld32(
                C::E_OFF + (slot * C::E_STAGE + sp_meta_index<C>(sp90_wm(q), j, sp90_meta_lane(q, lane))) * 4, kt,
                "metadata (sm90)");
            e[w][lane] = step_ok && rows_ok ? v : kSp90PadMeta;
          }
        }
        wgmma_sp_m64n128k32(blk, C::B_OFF + slot * C::B_STAGE_BYTES + j * 64, a, e, &acc[(size_t)wg * 128 * 64], kt,
                            dt);
      }
  }
  for (int q = 0; q < C::THREADS / 32; ++q)
    for (int lane = 0; lane < 32; ++lane)
      for (int i = 0; i < 64; ++i) {
        const int m = sp90_acc_m(m0, q, lane, i), n = sp90_acc_n(n0, lane, i);
        if (m < out && n < tokens)
          y.store(y_offset(n, m, out), acc[((size_t)q * 32 + lane) * 64 + i] + (bias != nullptr ? bias[m] : 0.0f));
      }
  conflicts += blk.bank_conflicts;
  phases += blk.ldmatrix_phases;
}

void emulate_sp90(const Problem& pb, Output& y, long& conflicts, long& phases) {
  int64_t gx, gy;
  sp90_grid((int)pb.tokens, (int)pb.out, gx, gy);
  EMU_CHECK(gy <= kMaxGridY, "gridDim.y %lld", (long long)gy);
  for (int bx = 0; bx < gx; ++bx)
    for (int by = 0; by < gy; ++by) emulate_sp90_block(pb, y, bx, by, conflicts, phases);
}

// ------------------------------------------------- Hopper 2:4 kernel, A from shared memory (experimental)
// wgmma.mma_async.sp.m64n128k32 with A through a descriptor, modelled on the UNCONFIRMED assumption
// cuda/sparse24_gemm_sm90_smem_a.cu is written on (notes 6.3): the compressed 64x16 piece of a k32 step is read like
// a dense K-major tile at the A descriptor's start (rows 128 B apart, 8-row groups 1024 B apart, the 128-byte swizzle
// on the final address), and warp w gets from there exactly its register-form fragment (notes 1.2: the dense
// m16n8k16 A layout on the compressed 16x16 tile of rows 16w..16w+15). B, metadata and D as wgmma_sp_m64n128k32.
// So this checks that the copy plans, the swizzle and the descriptor steps agree with that assumption, not the
// assumption itself.
void wgmma_sp_smem_a_m64n128k32(Block& blk, int a_start, int b_start, const uint32_t (*e)[32], float* acc, int tag,
                                int dt) {
  EMU_CHECK(a_start % 1024 < 128 && a_start % 16 == 0,
            "A descriptor start %d: not inside the first row of a 1024-aligned atom", a_start);
  static uint32_t a[4][32][4];
  for (int w = 0; w < 4; ++w)
    for (int lane = 0; lane < 32; ++lane)
      for (int r = 0; r < 4; ++r) {
        const int row = 16 * w + lane / 4 + 8 * (r & 1), col = 2 * (lane % 4) + 8 * (r >> 1);  // compressed
        const int addr = a_start + (row / 8) * 1024 + (row % 8) * 128 + 2 * col;
        a[w][lane][r] = blk.ld32(addr ^ (((addr >> 7) & 7) << 4), tag, "wgmma A (smem)");
      }
  wgmma_sp_m64n128k32(blk, b_start, a, e, acc, tag, dt);
}

// A non-tensor bulk copy of `bytes` from 32-bit words src_word.. of g: 16-byte aligned both sides, a multiple of 16
// bytes, and wholly inside the buffer (the engine faults on a read past the allocation).
int bulk_load(Block& blk, int tid, int dst, const std::vector<uint32_t>& g, int64_t src_word, int bytes, int tag) {
  EMU_CHECK(bytes > 0 && bytes % 16 == 0 && dst % 16 == 0 && src_word % 4 == 0,
            "bulk copy of %d bytes from word %lld to %d: not 16-byte granular", bytes, (long long)src_word, dst);
  EMU_CHECK(src_word >= 0 && src_word + bytes / 4 <= (int64_t)g.size(),
            "bulk copy reads words [%lld, %lld) outside the buffer of %zu", (long long)src_word,
            (long long)(src_word + bytes / 4), g.size());
  alignas(16) static const uint32_t zeros[4] = {0, 0, 0, 0};
  for (int off = 0; off < bytes; off += 16) {
    const int64_t w = src_word + off / 4;
    const bool inside = w >= 0 && w + 4 <= (int64_t)g.size();
    blk.cp_async16(tid, dst + off, inside ? (const void*)&g[(size_t)w] : (const void*)zeros, true, tag);
  }
  return bytes;
}

// Runs a producer / consumer TMA pipeline's actors (step(0): the producer, step(1 .. consumers): the consumer
// warpgroups; each returns whether it could move) until done(), under schedule `order`: 0 the producer runs as far
// ahead as the ring lets it, then each consumer in turn; 1 the consumers move first and the producer only when none
// can; 2 every actor in turn, one step each. Returns false at a state where nobody can move (a deadlock).
template <class Step, class Done>
bool run_tma_schedule(int order, int consumers, Step&& step, Done&& done) {
  int turn = 0;
  while (!done()) {
    bool moved = false;
    if (order == 0) {
      for (int a = 0; a <= consumers && !moved; ++a)
        while (step(a)) moved = true;
    } else if (order == 1) {
      for (int a = 1; a <= consumers && !moved; ++a)
        while (step(a)) moved = true;
      if (!moved) moved = step(0);
    } else {
      for (int i = 0; i <= consumers && !moved; ++i) moved = step((turn + i) % (consumers + 1));
      turn = (turn + 1) % (consumers + 1);
    }
    if (!moved) return false;
  }
  return true;
}

// sparse24_gemm_sm90_tma_kernel's pipeline (Sp90TmaCfg), statement by statement: the producer (thread
// CONSUMER_THREADS, lane 0 of warp 8) refills slot kt % STAGES with stage kt once empty has completed the phase of
// stage kt - STAGES, checks that its copies deliver exactly the bytes its arrive.expect_tx announced (a mismatch
// hangs the GPU), and arrives on full; each consumer warpgroup waits for full, runs the stage (mma_stage: the
// caller's model of the kernel's MMAs) and arrives on empty with its 128 threads. Schedules (order): 0 the producer
// runs as far ahead as the ring lets it, then warpgroup 0, then 1; 1 the consumers move first and the producer only
// when neither can; 2 all three in turn, one step each. A state where nobody can move is a deadlock and fails.
// epilogue (optional): warpgroup wg's epilogue through shared memory, run as the warpgroup's step after its last
// stage, once every warpgroup has passed its last stage (the kernel's consumers_sync) unless epilogue_barrier is
// false (a mutation: then a warpgroup's staged stores may meet another's reads of the ring).
template <class C, class MmaStage>
void emulate_sp90t_pipeline(const Problem& pb, Block& blk, int m0, int n0, int Mp, int KS, int KT, int order,
                            MmaStage& mma_stage, const std::function<void(int)>* epilogue = nullptr,
                            bool epilogue_barrier = true) {
  const int tokens = (int)pb.tokens, in = (int)pb.in;
  std::vector<emu::Mbarrier> full((size_t)C::STAGES), empty((size_t)C::STAGES);
  for (auto& b : full) b.expected = 1;
  for (auto& b : empty) b.expected = C::CONSUMER_THREADS;
  const int ptid = C::CONSUMER_THREADS;
  const TmaMap2d xmap = sp90t_x_map<C>(tokens, in), wmap = sp90t_w_map<C>(Mp, KS);
  int kt_p = 0, kt_c[C::WG] = {};
  auto produce = [&]() -> bool {
    const int kt = kt_p, slot = kt % C::STAGES;
    if (kt >= KT) return false;
    if (kt >= C::STAGES && !empty[(size_t)slot].passed(sp90d_parity<C>(kt - C::STAGES))) return false;
    const int xs = C::B_OFF + slot * C::B_STAGE_BYTES, es = C::E_OFF + slot * C::E_STAGE_BYTES;
    int bytes = tma_box_load(blk, ptid, xs, pb.x, xmap, sp90t_x_k<C>(kt, 0), n0, kt);
    bytes += tma_box_load(blk, ptid, xs + C::X_SUB_BYTES, pb.x, xmap, sp90t_x_k<C>(kt, 1), n0, kt);
    bytes += tma_box_load(blk, ptid, C::A_OFF + slot * C::A_STAGE_BYTES, pb.gv, wmap, sp90t_w_k<C>(kt), m0, kt);
    for (int p = 0; p < C::WM; ++p) {
      const int b = sp90t_meta_bytes<C>(p, m0, kt, Mp, KS);
      if (b > 0) bytes += bulk_load(blk, ptid, es + sp90t_meta_dst<C>(p), pb.gm, sp90t_meta_src<C>(p, m0, kt, KS), b, kt);
    }
    EMU_CHECK(bytes == sp90t_stage_bytes<C>(m0, kt, Mp, KS), "TMA stage %d: copies deliver %d bytes, expect_tx says %d",
              kt, bytes, sp90t_stage_bytes<C>(m0, kt, Mp, KS));
    full[(size_t)slot].arrive_on_copies(blk, ptid);
    ++kt_p;
    return true;
  };
  bool epi_done[C::WG] = {};
  auto consume = [&](int wg) -> bool {
    const int kt = kt_c[wg], slot = kt % C::STAGES;
    if (kt >= KT) {
      if (epilogue == nullptr || epi_done[wg]) return false;
      if (epilogue_barrier)
        for (int w = 0; w < C::WG; ++w)
          if (kt_c[w] < KT) return false;
      (*epilogue)(wg);
      epi_done[wg] = true;
      return true;
    }
    if (!full[(size_t)slot].passed(sp90d_parity<C>(kt))) return false;
    mma_stage(wg, kt);
    for (int t = 0; t < 128; ++t) empty[(size_t)slot].arrive(blk);
    ++kt_c[wg];
    return true;
  };
  // actor 0: the producer, 1 + wg: consumer warpgroup wg
  const bool ran = run_tma_schedule(order, C::WG, [&](int actor) { return actor == 0 ? produce() : consume(actor - 1); },
                                    [&]() {
                                      bool done = kt_p >= KT;
                                      for (int wg = 0; wg < C::WG; ++wg)
                                        done &= kt_c[wg] >= KT && (epilogue == nullptr || epi_done[wg]);
                                      return done;
                                    });
  EMU_CHECK(ran, "TMA pipeline deadlock: producer at stage %d, consumers at %d and %d, of %d", kt_p, kt_c[0],
            kt_c[C::WG - 1], KT);
  if (!ran) return;
  EMU_CHECK(!blk.any_inflight(), "TMA pipeline: a copy still in flight when the block exits");
}

// mma_stage of the shared-memory-A kernels: warpgroup wg of the block at row m0 runs stage kt from ring slot `slot`
// (its contents tagged `tag`): its warps' metadata words, then the KSTEPS wgmma.sp (drained at once), into acc
// ([warp q][lane][i], 64 per thread).
template <class C>
void sp90s_mma_stage(Block& blk, std::vector<float>& acc, int wg, int m0, int Mp, int KS, int kt, int slot, int tag,
                     int dt) {
  static uint32_t e[C::KSTEPS][4][32];  // [k32 step][warp of the warpgroup][lane]
  for (int w = 0; w < 4; ++w) {
    const int q = 4 * wg + w;
    const bool rows_ok = m0 + 32 * sp90_wm(q) < Mp;
    for (int lane = 0; lane < 32; ++lane) {
      const int meta_word = sp_meta_index<C>(sp90_wm(q), 0, sp90_meta_lane(q, lane));
      for (int j = 0; j < C::KSTEPS; ++j) {
        const bool used = rows_ok && kt * C::KSTEPS + j < KS;
        // The TMA pipeline copies no metadata for blocks past Mp or steps past KS: the kernel reads whatever the
        // slot held (and discards it), so only the words it uses must be this stage's.
        const uint32_t v = blk.ld32(C::E_OFF + slot * C::E_STAGE_BYTES + (meta_word + 32 * j) * 4,
                                    C::TMA && !used ? -2 : tag, "metadata (sm90 smem A)");
        e[j][w][lane] = used ? v : kSp90PadMeta;
      }
    }
  }
  for (int j = 0; j < C::KSTEPS; ++j)
    wgmma_sp_smem_a_m64n128k32(blk, C::A_OFF + slot * C::A_STAGE_BYTES + (int)sp90s_a_start<C>(wg, j),
                               C::B_OFF + slot * C::B_STAGE_BYTES + (int)sp90s_b_start<C>(j), e[j],
                               &acc[(size_t)wg * 128 * 64], tag, dt);
}

// sparse24_gemm_sm90_smem_a_kernel, statement by statement (base = 0), for both pipelines. The wgmma.sp of a stage
// read shared memory and the metadata registers when the stage's wait_group 0 retires them (right after issue, as
// every stage is drained), so a slot refilled before every warpgroup is done with it shows as a stage-tag mismatch.
// Lockstep: the block moves together, one __syncthreads per stage. Decoupled: the two warpgroups move separately
// under the full / empty mbarriers, scheduled by `order` (0: warpgroup 0 runs as far ahead as the barriers let it,
// 1: warpgroup 1 does, 2: they alternate one step at a time); a schedule where neither can move before both are done
// is a deadlock and fails.
// What the ring's bytes hold once a warp's staged store wrote them (no pipeline stage).
constexpr int kStagedTag = -5;

// store_tile_staged16 of sparse24_gemm_sm90_smem_a.cu for warp q of the block at (m0, n0), its accumulators at
// acc[(q * 32 + lane) * 64 + i]: the converted tile written into the warp's staging bytes (inside the ring, below
// the barriers) with the kernel's offsets, then copied to Y in 16-byte chunks, or element by element where Y's rows
// are not 16-byte aligned (out % 8 != 0, modelled for a 16-byte aligned y). Checks that every staged byte is written
// once, every chunk read is wholly written, and that neither phase has shared-memory bank conflicts: a store
// instruction's 32 lanes touch each bank in one 32-bit word at most, a 16-byte load phase's 8 lanes use 8 distinct
// 16-byte bank groups.
template <class C>
void emulate_staged16_store(const Problem& pb, Output& y, const std::vector<float>& acc, int m0, int n0, int q,
                            Block* blk = nullptr) {
  const int tokens = (int)pb.tokens, out = (int)pb.out;
  const float* bias = pb.with_bias ? pb.bias.data() : nullptr;
  const int base = q * kSp90eWarpBytes;
  EMU_CHECK(base >= 0 && base + kSp90eWarpBytes <= C::BAR_OFF, "warp %d's staging bytes [%d, %d) outside the ring",
            q, base, base + kSp90eWarpBytes);
  std::vector<uint16_t> stage((size_t)kSp90eWarpBytes / 2, 0);
  std::vector<int> written((size_t)kSp90eWarpBytes / 2, 0);
  const int mw = m0 + 16 * q;
  for (int i = 0; i < 64; ++i) {  // one st.shared.b16 instruction per accumulator index
    int word_of_bank[32];
    for (int& w : word_of_bank) w = -1;
    for (int lane = 0; lane < 32; ++lane) {
      const int m = sp90_acc_m(m0, q, lane, i), n = sp90_acc_n(n0, lane, i);
      const int off = sp90e_offset(n - n0, m - mw);
      EMU_CHECK(off >= 0 && off + 2 <= kSp90eWarpBytes && off % 2 == 0, "staged offset %d of (%d, %d)", off, n - n0,
                m - mw);
      if (off < 0 || off + 2 > kSp90eWarpBytes) continue;
      const int word = (base + off) / 4, bank = word % 32;
      EMU_CHECK(word_of_bank[bank] < 0 || word_of_bank[bank] == word,
                "staged store %d: lanes hit bank %d in words %d and %d", i, bank, word_of_bank[bank], word);
      word_of_bank[bank] = word;
      const float v = acc[((size_t)q * 32 + lane) * 64 + i] + (bias != nullptr && m < out ? bias[m] : 0.0f);
      stage[(size_t)off / 2] = emu::from_float(v, pb.yd);
      ++written[(size_t)off / 2];
      if (blk != nullptr) {  // the ring's bytes now hold the staged tile: a later read of a stage there fails
        blk->check_write(base + off, 2, "staged 16-bit store");
        blk->chunks[(size_t)(base + off) / 16].tag = kStagedTag;
      }
    }
  }
  for (size_t e = 0; e < written.size(); ++e)
    EMU_CHECK(written[e] == 1, "staged byte %zu written %d times", 2 * e, written[e]);
  const bool vec = out % 8 == 0;
  for (int c = 0; c < 8; ++c) {
    for (int phase = 0; phase < 4; ++phase) {  // 16-byte loads: 8 lanes a phase
      bool group[8] = {false};
      for (int lane = 8 * phase; lane < 8 * phase + 8; ++lane) {
        const int unit = (base + sp90e_chunk_offset(sp90e_chunk_row(lane, c), sp90e_chunk_half(lane, c))) / 16;
        EMU_CHECK(!group[unit % 8], "staged load %d: two lanes of phase %d in bank group %d", c, phase, unit % 8);
        group[unit % 8] = true;
      }
    }
    for (int lane = 0; lane < 32; ++lane) {
      const int r = sp90e_chunk_row(lane, c), h = sp90e_chunk_half(lane, c);
      const int n = n0 + r, mb = mw + 8 * h;
      if (n >= tokens || mb >= out) continue;
      const int off = sp90e_chunk_offset(r, h);
      EMU_CHECK(off % 16 == 0 && off + 16 <= kSp90eWarpBytes, "chunk offset %d", off);
      for (int k = 0; k < 8; ++k) {
        if (!vec && mb + k >= out) break;
        EMU_CHECK(vec ? mb + 8 <= out : true, "16-byte chunk at m %d crosses out %d", mb, out);
        y.store(y_offset(n, mb + k, out), emu::to_float(stage[(size_t)(off / 2 + k)], pb.yd));
      }
    }
  }
}

template <class C, bool STAGED16 = false>
void emulate_sp90s_block(const Problem& pb, Output& y, int bx, int by, int order) {
  const int tokens = (int)pb.tokens, in = (int)pb.in, out = (int)pb.out, dt = pb.xd;
  const float* bias = pb.with_bias ? pb.bias.data() : nullptr;
  Block blk(C::PIPE_BYTES, C::THREADS);
  const int Mp = sp_padded_rows(out), Kp = sp_padded_cols(in);
  const int KS = Kp / 32;
  const int KT = (KS + C::KSTEPS - 1) / C::KSTEPS;
  const int m0 = bx * C::BM, n0 = by * C::BN;

  auto load_stage = [&](int tid, int kt, int slot) {
    const int s0 = kt * C::KSTEPS;
    for (int i = 0; i < C::B_COPIES / C::THREADS; ++i) {
      const CopyPlan p = sp90s_copy_b<C>(tid + i * C::THREADS, n0, s0, tokens, in);
      blk.cp_async16(tid, C::B_OFF + slot * C::B_STAGE_BYTES + p.dst, gsrc(pb.x, p, "X"), p.ok, kt);
    }
    for (int i = 0; i < C::A_COPIES / C::THREADS; ++i) {
      const CopyPlan p = sp90s_copy_a<C>(tid + i * C::THREADS, m0, s0, Mp, KS);
      blk.cp_async16(tid, C::A_OFF + slot * C::A_STAGE_BYTES + p.dst, gsrc(pb.gv, p, "W values"), p.ok, kt);
    }
    if (tid < C::E_COPIES) {
      const CopyPlan p = sp_copy_e<C>(tid, m0, s0, Mp, KS);
      blk.cp_async16(tid, C::E_OFF + slot * C::E_STAGE_BYTES + p.dst * 4, gsrc(pb.gm, p, "metadata"), p.ok, kt);
    }
  };

  std::vector<float> acc((size_t)C::THREADS * 64, 0.0f);  // [warp q][lane][i]
  auto mma_stage = [&](int wg, int kt) { sp90s_mma_stage<C>(blk, acc, wg, m0, Mp, KS, kt, kt % C::STAGES, kt, dt); };

  const bool staged = STAGED16 && pb.yd != emu::F32;
  if constexpr (C::TMA) {
    // The staged epilogue of 16-bit outputs runs inside the pipeline, behind the consumers' barrier, so that its
    // stores into the ring meet any warpgroup still reading a stage there.
    const std::function<void(int)> epilogue = [&](int wg) {
      for (int q = 4 * wg; q < 4 * wg + 4; ++q) emulate_staged16_store<C>(pb, y, acc, m0, n0, q, &blk);
    };
    emulate_sp90t_pipeline<C>(pb, blk, m0, n0, Mp, KS, KT, order, mma_stage, staged ? &epilogue : nullptr,
                              !g_staged_without_barrier);
  } else if constexpr (!C::DECOUPLED) {
    for (int st = 0; st < C::PREFETCH; ++st)
      for (int tid = 0; tid < C::THREADS; ++tid) {
        if (st < KT) load_stage(tid, st, st);
        blk.commit(tid);
      }
    for (int kt = 0; kt < KT; ++kt) {
      for (int tid = 0; tid < C::THREADS; ++tid) blk.wait_group(tid, C::PREFETCH - 1);
      blk.syncthreads();
      for (int tid = 0; tid < C::THREADS; ++tid) {
        const int nk = kt + C::PREFETCH;
        if (nk < KT) load_stage(tid, nk, nk % C::STAGES);
        blk.commit(tid);
      }
      for (int wg = 0; wg < C::WG; ++wg) mma_stage(wg, kt);
    }
    for (int tid = 0; tid < C::THREADS; ++tid) blk.wait_group(tid, 0);
  } else {
    std::vector<emu::Mbarrier> full((size_t)C::STAGES), empty((size_t)C::STAGES);
    for (auto& b : full) b.expected = C::THREADS;
    for (auto& b : empty) b.expected = C::THREADS;
    auto threads_of = [](int wg) { return std::make_pair(wg * 128, wg * 128 + 128); };
    // Prologue, every warpgroup: the first PREFETCH stages, each thread arriving on full as its copies land.
    for (int wg = 0; wg < C::WG; ++wg)
      for (int st = 0; st < C::PREFETCH && st < KT; ++st)
        for (int tid = threads_of(wg).first; tid < threads_of(wg).second; ++tid) {
          load_stage(tid, st, st);
          full[(size_t)st].arrive_on_copies(blk, tid);
        }
    // Per warpgroup: the stage it consumes next and whether its refill for that stage is done.
    int kt_of[C::WG] = {}, refilled[C::WG] = {};
    // One step of warpgroup wg when its wait is satisfied: the refill issued at stage kt, else consuming stage kt.
    auto step = [&](int wg) -> bool {
      const int kt = kt_of[wg];
      if (kt >= KT) return false;
      if (!refilled[wg]) {
        const int nk = kt + C::PREFETCH;
        if (nk < KT) {
          const int ns = nk % C::STAGES, u = sp90d_refill_waits_for<C>(kt);
          if (u >= 0 && !empty[(size_t)ns].passed(sp90d_parity<C>(u))) return false;
          for (int tid = threads_of(wg).first; tid < threads_of(wg).second; ++tid) {
            load_stage(tid, nk, ns);
            full[(size_t)ns].arrive_on_copies(blk, tid);
          }
        }
        refilled[wg] = 1;
        return true;
      }
      const int slot = kt % C::STAGES;
      if (!full[(size_t)slot].passed(sp90d_parity<C>(kt))) return false;
      mma_stage(wg, kt);
      for (int t = 0; t < 128; ++t) empty[(size_t)slot].arrive(blk);
      ++kt_of[wg];
      refilled[wg] = 0;
      return true;
    };
    int turn = 0;
    while (true) {
      bool done = true;
      for (int wg = 0; wg < C::WG; ++wg) done &= kt_of[wg] >= KT;
      if (done) break;
      int first = order == 0 ? 0 : order == 1 ? C::WG - 1 : turn;
      bool moved = false;
      for (int i = 0; i < C::WG && !moved; ++i) {
        const int wg = (first + i) % C::WG;
        if (order < 2) {
          while (step(wg)) moved = true;
        } else {
          moved = step(wg);
        }
      }
      turn = (turn + 1) % C::WG;
      EMU_CHECK(moved, "decoupled pipeline deadlock: warpgroups at stages %d and %d of %d", kt_of[0],
                kt_of[C::WG - 1], KT);
      if (!moved) return;
    }
    EMU_CHECK(!blk.any_inflight(), "decoupled pipeline: a copy still in flight when the block exits");
  }
  for (int q = 0; q < C::CONSUMER_THREADS / 32; ++q) {
    if (staged) {
      if (!C::TMA) emulate_staged16_store<C>(pb, y, acc, m0, n0, q);  // the TMA pipeline ran it already
      continue;
    }
    for (int lane = 0; lane < 32; ++lane)
      for (int i = 0; i < 64; ++i) {
        const int m = sp90_acc_m(m0, q, lane, i), n = sp90_acc_n(n0, lane, i);
        if (m < out && n < tokens)
          y.store(y_offset(n, m, out), acc[((size_t)q * 32 + lane) * 64 + i] + (bias != nullptr ? bias[m] : 0.0f));
      }
  }
}

template <class C, bool STAGED16 = false>
void emulate_sp90s(const Problem& pb, Output& y, int order = 0) {
  int64_t gx, gy;
  sp90_grid<C>((int)pb.tokens, (int)pb.out, gx, gy);
  EMU_CHECK(gy <= kMaxGridY, "gridDim.y %lld", (long long)gy);
  for (int bx = 0; bx < gx; ++bx)
    for (int by = 0; by < gy; ++by) emulate_sp90s_block<C, STAGED16>(pb, y, bx, by, order);
}

// sparse24_gemm_sm90_tma_persistent_kernel's CTA `cta` of a `grid`-CTA launch, statement by statement: its blocks
// (cta, cta + grid, ... of the plain grid, sp90t_item_x / _y) flow through one ring whose stage count g runs on across
// them; g is also the tag of a stage's copies, so a slot refilled for the next block before a warpgroup is done with
// it shows as a tag mismatch. The producer checks each stage's expect-tx byte count and may run into the next block
// while the warpgroups still work on (or store) this one; each warpgroup zeroes its accumulators at a block's first
// stage and stores its 64 rows after the last. Schedules as emulate_sp90t_pipeline's (0 producer ahead, 1 consumers
// first, 2 round robin); a state where nobody can move is a deadlock and fails.
template <class C>
void emulate_sp90t_persistent_cta(const Problem& pb, Output& y, int cta, int grid, int order) {
  const int tokens = (int)pb.tokens, in = (int)pb.in, out = (int)pb.out, dt = pb.xd;
  const float* bias = pb.with_bias ? pb.bias.data() : nullptr;
  Block blk(C::PIPE_BYTES, C::THREADS);
  int64_t gx, gy;
  sp90_grid<C>(tokens, out, gx, gy);
  std::vector<int> mine;
  for (int item = cta; item < (int)(gx * gy); item += grid) mine.push_back(item);
  const int Mp = sp_padded_rows(out), KS = sp_padded_cols(in) / 32, KT = (KS + C::KSTEPS - 1) / C::KSTEPS;
  const TmaMap2d xmap = sp90t_x_map<C>(tokens, in), wmap = sp90t_w_map<C>(Mp, KS);
  auto tile = [&](size_t i) { return sp90_tile<C>(in, out, sp90t_item_x(mine[i], (int)gx), sp90t_item_y(mine[i], (int)gx)); };
  std::vector<emu::Mbarrier> full((size_t)C::STAGES), empty((size_t)C::STAGES);
  for (auto& b : full) b.expected = 1;
  for (auto& b : empty) b.expected = C::CONSUMER_THREADS;
  const int ptid = C::CONSUMER_THREADS;
  std::vector<float> acc((size_t)C::THREADS * 64, 0.0f);
  size_t pi = 0;
  int pkt = 0, pg = 0;                               // producer: block, stage in it, stages loaded
  size_t ci[C::WG] = {};
  int ckt[C::WG] = {}, cg[C::WG] = {};               // per warpgroup: block, stage in it, stages consumed
  auto produce = [&]() -> bool {
    if (pi >= mine.size()) return false;
    const int slot = pg % C::STAGES;
    if (pg >= C::STAGES && !empty[(size_t)slot].passed(sp90d_parity<C>(pg - C::STAGES))) return false;
    const Sp90Tile t = tile(pi);
    const int kt = pkt, xs = C::B_OFF + slot * C::B_STAGE_BYTES, es = C::E_OFF + slot * C::E_STAGE_BYTES;
    int bytes = tma_box_load(blk, ptid, xs, pb.x, xmap, sp90t_x_k<C>(kt, 0), t.n0, pg);
    bytes += tma_box_load(blk, ptid, xs + C::X_SUB_BYTES, pb.x, xmap, sp90t_x_k<C>(kt, 1), t.n0, pg);
    bytes += tma_box_load(blk, ptid, C::A_OFF + slot * C::A_STAGE_BYTES, pb.gv, wmap, sp90t_w_k<C>(kt), t.m0, pg);
    for (int p = 0; p < C::WM; ++p) {
      const int b = sp90t_meta_bytes<C>(p, t.m0, kt, Mp, KS);
      if (b > 0) bytes += bulk_load(blk, ptid, es + sp90t_meta_dst<C>(p), pb.gm, sp90t_meta_src<C>(p, t.m0, kt, KS), b, pg);
    }
    EMU_CHECK(bytes == sp90t_stage_bytes<C>(t.m0, kt, Mp, KS), "persistent TMA stage %d: copies deliver %d bytes, "
              "expect_tx says %d", pg, bytes, sp90t_stage_bytes<C>(t.m0, kt, Mp, KS));
    full[(size_t)slot].arrive_on_copies(blk, ptid);
    ++pg;
    if (++pkt == KT) pkt = 0, ++pi;
    return true;
  };
  auto consume = [&](int wg) -> bool {
    if (ci[wg] >= mine.size()) return false;
    const int slot = cg[wg] % C::STAGES;
    if (!full[(size_t)slot].passed(sp90d_parity<C>(cg[wg]))) return false;
    const Sp90Tile t = tile(ci[wg]);
    if (ckt[wg] == 0) std::fill(acc.begin() + (size_t)wg * 128 * 64, acc.begin() + (size_t)(wg + 1) * 128 * 64, 0.0f);
    sp90s_mma_stage<C>(blk, acc, wg, t.m0, Mp, KS, ckt[wg], slot, cg[wg], dt);
    for (int th = 0; th < 128; ++th) empty[(size_t)slot].arrive(blk);
    ++cg[wg];
    if (++ckt[wg] == KT) {  // the block's last stage: this warpgroup's store_tile
      for (int q = 4 * wg; q < 4 * wg + 4; ++q)
        for (int lane = 0; lane < 32; ++lane)
          for (int i = 0; i < 64; ++i) {
            const int m = sp90_acc_m(t.m0, q, lane, i), n = sp90_acc_n(t.n0, lane, i);
            if (m < out && n < tokens)
              y.store(y_offset(n, m, out), acc[((size_t)q * 32 + lane) * 64 + i] + (bias != nullptr ? bias[m] : 0.0f));
          }
      ckt[wg] = 0;
      ++ci[wg];
    }
    return true;
  };
  const bool ran = run_tma_schedule(order, C::WG, [&](int actor) { return actor == 0 ? produce() : consume(actor - 1); },
                                    [&]() {
                                      bool done = pi >= mine.size();
                                      for (int wg = 0; wg < C::WG; ++wg) done &= ci[wg] >= mine.size();
                                      return done;
                                    });
  EMU_CHECK(ran, "persistent TMA deadlock: CTA %d, producer at stage %d, warpgroup 0 at %d, of %zu blocks x %d", cta,
            pg, cg[0], mine.size(), KT);
  if (!ran) return;
  EMU_CHECK(pg == cg[0] && pg == cg[C::WG - 1] && pg == (int)mine.size() * KT,
            "persistent TMA CTA %d: producer loaded %d stages, warpgroups consumed %d and %d", cta, pg, cg[0],
            cg[C::WG - 1]);
  EMU_CHECK(!blk.any_inflight(), "persistent TMA: a copy still in flight when the CTA exits");
}

// The persistent launch: min(blocks, grid) CTAs (the kernel's grid is min(blocks, SMs)), each through its blocks.
template <class C>
void emulate_sp90t_persistent(const Problem& pb, Output& y, int grid, int order) {
  int64_t gx, gy;
  sp90_grid<C>((int)pb.tokens, (int)pb.out, gx, gy);
  const int g = (int)std::min<int64_t>(gx * gy, grid);
  for (int cta = 0; cta < g; ++cta) emulate_sp90t_persistent_cta<C>(pb, y, cta, g, order);
}

// ------------------------------------------------------------- Hopper 2:4, TMA wide pipeline on 2-CTA clusters
// Deliberate protocol errors the cluster emulation must catch (the test runs each and expects failures).
enum class ClusterMutation {
  kNone,
  kLocalEmptyOnly,    // consumers release only their own CTA's slot (the peer's multicast may overwrite it)
  kRowOnly,           // consumers release their x-row's slots, not their y-column's (whose W copies land here)
  kOwnBytesOnly,      // expect_tx announces only the bytes this CTA's producer issues (the peer's half is missed)
  kSkipPaddingLoads,  // padding CTAs load nothing (session 25's first version: receivers then run ahead)
  kNoPaddingCta,      // the grid is not rounded to whole clusters (a lone CTA waits for a peer's X half forever)
};

// A full barrier of a cluster kernel as PTX defines it: a phase completes when its one arrival (the producer's
// arrive.expect_tx, which raises the tx-count first) has come and the tx-count is back to zero. Copies complete
// bytes whenever they land, possibly before that arrival (the peer's multicast: a transiently negative tx-count).
struct TxBarrier {
  int completed = 0;
  bool arrived = false;
  long tx = 0;
  std::vector<int> copies;  // chunk indices that land with the current phase
  bool passed(int parity) const { return (completed & 1) != parity; }
};

// Runs `n` actors (step(a) returns whether actor a could move) until done(), under schedule `order`: 0 greedy in
// actor order, 1 greedy in reverse order, 2 one step each in turn, 3 the second half of the actors greedy first,
// 4 .. 99 random single steps (seeded by order), 100 and up greedy in order except that the actors `lags` names move
// only when nobody else can (one CTA's consumers far behind the rest of its cluster). Returns false at a state where
// nobody can move (a deadlock).
template <class Step, class Done, class Lags>
bool run_actor_schedule(int order, int n, Step&& step, Done&& done, Lags&& lags) {
  std::mt19937 rng((unsigned)order * 7919u + 17u);
  int turn = 0;
  while (!done()) {
    bool moved = false;
    if (order >= 100) {
      for (int pass = 0; pass < 2 && !moved; ++pass)
        for (int a = 0; a < n; ++a)
          if (lags(a) == (pass == 1))
            while (step(a)) moved = true;
    } else if (order <= 1 || order == 3) {
      for (int i = 0; i < n && !moved; ++i) {
        const int a = order == 0 ? i : order == 1 ? n - 1 - i : (i + n / 2) % n;
        while (step(a)) moved = true;
      }
    } else if (order == 2) {
      for (int i = 0; i < n && !moved; ++i) moved = step((turn + i) % n);
      turn = (turn + 1) % n;
    } else {
      const int first = (int)(rng() % (unsigned)n);
      for (int i = 0; i < n && !moved; ++i) moved = step((first + i) % n);
    }
    if (!moved) return false;
  }
  return true;
}

// sparse24_gemm_sm90_tma_cluster_kernel's cluster (clx, cly) of CM x CN CTAs (rank r = rx + CM ry at W-row block CM clx
// + rx, token block CN cly + ry), statement by statement, with one shared memory per CTA. Producer r (lane 0 of warp 16
// of CTA r) waits for its own empty barrier, announces the bytes landing in its CTA, loads X sub-tile rx (both when CM
// = 1) into every CTA of its x-row and W half ry with its metadata blocks into every CTA of its y-column, each copy
// completing the destination's full barrier; each consumer warpgroup waits for its CTA's full barrier, runs the stage's
// MMAs where its rows and tokens exist, and each of its warps arrives on the empty barrier of every CTA of its row and
// column. Copies are written when issued (the earliest they may land), so a multicast into a slot a peer still reads
// shows as a tag mismatch or a copy into an in-flight chunk; a phase that completes before all its bytes came shows as
// a read of an in-flight chunk. Schedules: run_actor_schedule's, over the producers (actors 0 ..) and then the consumer
// warpgroups of CTA 0, 1, ...
template <class C>
void emulate_sp90c_cluster(const Problem& pb, Output& y, int clx, int cly, int order, ClusterMutation mut) {
  const int tokens = (int)pb.tokens, in = (int)pb.in, out = (int)pb.out, dt = pb.xd;
  const float* bias = pb.with_bias ? pb.bias.data() : nullptr;
  constexpr int R = C::CLUSTER;
  int64_t gx, gy;
  sp90_grid<C>(tokens, out, gx, gy);
  std::vector<Block> blk;
  std::vector<Sp90Tile> t;
  std::vector<bool> exists((size_t)R);
  for (int r = 0; r < R; ++r) {
    const int bx = C::CM * clx + sp90c_rx<C>(r), by = C::CN * cly + sp90c_ry<C>(r);
    // Without the rounded grid, the CTAs past the plain grid's edge would not exist.
    exists[(size_t)r] = mut != ClusterMutation::kNoPaddingCta || (bx < gx && by < gy);
    blk.emplace_back(C::PIPE_BYTES, C::THREADS);
    t.push_back(sp90_tile<C>(in, out, bx, by));
  }
  const int Mp = t[0].Mp, KS = t[0].KS, KT = t[0].KT;
  const TmaMap2d xmap = sp90t_x_map<C>(tokens, in), wmap = sp90c_w_map<C>(Mp, KS);
  std::vector<std::vector<TxBarrier>> full((size_t)R, std::vector<TxBarrier>((size_t)C::STAGES));
  std::vector<std::vector<emu::Mbarrier>> empty((size_t)R, std::vector<emu::Mbarrier>((size_t)C::STAGES));
  for (auto& v : empty)
    for (auto& b : v)
      b.expected = mut == ClusterMutation::kLocalEmptyOnly ? C::CONSUMER_WARPS
                   : mut == ClusterMutation::kRowOnly      ? C::CM * C::CONSUMER_WARPS
                                                           : C::EMPTY_ARRIVALS;
  const int ptid = C::CONSUMER_THREADS;
  std::vector<std::vector<float>> acc((size_t)R, std::vector<float>((size_t)C::THREADS * 64, 0.0f));
  std::vector<int> kt_p((size_t)R, 0), kt_c((size_t)R * C::WG, 0);
  for (int r = 0; r < R; ++r)
    if (!exists[(size_t)r]) {
      kt_p[(size_t)r] = KT;
      for (int wg = 0; wg < C::WG; ++wg) kt_c[(size_t)(r * C::WG + wg)] = KT;
    }

  auto land = [&](int d, int slot) {
    TxBarrier& f = full[(size_t)d][(size_t)slot];
    if (!f.arrived || f.tx != 0) return;
    for (int ci : f.copies) {
      blk[(size_t)d].chunks[(size_t)ci].inflight = false;
      blk[(size_t)d].chunks[(size_t)ci].visible = true;
    }
    f.copies.clear();
    f.arrived = false;
    ++f.completed;
  };
  // The copies just issued into CTA d (pending under ptid there) complete `bytes` of d's full barrier of `slot`.
  auto deliver = [&](int d, int slot, int bytes) {
    TxBarrier& f = full[(size_t)d][(size_t)slot];
    auto& pending = blk[(size_t)d].threads[(size_t)ptid].pending;
    f.copies.insert(f.copies.end(), pending.begin(), pending.end());
    pending.clear();
    f.tx -= bytes;
    land(d, slot);
  };
  // Each destination of `mask` that exists gets the copy `load(d)` issues into it.
  auto multicast = [&](uint16_t mask, int slot, auto&& load) {
    for (int d = 0; d < R; ++d)
      if ((mask >> d) & 1u) {
        EMU_CHECK(exists[(size_t)d] || mut == ClusterMutation::kNoPaddingCta, "multicast to missing CTA %d", d);
        if (exists[(size_t)d]) deliver(d, slot, load(d));
      }
  };
  auto produce = [&](int r) -> bool {
    const int kt = kt_p[(size_t)r], slot = kt % C::STAGES;
    if (kt >= KT) return false;
    if (kt >= C::STAGES && !empty[(size_t)r][(size_t)slot].passed(sp90d_parity<C>(kt - C::STAGES))) return false;
    const int m0 = t[(size_t)r].m0, n0 = t[(size_t)r].n0, rx = sp90c_rx<C>(r), ry = sp90c_ry<C>(r);
    // kSkipPaddingLoads: the first version, where a padding CTA loaded nothing it had no use for.
    const bool skip = mut == ClusterMutation::kSkipPaddingLoads;
    const bool load_x = !skip || sp90c_has_tokens(n0, tokens);
    const bool load_w = !skip || m0 + ry * C::W_BOX_ROWS < Mp;
    TxBarrier& f = full[(size_t)r][(size_t)slot];
    EMU_CHECK(!f.arrived, "cluster CTA %d: producer arrives twice in one phase of slot %d (stage %d)", r, slot, kt);
    f.arrived = true;
    int announced = sp90c_stage_bytes<C>(m0, kt, Mp, KS);
    if (mut == ClusterMutation::kOwnBytesOnly) {  // what its own copies bring, the peers' ignored
      announced = C::B_STAGE_BYTES / C::CM + C::W_BOX_ROWS * 128;
      for (int i = 0; i < C::META_BLOCKS; ++i)
        announced += sp90t_meta_bytes<C>(ry * C::META_BLOCKS + i, m0, kt, Mp, KS);
    } else if (skip) {  // the bytes the first version announced
      announced = (sp90c_has_tokens(n0, tokens) ? C::B_STAGE_BYTES : 0);
      for (int h = 0; h < C::CN; ++h)
        if (m0 + h * C::W_BOX_ROWS < Mp) announced += C::W_BOX_ROWS * 128;
      for (int p = 0; p < C::WM; ++p) announced += sp90t_meta_bytes<C>(p, m0, kt, Mp, KS);
    }
    f.tx += announced;
    const int xs = C::B_OFF + slot * C::B_STAGE_BYTES;
    if (load_x)
      for (int h = 0; h < 2; ++h)
        if (C::CM == 1 || h == rx)
          multicast(sp90c_row_mask<C>(r), slot, [&](int d) {
            return tma_box_load(blk[(size_t)d], ptid, xs + h * C::X_SUB_BYTES, pb.x, xmap, sp90t_x_k<C>(kt, h),
                                sp90c_x_row(n0, tokens), kt);
          });
    if (load_w) {
      const int as = C::A_OFF + slot * C::A_STAGE_BYTES + ry * C::W_BOX_ROWS * 128;
      multicast(sp90c_col_mask<C>(r), slot, [&](int d) {
        return tma_box_load(blk[(size_t)d], ptid, as, pb.gv, wmap, sp90t_w_k<C>(kt), sp90c_w_row<C>(m0, ry, Mp), kt);
      });
      const int es = C::E_OFF + slot * C::E_STAGE_BYTES;
      for (int i = 0; i < C::META_BLOCKS; ++i) {
        const int p = ry * C::META_BLOCKS + i, b = sp90t_meta_bytes<C>(p, m0, kt, Mp, KS);
        if (b > 0)
          multicast(sp90c_col_mask<C>(r), slot, [&](int d) {
            return bulk_load(blk[(size_t)d], ptid, es + sp90t_meta_dst<C>(p), pb.gm, sp90t_meta_src<C>(p, m0, kt, KS),
                             b, kt);
          });
      }
    }
    land(r, slot);  // every byte may have come before the arrival
    ++kt_p[(size_t)r];
    return true;
  };
  auto consume = [&](int r, int wg) -> bool {
    int& kt = kt_c[(size_t)(r * C::WG + wg)];
    const int slot = kt % C::STAGES;
    if (kt >= KT || !full[(size_t)r][(size_t)slot].passed(sp90d_parity<C>(kt))) return false;
    if (sp90c_wg_runs(t[(size_t)r].m0, t[(size_t)r].n0, wg, Mp, tokens))
      sp90s_mma_stage<C>(blk[(size_t)r], acc[(size_t)r], wg, t[(size_t)r].m0, Mp, KS, kt, slot, kt, dt);
    for (int w = 0; w < 4; ++w)  // each warp: lane d arrives on rank d's empty barrier, for d in r's row and column
      for (int d = 0; d < R; ++d)
        if (exists[(size_t)d] && ((sp90c_peer_mask<C>(r) >> d) & 1u) &&
            (mut != ClusterMutation::kLocalEmptyOnly || d == r) &&
            (mut != ClusterMutation::kRowOnly || ((sp90c_row_mask<C>(r) >> d) & 1u))) {
          // An arrival counts toward the phase of the stage it releases, never an earlier one (a consumer a ring
          // ahead of the producer whose barrier it counts for would complete that producer's phase too early).
          emu::Mbarrier& eb = empty[(size_t)d][(size_t)slot];
          EMU_CHECK(eb.completed == kt / C::STAGES,
                    "cluster CTA %d releases stage %d on CTA %d's empty[%d] during its phase of stage %d", r, kt, d,
                    slot, eb.completed * C::STAGES + slot);
          eb.arrive(blk[(size_t)d]);
        }
    ++kt;
    return true;
  };
  const int actors = R * (1 + C::WG);
  const bool ran = run_actor_schedule(
      order, actors, [&](int a) { return a < R ? produce(a) : consume((a - R) / C::WG, (a - R) % C::WG); },
      [&]() {
        for (int v : kt_p)
          if (v < KT) return false;
        for (int v : kt_c)
          if (v < KT) return false;
        return true;
      },
      [&](int a) { return a >= R && (a - R) / C::WG == order - 100; });  // schedules 100 + r: CTA r's consumers lag
  EMU_CHECK(ran, "cluster TMA deadlock: cluster (%d, %d), producers at %d / %d, first warpgroups at %d / %d of %d",
            clx, cly, kt_p[0], kt_p[(size_t)R - 1], kt_c[0], kt_c[(size_t)(R - 1) * C::WG], KT);
  if (!ran) return;
  for (int r = 0; r < R; ++r) {
    if (!exists[(size_t)r]) continue;
    EMU_CHECK(!blk[(size_t)r].any_inflight(), "cluster TMA: a copy still in flight when CTA %d exits", r);
    for (int s = 0; s < C::STAGES; ++s) {
      const TxBarrier& f = full[(size_t)r][(size_t)s];
      EMU_CHECK(!f.arrived && f.tx == 0, "cluster CTA %d slot %d: phase left open (arrived %d, tx %ld)", r, s,
                (int)f.arrived, f.tx);
      EMU_CHECK(empty[(size_t)r][(size_t)s].arrived == 0, "cluster CTA %d slot %d: %d empty arrivals left over", r, s,
                empty[(size_t)r][(size_t)s].arrived);
    }
    const Sp90Tile& tr = t[(size_t)r];
    for (int q = 0; q < C::CONSUMER_THREADS / 32; ++q) {
      if (!sp90c_wg_runs(tr.m0, tr.n0, q / 4, Mp, tokens)) continue;  // the kernel's `if (runs) store_tile`
      for (int lane = 0; lane < 32; ++lane)
        for (int i = 0; i < 64; ++i) {
          const int m = sp90_acc_m(tr.m0, q, lane, i), n = sp90_acc_n(tr.n0, lane, i);
          if (m < out && n < tokens)
            y.store(y_offset(n, m, out),
                    acc[(size_t)r][((size_t)q * 32 + lane) * 64 + i] + (bias != nullptr ? bias[m] : 0.0f));
        }
    }
  }
}

// The cluster launch: sp90c_grid's clusters, each through emulate_sp90c_cluster.
template <class C>
void emulate_sp90c(const Problem& pb, Output& y, int order, ClusterMutation mut = ClusterMutation::kNone) {
  int64_t gx, gy;
  sp90c_grid<C>((int)pb.tokens, (int)pb.out, gx, gy);
  EMU_CHECK(gx % C::CM == 0 && gy % C::CN == 0 && gy <= kMaxGridY, "cluster grid %lld x %lld", (long long)gx,
            (long long)gy);
  for (int clx = 0; clx < (int)(gx / C::CM); ++clx)
    for (int cly = 0; cly < (int)(gy / C::CN); ++cly) emulate_sp90c_cluster<C>(pb, y, clx, cly, order, mut);
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
  // The experimental deeper tiny-token pipelines on the same cases.
  long bdeep = 0;
  if (t <= 16) {
    Output yp(yd, t, o);
    if (t <= 8) emulate_sparse<CfgTinyDeep>(pb, yp, cf, ph);
    else emulate_sparse<CfgSmallDeep>(pb, yp, cf, ph);
    double wdeep = 0;
    bdeep = compare(pb, yp, t <= 8 ? "sparse TinyDeep" : "sparse SmallDeep", wdeep);
  }
  emulate_dense(pb, yn, cf, ph);
  // The experimental sm90 (wgmma.sp) kernel too, when asked: its model is the kernel's own assumption (see above).
  const bool sm90 = sp90_cases;
  Output y9(yd, t, o), y9s(yd, t, o);
  if (sm90) emulate_sp90(pb, y9, cf, ph);
  if (sm90) emulate_sp90s<Sp90SmemCfg>(pb, y9s);  // the smem-A kernel, lockstep pipeline (the default), same cases
  double ws = 0, wd = 0, w9 = 0, w9s = 0;
  const long bs = compare(pb, ys, "sparse", ws), bd = compare(pb, yn, "dense", wd);
  const long b9 = sm90 ? compare(pb, y9, "sm90 sparse", w9) : 0;
  const long b9s = sm90 ? compare(pb, y9s, "sm90 smemA sparse", w9s) : 0;
  long b9f = 0;
  if (sm90) {  // ... and the experimental pipelines: decoupled under its three schedules, the 256-row blocks
    for (int order = 0; order < 3; ++order) {
      Output yf(yd, t, o), yw(yd, t, o);
      emulate_sp90s<Sp90SmemDecoupledCfg>(pb, yf, order);
      emulate_sp90s<Sp90SmemWideDecoupledCfg>(pb, yw, order);
      double wf = 0, ww = 0;
      b9f += compare(pb, yf, order == 0 ? "sm90 decoupled (wg0 ahead)" : order == 1 ? "sm90 decoupled (wg1 ahead)"
                                                                                    : "sm90 decoupled (alternating)",
                     wf);
      b9f += compare(pb, yw, order == 0 ? "sm90 wide decoupled (wg0 ahead)"
                             : order == 1 ? "sm90 wide decoupled (wg3 ahead)"
                                          : "sm90 wide decoupled (round robin)",
                     ww);
      w9s = std::max(w9s, std::max(wf, ww));
      // The TMA pipelines, 128 and 256 rows, under the same schedule index (producer ahead, consumers first, turns).
      static const char* const tma_names[2][3] = {
          {"sm90 TMA (producer ahead)", "sm90 TMA (consumers first)", "sm90 TMA (round robin)"},
          {"sm90 TMA wide (producer ahead)", "sm90 TMA wide (consumers first)", "sm90 TMA wide (round robin)"}};
      for (int wide = 0; wide < 2; ++wide) {
        Output yt(yd, t, o);
        if (wide) emulate_sp90s<Sp90TmaWideCfg>(pb, yt, order);
        else emulate_sp90s<Sp90TmaCfg>(pb, yt, order);
        double wt = 0;
        b9f += compare(pb, yt, tma_names[wide][order], wt);
        w9s = std::max(w9s, wt);
      }
      if (yd != emu::F32) {  // the TMA wide kernel with 16-bit outputs staged through shared memory (experimental)
        Output ys16(yd, t, o);
        emulate_sp90s<Sp90TmaWideCfg, true>(pb, ys16, order);
        double wt = 0;
        b9f += compare(pb, ys16, "sm90 TMA wide, staged 16-bit epilogue", wt);
        w9s = std::max(w9s, wt);
      }
      // The persistent 256-row TMA kernel (experimental) on 1 CTA (every block through one ring), 2 and 3 CTAs.
      static const char* const persistent_names[3] = {"sm90 TMA wide persistent (producer ahead)",
                                                      "sm90 TMA wide persistent (consumers first)",
                                                      "sm90 TMA wide persistent (round robin)"};
      for (int grid : {1, 2, 3}) {
        Output yp(yd, t, o);
        emulate_sp90t_persistent<Sp90TmaWideCfg>(pb, yp, grid, order);
        double wp = 0;
        b9f += compare(pb, yp, persistent_names[order], wp);
        w9s = std::max(w9s, wp);
      }
      // The cluster kernels (experimental): 2x2 under schedules order, order + 3 (run_actor_schedule: greedy,
      // reverse, turns; second half first, two random ones) and 100 + order (CTA `order`'s consumers lagging; CTA 3's
      // after the loop), 2x1 and 1x2 under schedule order and, for order < 2, 100 + order.
      static const char* const sched_names[6] = {"in order", "reverse order", "turns", "second half first",
                                                 "random 4", "random 5"};
      std::vector<int> scheds = {order, order + 3, 100 + order};
      if (order == 2) scheds.push_back(103);
      for (int sched : scheds) {
        for (int kind = 0; kind < (sched == order || (sched >= 100 && order < 2) ? 3 : 1); ++kind) {
          Output yc(yd, t, o);
          if (kind == 0) emulate_sp90c<Sp90TmaClusterXWCfg>(pb, yc, sched);
          else if (kind == 1) emulate_sp90c<Sp90TmaClusterXCfg>(pb, yc, sched);
          else emulate_sp90c<Sp90TmaClusterWCfg>(pb, yc, sched);
          const std::string name = std::string("sm90 TMA cluster ") + (kind == 0 ? "2x2" : kind == 1 ? "2x1" : "1x2") +
                                   " (" +
                                   (sched >= 100 ? "CTA " + std::to_string(sched - 100) + " lagging"
                                                 : std::string(sched_names[sched])) +
                                   ")";
          double wc = 0;
          b9f += compare(pb, yc, name.c_str(), wc);
          w9s = std::max(w9s, wc);
        }
      }
    }
    Output yw(yd, t, o);
    emulate_sp90s<Sp90SmemWideCfg>(pb, yw);
    double ww = 0;
    b9f += compare(pb, yw, "sm90 wide lockstep", ww);
    w9s = std::max(w9s, ww);
  }
  const long model = emu::failures().count - before;
  const bool ok = bs == 0 && bd == 0 && bdeep == 0 && b9 == 0 && b9s == 0 && b9f == 0 && model == 0;
  if (!ok || getenv("SK_EMU_VERBOSE"))
    printf("%s tokens=%-4lld in=%-4lld out=%-4lld x=%-4s y=%-4s bias=%d cfg=%-5s sparse err/tol %.3f (%ld bad) dense %.3f (%ld bad) sm90 %.3f (%ld bad%s) smemA %.3f (%ld bad%s) model %ld\n",
           ok ? "PASS" : "FAIL", (long long)t, (long long)k, (long long)o, dt_name(xd), dt_name(yd), with_bias ? 1 : 0, cfg,
           ws, bs, wd, bd, w9, b9, sm90 ? "" : ", not run", w9s, b9s + b9f, sm90 ? "" : ", not run", model);
  return ok;
}

// How many of `orders` make a deliberately broken model fail: run(order, y) emulates it under that schedule; a
// model failure or a wrong output counts. The failures are counted, not printed, then removed.
template <class Run>
long schedules_that_fail(const Problem& pb, const std::vector<int>& orders, const char* what, Run&& run) {
  auto& f = emu::failures();
  const long before = f.count;
  f.muted = true;
  long caught = 0;
  for (int order : orders) {
    Output y(pb.yd, pb.tokens, pb.out);
    const long b = f.count;
    run(order, y);
    double w = 0;
    if (f.count > b || compare(pb, y, what, w) > 0) ++caught;
  }
  f.muted = false;
  f.count = before;
  return caught;
}

// Each deliberate protocol error of ClusterMutation must make the 2x2 cluster emulation fail under some schedule (so
// the clean runs above passing means something): on one whole cluster (out 300, 130 tokens: a 2 x 2 grid) for the
// barrier errors, on a one-CTA grid (out 130, 100 tokens) for the missing padding CTAs, and on a cluster of one real
// CTA and three padding ones (out 100, 40 tokens) for padding CTAs that load nothing.
bool check_cluster_mutations(std::mt19937& rng) {
  struct Case {
    ClusterMutation mut;
    const char* name;
    int64_t out, tokens;
  };
  const Case cases[] = {{ClusterMutation::kLocalEmptyOnly, "consumers release only their own CTA's slot", 300, 130},
                        {ClusterMutation::kRowOnly, "consumers release their row's slots, not their column's", 300,
                         130},
                        {ClusterMutation::kOwnBytesOnly, "expect_tx without the peers' halves", 300, 130},
                        {ClusterMutation::kNoPaddingCta, "grid not rounded to whole clusters", 130, 100},
                        {ClusterMutation::kSkipPaddingLoads, "padding CTAs load nothing", 100, 40}};
  bool ok = true;
  for (const Case& c : cases) {
    Problem pb;
    pb.tokens = c.tokens;
    pb.in = 776;  // 25 k32 steps: 7 stages, the 3-stage ring wraps twice
    pb.out = c.out;
    pb.xd = emu::F16;
    pb.yd = emu::F32;
    pb.with_bias = false;
    if (!make_problem(pb, rng)) return false;
    const long caught = schedules_that_fail(pb, {0, 1, 2, 3, 4, 5, 100, 101, 102, 103}, "mutated cluster",
                                            [&](int order, Output& y) {
                                              emulate_sp90c<Sp90TmaClusterXWCfg>(pb, y, order, c.mut);
                                            });
    printf("%s: cluster emulation catches \"%s\" under %ld of 10 schedules\n", caught > 0 ? "PASS" : "FAIL", c.name,
           caught);
    ok &= caught > 0;
  }
  return ok;
}

// The staged epilogue without its barrier (consumers_sync) must fail the emulation under some schedule: a warpgroup
// done early stores its tile into ring bytes that another warpgroup's last stages still hold. 25 k32 steps (7
// stages on the 3-stage ring), f16 outputs.
bool check_staged_mutation(std::mt19937& rng) {
  Problem pb;
  pb.tokens = 130;
  pb.in = 776;
  pb.out = 300;
  pb.xd = emu::F16;
  pb.yd = emu::F16;
  pb.with_bias = true;
  if (!make_problem(pb, rng)) return false;
  g_staged_without_barrier = true;
  const long caught = schedules_that_fail(pb, {0, 1, 2}, "mutated staged epilogue", [&](int order, Output& y) {
    emulate_sp90s<Sp90TmaWideCfg, true>(pb, y, order);
  });
  g_staged_without_barrier = false;
  printf("%s: staged-epilogue emulation catches \"no barrier before the staged stores\" under %ld of 3 schedules\n",
         caught > 0 ? "PASS" : "FAIL", caught);
  return caught > 0;
}

// ----------------------------------------------------------------------------------------------- BSR kernel
// Emulation of cuda/bsr_gemm.cu: bsr_gemm_kernel (item loop, cp.async ring with the col_idx prefetch, ldmatrix,
// mma.sync, direct or partial-sum epilogue) and bsr_reduce_kernel, through the BSR helpers of gemm_index.cuh.
struct BsrProblem {
  int64_t tokens, in, out;
  int br, bc, xd, yd;
  bool with_bias;
  std::vector<int32_t> row_ptr, col_idx;
  std::vector<uint16_t> values;  // [blocks][br][bc]
  Problem dense;                 // x, dense w, bias for the reference (compare())
  int64_t blocks() const { return (int64_t)col_idx.size(); }
};

// The device workspace as the kernels see it (int32 words; the partial sums are floats in the same bytes), with
// a write counter per partial-sum float.
struct Workspace {
  std::vector<int32_t> words;
  std::vector<int> part_writes;
  const int32_t* ptr() const { return words.empty() ? nullptr : words.data(); }
};

void part_store(Workspace& ws, int64_t idx, float v) {
  const int64_t base = ws.words[H_PART_OFF], n = (int64_t)ws.words.size() - base;
  EMU_CHECK(idx >= 0 && idx < n, "partial store [%lld] outside the %lld floats of the workspace", (long long)idx, (long long)n);
  if (idx < 0 || idx >= n) return;
  memcpy(&ws.words[(size_t)(base + idx)], &v, 4);
  ++ws.part_writes[(size_t)idx];
}
float part_load(const Workspace& ws, int64_t idx) {
  const int64_t base = ws.words[H_PART_OFF], n = (int64_t)ws.words.size() - base;
  EMU_CHECK(idx >= 0 && idx < n, "partial load [%lld] outside the %lld floats of the workspace", (long long)idx, (long long)n);
  if (idx < 0 || idx >= n) return 0.0f;
  EMU_CHECK(ws.part_writes[(size_t)idx] == 1, "partial [%lld] read after %d writes", (long long)idx, ws.part_writes[(size_t)idx]);
  float v;
  memcpy(&v, &ws.words[(size_t)(base + idx)], 4);
  return v;
}

template <class C>
void emulate_bsr_cta(const BsrProblem& pb, Workspace* wsp, Output& y, int bx, int by, int64_t gx, long& conflicts,
                     long& phases, long& items_run) {
  const int tokens = (int)pb.tokens, in = (int)pb.in, out = (int)pb.out, dt = pb.xd;
  const int blocks = (int)pb.blocks();
  const float* bias = pb.with_bias ? pb.dense.bias.data() : nullptr;
  const int shift = bsr_log2_block(pb.bc);
  const int nbr = out / C::BR, nbc = in >> shift;
  const int n0 = by * C::BN;
  constexpr int NW = C::THREADS / 32;
  const int32_t* ws = wsp != nullptr ? wsp->ptr() : nullptr;
  const bool sched = bsr_ws_valid(ws, C::BR, 1 << shift, nbr, blocks, tokens);
  const int n_items = sched ? ws[H_ITEMS] : nbr;
  const int n_slots = sched ? ws[H_SLOTS] : 0;
  Block blk(C::SMEM_BYTES, C::THREADS);
  EMU_CHECK(C::SMEM_BYTES <= 99 * 1024, "BSR config needs %d bytes of smem", C::SMEM_BYTES);
  std::vector<float> accv((size_t)NW * C::MI * C::NT * 128);
  auto acc = [&](int w, int i, int nt) { return reinterpret_cast<float(*)[4]>(&accv[(((size_t)w * C::MI + i) * C::NT + nt) * 128]); };
  int item_no = 0;
  for (int idx = bx; idx < n_items; idx += (int)gx, ++item_no) {
    BsrItem it;
    if (sched) {
      const int32_t* e = ws + H_WORDS + 4 * (int64_t)idx;
      it = bsr_sched_item(e[0], e[1], e[2], e[3], nbr, blocks, nbc, n_slots);
    } else {
      it = bsr_row_item(idx, pb.row_ptr[(size_t)idx], pb.row_ptr[(size_t)idx + 1], blocks, nbc);
    }
    ++items_run;
    const int KT = bsr_num_stages<C>(it.b1 - it.b0, shift);
    auto tag = [&](int s) { return item_no * 65536 + s; };
    auto col_for = [&](int tid, int s) -> int {
      const int b = it.b0 + bsr_stage_block<C>(s, bsr_copy_ch<C>(tid), shift);
      if (!(b < it.b1)) return 0;
      EMU_CHECK(b >= 0 && b < blocks, "col_idx[%d] outside [0, %d)", b, blocks);
      return bsr_clamp_col(pb.col_idx[(size_t)b], nbc);
    };
    auto load_stage = [&](int tid, int s, int slot, int col) {
      for (int c = tid; c < C::A_COPIES; c += C::THREADS) {
        const CopyPlan p = bsr_copy_w<C>(c, s, it, shift);
        blk.cp_async16(tid, C::A_OFF + (slot * C::A_STAGE + p.dst) * 2, gsrc(pb.values, p, "W blocks"), p.ok, tag(s));
      }
      for (int c = tid; c < C::B_COPIES; c += C::THREADS) {
        // The kernel passes one prefetched col per thread and stage: it must be the col of this copy's block.
        EMU_CHECK(bsr_copy_ch<C>(c) == bsr_copy_ch<C>(tid), "copy %d of thread %d has another chunk column", c, tid);
        const int b = it.b0 + bsr_stage_block<C>(s, bsr_copy_ch<C>(c), shift);
        if (b < it.b1) EMU_CHECK(col == pb.col_idx[(size_t)b], "stage %d thread %d: prefetched col %d, block %d has %d", s, tid, col, b, pb.col_idx[(size_t)b]);
        const CopyPlan p = bsr_copy_x<C>(c, s, it, col, n0, tokens, in, shift);
        blk.cp_async16(tid, C::B_OFF + (slot * C::B_STAGE + p.dst) * 2, gsrc(pb.dense.x, p, "X gather"), p.ok, tag(s));
      }
    };
    std::fill(accv.begin(), accv.end(), 0.0f);
    for (int st = 0; st < C::STAGES - 1; ++st)
      for (int tid = 0; tid < C::THREADS; ++tid) {
        if (st < KT) load_stage(tid, st, st, col_for(tid, st));
        blk.commit(tid);
      }
    std::vector<int> col_next((size_t)C::THREADS);
    for (int tid = 0; tid < C::THREADS; ++tid) col_next[(size_t)tid] = col_for(tid, C::STAGES - 1);
    for (int kt = 0; kt < KT; ++kt) {
      for (int tid = 0; tid < C::THREADS; ++tid) blk.wait_group(tid, C::STAGES - 2);
      blk.syncthreads();
      const int nk = kt + C::STAGES - 1;
      for (int tid = 0; tid < C::THREADS; ++tid) {
        if (nk < KT) load_stage(tid, nk, nk % C::STAGES, col_next[(size_t)tid]);
        blk.commit(tid);
        col_next[(size_t)tid] = col_for(tid, nk + 1);
      }
      const int slot = kt % C::STAGES;
      for (int warp = 0; warp < NW; ++warp) {
        int wm, wn;
        bsr_warp_roles<C>(warp, wm, wn);
        for (int kk = 0; kk < C::SK / 16; ++kk) {
          uint32_t a[C::MI][32][4];
          for (int i = 0; i < C::MI; ++i) {
            int addr[32];
            for (int lane = 0; lane < 32; ++lane) addr[lane] = C::A_OFF + (slot * C::A_STAGE + bsr_ldsm_a<C>(wm, i, kk, lane)) * 2;
            blk.ldmatrix(4, false, addr, a[i], tag(kt), "bsr ldmatrix A");
          }
          for (int np = 0; np < C::NT / 2; ++np) {
            uint32_t b[32][4];
            int addr[32];
            for (int lane = 0; lane < 32; ++lane) addr[lane] = C::B_OFF + (slot * C::B_STAGE + bsr_ldsm_b<C>(wn, np, kk, lane)) * 2;
            blk.ldmatrix(4, false, addr, b, tag(kt), "bsr ldmatrix B");
            uint32_t b0[32][2], b1[32][2];
            for (int l = 0; l < 32; ++l) {
              b0[l][0] = b[l][0];
              b0[l][1] = b[l][1];
              b1[l][0] = b[l][2];
              b1[l][1] = b[l][3];
            }
            for (int i = 0; i < C::MI; ++i) {
              emu::mma_m16n8k16(acc(warp, i, 2 * np), a[i], b0, dt);
              emu::mma_m16n8k16(acc(warp, i, 2 * np + 1), a[i], b1, dt);
            }
          }
        }
      }
    }
    if (it.row >= 0) {
      for (int warp = 0; warp < NW; ++warp) {
        int wm, wn;
        bsr_warp_roles<C>(warp, wm, wn);
        for (int i = 0; i < C::MI; ++i)
          for (int nt = 0; nt < C::NT; ++nt)
            for (int lane = 0; lane < 32; ++lane) {
              float c[4];
              for (int r = 0; r < 4; ++r) c[r] = acc(warp, i, nt)[lane][r];
              const int mloc = bsr_tile_mloc<C>(wm, i), n_tile = bsr_tile_n<C>(n0, wn, nt);
              if (it.slot < 0) {
                store_fragment(y, bias, c, it.row * C::BR + mloc, n_tile, out, tokens, lane);
              } else {
                for (int r = 0; r < 4; ++r) {
                  const int n = n_tile + frag_col(lane, r);
                  if (n < tokens) part_store(*wsp, bsr_partial_index(it.slot, n, mloc + frag_row(lane, r), tokens, C::BR), c[r]);
                }
              }
            }
      }
    }
    for (int tid = 0; tid < C::THREADS; ++tid) blk.wait_group(tid, 0);
    EMU_CHECK(!blk.any_inflight(), "a copy is still in flight at the end of an item");
    blk.syncthreads();
  }
  conflicts += blk.bank_conflicts;
  phases += blk.ldmatrix_phases;
}

void emulate_bsr_reduce(const BsrProblem& pb, Workspace& wsd, Output& y) {
  const int tokens = (int)pb.tokens, out = (int)pb.out, br = pb.br;
  int64_t gx, gy;
  bsr_reduce_grid(pb.blocks(), pb.tokens, br, gx, gy);
  const int32_t* ws = wsd.ptr();
  if (!bsr_ws_valid(ws, br, pb.bc, out / br, (int)pb.blocks(), tokens)) return;
  const int n_splits = ws[H_SPLITS], n_slots = ws[H_SLOTS];
  const int64_t per = (int64_t)tokens * br;
  for (int64_t bxx = 0; bxx < gx; ++bxx)
    for (int64_t byy = 0; byy < gy; ++byy)
      for (int t = 0; t < kBsrReduceThreads; ++t)
        for (int s = (int)bxx; s < n_splits; s += (int)gx) {
          const int32_t* sp = ws + ws[H_SPLITS_OFF] + 4 * (int64_t)s;
          if (sp[0] < 0 || sp[0] >= out / br || sp[1] < 0 || sp[2] < 0 || sp[1] + sp[2] > n_slots) continue;
          for (int64_t e = byy * kBsrReduceThreads + t; e < per; e += gy * kBsrReduceThreads) {
            float v = 0.0f;
            for (int c = 0; c < sp[2]; ++c) v += part_load(wsd, (int64_t)(sp[1] + c) * per + e);
            const int n = (int)(e / br), m = sp[0] * br + (int)(e % br);
            if (pb.with_bias) v += pb.dense.bias[(size_t)m];
            y.store(y_offset(n, m, out), v);
          }
        }
}

template <class C>
void emulate_bsr_cfg(const BsrProblem& pb, Workspace* ws, Output& y, long& conflicts, long& phases, long& items_run) {
  int64_t gx, gy;
  bsr_grid(pb.out / pb.br, pb.blocks(), pb.tokens, ws != nullptr && ws->ptr() != nullptr, gx, gy);
  EMU_CHECK(gy <= kMaxGridY, "BSR gridDim.y %lld", (long long)gy);
  for (int64_t bx = 0; bx < gx; ++bx)
    for (int64_t by = 0; by < gy; ++by) emulate_bsr_cta<C>(pb, ws, y, (int)bx, (int)by, gx, conflicts, phases, items_run);
  if (ws != nullptr && ws->ptr() != nullptr) emulate_bsr_reduce(pb, *ws, y);
}

template <int BR>
void emulate_bsr_br(const BsrProblem& pb, Workspace* ws, Output& y, long& conflicts, long& phases, long& items_run) {
  if (bsr_bn_for_tokens(pb.tokens) == 32) emulate_bsr_cfg<BsrCfg<BR, 32>>(pb, ws, y, conflicts, phases, items_run);
  else emulate_bsr_cfg<BsrCfg<BR, 128>>(pb, ws, y, conflicts, phases, items_run);
}

void emulate_bsr(const BsrProblem& pb, Workspace* ws, Output& y, long& conflicts, long& phases, long& items_run) {
  switch (pb.br) {
    case 16: emulate_bsr_br<16>(pb, ws, y, conflicts, phases, items_run); break;
    case 32: emulate_bsr_br<32>(pb, ws, y, conflicts, phases, items_run); break;
    default: emulate_bsr_br<64>(pb, ws, y, conflicts, phases, items_run); break;
  }
}

// Structure patterns of the BSR cases.
enum BsrPattern { kRandom = 0, kEmpty = 1, kDense = 2, kLongRow = 3 };
const char* pattern_name(int p) { return p == kRandom ? "random+empty rows" : p == kEmpty ? "no blocks" : p == kDense ? "dense" : "one long row"; }

void make_bsr(BsrProblem& pb, int pattern, std::mt19937& rng) {
  std::uniform_real_distribution<float> uni(-1.0f, 1.0f);
  const int64_t nbr = pb.out / pb.br, nbc = pb.in / pb.bc;
  pb.row_ptr.assign(1, 0);
  pb.col_idx.clear();
  const int64_t long_row = (int64_t)(rng() % (uint64_t)nbr);
  for (int64_t r = 0; r < nbr; ++r) {
    for (int64_t c = 0; c < nbc; ++c) {
      bool keep;
      switch (pattern) {
        case kEmpty: keep = false; break;
        case kDense: keep = true; break;
        case kLongRow: keep = r == long_row || (c == (r * 7) % nbc && r % 3 != 1); break;  // others: 0 or 1 block
        default: keep = r % 4 != 2 && rng() % 3 == 0; break;                            // ~1/3, every 4th row empty
      }
      if (keep) pb.col_idx.push_back((int32_t)c);
    }
    pb.row_ptr.push_back((int32_t)pb.col_idx.size());
  }
  const int64_t B = pb.blocks();
  pb.values.assign((size_t)(B * pb.br * pb.bc), 0);
  Problem& d = pb.dense;
  d.tokens = pb.tokens;
  d.in = pb.in;
  d.out = pb.out;
  d.xd = pb.xd;
  d.yd = pb.yd;
  d.with_bias = pb.with_bias;
  d.w.assign((size_t)(pb.out * pb.in), 0);
  for (int64_t r = 0; r < nbr; ++r)
    for (int64_t n = pb.row_ptr[(size_t)r]; n < pb.row_ptr[(size_t)r + 1]; ++n)
      for (int i = 0; i < pb.br; ++i)
        for (int j = 0; j < pb.bc; ++j) {
          const uint16_t v = emu::from_float(uni(rng), pb.xd);
          pb.values[(size_t)((n * pb.br + i) * pb.bc + j)] = v;
          d.w[(size_t)((r * pb.br + i) * pb.in + pb.col_idx[(size_t)n] * pb.bc + j)] = v;
        }
  d.x.resize((size_t)(pb.tokens * pb.in));
  for (auto& v : d.x) v = emu::from_float(uni(rng), pb.xd);
  d.bias.resize((size_t)pb.out);
  for (auto& v : d.bias) v = uni(rng);
}

// Workspace through the library's real planner (host functions of the C ABI) for plan_tokens.
bool make_workspace(const BsrProblem& pb, int64_t plan_tokens, Workspace& ws, int64_t& bytes) {
  if (sk_bsr_workspace_size(pb.row_ptr.data(), pb.blocks(), pb.br, pb.bc, plan_tokens, pb.out, &bytes) != SK_OK) {
    fprintf(stderr, "workspace_size: %s\n", sk_last_error());
    return false;
  }
  ws.words.assign((size_t)(bytes / 4), (int32_t)0xDEADBEEF);
  if (sk_bsr_plan(pb.row_ptr.data(), pb.blocks(), pb.br, pb.bc, plan_tokens, pb.out, bytes ? ws.words.data() : nullptr,
                  bytes) != SK_OK) {
    fprintf(stderr, "plan: %s\n", sk_last_error());
    return false;
  }
  if (bytes) {
    for (size_t i = (size_t)ws.words[H_PART_OFF]; i < ws.words.size(); ++i) ws.words[i] = 0x7FC00001;  // NaN: unwritten
    ws.part_writes.assign(ws.words.size() - (size_t)ws.words[H_PART_OFF], 0);
  }
  return true;
}

// One BSR case; ws_mode 0: the plan for these tokens (NULL when its size is 0), 1: NULL always, 2: a plan made
// for more tokens (valid), 3: a plan made for fewer tokens (the kernels must ignore it).
// ------------------------------------------------------------ Hopper BSR, persistent TMA kernel (experimental)
// wgmma.mma_async m64n64k16 (dense, f16/bf16 in, f32 accumulate), A and B K-major through 128B-swizzle descriptors:
// element (row r, k) of an operand at start + (r / 8) * 1024 + (r % 8) * 128 + 2 k, the swizzle applied to the
// final address (the layout the TMA box writes, tma_box_load); D in the m64nN layout (accumulator i of lane l in warp
// w: row 16 w + l / 4 + 8 ((i / 2) % 2), column 8 (i / 4) + 2 (l % 4) + i % 2). acc: [warp 0..3][lane][32].
void wgmma_m64n64k16(Block& blk, int a_start, int b_start, float* acc, int tag, int dt) {
  EMU_CHECK(a_start % 1024 < 128 && b_start % 1024 < 128 && a_start % 16 == 0 && b_start % 16 == 0,
            "descriptor starts %d / %d: not inside the first row of a 1024-aligned atom", a_start, b_start);
  auto elem = [&](int start, int r, int k) {
    int addr = start + (r / 8) * 1024 + (r % 8) * 128 + 2 * k;
    addr ^= ((addr >> 7) & 7) << 4;
    const uint32_t w = blk.ld32(addr & ~3, tag, "wgmma operand");
    return emu::to_float((uint16_t)((addr & 2) ? w >> 16 : w & 0xFFFF), dt);
  };
  float A[64][16], B[64][16];
  for (int r = 0; r < 64; ++r)
    for (int k = 0; k < 16; ++k) {
      A[r][k] = elem(a_start, r, k);
      B[r][k] = elem(b_start, r, k);
    }
  for (int w = 0; w < 4; ++w)
    for (int lane = 0; lane < 32; ++lane)
      for (int i = 0; i < 32; ++i) {
        const int r = 16 * w + lane / 4 + 8 * ((i >> 1) & 1), n = 8 * (i >> 2) + 2 * (lane & 3) + (i & 1);
        double d = 0;
        for (int k = 0; k < 16; ++k) d += (double)A[r][k] * B[n][k];
        float& a = acc[((size_t)w * 32 + lane) * 32 + i];
        a = (float)((double)a + d);
      }
}

// bsr_gemm_sm90_tma_kernel's CTA `cta` of a `grid`-CTA launch, statement by statement: the producer (lane 0 of warp
// 8) walks the CTA's items and their stored blocks, tile g into slot g % STAGES once empty has completed the phase
// of tile g - STAGES, both boxes on full after an expect_tx the emulation checks; each consumer warpgroup waits for
// full, runs its 4 m64n64k16 steps (operands read at issue: the slot is released only after the next tile's wait),
// releases the previous tile's slot (one group in flight), and at an item's end releases its last tile and stores
// its 64 tokens. Schedules (order) as emulate_sp90t_pipeline. C: BsrTmaCfg (two warpgroups, 128 tokens) or
// BsrTmaWideCfg (four, 256).
template <class C>
void emulate_bsr_tma_cta(const BsrProblem& pb, Output& y, int cta, int grid, int order) {
  constexpr int WG = C::CONSUMER_THREADS / 128;
  const int tokens = (int)pb.tokens, in = (int)pb.in, out = (int)pb.out, dt = pb.xd;
  const int nbc = in / C::BLK, blocks = (int)pb.blocks();
  const int64_t items = bsrt_items<C>(tokens, out);
  Block blk(C::PIPE_BYTES, C::THREADS);
  std::vector<emu::Mbarrier> full((size_t)C::STAGES), empty((size_t)C::STAGES);
  for (auto& b : full) b.expected = 1;
  for (auto& b : empty) b.expected = C::CONSUMER_THREADS;
  const TmaMap2d xmap = bsrt_x_map<C>(tokens, in), wmap = bsrt_w_map<C>(blocks > 0 ? blocks : 1);
  // The kernel's shared table: block rows ranked by stored blocks (bsr_cost_rank), and the CTA's item sequence
  // (bsrt_serpentine rounds, the last one partial).
  const int nrows = out / C::BLK;
  const bool ranked = nrows <= kBsrtOrderRows;
  std::vector<int> cost((size_t)nrows), row_order((size_t)nrows);
  for (int r = 0; r < nrows; ++r) {
    const BsrItem it = bsr_row_item(r, pb.row_ptr[(size_t)r], pb.row_ptr[(size_t)r + 1], blocks, nbc);
    cost[(size_t)r] = it.b1 - it.b0;
  }
  if (ranked) {
    std::vector<int> hits((size_t)nrows, 0);
    for (int r = 0; r < nrows; ++r) ++hits[(size_t)bsr_cost_rank(cost.data(), nrows, r)];
    for (int r = 0; r < nrows; ++r) EMU_CHECK(hits[(size_t)r] == 1, "bsr_cost_rank: rank %d given %d times", r, hits[(size_t)r]);
    for (int r = 0; r < nrows; ++r) row_order[(size_t)bsr_cost_rank(cost.data(), nrows, r)] = r;
    for (int r = 1; r < nrows; ++r)
      EMU_CHECK(cost[(size_t)row_order[(size_t)r - 1]] > cost[(size_t)row_order[(size_t)r]] ||
                    (cost[(size_t)row_order[(size_t)r - 1]] == cost[(size_t)row_order[(size_t)r]] && row_order[(size_t)r - 1] < row_order[(size_t)r]),
                "bsr order: row %d (%d blocks) before row %d (%d blocks)", row_order[(size_t)r - 1],
                cost[(size_t)row_order[(size_t)r - 1]], row_order[(size_t)r], cost[(size_t)row_order[(size_t)r]]);
  }
  std::vector<int64_t> seq;
  for (int64_t k = 0; k * grid < items; ++k) {
    const int64_t w = bsrt_serpentine(k, cta, grid);
    if (w < items) seq.push_back(w);
  }
  const int64_t nseq = (int64_t)seq.size();
  auto item_of = [&](int64_t w) {
    const int row = ranked ? row_order[(size_t)bsrt_row<C>(w, out)] : bsrt_row<C>(w, out);
    return bsr_row_item(row, pb.row_ptr[(size_t)row], pb.row_ptr[(size_t)row + 1], blocks, nbc);
  };
  const int ptid = C::CONSUMER_THREADS;
  // Producer: the index pk of its item in seq, next block pb_, tile number pg.
  int64_t pk = 0;
  BsrItem pit = pk < nseq ? item_of(seq[(size_t)pk]) : BsrItem{};
  int pb_ = pit.b0, pg = 0;
  auto produce = [&]() -> bool {
    while (pk < nseq && pb_ >= pit.b1) {
      ++pk;
      if (pk < nseq) {
        pit = item_of(seq[(size_t)pk]);
        pb_ = pit.b0;
      }
    }
    if (pk >= nseq) return false;
    const int64_t pw = seq[(size_t)pk];
    const int slot = pg % C::STAGES;
    if (pg >= C::STAGES && !empty[(size_t)slot].passed(sp90d_parity<C>(pg - C::STAGES))) return false;
    const int sa = slot * C::STAGE_BYTES, m0 = bsrt_m0<C>(pw, out);
    int bytes = tma_box_load(blk, ptid, sa, pb.dense.x, xmap, bsrt_x_k<C>(bsr_clamp_col(pb.col_idx[(size_t)pb_], nbc)),
                             m0, pg);
    bytes += tma_box_load(blk, ptid, sa + C::A_BYTES, pb.values, wmap, 0, bsrt_w_row<C>(pb_), pg);
    EMU_CHECK(bytes == C::STAGE_BYTES, "BSR TMA tile %d: copies deliver %d bytes, expect_tx says %d", pg, bytes,
              C::STAGE_BYTES);
    full[(size_t)slot].arrive_on_copies(blk, ptid);
    ++pb_;
    ++pg;
    return true;
  };
  // Consumers: per warpgroup its item, next block, tile number, pending tile and accumulators.
  struct Wg {
    int64_t k;  // index of its item in seq
    BsrItem it;
    int b, g, prev;
    bool started;
    std::vector<float> acc;
  };
  Wg wgs[WG];
  for (auto& c : wgs) c = Wg{0, BsrItem{}, 0, 0, -1, false, std::vector<float>(4 * 32 * 32, 0.0f)};
  auto release = [&](int tile) {
    for (int t = 0; t < 128; ++t) empty[(size_t)(tile % C::STAGES)].arrive(blk);
  };
  auto consume = [&](int wg) -> bool {
    Wg& c = wgs[wg];
    if (c.k >= nseq) return false;
    if (!c.started) {
      c.it = item_of(seq[(size_t)c.k]);
      c.b = c.it.b0;
      std::fill(c.acc.begin(), c.acc.end(), 0.0f);
      c.started = true;
    }
    if (c.b < c.it.b1) {
      const int slot = c.g % C::STAGES;
      if (!full[(size_t)slot].passed(sp90d_parity<C>(c.g))) return false;
      for (int ks = 0; ks < C::BLK / 16; ++ks)
        wgmma_m64n64k16(blk, slot * C::STAGE_BYTES + (int)bsrt_a_start<C>(wg) + ks * 32,
                        slot * C::STAGE_BYTES + (int)bsrt_b_start<C>() + ks * 32, c.acc.data(), c.g, dt);
      if (c.prev >= 0) release(c.prev);
      c.prev = c.g;
      ++c.b;
      ++c.g;
      return true;
    }
    if (c.prev >= 0) release(c.prev);
    c.prev = -1;
    const int row = c.it.row, m0 = bsrt_m0<C>(seq[(size_t)c.k], out);
    for (int w = 0; w < 4; ++w)
      for (int lane = 0; lane < 32; ++lane)
        for (int i = 0; i < 32; ++i) {
          const int tok = m0 + wg * 64 + 16 * w + lane / 4 + 8 * ((i >> 1) & 1);
          const int col = row * C::BLK + 8 * (i >> 2) + 2 * (lane & 3) + (i & 1);
          if (tok < tokens)
            y.store(y_offset(tok, col, out), c.acc[((size_t)w * 32 + lane) * 32 + i] +
                                                 (pb.with_bias ? pb.dense.bias[(size_t)col] : 0.0f));
        }
    ++c.k;
    c.started = false;
    return true;
  };
  const bool ran = run_tma_schedule(order, WG, [&](int actor) { return actor == 0 ? produce() : consume(actor - 1); },
                                    [&]() {
                                      bool done = true;
                                      for (const Wg& c : wgs) done &= c.k >= nseq;
                                      return done;
                                    });
  EMU_CHECK(ran, "BSR TMA deadlock: CTA %d, producer at tile %d, consumers at tiles %d and %d", cta, pg, wgs[0].g,
            wgs[WG - 1].g);
  if (!ran) return;
  bool same = true;
  for (const Wg& c : wgs) same &= c.g == pg;
  EMU_CHECK(!produce() && same, "BSR TMA CTA %d: producer loaded %d tiles, consumers used %d and %d", cta, pg,
            wgs[0].g, wgs[WG - 1].g);
  EMU_CHECK(!blk.any_inflight(), "BSR TMA: a copy still in flight when the CTA exits");
}

// The whole persistent launch of `grid` CTAs (the host caps it at MIN_BLOCKS per SM; small grids here make each CTA
// run several items, so the ring runs on across items and wraps).
template <class C>
void emulate_bsr_tma(const BsrProblem& pb, Output& y, int grid, int order) {
  const int64_t items = bsrt_items<C>((int)pb.tokens, (int)pb.out);
  const int g = (int)std::min<int64_t>(grid, items);
  // The serpentine rounds hand every item to exactly one CTA.
  std::vector<int> taken((size_t)items, 0);
  for (int cta = 0; cta < g; ++cta)
    for (int64_t k = 0; k * g < items; ++k) {
      const int64_t w = bsrt_serpentine(k, cta, g);
      if (w < items) ++taken[(size_t)w];
    }
  for (int64_t w = 0; w < items; ++w) EMU_CHECK(taken[(size_t)w] == 1, "BSR TMA item %lld taken %d times", (long long)w, taken[(size_t)w]);
  for (int cta = 0; cta < g; ++cta) emulate_bsr_tma_cta<C>(pb, y, cta, g, order);
}

bool run_bsr_case(std::mt19937& rng, int64_t t, int br, int bc, int64_t nbr, int64_t nbc, int pattern, int xd, int yd,
                  bool with_bias, int ws_mode, long& cf, long& ph) {
  BsrProblem pb;
  pb.tokens = t;
  pb.out = nbr * br;
  pb.in = nbc * bc;
  pb.br = br;
  pb.bc = bc;
  pb.xd = xd;
  pb.yd = yd;
  pb.with_bias = with_bias;
  make_bsr(pb, pattern, rng);
  if (sk_bsr_check(pb.row_ptr.data(), pb.col_idx.data(), pb.blocks(), br, bc, pb.out, pb.in) != SK_OK) {
    fprintf(stderr, "sk_bsr_check: %s\n", sk_last_error());
    return false;
  }
  const long before = emu::failures().count;
  Workspace ws;
  int64_t bytes = 0;
  const int64_t plan_tokens = ws_mode == 2 ? t + 57 : ws_mode == 3 ? (t > 1 ? t - 1 : 1) : t;
  if (ws_mode != 1 && !make_workspace(pb, plan_tokens, ws, bytes)) return false;
  const bool use_ws = ws_mode != 1 && bytes > 0;
  Output y(yd, t, pb.out);
  long items = 0;
  emulate_bsr(pb, use_ws ? &ws : nullptr, y, cf, ph, items);
  // Every partial-sum float of the call's tokens written exactly once when the plan was used.
  long bad_part = 0;
  if (use_ws && bsr_ws_valid(ws.ptr(), br, bc, (int)nbr, (int)pb.blocks(), (int)t)) {
    const int64_t per = t * br;
    for (int64_t i = 0; i < (int64_t)ws.words[H_SLOTS] * per; ++i) bad_part += ws.part_writes[(size_t)i] != 1;
    EMU_CHECK(bad_part == 0, "%ld partial sums not written exactly once", bad_part);
  }
  double worst = 0;
  long bad = compare(pb.dense, y, "bsr", worst);
  // 64x64 blocks: the Hopper persistent TMA kernels too (they ignore the workspace), 128 and 256 tokens per item,
  // under each schedule, on one CTA (every item in one ring) and on three.
  if (br == 64 && bc == 64 && xd != emu::F32)
    for (int order = 0; order < 3; ++order)
      for (int grid : {1, 3})
        for (int wide = 0; wide < 2; ++wide) {
          Output yt(yd, t, pb.out);
          if (wide) emulate_bsr_tma<BsrTmaWideCfg>(pb, yt, grid, order);
          else emulate_bsr_tma<BsrTmaCfg>(pb, yt, grid, order);
          double w = 0;
          bad += compare(pb.dense, yt, wide ? "bsr sm90 TMA 256" : "bsr sm90 TMA", w);
          worst = std::max(worst, w);
        }
  const long model = emu::failures().count - before;
  const bool ok = bad == 0 && model == 0;
  if (!ok || getenv("SK_EMU_VERBOSE"))
    printf("%s BSR tokens=%-4lld %2dx%-2d out=%-4lld in=%-5lld blocks=%-4lld %-17s x=%-4s y=%-4s bias=%d ws=%s%s "
           "(%lld B, %ld items) err/tol %.3f (%ld bad) model %ld\n",
           ok ? "PASS" : "FAIL", (long long)t, br, bc, (long long)pb.out, (long long)pb.in, (long long)pb.blocks(),
           pattern_name(pattern), dt_name(xd), dt_name(yd), with_bias ? 1 : 0,
           ws_mode == 1 ? "NULL" : use_ws ? "plan" : "none-needed", ws_mode == 2 ? "(planned for more tokens)" : ws_mode == 3 ? "(planned for fewer tokens)" : "",
           (long long)bytes, items, worst, bad, model);
  return ok;
}

// Static checks of the BSR tile configs.
template <class C>
void check_bsr_config(const char* name) {
  EMU_CHECK(C::SMEM_BYTES <= 99 * 1024, "%s smem %d", name, C::SMEM_BYTES);
  // Every half of a stage (but the 16-byte row padding) is copied exactly once, for every block width.
  for (int shift = 4; shift <= 6; ++shift) {
    std::vector<int> a((size_t)C::A_STAGE, 0), b((size_t)C::B_STAGE, 0);
    BsrItem it{0, 0, 1 << 20, -1};
    for (int c = 0; c < C::A_COPIES; ++c) {
      const CopyPlan p = bsr_copy_w<C>(c, 1, it, shift);
      for (int h = 0; h < 8; ++h) ++a[(size_t)(p.dst + h)];
    }
    for (int c = 0; c < C::B_COPIES; ++c) {
      const CopyPlan p = bsr_copy_x<C>(c, 1, it, 0, 0, 1 << 20, 1 << 20, shift);
      for (int h = 0; h < 8; ++h) ++b[(size_t)(p.dst + h)];
    }
    long pad_a = 0, pad_b = 0;
    for (int v : a) { EMU_CHECK(v <= 1, "%s A half copied %d times", name, v); pad_a += v == 0; }
    for (int v : b) { EMU_CHECK(v <= 1, "%s B half copied %d times", name, v); pad_b += v == 0; }
    EMU_CHECK(pad_a == (long)C::BR * 8 && pad_b == (long)C::BN * 8, "%s: only the row padding stays uncopied", name);
  }
  printf("config %-9s BR %2d BN %3d warps %d (WMxWN %dx%d, warp tile %dx%d) k%d/stage %d stages smem %6d B\n", name,
         C::BR, C::BN, C::THREADS / 32, C::WM, C::WN, C::MI * 16, C::NT * 8, C::SK, C::STAGES, C::SMEM_BYTES);
}

void check_bsr_limits() {
  int64_t gx, gy;
  bsr_grid(1, 1, kBsrMaxTokens, false, gx, gy);
  EMU_CHECK(gy <= kMaxGridY, "BSR grid.y at max tokens %lld", (long long)gy);
  bsr_grid(1, 1, kBsrMaxTokens + 128, false, gx, gy);
  EMU_CHECK(gy > kMaxGridY, "one tile more must exceed the grid");
  // Largest offsets: W block (2^31-1) - 1, last row; X at the last token and column; partial index.
  const BsrItem it{0, INT32_MAX - 1, INT32_MAX, -1};
  const CopyPlan pw = bsr_copy_w<BsrCfg<64, 128>>(BsrCfg<64, 128>::A_COPIES - 1, 1, it, 6);
  EMU_CHECK(pw.ok && pw.src == ((int64_t)(INT32_MAX - 1) * 64 + 63) * 64 + 56, "W offset %lld", (long long)pw.src);
  const int in = 1 << 30;
  const BsrItem it2{0, 0, 1, -1};
  const CopyPlan px = bsr_copy_x<BsrCfg<64, 128>>(BsrCfg<64, 128>::B_COPIES - 1, 1, it2, (in >> 6) - 1,
                                                  (int)kBsrMaxTokens - 128, (int)kBsrMaxTokens, in, 6);
  EMU_CHECK(px.ok && px.src == kBsrMaxTokens * (int64_t)in - 8, "X offset %lld", (long long)px.src);
  EMU_CHECK(bsr_partial_index(INT32_MAX - 1, (int)kBsrMaxTokens - 1, 63, (int)kBsrMaxTokens, 64) ==
                ((int64_t)(INT32_MAX - 1) * kBsrMaxTokens + kBsrMaxTokens - 1) * 64 + 63, "partial index");
  // Chunk rule: large token counts leave rows whole, small ones cut.
  EMU_CHECK(bsr_chunk_blocks(410, 4096) >= 49 && bsr_chunk_blocks(410, 1) == kBsrMinChunk, "chunk rule");
}

int run_bsr_cases(std::mt19937& rng, bool quick, int& total, long& conflicts, long& phases) {
  check_bsr_config<BsrCfg<64, 128>>("64x128");
  check_bsr_config<BsrCfg<32, 128>>("32x128");
  check_bsr_config<BsrCfg<16, 128>>("16x128");
  check_bsr_config<BsrCfg<64, 32>>("64x32");
  check_bsr_config<BsrCfg<32, 32>>("32x32");
  check_bsr_config<BsrCfg<16, 32>>("16x32");
  check_bsr_limits();
  const int64_t tokens_list[] = {1, 7, 16, 33, 130};
  const int shapes[][2] = {{16, 16}, {32, 32}, {64, 64}, {16, 64}, {64, 32}};
  int failed = 0, variant = 0;
  for (int64_t t : tokens_list)
    for (auto& s : shapes)
      for (int pattern = 0; pattern < 4; ++pattern) {
        if (quick && (variant % 3) != 0) {
          ++variant;
          continue;
        }
        const int br = s[0], bc = s[1];
        // Block grid: 6 block rows x 9 block columns, 12 block columns for the long row (cut into chunks).
        const int64_t nbr = pattern == kLongRow ? 8 : 6, nbc = pattern == kLongRow ? 12 : 9;
        const int combo = variant % 4;
        const int xd = (combo & 1) ? emu::BF16 : emu::F16;
        const int yd = (combo & 2) ? xd : emu::F32;
        const bool bias = variant % 3 != 2;
        ++total;
        if (!run_bsr_case(rng, t, br, bc, nbr, nbc, pattern, xd, yd, bias, 0, conflicts, phases)) ++failed;
        if (pattern != kEmpty && variant % 2 == 0) {  // the same structure family without a workspace
          ++total;
          if (!run_bsr_case(rng, t, br, bc, nbr, nbc, pattern, xd, yd, bias, 1, conflicts, phases)) ++failed;
        }
        ++variant;
      }
  // Plans made for another token count; a long row in a wide matrix (many chunks, ring wrap-around).
  const int extra[][5] = {{33, 64, 64, 2, kLongRow}, {130, 16, 16, 3, kLongRow}, {7, 32, 32, 2, kDense}, {130, 64, 32, 3, kRandom}};
  for (auto& e : extra) {
    ++total;
    if (!run_bsr_case(rng, e[0], e[1], e[2], 8, 12, e[4], emu::BF16, emu::F32, true, e[3], conflicts, phases)) ++failed;
  }
  ++total;
  if (!run_bsr_case(rng, 40, 64, 64, 5, 40, kLongRow, emu::F16, emu::F16, true, 0, conflicts, phases)) ++failed;
  return failed;
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
          // --quick: the dtype combination turns with the shape, and for the Hopper cases (every 13th shape there,
          // so that their out turns too) with their count, so that they see 16-bit outputs.
          const int c = quick ? (variant / 13 + variant % 13) % 4 : combo;
          const int xd = (c & 1) ? emu::BF16 : emu::F16;
          const int yd = (c & 2) ? xd : emu::F32;
          const bool bias = ((variant + combo) % 3) != 2;
          // every third shape, one dtype combo each (--quick: every 13th)
          sp90_cases = quick ? variant % 13 == 0 : variant % 3 == 0 && combo == (variant / 3) % 4;
          ++total;
          if (!run_case(rng, t, k, o, xd, yd, bias, conflicts, phases)) ++failed;
        }
        ++variant;
      }
  // Longer K (many pipeline turns, ring wrap-around, split-K with partial last stage) and bigger grids.
  const int64_t extra[][3] = {{1, 1096, 64}, {5, 1024, 33}, {12, 2056, 40}, {40, 776, 100}, {200, 520, 300}, {131, 1000, 257}};
  int extra_index = 0;
  for (auto& e : extra) {
    for (int combo = 0; combo < 4; ++combo) {
      const int xd = (combo & 1) ? emu::BF16 : emu::F16;
      const int yd = (combo & 2) ? xd : emu::F32;
      sp90_cases = !quick || combo == extra_index % 4;  // --quick: one combination each, turning
      ++total;
      if (!run_case(rng, e[0], e[1], e[2], xd, yd, combo != 3, conflicts, phases)) ++failed;
    }
    ++extra_index;
  }
  sp90_cases = false;
  if (!check_cluster_mutations(rng)) ++failed;
  if (!check_staged_mutation(rng)) ++failed;
  const int bsr_before = total;
  const int bsr_failed = run_bsr_cases(rng, quick, total, conflicts, phases);
  failed += bsr_failed;
  printf("BSR: %d of %d emulated cases passed\n", total - bsr_before - bsr_failed, total - bsr_before);
  EMU_CHECK(conflicts == 0, "%ld of %ld ldmatrix phases had shared-memory bank conflicts", conflicts, phases);
  const long model = emu::failures().count;
  printf("%s: %d of %d emulated GEMM cases passed (sparse, dense and BSR), %ld ldmatrix phases, %ld bank conflicts, %ld model failures\n",
         failed == 0 && model == 0 ? "PASS" : "FAIL", total - failed, total, phases, conflicts, model);
  return failed == 0 && model == 0 ? 0 : 1;
}
