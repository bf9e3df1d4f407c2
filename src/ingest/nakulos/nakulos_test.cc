// Tests of the Nakulos POST /metrics parser (docs/wire/nakulos.md): the spec's payloads
// (testdata/nakulos/), every value form and its rejection message, timestamps and their
// rounding, names and labels (checked with storage's own validation), tags, duplicate
// keys, whole-request errors (nothing added), the answer bodies, and the committed fuzz
// seeds (testdata/fuzz/nakulos/).
#include "ingest/nakulos/nakulos.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <simdjson.h>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <limits>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "core/env.h"
#include "storage/labels.h"
#include "storage/write_batch.h"

namespace strix::ingest {
namespace {

using storage::Labels;
using storage::ValueKind;
using storage::WriteBatch;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Pair;

constexpr int64_t kNow = 1'795'400'000'123;  // the server's clock in these tests

std::string SourceDir() {
  const char* d = std::getenv("STRIX_SOURCE_DIR");
  return d ? d : ".";
}

std::string ReadTestdata(const std::string& relative) {
  auto file = ReadFileToString(Env::Default(), JoinPath(SourceDir(), relative));
  EXPECT_TRUE(file.ok()) << relative << ": " << file.status().ToString()
                         << " (run through ctest, which sets STRIX_SOURCE_DIR)";
  return file.ok() ? *file : std::string();
}

// One series of a batch, decoded; its labels pass storage's own validation.
struct Row {
  std::string labels;  // Labels::ToString()
  ValueKind kind = ValueKind::kGauge;
  int64_t ts = 0;
  double value = 0;
  std::string state;
  uint32_t tag = 0;
};

std::vector<Row> Decode(const WriteBatch& batch) {
  std::vector<Row> rows;
  for (const auto& s : batch.series()) {
    auto labels = Labels::FromEncoded(batch.EncodedLabels(s));
    EXPECT_TRUE(labels.ok()) << labels.status().ToString();
    if (labels.ok()) {
      EXPECT_TRUE(labels->ValidateSeries().ok()) << labels->ValidateSeries().ToString();
    }
    EXPECT_EQ(batch.samples(s).size(), 1u);
    for (const auto& sample : batch.samples(s)) {
      Row r;
      r.labels = labels.ok() ? labels->ToString() : "";
      r.kind = s.kind;
      r.ts = sample.ts;
      if (s.kind == ValueKind::kState) {
        r.state = std::string(batch.StateOf(sample));
      } else {
        r.value = sample.value.f;
      }
      r.tag = s.tag;
      rows.push_back(r);
    }
  }
  return rows;
}

struct Parsed {
  Status status;
  NakulosParseResult result;
  std::vector<Row> rows;
};

Parsed Parse(std::string_view body, NakulosParseOptions options = {}) {
  NakulosParser parser(options);
  WriteBatch batch;
  Parsed p;
  p.status = parser.Parse(body, kNow, &batch, &p.result);
  p.rows = Decode(batch);
  EXPECT_EQ(p.result.accepted, batch.sample_count());
  EXPECT_EQ(p.result.metrics, p.result.accepted + p.result.rejected);
  if (!p.status.ok()) {
    EXPECT_TRUE(batch.empty()) << "a whole-request error added samples";
    EXPECT_EQ(p.result.metrics, 0u);
    EXPECT_TRUE(p.result.hostname.empty());
  }
  return p;
}

std::string FirstError(const Parsed& p) {
  return p.result.first_errors.empty() ? std::string() : p.result.first_errors[0];
}

// A post of host "h" with the given raw JSON metrics members.
std::string Post(std::string_view metrics_members, std::string_view extra = "") {
  return "{\"hostname\": \"h\", \"metrics\": {" + std::string(metrics_members) + "}" +
         std::string(extra) + "}";
}

// The message of a body with one metric, which must be rejected.
std::string RejectionOf(std::string_view member) {
  Parsed p = Parse(Post(member));
  EXPECT_TRUE(p.status.ok()) << p.status.ToString();
  EXPECT_EQ(p.result.rejected, 1u) << member;
  EXPECT_TRUE(p.rows.empty());
  return FirstError(p);
}

// ---- the spec's payloads -----------------------------------------------------------------

TEST(NakulosSpec, Web1PostWithTagsBecomesTwoGaugesAndTags) {
  Parsed p = Parse(ReadTestdata("testdata/nakulos/a15_web1_with_tags.json"));
  ASSERT_TRUE(p.status.ok()) << p.status.ToString();
  EXPECT_EQ(p.result.hostname, "web1");
  EXPECT_TRUE(p.result.tags_present);
  EXPECT_THAT(p.result.tags, ElementsAre(Pair("role", "web"), Pair("env", "prod")));
  EXPECT_EQ(p.result.metrics, 2u);
  EXPECT_EQ(p.result.accepted, 2u);
  EXPECT_EQ(p.result.rejected, 0u);
  ASSERT_EQ(p.rows.size(), 2u);
  EXPECT_EQ(p.rows[0].labels, "cpu_usage{host=\"web1\"}");
  EXPECT_EQ(p.rows[0].kind, ValueKind::kGauge);
  EXPECT_EQ(p.rows[0].value, 42.5);
  EXPECT_EQ(p.rows[0].ts, 1795300000500);
  EXPECT_EQ(p.rows[0].tag, 0u);
  EXPECT_EQ(p.rows[1].labels, "mem{host=\"web1\"}");
  EXPECT_EQ(p.rows[1].value, 70.0);
  EXPECT_EQ(p.rows[1].ts, 1795300000500);
  EXPECT_EQ(p.rows[1].tag, 1u);
}

TEST(NakulosSpec, PostWithoutTimestampUsesServerTimeAndLeavesTagsAlone) {
  Parsed p = Parse(ReadTestdata("testdata/nakulos/a15_web1_no_timestamp.json"));
  ASSERT_TRUE(p.status.ok()) << p.status.ToString();
  EXPECT_FALSE(p.result.tags_present);  // Nakulos reset web1's tags to {} here (A13.1)
  EXPECT_TRUE(p.result.tags.empty());
  ASSERT_EQ(p.rows.size(), 1u);
  EXPECT_EQ(p.rows[0].labels, "cpu_usage{host=\"web1\"}");
  EXPECT_EQ(p.rows[0].value, 91.0);
  EXPECT_EQ(p.rows[0].ts, kNow);
}

TEST(NakulosSpec, MissingHostnameIsAWholeRequestError) {
  Parsed p = Parse(ReadTestdata("testdata/nakulos/a15_missing_hostname.json"));
  EXPECT_EQ(p.status.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(p.status.message(), "body: missing \"hostname\"");
}

TEST(NakulosSpec, BufferedClientPayloadRoundsItsTimestampToTheMillisecond) {
  Parsed p = Parse(ReadTestdata("testdata/nakulos/a9_buffered_payload.json"));
  ASSERT_TRUE(p.status.ok()) << p.status.ToString();
  EXPECT_EQ(p.result.hostname, "vm");
  EXPECT_THAT(p.result.tags, ElementsAre(Pair("role", "test")));
  ASSERT_EQ(p.rows.size(), 1u);
  EXPECT_EQ(p.rows[0].labels, "const_metric{host=\"vm\"}");
  EXPECT_EQ(p.rows[0].value, 7.0);
  EXPECT_EQ(p.rows[0].ts, 1795314791047);
}

// ---- values --------------------------------------------------------------------------------

TEST(NakulosValues, NumbersBecomeGauges) {
  Parsed p =
      Parse(Post("\"a\": 5, \"b\": -0.25, \"c\": {\"value\": 1e3, \"timestamp\": 1}, "
                 "\"d\": 18446744073709551615, \"e\": -9223372036854775808"));
  ASSERT_EQ(p.rows.size(), 5u) << FirstError(p);
  for (const Row& r : p.rows) EXPECT_EQ(r.kind, ValueKind::kGauge);
  EXPECT_EQ(p.rows[0].value, 5.0);
  EXPECT_EQ(p.rows[1].value, -0.25);
  EXPECT_EQ(p.rows[2].value, 1000.0);
  EXPECT_EQ(p.rows[3].value, 18446744073709551615.0);
  EXPECT_EQ(p.rows[4].value, -9223372036854775808.0);
}

TEST(NakulosValues, IntegersBeyondTwoTo53LosePrecisionAsGauges) {
  Parsed p = Parse(Post("\"a\": 9007199254740993"));
  ASSERT_EQ(p.rows.size(), 1u) << FirstError(p);
  EXPECT_EQ(p.rows[0].value, 9007199254740992.0);  // the nearest double
}

TEST(NakulosValues, IntegersBeyondSixtyFourBitsAreReadAsPythonDoes) {
  // Python's json reads any integer; simdjson does not, so these take the rewrite path.
  Parsed p =
      Parse(Post("\"a\": 123456789012345678901234567890, "
                 "\"b\": {\"value\": -99999999999999999999, \"timestamp\": 5}"));
  ASSERT_TRUE(p.status.ok()) << p.status.ToString();
  ASSERT_EQ(p.rows.size(), 2u) << FirstError(p);
  EXPECT_EQ(p.rows[0].value, 123456789012345678901234567890.0);
  EXPECT_EQ(p.rows[1].value, -99999999999999999999.0);
  EXPECT_EQ(p.rows[1].ts, 5000);
}

TEST(NakulosValues, BooleansBecomeGaugesZeroAndOne) {
  Parsed p = Parse(Post("\"up\": true, \"down\": {\"value\": false}"));
  ASSERT_EQ(p.rows.size(), 2u) << FirstError(p);
  EXPECT_EQ(p.rows[0].kind, ValueKind::kGauge);
  EXPECT_EQ(p.rows[0].value, 1.0);
  EXPECT_EQ(p.rows[1].value, 0.0);
}

TEST(NakulosValues, StringsBecomeStatesUpToTheLimit) {
  const std::string max_state(kNakulosMaxStateBytes, 'y');
  Parsed p =
      Parse(Post("\"status\": \"degraded\", \"empty\": \"\", \"num\": \"42\", "
                 "\"big\": {\"value\": \"" +
                 max_state + "\", \"timestamp\": 7}"));
  ASSERT_EQ(p.rows.size(), 4u) << FirstError(p);
  EXPECT_EQ(p.rows[0].kind, ValueKind::kState);
  EXPECT_EQ(p.rows[0].state, "degraded");
  EXPECT_EQ(p.rows[1].state, "");
  EXPECT_EQ(p.rows[2].kind, ValueKind::kState);  // a numeric string stays a string
  EXPECT_EQ(p.rows[2].state, "42");
  EXPECT_EQ(p.rows[3].state, max_state);
  EXPECT_EQ(p.rows[3].ts, 7000);

  EXPECT_EQ(RejectionOf("\"s\": \"" + std::string(kNakulosMaxStateBytes + 1, 'x') + "\""),
            "metrics.s: string too long: 4097 bytes (limit 4096)");
}

TEST(NakulosValues, NullArrayAndObjectEntriesAreRejectedWithTheirPath) {
  EXPECT_EQ(RejectionOf("\"cpu_usage\": null"),
            "metrics.cpu_usage: expected a number, a boolean, a string or an object with "
            "\"value\", got null");
  EXPECT_EQ(RejectionOf("\"cpu_usage\": [1, 2]"),
            "metrics.cpu_usage: expected a number, a boolean, a string or an object with "
            "\"value\", got an array");
  EXPECT_EQ(RejectionOf("\"cpu_usage\": {\"timestamp\": 1795300000}"),
            "metrics.cpu_usage: object has no \"value\"");
  EXPECT_EQ(RejectionOf("\"cpu_usage\": {}"), "metrics.cpu_usage: object has no \"value\"");
}

TEST(NakulosValues, BadValueMembersAreRejectedWithTheirPath) {
  EXPECT_EQ(RejectionOf("\"cpu_usage\": {\"value\": null, \"timestamp\": 1795300000}"),
            "metrics.cpu_usage.value: expected a number, a boolean or a string, got null");
  EXPECT_EQ(RejectionOf("\"cpu_usage\": {\"value\": [5]}"),
            "metrics.cpu_usage.value: expected a number, a boolean or a string, got an array");
  // Nakulos HEAD's nested value dicts are not read.
  EXPECT_EQ(RejectionOf("\"cpu_usage\": {\"value\": {\"value\": 5, \"timestamp\": 1}}"),
            "metrics.cpu_usage.value: expected a number, a boolean or a string, got an object");
}

TEST(NakulosValues, NaNAndInfinityLiteralsAreValidJsonButRejectedMetrics) {
  // Python's json reads (and json.dumps writes) NaN, Infinity and -Infinity, and reads
  // 1e400 as inf: the post is valid, only those metrics are rejected.
  Parsed p =
      Parse(Post("\"a\": NaN, \"b\": {\"value\": Infinity, \"timestamp\": 1}, "
                 "\"c\": -Infinity, \"d\": 1e400, \"e\": -1E+999, \"ok\": 1"));
  ASSERT_TRUE(p.status.ok()) << p.status.ToString();
  EXPECT_EQ(p.result.accepted, 1u);
  EXPECT_EQ(p.result.rejected, 5u);
  EXPECT_THAT(p.result.first_errors,
              ElementsAre("metrics.a: expected a finite number, got NaN",
                          "metrics.b.value: expected a finite number, got Infinity",
                          "metrics.c: expected a finite number, got -Infinity",
                          "metrics.d: expected a finite number, got 1e400",
                          "metrics.e: expected a finite number, got -1E+999"));
  ASSERT_EQ(p.rows.size(), 1u);
  EXPECT_EQ(p.rows[0].labels, "ok{host=\"h\"}");
}

TEST(NakulosValues, TinyFloatsUnderflowToZeroAsInPython) {
  Parsed p = Parse(Post("\"a\": 1e-400"));
  ASSERT_EQ(p.rows.size(), 1u) << FirstError(p);
  EXPECT_EQ(p.rows[0].value, 0.0);
}

TEST(NakulosValues, ValueWithoutTimestampIsAcceptedAtServerTime) {
  // Nakulos turns {"value": 5} into a dict value whose insert fails; Strix reads it.
  Parsed p = Parse(Post("\"a\": {\"value\": 5}, \"b\": {\"value\": 6, \"message\": \"ok\"}"));
  ASSERT_EQ(p.rows.size(), 2u) << FirstError(p);
  EXPECT_EQ(p.rows[0].value, 5.0);
  EXPECT_EQ(p.rows[0].ts, kNow);
  EXPECT_EQ(p.rows[1].value, 6.0);  // Nakulos HEAD's "message" member is ignored
}

TEST(NakulosValues, PythonLiteralsOnlyCountInValuePositions) {
  // Python rejects these too: the whole request fails.
  for (const char* body : {"{\"hostname\": \"h\", \"metrics\": {NaN: 1}}",
                           "{\"hostname\": \"h\", \"metrics\": {\"a\": [1 NaN]}}",
                           "{\"hostname\": \"h\", \"metrics\": {\"a\": -NaN}}",
                           "{\"hostname\": \"h\", \"metrics\": {\"a\": nan}}",
                           "{\"hostname\": \"h\", \"metrics\": {\"a\": 01}}"}) {
    Parsed p = Parse(body);
    EXPECT_EQ(p.status.code(), StatusCode::kInvalidArgument) << body;
    EXPECT_THAT(std::string(p.status.message()), HasSubstr("body: invalid JSON")) << body;
  }
}

TEST(NakulosValues, MarkerShapedClientObjectsAreNeverReadAsNumbers) {
  // A body whose strings hold a NUL is not rewritten, so {"\u0000": "5"} stays an object.
  Parsed p = Parse(Post("\"a\": {\"\\u0000\": \"5\"}, \"b\": {\"value\": {\"\\u0000\": \"5\"}}"));
  ASSERT_TRUE(p.status.ok()) << p.status.ToString();
  EXPECT_EQ(p.result.rejected, 2u);
  EXPECT_THAT(p.result.first_errors,
              ElementsAre("metrics.a: object has no \"value\"",
                          "metrics.b.value: expected a number, a boolean or a string, got an "
                          "object"));
  // ... and a body with both a NUL and a Python literal is refused as Python-only JSON.
  p = Parse(Post("\"a\": NaN, \"s\": \"\\u0000\""));
  EXPECT_EQ(p.status.code(), StatusCode::kInvalidArgument);
  // A NUL in a state is fine otherwise.
  p = Parse(Post("\"s\": \"a\\u0000b\""));
  ASSERT_EQ(p.rows.size(), 1u) << FirstError(p);
  EXPECT_EQ(p.rows[0].state, std::string("a\0b", 3));
}

TEST(NakulosValues, ModerateNestingInAValueIsAPerMetricRejection) {
  const std::string nested = std::string(100, '[') + std::string(100, ']');
  Parsed p = Parse(Post("\"deep\": " + nested + ", \"ok\": 1"));
  ASSERT_TRUE(p.status.ok()) << p.status.ToString();
  EXPECT_EQ(p.result.accepted, 1u);
  EXPECT_THAT(FirstError(p), HasSubstr("metrics.deep: expected a number"));
}

TEST(NakulosValues, FirstErrorsKeepsMaxErrorsButCountsAll) {
  std::string members;
  for (int i = 0; i < 15; ++i) members += "\"m" + std::to_string(i) + "\": null, ";
  members += "\"ok\": 1";
  Parsed p = Parse(Post(members));
  EXPECT_EQ(p.result.metrics, 16u);
  EXPECT_EQ(p.result.rejected, 15u);
  ASSERT_EQ(p.result.first_errors.size(), 10u);
  EXPECT_THAT(p.result.first_errors[9], HasSubstr("metrics.m9:"));

  NakulosParseOptions options;
  options.max_errors = 2;
  p = Parse(Post(members), options);
  EXPECT_EQ(p.result.first_errors.size(), 2u);
  EXPECT_EQ(p.result.rejected, 15u);
}

// ---- timestamps ----------------------------------------------------------------------------

TEST(NakulosTimestamps, EpochSecondsBecomeMillisecondsRoundedToNearest) {
  Parsed p = Parse(Post(R"("a": {"value": 1, "timestamp": 1795300000},
                           "b": {"value": 1, "timestamp": 1795300000.0004},
                           "c": {"value": 1, "timestamp": 1795300000.0006},
                           "d": {"value": 1, "timestamp": 0.0625},
                           "e": {"value": 1, "timestamp": 2.0625},
                           "f": {"value": 1, "timestamp": 0},
                           "g": {"value": 1, "timestamp": -0.0},
                           "h": {"value": 1, "timestamp": 253402300799.999},
                           "i": {"value": 1, "timestamp": 253402300799})"));
  ASSERT_EQ(p.rows.size(), 9u) << FirstError(p);
  EXPECT_EQ(p.rows[0].ts, 1795300000000);
  EXPECT_EQ(p.rows[1].ts, 1795300000000);
  EXPECT_EQ(p.rows[2].ts, 1795300000001);
  EXPECT_EQ(p.rows[3].ts, 63);    // an exact tie (62.5 ms) rounds up
  EXPECT_EQ(p.rows[4].ts, 2063);  // ... not to even
  EXPECT_EQ(p.rows[5].ts, 0);
  EXPECT_EQ(p.rows[6].ts, 0);
  EXPECT_EQ(p.rows[7].ts, kNakulosMaxTimestampMs);
  EXPECT_EQ(p.rows[8].ts, 253402300799000);
}

TEST(NakulosTimestamps, RoundingIsExactForAnyDouble) {
  // Reference: the product in long double (64-bit mantissa) is exact for these magnitudes,
  // so floor(x * 1000 + 0.5) there is the correctly rounded millisecond.
  static_assert(std::numeric_limits<long double>::digits >= 64);
  std::mt19937_64 rng(42);
  std::uniform_real_distribution<double> seconds(0, 253402300799.0);
  NakulosParser parser;
  WriteBatch batch;
  NakulosParseResult result;
  std::string members;
  std::vector<int64_t> expected;
  for (int i = 0; i < 2000; ++i) {
    double s = seconds(rng);
    if (i % 2) {  // near a half millisecond, where a double product can round either way
      s = std::nextafter(std::floor(s * 1000) / 1000 + 0.0005, i % 4 == 1 ? 0.0 : 1e12);
    }
    const long double exact = static_cast<long double>(s) * 1000.0L;
    expected.push_back(static_cast<int64_t>(std::floor(exact + 0.5L)));
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.17g", s);
    if (i) members += ", ";
    members += "\"m" + std::to_string(i) + "\": {\"value\": 1, \"timestamp\": " + buf + "}";
  }
  ASSERT_TRUE(parser.Parse(Post(members), kNow, &batch, &result).ok());
  ASSERT_EQ(result.accepted, expected.size())
      << (result.first_errors.empty() ? "" : result.first_errors[0]);
  for (size_t i = 0; i < expected.size(); ++i) {
    EXPECT_EQ(batch.samples(batch.series()[i])[0].ts, expected[i]) << i;
  }
}

TEST(NakulosTimestamps, OutOfRangeTimestampsAreRejected) {
  const std::string range = " (epoch seconds from 0 to 253402300799.999: years 1970 to 9999)";
  EXPECT_EQ(RejectionOf(R"("a": {"value": 1, "timestamp": -1})"),
            "metrics.a.timestamp: out of range: -1" + range);
  EXPECT_EQ(RejectionOf(R"("a": {"value": 1, "timestamp": -0.5})"),
            "metrics.a.timestamp: out of range: -0.5" + range);
  EXPECT_EQ(RejectionOf(R"("a": {"value": 1, "timestamp": 253402300800})"),
            "metrics.a.timestamp: out of range: 253402300800" + range);
  EXPECT_EQ(RejectionOf(R"("a": {"value": 1, "timestamp": 253402300799.9996})"),
            "metrics.a.timestamp: out of range: 253402300799.9996" + range);
  EXPECT_EQ(RejectionOf(R"("a": {"value": 1, "timestamp": 1795300000000})"),  // milliseconds
            "metrics.a.timestamp: out of range: 1795300000000" + range);
  EXPECT_EQ(RejectionOf(R"("a": {"value": 1, "timestamp": 18446744073709551615})"),
            "metrics.a.timestamp: out of range: 18446744073709551615" + range);
  EXPECT_EQ(RejectionOf(R"("a": {"value": 1, "timestamp": 1e400})"),
            "metrics.a.timestamp: out of range: 1e400" + range);
}

TEST(NakulosTimestamps, NonNumericAndNonFiniteTimestampsAreRejected) {
  EXPECT_EQ(RejectionOf(R"("a": {"value": 1, "timestamp": null})"),
            "metrics.a.timestamp: expected a number (epoch seconds), got null");
  EXPECT_EQ(RejectionOf(R"("a": {"value": 1, "timestamp": "1795300000"})"),
            "metrics.a.timestamp: expected a number (epoch seconds), got string \"1795300000\"");
  EXPECT_EQ(RejectionOf(R"("a": {"value": 1, "timestamp": true})"),
            "metrics.a.timestamp: expected a number (epoch seconds), got true");
  EXPECT_EQ(RejectionOf(R"("a": {"value": 1, "timestamp": NaN})"),
            "metrics.a.timestamp: expected a finite number (epoch seconds), got NaN");
  EXPECT_EQ(RejectionOf(R"("a": {"value": 1, "timestamp": Infinity})"),
            "metrics.a.timestamp: expected a finite number (epoch seconds), got Infinity");
}

// ---- names and labels ----------------------------------------------------------------------

TEST(NakulosNames, ValidNamesAreKeptAsSent) {
  Parsed p = Parse(Post("\"cpu_usage\": 1, \"k8s:pods\": 2, \"_x\": 3, \"CamelCase9\": 4"));
  ASSERT_EQ(p.rows.size(), 4u) << FirstError(p);
  EXPECT_EQ(p.rows[0].labels, "cpu_usage{host=\"h\"}");
  EXPECT_EQ(p.rows[1].labels, "k8s:pods{host=\"h\"}");
  EXPECT_EQ(p.rows[2].labels, "_x{host=\"h\"}");
  EXPECT_EQ(p.rows[3].labels, "CamelCase9{host=\"h\"}");
}

TEST(NakulosNames, OtherNamesAreSanitisedAndKeptInNakulosName) {
  Parsed p =
      Parse(Post("\"disk-usage\": 1, \"disk_usage\": 2, \"temp\\u00e9rature\": 3, "
                 "\"3d\": 4, \"google.com latency\": 5, \"a\\\"b\": 6"));
  ASSERT_EQ(p.rows.size(), 6u) << FirstError(p);
  EXPECT_EQ(p.rows[0].labels, "disk_usage{host=\"h\",nakulos_name=\"disk-usage\"}");
  EXPECT_EQ(p.rows[1].labels, "disk_usage{host=\"h\"}");  // a distinct series
  EXPECT_EQ(p.rows[2].labels, "temp_rature{host=\"h\",nakulos_name=\"température\"}");
  EXPECT_EQ(p.rows[3].labels, "_3d{host=\"h\",nakulos_name=\"3d\"}");
  EXPECT_EQ(p.rows[4].labels, "google_com_latency{host=\"h\",nakulos_name=\"google.com latency\"}");
  EXPECT_EQ(p.rows[5].labels, "a_b{host=\"h\",nakulos_name=\"a\\\"b\"}");
}

TEST(NakulosNames, EmptyAndTooLongNamesAreRejected) {
  EXPECT_EQ(RejectionOf("\"\": 1"), "metrics[\"\"]: empty metric name");
  const std::string long_name(storage::kMaxLabelValueBytes + 1, 'n');
  EXPECT_EQ(RejectionOf("\"" + long_name + "\": 1"),
            "metrics[\"" + std::string(64, 'n') +
                "...\"]: metric name too long: 4097 bytes (limit 4096)");
  // 4096 bytes starting with a digit: the sanitised name would be 4097.
  EXPECT_THAT(RejectionOf("\"1" + std::string(4095, 'n') + "\": 1"),
              HasSubstr("metric name too long: 4097 bytes (limit 4096)"));
  Parsed p = Parse(Post("\"" + std::string(storage::kMaxLabelValueBytes, 'n') + "\": 1"));
  EXPECT_EQ(p.rows.size(), 1u) << FirstError(p);
}

TEST(NakulosNames, PathsQuoteKeysThatAreNotPlain) {
  EXPECT_EQ(RejectionOf("\"google.com latency\": null"),
            "metrics[\"google.com latency\"]: expected a number, a boolean, a string or an "
            "object with \"value\", got null");
  EXPECT_EQ(RejectionOf("\"a\\\"b\\n\": {\"value\": null}"),
            "metrics[\"a\\\"b\\u000a\"].value: expected a number, a boolean or a string, got "
            "null");
}

TEST(NakulosNames, StoredNameOfMatchesWhatTheParserStores) {
  const std::vector<std::string> names = {"cpu_usage", "disk-usage",         "temp\u00e9rature",
                                          "3d",        "google.com latency", "k8s:pods"};
  std::string members;
  for (const std::string& n : names) members += (members.empty() ? "\"" : ", \"") + n + "\": 1";
  Parsed p = Parse(Post(members));
  ASSERT_EQ(p.rows.size(), names.size()) << FirstError(p);
  for (size_t i = 0; i < names.size(); ++i) {
    auto decoded = Labels::Parse(p.rows[i].labels);
    ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
    // The name as sent (JSON escapes decoded), as the read endpoints receive it.
    const std::string sent = i == 2 ? "température" : names[i];
    const NakulosStoredName stored = NakulosStoredNameOf(sent);
    EXPECT_EQ(decoded->MetricName(), stored.metric) << sent;
    EXPECT_EQ(decoded->Get(kNakulosNameLabel), stored.original) << sent;
  }
  EXPECT_EQ(NakulosStoredNameOf("cpu_usage").original, "");
  EXPECT_EQ(NakulosStoredNameOf("").metric, "");
}

TEST(NakulosHost, HostnameIsTheHostLabelOfEverySeries) {
  Parsed p = Parse("{\"hostname\": \"db-1.example.org\", \"metrics\": {\"a\": 1, \"b\": \"x\"}}");
  ASSERT_EQ(p.rows.size(), 2u) << FirstError(p);
  EXPECT_EQ(p.rows[0].labels, "a{host=\"db-1.example.org\"}");
  EXPECT_EQ(p.rows[1].labels, "b{host=\"db-1.example.org\"}");
  EXPECT_EQ(p.result.hostname, "db-1.example.org");
}

// ---- tags ----------------------------------------------------------------------------------

TEST(NakulosTags, NumbersAndBooleansAreGivenAsText) {
  Parsed p = Parse(Post("",
                        ", \"tags\": {\"rack\": 12, \"ratio\": 1.5, \"one\": 1.0, \"on\": "
                        "true, \"off\": false, \"big\": 123456789012345678901234567890, "
                        "\"u\": 18446744073709551615, \"s\": \"text\", \"e\": \"\"}"));
  ASSERT_TRUE(p.status.ok()) << p.status.ToString();
  EXPECT_TRUE(p.result.tags_present);
  EXPECT_THAT(
      p.result.tags,
      ElementsAre(Pair("rack", "12"), Pair("ratio", "1.5"), Pair("one", "1"), Pair("on", "true"),
                  Pair("off", "false"), Pair("big", "123456789012345678901234567890"),
                  Pair("u", "18446744073709551615"), Pair("s", "text"), Pair("e", "")));
}

TEST(NakulosTags, EmptyObjectIsPresentAndNullIsAbsent) {
  Parsed p = Parse(Post("\"a\": 1", ", \"tags\": {}"));
  ASSERT_TRUE(p.status.ok());
  EXPECT_TRUE(p.result.tags_present);
  EXPECT_TRUE(p.result.tags.empty());
  p = Parse(Post("\"a\": 1", ", \"tags\": null"));
  ASSERT_TRUE(p.status.ok());
  EXPECT_FALSE(p.result.tags_present);
  p = Parse(Post("\"a\": 1"));
  EXPECT_FALSE(p.result.tags_present);
}

TEST(NakulosTags, InvalidTagsFailTheWholeRequest) {
  struct Case {
    std::string tags;
    std::string message;
  } cases[] = {
      {"[]", "tags: expected an object, got an array"},
      {"\"role=web\"", "tags: expected an object, got string \"role=web\""},
      {"NaN", "tags: expected an object, got NaN"},
      {"{\"role\": null}", "tags.role: expected a string, a number or a boolean, got null"},
      {"{\"role\": [\"a\"]}", "tags.role: expected a string, a number or a boolean, got an array"},
      {"{\"role\": {\"a\": 1}}",
       "tags.role: expected a string, a number or a boolean, got an object"},
      {"{\"x y\": NaN}", "tags[\"x y\"]: expected a finite number, got NaN"},
      {"{\"r\": 1e400}", "tags.r: expected a finite number, got 1e400"},
      {"{\"r\": \"" + std::string(kNakulosMaxTagBytes + 1, 'v') + "\"}",
       "tags.r: value too long: 4097 bytes (limit 4096)"},
  };
  for (const Case& c : cases) {
    Parsed p = Parse(Post("\"a\": 1", ", \"tags\": " + c.tags));
    EXPECT_EQ(p.status.code(), StatusCode::kInvalidArgument) << c.tags;
    EXPECT_EQ(p.status.message(), c.message);
    EXPECT_FALSE(p.result.tags_present);
  }
  const std::string long_key(kNakulosMaxTagBytes + 1, 'k');
  Parsed p = Parse(Post("\"a\": 1", ", \"tags\": {\"" + long_key + "\": \"v\"}"));
  EXPECT_THAT(std::string(p.status.message()), HasSubstr("key too long: 4097 bytes (limit 4096)"));
}

TEST(NakulosTags, AtMost256DistinctKeys) {
  std::string tags;
  for (size_t i = 0; i < kNakulosMaxTags; ++i) {
    tags += (i ? ", \"t" : "\"t") + std::to_string(i) + "\": \"v\"";
  }
  tags += ", \"t0\": \"again\"";  // a repeated key is not a new tag
  Parsed p = Parse(Post("", ", \"tags\": {" + tags + "}"));
  ASSERT_TRUE(p.status.ok()) << p.status.ToString();
  EXPECT_EQ(p.result.tags.size(), kNakulosMaxTags);
  EXPECT_EQ(p.result.tags[0].second, "again");
  p = Parse(Post("", ", \"tags\": {" + tags + ", \"one_more\": \"v\"}"));
  EXPECT_EQ(p.status.message(), "tags: more than 256 tags");
}

// ---- duplicate keys: the last one wins, as in a Python dict --------------------------------

TEST(NakulosDuplicates, LastValueWinsAtTheFirstPosition) {
  Parsed p = Parse(ReadTestdata("testdata/fuzz/nakulos/duplicate-keys.json"));
  ASSERT_TRUE(p.status.ok()) << p.status.ToString();
  EXPECT_EQ(p.result.hostname, "web1");
  EXPECT_THAT(p.result.tags, ElementsAre(Pair("k", "v2"), Pair("j", "x")));
  EXPECT_EQ(p.result.metrics, 3u);
  EXPECT_EQ(p.result.rejected, 0u) << FirstError(p);  // the earlier "a": null is shadowed
  ASSERT_EQ(p.rows.size(), 3u);
  EXPECT_EQ(p.rows[0].labels, "a{host=\"web1\"}");
  EXPECT_EQ(p.rows[0].value, 3.0);
  EXPECT_EQ(p.rows[0].tag, 0u);
  EXPECT_EQ(p.rows[1].labels, "b{host=\"web1\"}");
  EXPECT_EQ(p.rows[1].tag, 1u);
  EXPECT_EQ(p.rows[2].labels, "c{host=\"web1\"}");
  EXPECT_EQ(p.rows[2].value, 4.0);
  EXPECT_EQ(p.rows[2].tag, 2u);
}

TEST(NakulosDuplicates, AnInvalidLastValueRejectsTheMetric) {
  Parsed p = Parse(Post("\"a\": 1, \"a\": null"));
  EXPECT_EQ(p.result.metrics, 1u);
  EXPECT_EQ(p.result.rejected, 1u);
  EXPECT_THAT(FirstError(p), HasSubstr("metrics.a: expected"));
}

TEST(NakulosDuplicates, ManyMetricsWithRepeatsKeepOneSeriesPerName) {
  std::string members;
  for (int round = 0; round < 3; ++round) {
    for (int i = 0; i < 1000; ++i) {
      if (!members.empty()) members += ", ";
      members += "\"m" + std::to_string(i) + "\": " + std::to_string(round * 10000 + i);
    }
  }
  Parsed p = Parse(Post(members));
  ASSERT_EQ(p.rows.size(), 1000u);
  for (int i = 0; i < 1000; ++i) {
    EXPECT_EQ(p.rows[i].labels, "m" + std::to_string(i) + "{host=\"h\"}");
    EXPECT_EQ(p.rows[i].value, 20000.0 + i);
    EXPECT_EQ(p.rows[i].tag, static_cast<uint32_t>(i));
  }
}

TEST(NakulosDuplicates, KeysWithCollidingHashesAreStillDeduplicatedCorrectly) {
  // Keys whose std::hash falls into the same 8 slots of the 4096-slot table that 2000
  // members get: a flooding attempt, which makes the parser fall back to sorting.
  const std::hash<std::string_view> hasher;
  std::vector<std::string> keys;
  for (uint64_t i = 0; keys.size() < 1500; ++i) {
    std::string k = "k" + std::to_string(i);
    if ((hasher(k) & 0xFFF) < 8) keys.push_back(std::move(k));
  }
  std::string members;
  for (size_t i = 0; i < keys.size(); ++i) {
    members += (i ? ", \"" : "\"") + keys[i] + "\": " + std::to_string(i);
  }
  for (size_t i = 0; i < 500; ++i) {  // repeats of every third key, with new values
    members += ", \"" + keys[i * 3] + "\": " + std::to_string(100000 + i);
  }
  Parsed p = Parse(Post(members));
  ASSERT_TRUE(p.status.ok()) << p.status.ToString();
  ASSERT_EQ(p.rows.size(), keys.size());
  for (size_t i = 0; i < keys.size(); ++i) {
    EXPECT_EQ(p.rows[i].labels, keys[i] + "{host=\"h\"}");
    EXPECT_EQ(p.rows[i].tag, i);
    const double expected = i % 3 == 0 && i / 3 < 500 ? 100000.0 + i / 3 : double(i);
    EXPECT_EQ(p.rows[i].value, expected) << i;
  }
}

// ---- whole-request errors ------------------------------------------------------------------

TEST(NakulosBody, WholeRequestErrorsSayWhatAndWhere) {
  struct Case {
    std::string body;
    std::string message;
  } cases[] = {
      {"", "body: empty"},
      {"  \n", "body: empty"},
      {"[]", "body: expected a JSON object, got an array"},
      {"\"hostname\"", "body: expected a JSON object, got string \"hostname\""},
      {"NaN", "body: expected a JSON object, got NaN"},
      {"{\"hostname\": \"h\"}", "body: missing \"metrics\""},
      {"{\"hostname\": 5, \"metrics\": {}}", "hostname: expected a string, got 5"},
      {"{\"hostname\": null, \"metrics\": {}}", "hostname: expected a string, got null"},
      {"{\"hostname\": \"\", \"metrics\": {}}", "hostname: empty"},
      {"{\"hostname\": \"h\", \"metrics\": []}", "metrics: expected an object, got an array"},
      {"{\"hostname\": \"h\", \"metrics\": null}", "metrics: expected an object, got null"},
      {"{\"hostname\": \"h\", \"metrics\": \"cpu=1\"}",
       "metrics: expected an object, got string \"cpu=1\""},
      {"{\"hostname\": \"h\", \"metrics\": {\"a\": 1},}",
       "body: invalid JSON: The JSON document has an improper structure: missing or superfluous "
       "commas, braces, missing keys, etc."},
      {"{\"hostname\": \"h\", \"metrics\": {\"a\": \"\\ud800\"}}",
       "body: invalid JSON: a string holds an invalid escape or a lone UTF-16 surrogate"},
      {"{\"hostname\": \"h\", \"metrics\": {\"a\": \"x\ty\"}}",
       "body: invalid JSON: a string holds an unescaped control character"},
  };
  for (const Case& c : cases) {
    Parsed p = Parse(c.body);
    EXPECT_EQ(p.status.code(), StatusCode::kInvalidArgument) << c.body;
    EXPECT_EQ(p.status.message(), c.message) << c.body;
  }
  Parsed p = Parse("{\"hostname\": \"" + std::string(storage::kMaxLabelValueBytes + 1, 'h') +
                   "\", \"metrics\": {}}");
  EXPECT_EQ(p.status.message(), "hostname: too long: 4097 bytes (limit 4096)");
  p = Parse("{\"hostname\": \"h\", \"metrics\": {\"a\": {\"value\": 1, \"times");
  EXPECT_THAT(std::string(p.status.message()), HasSubstr("body: invalid JSON"));
}

TEST(NakulosBody, InvalidUtf8AnywhereFailsTheWholeRequest) {
  for (const std::string& body : {
           std::string("{\"hostname\": \"h\", \"metrics\": {\"cpu\xff\": 1}}"),  // a name
           std::string("{\"hostname\": \"h\xc3\", \"metrics\": {\"a\": 1}}"),    // the host
           std::string("{\"hostname\": \"h\", \"metrics\": {\"a\": 1}, \"tags\": {\"r\": "
                       "\"\xed\xa0\x80\"}}"),  // a tag (a UTF-8-encoded surrogate)
           std::string("{\"hostname\": \"h\", \"metrics\": {\"a\": \"st\xc0\xafte\"}}"),  // a state
           std::string("{\"hostname\": \"h\", \"client_id\": \"\xf5\x80\x80\x80\", \"metrics\": "
                       "{\"a\": 1}}"),  // even an ignored field
       }) {
    Parsed p = Parse(body);
    EXPECT_EQ(p.status.message(), "body: not valid UTF-8") << body;
  }
}

TEST(NakulosBody, NestingBeyond1024LevelsFailsTheWholeRequest) {
  const std::string deep = std::string(1100, '[') + std::string(1100, ']');
  Parsed p = Parse(Post("\"ok\": 1, \"deep\": " + deep));
  EXPECT_EQ(p.status.message(), "body: nesting deeper than 1024 levels");
  p = Parse(ReadTestdata("testdata/fuzz/nakulos/deep-nesting.json"));
  EXPECT_EQ(p.status.message(), "body: nesting deeper than 1024 levels");
}

TEST(NakulosBody, BadTagsAfterValidMetricsAddNothing) {
  NakulosParser parser;
  WriteBatch batch;
  NakulosParseResult result;
  Status s =
      parser.Parse(Post("\"a\": 1, \"b\": 2", ", \"tags\": {\"r\": null}"), kNow, &batch, &result);
  EXPECT_FALSE(s.ok());
  EXPECT_TRUE(batch.empty());
  EXPECT_EQ(batch.series_count(), 0u);
}

TEST(NakulosBody, EmptyMetricsObjectIsValidAndStoresNothing) {
  Parsed p = Parse("{\"hostname\": \"web1\", \"metrics\": {}}");
  ASSERT_TRUE(p.status.ok()) << p.status.ToString();
  EXPECT_EQ(p.result.hostname, "web1");
  EXPECT_EQ(p.result.metrics, 0u);
  EXPECT_TRUE(p.rows.empty());
}

TEST(NakulosBody, ClientIdAndUnknownKeysAreIgnoredWhateverTheirType) {
  Parsed p = Parse(
      "{\"client_id\": [1, {\"x\": null}], \"hostname\": \"h\", \"extra\": NaN, "
      "\"metrics\": {\"a\": 1}, \"version\": 2}");
  ASSERT_TRUE(p.status.ok()) << p.status.ToString();
  EXPECT_EQ(p.rows.size(), 1u);
}

TEST(NakulosBody, Utf8ByteOrderMarkIsSkippedAsPythonDoes) {
  Parsed p = Parse("\xEF\xBB\xBF{\"hostname\": \"h\", \"metrics\": {\"a\": 1}}");
  ASSERT_TRUE(p.status.ok()) << p.status.ToString();
  EXPECT_EQ(p.rows.size(), 1u);
}

TEST(NakulosBody, WarmParserAppendsToTheBatchAndGivesTheSameResult) {
  NakulosParser parser;
  WriteBatch batch;
  NakulosParseResult r1;
  NakulosParseResult r2;
  const std::string body = ReadTestdata("testdata/nakulos/a15_web1_with_tags.json");
  ASSERT_TRUE(parser.Parse(body, kNow, &batch, &r1).ok());
  ASSERT_FALSE(parser.Parse("[", kNow, &batch, &r2).ok());
  ASSERT_TRUE(parser.Parse(body, kNow, &batch, &r2).ok());
  EXPECT_EQ(batch.series_count(), 4u);  // not cleared
  EXPECT_EQ(r1.tags, r2.tags);
  EXPECT_EQ(r2.accepted, 2u);
  auto rows = Decode(batch);
  EXPECT_EQ(rows[0].labels, rows[2].labels);
  EXPECT_EQ(rows[1].ts, rows[3].ts);
}

// ---- the answer ----------------------------------------------------------------------------

// Parses `body` as JSON with simdjson; fails the test if it is not valid.
simdjson::dom::element ParseJson(simdjson::dom::parser* parser, const std::string& body) {
  simdjson::dom::element e;
  EXPECT_EQ(parser->parse(body).get(e), simdjson::SUCCESS) << body;
  return e;
}

TEST(NakulosAnswer, ReceivedBodyIsNakulosByteForByte) {
  EXPECT_EQ(kNakulosReceivedBody, "{\"status\": \"received\"}");
  EXPECT_EQ(kNakulosContentType, "application/json; charset=UTF-8");
}

TEST(NakulosAnswer, RejectionBodyHasTheCountsAndMessages) {
  Parsed p = Parse(Post("\"cpu\": null, \"mem\": 1, \"x y\": {\"value\": NaN}"));
  ASSERT_TRUE(p.status.ok());
  const std::string body = NakulosRejectionBody(p.result);
  EXPECT_EQ(body,
            "{\"status\":\"error\",\"errorType\":\"bad_data\",\"error\":\"2 of 3 metrics "
            "rejected; first: metrics.cpu: expected a number, a boolean, a string or an object "
            "with \\\"value\\\", got null\",\"accepted\":1,\"rejected\":2,\"errors\":[\"metrics."
            "cpu: expected a number, a boolean, a string or an object with \\\"value\\\", got "
            "null\",\"metrics[\\\"x y\\\"].value: expected a finite number, got NaN\"]}\n");
  simdjson::dom::parser parser;
  simdjson::dom::element e = ParseJson(&parser, body);
  uint64_t rejected = 0;
  ASSERT_EQ(e["rejected"].get_uint64().get(rejected), simdjson::SUCCESS);
  EXPECT_EQ(rejected, 2u);
  simdjson::dom::array errors;
  ASSERT_EQ(e["errors"].get_array().get(errors), simdjson::SUCCESS);
  EXPECT_EQ(errors.size(), 2u);
}

TEST(NakulosAnswer, RejectionBodyIsValidJsonWhateverTheMessages) {
  NakulosParseResult r;
  r.metrics = 3;
  r.rejected = 3;
  static const char kControl[] = "ctl \x01\x1f\n\t quote \" backslash \\ nul \0 end";
  const std::string control(kControl, sizeof kControl - 1);
  r.first_errors = {std::string("bad \xff byte \xc0\xaf overlong \xed\xa0\x80 surrogate"), control,
                    "ok é 𐀀"};
  const std::string body = NakulosRejectionBody(r);
  simdjson::dom::parser parser;
  simdjson::dom::element e = ParseJson(&parser, body);
  std::string_view first;
  ASSERT_EQ(e["errors"].at(0).get_string().get(first), simdjson::SUCCESS);
  EXPECT_EQ(first,
            "bad \xEF\xBF\xBD byte \xEF\xBF\xBD\xEF\xBF\xBD overlong "
            "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD surrogate");
  std::string_view second;
  ASSERT_EQ(e["errors"].at(1).get_string().get(second), simdjson::SUCCESS);
  EXPECT_EQ(second, control);
  std::string_view third;
  ASSERT_EQ(e["errors"].at(2).get_string().get(third), simdjson::SUCCESS);
  EXPECT_EQ(third, "ok é 𐀀");
}

TEST(NakulosAnswer, StorageRejectionsAreFoldedInWithTheMetricName) {
  NakulosParser parser;
  WriteBatch batch;
  NakulosParseResult r;
  ASSERT_TRUE(
      parser
          .Parse(Post("\"bad\": null, \"cpu\": 1, \"disk-usage\": 2, \"mem\": 3"), kNow, &batch, &r)
          .ok());
  ASSERT_EQ(r.accepted, 3u);
  // Storage refused "disk-usage" (tag 2) and "mem" (tag 3), reporting only the first.
  NakulosCountStorageRejections(2, &r);
  NakulosNoteStorageRejection(batch, 2, "series already exists as state, not gauge", &r);
  EXPECT_EQ(r.accepted, 1u);
  EXPECT_EQ(r.rejected, 3u);
  EXPECT_EQ(r.metrics, 4u);
  ASSERT_EQ(r.first_errors.size(), 2u);
  EXPECT_EQ(r.first_errors[1],
            "metrics.disk-usage: series already exists as state, not gauge");  // as sent
  NakulosNoteStorageRejection(batch, 3, "sample too old", &r);
  EXPECT_EQ(r.first_errors[2], "metrics.mem: sample too old");
  NakulosNoteStorageRejection(batch, 99, "?", &r);
  EXPECT_EQ(r.first_errors[3], "metrics (series 99): ?");
  NakulosNoteStorageRejection(batch, 3, "x", &r, /*max_errors=*/4);
  EXPECT_EQ(r.first_errors.size(), 4u);    // full
  NakulosCountStorageRejections(100, &r);  // never more than were accepted
  EXPECT_EQ(r.accepted, 0u);
  EXPECT_EQ(r.rejected, 4u);
  EXPECT_THAT(NakulosRejectionBody(r), HasSubstr("\"error\":\"4 of 4 metrics rejected; first:"));
}

// ---- the fuzz seeds ------------------------------------------------------------------------

TEST(NakulosFuzzSeeds, EachSeedGivesItsDocumentedOutcome) {
  struct Seed {
    const char* name;
    bool ok;
    uint64_t accepted;
    uint64_t rejected;
  } seeds[] = {
      {"spec-web1-with-tags.json", true, 2, 0},
      {"spec-no-timestamp.json", true, 1, 0},
      {"spec-missing-hostname.json", false, 0, 0},
      {"spec-buffered-payload.json", true, 1, 0},
      {"valid-all-kinds.json", true, 9, 0},
      {"valid-nan-infinity-bigint.json", true, 2, 7},
      {"rejections.json", true, 1, 8},
      {"duplicate-keys.json", true, 3, 0},
      {"sanitised-names.json", true, 6, 1},
      {"tags-types.json", true, 0, 0},
      {"bad-tag-value.json", false, 0, 0},
      {"bad-hostname.json", false, 0, 0},
      {"not-object.json", false, 0, 0},
      {"invalid-utf8.json", false, 0, 0},
      {"truncated.json", false, 0, 0},
      {"deep-nesting.json", false, 0, 0},
      {"nul-and-nan.json", false, 0, 0},
      {"bom-null-tags.json", true, 1, 0},
      {"garbage.txt", false, 0, 0},
  };
  for (const Seed& s : seeds) {
    SCOPED_TRACE(s.name);
    Parsed p = Parse(ReadTestdata(std::string("testdata/fuzz/nakulos/") + s.name));
    EXPECT_EQ(p.status.ok(), s.ok) << p.status.ToString();
    EXPECT_EQ(p.result.accepted, s.accepted) << FirstError(p);
    EXPECT_EQ(p.result.rejected, s.rejected) << FirstError(p);
  }
}

}  // namespace
}  // namespace strix::ingest
