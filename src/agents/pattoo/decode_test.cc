// Tests of the pattoo decoder (decode.h): the spec's section 1.3 page to points, the round
// trip EncodePost -> DecodePage, every kind and value form, label rules, name sanitising
// and splitting, and hostile pages (wrong keys, unknown ids, non-array pairs, deep nesting)
// that must give errors, never crashes or partial output.
#include "agents/pattoo/decode.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "agents/lineproto/lineproto.h"
#include "agents/pattoo/encode.h"
#include "core/env.h"

namespace strix::agents::pattoo {
namespace {

using ::testing::HasSubstr;

constexpr char kId[] = "cdc2fda05cf76067289a8de4a4a8b3885239073be1ae813489778886c4e90763";
constexpr int64_t kNow = 1700000000000;

std::string ReadTestdata(const std::string& relative) {
  const char* dir = std::getenv("STRIX_SOURCE_DIR");
  auto file = ReadFileToString(Env::Default(), JoinPath(dir ? dir : ".", relative));
  EXPECT_TRUE(file.ok()) << relative << ": " << file.status().ToString()
                         << " (run through ctest, which sets STRIX_SOURCE_DIR)";
  return file.ok() ? *file : std::string();
}

std::vector<Tag> AgentTags(std::string checksum) {
  return {{"host", "myhost.example.org"},
          {"pattoo_agent_hostname", "myhost.example.org"},
          {"pattoo_agent_id", kId},
          {"pattoo_agent_polled_target", "myhost.example.org"},
          {"pattoo_agent_program", "pattoo_agent_os_autonomousd"},
          {"pattoo_checksum", std::move(checksum)}};
}

// A page with one datapoint made of the agent pairs (ids 0-5, 9) and `extra` pairs given
// as JSON text, which get ids 10, 11, ...
std::string OneDatapointPage(const std::vector<std::string>& extra, bool with_key = true) {
  std::string kvp =
      "\"0\":[\"pattoo_agent_polling_interval\",\"10000\"],"
      "\"1\":[\"pattoo_agent_hostname\",\"h\"],"
      "\"2\":[\"pattoo_agent_id\",\"" +
      std::string(kId) +
      "\"],"
      "\"3\":[\"pattoo_agent_polled_target\",\"t\"],"
      "\"4\":[\"pattoo_agent_program\",\"p\"],"
      "\"5\":[\"pattoo_checksum\",\"c\"],"
      "\"9\":[\"pattoo_key\",\"disk_io_read_bytes\"]";
  std::string ids = with_key ? "0,1,2,3,4,5,9" : "0,1,2,3,4,5";
  for (size_t i = 0; i < extra.size(); ++i) {
    kvp += ",\"" + std::to_string(10 + i) + "\":" + extra[i];
    ids += "," + std::to_string(10 + i);
  }
  return "{\"pattoo_agent_id\":\"x\",\"pattoo_agent_polling_interval\":10000,"
         "\"pattoo_agent_timestamp\":1,\"pattoo_datapoints\":{\"key_value_pairs\":{" +
         kvp + "},\"datapoint_pairs\":[[" + ids + "]]}}";
}

struct Decoded {
  Status status;
  std::vector<Point> points;
  DecodeStats stats;
};
Decoded Decode(std::string_view json) {
  Decoded d;
  d.status = DecodePage(json, kNow, &d.points, &d.stats);
  return d;
}

// Decodes a one-datapoint page that must be skipped, and returns the reason.
std::string SkipReason(const std::vector<std::string>& extra, bool with_key = true) {
  Decoded d = Decode(OneDatapointPage(extra, with_key));
  EXPECT_TRUE(d.status.ok()) << d.status.ToString();
  EXPECT_TRUE(d.points.empty());
  EXPECT_EQ(d.stats.datapoints, 1u);
  EXPECT_EQ(d.stats.skipped, 1u);
  return std::string(d.stats.first_error.message());
}

// Decodes a one-datapoint page that must give a point.
Point OnePoint(const std::vector<std::string>& extra) {
  Decoded d = Decode(OneDatapointPage(extra));
  EXPECT_TRUE(d.status.ok()) << d.status.ToString();
  EXPECT_EQ(d.stats.skipped, 0u) << d.stats.first_error.ToString();
  EXPECT_EQ(d.points.size(), 1u);
  return d.points.empty() ? Point{} : d.points[0];
}

TEST(PattooDecode, SpecSection13PageGivesStrixdSeries) {
  Decoded d = Decode(ReadTestdata("testdata/pattoo/os_autonomousd_spec_1_3.json"));
  ASSERT_TRUE(d.status.ok()) << d.status.ToString();
  EXPECT_EQ(d.stats.datapoints, 2u);
  EXPECT_EQ(d.stats.skipped, 0u);
  ASSERT_EQ(d.points.size(), 2u);

  Point disk;
  disk.measurement = "disk";
  disk.tags = AgentTags("053a8131c365201e742acda31aeccef3ddc6a8ba904d90e1c5309c0440448eb9");
  disk.tags.emplace_back("disk_partition", "sda1");
  disk.fields = {{"io_read_bytes", FieldValue::Counter(522239488)}};
  disk.timestamp_ms = 1575789070000;
  EXPECT_EQ(d.points[0], disk);

  Point cpu;
  cpu.measurement = "cpu";
  cpu.tags = AgentTags("e310a3482ea3db3dedc188a54917d20329621cecb97be52925c4f2d2af2ff6b1");
  cpu.fields = {{"times_percent_user", FieldValue::Gauge(2.7)}};
  cpu.timestamp_ms = 1575789070000;
  EXPECT_EQ(d.points[1], cpu);
}

TEST(PattooDecode, ModbusDocsPageGivesGaugesWithUnitLabel) {
  Decoded d = Decode(ReadTestdata("testdata/pattoo/modbustcpd_docs_1_3.json"));
  ASSERT_TRUE(d.status.ok()) << d.status.ToString();
  ASSERT_EQ(d.points.size(), 2u);
  EXPECT_EQ(d.points[0].measurement, "agent");
  EXPECT_EQ(d.points[0].fields[0].key, "modbustcpd_input_register_30386");
  EXPECT_EQ(d.points[0].fields[0].value, FieldValue::Gauge(732.0));
  EXPECT_EQ(d.points[1].timestamp_ms, 1578071455238);
  EXPECT_THAT(d.points[0].tags, ::testing::Contains(Tag{"unit", "000"}));
  EXPECT_THAT(d.points[0].tags, ::testing::Contains(Tag{"host", "foo.example.org"}));
}

TEST(PattooDecode, RoundTripFromEncodePostGivesTheExpectedPoints) {
  PostInfo info;
  info.agent_id = kId;
  info.agent_program = "pattoo_agent_linux_spoked";
  info.agent_hostname = "spoke.example.org";
  info.polled_target = "spoke.example.org";
  info.polling_interval_ms = 10000;
  info.timestamp_ms = kNow;
  std::vector<PattooMetadata> common = {
      {"release", "6.1.0-13-amd64", false}, {"type", "Linux", true}, {"cpus", "2", true}};
  std::vector<PattooDatapoint> dps(4);
  dps[0].key = "cpu_times_user";
  dps[0].data_type = kPattooCounter64;
  dps[0].value.type = PattooValue::Type::kFloat;
  dps[0].value.f = 12345.67;
  dps[0].metadata = common;
  dps[1].key = "network_io_bytes_recv";
  dps[1].data_type = kPattooCounter64;
  dps[1].value.i = 9007199254740993;  // 2^53 + 1 stays exact
  dps[1].metadata = common;
  dps[1].metadata.push_back({"network_io_interface", "eth0", true});
  dps[2].key = "memory_percent";
  dps[2].data_type = kPattooInt;
  dps[2].value.type = PattooValue::Type::kFloat;
  dps[2].value.f = 41.5;
  dps[3].key = "uptime";
  dps[3].data_type = kPattooString;
  dps[3].value.type = PattooValue::Type::kString;
  dps[3].value.s = "up 3 days";
  for (auto& dp : dps) dp.timestamp_ms = kNow - 10;

  std::string page = EncodePost(info, dps);
  Decoded d = Decode(page);
  ASSERT_TRUE(d.status.ok()) << d.status.ToString();
  EXPECT_EQ(d.stats.skipped, 0u);
  EXPECT_EQ(d.stats.truncated_counters, 1u);
  ASSERT_EQ(d.points.size(), 4u);
  auto tags = [&](const PattooDatapoint& dp) {
    std::vector<Tag> t = {{"host", "spoke.example.org"},
                          {"pattoo_agent_hostname", "spoke.example.org"},
                          {"pattoo_agent_id", kId},
                          {"pattoo_agent_polled_target", "spoke.example.org"},
                          {"pattoo_agent_program", "pattoo_agent_linux_spoked"},
                          {"pattoo_checksum", DatapointChecksum(dp, info)}};
    for (const auto& m : dp.metadata) t.emplace_back(m.key, m.value);
    return t;
  };
  std::vector<Point> want(4);
  want[0] = {"cpu", tags(dps[0]), {{"times_user", FieldValue::Counter(12345)}}, kNow - 10};
  want[1] = {"network",
             tags(dps[1]),
             {{"io_bytes_recv", FieldValue::Counter(9007199254740993u)}},
             kNow - 10};
  want[2] = {"memory", tags(dps[2]), {{"percent", FieldValue::Gauge(41.5)}}, kNow - 10};
  want[3] = {"uptime", tags(dps[3]), {{"value", FieldValue::State("up 3 days")}}, kNow - 10};
  for (size_t i = 0; i < want.size(); ++i) EXPECT_EQ(d.points[i], want[i]) << i;
}

TEST(PattooDecode, AppendsToOutputAndKeepsItOnAStructureError) {
  std::vector<Point> out(1);
  out[0].measurement = "kept";
  DecodeStats stats;
  ASSERT_TRUE(DecodePage(OneDatapointPage({"[\"pattoo_data_type\",99]", "[\"pattoo_value\",1]"}),
                         kNow, &out, &stats)
                  .ok());
  EXPECT_EQ(out.size(), 2u);
  // The second datapoint names a missing id: nothing of this page is kept.
  std::string bad = OneDatapointPage({"[\"pattoo_data_type\",99]", "[\"pattoo_value\",1]"});
  bad.replace(bad.rfind("]]"), 2, "],[0,1,2,3,4,5,9,10,11]]");
  ASSERT_TRUE(DecodePage(bad, kNow, &out, &stats).ok());
  EXPECT_EQ(out.size(), 4u);
  bad.replace(bad.rfind("]]"), 2, ",77]]");
  Status s = DecodePage(bad, kNow, &out, &stats);
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(out.size(), 4u);
  EXPECT_EQ(stats.datapoints, 0u);
  EXPECT_EQ(out[0].measurement, "kept");
}

TEST(PattooDecode, EmptyPageGivesNoPoints) {
  Decoded d = Decode(
      "{\"pattoo_agent_id\":\"x\",\"pattoo_agent_polling_interval\":1,\"pattoo_agent_timestamp\":1,"
      "\"pattoo_datapoints\":{\"key_value_pairs\":{},\"datapoint_pairs\":[]}}");
  EXPECT_TRUE(d.status.ok());
  EXPECT_TRUE(d.points.empty());
  EXPECT_EQ(d.stats.datapoints, 0u);
}

// --- structure errors ---

struct BadPage {
  std::string json;
  std::string message;
};

TEST(PattooDecode, StructureErrorsFailTheWholePageNamingTheProblem) {
  const std::string ok_dp = "\"pattoo_datapoints\":{\"key_value_pairs\":{},\"datapoint_pairs\":[]}";
  const std::string head =
      "{\"pattoo_agent_id\":\"x\",\"pattoo_agent_polling_interval\":1,\"pattoo_agent_timestamp\":"
      "1,";
  std::vector<BadPage> cases = {
      {"", "not valid JSON"},
      {"{", "not valid JSON"},
      {"{\"a\":1,}", "not valid JSON"},
      {"[1,2]", "not a JSON object"},
      {"\"pattoo\"", "not a JSON object"},
      {head + ok_dp + ",\"extra\":1}", "unexpected top-level key"},
      {"{\"pattoo_agent_id\":\"x\",\"pattoo_agent_timestamp\":1," + ok_dp + "}",
       "missing top-level key"},
      {head + "\"pattoo_datapoints\":[]}", "pattoo_datapoints is not an object"},
      {head + "\"pattoo_datapoints\":{\"key_value_pairs\":{}}}",
       "needs key_value_pairs and datapoint_pairs"},
      {head + "\"pattoo_datapoints\":{\"key_value_pairs\":{},\"datapoint_pairs\":[],\"x\":1}}",
       "unexpected key in pattoo_datapoints"},
      {head + "\"pattoo_datapoints\":{\"key_value_pairs\":[],\"datapoint_pairs\":[]}}",
       "key_value_pairs is not an object"},
      {head + "\"pattoo_datapoints\":{\"key_value_pairs\":{},\"datapoint_pairs\":{}}}",
       "datapoint_pairs is not an array"},
      {head + "\"pattoo_datapoints\":{\"key_value_pairs\":{},\"datapoint_pairs\":[0]}}",
       "datapoint is not an array of pair ids"},
      {head + "\"pattoo_datapoints\":{\"key_value_pairs\":{},\"datapoint_pairs\":[\"0\"]}}",
       "datapoint is not an array of pair ids"},
      {head + "\"pattoo_datapoints\":{\"key_value_pairs\":{\"0\":[\"a\",\"b\"]},"
              "\"datapoint_pairs\":[[0,1]]}}",
       "pair id not found"},
      {head + "\"pattoo_datapoints\":{\"key_value_pairs\":{\"0\":[\"a\",\"b\"]},"
              "\"datapoint_pairs\":[[-1]]}}",
       "pair id not found"},
      {head + "\"pattoo_datapoints\":{\"key_value_pairs\":{\"0\":[\"a\",\"b\"]},"
              "\"datapoint_pairs\":[[0.0]]}}",
       "pair id not found"},
      {head + "\"pattoo_datapoints\":{\"key_value_pairs\":{\"0\":[\"a\",\"b\"]},"
              "\"datapoint_pairs\":[[18446744073709551615]]}}",
       "pair id not found"},
      {head + "\"pattoo_datapoints\":{\"key_value_pairs\":{\"00\":[\"a\",\"b\"]},"
              "\"datapoint_pairs\":[[0]]}}",
       "pair id not found"},
      {head + "\"pattoo_datapoints\":{\"key_value_pairs\":{\"0\":\"ab\"},"
              "\"datapoint_pairs\":[[0]]}}",
       "not a [key, value] array"},
      {head + "\"pattoo_datapoints\":{\"key_value_pairs\":{\"0\":[\"a\"]},"
              "\"datapoint_pairs\":[[0]]}}",
       "not a [key, value] array"},
      {head + "\"pattoo_datapoints\":{\"key_value_pairs\":{\"0\":[\"a\",1,2]},"
              "\"datapoint_pairs\":[[0]]}}",
       "not a [key, value] array"},
  };
  for (const BadPage& c : cases) {
    Decoded d = Decode(c.json);
    EXPECT_EQ(d.status.code(), StatusCode::kInvalidArgument) << c.json;
    EXPECT_THAT(d.status.ToString(), HasSubstr(c.message)) << c.json;
    EXPECT_TRUE(d.points.empty());
  }
}

TEST(PattooDecode, DeepNestingIsAnErrorNotACrash) {
  std::string deep = std::string(100000, '[') + std::string(100000, ']');
  EXPECT_FALSE(Decode(deep).status.ok());
  // Deep but within simdjson's depth limit, as a pair value: the datapoint is skipped.
  std::string nested = std::string(500, '[') + std::string(500, ']');
  EXPECT_THAT(SkipReason({"[\"pattoo_data_type\",99]", "[\"pattoo_value\"," + nested + "]"}),
              HasSubstr("pattoo_value an array is not a number"));
  std::string too_deep = std::string(2000, '[') + std::string(2000, ']');
  EXPECT_FALSE(Decode(OneDatapointPage({"[\"pattoo_value\"," + too_deep + "]"})).status.ok());
}

TEST(PattooDecode, IdsAreLookedUpAsPythonDoesWithStrOfTheId) {
  std::string page = OneDatapointPage({"[\"pattoo_data_type\",99]", "[\"pattoo_value\",1]"});
  // A string id is the key itself; true names the key "True".
  page.replace(page.find("\"10\":"), 5, "\"True\":");
  page.replace(page.rfind(",10,"), 4, ",true,");
  page.replace(page.rfind(",11]"), 4, ",\"11\"]");
  Decoded d = Decode(page);
  ASSERT_TRUE(d.status.ok()) << d.status.ToString() << page;
  ASSERT_EQ(d.points.size(), 1u);
  EXPECT_EQ(d.points[0].fields[0].value, FieldValue::Gauge(1));
}

TEST(PattooDecode, RepeatedKeysCountOnceAndTheLastWins) {
  std::string page =
      OneDatapointPage({"[\"pattoo_data_type\",99]", "[\"pattoo_value\",1]", "[\"pattoo_value\",2]",
                        "[\"unit\",\"a\"]", "[\"unit\",\"b\"]"});
  // And a repeated entry of key_value_pairs: the later one is used.
  const std::string entry = "\"11\":[\"pattoo_value\",1]";
  page.replace(page.find(entry), entry.size(), entry + ",\"11\":[\"pattoo_value\",3]");
  Decoded d = Decode(page);
  ASSERT_TRUE(d.status.ok()) << d.status.ToString();
  ASSERT_EQ(d.points.size(), 1u);
  EXPECT_EQ(d.points[0].fields[0].value, FieldValue::Gauge(2));
  EXPECT_EQ(d.points[0].tags.back(), (Tag{"unit", "b"}));
  EXPECT_EQ(std::count_if(d.points[0].tags.begin(), d.points[0].tags.end(),
                          [](const Tag& t) { return t.first == "unit"; }),
            1);
}

// --- kinds and values ---

TEST(PattooDecode, DataTypesMapToKinds) {
  EXPECT_EQ(OnePoint({"[\"pattoo_data_type\",101]", "[\"pattoo_value\",2.5]"}).fields[0].value,
            FieldValue::Gauge(2.5));
  EXPECT_EQ(OnePoint({"[\"pattoo_data_type\",99]", "[\"pattoo_value\",7]"}).fields[0].value,
            FieldValue::Gauge(7));
  EXPECT_EQ(OnePoint({"[\"pattoo_data_type\",64]", "[\"pattoo_value\",7]"}).fields[0].value,
            FieldValue::Counter(7));
  EXPECT_EQ(OnePoint({"[\"pattoo_data_type\",32]", "[\"pattoo_value\",7]"}).fields[0].value,
            FieldValue::Counter(7));
  EXPECT_EQ(OnePoint({"[\"pattoo_data_type\",2]", "[\"pattoo_value\",\"up\"]"}).fields[0].value,
            FieldValue::State("up"));
  // Python's ==: 64.0 is 64.
  EXPECT_EQ(OnePoint({"[\"pattoo_data_type\",64.0]", "[\"pattoo_value\",7]"}).fields[0].value,
            FieldValue::Counter(7));
}

TEST(PattooDecode, OtherDataTypesSkipTheDatapoint) {
  EXPECT_THAT(SkipReason({"[\"pattoo_data_type\",null]", "[\"pattoo_value\",1]"}),
              HasSubstr("pattoo_data_type is null (DATA_NONE): nothing to store"));
  for (std::string t : {"7", "\"64\"", "true", "64.5", "-64", "18446744073709551615", "[]"}) {
    EXPECT_THAT(SkipReason({"[\"pattoo_data_type\"," + t + "]", "[\"pattoo_value\",1]"}),
                HasSubstr("is not 101, 99, 64, 32, 2 or null"))
        << t;
  }
}

TEST(PattooDecode, CountersAreExactUpToTwoToThe64MinusOne) {
  auto counter = [](std::string v) {
    return OnePoint({"[\"pattoo_data_type\",64]", "[\"pattoo_value\"," + v + "]"}).fields[0].value;
  };
  EXPECT_EQ(counter("18446744073709551615"), FieldValue::Counter(18446744073709551615u));
  EXPECT_EQ(counter("9007199254740993"), FieldValue::Counter(9007199254740993u));
  EXPECT_EQ(counter("98765432.0"), FieldValue::Counter(98765432));
  EXPECT_EQ(counter("\"18446744073709551615\""), FieldValue::Counter(18446744073709551615u));
  EXPECT_EQ(counter("\"+7\""), FieldValue::Counter(7));
  EXPECT_EQ(counter("\" 1_000 \""), FieldValue::Counter(1000));
  EXPECT_EQ(counter("1e3"), FieldValue::Counter(1000));
}

TEST(PattooDecode, CounterFractionsAreTruncatedAndCounted) {
  Decoded d =
      Decode(OneDatapointPage({"[\"pattoo_data_type\",64]", "[\"pattoo_value\",12345.67]"}));
  ASSERT_EQ(d.points.size(), 1u);
  EXPECT_EQ(d.points[0].fields[0].value, FieldValue::Counter(12345));
  EXPECT_EQ(d.stats.truncated_counters, 1u);
  EXPECT_EQ(OnePoint({"[\"pattoo_data_type\",32]", "[\"pattoo_value\",\"0.5\"]"}).fields[0].value,
            FieldValue::Counter(0));
}

TEST(PattooDecode, BadCounterValuesSkipTheDatapoint) {
  auto reason = [](std::string v) {
    return SkipReason({"[\"pattoo_data_type\",64]", "[\"pattoo_value\"," + v + "]"});
  };
  EXPECT_THAT(reason("-1"), HasSubstr("is negative: counters are >= 0"));
  EXPECT_THAT(reason("-0.5"), HasSubstr("is negative"));
  EXPECT_THAT(reason("\"-3\""), HasSubstr("is negative"));
  EXPECT_THAT(reason("18446744073709551616.0"), HasSubstr("out of range for a 64-bit counter"));
  EXPECT_THAT(reason("\"1e400\""), HasSubstr("out of range for a 64-bit counter"));
  EXPECT_THAT(reason("\"nan\""), HasSubstr("is not finite"));
  EXPECT_THAT(reason("\"abc\""), HasSubstr("pattoo_value string \"abc\" is not a number"));
  EXPECT_THAT(reason("true"), HasSubstr("pattoo_value a boolean is not a number"));
  EXPECT_THAT(reason("null"), HasSubstr("is not a number"));
  EXPECT_THAT(reason("{}"), HasSubstr("pattoo_value an object is not a number"));
}

TEST(PattooDecode, GaugeStringsAreReadAsPythonFloatReadsThem) {
  auto gauge = [](std::string v) {
    return OnePoint({"[\"pattoo_data_type\",101]", "[\"pattoo_value\"," + v + "]"}).fields[0].value;
  };
  EXPECT_EQ(gauge("\" 1_000.5 \""), FieldValue::Gauge(1000.5));
  EXPECT_EQ(gauge("\"-2e3\""), FieldValue::Gauge(-2000));
  EXPECT_EQ(gauge("\".5\""), FieldValue::Gauge(0.5));
  EXPECT_EQ(gauge("-9223372036854775808"), FieldValue::Gauge(-9223372036854775808.0));
  auto reason = [](std::string v) {
    return SkipReason({"[\"pattoo_data_type\",99]", "[\"pattoo_value\"," + v + "]"});
  };
  EXPECT_THAT(reason("\"inf\""), HasSubstr("is not finite"));
  EXPECT_THAT(reason("\"-Infinity\""), HasSubstr("is not finite"));
  EXPECT_THAT(reason("\"1__0\""), HasSubstr("is not a number"));
  EXPECT_THAT(reason("\"_1\""), HasSubstr("is not a number"));
  EXPECT_THAT(reason("\"0x10\""), HasSubstr("is not a number"));
  EXPECT_THAT(reason("\"\""), HasSubstr("is not a number"));
  EXPECT_THAT(reason("\"+-1\""), HasSubstr("is not a number"));
  EXPECT_THAT(reason("\"1e400\""), HasSubstr("out of range for a double"));
}

TEST(PattooDecode, StringDatapointsNeedAStringOfAtMost4096Bytes) {
  EXPECT_THAT(SkipReason({"[\"pattoo_data_type\",2]", "[\"pattoo_value\",1]"}),
              HasSubstr("pattoo_value 1 of a STRING datapoint is not a string"));
  EXPECT_EQ(OnePoint({"[\"pattoo_data_type\",2]",
                      "[\"pattoo_value\",\"" + std::string(4096, 'x') + "\"]"})
                .fields[0]
                .value.s.size(),
            4096u);
  EXPECT_THAT(SkipReason({"[\"pattoo_data_type\",2]",
                          "[\"pattoo_value\",\"" + std::string(4097, 'x') + "\"]"}),
              HasSubstr("too long for a state: 4097 bytes"));
}

TEST(PattooDecode, TimestampIsPattooTimestampOrNowWhenMissing) {
  EXPECT_EQ(OnePoint({"[\"pattoo_data_type\",99]", "[\"pattoo_value\",1]",
                      "[\"pattoo_timestamp\",1575789070001]"})
                .timestamp_ms,
            1575789070001);
  EXPECT_EQ(OnePoint({"[\"pattoo_data_type\",99]", "[\"pattoo_value\",1]",
                      "[\"pattoo_timestamp\",1575789070001.0]"})
                .timestamp_ms,
            1575789070001);
  EXPECT_EQ(OnePoint({"[\"pattoo_data_type\",99]", "[\"pattoo_value\",1]"}).timestamp_ms, kNow);
  for (std::string t : {"1.5", "\"1\"", "null", "9223372036854775808", "1e300"}) {
    EXPECT_THAT(SkipReason({"[\"pattoo_data_type\",99]", "[\"pattoo_value\",1]",
                            "[\"pattoo_timestamp\"," + t + "]"}),
                HasSubstr("is not an integer number of milliseconds"))
        << t;
  }
}

// --- labels ---

TEST(PattooDecode, MissingReservedKeysAreListedInOrder) {
  EXPECT_THAT(SkipReason({"[\"pattoo_data_type\",99]"}),
              HasSubstr("datapoint 0 (disk_io_read_bytes): missing pattoo_value"));
  EXPECT_THAT(SkipReason({}, false), HasSubstr("datapoint 0: missing pattoo_key, pattoo_data_type, "
                                               "pattoo_value"));
}

TEST(PattooDecode, AgentFieldsMustBeStringsAndEmptyOnesGiveNoLabel) {
  std::string page = OneDatapointPage({"[\"pattoo_data_type\",99]", "[\"pattoo_value\",1]"});
  std::string empty_target = page;
  empty_target.replace(empty_target.find("\"t\""), 3, "\"\"");
  Decoded d = Decode(empty_target);
  ASSERT_EQ(d.points.size(), 1u);
  for (const Tag& t : d.points[0].tags) {
    EXPECT_NE(t.first, "host");
    EXPECT_NE(t.first, "pattoo_agent_polled_target");
  }
  std::string numeric_host = page;
  numeric_host.replace(numeric_host.find("\"h\""), 3, "5");
  d = Decode(numeric_host);
  EXPECT_TRUE(d.points.empty());
  EXPECT_THAT(d.stats.first_error.message(), HasSubstr("pattoo_agent_hostname 5 is not a string"));
}

TEST(PattooDecode, MetadataBecomesSanitisedLabelsStringsOnly) {
  Point p = OnePoint({"[\"pattoo_data_type\",99]", "[\"pattoo_value\",1]",
                      "[\"opcua server\",\"s1\"]", "[\"3phase\",\"x\"]", "[\"région\",\"é\"]",
                      "[\"count\",5]", "[\"empty\",\"\"]", "[\"pattoo_metadata\",\"m\"]"});
  std::vector<Tag> meta(p.tags.begin() + 6, p.tags.end());
  EXPECT_THAT(meta, ::testing::ElementsAre(Tag{"opcua_server", "s1"}, Tag{"_3phase", "x"},
                                           Tag{"r_gion", "é"}));
}

TEST(PattooDecode, MetadataLabelCollisionsSkipTheDatapoint) {
  for (std::string k : {"host", "pattoo-checksum", "__name__", "pattoo agent id"}) {
    EXPECT_THAT(
        SkipReason({"[\"pattoo_data_type\",99]", "[\"pattoo_value\",1]", "[\"" + k + "\",\"v\"]"}),
        HasSubstr("which is already used"))
        << k;
  }
  EXPECT_THAT(SkipReason({"[\"pattoo_data_type\",99]", "[\"pattoo_value\",1]", "[\"a-b\",\"1\"]",
                          "[\"a_b\",\"2\"]"}),
              HasSubstr("metadata key \"a_b\" gives label name \"a_b\", which is already used"));
}

TEST(PattooDecode, LimitsOnNamesAndLabels) {
  std::vector<std::string> base = {"[\"pattoo_data_type\",99]", "[\"pattoo_value\",1]"};
  auto with = [&](std::string pair) {
    auto v = base;
    v.push_back(std::move(pair));
    return v;
  };
  EXPECT_THAT(SkipReason(with("[\"" + std::string(129, 'k') + "\",\"v\"]")),
              HasSubstr("label names are limited to 128 bytes"));
  OnePoint(with("[\"" + std::string(128, 'k') + "\",\"v\"]"));
  EXPECT_THAT(SkipReason(with("[\"k\",\"" + std::string(4097, 'v') + "\"]")),
              HasSubstr("value too long: 4097 bytes"));
  EXPECT_THAT(SkipReason(with("[\"\",\"v\"]")), HasSubstr("metadata key is empty"));
  EXPECT_THAT(SkipReason(with("[5,\"v\"]")), HasSubstr("a pair key is not a string"));
  auto many = base;
  for (int i = 0; i < 57; ++i) many.push_back("[\"k" + std::to_string(i) + "\",\"v\"]");
  OnePoint(many);  // 6 fixed tags + 57 = 63
  many.push_back("[\"k57\",\"v\"]");
  EXPECT_THAT(SkipReason(many), HasSubstr("too many labels: 65 (limit 64)"));
  for (int i = 58; i < 70; ++i) many.push_back("[\"k" + std::to_string(i) + "\",\"v\"]");
  EXPECT_THAT(SkipReason(many), HasSubstr("too many metadata keys: more than 64"));
  auto big = base;
  for (int i = 0; i < 5; ++i) {
    big.push_back("[\"k" + std::to_string(i) + "\",\"" + std::string(4000, 'v') + "\"]");
  }
  EXPECT_THAT(SkipReason(big), HasSubstr("labels too large"));
}

TEST(PattooDecode, KeyMustBeANonEmptyStringOfAtMost4096Bytes) {
  std::string page = OneDatapointPage({"[\"pattoo_data_type\",99]", "[\"pattoo_value\",1]"});
  std::string numeric = page;
  numeric.replace(numeric.find("\"disk_io_read_bytes\""), 20, "12");
  EXPECT_THAT(Decode(numeric).stats.first_error.message(),
              HasSubstr("datapoint 0: pattoo_key 12 is not a string"));
  std::string empty = page;
  empty.replace(empty.find("\"disk_io_read_bytes\""), 20, "\"\"");
  EXPECT_THAT(Decode(empty).stats.first_error.message(), HasSubstr("pattoo_key is empty"));
  std::string long_key = page;
  long_key.replace(long_key.find("\"disk_io_read_bytes\""), 20,
                   "\"" + std::string(4097, 'k') + "\"");
  EXPECT_THAT(Decode(long_key).stats.first_error.message(), HasSubstr("pattoo_key too long"));
}

TEST(PattooDecode, OnlyTheFirstErrorIsKeptButAllSkipsAreCounted) {
  std::string page = OneDatapointPage(
      {"[\"pattoo_data_type\",99]", "[\"pattoo_value\",\"x\"]", "[\"pattoo_value\",1]"});
  // datapoint 0: value "x" (bad); datapoint 1: value 1 (good); datapoint 2: no value (bad).
  page.replace(page.find("[[0,1,2,3,4,5,9,10,11,12]]"), 26,
               "[[0,1,2,3,4,5,9,10,11],[0,1,2,3,4,5,9,10,12],[0,1,2,3,4,5,9,10]]");
  Decoded d = Decode(page);
  ASSERT_TRUE(d.status.ok());
  EXPECT_EQ(d.stats.datapoints, 3u);
  EXPECT_EQ(d.stats.skipped, 2u);
  EXPECT_EQ(d.points.size(), 1u);
  EXPECT_EQ(d.stats.first_error.message(),
            "datapoint 0 (disk_io_read_bytes): pattoo_value string \"x\" is not a number");
}

// --- names ---

TEST(PattooNames, SanitisingFollowsTheLineProtocolRules) {
  EXPECT_EQ(lineproto::SanitizeMetricName(".1.3.6.1.2.1.2.2.1.10"), "_1_3_6_1_2_1_2_2_1_10");
  EXPECT_EQ(lineproto::SanitizeMetricName("ns=1;s=[opcua_server_1]temp.pv"),
            "ns_1_s__opcua_server_1_temp_pv");
  EXPECT_EQ(lineproto::SanitizeMetricName("température"), "temp_rature");
  EXPECT_EQ(lineproto::SanitizeMetricName("3"), "_3");
  EXPECT_EQ(lineproto::SanitizeMetricName("k8s:pods"), "k8s:pods");
  EXPECT_EQ(lineproto::SanitizeLabelName("a:b"), "a_b");
  EXPECT_EQ(lineproto::SanitizeLabelName("opcua server"), "opcua_server");
  EXPECT_EQ(lineproto::SanitizeLabelName("𝄞x"), "_x");
  EXPECT_EQ(lineproto::SanitizeLabelName("2nd"), "_2nd");
}

TEST(PattooNames, SplitAtTheFirstInnerUnderscoreSoStrixdRebuildsTheName) {
  struct Case {
    std::string name, measurement, field;
  };
  for (const Case& c : std::vector<Case>{
           {"disk_io_read_bytes", "disk", "io_read_bytes"},
           {"_1_3_6", "_1", "3_6"},
           {"a__b", "a", "_b"},
           {"a__", "a", "_"},
           {"__x", "_", "x"},
           {"uptime", "uptime", "value"},
           {"load_", "load_", "value"},
           {"_", "_", "value"},
           {"_x", "_x", "value"},
           {"k8s:pods_n", "k8s:pods", "n"},
       }) {
    std::string m, f;
    SplitMetricName(c.name, &m, &f);
    EXPECT_EQ(m, c.measurement) << c.name;
    EXPECT_EQ(f, c.field) << c.name;
    // Except for the fallback ("value"), strixd's <measurement>_<field> is the name again.
    if (!(c.field == "value" && c.measurement == c.name)) {
      EXPECT_EQ(m + "_" + f, c.name);
    }
  }
}

}  // namespace
}  // namespace strix::agents::pattoo
