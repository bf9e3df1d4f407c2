// LoginThrottle: slows down password guessing at POST /api/v1/login (docs/api.md,
// "Browser sessions"). Failures are counted per key, where the caller uses two keys per
// attempt: the user name and the client's address. A key gets `free_failures` failures
// for nothing; after that each new attempt must wait for a delay that doubles with every
// further failure (1 s, 2 s, 4 s, ... up to max_delay), counted from the last failure.
// An attempt made too early is refused without checking the password (429 with
// Retry-After), so an attacker gains nothing by hammering. A key forgets its failures
// once `forget_after` has passed since its last one; a success clears the user's key.
//
// The table is bounded: past max_keys, keys whose failures are forgotten are dropped,
// then the oldest ones.
//
// Thread-safety: all methods may be called concurrently.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>

#include "core/clock.h"
#include "core/mutex.h"

namespace strix::api {

struct LoginThrottleOptions {
  int free_failures = 5;
  int64_t base_delay_ms = 1'000;
  int64_t max_delay_ms = 300'000;
  int64_t forget_after_ms = 900'000;
  size_t max_keys = 50'000;
};

class LoginThrottle {
 public:
  explicit LoginThrottle(Clock* clock, LoginThrottleOptions options = {});

  // 0 when an attempt for `key` may go ahead now; else the milliseconds to wait.
  int64_t WaitMs(std::string_view key) const STRIX_EXCLUDES(mu_);
  // WaitMs and, when it is 0, Failed() in one step: an attempt counts as a failure from
  // its start, so attempts made in parallel cannot all pass the check. A success then
  // calls Succeeded (the user's key) or Forgive (the address's).
  int64_t Begin(std::string_view key) STRIX_EXCLUDES(mu_);
  // Takes back one failure of `key` (an attempt that succeeded or was not made).
  void Forgive(std::string_view key) STRIX_EXCLUDES(mu_);
  // Records a failed attempt of `key`.
  void Failed(std::string_view key) STRIX_EXCLUDES(mu_);
  // Forgets the failures of `key` (a successful login of that user).
  void Succeeded(std::string_view key) STRIX_EXCLUDES(mu_);
  // Failures counted for `key` now (0 when forgotten).
  int Failures(std::string_view key) const STRIX_EXCLUDES(mu_);
  size_t size() const STRIX_EXCLUDES(mu_);

 private:
  struct Entry {
    int failures = 0;
    int64_t last_failure_ms = 0;
  };
  int64_t DelayAfter(int failures) const;
  int64_t WaitLocked(const std::string& key, int64_t now) const STRIX_REQUIRES(mu_);
  void FailedLocked(const std::string& key, int64_t now) STRIX_REQUIRES(mu_);
  void PruneLocked(int64_t now) STRIX_REQUIRES(mu_);

  Clock* clock_;
  LoginThrottleOptions opt_;
  mutable Mutex mu_;
  std::unordered_map<std::string, Entry> entries_ STRIX_GUARDED_BY(mu_);
};

}  // namespace strix::api
