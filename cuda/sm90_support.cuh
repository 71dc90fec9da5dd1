// Host-side test shared by the experimental Hopper kernels: may this kernel be launched here?
#pragma once

#include <cuda_runtime.h>

namespace skcuda {

// True when the current device is sm_90 and `kernel` carries sm_90a machine code. On an sm_90 device without it the
// driver would JIT the compute_80 PTX, whose body is a trap (its PTX version is then 80), so a plain
// "is this Hopper" test is not enough.
template <class Kernel>
inline bool sm90a_code_runs(Kernel kernel) {
  int dev = 0;
  cudaDeviceProp p;
  if (cudaGetDevice(&dev) != cudaSuccess || cudaGetDeviceProperties(&p, dev) != cudaSuccess) {
    (void)cudaGetLastError();
    return false;
  }
  if (p.major != 9) return false;
  cudaFuncAttributes a;
  if (cudaFuncGetAttributes(&a, kernel) != cudaSuccess) {
    (void)cudaGetLastError();
    return false;
  }
  return a.ptxVersion >= 90 && a.binaryVersion >= 90;
}

}  // namespace skcuda
