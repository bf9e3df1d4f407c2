// Tests of the runtime's pure parts: tick alignment, backoff, gzip, the agent id file.
#include <gtest/gtest.h>

#include <fstream>

#include "agents/agent/agent.h"
#include "agents/agent/gzip.h"
#include "agents/agent/hub_input.h"
#include "agents/agent/scheduler.h"
#include "agents/agent/sender.h"
#include "core/testing/temp_dir.h"

namespace strix::agents {
namespace {

TEST(Schedule, TicksAreWallClockMultiplesShiftedByTheOffset) {
  EXPECT_EQ(NextTick(0, 10'000, 0), 10'000);
  EXPECT_EQ(NextTick(9'999, 10'000, 0), 10'000);
  EXPECT_EQ(NextTick(10'000, 10'000, 0), 20'000);  // strictly after now
  EXPECT_EQ(NextTick(1'000'000'001, 10'000, 2'500), 1'000'002'500);
  EXPECT_EQ(NextTick(1'000'002'500, 10'000, 2'500), 1'000'012'500);
}

TEST(Schedule, OffsetIsStablePerAgentAndSpreadsAFleet) {
  EXPECT_EQ(ScheduleOffset("agent-a/linux", 10'000), ScheduleOffset("agent-a/linux", 10'000));
  int distinct = 0;
  std::vector<bool> seen(10, false);
  for (int i = 0; i < 50; ++i) {
    int64_t o = ScheduleOffset("agent-" + std::to_string(i) + "/linux", 10'000);
    ASSERT_GE(o, 0);
    ASSERT_LT(o, 10'000);
    if (!seen[o / 1000]) ++distinct;
    seen[o / 1000] = true;
  }
  EXPECT_GE(distinct, 8);  // 50 agents land in most of the ten 1 s slots
}

TEST(Backoff, DoublesFromTheMinimumUpToTheMaximum) {
  EXPECT_EQ(BackoffMs(1, 1000, 60'000), 1000);
  EXPECT_EQ(BackoffMs(2, 1000, 60'000), 2000);
  EXPECT_EQ(BackoffMs(6, 1000, 60'000), 32'000);
  EXPECT_EQ(BackoffMs(7, 1000, 60'000), 60'000);
  EXPECT_EQ(BackoffMs(100, 1000, 60'000), 60'000);
}

TEST(Gzip, RoundTripsAndRejectsGarbage) {
  std::string text;
  for (int i = 0; i < 1000; ++i)
    text += "linux_cpu,cpu=total,mode=user time_ms=" + std::to_string(i) + "u 1\n";
  Result<std::string> z = GzipCompress(text);
  ASSERT_TRUE(z.ok());
  EXPECT_LT(z->size(), text.size() / 5);
  Result<std::string> back = GzipDecompress(*z);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, text);
  EXPECT_FALSE(GzipDecompress("not gzip").ok());
  EXPECT_FALSE(GzipDecompress(z->substr(0, z->size() / 2)).ok());
}

TEST(AgentId, MadeOnceAndKept) {
  testing::TempDir dir;
  Result<std::string> a = LoadOrCreateAgentId(Env::Default(), dir.path());
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  EXPECT_EQ(a->size(), 64u);
  Result<std::string> b = LoadOrCreateAgentId(Env::Default(), dir.path());
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(*a, *b);
}

TEST(AgentId, ACorruptIdFileIsAnErrorNotANewIdentity) {
  testing::TempDir dir;
  std::ofstream(dir.Join("agent_id")) << "not-an-id";
  EXPECT_EQ(LoadOrCreateAgentId(Env::Default(), dir.path()).status().code(), StatusCode::kDataLoss);
}

TEST(Hub, TargetUrlsFollowPattooAndStrixRoutes) {
  HubTarget p;
  p.address = "127.0.0.1";
  p.port = 5000;
  EXPECT_EQ(HubInput::TargetUrl(p, 300'000), "http://127.0.0.1:5000/pattoo-agent-linux/300");
  HubTarget s;
  s.address = "::1";
  s.port = 5001;
  s.format = HubTarget::Format::kStrix;
  EXPECT_EQ(HubInput::TargetUrl(s, 10'000), "http://[::1]:5001/strix/v1/points");
}

}  // namespace
}  // namespace strix::agents
