// Index arithmetic of the GEMM kernels (tile configs, cp.async copy plans, ldmatrix lane addresses, metadata
// selection, split-K reduction slots, accumulator -> Y mapping), as plain __host__ __device__ functions.
//
// The kernels in sparse24_gemm.cu / dense_gemm.cu compute every address through these functions, and the CPU
// emulator in native/tests/warp_emulator/ calls the very same functions, so the emulator tests the kernels'
// real index math. This header must therefore stay free of CUDA-only types and intrinsics: it compiles with
// plain g++ (SK_HD then expands to `inline`).
#pragma once
#include <stdint.h>

#if defined(__CUDACC__)
#define SK_HD __host__ __device__ __forceinline__
#else
#define SK_HD inline
#endif

namespace skcuda {

// One 16-byte cp.async: destination offset inside the stage (in elements of the staged array: halves for
// A and B, 32-bit words for the metadata), source offset from the base pointer (same unit), and whether the
// source exists (false: zero-fill, nothing is read).
struct CopyPlan {
  int dst;
  int64_t src;
  bool ok;
};

// Accumulator coordinate inside an m16n8 tile: c0 = (g, 2t), c1 = (g, 2t+1), c2 = (g+8, 2t), c3 = (g+8, 2t+1).
SK_HD int frag_row(int lane, int r) { return (lane >> 2) + 8 * (r >> 1); }
SK_HD int frag_col(int lane, int r) { return 2 * (lane & 3) + (r & 1); }

// Y[tokens, out] row-major; the kernels hold Y^T tiles (m = out feature, n = token).
SK_HD int64_t y_offset(int n, int m, int out) { return (int64_t)n * out + m; }

// Grid dimension y limit (x is 2^31-1, never reached with out <= 2^30).
constexpr int64_t kMaxGridY = 65535;

// =============================================== 2:4 sparse GEMM ==============================================

template <int WM_, int WN_, int NT_, int WK_, int KSTEPS_, int STAGES_>
struct SpCfg {
  static constexpr int WM = WM_, WN = WN_, NT = NT_, WK = WK_, KSTEPS = KSTEPS_, STAGES = STAGES_;
  static constexpr int BM = 32 * WM;       // W rows (out features) per block
  static constexpr int BN = 8 * NT * WN;   // tokens per block
  static constexpr int THREADS = 32 * WM * WN * WK;
  static constexpr int A_PITCH = KSTEPS * 16 + 8;  // halves per smem row of compressed W (+16 B padding)
  static constexpr int B_PITCH = KSTEPS * 32 + 8;  // halves per smem row of X (+16 B padding)
  static constexpr int A_STAGE = BM * A_PITCH;     // halves
  static constexpr int B_STAGE = BN * B_PITCH;     // halves
  static constexpr int E_STAGE = WM * KSTEPS * 32; // metadata words
  static constexpr int A_STAGE_BYTES = A_STAGE * 2, B_STAGE_BYTES = B_STAGE * 2, E_STAGE_BYTES = E_STAGE * 4;
  // Byte offsets of the three rings inside the dynamic shared memory.
  static constexpr int A_OFF = 0;
  static constexpr int B_OFF = STAGES * A_STAGE_BYTES;
  static constexpr int E_OFF = B_OFF + STAGES * B_STAGE_BYTES;
  static constexpr int PIPE_BYTES = E_OFF + STAGES * E_STAGE_BYTES;
  static constexpr int A_COPIES = BM * KSTEPS * 2;  // 16-byte copies per stage: 2 per W row per k32 step
  static constexpr int B_COPIES = BN * KSTEPS * 4;  // 4 per token row per k32 step
  static constexpr int E_COPIES = WM * KSTEPS * 8;  // 128 B of metadata per 32-row block per k32 step
  static constexpr int PER_WARP = 2 * NT * 4;       // f32 accumulators per lane
  static constexpr int RED_FLOATS = (WK - 1) * WM * WN * PER_WARP * 32;  // split-K reduction buffer
  static constexpr int SMEM_BYTES = PIPE_BYTES > RED_FLOATS * 4 ? PIPE_BYTES : RED_FLOATS * 4;
  static_assert(STAGES >= 2, "a ring needs two stages at least");
  static_assert(KSTEPS % WK == 0, "each K-warp takes the same number of k32 steps per stage");
  static_assert((A_PITCH * 2) % 16 == 0 && (B_PITCH * 2) % 16 == 0, "ldmatrix/cp.async rows 16-byte aligned");
  static_assert(B_OFF % 16 == 0 && E_OFF % 16 == 0, "rings 16-byte aligned");
};

using CfgTiny = SpCfg<1, 1, 1, 4, 4, 4>;   // tokens <= 8
using CfgSmall = SpCfg<1, 1, 2, 4, 4, 4>;  // tokens <= 16
using CfgMid = SpCfg<2, 2, 4, 1, 2, 4>;    // tokens <= 64
using CfgLarge = SpCfg<4, 2, 8, 1, 2, 3>;  // tokens > 64

// Which config a token count runs with: 0 Tiny, 1 Small, 2 Mid, 3 Large.
SK_HD int sp_cfg_for_tokens(int64_t tokens) { return tokens <= 8 ? 0 : tokens <= 16 ? 1 : tokens <= 64 ? 2 : 3; }

// Largest token count: gridDim.y = ceil(tokens / BN) <= 65535 for the config each token count selects (the
// Large config is the one that runs there).
constexpr int64_t kSpMaxTokens = kMaxGridY * CfgLarge::BN;

SK_HD int sp_padded_rows(int out) { return (out + 31) & ~31; }  // Mp
SK_HD int sp_padded_cols(int in) { return (in + 31) & ~31; }    // Kp

template <class C>
SK_HD void sp_grid(int tokens, int out, int64_t& gx, int64_t& gy) {
  gx = (sp_padded_rows(out) + C::BM - 1) / C::BM;
  gy = ((int64_t)tokens + C::BN - 1) / C::BN;
}

// Warp roles: warp = wm + WM * (wn + WN * wk).
template <class C>
SK_HD void sp_warp_roles(int warp, int& wm, int& wn, int& wk) {
  wm = warp % C::WM;
  wn = (warp / C::WM) % C::WN;
  wk = warp / (C::WM * C::WN);
}

// Copy c (0 <= c < A_COPIES) of stage starting at k32 step s0: W row m0 + r, compressed halves 16*s0 + 8*ch.
// Rows >= Mp and k32 steps >= KS are zero-filled (the packed layout has exactly Mp rows of Kp/2 halves).
template <class C>
SK_HD CopyPlan sp_copy_a(int c, int m0, int s0, int Mp, int KS) {
  constexpr int CH = C::KSTEPS * 2;
  const int r = c / CH, ch = c % CH;
  CopyPlan p;
  p.dst = r * C::A_PITCH + ch * 8;
  p.ok = (m0 + r) < Mp && (s0 + ch / 2) < KS;
  p.src = p.ok ? (int64_t)(m0 + r) * (KS * 16) + (int64_t)s0 * 16 + ch * 8 : 0;
  return p;
}

// Copy c (0 <= c < B_COPIES): X row (token) n0 + r, k = 32*s0 + 8*ch. Tokens past the end and k >= in read as
// zeros; in % 8 == 0, so a 16-byte chunk is entirely inside or outside.
template <class C>
SK_HD CopyPlan sp_copy_b(int c, int n0, int s0, int tokens, int in) {
  constexpr int CH = C::KSTEPS * 4;
  const int r = c / CH, ch = c % CH;
  const int k = s0 * 32 + ch * 8;
  CopyPlan p;
  p.dst = r * C::B_PITCH + ch * 8;
  p.ok = (n0 + r) < tokens && k < in;
  p.src = p.ok ? (int64_t)(n0 + r) * in + k : 0;
  return p;
}

// Copy c (0 <= c < E_COPIES): metadata words of 32-row block m0/32 + p, k32 step s0 + j, words 4*part..+3.
template <class C>
SK_HD CopyPlan sp_copy_e(int c, int m0, int s0, int Mp, int KS) {
  constexpr int CH = C::KSTEPS * 8;
  const int p = c / CH, j = (c % CH) / 8, part = c % 8;
  const int P = m0 / 32 + p, s = s0 + j;
  CopyPlan q;
  q.dst = (p * C::KSTEPS + j) * 32 + part * 4;
  q.ok = P < Mp / 32 && s < KS;
  q.src = q.ok ? ((int64_t)P * KS + s) * 32 + part * 4 : 0;
  return q;
}

// k32 step (within a stage) that K-warp wk handles in its jj-th turn.
template <class C>
SK_HD int sp_kstep(int jj, int wk) { return jj * C::WK + wk; }

// Metadata word of this lane for k32 step j of the warp's 32-row block (selector 0: rows 0-15, 1: rows 16-31).
template <class C>
SK_HD int sp_meta_index(int wm, int j, int lane) { return (wm * C::KSTEPS + j) * 32 + lane; }

// ldmatrix.x4 row address (halves into the A stage) for the compressed 16x16 tile i (rows 16i..16i+15 of the
// warp's 32) of k32 step j: lane l addresses row l%16, compressed column 8*(l/16) -> A0..A3 (notes 2.3).
template <class C>
SK_HD int sp_ldsm_a(int wm, int i, int j, int lane) {
  return (wm * 32 + i * 16 + (lane & 15)) * C::A_PITCH + j * 16 + (lane >> 4) * 8;
}

// ldmatrix.x4 row address (halves into the B stage) for n8 tile nt, k32 step j: lane l addresses token l%8,
// k 8*(l/8) -> B0..B3 of one sparse k32 B fragment (notes 2.3, "sparse B, one n8 tile, k32, N x K").
template <class C>
SK_HD int sp_ldsm_b(int wn, int nt, int j, int lane) {
  return ((wn * C::NT + nt) * 8 + (lane & 7)) * C::B_PITCH + j * 32 + (lane >> 3) * 8;
}

// Split-K reduction slot (float index into the reused shared memory) of accumulator acc[i][nt][r] of lane
// `lane` in the warp (wm, wn) = wmn of K-warp q (1 <= q < WK).
template <class C>
SK_HD int sp_red_index(int q, int wmn, int i, int nt, int r, int lane) {
  return ((q - 1) * C::WM * C::WN + wmn) * C::PER_WARP * 32 + ((i * C::NT + nt) * 4 + r) * 32 + lane;
}

// Top-left (m, n) of the accumulator tile acc[i][nt] of warp (wm, wn) in block (m0, n0).
template <class C>
SK_HD int sp_tile_m(int m0, int wm, int i) { return m0 + wm * 32 + i * 16; }
template <class C>
SK_HD int sp_tile_n(int n0, int wn, int nt) { return n0 + (wn * C::NT + nt) * 8; }

// ================================================= dense GEMM =================================================

struct DnCfg {
  static constexpr int BM = 64, BN = 64, BK = 32, STAGES = 3, THREADS = 128;
  static constexpr int PITCH = BK + 8;  // halves per smem row (80 B: conflict-free ldmatrix, 16-byte aligned)
  static constexpr int STAGE = BM * PITCH;  // halves per operand stage (BM == BN)
  static constexpr int COPIES = BM * (BK / 8);  // 16-byte copies per operand per stage
  static_assert(BM == BN, "A and B stages share one shape");
};

constexpr int64_t kDnMaxTokens = kMaxGridY * DnCfg::BN;

SK_HD void dn_grid(int tokens, int out, int64_t& gx, int64_t& gy) {
  gx = ((int64_t)out + DnCfg::BM - 1) / DnCfg::BM;
  gy = ((int64_t)tokens + DnCfg::BN - 1) / DnCfg::BN;
}

// Copy c (0 <= c < COPIES) of stage kt for an operand with `rows` rows of `in` elements starting at row r0:
// row r0 + c/4, k = 32*kt + 8*(c%4). Rows past the end and k >= in are zero-filled.
SK_HD CopyPlan dn_copy(int c, int r0, int kt, int rows, int in) {
  const int r = c >> 2, k = kt * DnCfg::BK + (c & 3) * 8;
  CopyPlan p;
  p.dst = r * DnCfg::PITCH + (c & 3) * 8;
  p.ok = (r0 + r) < rows && k < in;
  p.src = p.ok ? (int64_t)(r0 + r) * in + k : 0;
  return p;
}

// A 16x16 tile i of k16 step kk: lane l addresses row l%16, col 8*(l/16) -> A0..A3.
SK_HD int dn_ldsm_a(int wm, int i, int kk, int lane) {
  return (wm * 32 + i * 16 + (lane & 15)) * DnCfg::PITCH + kk * 16 + (lane >> 4) * 8;
}

// Two n8 tiles (2np, 2np+1) of k16 step kk: lane l addresses token (l%8) + 8*(l/16), k 8*((l/8)%2)
// -> {b0, b1} of tile 2np, {b2, b3} of tile 2np+1.
SK_HD int dn_ldsm_b(int wn, int np, int kk, int lane) {
  return (wn * 32 + np * 16 + (lane & 7) + ((lane >> 4) << 3)) * DnCfg::PITCH + kk * 16 + ((lane >> 3) & 1) * 8;
}

}  // namespace skcuda
