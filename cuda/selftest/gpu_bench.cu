// GPU benchmark of sk_sparse24_gemm and sk_dense_gemm against cuBLAS (CMake target sk_gpu_bench; not part of the
// library). Y[tokens, out] = X[tokens, in] . W^T with W [out, in] (nn.Linear), fp16/bf16 inputs, fp32 accumulation.
//
//   sk_gpu_bench [--json FILE] [--budget-ms MS] [--max-seconds S] [--shapes TxIxO,...] [--no-flush] [--f32-only]
//                [--bsr-only | --no-bsr] [--bsr-shape TxIxO] [--bsr-densities D,...] [--gather-only | --no-gather]
//                [--gather-shape RxC]
//                [--attention-only | --no-attention]
//
// After the 2:4 / dense shapes, a BSR section times sk_bsr_gemm at --bsr-shape (default 4096^3) for 64x64 and
// 32x32 blocks at densities 0.5 / 0.3 / 0.1 / 0.05 (--bsr-densities), bf16 and f16, against cuBLAS on the same
// pruned W stored dense (records "format": "bsr:64x64", "density").
//
// Last, a gather section (channels_selftest.cu) times sk_gather_rows / sk_gather_cols keeping half the rows /
// columns of --gather-shape (default 8192x8192), f16 and f32, against cudaMemcpyAsync device to device of the same
// output bytes, each verified bit for bit first. Its records, {"op": "gather-rows" | "gather-cols", "device",
// "shape": {"rows", "cols", "kept"}, "dtype", "pattern", "ours_ms", "peer": "cudaMemcpy", "peer_ms", "gbps", ...},
// go to the top-level "gather_records" array of the JSON (not "records", whose entries are GEMMs).
//
// Then an attention section (attention_selftest.cu) times sk_attention bf16, D 128, causal at L 4096 (B 2, H 16) and
// 8192 (B 1, H 16), and non-causal at 4096, each verified on sampled rows first; TFLOP/s counts 4*B*H*Lq*Lk*D,
// halved for causal. Records {"op": "attention", "mask", "shape": {"batch", "heads", "lq", "lk", "d"}, ...} go to
// the top-level "attention_records" array.
//
// What is timed: device-resident buffers only (no copies), each op alone on the default stream, cudaEvent pairs
// around every single launch, launches queued back to back (one synchronize per batch, so host launch latency is
// hidden and not measured), a warm-up first, then the median of N runs, N chosen so one op takes about
// --budget-ms (default 250 ms, 5..200 runs). Before every timed run a memset of twice the L2 size evicts the
// weights from L2 (outside the event pair; --no-flush keeps them), so small-token shapes read W from HBM as they
// would in a model whose layers do not fit in L2. ci/gpu/torch_peers.py times PyTorch the same way.
//
// Peers: cublasGemmEx with CUBLAS_COMPUTE_32F, inputs CUDA_R_16F / CUDA_R_16BF, output CUDA_R_32F (our y_dtype F32)
// and, unless --f32-only, output in the input dtype (our y_dtype = x_dtype). cuBLAS is column-major: our row-major
// Y [tokens, out] is the column-major out x tokens matrix Y^T = W . X^T, where row-major W [out, in] is column-major
// [in, out] (lda = in) taken with op T, and row-major X [tokens, in] is column-major [in, tokens] (ldb = in) with op
// N: m = out, n = tokens, k = in, ldc = out (the "TN" GEMM). Every case is verified before it is timed: our 2:4
// and dense outputs against cuBLAS's (and against each other), max |a - b| / max |ref| within a tolerance of the
// output dtype; a mismatch prints FAIL and makes the exit status 1. Built without cuBLAS (SK_BENCH_CUBLAS=0, when
// CMake finds no libcublas, e.g. ci/gpu/prebuild.sh on a machine without it), the peer is the library's run-time
// cuBLAS (sk_blas_gemm: the same cublasGemmEx call) where the host has one, else recorded as "none: ..." and only our
// two kernels are cross-checked.
//
// Streams and runtimes: the library links its own static cudart and so does this program (and libcublas uses the
// driver through its own). All of them work in the device's primary context, so device pointers from sk_malloc are
// valid for cuBLAS, and the legacy default stream (NULL) is the same stream for all of them. Everything here runs
// on NULL: our launches, cuBLAS (cublasSetStream(NULL)), the flush memsets and the events, which therefore
// serialize exactly as written. A stream from sk_stream_create would also work (cudaStream_t is the driver's
// CUstream handle in every cudart copy) but adds nothing for a one-stream benchmark.
//
// Output: a table on stdout, PASS/FAIL per verified case, and with --json FILE a JSON document
// {"gpu","driver","cuda",...,"records":[{"op","format","device","shape","dtype","y_dtype","ours_ms","peer",
// "peer_ms","speedup","tflops",...}]}; ci/gpu/merge_report.py folds it into docs/gpu/.
// Exit status: 0 all verified, 1 a mismatch or a failed call, 2 no usable GPU, 64 bad arguments.
#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_runtime.h>
#include <dlfcn.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <functional>
#include <string>
#include <vector>

#ifndef SK_BENCH_CUBLAS
#define SK_BENCH_CUBLAS 0
#endif
#if SK_BENCH_CUBLAS
#include <cublas_v2.h>
#endif

#include "sparsekernels.h"
#include "selftest_support.cuh"

// Gather bandwidth section (channels_selftest.cu, same target): appends JSON records, returns failed checks.
int gather_bench(int64_t rows, int64_t cols, const std::function<double(const std::function<bool()>&)>& median_ms,
                 const std::function<bool()>& out_of_time, std::vector<std::string>& json, int& skipped);

// Fused attention section (attention_selftest.cu, same target): appends JSON records, returns failed checks.
int attention_bench(const std::function<double(const std::function<bool()>&)>& median_ms,
                    const std::function<bool()>& out_of_time, std::vector<std::string>& json, int& skipped);

namespace {

using sk_selftest::dtype_name;
using sk_selftest::from_bits;
using sk_selftest::to_bits;

// ---- small helpers ----



struct Rng {  // xorshift64*: fast enough for 45M weights, reproducible
  uint64_t s;
  explicit Rng(uint64_t seed) : s(seed * 0x9E3779B97F4A7C15ull + 1) {}
  uint64_t next() {
    s ^= s >> 12;
    s ^= s << 25;
    s ^= s >> 27;
    return s * 0x2545F4914F6CDD1Dull;
  }
  float uni() { return (float)((next() >> 40) * (1.0 / 16777216.0)) * 2.0f - 1.0f; }  // [-1, 1)
};

std::string json_escape(const std::string& s) {
  std::string o;
  for (char c : s) {
    if (c == '"' || c == '\\') {
      o += '\\';
      o += c;
    } else if ((unsigned char)c < 0x20) {
      char buf[8];
      snprintf(buf, sizeof buf, "\\u%04x", c);
      o += buf;
    } else {
      o += c;
    }
  }
  return o;
}

std::string num(double v) {  // JSON number with 6 significant digits; null for nan/inf
  if (!std::isfinite(v)) return "null";
  char buf[64];
  snprintf(buf, sizeof buf, "%.6g", v);
  return buf;
}

using sk_selftest::DeviceBuf;

bool sk_ok(int rc, const char* what) {
  if (rc == SK_OK) return true;
  fprintf(stderr, "error: %s -> %d: %s\n", what, rc, sk_last_error());
  return false;
}

bool cuda_ok(cudaError_t e, const char* what) {
  if (e == cudaSuccess) return true;
  fprintf(stderr, "error: %s: %s\n", what, cudaGetErrorString(e));
  return false;
}

// Driver version as nvidia-smi prints it (NVML through dlopen: no link dependency), else the CUDA driver API level.
std::string driver_version() {
  int api = 0;
  cudaDriverGetVersion(&api);
  char api_s[32];
  snprintf(api_s, sizeof api_s, "%d.%d", api / 1000, (api % 1000) / 10);
  std::string out;
  if (void* h = dlopen("libnvidia-ml.so.1", RTLD_NOW | RTLD_LOCAL)) {
    typedef int (*init_t)(void);
    typedef int (*ver_t)(char*, unsigned);
    init_t init = (init_t)dlsym(h, "nvmlInit_v2");
    ver_t ver = (ver_t)dlsym(h, "nvmlSystemGetDriverVersion");
    init_t shut = (init_t)dlsym(h, "nvmlShutdown");
    char buf[96] = "";
    if (init && ver && init() == 0) {
      if (ver(buf, sizeof buf) == 0) out = buf;
      if (shut) shut();
    }
    dlclose(h);
  }
  return out.empty() ? std::string("CUDA ") + api_s + " (driver API)" : out + " (CUDA " + api_s + ")";
}

// ---- options ----

struct Shape {
  int64_t tokens, in, out;
};

struct Options {
  const char* json = nullptr;
  double budget_ms = 250;
  double max_seconds = 80;
  bool flush = true;
  bool f32_only = false;
  bool gemm = true;                      // the 2:4 / dense shapes (--bsr-only: off)
  bool bsr = true;                       // the BSR section (--no-bsr: off)
  Shape bsr_shape = {4096, 4096, 4096};  // --bsr-shape
  std::vector<double> bsr_densities = {0.5, 0.3, 0.1, 0.05};  // --bsr-densities (ci/gpu-profile.sh: just 0.1)
  bool gather = true;                    // the gather section (--no-gather: off; --gather-only: only it)
  int64_t gather_rows = 8192, gather_cols = 8192;  // --gather-shape
  bool attention = true;                 // the attention section (--no-attention: off; --attention-only: only it)
  std::vector<Shape> shapes = {{4096, 4096, 4096}, {2048, 4096, 4096}, {512, 4096, 4096},
                               {16, 4096, 4096},   {1, 4096, 4096},    {4096, 4096, 11008}};
};

bool parse_shapes(const char* s, std::vector<Shape>& out) {
  out.clear();
  std::string str(s);
  size_t pos = 0;
  while (pos <= str.size()) {
    size_t end = str.find(',', pos);
    if (end == std::string::npos) end = str.size();
    long long t, i, o;
    char tail;
    if (sscanf(str.substr(pos, end - pos).c_str(), "%lldx%lldx%lld%c", &t, &i, &o, &tail) != 3 || t < 1 || i < 8 ||
        i % 8 != 0 || o < 1)
      return false;
    out.push_back({t, i, o});
    pos = end + 1;
  }
  return !out.empty();
}

// ---- timing ----

struct Timer {
  bool flush;
  void* flush_buf = nullptr;
  size_t flush_bytes = 0;
  std::vector<cudaEvent_t> ev;

  // Median ms of fn over about budget_ms, or a negative value when fn or CUDA failed (message already printed).
  double median_ms(const std::function<bool()>& fn, double budget_ms) {
    for (int i = 0; i < 2; ++i)
      if (!fn()) return -1;
    if (!cuda_ok(cudaDeviceSynchronize(), "warm-up")) return -1;
    // One run alone for the estimate.
    if (flush && !cuda_ok(cudaMemsetAsync(flush_buf, 0, flush_bytes, nullptr), "flush")) return -1;
    cudaEventRecord(ev[0], nullptr);
    if (!fn()) return -1;
    cudaEventRecord(ev[1], nullptr);
    if (!cuda_ok(cudaEventSynchronize(ev[1]), "estimate")) return -1;
    float est = 0;
    cudaEventElapsedTime(&est, ev[0], ev[1]);
    const int n = (int)std::min(200.0, std::max(5.0, budget_ms / std::max(est, 0.001f)));
    std::vector<float> t;
    t.reserve(n);
    const int batch = (int)ev.size() / 2;
    for (int done = 0; done < n;) {
      const int b = std::min(batch, n - done);
      for (int i = 0; i < b; ++i) {
        if (flush) cudaMemsetAsync(flush_buf, (done + i) & 0xff, flush_bytes, nullptr);
        cudaEventRecord(ev[2 * i], nullptr);
        if (!fn()) return -1;
        cudaEventRecord(ev[2 * i + 1], nullptr);
      }
      if (!cuda_ok(cudaDeviceSynchronize(), "timed runs")) return -1;
      for (int i = 0; i < b; ++i) {
        float ms = 0;
        if (!cuda_ok(cudaEventElapsedTime(&ms, ev[2 * i], ev[2 * i + 1]), "cudaEventElapsedTime")) return -1;
        t.push_back(ms);
      }
      done += b;
    }
    std::sort(t.begin(), t.end());
    return t.size() % 2 ? t[t.size() / 2] : 0.5 * (t[t.size() / 2 - 1] + t[t.size() / 2]);
  }
};

// ---- verification ----

// Device output of `count` elements of dtype yd, as floats on the host (empty on failure).
std::vector<float> fetch(const void* d, size_t count, int yd) {
  std::vector<float> out(count);
  if (yd == SK_DTYPE_F32) {
    if (!sk_ok(sk_memcpy_d2h(out.data(), d, count * 4, nullptr), "copy result")) out.clear();
    return out;
  }
  std::vector<uint16_t> bits(count);
  if (!sk_ok(sk_memcpy_d2h(bits.data(), d, count * 2, nullptr), "copy result")) return {};
  for (size_t i = 0; i < count; ++i) out[i] = from_bits(bits[i], yd);
  return out;
}

// max |a - ref| / max |ref|; NaN when either holds a NaN or a fetch failed (so the check fails).
double max_rel_err(const std::vector<float>& a, const std::vector<float>& ref) {
  if (a.empty() || a.size() != ref.size()) return NAN;
  double max_diff = 0, max_ref = 0;
  bool nan = false;
  for (size_t i = 0; i < a.size(); ++i) {
    nan |= std::isnan(a[i]) || std::isnan(ref[i]);
    max_diff = fmax(max_diff, fabs((double)a[i] - (double)ref[i]));
    max_ref = fmax(max_ref, fabs((double)ref[i]));
  }
  if (nan) return NAN;
  return max_ref > 0 ? max_diff / max_ref : max_diff;
}

// Tolerance on max_rel_err: fp32 accumulation in a different order (split-K, tile order), plus one rounding of
// the output for f16 (2^-11) and bf16 (2^-8) on either side. A transposed or misindexed operand gives O(1).
double tolerance(int yd) { return yd == SK_DTYPE_F32 ? 1e-3 : yd == SK_DTYPE_F16 ? 3e-3 : 2e-2; }

// ---- weights ----

struct Weights {  // one W [out, in] in dtype xd, on the device in both layouts
  int64_t in = 0, out = 0;
  DeviceBuf dense, gv, gm;
  void reset() {
    for (DeviceBuf* b : {&dense, &gv, &gm}) {
      sk_free(b->p);
      b->p = nullptr;
    }
    in = out = 0;
  }
};

bool make_weights(Weights& w, int64_t in, int64_t out, int xd, uint64_t seed) {
  w.in = in;
  w.out = out;
  Rng rng(seed);
  const int64_t ib = (in + 7) / 8;
  std::vector<uint16_t> dense((size_t)(out * in), 0), vals((size_t)(out * in / 2));
  std::vector<uint8_t> idx((size_t)(out * ib), 0);
  static const int pats[6][2] = {{0, 1}, {0, 2}, {0, 3}, {1, 2}, {1, 3}, {2, 3}};
  for (int64_t r = 0; r < out; ++r)
    for (int64_t g = 0; g < in / 4; ++g) {
      const int* p = pats[rng.next() % 6];
      for (int j = 0; j < 2; ++j) {
        const uint16_t v = to_bits(rng.uni(), xd);
        dense[(size_t)(r * in + 4 * g + p[j])] = v;
        vals[(size_t)(r * (in / 2) + 2 * g + j)] = v;
      }
      idx[(size_t)(r * ib + g / 2)] |= (uint8_t)((p[0] | (p[1] << 2)) << (4 * (g & 1)));
    }
  int64_t vc = 0, mw = 0;
  if (!sk_ok(sk_sparse24_gpu_sizes(out, in, &vc, &mw), "sk_sparse24_gpu_sizes")) return false;
  std::vector<uint16_t> gv((size_t)vc);
  std::vector<uint32_t> gm((size_t)mw);
  if (!sk_ok(sk_sparse24_pack(vals.data(), idx.data(), out, in, gv.data(), gm.data()), "sk_sparse24_pack"))
    return false;
  return sk_ok(sk_malloc(&w.dense.p, dense.size() * 2), "sk_malloc W") &&
         sk_ok(sk_malloc(&w.gv.p, gv.size() * 2), "sk_malloc gpu_values") &&
         sk_ok(sk_malloc(&w.gm.p, gm.size() * 4), "sk_malloc gpu_meta") &&
         sk_ok(sk_memcpy_h2d(w.dense.p, dense.data(), dense.size() * 2, nullptr), "upload W") &&
         sk_ok(sk_memcpy_h2d(w.gv.p, gv.data(), gv.size() * 2, nullptr), "upload gpu_values") &&
         sk_ok(sk_memcpy_h2d(w.gm.p, gm.data(), gm.size() * 4, nullptr), "upload gpu_meta");
}

// ---- cuBLAS peer ----

#if SK_BENCH_CUBLAS
const char* cublas_msg(cublasStatus_t s) { return cublasGetStatusString(s); }

cudaDataType_t cuda_type(int d) { return d == SK_DTYPE_F32 ? CUDA_R_32F : d == SK_DTYPE_F16 ? CUDA_R_16F : CUDA_R_16BF; }

// Y [tokens, out] row-major = column-major Y^T [out, tokens] = op_T(W as column-major [in, out]) . (X^T [in, tokens]).
bool cublas_gemm(cublasHandle_t h, const void* x, int xd, const void* w, void* y, int yd, const Shape& s) {
  const float alpha = 1.0f, beta = 0.0f;
  const cublasStatus_t st =
      cublasGemmEx(h, CUBLAS_OP_T, CUBLAS_OP_N, (int)s.out, (int)s.tokens, (int)s.in, &alpha, w, cuda_type(xd),
                   (int)s.in, x, cuda_type(xd), (int)s.in, &beta, y, cuda_type(yd), (int)s.out, CUBLAS_COMPUTE_32F,
                   CUBLAS_GEMM_DEFAULT);
  if (st != CUBLAS_STATUS_SUCCESS) {
    fprintf(stderr, "error: cublasGemmEx: %s\n", cublas_msg(st));
    return false;
  }
  return true;
}
#endif

struct Record {
  std::string format;  // "2:4", "dense" or "bsr:<block_rows>x<block_cols>"
  Shape shape;
  int xd, yd;
  double ours_ms, peer_ms;  // peer_ms < 0: no peer
  double err;               // max rel err against the reference
  std::string check;        // what err was measured against
  bool ok;
  double density = -1;      // BSR: fraction of blocks kept (< 0: not a BSR record)
};

struct Meta {
  std::string gpu;
  int capability;
  std::string driver, cuda, cublas;  // cublas "" when built without it
  std::string sparsekernels, date, time;
  bool flush;
  double budget_ms;
  int failures, skipped;
  std::string peer;  // "cublas" or "none: <why>"
};

// The JSON document (schema in the header comment); numbers that could not be measured are null.
bool write_json(const char* path, const Meta& m, const std::vector<Record>& records,
                const std::vector<std::string>& gather_records, const std::vector<std::string>& attention_records) {
  std::string doc = "{\n  \"tool\": \"sk_gpu_bench\",\n";
  doc += "  \"gpu\": \"" + json_escape(m.gpu) + "\",\n  \"capability\": " + std::to_string(m.capability) + ",\n";
  doc += "  \"driver\": \"" + json_escape(m.driver) + "\",\n  \"cuda\": \"" + json_escape(m.cuda) + "\",\n";
  doc += "  \"cublas\": " + (m.cublas.empty() ? std::string("null") : "\"" + json_escape(m.cublas) + "\"") + ",\n";
  doc += "  \"sparsekernels\": \"" + json_escape(m.sparsekernels) + "\",\n";
  doc += "  \"date\": \"" + m.date + "\",\n  \"time\": \"" + m.time + "\",\n";
  doc += std::string("  \"l2_flush\": ") + (m.flush ? "true" : "false") + ",\n";
  doc += "  \"timing\": \"median of cudaEvent-timed single launches queued back to back after warm-up, "
         "device-resident buffers, default stream, ~" + std::to_string((int)m.budget_ms) + " ms per op\",\n";
  doc += "  \"failures\": " + std::to_string(m.failures) + ",\n  \"skipped\": " + std::to_string(m.skipped) +
         ",\n  \"records\": [";
  for (size_t i = 0; i < records.size(); ++i) {
    const Record& r = records[i];
    const bool peer = m.peer == "cublas" && r.peer_ms > 0 && r.ours_ms > 0;
    std::string rec = "\n    {\"op\": \"gemm\", \"format\": \"" + r.format + "\", \"device\": \"cuda\", ";
    rec += "\"shape\": {\"tokens\": " + std::to_string(r.shape.tokens) + ", \"in\": " +
           std::to_string(r.shape.in) + ", \"out\": " + std::to_string(r.shape.out) + "}, ";
    rec += std::string("\"dtype\": \"") + dtype_name(r.xd) + "\", \"y_dtype\": \"" + dtype_name(r.yd) + "\", ";
    rec += "\"ours_ms\": " + num(r.ours_ms > 0 ? r.ours_ms : NAN) + ", ";
    rec += "\"peer\": \"" + json_escape(m.peer) + "\", ";
    if (peer) rec += "\"peer_ms\": " + num(r.peer_ms) + ", \"speedup\": " + num(r.peer_ms / r.ours_ms) + ", ";
    const double fl = 2.0 * (double)r.shape.tokens * (double)r.shape.in * (double)r.shape.out;
    rec += "\"tflops\": " + num(r.ours_ms > 0 ? fl / r.ours_ms / 1e9 : NAN) + ", ";
    rec += "\"max_rel_err\": " + num(r.err) + ", \"checked_against\": \"" + r.check + "\", \"verified\": " +
           (r.ok ? "true" : "false");
    if (r.format == "2:4")
      rec += ", \"note\": \"tflops counts dense-equivalent FLOPs (2*tokens*in*out), though 2:4 does half the "
             "multiply-adds\"";
    if (r.density >= 0)
      rec += ", \"density\": " + num(r.density) +
             ", \"note\": \"tflops counts dense-equivalent FLOPs (2*tokens*in*out); the kernel does density times "
             "that; peer: cuBLAS dense on the same pruned W\"";
    rec += i + 1 < records.size() ? "}," : "}";
    doc += rec;
  }
  doc += "\n  ],\n  \"gather_records\": [";
  for (size_t i = 0; i < gather_records.size(); ++i)
    doc += "\n    " + gather_records[i] + (i + 1 < gather_records.size() ? "," : "");
  doc += "\n  ],\n  \"attention_records\": [";
  for (size_t i = 0; i < attention_records.size(); ++i)
    doc += "\n    " + attention_records[i] + (i + 1 < attention_records.size() ? "," : "");
  doc += "\n  ]\n}\n";
  FILE* f = fopen(path, "w");
  if (!f) {
    fprintf(stderr, "error: cannot write %s\n", path);
    return false;
  }
  const bool ok = fwrite(doc.data(), 1, doc.size(), f) == doc.size();
  if (fclose(f) != 0 || !ok) {
    fprintf(stderr, "error: writing %s failed\n", path);
    return false;
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  Options opt;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&]() -> const char* {
      if (i + 1 >= argc) {
        fprintf(stderr, "sk_gpu_bench: %s needs a value\n", a.c_str());
        exit(64);
      }
      return argv[++i];
    };
    if (a == "--json") {
      opt.json = value();
    } else if (a == "--budget-ms") {
      opt.budget_ms = atof(value());
    } else if (a == "--max-seconds") {
      opt.max_seconds = atof(value());
    } else if (a == "--shapes") {
      if (!parse_shapes(value(), opt.shapes)) {
        fprintf(stderr, "sk_gpu_bench: --shapes wants TxIxO[,TxIxO...] with in a multiple of 8\n");
        return 64;
      }
    } else if (a == "--no-flush") {
      opt.flush = false;
    } else if (a == "--f32-only") {
      opt.f32_only = true;
    } else if (a == "--bsr-only") {
      opt.gemm = false;
      opt.gather = false;
      opt.attention = false;
    } else if (a == "--no-bsr") {
      opt.bsr = false;
    } else if (a == "--bsr-densities") {
      opt.bsr_densities.clear();
      std::string list(value());
      for (size_t pos = 0; pos <= list.size();) {
        size_t end = list.find(',', pos);
        if (end == std::string::npos) end = list.size();
        char* stop = nullptr;
        const std::string item = list.substr(pos, end - pos);
        const double d = strtod(item.c_str(), &stop);
        if (item.empty() || *stop != '\0' || !(d > 0 && d <= 1)) {
          fprintf(stderr, "sk_gpu_bench: --bsr-densities wants D[,D...] with each D in (0, 1], got '%s'\n",
                  list.c_str());
          return 64;
        }
        opt.bsr_densities.push_back(d);
        pos = end + 1;
      }
    } else if (a == "--gather-only") {
      opt.gemm = false;
      opt.bsr = false;
      opt.attention = false;
    } else if (a == "--no-gather") {
      opt.gather = false;
    } else if (a == "--no-attention") {
      opt.attention = false;
    } else if (a == "--attention-only") {
      opt.gemm = false;
      opt.bsr = false;
      opt.gather = false;
    } else if (a == "--gather-shape") {
      long long r = 0, c = 0;
      char tail;
      if (sscanf(value(), "%lldx%lld%c", &r, &c, &tail) != 2 || r < 2 || c < 2 || r > (1 << 20) || c > (1 << 20)) {
        fprintf(stderr, "sk_gpu_bench: --gather-shape wants RxC with 2 <= R, C <= 1048576\n");
        return 64;
      }
      opt.gather_rows = r;
      opt.gather_cols = c;
    } else if (a == "--bsr-shape") {
      std::vector<Shape> one;
      if (!parse_shapes(value(), one) || one.size() != 1 || one[0].in % 64 != 0 || one[0].out % 64 != 0) {
        fprintf(stderr, "sk_gpu_bench: --bsr-shape wants one TxIxO with in and out multiples of 64\n");
        return 64;
      }
      opt.bsr_shape = one[0];
    } else if (a == "-h" || a == "--help") {
      printf("usage: sk_gpu_bench [--json FILE] [--budget-ms MS] [--max-seconds S] [--shapes TxIxO,...] "
             "[--no-flush] [--f32-only] [--bsr-only | --no-bsr] [--bsr-shape TxIxO] [--bsr-densities D,...] "
             "[--gather-only | --no-gather] "
             "[--gather-shape RxC] [--attention-only | --no-attention]\n");
      return 0;
    } else {
      fprintf(stderr, "sk_gpu_bench: unknown argument '%s' (see --help)\n", a.c_str());
      return 64;
    }
  }
  if (!(opt.budget_ms > 0) || !(opt.max_seconds > 0)) {
    fprintf(stderr, "sk_gpu_bench: --budget-ms and --max-seconds must be > 0\n");
    return 64;
  }
  const auto t_start = std::chrono::steady_clock::now();
  auto elapsed_s = [&]() {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t_start).count();
  };

  int count = 0;
  sk_device_count(&count);
  if (count == 0) {
    printf("SKIP: no GPU: %s\n", sk_last_error());
    return 2;
  }
  int own_count = 0;  // this program's cudart (used for events and cuBLAS) must see the device too
  if (cudaGetDeviceCount(&own_count) != cudaSuccess || own_count == 0) {
    printf("SKIP: no GPU for the benchmark's own CUDA runtime\n");
    return 2;
  }
  if (!sk_ok(sk_set_device(0), "sk_set_device") || !cuda_ok(cudaSetDevice(0), "cudaSetDevice")) return 1;

  char name[256] = "";
  int cap = 0, rt = 0;
  sk_device_name(0, name, sizeof name);
  sk_device_capability(0, &cap);
  cudaRuntimeGetVersion(&rt);
  char rt_s[32];
  snprintf(rt_s, sizeof rt_s, "%d.%d", rt / 1000, (rt % 1000) / 10);
  const std::string driver = driver_version();
  char date[32], stamp[40];
  {
    time_t now = time(nullptr);
    struct tm tmv;
    gmtime_r(&now, &tmv);
    strftime(date, sizeof date, "%Y-%m-%d", &tmv);
    strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%SZ", &tmv);
  }

  std::string peer_name = "cublas", cublas_version = "";
#if SK_BENCH_CUBLAS
  cublasHandle_t handle = nullptr;
  {
    const cublasStatus_t st = cublasCreate(&handle);
    if (st != CUBLAS_STATUS_SUCCESS) {
      fprintf(stderr, "error: cublasCreate: %s\n", cublas_msg(st));
      return 1;
    }
    cublasSetStream(handle, nullptr);
    int v = 0;
    cublasGetVersion(handle, &v);
    char buf[32];
    snprintf(buf, sizeof buf, "%d.%d.%d", v / 10000, (v / 100) % 100, v % 100);
    cublas_version = buf;
  }
  const bool have_cublas = true;
  auto peer_gemm = [&](const void* x, int xd, const void* w, void* y, int yd, const Shape& s) {
    return cublas_gemm(handle, x, xd, w, y, yd, s);
  };
#else
  // Not linked against cuBLAS (CMake found none, e.g. binaries built on a machine without it and carried to the GPU
  // host): the library's run-time cuBLAS (sk_blas_gemm, the same cublasGemmEx call) is the peer where the host has one.
  const bool have_cublas = sk_blas_status() == SK_OK;
  if (have_cublas) {
    cublas_version = std::string(sk_last_error()) + " (loaded at run time)";
  } else {
    peer_name = std::string("none: sk_gpu_bench was built without cuBLAS and the library found none at run time (") +
                sk_last_error() + ")";
  }
  auto peer_gemm = [&](const void* x, int xd, const void* w, void* y, int yd, const Shape& s) {
    return sk_ok(sk_blas_gemm(x, xd, w, nullptr, y, yd, s.tokens, s.in, s.out, nullptr), "sk_blas_gemm");
  };
#endif
  printf("device 0: %s (sm_%d), driver %s, CUDA runtime %s, sparsekernels %s, peer %s%s%s\n", name, cap,
         driver.c_str(), rt_s, sk_version(), have_cublas ? "cuBLAS " : "", have_cublas ? cublas_version.c_str() : "",
         have_cublas ? "" : "none (no cuBLAS)");
  printf("timing: median of cudaEvent-timed runs after warm-up, ~%.0f ms per op, L2 %s, default stream\n",
         opt.budget_ms, opt.flush ? "flushed before each run" : "not flushed");

  Timer timer;
  timer.flush = opt.flush;
  timer.ev.resize(2 * 64);
  for (auto& e : timer.ev)
    if (!cuda_ok(cudaEventCreate(&e), "cudaEventCreate")) return 1;
  DeviceBuf flush_buf;
  if (opt.flush) {
    int l2 = 0;
    cudaDeviceGetAttribute(&l2, cudaDevAttrL2CacheSize, 0);
    timer.flush_bytes = std::max<size_t>((size_t)l2 * 2, (size_t)64 << 20);
    if (!sk_ok(sk_malloc(&flush_buf.p, timer.flush_bytes), "sk_malloc flush buffer")) return 1;
    timer.flush_buf = flush_buf.p;
  }

  int64_t max_tokens = 0, max_in = 0, max_out = 0;
  for (const Shape& s : opt.shapes) {
    max_tokens = std::max(max_tokens, s.tokens);
    max_in = std::max(max_in, s.in);
    max_out = std::max(max_out, s.out);
  }
  // One X per dtype ([max_tokens, max_in], smaller shapes use a prefix: row-major with in == max_in, else a
  // separate layout is needed, so X is rebuilt when `in` changes) and three outputs sized for the largest shape.
  DeviceBuf dx, ys, yd, yc;
  const size_t ybytes = (size_t)max_tokens * (size_t)max_out * 4;
  if (!sk_ok(sk_malloc(&dx.p, (size_t)max_tokens * (size_t)max_in * 2), "sk_malloc X") ||
      !sk_ok(sk_malloc(&ys.p, ybytes), "sk_malloc Y") || !sk_ok(sk_malloc(&yd.p, ybytes), "sk_malloc Y") ||
      (have_cublas && !sk_ok(sk_malloc(&yc.p, ybytes), "sk_malloc Y")))
    return 1;

  std::vector<Record> records;
  int failures = 0, skipped = 0;
  printf("\n%-18s %-4s %-4s %10s %10s %10s %8s %8s %9s %9s  %s\n", "tokens x in x out", "x", "y", "2:4 ms",
         "dense ms", "cublas ms", "2:4/cub", "dns/cub", "2:4 TF/s", "dns TF/s", "verify (max rel err)");
  for (int xd : {SK_DTYPE_F16, SK_DTYPE_BF16}) {
    if (!opt.gemm) break;
    int64_t x_in = -1;
    Weights w;
    for (const Shape& s : opt.shapes) {
      if (elapsed_s() > opt.max_seconds) {
        printf("SKIP %lldx%lldx%lld %s: past --max-seconds %.0f\n", (long long)s.tokens, (long long)s.in,
               (long long)s.out, dtype_name(xd), opt.max_seconds);
        ++skipped;
        continue;
      }
      if (x_in != s.in) {  // X [max_tokens, in]
        std::vector<uint16_t> x((size_t)(max_tokens * s.in));
        Rng rng(1000 + (uint64_t)xd);
        for (auto& v : x) v = to_bits(rng.uni(), xd);
        if (!sk_ok(sk_memcpy_h2d(dx.p, x.data(), x.size() * 2, nullptr), "upload X")) return 1;
        x_in = s.in;
      }
      if (w.in != s.in || w.out != s.out) {
        w.reset();
        if (!make_weights(w, s.in, s.out, xd, 7 + (uint64_t)s.out * 31 + (uint64_t)s.in + (uint64_t)xd)) return 1;
      }
      const double flops = 2.0 * (double)s.tokens * (double)s.in * (double)s.out;
      for (int ydt : {SK_DTYPE_F32, xd}) {
        if (ydt != SK_DTYPE_F32 && opt.f32_only) continue;
        auto run_sparse = [&]() {
          return sk_ok(sk_sparse24_gemm(dx.p, xd, w.gv.p, (const uint32_t*)w.gm.p, nullptr, ys.p, ydt, s.tokens,
                                        s.in, s.out, nullptr),
                       "sk_sparse24_gemm");
        };
        auto run_dense = [&]() {
          return sk_ok(sk_dense_gemm(dx.p, xd, w.dense.p, nullptr, yd.p, ydt, s.tokens, s.in, s.out, nullptr),
                       "sk_dense_gemm");
        };
        auto run_peer = [&]() { return peer_gemm(dx.p, xd, w.dense.p, yc.p, ydt, s); };
        // Verify first: one run of each into outputs pre-filled with NaN (all-ones bytes in f32, f16 and bf16), so a
        // kernel that writes nothing cannot pass on stale results; compared on the host.
        const size_t n = (size_t)(s.tokens * s.out), ysize = n * (ydt == SK_DTYPE_F32 ? 4 : 2);
        bool ran = cuda_ok(cudaMemset(ys.p, 0xff, ysize), "cudaMemset") &&
                   cuda_ok(cudaMemset(yd.p, 0xff, ysize), "cudaMemset") &&
                   (!have_cublas || cuda_ok(cudaMemset(yc.p, 0xff, ysize), "cudaMemset"));
        ran = ran && run_sparse() && run_dense();
        ran = ran && (!have_cublas || run_peer());
        ran = ran && cuda_ok(cudaDeviceSynchronize(), "verification runs");
        double err_s = NAN, err_d = NAN, err_sd = NAN;
        if (ran) {
          const std::vector<float> hs = fetch(ys.p, n, ydt), hd = fetch(yd.p, n, ydt);
          err_sd = max_rel_err(hs, hd);
          if (have_cublas) {
            const std::vector<float> hc = fetch(yc.p, n, ydt);
            err_s = max_rel_err(hs, hc);
            err_d = max_rel_err(hd, hc);
          } else {
            err_s = err_d = err_sd;
          }
        }
        const double tol = tolerance(ydt);
        const bool ok_s = err_s <= tol && err_sd <= tol, ok_d = err_d <= tol;
        const double t_s = ran ? timer.median_ms(run_sparse, opt.budget_ms) : -1;
        const double t_d = ran ? timer.median_ms(run_dense, opt.budget_ms) : -1;
        double t_c = -1;
        if (ran && have_cublas) t_c = timer.median_ms(run_peer, opt.budget_ms);
        const bool timed = t_s > 0 && t_d > 0 && (!have_cublas || t_c > 0);
        char shape_s[48];
        snprintf(shape_s, sizeof shape_s, "%lldx%lldx%lld", (long long)s.tokens, (long long)s.in, (long long)s.out);
        auto ms = [](double v) {
          char b[24];
          if (v > 0) snprintf(b, sizeof b, "%.4f", v);
          else snprintf(b, sizeof b, "-");
          return std::string(b);
        };
        auto ratio = [](double peer, double ours) {
          char b[24];
          if (peer > 0 && ours > 0) snprintf(b, sizeof b, "%.2fx", peer / ours);
          else snprintf(b, sizeof b, "-");
          return std::string(b);
        };
        auto tf = [&](double v) {
          char b[24];
          if (v > 0) snprintf(b, sizeof b, "%.1f", flops / v / 1e9);
          else snprintf(b, sizeof b, "-");
          return std::string(b);
        };
        printf("%-18s %-4s %-4s %10s %10s %10s %8s %8s %9s %9s  2:4 %.2e, dense %.2e%s\n", shape_s, dtype_name(xd),
               dtype_name(ydt), ms(t_s).c_str(), ms(t_d).c_str(), ms(t_c).c_str(), ratio(t_c, t_s).c_str(),
               ratio(t_c, t_d).c_str(), tf(t_s).c_str(), tf(t_d).c_str(), err_s, err_d,
               have_cublas ? "" : " (vs each other)");
        const char* against = have_cublas ? "cuBLAS" : "sk_dense_gemm";
        printf("%s verify sk_sparse24_gemm %s x=%s y=%s vs %s: max rel err %.2e (tol %.0e)\n", ok_s ? "PASS" : "FAIL",
               shape_s, dtype_name(xd), dtype_name(ydt), against, err_s, tol);
        if (have_cublas)
          printf("%s verify sk_dense_gemm    %s x=%s y=%s vs cuBLAS: max rel err %.2e (tol %.0e)\n",
                 ok_d ? "PASS" : "FAIL", shape_s, dtype_name(xd), dtype_name(ydt), err_d, tol);
        if (!timed) printf("FAIL timing %s x=%s y=%s: a timed run failed (see stderr)\n", shape_s, dtype_name(xd),
                           dtype_name(ydt));
        failures += (ok_s ? 0 : 1) + (have_cublas && !ok_d ? 1 : 0) + (timed ? 0 : 1);
        records.push_back({"2:4", s, xd, ydt, t_s, t_c, err_s, have_cublas ? "cublas" : "sk_dense_gemm", ok_s});
        records.push_back({"dense", s, xd, ydt, t_d, t_c, err_d, have_cublas ? "cublas" : "sk_sparse24_gemm",
                           have_cublas ? ok_d : ok_s});
        fflush(stdout);
      }
    }
  }
  // ---- BSR: sk_bsr_gemm on a block-pruned W against cuBLAS on the same W stored dense ----
  // Blocks kept: round(density * NBR * NBC) chosen uniformly over the whole matrix (global pruning: block rows hold
  // different counts), values uniform in [-1, 1). Verified against cuBLAS (or sk_dense_gemm without cuBLAS) on the
  // dense matrix with zeros outside the kept blocks; the peer is timed once per dtype pair (its time does not
  // depend on the values). Output in the input dtype (F32 with --f32-only). The schedule (sk_bsr_plan) is made
  // for the benchmarked token count, outside the timing, as a caller would do once per weight matrix.
  if (opt.bsr) {
    const Shape s = opt.bsr_shape;
    const int64_t bsr_x_elems = s.tokens * s.in;
    DeviceBuf bx, by, bc, bdw;
    const size_t ymax = (size_t)(s.tokens * s.out) * 4;
    if (!sk_ok(sk_malloc(&bx.p, (size_t)bsr_x_elems * 2), "sk_malloc X") || !sk_ok(sk_malloc(&by.p, ymax), "sk_malloc Y") ||
        !sk_ok(sk_malloc(&bc.p, ymax), "sk_malloc Y") || !sk_ok(sk_malloc(&bdw.p, (size_t)(s.out * s.in) * 2), "sk_malloc W"))
      return 1;
    printf("\n%-18s %-9s %-7s %-4s %-4s %10s %10s %8s %9s  %s\n", "tokens x in x out", "format", "density", "x", "y",
           "bsr ms", "peer ms", "peer/bsr", "bsr TF/s", "verify (max rel err)");
    for (int xd : {SK_DTYPE_BF16, SK_DTYPE_F16}) {
      {
        std::vector<uint16_t> x((size_t)bsr_x_elems);
        Rng rng(2000 + (uint64_t)xd);
        for (auto& v : x) v = to_bits(rng.uni(), xd);
        if (!sk_ok(sk_memcpy_h2d(bx.p, x.data(), x.size() * 2, nullptr), "upload X")) return 1;
      }
      const int ydt = opt.f32_only ? SK_DTYPE_F32 : xd;
      double t_peer = -1;
      for (int bs : {64, 32}) {
        if (s.out % bs != 0 || s.in % bs != 0) continue;
        for (double density : opt.bsr_densities) {
          char fmt[32], shape_s[48];
          snprintf(fmt, sizeof fmt, "bsr:%dx%d", bs, bs);
          snprintf(shape_s, sizeof shape_s, "%lldx%lldx%lld", (long long)s.tokens, (long long)s.in, (long long)s.out);
          if (elapsed_s() > opt.max_seconds) {
            printf("SKIP %s %s density %.2f %s: past --max-seconds %.0f\n", shape_s, fmt, density, dtype_name(xd),
                   opt.max_seconds);
            ++skipped;
            continue;
          }
          const int64_t nbr = s.out / bs, nbc = s.in / bs, cells = nbr * nbc;
          const int64_t keep = std::max<int64_t>(1, std::llround(density * (double)cells));
          Rng rng(31 + (uint64_t)bs * 7 + (uint64_t)(density * 1000) + (uint64_t)xd);
          std::vector<int64_t> order((size_t)cells);
          for (int64_t i = 0; i < cells; ++i) order[(size_t)i] = i;
          for (int64_t i = 0; i < keep; ++i) std::swap(order[(size_t)i], order[(size_t)(i + (int64_t)(rng.next() % (uint64_t)(cells - i)))]);
          std::sort(order.begin(), order.begin() + keep);  // row-major block order = BSR order
          std::vector<int32_t> rp((size_t)nbr + 1, 0), ci((size_t)keep);
          for (int64_t n = 0; n < keep; ++n) {
            ci[(size_t)n] = (int32_t)(order[(size_t)n] % nbc);
            ++rp[(size_t)(order[(size_t)n] / nbc) + 1];
          }
          for (int64_t r = 0; r < nbr; ++r) rp[(size_t)r + 1] += rp[(size_t)r];
          std::vector<uint16_t> vals((size_t)(keep * bs * bs)), dense((size_t)(s.out * s.in), 0);
          for (int64_t r = 0; r < nbr; ++r)
            for (int64_t n = rp[(size_t)r]; n < rp[(size_t)r + 1]; ++n)
              for (int i = 0; i < bs; ++i)
                for (int j = 0; j < bs; ++j) {
                  const uint16_t v = to_bits(rng.uni(), xd);
                  vals[(size_t)((n * bs + i) * bs + j)] = v;
                  dense[(size_t)((r * bs + i) * s.in + (int64_t)ci[(size_t)n] * bs + j)] = v;
                }
          if (!sk_ok(sk_bsr_check(rp.data(), ci.data(), keep, bs, bs, s.out, s.in), "sk_bsr_check")) return 1;
          int64_t ws_bytes = 0;
          if (!sk_ok(sk_bsr_workspace_size(rp.data(), keep, bs, bs, s.tokens, s.out, &ws_bytes), "sk_bsr_workspace_size"))
            return 1;
          std::vector<uint8_t> ws((size_t)ws_bytes);
          if (!sk_ok(sk_bsr_plan(rp.data(), keep, bs, bs, s.tokens, s.out, ws_bytes ? ws.data() : nullptr, ws_bytes),
                     "sk_bsr_plan"))
            return 1;
          DeviceBuf drp, dci, dv, dws;
          if (!sk_ok(sk_malloc(&drp.p, rp.size() * 4), "sk_malloc row_ptr") ||
              !sk_ok(sk_malloc(&dci.p, ci.size() * 4), "sk_malloc col_idx") ||
              !sk_ok(sk_malloc(&dv.p, vals.size() * 2), "sk_malloc values") ||
              (ws_bytes && !sk_ok(sk_malloc(&dws.p, (size_t)ws_bytes), "sk_malloc workspace")) ||
              !sk_ok(sk_memcpy_h2d(drp.p, rp.data(), rp.size() * 4, nullptr), "upload row_ptr") ||
              !sk_ok(sk_memcpy_h2d(dci.p, ci.data(), ci.size() * 4, nullptr), "upload col_idx") ||
              !sk_ok(sk_memcpy_h2d(dv.p, vals.data(), vals.size() * 2, nullptr), "upload values") ||
              (ws_bytes && !sk_ok(sk_memcpy_h2d(dws.p, ws.data(), (size_t)ws_bytes, nullptr), "upload workspace")) ||
              !sk_ok(sk_memcpy_h2d(bdw.p, dense.data(), dense.size() * 2, nullptr), "upload dense W"))
            return 1;
          auto run_bsr = [&]() {
            return sk_ok(sk_bsr_gemm(bx.p, xd, (const int32_t*)drp.p, (const int32_t*)dci.p, dv.p, keep, bs, bs, dws.p,
                                     nullptr, by.p, ydt, s.tokens, s.in, s.out, nullptr),
                         "sk_bsr_gemm");
          };
          auto run_ref = [&]() {
            if (have_cublas) return peer_gemm(bx.p, xd, bdw.p, bc.p, ydt, s);
            return sk_ok(sk_dense_gemm(bx.p, xd, bdw.p, nullptr, bc.p, ydt, s.tokens, s.in, s.out, nullptr), "sk_dense_gemm");
          };
          const size_t n = (size_t)(s.tokens * s.out), ysize = n * (ydt == SK_DTYPE_F32 ? 4 : 2);
          bool ran = cuda_ok(cudaMemset(by.p, 0xff, ysize), "cudaMemset") && cuda_ok(cudaMemset(bc.p, 0xff, ysize), "cudaMemset") &&
                     run_bsr() && run_ref() && cuda_ok(cudaDeviceSynchronize(), "verification runs");
          double err = NAN;
          if (ran) err = max_rel_err(fetch(by.p, n, ydt), fetch(bc.p, n, ydt));
          const double tol = tolerance(ydt);
          const bool ok = err <= tol;
          const double t_b = ran ? timer.median_ms(run_bsr, opt.budget_ms) : -1;
          if (ran && have_cublas && t_peer < 0) t_peer = timer.median_ms(run_ref, opt.budget_ms);
          const double t_c = have_cublas ? t_peer : -1;
          const bool timed = t_b > 0 && (!have_cublas || t_c > 0);
          const double flops = 2.0 * (double)s.tokens * (double)s.in * (double)s.out;
          char tb[24] = "-", tc[24] = "-", ratio[24] = "-", tf[24] = "-";
          if (t_b > 0) snprintf(tb, sizeof tb, "%.4f", t_b);
          if (t_c > 0) snprintf(tc, sizeof tc, "%.4f", t_c);
          if (t_b > 0 && t_c > 0) snprintf(ratio, sizeof ratio, "%.2fx", t_c / t_b);
          if (t_b > 0) snprintf(tf, sizeof tf, "%.1f", density * flops / t_b / 1e9);
          printf("%-18s %-9s %-7.2f %-4s %-4s %10s %10s %8s %9s  %.2e (%lld blocks, workspace %lld B)\n", shape_s, fmt,
                 density, dtype_name(xd), dtype_name(ydt), tb, tc, ratio, tf, err, (long long)keep, (long long)ws_bytes);
          printf("%s verify sk_bsr_gemm %s %s density %.2f x=%s y=%s vs %s: max rel err %.2e (tol %.0e)\n",
                 ok ? "PASS" : "FAIL", shape_s, fmt, density, dtype_name(xd), dtype_name(ydt),
                 have_cublas ? "cuBLAS (dense, same W)" : "sk_dense_gemm", err, tol);
          if (!timed) printf("FAIL timing %s %s x=%s: a timed run failed (see stderr)\n", shape_s, fmt, dtype_name(xd));
          failures += (ok ? 0 : 1) + (timed ? 0 : 1);
          Record rec{fmt, s, xd, ydt, t_b, t_c, err, have_cublas ? "cublas" : "sk_dense_gemm", ok};
          rec.density = (double)keep / (double)cells;
          records.push_back(rec);
          fflush(stdout);
        }
      }
    }
  }
  // ---- gathers (structured channel removal): ours against cudaMemcpy of the same bytes ----
  std::vector<std::string> gather_records;
  if (opt.gather)
    failures += gather_bench(
        opt.gather_rows, opt.gather_cols,
        [&](const std::function<bool()>& fn) { return timer.median_ms(fn, opt.budget_ms); },
        [&]() { return elapsed_s() > opt.max_seconds; }, gather_records, skipped);
  // ---- fused attention ----
  std::vector<std::string> attention_records;
  if (opt.attention)
    failures += attention_bench([&](const std::function<bool()>& fn) { return timer.median_ms(fn, opt.budget_ms); },
                                [&]() { return elapsed_s() > opt.max_seconds; }, attention_records, skipped);
#if SK_BENCH_CUBLAS
  cublasDestroy(handle);
#endif
  for (auto& e : timer.ev) cudaEventDestroy(e);

  if (opt.json) {
    Meta meta{name, cap, driver, rt_s, cublas_version, sk_version(), date, stamp, opt.flush, opt.budget_ms,
              failures, skipped, peer_name};
    if (!write_json(opt.json, meta, records, gather_records, attention_records)) return 1;
    printf("wrote %s\n", opt.json);
  }
  printf("%s: sk_gpu_bench %zu records (+%zu gather), %d failed checks, %d cases skipped, %.1f s\n",
         failures ? "FAIL" : "PASS", records.size(), gather_records.size(), failures, skipped, elapsed_s());
  return failures ? 1 : 0;
}
