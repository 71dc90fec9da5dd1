// Thread-local last error. A fixed char buffer (no constructor, no destructor) keeps TLS trivial, which matters
// for a library that the JVM dlopens and calls from many threads.
#include <stdarg.h>
#include <stdio.h>

#include "sk_internal.h"

namespace {
thread_local char g_last_error[1024];

void vset(const char* fmt, va_list ap) { vsnprintf(g_last_error, sizeof g_last_error, fmt, ap); }
}  // namespace

namespace sk {

int fail(int code, const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vset(fmt, ap);
  va_end(ap);
  return code;
}

void note(const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vset(fmt, ap);
  va_end(ap);
}

const char* dtype_name(int dtype) {
  switch (dtype) {
    case SK_DTYPE_F32: return "F32";
    case SK_DTYPE_F16: return "F16";
    case SK_DTYPE_BF16: return "BF16";
    default: return "unknown";
  }
}

#ifndef SK_WITH_CUDA
int no_cuda(const char* what) {
  return fail(SK_ERR_UNSUPPORTED, "%s: libsparsekernels was built without CUDA (host code only)", what);
}
#endif

}  // namespace sk

SK_EXPORT const char* sk_last_error(void) { return g_last_error; }
