// Tests for the JSON form of a script's output: numbers become gauges of one point,
// anything else is skipped and counted, text that is not one object is refused.
#include "agents/script/json_output.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace strix::agents::script {
namespace {

struct Parsed {
  Status status;
  std::vector<Point> points;
  JsonOutputStats stats;
};

Parsed ParseJson(std::string text, JsonOutputParser* parser = nullptr) {
  JsonOutputParser local;
  if (parser == nullptr) parser = &local;
  Parsed p;
  p.status = parser->Parse(&text, "disk_usage", 1700000000000, &p.points, &p.stats);
  return p;
}

TEST(ScriptJsonOutput, NumbersBecomeGaugesOfOnePointAtTheRoundTime) {
  Parsed p = ParseJson(R"({"used_bytes": 123456789, "ratio": 0.25, "neg": -3})");
  ASSERT_TRUE(p.status.ok()) << p.status.ToString();
  ASSERT_EQ(p.points.size(), 1u);
  EXPECT_EQ(p.points[0].measurement, "disk_usage");
  EXPECT_EQ(p.points[0].timestamp_ms, 1700000000000);
  EXPECT_TRUE(p.points[0].tags.empty());
  EXPECT_EQ(p.points[0].fields, (std::vector<Field>{{"used_bytes", FieldValue::Gauge(123456789)},
                                                    {"ratio", FieldValue::Gauge(0.25)},
                                                    {"neg", FieldValue::Gauge(-3)}}));
  EXPECT_EQ(p.stats.fields, 3u);
  EXPECT_EQ(p.stats.garbage_keys, 0u);
}

TEST(ScriptJsonOutput, LargeIntegersAreStillGaugesRoundedToTheNearestDouble) {
  Parsed p = ParseJson(R"({"u": 18446744073709551615, "p": 9007199254740993})");
  ASSERT_TRUE(p.status.ok());
  ASSERT_EQ(p.points.size(), 1u);
  EXPECT_EQ(p.points[0].fields[0].value, FieldValue::Gauge(18446744073709551615.0));
  EXPECT_EQ(p.points[0].fields[1].value, FieldValue::Gauge(9007199254740992.0));
}

TEST(ScriptJsonOutput, NonNumbersAreSkippedAndCountedOthersKept) {
  Parsed p = ParseJson(
      R"({"label": "sda", "nested": {"x": 1}, "flag": true, "none": null, "list": [1], "ok": 2, "": 5})");
  ASSERT_TRUE(p.status.ok());
  ASSERT_EQ(p.points.size(), 1u);
  EXPECT_EQ(p.points[0].fields, (std::vector<Field>{{"ok", FieldValue::Gauge(2)}}));
  EXPECT_EQ(p.stats.garbage_keys, 6u);
  EXPECT_EQ(p.stats.first_garbage, "key \"label\": value is a string, not a number");
}

TEST(ScriptJsonOutput, NoNumberMeansNoPoint) {
  Parsed p = ParseJson(R"({"a": "x"})");
  EXPECT_TRUE(p.status.ok());
  EXPECT_TRUE(p.points.empty());
  EXPECT_EQ(p.stats.garbage_keys, 1u);
  p = ParseJson("{}");
  EXPECT_TRUE(p.status.ok());
  EXPECT_TRUE(p.points.empty());
}

TEST(ScriptJsonOutput, KeysBeyondTheThousandthOrTooLongAreSkipped) {
  std::string text = "{";
  for (int i = 0; i < 1003; ++i) text += (i ? ",\"k" : "\"k") + std::to_string(i) + "\":1";
  text += "}";
  Parsed p = ParseJson(text);
  ASSERT_EQ(p.points.size(), 1u);
  EXPECT_EQ(p.points[0].fields.size(), 1000u);
  EXPECT_EQ(p.stats.garbage_keys, 3u);

  p = ParseJson("{\"" + std::string(4090, 'k') + "\": 1, \"ok\": 1}");
  ASSERT_EQ(p.points.size(), 1u);
  EXPECT_EQ(p.points[0].fields.size(), 1u);
  EXPECT_EQ(p.stats.garbage_keys, 1u);
  EXPECT_NE(p.stats.first_garbage.find("metric name too long"), std::string::npos);
}

TEST(ScriptJsonOutput, TextThatIsNotOneObjectIsRefusedWhole) {
  for (const char* text : {"[1, 2]", "{\"a\": 1,", "{\"a\": 1} {\"b\": 2}", "42", "{\"a\": 1e400}",
                           "{\"a\": 18446744073709551616}", "not json", ""}) {
    Parsed p = ParseJson(text);
    EXPECT_EQ(p.status.code(), StatusCode::kInvalidArgument) << text;
    EXPECT_TRUE(p.points.empty()) << text;
  }
  EXPECT_EQ(ParseJson("[1]").status.message(), "JSON output is not an object");
}

TEST(ScriptJsonOutput, ParserIsReusableAfterLargeAndBadInputs) {
  JsonOutputParser parser;
  std::string big = "{";
  for (int i = 0; i < 20000; ++i) big += (i ? ",\"k" : "\"k") + std::to_string(i % 900) + "\":1";
  big += "}";
  EXPECT_TRUE(ParseJson(big, &parser).status.ok());
  EXPECT_FALSE(ParseJson("{", &parser).status.ok());
  Parsed p = ParseJson(R"({"a": 1})", &parser);
  ASSERT_TRUE(p.status.ok());
  ASSERT_EQ(p.points.size(), 1u);
}

}  // namespace
}  // namespace strix::agents::script
