#include "core/log.h"

#include <gtest/gtest.h>

namespace strix {
namespace {

TEST(Log, ConstantMessageThenKeyValuePairs) {
  log::LogCapture cap;
  STRIX_LOG(kWarn, "wal: truncated torn tail", "segment", 3, "offset", uint64_t{4096});
  auto lines = cap.Lines();
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0], "warn wal: truncated torn tail segment=3 offset=4096");
}

TEST(Log, QuotesValuesWithSpacesAndFormatsStatus) {
  log::LogCapture cap;
  STRIX_LOG(kError, "open failed", "path", std::string("a b/c"), "status", Status::NotFound("gone"),
            "ok", true, "empty", "");
  ASSERT_EQ(cap.Lines().size(), 1u);
  EXPECT_EQ(cap.Lines()[0],
            "error open failed path=\"a b/c\" status=\"not_found: gone\" ok=true empty=\"\"");
}

TEST(Log, DisabledLevelDoesNotEvaluateArguments) {
  log::LogCapture cap;
  LogLevel old = log::GetLevel();
  log::SetLevel(LogLevel::kInfo);
  int evaluated = 0;
  auto costly = [&] {
    ++evaluated;
    return 1;
  };
  STRIX_LOG(kDebug, "hidden", "v", costly());
  STRIX_LOG(kInfo, "shown", "v", costly());
  log::SetLevel(old);
  EXPECT_EQ(evaluated, 1);
  EXPECT_FALSE(cap.Contains("hidden"));
  EXPECT_TRUE(cap.Contains("info shown v=1"));
}

TEST(Log, ParseLevel) {
  EXPECT_EQ(*log::ParseLevel("debug"), LogLevel::kDebug);
  EXPECT_EQ(*log::ParseLevel("warning"), LogLevel::kWarn);
  EXPECT_FALSE(log::ParseLevel("loud").ok());
}

}  // namespace
}  // namespace strix
