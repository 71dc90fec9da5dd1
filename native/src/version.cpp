// Library identity: version string and whether the CUDA kernels were compiled in.
#include "sk_internal.h"

SK_EXPORT const char* sk_version(void) { return "0.1.0"; }

SK_EXPORT int sk_cuda_compiled(void) {
#ifdef SK_WITH_CUDA
  return 1;
#else
  return 0;
#endif
}
