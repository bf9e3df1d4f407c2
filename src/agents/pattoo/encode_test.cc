// Tests of the pattoo encoder (encode.h): the checksum golden vectors of pattoo spec 1.5,
// the verified section 1.3 post rebuilt from its datapoints and compared pair by pair,
// PattooShared's order and de-duplication of pairs, Python's float text, JSON string
// escapes, and agent ids.
#include "agents/pattoo/encode.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <simdjson.h>

#include <cmath>
#include <cstdlib>
#include <limits>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "core/env.h"

namespace strix::agents::pattoo {
namespace {

namespace dom = simdjson::dom;
using ::testing::ElementsAre;

constexpr char kSpecAgentId[] = "cdc2fda05cf76067289a8de4a4a8b3885239073be1ae813489778886c4e90763";

std::string ReadTestdata(const std::string& relative) {
  const char* dir = std::getenv("STRIX_SOURCE_DIR");
  auto file = ReadFileToString(Env::Default(), JoinPath(dir ? dir : ".", relative));
  EXPECT_TRUE(file.ok()) << relative << ": " << file.status().ToString()
                         << " (run through ctest, which sets STRIX_SOURCE_DIR)";
  return file.ok() ? *file : std::string();
}

std::string Float(double v) {
  std::string s;
  AppendPythonFloat(&s, v);
  return s;
}

std::string Json(std::string_view v) {
  std::string s;
  AppendJsonString(&s, v);
  return s;
}

PattooDatapoint Dp(std::string key, int type, PattooValue value, int64_t ts,
                   std::vector<PattooMetadata> metadata = {}) {
  PattooDatapoint dp;
  dp.key = std::move(key);
  dp.data_type = type;
  dp.value = std::move(value);
  dp.timestamp_ms = ts;
  dp.metadata = std::move(metadata);
  return dp;
}
PattooValue Int(int64_t i) {
  PattooValue v;
  v.type = PattooValue::Type::kInt;
  v.i = i;
  return v;
}
PattooValue Flt(double f) {
  PattooValue v;
  v.type = PattooValue::Type::kFloat;
  v.f = f;
  return v;
}
PattooValue Str(std::string s) {
  PattooValue v;
  v.type = PattooValue::Type::kString;
  v.s = std::move(s);
  return v;
}

// The spec's section 1.3 post: agent, target and its two datapoints.
PostInfo SpecInfo() {
  PostInfo info;
  info.agent_id = kSpecAgentId;
  info.agent_program = "pattoo_agent_os_autonomousd";
  info.agent_hostname = "myhost.example.org";
  info.polled_target = "myhost.example.org";
  info.polling_interval_ms = 10000;
  info.timestamp_ms = 1575789070108;
  return info;
}
std::vector<PattooDatapoint> SpecDatapoints() {
  return {Dp("disk_io_read_bytes", kPattooCounter64, Int(522239488), 1575789070000,
             {{"disk_partition", "sda1", true}}),
          Dp("cpu_times_percent_user", kPattooFloat, Flt(2.7), 1575789070000)};
}

// A JSON value as comparable text: objects with sorted keys, everything else minified.
std::string Canonical(dom::element e) {
  if (e.type() == dom::element_type::OBJECT) {
    std::map<std::string, std::string> members;
    for (dom::key_value_pair kv : dom::object(e))
      members[std::string(kv.key)] = Canonical(kv.value);
    std::string out = "{";
    for (const auto& [k, v] : members) out += Json(k) + ":" + v + ",";
    return out + "}";
  }
  if (e.type() == dom::element_type::ARRAY) {
    std::string out = "[";
    for (dom::element x : dom::array(e)) out += Canonical(x) + ",";
    return out + "]";
  }
  return simdjson::minify(e);
}

std::string CanonicalOf(const std::string& json) {
  dom::parser parser;
  dom::element root;
  simdjson::error_code err = parser.parse(json).get(root);
  EXPECT_EQ(err, simdjson::SUCCESS) << json;
  return err == simdjson::SUCCESS ? Canonical(root) : std::string();
}

TEST(PattooChecksum, SpecGoldenVectorWithOneMetadataItem) {
  PattooDatapoint dp = Dp("testing", kPattooInt, Int(1093454), 0, {{"_testing", "_testing", true}});
  EXPECT_EQ(DatapointChecksum(dp),
            "306353a04200e3b889b18c6f78dd8e56a63a287218ec8424e22d31b4b961a905");
}

TEST(PattooChecksum, SpecSection13ChainsTheAgentFieldsAfterTheMetadata) {
  auto dps = SpecDatapoints();
  EXPECT_EQ(DatapointChecksum(dps[0], SpecInfo()),
            "053a8131c365201e742acda31aeccef3ddc6a8ba904d90e1c5309c0440448eb9");
  EXPECT_EQ(DatapointChecksum(dps[1], SpecInfo()),
            "e310a3482ea3db3dedc188a54917d20329621cecb97be52925c4f2d2af2ff6b1");
}

TEST(PattooChecksum, MetadataWithoutChecksumAndValueAndTimeDoNotChangeIt) {
  PattooDatapoint a = Dp("testing", kPattooInt, Int(1093454), 0, {{"_testing", "_testing", true}});
  PattooDatapoint b = Dp("testing", kPattooInt, Int(7), 99,
                         {{"_testing", "_testing", true}, {"release", "6.1.0", false}});
  EXPECT_EQ(DatapointChecksum(a), DatapointChecksum(b));
  PattooDatapoint c = a;
  c.data_type = kPattooFloat;
  EXPECT_NE(DatapointChecksum(a), DatapointChecksum(c));
}

TEST(PattooEncode, SpecSection13PostIsRebuiltPairForPair) {
  std::string got = EncodePost(SpecInfo(), SpecDatapoints());
  std::string want = ReadTestdata("testdata/pattoo/os_autonomousd_spec_1_3.json");
  // Same ids for the same pairs, the same id lists, the same top-level values.
  EXPECT_EQ(CanonicalOf(got), CanonicalOf(want));
}

TEST(PattooEncode, WritesCompactJsonWithTopLevelKeysInFlaskOrder) {
  PostInfo info = SpecInfo();
  std::string got = EncodePost(info, {});
  EXPECT_EQ(got, "{\"pattoo_agent_id\":\"" + std::string(kSpecAgentId) +
                     "\",\"pattoo_agent_polling_interval\":10000,\"pattoo_agent_timestamp\":"
                     "1575789070108,\"pattoo_datapoints\":{\"key_value_pairs\":{},"
                     "\"datapoint_pairs\":[]}}");
}

TEST(PattooEncode, PairsFollowPattooSharedOrderAndAreSharedAcrossDatapoints) {
  std::string got = EncodePost(SpecInfo(), SpecDatapoints());
  EXPECT_THAT(got, ::testing::HasSubstr(
                       "\"datapoint_pairs\":[[0,1,2,3,4,5,6,7,8,9,10],[1,2,3,4,5,11,12,13,9,14]]"));
  EXPECT_THAT(got, ::testing::HasSubstr("\"1\":[\"pattoo_agent_polling_interval\",\"10000\"]"));
  EXPECT_THAT(got, ::testing::HasSubstr("\"13\":[\"pattoo_value\",2.7]"));
}

TEST(PattooEncode, DedupesPairsOnTheirJsonTypeSoOneAndOnePointZeroDiffer) {
  PostInfo info = SpecInfo();
  std::string got =
      EncodePost(info, {Dp("a", kPattooInt, Int(1), 5), Dp("b", kPattooFloat, Flt(1.0), 5)});
  EXPECT_THAT(got, ::testing::HasSubstr("[\"pattoo_value\",1]"));
  EXPECT_THAT(got, ::testing::HasSubstr("[\"pattoo_value\",1.0]"));
}

TEST(PattooEncode, StringDatapointsCarryAJsonString) {
  std::string got = EncodePost(SpecInfo(), {Dp("ifoperstatus", kPattooString, Str("up"), 5)});
  EXPECT_THAT(got, ::testing::HasSubstr("[\"pattoo_data_type\",2]"));
  EXPECT_THAT(got, ::testing::HasSubstr("[\"pattoo_value\",\"up\"]"));
}

TEST(PattooEncode, LeavesOutDatapointsPattooSharedRefuses) {
  EncodeStats stats;
  std::string got = EncodePost(
      SpecInfo(),
      {Dp("", kPattooInt, Int(1), 5), Dp("my_pattoo_key", kPattooInt, Int(1), 5),
       Dp("x", 7, Int(1), 5), Dp("x", kPattooString, Int(1), 5), Dp("x", kPattooInt, Str("1"), 5),
       Dp("x", kPattooFloat, Flt(std::numeric_limits<double>::quiet_NaN()), 5),
       Dp("x", kPattooFloat, Flt(std::numeric_limits<double>::infinity()), 5),
       Dp("ok", kPattooInt, Int(1), 5)},
      &stats);
  EXPECT_EQ(stats.invalid, 7u);
  EXPECT_EQ(stats.datapoints, 1u);
  EXPECT_THAT(got, ::testing::HasSubstr("\"datapoint_pairs\":[[0,1,2,3,4,5,6,7,8,9]]"));
}

TEST(PattooEncode, DropsASecondDatapointWithTheSameChecksum) {
  EncodeStats stats;
  EncodePost(SpecInfo(),
             {Dp("x", kPattooInt, Int(1), 5, {{"release", "a", false}}),
              Dp("x", kPattooInt, Int(2), 6, {{"release", "b", false}})},
             &stats);
  EXPECT_EQ(stats.datapoints, 1u);
  EXPECT_EQ(stats.duplicates, 1u);
}

TEST(PattooEncode, IgnoresMetadataThatDataPointAddIgnores) {
  PattooDatapoint dp =
      Dp("x", kPattooInt, Int(1), 5,
         {{"a", "1", true}, {"a", "2", true}, {"", "3", true}, {"my_pattoo", "4", true}});
  PattooDatapoint clean = Dp("x", kPattooInt, Int(1), 5, {{"a", "1", true}});
  EXPECT_EQ(DatapointChecksum(dp), DatapointChecksum(clean));
  std::string got = EncodePost(SpecInfo(), {dp});
  EXPECT_THAT(got, ::testing::HasSubstr("\"0\":[\"a\",\"1\"]"));
  EXPECT_THAT(got, ::testing::Not(::testing::HasSubstr("\"2\"]")));
  EXPECT_THAT(got, ::testing::Not(::testing::HasSubstr("my_pattoo")));
}

TEST(PattooEncode, MetadataWithoutChecksumIsStillWrittenAsAPair) {
  std::string got =
      EncodePost(SpecInfo(), {Dp("x", kPattooInt, Int(1), 5, {{"release", "6.1.0", false}})});
  EXPECT_THAT(got, ::testing::HasSubstr("\"0\":[\"release\",\"6.1.0\"]"));
}

TEST(PattooEncode, OutputParsesAndKeepsEveryValue) {
  PostInfo info = SpecInfo();
  info.agent_hostname = "h\"ost\\\n\x01é";
  std::vector<PattooDatapoint> dps = {
      Dp("g", kPattooFloat, Flt(0.1 + 0.2), 5),
      Dp("big", kPattooInt, Int(std::numeric_limits<int64_t>::min()), -5),
      Dp("tiny", kPattooFloat, Flt(5e-324), 5),
  };
  std::string got = EncodePost(info, dps);
  dom::parser parser;
  dom::element root;
  ASSERT_EQ(parser.parse(got).get(root), simdjson::SUCCESS) << got;
  std::set<std::string> values;
  dom::object kvp = root["pattoo_datapoints"]["key_value_pairs"].get_object().value();
  for (dom::key_value_pair kv : kvp) {
    dom::array pair = kv.value.get_array().value();
    std::string_view key = pair.at(0).get_string().value();
    if (key == "pattoo_agent_hostname") {
      EXPECT_EQ(pair.at(1).get_string().value(), info.agent_hostname);
    }
    if (key == "pattoo_value") values.insert(simdjson::minify(pair.at(1).value()));
  }
  EXPECT_THAT(values, ::testing::UnorderedElementsAre("0.30000000000000004", "-9223372036854775808",
                                                      "5e-324"));
}

TEST(PattooJson, FloatsAreWrittenAsPythonRepr) {
  EXPECT_EQ(Float(2.7), "2.7");
  EXPECT_EQ(Float(12.0), "12.0");
  EXPECT_EQ(Float(0.0), "0.0");
  EXPECT_EQ(Float(-0.0), "-0.0");
  EXPECT_EQ(Float(-1.5), "-1.5");
  EXPECT_EQ(Float(123456789.0), "123456789.0");
  EXPECT_EQ(Float(1e15), "1000000000000000.0");
  EXPECT_EQ(Float(1e16), "1e+16");
  EXPECT_EQ(Float(1.2345678901234568e+20), "1.2345678901234568e+20");
  EXPECT_EQ(Float(0.0001), "0.0001");
  EXPECT_EQ(Float(0.00001), "1e-05");
  EXPECT_EQ(Float(0.000123), "0.000123");
  EXPECT_EQ(Float(5e-324), "5e-324");
  EXPECT_EQ(Float(1.7976931348623157e308), "1.7976931348623157e+308");
  EXPECT_EQ(Float(0.1 + 0.2), "0.30000000000000004");
  EXPECT_EQ(Float(98765432.0), "98765432.0");
}

TEST(PattooJson, FloatTextReadsBackToTheSameDouble) {
  for (double v : {2.7, 1e-7, 3.141592653589793, 1e300, 6.02214076e23, 4.9e-320, 1234.5678,
                   9007199254740993.0}) {
    std::string s = Float(v);
    EXPECT_EQ(std::strtod(s.c_str(), nullptr), v) << s;
  }
}

TEST(PattooJson, StringsEscapeQuotesBackslashAndControlCharacters) {
  EXPECT_EQ(Json("a\"b\\c"), "\"a\\\"b\\\\c\"");
  EXPECT_EQ(Json("\n\r\t\b\f"), "\"\\n\\r\\t\\b\\f\"");
  EXPECT_EQ(Json(std::string_view("\x00\x01\x1f", 3)), "\"\\u0000\\u0001\\u001f\"");
  EXPECT_EQ(Json("/"), "\"/\"");
}

TEST(PattooJson, StringsPassUtf8ThroughAndReplaceInvalidBytes) {
  EXPECT_EQ(Json("température €𝄞"), "\"température €𝄞\"");
  EXPECT_EQ(Json("a\xff"
                 "b"),
            "\"a\xEF\xBF\xBD"
            "b\"");
  EXPECT_EQ(Json("\xC0\xAF"), "\"\xEF\xBF\xBD\xEF\xBF\xBD\"");                  // overlong '/'
  EXPECT_EQ(Json("\xED\xA0\x80"), "\"\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\"");  // surrogate
  EXPECT_EQ(Json("\xE2\x82"), "\"\xEF\xBF\xBD\xEF\xBF\xBD\"");                  // truncated
}

TEST(PattooAgentId, NewIdsAreValidAndDistinct) {
  std::string a = NewAgentId();
  std::string b = NewAgentId();
  EXPECT_TRUE(IsValidAgentId(a)) << a;
  EXPECT_TRUE(IsValidAgentId(b)) << b;
  EXPECT_NE(a, b);
}

TEST(PattooAgentId, OnlySixtyFourLowerCaseHexDigitsAreValid) {
  EXPECT_TRUE(IsValidAgentId(kSpecAgentId));
  EXPECT_FALSE(IsValidAgentId(""));
  EXPECT_FALSE(IsValidAgentId(std::string(kSpecAgentId).substr(1)));
  EXPECT_FALSE(IsValidAgentId(std::string(kSpecAgentId) + "0"));
  std::string upper = kSpecAgentId;
  upper[0] = 'C';
  EXPECT_FALSE(IsValidAgentId(upper));
  std::string g = kSpecAgentId;
  g[5] = 'g';
  EXPECT_FALSE(IsValidAgentId(g));
}

}  // namespace
}  // namespace strix::agents::pattoo
