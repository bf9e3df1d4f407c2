#include "core/clock.h"

#include <gtest/gtest.h>

namespace strix {
namespace {

TEST(RealClock, WallClockIsPlausibleAndMonotonicAdvances) {
  Clock& c = Clock::Real();
  EXPECT_GT(c.NowMillis(), 1'700'000'000'000);  // after 2023
  int64_t a = c.MonotonicNanos();
  c.SleepMillis(2);
  EXPECT_GE(c.MonotonicNanos() - a, 2'000'000);
}

TEST(ManualClock, MovesOnlyWhenTold) {
  ManualClock c(1000);
  EXPECT_EQ(c.NowMillis(), 1000);
  c.Advance(500);
  EXPECT_EQ(c.NowMillis(), 1500);
  c.SleepMillis(250);  // sleeping advances instantly
  EXPECT_EQ(c.NowMillis(), 1750);
  c.Set(10);
  EXPECT_EQ(c.NowMillis(), 10);
  EXPECT_EQ(c.MonotonicNanos(), 10'000'000);
}

}  // namespace
}  // namespace strix
