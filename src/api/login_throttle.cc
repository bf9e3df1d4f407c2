// LoginThrottle: see login_throttle.h.
#include "api/login_throttle.h"

#include <algorithm>
#include <vector>

namespace strix::api {

LoginThrottle::LoginThrottle(Clock* clock, LoginThrottleOptions options)
    : clock_(clock), opt_(options) {}

int64_t LoginThrottle::DelayAfter(int failures) const {
  if (failures < opt_.free_failures) return 0;
  const int doublings = std::min(failures - opt_.free_failures, 30);
  return std::min(opt_.max_delay_ms, opt_.base_delay_ms << doublings);
}

int64_t LoginThrottle::WaitLocked(const std::string& key, int64_t now) const {
  auto it = entries_.find(key);
  if (it == entries_.end()) return 0;
  const Entry& e = it->second;
  if (now - e.last_failure_ms >= opt_.forget_after_ms) return 0;
  const int64_t ready = e.last_failure_ms + DelayAfter(e.failures);
  return std::max<int64_t>(0, ready - now);
}

void LoginThrottle::FailedLocked(const std::string& key, int64_t now) {
  auto [it, inserted] = entries_.try_emplace(key);
  Entry& e = it->second;
  if (!inserted && now - e.last_failure_ms >= opt_.forget_after_ms) e.failures = 0;
  e.failures = std::min(e.failures + 1, 1 << 20);
  e.last_failure_ms = now;
  if (entries_.size() > opt_.max_keys) PruneLocked(now);
}

int64_t LoginThrottle::WaitMs(std::string_view key) const {
  const int64_t now = clock_->NowMillis();
  MutexLock l(&mu_);
  return WaitLocked(std::string(key), now);
}

int64_t LoginThrottle::Begin(std::string_view key) {
  const int64_t now = clock_->NowMillis();
  const std::string k(key);
  MutexLock l(&mu_);
  const int64_t wait = WaitLocked(k, now);
  if (wait == 0) FailedLocked(k, now);
  return wait;
}

void LoginThrottle::Forgive(std::string_view key) {
  MutexLock l(&mu_);
  auto it = entries_.find(std::string(key));
  if (it == entries_.end()) return;
  if (--it->second.failures <= 0) entries_.erase(it);
}

void LoginThrottle::Failed(std::string_view key) {
  const int64_t now = clock_->NowMillis();
  MutexLock l(&mu_);
  FailedLocked(std::string(key), now);
}

void LoginThrottle::Succeeded(std::string_view key) {
  MutexLock l(&mu_);
  entries_.erase(std::string(key));
}

int LoginThrottle::Failures(std::string_view key) const {
  const int64_t now = clock_->NowMillis();
  MutexLock l(&mu_);
  auto it = entries_.find(std::string(key));
  if (it == entries_.end() || now - it->second.last_failure_ms >= opt_.forget_after_ms) return 0;
  return it->second.failures;
}

size_t LoginThrottle::size() const {
  MutexLock l(&mu_);
  return entries_.size();
}

void LoginThrottle::PruneLocked(int64_t now) {
  std::erase_if(entries_, [&](const auto& kv) {
    return now - kv.second.last_failure_ms >= opt_.forget_after_ms;
  });
  if (entries_.size() <= opt_.max_keys) return;
  // Still full of live keys: drop the oldest half so pruning is not needed at every call.
  std::vector<int64_t> times;
  times.reserve(entries_.size());
  for (const auto& kv : entries_) times.push_back(kv.second.last_failure_ms);
  auto mid = times.begin() + static_cast<ptrdiff_t>(times.size() / 2);
  std::nth_element(times.begin(), mid, times.end());
  const int64_t cut = *mid;
  std::erase_if(entries_, [&](const auto& kv) { return kv.second.last_failure_ms < cut; });
}

}  // namespace strix::api
