// sk_hopper_kernels: the process-wide choice between the sm_90a (wgmma) kernels and the sm_80 (mma.sync) ones on a
// Hopper device. A plain atomic: the GEMM entry points read it on every call (one relaxed load), so a test can time
// both paths in one process; the first read takes its start value from $SPARSEKERNELS_HOPPER.
#include <atomic>
#include <cstdlib>
#include <cstring>

#include "sk_internal.h"

namespace {

constexpr int kUnset = -2;
std::atomic<int> g_mode{kUnset};

// "off"/"0", "on"/"1", "experimental"/"2", "tma"/"3"; anything else (or unset) is the default, tma (since the
// 2026-11-27 H200 session measured its kernels fastest; "on" keeps the cp.async kernels that were the default before).
int mode_from_env() {
  const char* v = getenv("SPARSEKERNELS_HOPPER");
  if (v == nullptr) return SK_HOPPER_TMA;
  if (strcmp(v, "off") == 0 || strcmp(v, "0") == 0) return SK_HOPPER_OFF;
  if (strcmp(v, "on") == 0 || strcmp(v, "1") == 0) return SK_HOPPER_ON;
  if (strcmp(v, "experimental") == 0 || strcmp(v, "2") == 0) return SK_HOPPER_EXPERIMENTAL;
  return SK_HOPPER_TMA;
}

}  // namespace

namespace sk {

int hopper_mode() {
  int m = g_mode.load(std::memory_order_relaxed);
  if (m != kUnset) return m;
  int expected = kUnset;
  g_mode.compare_exchange_strong(expected, mode_from_env(), std::memory_order_relaxed);
  return g_mode.load(std::memory_order_relaxed);
}

}  // namespace sk

SK_EXPORT int sk_hopper_kernels(int mode, int* previous) {
  if (mode < SK_HOPPER_QUERY || mode > SK_HOPPER_TMA)
    return sk::fail(SK_ERR_INVALID_ARGUMENT,
                    "sk_hopper_kernels: mode must be -1 (query), 0 (off), 1 (on), 2 (experimental) or 3 (tma), got %d",
                    mode);
  const int before = sk::hopper_mode();
  if (mode != SK_HOPPER_QUERY) g_mode.store(mode, std::memory_order_relaxed);
  if (previous != nullptr) *previous = before;
  return SK_OK;
}
