// Host-side test shared by the Hopper kernels: may this kernel be launched on the current device?
#pragma once

#include <cuda_runtime.h>

#include <atomic>

namespace skcuda {

// Whether the current device is sm_90 and `kernel` carries sm_90a machine code. On an sm_90 device without it the
// driver would JIT the compute_80 PTX, whose body is a trap (its PTX version is then 80), so a plain
// "is this Hopper" test is not enough. Uncached: two attribute queries. 1 runs, 2 does not, 0 unknown (a query
// failed, e.g. out of memory while the module loads lazily): not an answer to remember.
template <class Kernel>
inline signed char sm90a_code_runs_uncached(Kernel kernel, int dev) {
  int major = 0;
  if (cudaDeviceGetAttribute(&major, cudaDevAttrComputeCapabilityMajor, dev) != cudaSuccess) {
    (void)cudaGetLastError();
    return 0;
  }
  if (major != 9) return 2;
  cudaFuncAttributes a;
  if (cudaFuncGetAttributes(&a, kernel) != cudaSuccess) {
    (void)cudaGetLastError();
    return 0;
  }
  return a.ptxVersion >= 90 && a.binaryVersion >= 90 ? 1 : 2;
}

// The answer per device, remembered: the GEMM entry points ask on every call, and the answer for a device never
// changes within a process. One cache per kernel (a static inside each *_available function).
struct Sm90Cache {
  static constexpr int kDevices = 64;
  std::atomic<signed char> state[kDevices] = {};  // 0 unknown, 1 runs, 2 does not
};

template <class Kernel>
inline bool sm90a_code_runs(Kernel kernel, Sm90Cache& cache) {
  int dev = 0;
  if (cudaGetDevice(&dev) != cudaSuccess) {
    (void)cudaGetLastError();
    return false;
  }
  if (dev < 0 || dev >= Sm90Cache::kDevices) return sm90a_code_runs_uncached(kernel, dev) == 1;
  const signed char known = cache.state[dev].load(std::memory_order_relaxed);
  if (known != 0) return known == 1;
  const signed char answer = sm90a_code_runs_uncached(kernel, dev);
  // a failed query falls back to the mma.sync kernels for this call only: remembered, it would keep the device off
  // the Hopper kernels for the rest of the process
  if (answer != 0) cache.state[dev].store(answer, std::memory_order_relaxed);
  return answer == 1;
}

// Multiprocessors of the current device (0 when unknown), cached per device like sm90a_code_runs: launch code sizes
// its grids with it on every call.
inline int sm_count() {
  static std::atomic<int> cached[Sm90Cache::kDevices] = {};
  int dev = 0;
  if (cudaGetDevice(&dev) != cudaSuccess) {
    (void)cudaGetLastError();
    return 0;
  }
  const bool cacheable = dev >= 0 && dev < Sm90Cache::kDevices;
  if (cacheable) {
    const int known = cached[dev].load(std::memory_order_relaxed);
    if (known > 0) return known;
  }
  int n = 0;
  if (cudaDeviceGetAttribute(&n, cudaDevAttrMultiProcessorCount, dev) != cudaSuccess) {
    (void)cudaGetLastError();
    return 0;
  }
  if (cacheable) cached[dev].store(n, std::memory_order_relaxed);
  return n;
}

}  // namespace skcuda
