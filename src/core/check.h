// STRIX_CHECK: invariants that must hold. A failure is a programmer error: it prints
// file:line and the condition to stderr and aborts (redis serverAssert). Checks stay
// on in optimised builds; STRIX_DCHECK compiles away under NDEBUG.
#pragma once

namespace strix::internal {
[[noreturn]] void CheckFailed(const char* file, int line, const char* cond, const char* msg);
}  // namespace strix::internal

#define STRIX_CHECK(cond)                                                 \
  do {                                                                    \
    if (__builtin_expect(!(cond), 0))                                     \
      ::strix::internal::CheckFailed(__FILE__, __LINE__, #cond, nullptr); \
  } while (0)

#define STRIX_CHECK_MSG(cond, msg)                                      \
  do {                                                                  \
    if (__builtin_expect(!(cond), 0))                                   \
      ::strix::internal::CheckFailed(__FILE__, __LINE__, #cond, (msg)); \
  } while (0)

#ifdef NDEBUG
#define STRIX_DCHECK(cond) \
  do {                     \
  } while (0)
#else
#define STRIX_DCHECK(cond) STRIX_CHECK(cond)
#endif
