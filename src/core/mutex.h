// Mutex, SharedMutex and their scoped locks: std::mutex and std::shared_mutex wearing
// thread-safety annotations so that clang can check STRIX_GUARDED_BY declarations.
// CondVar waits on a MutexLock.
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <shared_mutex>

#include "core/thread_annotations.h"

namespace strix {

class STRIX_CAPABILITY("mutex") Mutex {
 public:
  Mutex() = default;
  Mutex(const Mutex&) = delete;
  Mutex& operator=(const Mutex&) = delete;

  void Lock() STRIX_ACQUIRE() { mu_.lock(); }
  void Unlock() STRIX_RELEASE() { mu_.unlock(); }
  bool TryLock() STRIX_TRY_ACQUIRE(true) { return mu_.try_lock(); }
  // Documents (and, under clang, tells the analysis) that the caller holds the lock.
  void AssertHeld() const STRIX_THREAD_ANNOTATION(assert_capability(this)) {}

 private:
  friend class CondVar;
  std::mutex mu_;
};

class STRIX_SCOPED_CAPABILITY MutexLock {
 public:
  explicit MutexLock(Mutex* mu) STRIX_ACQUIRE(mu) : mu_(mu) { mu_->Lock(); }
  ~MutexLock() STRIX_RELEASE() { mu_->Unlock(); }
  MutexLock(const MutexLock&) = delete;
  MutexLock& operator=(const MutexLock&) = delete;

 private:
  Mutex* const mu_;
};

class STRIX_CAPABILITY("shared_mutex") SharedMutex {
 public:
  void Lock() STRIX_ACQUIRE() { mu_.lock(); }
  void Unlock() STRIX_RELEASE() { mu_.unlock(); }
  void LockShared() STRIX_ACQUIRE_SHARED() { mu_.lock_shared(); }
  void UnlockShared() STRIX_RELEASE_SHARED() { mu_.unlock_shared(); }

 private:
  std::shared_mutex mu_;
};

class STRIX_SCOPED_CAPABILITY WriterLock {
 public:
  explicit WriterLock(SharedMutex* mu) STRIX_ACQUIRE(mu) : mu_(mu) { mu_->Lock(); }
  ~WriterLock() STRIX_RELEASE() { mu_->Unlock(); }
  WriterLock(const WriterLock&) = delete;
  WriterLock& operator=(const WriterLock&) = delete;

 private:
  SharedMutex* const mu_;
};

class STRIX_SCOPED_CAPABILITY ReaderLock {
 public:
  explicit ReaderLock(SharedMutex* mu) STRIX_ACQUIRE_SHARED(mu) : mu_(mu) { mu_->LockShared(); }
  ~ReaderLock() STRIX_RELEASE() { mu_->UnlockShared(); }
  ReaderLock(const ReaderLock&) = delete;
  ReaderLock& operator=(const ReaderLock&) = delete;

 private:
  SharedMutex* const mu_;
};

// Condition variable bound to a Mutex. The caller must hold `mu` when calling Wait*.
class CondVar {
 public:
  void Wait(Mutex* mu) STRIX_REQUIRES(mu) {
    std::unique_lock<std::mutex> lk(mu->mu_, std::adopt_lock);
    cv_.wait(lk);
    lk.release();
  }
  // Returns false on timeout.
  template <typename Rep, typename Period>
  bool WaitFor(Mutex* mu, std::chrono::duration<Rep, Period> d) STRIX_REQUIRES(mu) {
    std::unique_lock<std::mutex> lk(mu->mu_, std::adopt_lock);
    bool signalled = cv_.wait_for(lk, d) == std::cv_status::no_timeout;
    lk.release();
    return signalled;
  }
  void Signal() { cv_.notify_one(); }
  void SignalAll() { cv_.notify_all(); }

 private:
  std::condition_variable cv_;
};

}  // namespace strix
