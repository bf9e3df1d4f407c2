// Tests of the scheduler with real threads and the real clock, at short intervals: rounds
// on aligned ticks, a slow input skipping rounds (counted) instead of piling up, and a run
// past its timeout having its points dropped.
#include "agents/agent/scheduler.h"

#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <thread>

namespace strix::agents {
namespace {

using namespace std::chrono_literals;

class FakeInput final : public Input {
 public:
  explicit FakeInput(std::chrono::milliseconds work) : work_(work) {}
  Status Collect(const CollectContext& ctx, std::vector<Point>* out) override {
    std::this_thread::sleep_for(work_);
    Point p;
    p.measurement = "fake";
    p.fields.push_back({"v", FieldValue::Gauge(1)});
    p.timestamp_ms = ctx.now_ms;
    out->push_back(p);
    return Status::Ok();
  }

 private:
  std::chrono::milliseconds work_;
};

struct Sunk {
  std::mutex mu;
  std::vector<int64_t> ticks;
};

TEST(Scheduler, RoundsRunOnAlignedTicksWithTheTickAsTimestamp) {
  Sunk sunk;
  Scheduler s(Clock::Real(), "agent-x",
              [&](const ScheduledInput&, int64_t tick, std::vector<Point>& pts) {
                std::lock_guard<std::mutex> l(sunk.mu);
                sunk.ticks.push_back(tick);
                ASSERT_EQ(pts.size(), 1u);
                EXPECT_EQ(pts[0].timestamp_ms, tick);
              });
  ScheduledInput* in = s.Add("fast", 100, 90, std::make_unique<FakeInput>(0ms));
  s.Start();
  std::this_thread::sleep_for(1050ms);
  s.Stop();
  std::lock_guard<std::mutex> l(sunk.mu);
  ASSERT_GE(sunk.ticks.size(), 8u);
  const int64_t offset = ScheduleOffset("agent-x/fast", 100);
  for (size_t i = 0; i < sunk.ticks.size(); ++i) {
    EXPECT_EQ(((sunk.ticks[i] - offset) % 100 + 100) % 100, 0) << sunk.ticks[i];
    if (i > 0) {
      EXPECT_EQ(sunk.ticks[i] - sunk.ticks[i - 1], 100);
    }
  }
  EXPECT_EQ(in->stats.skipped.load(), 0u);
  EXPECT_EQ(in->stats.timeouts.load(), 0u);
}

TEST(Scheduler, AnOverrunSkipsRoundsAndCountsThemWithoutPilingUp) {
  std::atomic<int> rounds{0};
  Scheduler s(Clock::Real(), "agent-y",
              [&](const ScheduledInput&, int64_t, std::vector<Point>&) { ++rounds; });
  // 130 ms of work on a 50 ms interval with a 40 ms timeout: every run is late.
  ScheduledInput* in = s.Add("slow", 50, 40, std::make_unique<FakeInput>(130ms));
  s.Start();
  std::this_thread::sleep_for(1000ms);
  s.Stop();
  const uint64_t runs = in->stats.runs.load();
  EXPECT_GE(runs, 4u);
  EXPECT_LE(runs, 9u);                                  // no pile-up: at most one run per 130 ms
  EXPECT_EQ(in->stats.timeouts.load(), runs);           // each run ended after its timeout...
  EXPECT_EQ(rounds.load(), 0);                          // ...so none of their points went out
  EXPECT_GE(in->stats.skipped.load(), 2 * (runs - 1));  // 2 ticks missed per run
}

// The real clock, with a wall-clock step the test can set (an NTP step, a VM restore).
class SteppedClock final : public Clock {
 public:
  int64_t NowMillis() const override {
    return Clock::Real().NowMillis() + step_ms.load(std::memory_order_acquire);
  }
  int64_t MonotonicNanos() const override { return Clock::Real().MonotonicNanos(); }
  void SleepMillis(int64_t millis) override { Clock::Real().SleepMillis(millis); }
  std::atomic<int64_t> step_ms{0};
};

TEST(Scheduler, AWallClockStepBackDoesNotStallTheInput) {
  SteppedClock clock;
  Sunk sunk;
  Scheduler s(clock, "agent-z", [&](const ScheduledInput&, int64_t tick, std::vector<Point>&) {
    std::lock_guard<std::mutex> l(sunk.mu);
    sunk.ticks.push_back(tick);
  });
  s.Add("steady", 100, 90, std::make_unique<FakeInput>(0ms));
  s.Start();
  std::this_thread::sleep_for(350ms);
  const int64_t stepped_at = clock.NowMillis();
  clock.step_ms.store(-3'600'000, std::memory_order_release);  // an hour back
  std::this_thread::sleep_for(600ms);
  s.Stop();
  std::lock_guard<std::mutex> l(sunk.mu);
  size_t after = 0;
  for (int64_t t : sunk.ticks) {
    if (t < stepped_at - 3'000'000) ++after;  // a tick of the new (earlier) time
  }
  EXPECT_GE(after, 4u);  // rounds went on at once instead of waiting an hour
}

}  // namespace
}  // namespace strix::agents
