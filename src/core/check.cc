// Abort path of STRIX_CHECK.
#include "core/check.h"

#include <cstdio>
#include <cstdlib>

namespace strix::internal {

void CheckFailed(const char* file, int line, const char* cond, const char* msg) {
  std::fprintf(stderr, "%s:%d: check failed: %s%s%s\n", file, line, cond, msg ? ": " : "",
               msg ? msg : "");
  std::fflush(stderr);
  std::abort();
}

}  // namespace strix::internal
