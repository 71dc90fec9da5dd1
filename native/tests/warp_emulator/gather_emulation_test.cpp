// Gather emulation test (target sk_gather_emulation_test; no GPU and no nvcc needed).
//
// Runs the PLANNED column gather of cuda/channel_gather.cu (the experimental mode's kernel, not yet run on a GPU) on
// the CPU: every block of its grid, every warp and lane, statement by statement in the kernel's order, with the tile
// plan, grid, clamp and staged offsets taken from cuda/channel_gather_index.cuh, the functions the kernel calls.
// Checked per case: every output element written exactly once and equal to src[r, clamp(idx[k])]; every vector
// read and write inside its row and aligned to its size; staged reads inside the staged span; and that the direct
// path runs where the case says it must (aligned runs, such as whole heads, with aligned rows), so a plan that
// silently falls back cannot pass as direct.
//
// Usage: sk_gather_emulation_test   (exit 0 = all passed)
#include <stdint.h>
#include <stdio.h>

#include <algorithm>
#include <random>
#include <string>
#include <vector>

#include "channel_gather_index.cuh"

using namespace skcuda;

namespace {

int failures = 0;
int checks = 0;

#define EXPECT(cond, ...)          \
  do {                             \
    if (!(cond)) {                 \
      if (failures < 20) {         \
        printf("  ");              \
        printf(__VA_ARGS__);       \
        printf("\n");              \
      }                            \
      ++failures;                  \
    }                              \
  } while (0)

// One emulated launch: element size ES, load vector VB bytes (16 where gather_cols picks uint4: every source row
// 16-byte aligned, else ES), out_vec_ok as launch_cols computes it, sms the SM count the grid is sized for.
// Returns the number of direct tiles (blocks that took the direct path), or -1 when a check failed.
template <int ES, int VB>
int64_t run(int64_t rows, int64_t cols, const std::vector<int64_t>& idx, bool out_vec_ok, int sms) {
  constexpr int TC = kGcTileOutBytes / ES, LE = VB / ES, SPAN_V = kGcSpanBytes / VB, PER_LANE = TC / 32;
  constexpr int U = kGcDirectRowsPerWarp;
  const int64_t count = (int64_t)idx.size();
  auto value = [&](int64_t r, int64_t c) { return (uint32_t)((r * 1000003 + c * 7919 + 17) & (ES == 2 ? 0xFFFF : 0x7FFFFFFF)); };
  std::vector<uint32_t> dst((size_t)(rows * count), 0xFFFFFFFFu);
  std::vector<int> writes((size_t)(rows * count), 0);
  const int before = failures;
  auto store = [&](int64_t r, int64_t k, uint32_t v) {
    EXPECT(r >= 0 && r < rows && k >= 0 && k < count, "store outside dst: row %lld col %lld", (long long)r,
           (long long)k);
    if (r < 0 || r >= rows || k < 0 || k >= count) return;
    dst[(size_t)(r * count + k)] = v;
    ++writes[(size_t)(r * count + k)];
  };
  // An element read from row r at column c: inside the row.
  auto load = [&](int64_t r, int64_t c) -> uint32_t {
    EXPECT(c >= 0 && c < cols, "read outside row %lld: column %lld of %lld", (long long)r, (long long)c,
           (long long)cols);
    return value(r, c);
  };

  const int64_t gx = (count + TC - 1) / TC;
  const int64_t gy = gc_grid_y(rows, gx, 4 * (int64_t)sms);
  EXPECT(gy >= 1 && gy <= 65535, "grid y %lld", (long long)gy);
  int64_t direct_tiles = 0;
  std::vector<int32_t> sidx(TC);
  for (int64_t bx = 0; bx < gx; ++bx)
    for (int64_t by = 0; by < gy; ++by) {
      const int64_t j0 = bx * TC;
      const int tc = (int)(count - j0 < TC ? count - j0 : TC);
      for (int t = 0; t < tc; ++t) sidx[(size_t)t] = gc_clamp(idx[(size_t)(j0 + t)], cols);
      bool direct = VB == 16;
      for (int tid = 0; tid < kGcThreads && direct; ++tid)
        direct = tid >= 32 || (out_vec_ok && gc_chunk_direct(sidx.data(), tid & 31, LE, tc));
      if (direct) {
        if (by == 0) ++direct_tiles;
        for (int64_t r0 = by * kGcTileRows * U; r0 < rows; r0 += gy * kGcTileRows * U)
          for (int warp = 0; warp < kGcThreads / 32; ++warp)
            for (int lane = 0; lane < 32; ++lane) {
              const bool active = lane * LE < tc;
              const int32_t s0 = active ? sidx[(size_t)(lane * LE)] : 0;
              for (int u = 0; u < U; ++u) {
                const int64_t r = r0 + warp + kGcTileRows * u;
                if (!active || r >= rows) continue;
                // the 16-byte load and store: aligned (rows are, when VB is 16) and whole inside their rows
                EXPECT((r * cols + s0) % LE == 0 && s0 + LE <= cols, "direct load row %lld col %d", (long long)r, s0);
                const int64_t d = r * count + j0 + lane * LE;
                EXPECT(d % LE == 0 && j0 + lane * LE + LE <= count, "direct store row %lld col %lld", (long long)r,
                       (long long)(j0 + lane * LE));
                for (int e = 0; e < LE; ++e) store(r, j0 + lane * LE + e, load(r, s0 + e));
              }
            }
        continue;
      }
      const int64_t v0 = sidx[0] / LE;
      const int64_t nv = sidx[(size_t)(tc - 1)] / LE - v0 + 1;
      const bool staged = nv >= 1 && nv <= SPAN_V;
      const int64_t base = v0 * LE;
      const int64_t span = staged ? nv * LE : 0;
      for (int warp = 0; warp < kGcThreads / 32; ++warp) {
        for (int64_t r0 = by * kGcTileRows; r0 < rows; r0 += gy * kGcTileRows) {
          const int64_t r = r0 + warp;
          if (r >= rows) continue;
          std::vector<uint32_t> stage((size_t)(SPAN_V * LE), 0xDEADBEEFu);
          if (staged)
            for (int64_t v = 0; v < nv; ++v)
              for (int e = 0; e < LE; ++e) stage[(size_t)(v * LE + e)] = load(r, (v0 + v) * LE + e);
          for (int lane = 0; lane < 32; ++lane)
            for (int u = 0; u < PER_LANE; ++u) {
              const int k = lane + 32 * u;
              if (k >= tc) continue;
              const int32_t off = gc_staged_offset(sidx[(size_t)k], base, span);  // the lane's off[u]
              EXPECT(off < span, "staged offset %d past the span %lld", off, (long long)span);
              store(r, j0 + k, off >= 0 ? stage[(size_t)off] : load(r, sidx[(size_t)k]));
            }
        }
      }
    }
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t k = 0; k < count; ++k) {
      const size_t i = (size_t)(r * count + k);
      const int64_t c = idx[(size_t)k] < 0 ? 0 : idx[(size_t)k] >= cols ? cols - 1 : idx[(size_t)k];
      EXPECT(writes[i] == 1, "dst[%lld, %lld] written %d times", (long long)r, (long long)k, writes[i]);
      EXPECT(writes[i] != 1 || dst[i] == value(r, c), "dst[%lld, %lld] holds src column other than %lld",
             (long long)r, (long long)k, (long long)c);
      if (failures > before) return -1;
    }
  return failures > before ? -1 : direct_tiles;
}

enum Pattern { kAll, kFirst, kLast, kHalf, kRuns64, kSparse, kHeads128, kRuns100, kShifted, kEven, kCorrupt };
const char* names[] = {"all", "first", "last", "random-half", "runs-of-64", "every-50th", "heads-of-128",
                       "runs-of-100", "all-but-3", "even", "corrupt"};

std::vector<int64_t> indices(std::mt19937& rng, int64_t cols, int p) {
  std::vector<int64_t> k;
  if (p == kCorrupt) {  // unchecked: out of range, repeated, descending
    std::uniform_int_distribution<int64_t> d(-5, cols + 5);
    for (int64_t i = 0; i < std::max<int64_t>(1, cols / 2); ++i) k.push_back(d(rng));
    return k;
  }
  for (int64_t i = 0; i < cols; ++i) {
    bool keep = false;
    switch (p) {
      case kAll: keep = true; break;
      case kFirst: keep = i == 0; break;
      case kLast: keep = i == cols - 1; break;
      case kHalf: keep = (rng() & 1) != 0; break;
      case kRuns64: keep = ((i / 64) % 3) != 1; break;  // the self-test's "runs-of-64"
      case kSparse: keep = i % 50 == 7; break;
      case kHeads128: keep = ((i / 128) % 2) == 0; break;  // the bench's heads
      case kRuns100: keep = ((i / 100) % 2) == 0; break;   // runs starting off the 16-byte grid
      case kShifted: keep = i >= 3; break;                 // one run: consecutive chunks, none aligned
      default: keep = i % 2 == 0; break;                   // aligned chunk starts, not consecutive
    }
    if (keep) k.push_back(i);
  }
  if (k.empty()) k.push_back(cols / 2);
  return k;
}

// Whether every tile of a case must take the direct path: a 16-byte vector kernel, aligned output rows, and kept
// columns in runs that start on the vector grid and fill every chunk of every tile.
bool must_be_direct(const std::vector<int64_t>& idx, int le, bool out_vec_ok, int vb) {
  if (vb != 16 || !out_vec_ok) return false;
  for (size_t q = 0; q < idx.size(); q += (size_t)le) {
    if (q + (size_t)le > idx.size() || idx[q] % le != 0) return false;
    for (int e = 1; e < le; ++e)
      if (idx[q + (size_t)e] != idx[q] + e) return false;
  }
  return true;
}

template <int ES, int VB>
void run_case(std::mt19937& rng, int64_t rows, int64_t cols, int p, bool dst_aligned, int sms) {
  const std::vector<int64_t> idx = indices(rng, cols, p);
  const int64_t count = (int64_t)idx.size();
  const bool out_vec_ok = (count * ES) % 16 == 0 && dst_aligned;
  const int64_t tc = kGcTileOutBytes / ES, tiles = (count + tc - 1) / tc;
  const bool want_direct = must_be_direct(idx, VB / ES, out_vec_ok, VB);
  ++checks;
  const int64_t direct = run<ES, VB>(rows, cols, idx, out_vec_ok, sms);
  const bool ok = direct >= 0 && (!want_direct || direct == tiles) && (VB == 16 || direct == 0);
  if (!ok) {
    if (direct >= 0) ++failures;
    printf("FAIL gather_cols PLANNED %lldx%lld e%d v%d %s (%lld kept) dst %s, %d SMs: %s\n", (long long)rows,
           (long long)cols, ES, VB, names[p], (long long)count, dst_aligned ? "aligned" : "unaligned", sms,
           direct < 0 ? "wrong output or access" : "direct path not taken where it must be");
  }
}

}  // namespace

// The tile plan's helpers on hand-made tiles, including what no emulated case reaches (a chunk cut by the tile end
// needs an odd output row, which already rules the direct path out).
void unit_checks() {
  const int32_t run[8] = {8, 9, 10, 11, 12, 13, 14, 15}, off[8] = {9, 10, 11, 12, 13, 14, 15, 16};
  const int32_t gap[8] = {8, 9, 10, 11, 12, 13, 14, 16};
  ++checks;
  EXPECT(gc_chunk_direct(run, 0, 8, 8), "an aligned run of 8 is one vector");
  EXPECT(!gc_chunk_direct(off, 0, 8, 8), "a run of 8 from column 9 is not aligned");
  EXPECT(!gc_chunk_direct(gap, 0, 8, 8), "a gap inside the chunk");
  EXPECT(!gc_chunk_direct(run, 0, 8, 7), "a chunk cut by the tile end would overrun it");
  EXPECT(gc_chunk_direct(run, 1, 8, 8), "a chunk past the tile end copies nothing");
  EXPECT(gc_chunk_direct(run, 1, 4, 8) && !gc_chunk_direct(off, 1, 4, 8), "f32 chunks of 4");
  EXPECT(gc_clamp(-1, 10) == 0 && gc_clamp(10, 10) == 9 && gc_clamp(4, 10) == 4, "clamp");
  EXPECT(gc_grid_y(8192, 16, 528) == 33 && gc_grid_y(5, 16, 528) == 1 && gc_grid_y(100, 1, 1 << 20) == 13 &&
             gc_grid_y(1LL << 40, 1, 1 << 20) == 65535,
         "grid rows");
  EXPECT(gc_staged_offset(7, 4, 4) == 3 && gc_staged_offset(8, 4, 4) == -1 && gc_staged_offset(3, 4, 4) == -1,
         "staged offsets");
}

int main() {
  std::mt19937 rng(1818);
  unit_checks();
  const int64_t shapes[][2] = {{1, 1},     {1, 37},   {37, 1},   {7, 9},     {33, 257}, {129, 1000},
                               {300, 4099}, {17, 4096}, {65, 512}, {40, 8192}, {8, 16},   {1000, 512}};
  for (auto& s : shapes)
    for (int p = kAll; p <= kCorrupt; ++p)
      for (int sms : {1, 132})
        for (bool dst_aligned : {true, false}) {
          const int64_t rows = s[0], cols = s[1];
          run_case<2, 2>(rng, rows, cols, p, dst_aligned, sms);
          run_case<4, 4>(rng, rows, cols, p, dst_aligned, sms);
          if ((cols * 2) % 16 == 0) run_case<2, 16>(rng, rows, cols, p, dst_aligned, sms);  // gather_cols's `wide`
          if ((cols * 4) % 16 == 0) run_case<4, 16>(rng, rows, cols, p, dst_aligned, sms);
        }
  // The bench's case, smaller: heads of 128 must run direct in every tile, for f16/bf16 and f32.
  {
    const std::vector<int64_t> heads = indices(rng, 2048, kHeads128);
    ++checks;
    const int64_t d16 = run<2, 16>(64, 2048, heads, true, 132), d32 = run<4, 16>(64, 2048, heads, true, 132);
    const int64_t t16 = ((int64_t)heads.size() + 255) / 256, t32 = ((int64_t)heads.size() + 127) / 128;
    if (d16 != t16 || d32 != t32) {
      ++failures;
      printf("FAIL heads of 128: direct tiles %lld of %lld (f16), %lld of %lld (f32)\n", (long long)d16,
             (long long)t16, (long long)d32, (long long)t32);
    }
  }
  printf("%s: gather emulation (PLANNED column gather), %d cases, %d failed checks\n", failures ? "FAIL" : "PASS",
         checks, failures);
  return failures ? 1 : 0;
}
