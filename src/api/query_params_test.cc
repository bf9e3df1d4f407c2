#include "api/query_params.h"

#include <gtest/gtest.h>

#include "api/internal/api_impl.h"

namespace strix::api {
namespace {

TEST(QueryParams, DecodesPercentAndPlusAndKeepsRepeats) {
  auto q = QueryParams::Parse("match[]=cpu%7Bhost%3D%22a%22%7D&match[]=mem&x=a+b&flag");
  ASSERT_TRUE(q.ok());
  auto all = q->GetAll("match[]");
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0], "cpu{host=\"a\"}");
  EXPECT_EQ(all[1], "mem");
  EXPECT_EQ(q->Get("x").value(), "a b");
  EXPECT_EQ(q->Get("flag").value(), "");
  EXPECT_FALSE(q->Get("nope").has_value());
}

TEST(QueryParams, BadPercentEscapeNamesTheParameter) {
  auto q = QueryParams::Parse("start=12%G4");
  ASSERT_FALSE(q.ok());
  EXPECT_NE(std::string(q.status().message()).find("'start'"), std::string::npos);
}

TEST(ParseTimeParam, AcceptsUnixSecondsRfc3339AndNowRelative) {
  const int64_t now = 1'800'000'000'000;
  EXPECT_EQ(*ParseTimeParam("1795300000.5", now), 1'795'300'000'500);
  EXPECT_EQ(*ParseTimeParam("2026-12-05T07:00:00Z", now), 1'796'454'000'000);
  EXPECT_EQ(*ParseTimeParam("2026-12-05T08:00:00.25+01:00", now), 1'796'454'000'250);
  EXPECT_EQ(*ParseTimeParam("now", now), now);
  EXPECT_EQ(*ParseTimeParam("now-1h", now), now - 3'600'000);
  EXPECT_FALSE(ParseTimeParam("yesterday", now).ok());
  EXPECT_FALSE(ParseTimeParam("2026-13-05T07:00:00Z", now).ok());
  EXPECT_FALSE(ParseTimeParam("1e300", now).ok());
}

TEST(ParseDurationParam, SecondsOrUnits) {
  EXPECT_EQ(*ParseDurationParam("300"), 300'000);
  EXPECT_EQ(*ParseDurationParam("1.5"), 1'500);
  EXPECT_EQ(*ParseDurationParam("5m"), 300'000);
  EXPECT_FALSE(ParseDurationParam("-5").ok());
  EXPECT_FALSE(ParseDurationParam("five").ok());
}

}  // namespace
}  // namespace strix::api
