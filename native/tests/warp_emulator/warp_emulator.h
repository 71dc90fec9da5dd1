// CPU model of the GPU pieces the GEMM kernels use, for the kernel emulation test (no GPU, no nvcc):
//   - a thread block's shared memory as a byte array, with per-16-byte-chunk state that checks the cp.async
//     pipeline: which pipeline stage a chunk holds, whether its copy has landed (cp.async.wait_group of the
//     issuing thread) and whether it is visible to the block (a __syncthreads after landing);
//   - cp.async 16-byte copies with src-size zero-fill, commit_group and wait_group N per thread. Copies are
//     written at issue time, but a chunk counts as "in flight" (unreadable, its old content gone) from issue
//     until its group is waited and a barrier passed, so any read of a slot that a copy of the same phase
//     overwrites, or a read without the wait/barrier, is reported;
//   - ldmatrix .x1/.x2/.x4 (+ .trans) per notes 2.2, with 16-byte alignment and per-phase bank-conflict checks;
//   - mma.sync m16n8k16 and mma.sp::ordered_metadata m16n8k32 (f16/bf16 in, f32 accumulate) per notes
//     sections 1.2-1.5 and 2.1: fragments per lane, selector lanes, nibble decoding (ordered pairs enforced);
//   - f16 / bf16 <-> float conversions with round-to-nearest-even.
#pragma once
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmath>
#include <string>
#include <vector>

namespace emu {

// ---------------------------------------------------------------------------------------------- failures
struct Failures {
  long count = 0;
  bool muted = false;  // a deliberately broken model is running: count its failures, do not print them
  void report(const std::string& what) {
    if (count < 25 && !muted) fprintf(stderr, "EMU FAIL: %s\n", what.c_str());
    ++count;
  }
};
inline Failures& failures() {
  static Failures f;
  return f;
}
#define EMU_CHECK(cond, ...)                                  \
  do {                                                        \
    if (!(cond)) {                                            \
      char buf_[512];                                         \
      snprintf(buf_, sizeof buf_, __VA_ARGS__);               \
      ::emu::failures().report(std::string(#cond) + ": " + buf_); \
    }                                                         \
  } while (0)

// ---------------------------------------------------------------------------------------------- dtypes
enum DType { F32 = 0, F16 = 1, BF16 = 2 };

inline float f16_to_float(uint16_t h) {
  const uint32_t sign = (uint32_t)(h >> 15) << 31, exp = (h >> 10) & 0x1F, man = h & 0x3FF;
  float v;
  if (exp == 0) {
    v = std::ldexp((float)man, -24);
  } else if (exp == 31) {
    v = man ? NAN : INFINITY;
  } else {
    v = std::ldexp((float)(man | 0x400), (int)exp - 25);
  }
  return sign ? -v : v;
}

inline uint16_t float_to_f16(float f) {  // round to nearest even, overflow to inf
  uint32_t x;
  memcpy(&x, &f, 4);
  const uint32_t sign = (x >> 16) & 0x8000u;
  x &= 0x7FFFFFFFu;
  if (x >= 0x7F800000u) return (uint16_t)(sign | (x > 0x7F800000u ? 0x7E00u : 0x7C00u));
  if (x >= 0x477FF000u) return (uint16_t)(sign | 0x7C00u);  // >= 65520 rounds to inf
  if (x < 0x38800000u) {                                     // below 2^-14: multiples of 2^-24 (1024 = 2^-14)
    const float q = std::nearbyint(std::fabs(f) * 16777216.0f);
    return (uint16_t)(sign | (uint32_t)q);
  }
  const uint32_t mant = x & 0x7FFFFFu, exp = (x >> 23) - 127 + 15;
  uint32_t h = (exp << 10) | (mant >> 13);
  const uint32_t rem = mant & 0x1FFFu;
  if (rem > 0x1000u || (rem == 0x1000u && (h & 1u))) ++h;
  return (uint16_t)(sign | h);
}

inline float bf16_to_float(uint16_t h) {
  uint32_t x = (uint32_t)h << 16;
  float f;
  memcpy(&f, &x, 4);
  return f;
}

inline uint16_t float_to_bf16(float f) {
  uint32_t x;
  memcpy(&x, &f, 4);
  if (std::isnan(f)) return (uint16_t)((x >> 16) | 0x40);
  x += 0x7FFF + ((x >> 16) & 1);
  return (uint16_t)(x >> 16);
}

inline float to_float(uint16_t bits, int dtype) { return dtype == F16 ? f16_to_float(bits) : bf16_to_float(bits); }
inline uint16_t from_float(float v, int dtype) { return dtype == F16 ? float_to_f16(v) : float_to_bf16(v); }

// ---------------------------------------------------------------------------------------------- shared memory
// Chunk states of the pipeline model.
struct Chunk {
  int tag = -1;         // what the chunk holds (pipeline stage number; -1 = garbage)
  bool inflight = false;  // a cp.async targets it and has not been waited for by its issuing thread
  bool visible = true;  // landed and a __syncthreads has passed since
  int thread = -1, group = -1;
};

struct Block {
  std::vector<uint8_t> bytes;
  std::vector<Chunk> chunks;
  struct ThreadState {
    int committed = 0;       // groups committed so far (the open group has index `committed`)
    std::vector<int> pending;  // chunk indices with a copy in flight
  };
  std::vector<ThreadState> threads;
  long bank_conflicts = 0, ldmatrix_phases = 0;

  Block(int smem_bytes, int nthreads) : bytes((size_t)smem_bytes, 0xA5), chunks((size_t)(smem_bytes + 15) / 16),
                                        threads((size_t)nthreads) {}

  int size() const { return (int)bytes.size(); }

  // cp.async.cg.shared.global [dst], [src], 16, src_bytes (16 or 0). src must point to 16 readable bytes when ok.
  void cp_async16(int tid, int dst, const void* src, bool ok, int tag) {
    EMU_CHECK(dst % 16 == 0, "cp.async dst %d not 16-byte aligned", dst);
    EMU_CHECK(dst >= 0 && dst + 16 <= size(), "cp.async dst %d outside smem of %d bytes", dst, size());
    if (dst % 16 != 0 || dst < 0 || dst + 16 > size()) return;
    Chunk& c = chunks[(size_t)dst / 16];
    EMU_CHECK(!c.inflight, "cp.async to smem %d while an earlier copy (thread %d) is still in flight", dst, c.thread);
    if (ok) {
      EMU_CHECK(((uintptr_t)src & 15u) == 0, "cp.async src %p not 16-byte aligned", src);
      memcpy(&bytes[(size_t)dst], src, 16);
    } else {
      memset(&bytes[(size_t)dst], 0, 16);
    }
    c.tag = tag;
    c.inflight = true;
    c.visible = false;
    c.thread = tid;
    c.group = threads[(size_t)tid].committed;
    threads[(size_t)tid].pending.push_back(dst / 16);
  }
  void commit(int tid) { ++threads[(size_t)tid].committed; }
  // cp.async.wait_group n: all but the newest n committed groups of this thread have landed.
  void wait_group(int tid, int n) {
    ThreadState& t = threads[(size_t)tid];
    std::vector<int> keep;
    for (int ci : t.pending) {
      Chunk& c = chunks[(size_t)ci];
      if (c.group < t.committed - n) {
        c.inflight = false;
      } else {
        keep.push_back(ci);
      }
    }
    t.pending.swap(keep);
  }
  void syncthreads() {
    for (Chunk& c : chunks)
      if (!c.inflight) c.visible = true;
  }
  bool any_inflight() const {
    for (const Chunk& c : chunks)
      if (c.inflight) return true;
    return false;
  }

  // A read of [off, off+len) that expects the pipeline stage `tag` (or any tag when tag < -1).
  void check_read(int off, int len, int tag, const char* what) {
    EMU_CHECK(off >= 0 && off + len <= size(), "%s: read at %d+%d outside smem of %d bytes", what, off, len, size());
    if (off < 0 || off + len > size()) return;
    for (int ci = off / 16; ci <= (off + len - 1) / 16; ++ci) {
      const Chunk& c = chunks[(size_t)ci];
      EMU_CHECK(!c.inflight && c.visible,
                "%s: smem %d read while a cp.async into it is in flight or before the barrier (tag %d, want %d)",
                what, ci * 16, c.tag, tag);
      if (tag >= -1) EMU_CHECK(c.tag == tag, "%s: smem %d holds stage %d, the warp expects stage %d", what, ci * 16, c.tag, tag);
    }
  }
  // A plain store (split-K reduction, ...): no copy may still target the bytes.
  void check_write(int off, int len, const char* what) {
    EMU_CHECK(off >= 0 && off + len <= size(), "%s: write at %d+%d outside smem of %d bytes", what, off, len, size());
    if (off < 0 || off + len > size()) return;
    for (int ci = off / 16; ci <= (off + len - 1) / 16; ++ci)
      EMU_CHECK(!chunks[(size_t)ci].inflight, "%s: plain store to smem %d while a cp.async targets it", what, ci * 16);
  }

  uint32_t ld32(int off, int tag, const char* what) {
    EMU_CHECK(off % 4 == 0, "%s: 32-bit load at %d misaligned", what, off);
    check_read(off, 4, tag, what);
    uint32_t v = 0;
    if (off >= 0 && off + 4 <= size()) memcpy(&v, &bytes[(size_t)off], 4);
    return v;
  }
  void st32(int off, uint32_t v, const char* what) {
    EMU_CHECK(off % 4 == 0, "%s: store at %d misaligned", what, off);
    check_write(off, 4, what);
    if (off >= 0 && off + 4 <= size()) memcpy(&bytes[(size_t)off], &v, 4);
  }
  void st_f32(int off, float v, const char* what) {
    EMU_CHECK(off % 4 == 0, "%s: store at %d misaligned", what, off);
    check_write(off, 4, what);
    if (off >= 0 && off + 4 <= size()) memcpy(&bytes[(size_t)off], &v, 4);
  }
  float ld_f32(int off, const char* what) {
    check_read(off, 4, -2, what);
    float v = 0;
    if (off >= 0 && off + 4 <= size()) memcpy(&v, &bytes[(size_t)off], 4);
    return v;
  }

  // ldmatrix.sync.aligned.m8n8.x{num}{.trans}.shared.b16: addr[l] = byte address lane l supplies.
  void ldmatrix(int num, bool trans, const int (&addr)[32], uint32_t (*r)[4], int tag, const char* what) {
    uint16_t m[4][8][8];
    for (int q = 0; q < num; ++q) {
      bool banks[8] = {false};
      for (int row = 0; row < 8; ++row) {
        const int a = addr[8 * q + row];
        EMU_CHECK(a % 16 == 0, "%s: ldmatrix row address %d (lane %d) not 16-byte aligned", what, a, 8 * q + row);
        check_read(a, 16, tag, what);
        const int bank4 = (a / 16) % 8;  // 16 bytes = 4 banks; 8 rows conflict-free iff distinct
        if (banks[bank4]) ++bank_conflicts;
        banks[bank4] = true;
        for (int col = 0; col < 8; ++col) {
          uint16_t v = 0;
          if (a >= 0 && a + 16 <= size()) memcpy(&v, &bytes[(size_t)a + 2 * col], 2);
          m[q][row][col] = v;
        }
      }
      ++ldmatrix_phases;
    }
    for (int l = 0; l < 32; ++l)
      for (int q = 0; q < num; ++q) {
        uint16_t lo, hi;
        if (!trans) {
          lo = m[q][l / 4][2 * (l % 4)];
          hi = m[q][l / 4][2 * (l % 4) + 1];
        } else {
          lo = m[q][2 * (l % 4)][l / 4];
          hi = m[q][2 * (l % 4) + 1][l / 4];
        }
        r[l][q] = (uint32_t)lo | ((uint32_t)hi << 16);
      }
  }
};

// The mbarriers of the decoupled pipeline as PTX defines them: a phase completes when `expected` arrivals have
// come; mbarrier.try_wait.parity P succeeds once the phase of parity P has completed, i.e. when the number of
// completed phases has the other parity (so P = 1 succeeds on a fresh barrier: the protocol must never ask that).
// cp.async.mbarrier.arrive.noinc is modelled by attaching the arriving thread's pending copies to the barrier: they
// land, and become visible, when the phase completes.
struct Mbarrier {
  int expected = 0, arrived = 0, completed = 0;
  std::vector<int> copies;  // chunk indices that land with the current phase
  bool passed(int parity) const { return (completed & 1) != parity; }
  void arrive(Block& blk) {
    if (++arrived < expected) return;
    arrived = 0;
    ++completed;
    for (int ci : copies) {
      blk.chunks[(size_t)ci].inflight = false;
      blk.chunks[(size_t)ci].visible = true;
    }
    copies.clear();
  }
  void arrive_on_copies(Block& blk, int tid) {
    Block::ThreadState& t = blk.threads[(size_t)tid];
    copies.insert(copies.end(), t.pending.begin(), t.pending.end());
    t.pending.clear();
    arrive(blk);
  }
};


// ---------------------------------------------------------------------------------------------- tensor cores
// ---------------------------------------------------------------------------------- TMA box loads
// A 2-D tensor-map box load as the hardware defines it, independent of the kernel's index helpers: box row r (0 ..
// box1-1) holds elements (c0 .. c0+box0-1, c1 + r) of the row-major tensor, zeros where out of bounds; rows of 128
// bytes with the 128-byte swizzle applied to the shared address (16-byte unit bits 4-6 ^= bits 7-9), which needs a
// 1024-byte-aligned destination. Issued as 16-byte chunks by thread `tid` (they land when the mbarrier the caller
// arrives on completes its phase). Returns the bytes it delivers (the whole box, zeros included).
template <class Map>  // a 2-D map: dim0 (contiguous), dim1, stride1_bytes, box0, box1 (skcuda::TmaMap2d)
inline int tma_box_load(Block& blk, int tid, int dst, const std::vector<uint16_t>& g, const Map& m, int c0, int c1,
                        int tag) {
  EMU_CHECK(dst % 1024 == 0, "TMA box destination %d not 1024-byte aligned (128-byte swizzle)", dst);
  EMU_CHECK(m.box0 * 2 == 128 && m.box1 >= 1 && m.box1 <= 256, "TMA box %dx%d: rows must be one 128-byte swizzle span",
            m.box0, m.box1);
  EMU_CHECK(m.stride1_bytes % 16 == 0 && m.stride1_bytes >= m.dim0 * 2, "TMA stride %lld for %lld elements",
            (long long)m.stride1_bytes, (long long)m.dim0);
  EMU_CHECK(m.dim1 == 0 || (m.dim1 - 1) * (m.stride1_bytes / 2) + m.dim0 <= (int64_t)g.size(),
            "tensor map %lld x %lld (stride %lld B) larger than its buffer of %zu elements", (long long)m.dim1,
            (long long)m.dim0, (long long)m.stride1_bytes, g.size());
  for (int r = 0; r < m.box1; ++r)
    for (int c = 0; c < m.box0 / 8; ++c) {
      alignas(16) uint16_t chunk[8];
      const int64_t y = (int64_t)c1 + r;
      for (int e = 0; e < 8; ++e) {
        const int64_t x = (int64_t)c0 + 8 * c + e;
        chunk[e] = x >= 0 && x < m.dim0 && y >= 0 && y < m.dim1 ? g[(size_t)(y * (m.stride1_bytes / 2) + x)] : 0;
      }
      int a = dst + r * 128 + c * 16;
      a ^= ((a >> 7) & 7) << 4;
      blk.cp_async16(tid, a, chunk, true, tag);
    }
  return m.box0 * m.box1 * 2;
}


inline float lo_f(uint32_t r, int dt) { return to_float((uint16_t)(r & 0xFFFF), dt); }
inline float hi_f(uint32_t r, int dt) { return to_float((uint16_t)(r >> 16), dt); }

// mma.sync.aligned.m16n8k16.row.col.f32.{f16,bf16}: d[lane][4] += A(16x16) B(16x8), notes 2.1.
inline void mma_m16n8k16(float (*d)[4], const uint32_t (*a)[4], const uint32_t (*b)[2], int dt) {
  float A[16][16], B[16][8];
  for (int r = 0; r < 16; ++r)
    for (int k = 0; k < 16; ++k) {
      const int lane = 4 * (r % 8) + (k % 8) / 2, reg = (r / 8) + 2 * (k / 8);
      A[r][k] = (k & 1) ? hi_f(a[lane][reg], dt) : lo_f(a[lane][reg], dt);
    }
  for (int k = 0; k < 16; ++k)
    for (int n = 0; n < 8; ++n) {
      const int lane = 4 * n + (k % 8) / 2, reg = k / 8;
      B[k][n] = (k & 1) ? hi_f(b[lane][reg], dt) : lo_f(b[lane][reg], dt);
    }
  for (int r = 0; r < 16; ++r)
    for (int n = 0; n < 8; ++n) {
      double s = 0;
      for (int k = 0; k < 16; ++k) s += (double)A[r][k] * B[k][n];
      const int lane = 4 * (r % 8) + n / 2, reg = 2 * (r / 8) + (n & 1);
      d[lane][reg] = (float)((double)d[lane][reg] + s);
    }
}

// mma.sp::ordered_metadata.sync.aligned.m16n8k32.row.col.f32.{f16,bf16}, selector sel (0/1), notes 1.2-1.5.
inline void mma_sp_m16n8k32(float (*d)[4], const uint32_t (*a)[4], const uint32_t (*b)[4], const uint32_t* e,
                            int sel, int dt) {
  EMU_CHECK(sel == 0 || sel == 1, "selector %d", sel);
  float A[16][32] = {};
  for (int r = 0; r < 16; ++r) {
    const int g = r % 8, hf = r / 8;
    for (int c = 0; c < 8; ++c) {
      const int dl = 4 * g + (c & 3), reg = (c < 4 ? 0 : 2) + hf;
      const int ml = 4 * g + 2 * sel + (c >> 2);
      const unsigned nib = (e[ml] >> (16 * hf + 4 * (c & 3))) & 0xF;
      const unsigned i0 = nib & 3, i1 = nib >> 2;
      EMU_CHECK(i0 < i1, "ordered metadata nibble 0x%X (row %d chunk %d, lane %d, sel %d) is not an ordered pair",
                nib, r, c, ml, sel);
      A[r][4 * c + i0] = lo_f(a[dl][reg], dt);
      A[r][4 * c + i1] = hi_f(a[dl][reg], dt);
    }
  }
  float B[32][8];
  for (int k = 0; k < 32; ++k)
    for (int n = 0; n < 8; ++n) {
      const int lane = 4 * n + (k % 8) / 2, reg = k / 8;
      B[k][n] = (k & 1) ? hi_f(b[lane][reg], dt) : lo_f(b[lane][reg], dt);
    }
  for (int r = 0; r < 16; ++r)
    for (int n = 0; n < 8; ++n) {
      double s = 0;
      for (int k = 0; k < 32; ++k) s += (double)A[r][k] * B[k][n];
      const int lane = 4 * (r % 8) + n / 2, reg = 2 * (r / 8) + (n & 1);
      d[lane][reg] = (float)((double)d[lane][reg] + s);
    }
}

}  // namespace emu
