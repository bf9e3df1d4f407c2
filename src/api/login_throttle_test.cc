// LoginThrottle: free failures, doubling delays, forgetting, and the bounded table.
#include "api/login_throttle.h"

#include <gtest/gtest.h>

#include <string>

namespace strix::api {
namespace {

TEST(LoginThrottle, DelaysDoubleAfterTheFreeFailuresUpToTheCap) {
  ManualClock clock(1'000'000);
  LoginThrottleOptions o;
  o.free_failures = 2;
  o.base_delay_ms = 1'000;
  o.max_delay_ms = 4'000;
  LoginThrottle t(&clock, o);
  EXPECT_EQ(t.WaitMs("u"), 0);
  t.Failed("u");
  EXPECT_EQ(t.WaitMs("u"), 0);
  t.Failed("u");
  EXPECT_EQ(t.WaitMs("u"), 1'000);
  clock.Advance(400);
  EXPECT_EQ(t.WaitMs("u"), 600);
  clock.Advance(600);
  EXPECT_EQ(t.WaitMs("u"), 0);
  t.Failed("u");
  EXPECT_EQ(t.WaitMs("u"), 2'000);
  t.Failed("u");
  EXPECT_EQ(t.WaitMs("u"), 4'000);
  t.Failed("u");
  EXPECT_EQ(t.WaitMs("u"), 4'000) << "capped";
  EXPECT_EQ(t.WaitMs("other"), 0);
  t.Succeeded("u");
  EXPECT_EQ(t.WaitMs("u"), 0);
  EXPECT_EQ(t.Failures("u"), 0);
}

TEST(LoginThrottle, FailuresAreForgottenAfterAQuietPeriod) {
  ManualClock clock(1'000'000);
  LoginThrottleOptions o;
  o.free_failures = 1;
  o.forget_after_ms = 10'000;
  LoginThrottle t(&clock, o);
  t.Failed("u");
  t.Failed("u");
  EXPECT_EQ(t.Failures("u"), 2);
  clock.Advance(10'000);
  EXPECT_EQ(t.Failures("u"), 0);
  EXPECT_EQ(t.WaitMs("u"), 0);
  t.Failed("u");
  EXPECT_EQ(t.Failures("u"), 1) << "counting restarts";
}

TEST(LoginThrottle, TheTableStaysBoundedUnderManyKeys) {
  ManualClock clock(1'000'000);
  LoginThrottleOptions o;
  o.max_keys = 100;
  LoginThrottle t(&clock, o);
  for (int i = 0; i < 10'000; ++i) {
    clock.Advance(1);
    t.Failed("addr:" + std::to_string(i));
  }
  EXPECT_LE(t.size(), 101u);
  EXPECT_EQ(t.Failures("addr:9999"), 1) << "the newest keys are kept";
}

}  // namespace
}  // namespace strix::api
