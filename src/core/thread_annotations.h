// Clang thread-safety annotations (-Wthread-safety). They expand to nothing on g++,
// so the clang build in CI is what checks them. Names follow abseil's.
#pragma once

#if defined(__clang__)
#define STRIX_THREAD_ANNOTATION(x) __attribute__((x))
#else
#define STRIX_THREAD_ANNOTATION(x)
#endif

#define STRIX_CAPABILITY(x) STRIX_THREAD_ANNOTATION(capability(x))
#define STRIX_SCOPED_CAPABILITY STRIX_THREAD_ANNOTATION(scoped_lockable)
#define STRIX_GUARDED_BY(x) STRIX_THREAD_ANNOTATION(guarded_by(x))
#define STRIX_PT_GUARDED_BY(x) STRIX_THREAD_ANNOTATION(pt_guarded_by(x))
#define STRIX_ACQUIRED_BEFORE(...) STRIX_THREAD_ANNOTATION(acquired_before(__VA_ARGS__))
#define STRIX_ACQUIRED_AFTER(...) STRIX_THREAD_ANNOTATION(acquired_after(__VA_ARGS__))
#define STRIX_REQUIRES(...) STRIX_THREAD_ANNOTATION(requires_capability(__VA_ARGS__))
#define STRIX_REQUIRES_SHARED(...) STRIX_THREAD_ANNOTATION(requires_shared_capability(__VA_ARGS__))
#define STRIX_ACQUIRE(...) STRIX_THREAD_ANNOTATION(acquire_capability(__VA_ARGS__))
#define STRIX_ACQUIRE_SHARED(...) STRIX_THREAD_ANNOTATION(acquire_shared_capability(__VA_ARGS__))
#define STRIX_RELEASE(...) STRIX_THREAD_ANNOTATION(release_capability(__VA_ARGS__))
#define STRIX_RELEASE_SHARED(...) STRIX_THREAD_ANNOTATION(release_shared_capability(__VA_ARGS__))
#define STRIX_TRY_ACQUIRE(...) STRIX_THREAD_ANNOTATION(try_acquire_capability(__VA_ARGS__))
#define STRIX_EXCLUDES(...) STRIX_THREAD_ANNOTATION(locks_excluded(__VA_ARGS__))
#define STRIX_RETURN_CAPABILITY(x) STRIX_THREAD_ANNOTATION(lock_returned(x))
#define STRIX_NO_THREAD_SAFETY_ANALYSIS STRIX_THREAD_ANNOTATION(no_thread_safety_analysis)
