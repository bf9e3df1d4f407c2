// Clock: the injectable source of time. Production code takes a Clock& and never calls
// std::chrono clocks directly, so tests can drive time with ManualClock (retention,
// tier building, alert for-durations, agent schedules).
//
// Thread-safety: all methods may be called from any thread.
#pragma once

#include <atomic>
#include <cstdint>

namespace strix {

class Clock {
 public:
  virtual ~Clock() = default;
  // Wall-clock time, milliseconds since the Unix epoch (sample timestamps).
  virtual int64_t NowMillis() const = 0;
  // Monotonic time in nanoseconds from an arbitrary origin (durations, timeouts).
  virtual int64_t MonotonicNanos() const = 0;
  // Sleeps for `millis` of this clock's time.
  virtual void SleepMillis(int64_t millis) = 0;

  // The process-wide real clock.
  static Clock& Real();
};

// A clock that moves only when told to. Sleep advances it instantly.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(int64_t start_millis = 0) : millis_(start_millis) {}
  int64_t NowMillis() const override { return millis_.load(std::memory_order_acquire); }
  int64_t MonotonicNanos() const override { return NowMillis() * 1'000'000; }
  void SleepMillis(int64_t millis) override { Advance(millis); }
  void Set(int64_t millis) { millis_.store(millis, std::memory_order_release); }
  void Advance(int64_t millis) { millis_.fetch_add(millis, std::memory_order_acq_rel); }

 private:
  std::atomic<int64_t> millis_;
};

}  // namespace strix
