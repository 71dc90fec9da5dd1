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

// Deeper pipelines for the same tiny token counts (experimental mode, where the device's opt-in shared memory takes
// them: 146 KB, so sm_80 and sm_90, not sm_86 / sm_89). A decode-like call streams W from HBM with ~1 block per SM
// (out / 32 blocks), so the bytes in flight per SM bound its speed: 3 stages of k128 keep 12 KB of W in flight,
// 7 stages of k256 keep 56 KB. On an H200 the default reached ~0.8 TB/s at 16 x 4096 x 4096 (0.022 ms, 0.87x dense
// cuBLAS), far from the W stream's ~4 TB/s (2026-11-27).
using CfgTinyDeep = SpCfg<1, 1, 1, 4, 8, 8>;   // tokens <= 8
using CfgSmallDeep = SpCfg<1, 1, 2, 4, 8, 8>;  // tokens <= 16

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

// ===================================== 2:4 sparse GEMM on Hopper wgmma.sp =====================================
//
// sparse24_gemm_sm90.cu: Y^T tile = W . X^T with wgmma.mma_async.sp m64n128k32, A = compressed W from registers,
// B = X from 128-byte-swizzled shared memory. Block tile: BM = 128 W rows (two warpgroups of 64; warp q = 0..7 of the
// block owns rows 16q..16q+15) x BN = 128 tokens, KSTEPS = 2 k32 steps (64 logical k = one 128-byte X row) per stage.
// The W values and metadata stages reuse the mma.sp kernel's copy plans (sp_copy_a / sp_copy_e / sp_ldsm_a /
// sp_meta_index with WM = 4 blocks of 32 rows), so Sp90Cfg carries the fields those templates read.
template <int WG_>
struct Sp90CfgT {
  static constexpr int WG = WG_;          // warpgroups per block
  static constexpr int BM = 64 * WG;      // W rows (out features) per block
  static constexpr int BN = 128;          // tokens per block = the wgmma N
  static constexpr int KSTEPS = 2;        // k32 steps per stage
  static constexpr int STAGES = 4;
  static constexpr int THREADS = 128 * WG;
  static constexpr int WM = BM / 32;      // 32-row metadata blocks (Variant P) per block tile
  static constexpr int A_PITCH = KSTEPS * 16 + 8;  // halves per smem row of compressed W (80 B: conflict-free ldmatrix)
  static constexpr int A_STAGE = BM * A_PITCH;     // halves
  static constexpr int E_STAGE = WM * KSTEPS * 32; // metadata words
  static constexpr int B_STAGE_BYTES = BN * 128;   // one swizzled K-major X tile: BN rows of 64 halves (16 KB)
  // Byte offsets inside the 1024-aligned dynamic shared memory: X tiles first (they need 1024-byte alignment).
  static constexpr int B_OFF = 0;
  static constexpr int A_OFF = STAGES * B_STAGE_BYTES;
  static constexpr int E_OFF = A_OFF + STAGES * A_STAGE * 2;
  static constexpr int PIPE_BYTES = E_OFF + STAGES * E_STAGE * 4;
  static constexpr int SMEM_BYTES = PIPE_BYTES + 1024;  // + slack to align the base to 1024 B
  static constexpr int A_COPIES = BM * KSTEPS * 2;  // 16-byte copies per stage (as SpCfg)
  static constexpr int B_COPIES = BN * 8;           // 8 chunks of 16 B per 128-byte X row
  static constexpr int E_COPIES = WM * KSTEPS * 8;
  static_assert(KSTEPS * 32 * 2 == 128, "a stage's X tile is one 128-byte swizzle row per token");
  static_assert(A_OFF % 1024 == 0 && E_OFF % 16 == 0, "X tiles 1024-aligned, the other rings 16-aligned");
  static_assert(BM % 64 == 0 && BN == 128, "warpgroups of 64 rows, one m64n128k32 per k32 step");
};
// Two warpgroups (128 W rows) per block: the verified configuration. One warpgroup (64 rows, half the shared
// memory) doubles the block count where the two-warpgroup grid would leave SMs idle (few tokens, small out).
using Sp90Cfg = Sp90CfgT<2>;
using Sp90CfgOne = Sp90CfgT<1>;

constexpr int64_t kSp90MaxTokens = kMaxGridY * Sp90Cfg::BN;

template <class C = Sp90Cfg>
SK_HD void sp90_grid(int tokens, int out, int64_t& gx, int64_t& gy) {
  gx = (sp_padded_rows(out) + C::BM - 1) / C::BM;
  gy = ((int64_t)tokens + C::BN - 1) / C::BN;
}

// Byte offset of 16-byte chunk `chunk` of row `row` in a K-major tile with the 128-byte swizzle (the layout the
// descriptor's swizzle mode 1 names; identical to sm90::swizzle128 in wgmma.cuh, checked there by a static_assert).
SK_HD constexpr uint32_t sp90_swizzle128(uint32_t row, uint32_t chunk) {
  return row * 128u + ((chunk ^ (row & 7u)) << 4);
}

// X copy c (0 <= c < B_COPIES) of the stage starting at k32 step s0: token n0 + c/8, k = 32*s0 + 8*(c%8), to the
// swizzled byte offset inside the stage's X tile. Tokens past the end and k >= in are zero-filled (in % 8 == 0).
SK_HD CopyPlan sp90_copy_b(int c, int n0, int s0, int tokens, int in) {
  const int r = c >> 3, ch = c & 7;
  const int k = s0 * 32 + ch * 8;
  CopyPlan p;
  p.dst = (int)sp90_swizzle128((uint32_t)r, (uint32_t)ch);
  p.ok = (n0 + r) < tokens && k < in;
  p.src = p.ok ? (int64_t)(n0 + r) * in + k : 0;
  return p;
}

// Warp q (0..7) of the block owns W rows 16q..16q+15: compressed tile i = q&1 of 32-row block wm = q/2 in the
// mma.sp kernel's terms (sp_ldsm_a / sp_meta_index).
SK_HD int sp90_wm(int q) { return q >> 1; }
SK_HD int sp90_tile(int q) { return q & 1; }

// wgmma.sp takes ONE immediate selector for the whole warpgroup, but Variant P stores the metadata of rows 16-31 of
// a 32-row block in lanes t = 2, 3 (selector 1). We always use selector 0 (lanes t = 0, 1 supply metadata) and let
// the odd warps read the word of lane l ^ 2 instead, which for t = 0, 1 is the t + 2 word of the same quad: rows
// 16..31 of the block, columns 16h..16h+15, exactly what lanes t = 0, 1 of warp q must supply for rows 16q.. .
SK_HD int sp90_meta_lane(int q, int lane) { return lane ^ ((q & 1) << 1); }

// A legal metadata word (every nibble 0x4: positions 0 and 1) for k32 steps past KS and 32-row blocks past Mp,
// whose values are zero-filled: the zero-filled metadata there (nibble 0: equal indices) is undefined in PTX.
constexpr uint32_t kSp90PadMeta = 0x44444444u;

// Accumulator i (0..63) of lane `lane` in warp q: the wgmma m64nN f32 D layout, i.e. the m16n8 C fragment repeated
// over the 16 n8 column groups: row (W row) 16q + lane/4 + 8((i/2)%2), column (token) 8(i/4) + 2(lane%4) + i%2.
SK_HD int sp90_acc_m(int m0, int q, int lane, int i) { return m0 + 16 * q + (lane >> 2) + 8 * ((i >> 1) & 1); }
SK_HD int sp90_acc_n(int n0, int lane, int i) { return n0 + 8 * (i >> 2) + 2 * (lane & 3) + (i & 1); }

// ------------------------------------ 2:4 sparse GEMM on Hopper wgmma.sp, A from SHARED MEMORY ---------------------
//
// sparse24_gemm_sm90_smem_a.cu: the same Y^T tile = W . X^T, but compressed W reaches wgmma.sp through a matrix
// descriptor (not registers). Sparse A in shared memory is "a dense GMMA K-major layout in units of compressed
// elements" (notes 6.3, from CUTLASS; confirmed on an H200, 2026-11-27): one k32 step's compressed 64x16 piece is laid
// out exactly like a dense K-major 64x16 A tile. Hence a stage of KSTEPS = 4 k32 steps holds 64 compressed halves =
// 128 bytes per W row: one 128-byte swizzle row, the dense kernel's layout, with the A descriptor advancing 32 bytes
// (16 compressed halves) per k32 step. X then spans 128 logical k = 256 bytes per token per stage: two 128B-swizzled
// sub-tiles (k 0-63 and 64-127 of the stage), k32 step j reading sub-tile j/2 at +64 bytes for odd j. Metadata: as
// Sp90CfgT (Variant P, staged words).
// Every stage's MMAs are waited for before the next stage (wait_group 0): a wgmma.sp reads its metadata REGISTER when
// it runs, not when it is issued, so a group left in flight would need its own register set; ptxas serializes such
// a kernel (C7513) and it measured slower (H200: 0.278 vs 0.231 ms at 4096^3). CUTLASS's sparse sm90 mainloop keeps
// no sparse MMA in flight either.
// Two pipelines over the same ring of STAGES slots:
//   lockstep  (DECOUPLED false): PREFETCH = STAGES - 1 stages loaded ahead; one __syncthreads per stage (after each
//             thread's cp.async wait) both publishes the landed stage and frees the slot refilled next. The two
//             warpgroups start and drain every stage together, so the tensor cores idle while both drain.
//   decoupled (DECOUPLED true): PREFETCH = STAGES - 2, no block-wide barrier. Per slot two mbarriers of THREADS
//             arrivals: full (each thread's cp.async.mbarrier.arrive.noinc after issuing its copies of the stage)
//             and empty (each thread after its wgmma wait of the stage). A thread refilling slot s for stage n first
//             waits for empty[s] of stage n - STAGES; consuming stage kt it waits for full[kt % STAGES]. A warpgroup
//             that drains first goes on to its next stage while the other's MMAs still run, so the drains overlap
//             MMAs. One slot of slack (PREFETCH = STAGES - 2) lets the warpgroups drift a stage apart.
// Two block shapes:
//   128 W rows (WG = 2, 4 stages): the verified one.
//   256 W rows (WG = 4 warpgroups of 64 rows, 3 stages; experimental, written 2026-11-27 without a GPU). Why: per k
//   step a block reads 2 bytes of X per token but only 1 byte of compressed W (+ metadata) per row, so the X side
//   dominates the operand traffic, and it falls with the rows per block: bytes per dense-equivalent MAC 2/BM + 1/BN
//   = 0.0234 at 128 x 128, 0.0156 at 256 x 128 (a third less). At 4096^3 the verified kernel moves ~1.6 GB from L2
//   in 0.23 ms (~7 TB/s), about what dense cuBLAS moves in its 0.19 ms, and the Nsight profile found it neither
//   compute- nor memory-bound but waiting: fewer bytes per MMA is the lever a tile shape gives. 512 threads cap the
//   registers at 128 a thread (64 of them accumulators).
template <int WG_, bool DECOUPLED_ = false, int STAGES_ = 4>
struct Sp90SmemCfgT {
  static constexpr int WG = WG_;          // warpgroups per block
  static constexpr bool DECOUPLED = DECOUPLED_;
  static constexpr int BM = 64 * WG;      // W rows (out features) per block
  static constexpr int BN = 128;          // tokens per block = the wgmma N
  static constexpr int KSTEPS = 4;        // k32 steps per stage: 64 compressed halves = one 128-byte A row
  static constexpr int STAGES = STAGES_;
  static constexpr int PREFETCH = DECOUPLED ? STAGES - 2 : STAGES - 1;  // stages loaded ahead of the multiplied one
  static constexpr int THREADS = 128 * WG;
  static constexpr int CONSUMER_THREADS = THREADS;  // threads that run the MMAs (all of them here; Sp90TmaCfg: not)
  static constexpr bool TMA = false;      // loaded by cp.async copies of every thread (Sp90TmaCfg: by TMA)
  static constexpr int WM = BM / 32;      // 32-row metadata blocks (Variant P) per block tile
  static constexpr int A_WG_BYTES = 64 * 128;            // one warpgroup's 64-row A sub-tile (8 KB)
  static constexpr int A_STAGE_BYTES = BM * 128;         // swizzled K-major compressed W: BM rows of 128 B
  static constexpr int X_SUB_BYTES = BN * 128;           // one swizzled K-major X sub-tile: BN rows of 64 k (16 KB)
  static constexpr int B_STAGE_BYTES = 2 * X_SUB_BYTES;  // k 0-63 and 64-127 of the stage
  static constexpr int E_STAGE = WM * KSTEPS * 32;       // metadata words
  static constexpr int E_STAGE_BYTES = E_STAGE * 4;
  // Byte offsets inside the 1024-aligned dynamic shared memory: the swizzled tiles first (1024-byte alignment), the
  // decoupled pipeline's mbarriers (full[STAGES], then empty[STAGES], 8 bytes each) last.
  static constexpr int B_OFF = 0;
  static constexpr int A_OFF = B_OFF + STAGES * B_STAGE_BYTES;
  static constexpr int E_OFF = A_OFF + STAGES * A_STAGE_BYTES;
  static constexpr int BAR_OFF = E_OFF + STAGES * E_STAGE_BYTES;
  static constexpr int PIPE_BYTES = BAR_OFF + (DECOUPLED ? 2 * STAGES * 8 : 0);
  static constexpr int SMEM_BYTES = PIPE_BYTES + 1024;  // + slack to align the base to 1024 B
  static constexpr int A_COPIES = BM * 8;          // 16-byte copies per stage: 8 per 128-byte W row
  static constexpr int B_COPIES = BN * 16;         // 16 per token (256 bytes of X)
  static constexpr int E_COPIES = WM * KSTEPS * 8; // 128 B of metadata per 32-row block per k32 step
  static_assert(KSTEPS * 16 * 2 == 128, "a stage's compressed W row is one 128-byte swizzle row");
  static_assert(B_OFF % 1024 == 0 && X_SUB_BYTES % 1024 == 0 && B_STAGE_BYTES % 1024 == 0,
                "every X sub-tile 1024-byte aligned (128-byte swizzle atoms)");
  static_assert(A_OFF % 1024 == 0 && A_STAGE_BYTES % 1024 == 0 && A_WG_BYTES % 1024 == 0,
                "every A tile and warpgroup sub-tile 1024-byte aligned (128-byte swizzle atoms)");
  static_assert(E_OFF % 16 == 0 && E_STAGE_BYTES % 16 == 0, "metadata ring 16-byte aligned (cp.async)");
  static_assert(BAR_OFF % 8 == 0, "mbarriers 8-byte aligned");
  static_assert(PREFETCH >= 1, "at least one stage loaded ahead");
  static_assert(SMEM_BYTES <= 227 * 1024, "one block per SM must fit the 227 KB opt-in shared memory");
  static_assert(BM % 64 == 0 && BN == 128, "warpgroups of 64 rows, one m64n128k32 per k32 step");
};
// The lockstep pipeline: sk_sparse24_gemm's choice on sm_90 for grids above half an SM wave (verified on an H200).
using Sp90SmemCfg = Sp90SmemCfgT<2>;
// The decoupled pipeline (written 2026-11-27 without a GPU; not yet run).
using Sp90SmemDecoupledCfg = Sp90SmemCfgT<2, true>;
// 256 W rows per block, lockstep: the experimental mode's choice where its grid fills the SMs (not yet run).
using Sp90SmemWideCfg = Sp90SmemCfgT<4, false, 3>;
// 256 W rows per block, decoupled (not yet run).
using Sp90SmemWideDecoupledCfg = Sp90SmemCfgT<4, true, 3>;

// Decoupled pipeline bookkeeping (mbarrier phases; host-callable for the emulation test). The refill issued while
// consuming stage kt loads stage n = kt + PREFETCH into slot n % STAGES; when n >= STAGES it must first wait for that
// slot's empty barrier to complete the phase of stage n - STAGES. A wait for "the phase of stage u" of a slot's
// barrier is mbarrier.try_wait.parity with parity (u / STAGES) & 1: stage u is the (u / STAGES)-th use of its slot,
// and the protocol keeps every waiter within one phase of the barrier (a slot's next use needs this thread's own
// progress), so the parity names the phase unambiguously.
template <class C>
SK_HD int sp90d_parity(int u) { return (u / C::STAGES) & 1; }
// The stage whose empty phase the refill at consumed stage kt waits for, or -1 when the slot is still unused.
template <class C>
SK_HD int sp90d_refill_waits_for(int kt) { return kt + C::PREFETCH - C::STAGES; }

// W values copy c (0 <= c < A_COPIES) of the stage starting at k32 step s0: W row m0 + c/8, 16-byte chunk ch = c%8
// = compressed halves 16*s0 + 8*ch (k32 step s0 + ch/2) of gpu_values [Mp, Kp/2], to the swizzled byte offset in
// the stage's A tile. Rows >= Mp and k32 steps >= KS are zero-filled (sp_copy_a's source and predicates).
template <class C>
SK_HD CopyPlan sp90s_copy_a(int c, int m0, int s0, int Mp, int KS) {
  const int r = c >> 3, ch = c & 7;
  CopyPlan p;
  p.dst = (int)sp90_swizzle128((uint32_t)r, (uint32_t)ch);
  p.ok = (m0 + r) < Mp && (s0 + (ch >> 1)) < KS;
  p.src = p.ok ? (int64_t)(m0 + r) * (KS * 16) + (int64_t)s0 * 16 + ch * 8 : 0;
  return p;
}

// X copy c (0 <= c < B_COPIES): token n0 + c/16, k = 32*s0 + 8*(c%16) (16 consecutive copies cover one token's
// 256 bytes: coalesced), to sub-tile (c%16)/8 at the swizzled offset of chunk c%8. Tokens past the end and k >= in
// are zero-filled (in % 8 == 0: a chunk is wholly inside or outside).
template <class C>
SK_HD CopyPlan sp90s_copy_b(int c, int n0, int s0, int tokens, int in) {
  const int r = c >> 4, kc = c & 15;
  const int k = s0 * 32 + kc * 8;
  CopyPlan p;
  p.dst = (kc >> 3) * C::X_SUB_BYTES + (int)sp90_swizzle128((uint32_t)r, (uint32_t)(kc & 7));
  p.ok = (n0 + r) < tokens && k < in;
  p.src = p.ok ? (int64_t)(n0 + r) * in + k : 0;
  return p;
}

// Descriptor start addresses (bytes from the stage's tile) of k32 step j (0..KSTEPS-1): A = warpgroup wg's 64-row
// sub-tile, 32 bytes (16 compressed halves) per k32 step; B = X sub-tile j/2, 64 bytes in for odd j. The hardware
// applies the swizzle to the final address, as for the dense kernel's 32-byte k16 steps.
template <class C>
SK_HD uint32_t sp90s_a_start(int wg, int j) { return (uint32_t)(wg * C::A_WG_BYTES + j * 32); }
template <class C>
SK_HD uint32_t sp90s_b_start(int j) { return (uint32_t)((j >> 1) * C::X_SUB_BYTES + (j & 1) * 64); }

// ------------------------- 2:4 on Hopper, A from shared memory, loaded by TMA from a producer warp (experimental) ---
//
// sparse24_gemm_sm90_smem_a.cu's TMA kernel (written 2026-11-27 without a GPU, not yet run): the decoupled
// pipeline's ring, tiles and MMAs (Sp90SmemCfgT<2, true, 4>: 128 W rows x 128 tokens, 4 stages), but the stages are
// loaded by the tensor-memory accelerator instead of 16-byte cp.async copies of every thread. Why: the Nsight profile
// of the verified kernel (session 9) found it neither compute- nor memory-bound but waiting, and its two
// warpgroups spend issue slots on about 12 copies and their address arithmetic per stage; a producer warp that only
// issues three tensor copies and a few bulk copies per stage leaves the consumers nothing but the MMAs, and it runs
// as far ahead as the ring allows (CUTLASS's sm90 warp-specialised mainloops, sparse ones included, load this way).
//   - X: a 2-D tensor map over [tokens, in] (box 64 k x 128 tokens, 128-byte swizzle): one box per X sub-tile, so a
//     stage's two sub-tiles land exactly where sp90s_copy_b puts them (TMA's 128-byte swizzle is sp90_swizzle128
//     over 1024-byte-aligned boxes); tokens past the end and k >= in read as zeros (out of bounds).
//   - W values: a 2-D tensor map over gpu_values [Mp, KS*16] (box 64 compressed halves x BM rows): one box per
//     stage, sp90s_copy_a's layout; rows >= Mp and columns past KS*16 read as zeros.
//   - metadata: per 32-row block of the stage, its k32 steps' words are contiguous in gpu_meta (sp_copy_e's
//     source): one bulk copy each, of the steps that exist (k32 steps past KS are never copied, blocks past Mp not
//     at all: the consumers substitute kSp90PadMeta there, as in the other pipelines).
//   - Warps 0-7 (two warpgroups) consume as in the decoupled pipeline; warp 8 is the producer, one lane issuing.
//     Per slot: full (1 arrival, the producer's arrive.expect_tx of the stage's bytes; the copies complete the
//     transaction) and empty (CONSUMER_THREADS arrivals, each consumer thread after its wgmma wait of the stage).
//     The producer refilling slot s with stage kt >= STAGES first waits for empty[s]'s phase of stage kt - STAGES.
template <int WG_, int STAGES_>
struct Sp90TmaCfgT : Sp90SmemCfgT<WG_, true, STAGES_> {
  using Base = Sp90SmemCfgT<WG_, true, STAGES_>;
  static constexpr bool TMA = true;
  static constexpr int CONSUMER_THREADS = 128 * WG_;
  static constexpr int PRODUCER_WARP = CONSUMER_THREADS / 32;  // the warp after the consumer warpgroups
  static constexpr int THREADS = CONSUMER_THREADS + 32;
  static constexpr int BOX_K = 64;  // halves per box row: 128 bytes, the swizzle span
  static_assert(BOX_K * 2 == 128 && Base::X_SUB_BYTES == Base::BN * BOX_K * 2 &&
                    Base::A_STAGE_BYTES == Base::BM * BOX_K * 2,
                "one TMA box per X sub-tile and per A tile, rows of one 128-byte swizzle span");
  static_assert(Base::BM <= 256 && Base::BN <= 256, "TMA boxes have at most 256 rows");
};
// 128 W rows, 4 stages: the decoupled pipeline's shape.
using Sp90TmaCfg = Sp90TmaCfgT<2, 4>;
// 256 W rows (four consumer warpgroups), 3 stages: the wide blocks' third fewer operand bytes per MMA, loaded by TMA.
// 544 threads cap registers at 120; the TMA consumers need 96 (no copy arithmetic), so no setmaxnreg is needed.
using Sp90TmaWideCfg = Sp90TmaCfgT<4, 3>;

// A 2:4 Hopper block's view of the problem: padded rows, k32 steps, stages, and its tile's first W row and token.
struct Sp90Tile {
  int Mp, KS, KT, m0, n0;
};
template <class C>
SK_HD Sp90Tile sp90_tile(int in, int out, int bx, int by) {
  Sp90Tile t;
  t.Mp = sp_padded_rows(out);
  t.KS = sp_padded_cols(in) / 32;
  t.KT = (t.KS + C::KSTEPS - 1) / C::KSTEPS;
  t.m0 = bx * C::BM;
  t.n0 = by * C::BN;
  return t;
}

// The 2-D tensor a TMA map describes and the box it copies, in elements (16-bit): dim0 is the contiguous one.
struct TmaMap2d {
  int64_t dim0, dim1, stride1_bytes;
  int box0, box1;
};
template <class C>
SK_HD TmaMap2d sp90t_x_map(int tokens, int in) { return {in, tokens, (int64_t)in * 2, C::BOX_K, C::BN}; }
template <class C>
SK_HD TmaMap2d sp90t_w_map(int Mp, int KS) { return {(int64_t)KS * 16, Mp, (int64_t)KS * 32, C::BOX_K, C::BM}; }
// Box coordinates {dim0, dim1} of stage kt: X sub-tile h at {k, first token}, W at {compressed column, first row}.
template <class C>
SK_HD int sp90t_x_k(int kt, int h) { return kt * C::KSTEPS * 32 + h * C::BOX_K; }
template <class C>
SK_HD int sp90t_w_k(int kt) { return kt * C::KSTEPS * 16; }
// Metadata bulk copy of 32-row block p (0..WM-1) of stage kt: bytes (0: none), source word in gpu_meta, destination
// byte offset in the stage's metadata slot (sp_copy_e's layout: block p's KSTEPS x 32 words).
template <class C>
SK_HD int sp90t_meta_bytes(int p, int m0, int kt, int Mp, int KS) {
  const int P = m0 / 32 + p, s0 = kt * C::KSTEPS;
  if (P >= Mp / 32 || s0 >= KS) return 0;
  return (KS - s0 < C::KSTEPS ? KS - s0 : C::KSTEPS) * 128;
}
template <class C>
SK_HD int64_t sp90t_meta_src(int p, int m0, int kt, int KS) {
  return ((int64_t)(m0 / 32 + p) * KS + (int64_t)kt * C::KSTEPS) * 32;
}
template <class C>
SK_HD int sp90t_meta_dst(int p) { return p * C::KSTEPS * 128; }
// Bytes the stage's copies deliver: the full boxes (TMA counts out-of-bounds zeros too) and the metadata copies.
template <class C>
SK_HD int sp90t_stage_bytes(int m0, int kt, int Mp, int KS) {
  int bytes = C::B_STAGE_BYTES + C::A_STAGE_BYTES;
  for (int p = 0; p < C::WM; ++p) bytes += sp90t_meta_bytes<C>(p, m0, kt, Mp, KS);
  return bytes;
}
// The persistent TMA kernel's block `item`: the plain grid's (bx, by) in launch order (bx fastest, gx blocks per row).
SK_HD int sp90t_item_x(int item, int gx) { return item % gx; }
SK_HD int sp90t_item_y(int item, int gx) { return item / gx; }

// ----------------- 2:4 on Hopper, 16-bit outputs staged through shared memory (experimental, session 25) ----------
//
// Why: the kernels store each accumulator on its own (store_tile): for f16 / bf16 outputs an instruction writes
// 16-byte halves of four 32-byte sectors, 64 instructions a thread. Measured on an H200 (session 16), the f16 / bf16
// outputs cost 4% more than f32 ones of twice the bytes (4096^3: 0.162 against 0.155 ms; 4096 x 4096 x 11008: 0.513
// against 0.494 f16 and 0.456 against 0.438 bf16), and left the f16 11008 case at 0.96x PyTorch's semi-structured
// matmul. Staged: after the last stage (and a barrier of the consumer warps, since the ring is reused), each warp
// writes its 16-row x 128-token tile, converted, into 4 KB of the ring as 128 token rows of 32 bytes (the Y layout),
// then each lane copies 16-byte chunks to Y: 8 instructions a thread, each writing whole sectors of 16 token rows.
//   Row r's two 16-byte units (m 0-7, m 8-15) swap places for r with bit 2 set: a fragment store (lanes t = 0..3 on
//   rows 2t apart, 8 m each) then hits 16 distinct banks, two lanes a word, and eight consecutive chunks (a read
//   phase of 16-byte loads) 8 distinct bank groups.
constexpr int kSp90eWarpBytes = 128 * 32;  // one warp's staged tile
// Byte offset of (token row r, row m of the warp's 16) in the warp's staged tile.
SK_HD int sp90e_offset(int r, int m) { return r * 32 + (((m >> 3) ^ ((r >> 2) & 1)) << 4) + (m & 7) * 2; }
// Chunk c (0..7) a lane copies out: token row, unit (m 8h .. 8h + 7) and its byte offset in the staged tile.
SK_HD int sp90e_chunk_row(int lane, int c) { return (lane + 32 * c) >> 1; }
SK_HD int sp90e_chunk_half(int lane, int c) { return (lane + 32 * c) & 1; }
SK_HD int sp90e_chunk_offset(int r, int h) { return r * 32 + ((h ^ ((r >> 2) & 1)) << 4); }

// ------------------- 2:4 on Hopper, the 256-row TMA pipeline on clusters sharing X and W (experimental, session 25) -
//
// Why: per stage a 256-row block reads 32 KB of compressed W, 32 KB of X and 4 KB of metadata for 4.2 M
// dense-equivalent MACs, about 1,024 clocks of the SM's sparse tensor cores at their peak (4,096 dense-equivalent
// MACs a clock). That is 66 bytes a clock per SM from L2, about 12 TB/s over 132 SMs, twice what L2 delivers (the
// session-12 kernel moves ~5.4 TB/s at its 880 dense-equivalent TFLOP/s, 45% of the sparse peak). Dense cuBLAS needs
// about a third of that per SM (half the MACs a clock, 128 x 256 tiles, operands shared in 2-CTA clusters). So the
// sparse kernel must read fewer bytes per MAC, and the tile is as large as registers allow (64 accumulators a
// thread). CTAs of a thread-block cluster can share them instead: the tensor-memory accelerator's multicast reads a
// box once from L2 and writes it into several CTAs' shared memory (same offset), completing each one's barrier.
// CUTLASS's sm90 sparse mainloops multicast this way.
//   - Cluster CM x CN (x = W-row blocks, y = token blocks; rank = rx + CM * ry). CTAs with the same token block
//     (an x-row of the cluster) need the same X tiles: with CM = 2, rank rx loads X sub-tile rx of each stage and
//     multicasts it along its x-row. CTAs with the same W-row block (a y-column) need the same W and metadata: with
//     CN = 2, rank ry loads W rows [128 ry, 128 ry + 128) of the block and metadata blocks [4 ry, 4 ry + 4) and
//     multicasts them along its y-column.
//   - L2 bytes per stage per CTA: 2x1 (X shared) 16 + 32 + 4 = 52 KB, 1x2 (W shared) 32 + 16 + 2 = 50 KB, 2x2
//     34 KB, against 68 for the plain grid. Clusters of 4 may leave SMs idle where a GPC's SM count is not a
//     multiple of 4; the same-run timings decide between them.
//   - Grid: the wide kernel's with gx rounded up to a multiple of CM and gy to a multiple of CN. A padding CTA (its
//     W rows past Mp, or its tokens past the end) runs no MMAs and stores nothing, but loads and multicasts its share
//     of every stage like any other CTA: every CTA writes into every CTA of its x-row and y-column every stage, so
//     "my consumers arrive on your empty barrier" always implies "your copies land in my shared memory", and no
//     consumer can run a ring ahead of a producer whose barrier it counts for. (Skipping the padding CTAs' loads broke
//     that: in the last 2x2 cluster of a grid odd both ways, the three CTAs that then received nothing ran ahead,
//     and their early arrivals completed a peer's empty phase before rank 0 had released the slot. Found by an audit
//     in session 25; the emulation's lagging-CTA schedules now catch it.) A box that would lie wholly outside its
//     tensor (tokens or W rows past the end) is taken from the tensor's start instead: its contents are never used
//     (the x-row peers of a token-padding CTA are token padding too, and a W half past Mp only feeds warpgroups that
//     run no MMAs), and no copy leaves the tensor.
//   - full[s]: 1 arrival, the CTA's own producer's arrive.expect_tx of all the bytes landing in ITS shared memory;
//     a peer's multicast may complete bytes before that arrival (a transiently negative tx-count is legal; the phase
//     cannot complete before the arrival).
//   - empty[s]: each consumer warp, once its stage's MMAs are done, arrives on the empty barrier of every CTA of its
//     x-row and y-column (itself included), because their producers' next copies into slot s land in its shared
//     memory: (CM + CN - 1) x 16 warps arrivals a phase (CUTLASS's count too). The diagonal CTA of a 2x2 cluster
//     writes nothing into it, so it is not waited for.
//   - A cluster barrier after the barrier init (a peer's copy may not reach uninitialised barriers) and one at the
//     end (a CTA may not exit while its peers' consumers may still arrive on its empty barriers).
template <int WG_, int STAGES_, int CM_, int CN_>
struct Sp90TmaClusterCfgT : Sp90TmaCfgT<WG_, STAGES_> {
  using Base = Sp90TmaCfgT<WG_, STAGES_>;
  static constexpr int CM = CM_;  // cluster extent along the W-row blocks: CTAs sharing X
  static constexpr int CN = CN_;  // cluster extent along the token blocks: CTAs sharing W and metadata
  static constexpr int CLUSTER = CM * CN;
  static constexpr int CONSUMER_WARPS = Base::CONSUMER_THREADS / 32;
  static constexpr int EMPTY_ARRIVALS = (CM + CN - 1) * CONSUMER_WARPS;  // per phase of a slot's empty barrier
  static constexpr int W_BOX_ROWS = Base::BM / CN;                 // rows of the W box one CTA loads
  static constexpr int META_BLOCKS = Base::WM / CN;                // 32-row metadata blocks one CTA loads
  static_assert((CM == 1 || CM == 2) && (CN == 1 || CN == 2) && CLUSTER > 1, "clusters 2x1, 1x2 or 2x2");
  static_assert(Base::B_STAGE_BYTES == 2 * Base::X_SUB_BYTES, "a stage's X is two sub-tiles: one per x-rank");
  static_assert((W_BOX_ROWS * 128) % 1024 == 0, "each W half starts on a swizzle atom");
};
using Sp90TmaClusterXCfg = Sp90TmaClusterCfgT<4, 3, 2, 1>;   // 2x1: pairs share X
using Sp90TmaClusterWCfg = Sp90TmaClusterCfgT<4, 3, 1, 2>;   // 1x2: pairs share W and metadata
using Sp90TmaClusterXWCfg = Sp90TmaClusterCfgT<4, 3, 2, 2>;  // 2x2: both

// The cluster launch's grid: the plain one's rounded up to whole clusters.
template <class C>
SK_HD void sp90c_grid(int tokens, int out, int64_t& gx, int64_t& gy) {
  sp90_grid<C>(tokens, out, gx, gy);
  gx = (gx + C::CM - 1) / C::CM * C::CM;
  gy = (gy + C::CN - 1) / C::CN * C::CN;
}
// A CTA's position in its cluster: x-rank (which X sub-tile it multicasts) and y-rank (which W half).
template <class C>
SK_HD int sp90c_rx(int rank) { return rank % C::CM; }
template <class C>
SK_HD int sp90c_ry(int rank) { return rank / C::CM; }
// Multicast masks: the CTAs of rank's x-row (same token block: they share X) and of its y-column (same W rows).
template <class C>
SK_HD uint16_t sp90c_row_mask(int rank) {
  return (uint16_t)(((1u << C::CM) - 1u) << (C::CM * sp90c_ry<C>(rank)));
}
template <class C>
SK_HD uint16_t sp90c_col_mask(int rank) {
  uint32_t m = 0;
  for (int j = 0; j < C::CN; ++j) m |= 1u << (sp90c_rx<C>(rank) + C::CM * j);
  return (uint16_t)m;
}
// The CTAs whose producers write into rank's shared memory, and whose producers wait for rank's consumers: its x-row
// and its y-column (the relation is symmetric).
template <class C>
SK_HD uint16_t sp90c_peer_mask(int rank) { return (uint16_t)(sp90c_row_mask<C>(rank) | sp90c_col_mask<C>(rank)); }
// Warpgroup wg (rows m0 + 64 wg ..) runs its MMAs when those rows start before Mp and the block has tokens; a
// padding CTA's warpgroups run none.
SK_HD bool sp90c_has_tokens(int n0, int tokens) { return n0 < tokens; }
SK_HD bool sp90c_wg_runs(int m0, int n0, int wg, int Mp, int tokens) {
  return m0 + 64 * wg < Mp && sp90c_has_tokens(n0, tokens);
}
// Box coordinates of the loads every CTA issues (see the grid note above): X rows from n0, W half h's rows from
// m0 + W_BOX_ROWS h, or from the tensor's first row where those lie wholly past its end (contents unused).
SK_HD int sp90c_x_row(int n0, int tokens) { return sp90c_has_tokens(n0, tokens) ? n0 : 0; }
template <class C>
SK_HD int sp90c_w_row(int m0, int h, int Mp) { return m0 + h * C::W_BOX_ROWS < Mp ? m0 + h * C::W_BOX_ROWS : 0; }
// Bytes landing in one CTA's shared memory per stage, whichever CTA of the cluster loads them: both X sub-tiles and
// both W halves always (TMA counts a box's out-of-bounds zeros), and every metadata block of the stage (none past Mp,
// sp90t_meta_bytes: the W-row padding's metadata is never read, its warpgroups run no MMAs).
template <class C>
SK_HD int sp90c_stage_bytes(int m0, int kt, int Mp, int KS) {
  int bytes = C::B_STAGE_BYTES + C::A_STAGE_BYTES;
  for (int p = 0; p < C::WM; ++p) bytes += sp90t_meta_bytes<C>(p, m0, kt, Mp, KS);
  return bytes;
}
// The W tensor map of the cluster kernels: sp90t_w_map's with boxes of W_BOX_ROWS rows.
template <class C>
SK_HD TmaMap2d sp90c_w_map(int Mp, int KS) {
  return {(int64_t)KS * 16, Mp, (int64_t)KS * 32, C::BOX_K, C::W_BOX_ROWS};
}

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

// ============================================ block-sparse (BSR) GEMM ===========================================
//
// A block tile of Y^T = W . X^T covers one block row R of W (BR = block_rows output features) times BN tokens;
// it iterates only the stored blocks b0..b1-1 of a work item (a whole block row, or one chunk of a long one).
// The K axis of an item is the concatenation of its blocks' columns: position p (0 <= p < len * BC) is column
// p % BC of block b0 + p / BC, i.e. X column col_idx[b0 + p / BC] * BC + p % BC. A pipeline stage holds SK = 32
// consecutive positions: two 16-wide blocks, one 32-wide block, or half of a 64-wide one, so the MMA loop never
// sees block_cols (a runtime value: only the copy addresses use it) and a 64x64 block costs two stages.
//   W stage [BR][SK (+8 pad)] halves: row i = block row i of the stage's block(s), side by side;
//   X stage [BN][SK (+8 pad)] halves: token row r, the gathered columns in the same order.
// A = W stage (row-major m x k, ldmatrix x4), B = X stage ("N x K, K contiguous", ldmatrix x4), dense mma.sync
// m16n8k16 exactly as in the dense kernel; 80-byte pitch: conflict-free ldmatrix phases, 16-byte aligned rows.

template <int BR_, int BN_>
struct BsrCfg {
  static constexpr int BR = BR_, BN = BN_;
  static constexpr int SK = 32, STAGES = 4;
  static constexpr int WM = BR >= 32 ? BR / 32 : 1;        // warps along m
  static constexpr int MI = (BR >= 32 ? 32 : 16) / 16;     // m16 tiles per warp
  static constexpr int WN = BN >= 128 ? 4 / WM : 2;        // warps along n
  static constexpr int NT = BN / (8 * WN);                 // n8 tiles per warp
  static constexpr int THREADS = 32 * WM * WN;
  static constexpr int PITCH = SK + 8;                     // halves per smem row (80 B)
  static constexpr int CH = SK / 8;                        // 16-byte chunks per row per stage
  static constexpr int A_STAGE = BR * PITCH, B_STAGE = BN * PITCH;  // halves
  static constexpr int A_COPIES = BR * CH, B_COPIES = BN * CH;
  static constexpr int A_OFF = 0, B_OFF = STAGES * A_STAGE * 2;     // bytes
  static constexpr int SMEM_BYTES = STAGES * (A_STAGE + B_STAGE) * 2;
  static_assert(WM * MI * 16 == BR, "warps cover the block row");
  static_assert(WN * NT * 8 == BN && NT % 2 == 0, "warps cover the token tile in n8 pairs");
  static_assert(THREADS % CH == 0, "each thread's copies share one chunk column (one block per stage)");
  static_assert(B_COPIES % THREADS == 0, "X copies spread evenly (W copies of BR 16 leave threads idle)");
  static_assert((PITCH * 2) % 16 == 0 && B_OFF % 16 == 0, "16-byte aligned rows and rings");
};

// Token tile: 32 tokens up to 32 tokens (decode-like calls: less MMA work wasted on zero rows), else 128.
SK_HD int bsr_bn_for_tokens(int64_t tokens) { return tokens <= 32 ? 32 : 128; }
SK_HD int64_t bsr_token_tiles(int64_t tokens) {
  const int bn = bsr_bn_for_tokens(tokens);
  return (tokens + bn - 1) / bn;
}
constexpr int64_t kBsrMaxTokens = kMaxGridY * 128;

// log2 of a block size (16, 32 or 64); -1 otherwise.
SK_HD int bsr_log2_block(int64_t b) { return b == 16 ? 4 : b == 32 ? 5 : b == 64 ? 6 : -1; }

// ---- the schedule (sk_bsr_plan) ----
// Balance: a block row longer than C blocks is cut into ceil(len / C) chunks of near-equal length, each its own
// work item writing f32 partial sums into the workspace; a second pass adds a row's chunks in chunk order (fixed
// order: deterministic) plus bias. C = max(kBsrMinChunk, ceil(blocks * token_tiles / kBsrTargetCtas)): the work
// one CTA slot gets when all blocks of all token tiles are spread over kBsrTargetCtas concurrent CTAs (about two
// per SM on an H100 / A100), so rows are only cut when they would otherwise be the critical path. Big token
// counts have many token tiles, a large C and usually no cut at all (no partial-sum traffic).
constexpr int kBsrMinChunk = 4;
constexpr int64_t kBsrTargetCtas = 264;
SK_HD int64_t bsr_chunk_blocks(int64_t blocks, int64_t tokens) {
  const int64_t w = (blocks * bsr_token_tiles(tokens) + kBsrTargetCtas - 1) / kBsrTargetCtas;
  return w > kBsrMinChunk ? w : kBsrMinChunk;
}

// Workspace (device copy of the host plan), int32 words:
//   [0, 16) header; items at word H_ITEMS_OFF: num_items x {row, b0, b1, slot} (slot -1: writes Y directly, else
//   the partial-sum slot), longest first; splits at H_SPLITS_OFF: num_splits x {row, first slot, chunks, 0};
//   partial sums at word H_PART_OFF (16-byte aligned): f32 [slots][tokens of the call][BR], slot-major.
enum BsrHeader {
  H_MAGIC = 0, H_BR, H_BC, H_NBR, H_BLOCKS, H_ITEMS, H_SPLITS, H_CHUNK, H_TOKENS, H_ITEMS_OFF, H_SPLITS_OFF,
  H_PART_OFF, H_SLOTS, H_WORDS = 16
};
constexpr int32_t kBsrMagic = 0x31525342;  // "BSR1"

struct BsrItem {
  int row, b0, b1, slot;
};

// The header fits this call: same structure sizes, tokens within the planned capacity, offsets sane. When it
// does not (NULL, stale or foreign workspace) the kernels ignore it and run one item per block row (correct,
// unbalanced) and the reduction pass does nothing.
SK_HD bool bsr_ws_valid(const int32_t* h, int br, int bc, int nbr, int blocks, int tokens) {
  if (h == nullptr) return false;
  if (h[H_MAGIC] != kBsrMagic || h[H_BR] != br || h[H_BC] != bc || h[H_NBR] != nbr || h[H_BLOCKS] != blocks)
    return false;
  if (tokens > h[H_TOKENS] || h[H_ITEMS] < 0 || h[H_SPLITS] < 0 || h[H_SLOTS] < 0) return false;
  return h[H_ITEMS_OFF] == H_WORDS && h[H_SPLITS_OFF] == H_WORDS + 4 * h[H_ITEMS] &&
         h[H_PART_OFF] == h[H_SPLITS_OFF] + 4 * h[H_SPLITS];
}

// Item of block row r without a schedule; the row pointers are clamped so a corrupt structure cannot make the
// kernel read outside values / col_idx (sk_bsr_check is the real validation, on the host).
SK_HD BsrItem bsr_row_item(int r, int rp0, int rp1, int blocks, int nbc) {
  BsrItem it;
  it.row = r;
  it.b0 = rp0 < 0 ? 0 : rp0 > blocks ? blocks : rp0;
  it.b1 = rp1 < it.b0 ? it.b0 : rp1 > blocks ? blocks : rp1;
  if (it.b1 - it.b0 > nbc) it.b1 = it.b0 + nbc;
  it.slot = -1;
  return it;
}
// Item from the schedule, clamped the same way (row outside [0, nbr) -> an empty item that stores nothing).
SK_HD BsrItem bsr_sched_item(int row, int b0, int b1, int slot, int nbr, int blocks, int nbc, int slots) {
  BsrItem it = bsr_row_item(row, b0, b1, blocks, nbc);
  it.slot = slot < slots ? slot : slots - 1;
  if (row < 0 || row >= nbr) {
    it.row = -1;
    it.b1 = it.b0;
  }
  return it;
}

// Pipeline stages of an item of len blocks.
template <class C>
SK_HD int bsr_num_stages(int len, int bc_shift) { return (int)(((int64_t)len << bc_shift) + C::SK - 1) / C::SK; }

// Block (relative to b0) that chunk column ch (0..CH-1) of stage s reads, and the column inside that block.
template <class C>
SK_HD int bsr_stage_block(int s, int ch, int bc_shift) { return (s * C::SK + ch * 8) >> bc_shift; }
template <class C>
SK_HD int bsr_stage_kin(int s, int ch, int bc_shift) { return (s * C::SK + ch * 8) & ((1 << bc_shift) - 1); }

// The chunk column of copy c; every copy a thread issues has c % CH == tid % CH (THREADS % CH == 0), so a
// thread needs one col_idx entry per stage, which the kernel prefetches a stage ahead.
template <class C>
SK_HD int bsr_copy_ch(int c) { return c % C::CH; }

SK_HD int bsr_clamp_col(int col, int nbc) { return col < 0 ? 0 : col >= nbc ? nbc - 1 : col; }

// W copy c (0 <= c < A_COPIES) of stage s: block row i = c / CH of block b0 + j, columns kin..kin+7.
template <class C>
SK_HD CopyPlan bsr_copy_w(int c, int s, const BsrItem& it, int bc_shift) {
  const int r = c / C::CH, ch = c % C::CH;
  const int b = it.b0 + bsr_stage_block<C>(s, ch, bc_shift);
  CopyPlan p;
  p.dst = r * C::PITCH + ch * 8;
  p.ok = b < it.b1;
  p.src = p.ok ? ((int64_t)b * C::BR + r) * ((int64_t)1 << bc_shift) + bsr_stage_kin<C>(s, ch, bc_shift) : 0;
  return p;
}

// X copy c (0 <= c < B_COPIES) of stage s: token n0 + c / CH, X column col * BC + kin (col = col_idx of the
// copy's block, as prefetched). Missing blocks and tokens past the end are zero-filled.
template <class C>
SK_HD CopyPlan bsr_copy_x(int c, int s, const BsrItem& it, int col, int n0, int tokens, int in, int bc_shift) {
  const int r = c / C::CH, ch = c % C::CH;
  const int b = it.b0 + bsr_stage_block<C>(s, ch, bc_shift);
  CopyPlan p;
  p.dst = r * C::PITCH + ch * 8;
  p.ok = b < it.b1 && n0 + r < tokens;
  p.src = p.ok ? (int64_t)(n0 + r) * in + ((int64_t)col << bc_shift) + bsr_stage_kin<C>(s, ch, bc_shift) : 0;
  return p;
}

// Warp roles: warp = wm + WM * wn.
template <class C>
SK_HD void bsr_warp_roles(int warp, int& wm, int& wn) {
  wm = warp % C::WM;
  wn = warp / C::WM;
}

// ldmatrix.x4 row addresses (halves into a stage), as dn_ldsm_a / dn_ldsm_b with this config's warp tiles.
template <class C>
SK_HD int bsr_ldsm_a(int wm, int i, int kk, int lane) {
  return (wm * C::MI * 16 + i * 16 + (lane & 15)) * C::PITCH + kk * 16 + (lane >> 4) * 8;
}
template <class C>
SK_HD int bsr_ldsm_b(int wn, int np, int kk, int lane) {
  return (wn * C::NT * 8 + np * 16 + (lane & 7) + ((lane >> 4) << 3)) * C::PITCH + kk * 16 + ((lane >> 3) & 1) * 8;
}

// Top-left of accumulator tile acc[i][nt]: m relative to the block row (add row * BR for Y), n absolute.
template <class C>
SK_HD int bsr_tile_mloc(int wm, int i) { return wm * C::MI * 16 + i * 16; }
template <class C>
SK_HD int bsr_tile_n(int n0, int wn, int nt) { return n0 + (wn * C::NT + nt) * 8; }

// Partial sum of (slot, token n, row-in-block mloc), in floats from the partials base.
SK_HD int64_t bsr_partial_index(int slot, int n, int mloc, int tokens, int br) {
  return ((int64_t)slot * tokens + n) * br + mloc;
}

// Reduction pass: block (blockIdx.x) walks splits, threads walk the tokens x BR elements of one split row.
constexpr int kBsrReduceThreads = 256;
SK_HD void bsr_reduce_grid(int64_t blocks, int64_t tokens, int br, int64_t& gx, int64_t& gy) {
  const int64_t c = bsr_chunk_blocks(blocks, tokens);
  gx = blocks / (c + 1);
  if (gx < 1) gx = 1;
  if (gx > 4096) gx = 4096;
  gy = (tokens * br + kBsrReduceThreads - 1) / kBsrReduceThreads;
  if (gy > 64) gy = 64;
}

// Main grid: x covers every block row (the fallback without a schedule) plus the chunks a schedule planned for
// this token count can add; CTAs loop over items x, x + gridDim.x, ..., so a plan made for another token count
// (more items) is still covered. y: token tiles.
SK_HD void bsr_grid(int64_t nbr, int64_t blocks, int64_t tokens, bool sched, int64_t& gx, int64_t& gy) {
  gx = nbr + (sched ? blocks / bsr_chunk_blocks(blocks, tokens) : 0);
  gy = bsr_token_tiles(tokens);
}


// ------------------------------ BSR on Hopper, persistent, loaded by TMA from a producer warp (experimental) ----------
//
// bsr_gemm_sm90.cu's TMA kernel (written 2026-11-27 without a GPU, not yet run): the verified kernel's tile (128
// tokens x one 64-row block row, two warpgroups of m64n64k16, one MMA group in flight) and swizzled stages, but
//   - persistent: a CTA runs work items blockIdx.x, + gridDim.x, ... (item w = block row w % block rows, token tile
//     w / block rows: the verified grid's launch order, so a token tile's X rows stay hot in L2), and the ring runs on
//     across items: the producer loads the next item's first tiles while the consumers multiply and store the
//     current one. Why: at density 0.1 a block row holds ~6 blocks, so the verified kernel spends much of each CTA
//     filling and draining its pipeline (its profile, session 9: SM 50%, memory 46%, waiting);
//   - loaded by TMA: per k-tile one X box (64 k x 128 tokens at {64 col, first token}, zeros past the last token) and
//     one W box (the stored block: values viewed as [blocks * 64 rows][64], box 64 x 64 at {0, 64 b}), both with the
//     128-byte swizzle, by lane 0 of a ninth warp after an arrive.expect_tx of the stage's bytes;
//   - per slot: full (1 arrival + the transaction) and empty (the 256 consumer threads, each after its wgmma wait has
//     retired the tile's MMAs: with one group in flight, tile g's slot is released while tile g + 1 is consumed, and
//     the last tile of an item after the item's final wait). Tile g of the CTA's sequence (over all its items) uses
//     slot g % STAGES for the (g / STAGES)-th time: parity (g / STAGES) & 1, as sp90d_parity.
// Block rows the persistent kernel ranks in its static shared-memory table (bsr_cost_rank; two int arrays).
constexpr int kBsrtOrderRows = 256;
template <int BM_, int STAGES_, int MIN_BLOCKS_>
struct BsrTmaCfgT {
  static constexpr int BLK = 64, BM = BM_, STAGES = STAGES_;
  static constexpr int CONSUMER_THREADS = 2 * BM;               // a warpgroup per 64 tokens
  static constexpr int PRODUCER_WARP = CONSUMER_THREADS / 32;
  static constexpr int THREADS = CONSUMER_THREADS + 32;
  static constexpr int MIN_BLOCKS = MIN_BLOCKS_;                // CTAs per SM
  static constexpr int A_BYTES = BM * BLK * 2;                  // X: BM token rows of 128 B
  static constexpr int B_BYTES = BLK * BLK * 2;                 // W: one block, 64 rows of 128 B
  static constexpr int STAGE_BYTES = A_BYTES + B_BYTES;
  static constexpr int BAR_OFF = STAGES * STAGE_BYTES;           // full[STAGES], then empty[STAGES]
  static constexpr int PIPE_BYTES = BAR_OFF + 2 * STAGES * 8;
  static constexpr int SMEM_BYTES = PIPE_BYTES + 1024;           // + slack to align the base to 1024 B
  static_assert(STAGE_BYTES % 1024 == 0 && A_BYTES % 1024 == 0, "every box 1024-byte aligned (128-byte swizzle)");
  static_assert(MIN_BLOCKS * (SMEM_BYTES + 1024 + 2 * kBsrtOrderRows * 4) <= 228 * 1024, "MIN_BLOCKS CTAs per SM");
  static_assert(BM % 64 == 0 && BM <= 256, "warpgroups of 64 tokens, TMA boxes of at most 256 rows");
};
// 128 tokens, 4 stages, two CTAs per SM (2 x 97 KB): verified on an H200 (2026-11-27), the default.
using BsrTmaCfg = BsrTmaCfgT<128, 4, 2>;
// 256 tokens (four consumer warpgroups), 5 stages of 40 KB, one CTA per SM (experimental, not yet run): each W block
// read once per 256 tokens instead of 128, a sixth less L2-to-SM traffic per FLOP at any density (X slices are
// 1/64 byte per FLOP whatever the tile; W blocks 1/(2 BM)).
using BsrTmaWideCfg = BsrTmaCfgT<256, 5, 1>;
template <class C>
SK_HD TmaMap2d bsrt_x_map(int tokens, int in) { return {in, tokens, (int64_t)in * 2, C::BLK, C::BM}; }
template <class C>
SK_HD TmaMap2d bsrt_w_map(int64_t blocks) { return {C::BLK, blocks * C::BLK, (int64_t)C::BLK * 2, C::BLK, C::BLK}; }
// Work items (block row, token tile) of the whole launch, and item w's block row and first token.
template <class C>
SK_HD int64_t bsrt_items(int tokens, int out) { return (int64_t)(out / C::BLK) * ((tokens + C::BM - 1) / C::BM); }
// The persistent kernel's balanced item order (session 16, not yet run on a GPU). Items were CTA c's c, c + grid, ...
// with item w = block row w % rows of token tile w / rows, so a CTA's cost was the sum of the stored blocks of the
// rows it happened to draw: at density 0.1 of 4096^3 (rows of 1 to 14 blocks, 264 CTAs) the slowest CTA had 17-35%
// more than the mean and the busiest SM 9-15% (a model of the launch). Now, within each token tile, block rows go
// in order of stored blocks (most first; ties by index: bsr_cost_rank), and CTA c takes its k-th item from round k of
// grid items in alternating directions (bsrt_serpentine), which pairs heavy rows with light ones: 3-7% / 2-5%.
// X locality stays as before (concurrent CTAs share a few token tiles). Rows are ranked only when out / 64 <=
// kBsrtOrderRows (the shared-memory table); larger matrices keep the plain order.
SK_HD int64_t bsrt_serpentine(int64_t k, int cta, int grid) { return k * grid + ((k & 1) ? grid - 1 - cta : cta); }
// Position of row r among n rows ordered by cost, most first, ties by index: order[bsr_cost_rank(cost, n, r)] = r.
SK_HD int bsr_cost_rank(const int* cost, int n, int r) {
  const int c = cost[r];
  int rank = 0;
  for (int q = 0; q < n; ++q) rank += (cost[q] > c || (cost[q] == c && q < r)) ? 1 : 0;
  return rank;
}
template <class C>
SK_HD int bsrt_row(int64_t w, int out) { return (int)(w % (out / C::BLK)); }
template <class C>
SK_HD int bsrt_m0(int64_t w, int out) { return (int)(w / (out / C::BLK)) * C::BM; }
// Box coordinates {dim0, dim1}: X columns of block column col at {64 col, first token}; stored block b at {0, 64 b}.
template <class C>
SK_HD int bsrt_x_k(int col) { return col * C::BLK; }
template <class C>
SK_HD int bsrt_w_row(int b) { return b * C::BLK; }
// Descriptor starts (bytes from the slot): warpgroup wg's 64 token rows of X, and the block; each k16 step 32 bytes on
// (the verified kernel's block_mma).
template <class C>
SK_HD uint32_t bsrt_a_start(int wg) { return (uint32_t)(wg * 64 * 128); }
template <class C>
SK_HD uint32_t bsrt_b_start() { return (uint32_t)C::A_BYTES; }

}  // namespace skcuda
